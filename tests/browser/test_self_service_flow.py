"""A self-service namespace in a real browser: an administrator activates the Namespace Service
on the Supervisor's Configure tab with a template for a developer group; a developer of that
group, holding no role anywhere, logs in, lands on the developer portal's My namespaces and
creates one with New namespace (the page with its form has no serious axe-core violation), which
she then owns, with the template's limits."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.browser.test_namespace_flow import (  # noqa: F401  (fixture)
    _running_supervisor,
    log_out,
)
from tests.browser.test_portal import serious_violations
from tests.conftest import PASSWORD
from workloads.models import Namespace, NamespaceSelfService, Supervisor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "administrator@vsphere.local"


def test_admin_activates_the_namespace_service_and_a_developer_creates_a_namespace(
    page: Page, live_server, console_errors: list[str]
) -> None:
    dana = get_user_model().objects.create_user("dana@vsphere.local", password=PASSWORD)
    dana.groups.add(Group.objects.create(name="SelfServiceDevs"))
    sup = Supervisor.objects.get()

    log_in(page, live_server.url, ADMIN, PASSWORD)
    configure = reverse("workloads:supervisor-detail", args=[sup.supervisor_id, "configure"])
    page.goto(live_server.url + configure)
    card = page.locator("#namespace-service")
    expect(card.locator(".namespace-service-status")).to_have_text("Deactivated")
    card.get_by_role("link", name="Activate").click()

    dialog = page.locator("#modal dialog[data-dialog='namespace-service']")
    expect(dialog.locator("#dialog-title")).to_have_text("Activate Namespace Service")
    dialog.locator("#id_cpu_limit").fill("5000")
    dialog.locator("#id_groups").fill("SelfServiceDevs")
    dialog.locator("[data-field='vm_classes']").get_by_label("best-effort-small").check()
    dialog.get_by_role("button", name="Activate").click()

    card = page.locator("#namespace-service")
    expect(card.locator(".namespace-service-status")).to_have_text("Running")
    expect(card).to_contain_text("SelfServiceDevs (group)")
    expect(page).to_have_url(live_server.url + configure)
    activated = page.locator("#recent-tasks tr", has_text="Activate namespace self-service")
    expect(activated).to_contain_text("Completed")
    assert NamespaceSelfService.objects.get().cpu_limit_mhz == 5000

    # The developer: no role anywhere yet, she lands on the portal's My namespaces, New namespace.
    log_out(page)
    log_in(page, live_server.url, "dana@vsphere.local", PASSWORD)
    expect(page).to_have_url(live_server.url + reverse("portal:namespaces"))
    form = page.locator("#portal-new-namespace")
    expect(form.locator("h2")).to_have_text("New namespace")
    assert serious_violations(page) == []
    form.get_by_label("Name").fill("dana-sandbox")
    form.get_by_role("button", name="Create namespace").click()
    card = page.locator(".namespace-card[data-namespace='dana-sandbox']")
    expect(card.locator("[data-role]")).to_have_text("Owner")

    # Her namespace's page in the console: she owns it, and it runs with the template's limits.
    page.goto(live_server.url + reverse("workloads:namespace-summary", args=["dana-sandbox"]))
    ns_view = page.locator("#main.namespace-view[data-namespace='dana-sandbox']")
    expect(ns_view.locator("h1")).to_have_text("dana-sandbox")
    expect(ns_view.locator(".ns-role")).to_have_text("Your role: Owner")
    expect(ns_view.locator("#namespace-status .config-status")).to_have_text("Running")
    ns = Namespace.objects.get(name="dana-sandbox")
    assert ns.self_service and ns.cpu_limit_mhz == 5000
    assert [c.name for c in ns.vm_classes.all()] == ["best-effort-small"]
    assert console_errors == []
