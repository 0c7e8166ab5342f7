"""A vSphere Namespace in a real browser: an administrator creates one on a running Supervisor
(one invalid name fixed on the way), watches it reach Running and grants a developer group Can
edit; a developer of that group then logs in and finds it, without the vCenter inventory.

Celery is eager and simulated time instant in tests, so the namespace reconciler converges while
the CREATE request commits; the Status card and Recent Tasks still have to show it in place."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import Page, expect

from inventory.estates import demo
from inventory.models import Cluster
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.factories import supervisor_raw_spec
from tests.workloads.test_supervisor import converge
from workloads import services
from workloads.models import Namespace, NamespaceAccess, Supervisor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "administrator@vsphere.local"
DEVELOPER = "alice@vsphere.local"  # a member of demo.PAYMENTS


@pytest.fixture(autouse=True)
def _running_supervisor(transactional_db) -> Supervisor:
    """The demo estate (an earlier transactional test may have flushed it) and a Supervisor on
    Workload-Cluster-01, converged to Running by the reconciler as the API would leave it."""
    demo.load()
    admin = get_user_model().objects.get(username=ADMIN)
    cluster = Cluster.objects.select_related("datacenter").get(name=demo.WORKLOAD_01)
    sup = services.supervisor_enable(spec=supervisor_raw_spec(cluster), user=admin)
    converge(sup)
    sup.refresh_from_db()
    assert sup.config_status == Supervisor.ConfigStatus.RUNNING
    return sup


def log_out(page: Page) -> None:
    page.locator("details.user-menu > summary").click()
    page.get_by_role("button", name="Log Out").click()
    expect(page.locator("#id_username")).to_be_visible()


def test_admin_creates_namespace_and_grants_a_group_its_developer_sees_it(
    page: Page, live_server, console_errors: list[str]
) -> None:
    log_in(page, live_server.url, ADMIN, PASSWORD)
    page.locator("details.menu > summary").click()
    page.get_by_role("link", name="Workload Management").click()
    expect(page.locator("#main h1")).to_have_text("Workload Management")
    expect(page.get_by_role("tab", name="Namespaces")).to_have_attribute("aria-selected", "true")
    page.get_by_role("link", name="New Namespace").click()

    # Create Namespace: the only running Supervisor is preselected; a bad name comes back at
    # its field and creates nothing.
    dialog = page.locator("#modal dialog[data-dialog='create']")
    expect(dialog.locator("#dialog-title")).to_have_text("Create Namespace")
    expect(dialog.locator("#id_supervisor option:checked")).to_contain_text("supervisor-01")
    page.evaluate("window.__marker = 1")  # gone if anything below reloads the page
    dialog.locator("#id_name").fill("Team_A")
    dialog.get_by_role("button", name="Create").click()
    name_error = page.locator(
        "#modal dialog[data-dialog='create'] [data-field='name'] .field-error"
    )
    expect(name_error).to_contain_text("lowercase letters, digits and '-'")
    assert not Namespace.objects.exists()
    # Field errors come back with 400, which Chromium logs as a failed resource: expected once.
    create_url = live_server.url + reverse("workloads:namespace-create")
    assert len(console_errors) == 1, console_errors
    assert "status of 400" in console_errors[0], console_errors
    assert f"({create_url})" in console_errors[0], console_errors
    console_errors.clear()

    page.fill("#id_name", "team-a")
    page.fill("#id_description", "Payments team workloads")
    page.get_by_role("button", name="Create").click()

    # The namespace page, in place: the task in Recent Tasks, Config Status reaching Running.
    ns_view = page.locator("#main.namespace-view[data-namespace='team-a']:not(.dialog-page)")
    expect(ns_view.locator("h1")).to_have_text("team-a")
    summary_url = reverse("workloads:namespace-summary", args=["team-a"])
    expect(page).to_have_url(live_server.url + summary_url)
    expect(ns_view.locator(".ns-description")).to_have_text("Payments team workloads")
    created = page.locator("#recent-tasks tr.task-success", has_text="Create namespace")
    expect(created).to_contain_text("Completed")
    expect(ns_view.locator("#namespace-status .config-status")).to_have_text("Running")

    # ADD PERMISSIONS: the group DevTeam-Payments, Can edit.
    permissions = ns_view.locator(".permissions-card")
    expect(permissions.locator(".ns-count")).to_have_text("0 permissions")
    permissions.get_by_role("link", name="Add Permissions").click()
    grant = page.locator("#modal dialog[data-dialog='permission-add']")
    expect(grant.locator("#dialog-title")).to_have_text("Add Permissions")
    grant.get_by_role("radio", name="Group").check()
    grant.locator("#id_subject").fill(demo.PAYMENTS)
    grant.locator("#id_role").select_option(label="Can edit")
    grant.get_by_role("button", name="OK").click()

    row = page.locator(
        "#main[data-namespace='team-a'] .permissions-card tr", has_text=demo.PAYMENTS
    )
    expect(row).to_contain_text("Can edit")
    expect(page.locator(".permissions-card .ns-count")).to_have_text("1 permission")
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    entry = NamespaceAccess.objects.get(namespace__name="team-a")
    assert (entry.subject_type, entry.subject, entry.role) == ("GROUP", demo.PAYMENTS, "EDIT")

    # A developer of the group: lands on the namespaces she may reach, no inventory navigator.
    log_out(page)
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    expect(page).to_have_url(live_server.url + reverse("portal:clusters"))  # the portal first
    page.get_by_role("link", name="Workload Management").click()
    expect(page.locator("#main h1")).to_have_text("Workload Management")
    expect(page).to_have_url(live_server.url + reverse("workloads:home"))
    expect(page.locator("#navigator")).to_have_count(0)
    listed = page.locator("#namespace-grid tr[data-namespace='team-a']")
    expect(listed).to_contain_text("Running")
    expect(page.locator("#namespace-grid tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="New Namespace")).to_have_count(0)

    listed.get_by_role("link", name="team-a").click()
    ns_view = page.locator("#main.namespace-view[data-namespace='team-a']")
    expect(ns_view.locator("h1")).to_have_text("team-a")
    expect(ns_view.get_by_role("tab", name="Summary")).to_have_attribute("aria-selected", "true")
    expect(ns_view.locator(".ns-role")).to_have_text("Your role: Can edit")
    expect(ns_view.locator("#namespace-status .config-status")).to_have_text("Running")
    expect(ns_view.locator(".permissions-card tr", has_text=demo.PAYMENTS)).to_be_visible()
    expect(page.get_by_role("link", name="Add Permissions")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete Namespace")).to_have_count(0)
    assert console_errors == []
