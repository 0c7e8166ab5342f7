"""Workload Management's dialogs as modals in a real browser: each opens as a <dialog> modal over
the page it was opened from with focus inside it; a rejected submit shows its errors inside the
open dialog, in view; Escape and Cancel close it and give focus back to what opened it; success
closes it and refreshes the page under it, with the task in Recent Tasks. The portal's My
clusters opens the same dialogs over its own page. axe-core finds no serious or critical
violation with a dialog open.

Celery is eager and simulated time instant in tests: each change converges while its request
commits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from inventory.estates import demo as estate
from tests.browser.conftest import log_in
from tests.conftest import workload_demo
from workloads.models import Namespace, NamespaceAccess, VksCluster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEVELOPER = "bob@vsphere.local"  # DevTeam-Payments: Can edit in `payments`
AXE = Axe()


@pytest.fixture(autouse=True)
def _workload_management(transactional_db) -> None:
    estate.load()
    workload_demo()


def opened(page: Page, name: str) -> Locator:
    """The dialog `name`, open as a modal over the page, with focus inside it."""
    dialog = page.get_by_role("dialog", name=name)
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.matches(':modal') && d.parentElement.id === 'modal'")
    expect(dialog.locator(":focus")).to_have_count(1)
    return dialog


def rejected(dialog: Locator, field: Locator, message: str) -> None:
    """A rejected submit: the dialog stays open with the message beside the field and in the
    summary at its top, which is in view."""
    expect(dialog).to_be_visible()
    expect(field).to_contain_text(message)
    summary = dialog.locator("#dialog-alerts .dialog-summary")
    expect(summary).to_contain_text(message)
    expect(summary).to_be_in_viewport()


def serious_violations(page: Page, context: str | None = "#modal") -> list[str]:
    """axe-core's serious and critical violations in the open dialog (the page under a modal is
    inert), or in the whole page with `context` None."""
    results = AXE.run(page, context=context) if context else AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def scale_to(page: Page, open_dialog: Callable[[], None], replicas: str) -> Locator:
    """Open Scale Node Pool with `open_dialog` and ask for `replicas` workers; the dialog."""
    open_dialog()
    dialog = opened(page, "Scale Node Pool")
    expect(dialog.get_by_label("Replicas")).to_be_focused()
    dialog.get_by_label("Replicas").fill(replicas)
    dialog.get_by_role("button", name="Scale").click()
    return dialog


def refused_then_escape(page: Page, dialog: Locator, opener: Locator) -> None:
    """The scale refused inside the open dialog, which axe finds nothing serious in; Escape
    closes it and gives focus back to `opener`."""
    rejected(dialog, dialog.locator("[data-field='replicas']"), "")
    assert serious_violations(page) == [], "a dialog open with an error"
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()


def only_bad_requests(errors: list[str]) -> bool:
    """Chromium logs each 400 as a failed resource: expected for each rejected submit."""
    return all("status of 400" in error for error in errors)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        (reverse("workloads:cluster-detail", args=["payments", "payments-prod"]), "payments-prod"),
        (reverse("workloads:namespace-summary", args=["payments"]), "payments"),
        (reverse("workloads:home"), "Workload Management"),
    ],
    ids=["cluster", "namespace", "workload-management"],
)
def test_the_pages_under_the_dialogs_have_no_serious_violation(
    admin_page: Page, live_server, path: str, heading: str
) -> None:
    """The whole page, shell included (header, navigator, Recent Tasks), as an administrator
    sees it: links inside text are told apart by more than their colour, and so on."""
    admin_page.goto(live_server.url + path)
    expect(admin_page.locator("#main h1")).to_have_text(heading)
    expect(admin_page.locator("#recent-tasks tr").first).to_be_visible()
    found = serious_violations(admin_page, context=None)
    assert found == [], "\n".join(found)


def test_namespace_limits_storage_and_permissions_open_as_modals(
    admin_page: Page, live_server, console_errors: list[str]
) -> None:
    page = admin_page
    summary_url = reverse("workloads:namespace-summary", args=["payments"])
    page.goto(live_server.url + summary_url)
    ns_view = page.locator("#main.namespace-view[data-namespace='payments']")
    expect(ns_view.locator("h1")).to_have_text("payments")
    page.evaluate("window.__marker = 1")  # gone if anything below reloads the page

    # Edit Limits: a bad number is refused inside the dialog; Escape gives focus back.
    edit_limits = ns_view.get_by_role("link", name="Edit Limits")
    edit_limits.click()
    dialog = opened(page, "Edit Limits")
    assert page.url == live_server.url + summary_url, "a modal, not a page"
    dialog.get_by_label("CPU", exact=True).fill("lots")
    dialog.get_by_role("button", name="OK").click()
    rejected(dialog, dialog.locator("[data-field='cpu_limit_mhz']"), "Enter a number")
    expect(dialog.get_by_label("CPU", exact=True)).to_be_focused()
    assert serious_violations(page) == [], "a dialog open with an error"
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(edit_limits).to_be_focused()
    assert Namespace.objects.get(name="payments").cpu_limit_mhz == 60_000

    # Fixed and saved: the dialog closes, the page under it shows the limit, the task runs.
    edit_limits.click()
    dialog = opened(page, "Edit Limits")
    dialog.get_by_label("CPU", exact=True).fill("50")
    dialog.get_by_label("CPU unit").select_option("GHz")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_have_count(0)
    expect(ns_view.locator("[data-meter='cpu'] .meter-free")).to_contain_text("50")
    task = page.locator("#recent-tasks tr", has_text="Update namespace")
    expect(task.first).to_be_visible()
    assert Namespace.objects.get(name="payments").cpu_limit_mhz == 50_000
    expect(ns_view.get_by_role("link", name="Edit Limits")).to_be_focused()

    # Edit Storage: a bad limit on a policy, refused at its row; Cancel closes it.
    ns_view.get_by_role("link", name="Edit Storage").click()
    dialog = opened(page, "Edit Storage")
    row = dialog.locator("tr[data-policy]:has(input[type=checkbox]:checked)").first
    row.locator("input[inputmode=decimal]").fill("-3")
    dialog.get_by_role("button", name="OK").click()
    rejected(dialog, dialog.locator("tr[data-policy] .limit-input.has-error"), "")
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(ns_view.get_by_role("link", name="Edit Storage")).to_be_focused()

    # Add Permissions: no user or group named is refused at the field; then a group is added.
    before = NamespaceAccess.objects.filter(namespace__name="payments").count()
    ns_view.get_by_role("link", name="Add Permissions").first.click()
    dialog = opened(page, "Add Permissions")
    expect(dialog.get_by_label("User/Group")).to_be_focused()  # its autofocus field
    dialog.get_by_role("button", name="OK").click()
    rejected(dialog, dialog.locator("[data-field='subject']"), "")
    dialog.get_by_role("radio", name="Group").check()
    dialog.get_by_label("User/Group").fill(estate.STOREFRONT)
    dialog.get_by_label("Role").select_option(label="Can view")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_have_count(0)
    expect(ns_view.locator(".permissions-card tr", has_text=estate.STOREFRONT)).to_contain_text(
        "Can view"
    )
    assert NamespaceAccess.objects.filter(namespace__name="payments").count() == before + 1
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    assert only_bad_requests(console_errors), console_errors


def test_cluster_scale_upgrade_and_delete_open_as_modals(
    page: Page, live_server, console_errors: list[str]
) -> None:
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    page.goto(
        live_server.url + reverse("workloads:cluster-detail", args=["payments", "payments-prod"])
    )
    cluster_view = page.locator("#main.cluster-view[data-cluster='payments-prod']")
    actions = cluster_view.get_by_role("button", name="Actions")

    def open_scale() -> None:
        actions.click()
        cluster_view.get_by_role("menuitem", name="Scale", exact=True).click()

    # Scale: a negative count is refused inside the dialog; Escape returns to ACTIONS.
    refused_then_escape(page, scale_to(page, open_scale, "-1"), actions)

    # Scaled: the dialog closes and the cluster's page under it follows.
    expect(scale_to(page, open_scale, "2")).to_have_count(0)
    pool = cluster_view.locator(".node-pools tr[data-pool='node-pool-1'] td[data-replicas]")
    expect(pool).to_have_text("2/2 ready")
    expect(page.locator("#recent-tasks tr", has_text="Scale VKS cluster").first).to_be_visible()

    # Upgrade: a modal too; Cancel closes it and changes nothing.
    version = VksCluster.objects.get(name="payments-prod").spec["topology"]["version"]
    actions.click()
    cluster_view.get_by_role("menuitem", name="Upgrade").click()
    dialog = opened(page, "Upgrade VKS Cluster")
    expect(dialog.locator("[data-field='current']")).to_be_visible()
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(actions).to_be_focused()
    assert VksCluster.objects.get(name="payments-prod").spec["topology"]["version"] == version

    # Delete: focus starts on Cancel (the destructive button is not the default); confirmed,
    # the namespace's Compute tab takes the page's place.
    actions.click()
    cluster_view.get_by_role("menuitem", name="Delete").click()
    dialog = opened(page, "Delete VKS Cluster")
    expect(dialog.get_by_role("link", name="Cancel")).to_be_focused()
    assert serious_violations(page) == [], "the delete confirmation open"
    dialog.get_by_role("button", name="Delete").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#main[data-namespace='payments'] #cluster-grid")).to_be_visible()
    assert not VksCluster.objects.filter(name="payments-prod").exists()
    assert only_bad_requests(console_errors), console_errors


def test_portal_scale_opens_over_my_clusters_and_the_card_follows(
    page: Page, live_server, console_errors: list[str]
) -> None:
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    expect(page.locator("#main h1")).to_have_text("My clusters")
    card = page.locator(".cluster-card[data-cluster='payments/payments-prod']")
    scale = card.get_by_role("link", name="Scale")

    # More than the namespace's CPU limit allows: refused inside the dialog over the portal.
    refused_then_escape(page, scale_to(page, scale.click, "1000"), scale)

    expect(scale_to(page, scale.click, "1")).to_have_count(0)
    expect(page).to_have_url(live_server.url + reverse("portal:clusters"))
    expect(card.locator("[data-nodes]")).to_contain_text("4 / 4")  # 3 control plane, 1 worker
    expect(scale).to_be_focused()  # given back after the cards refreshed
    assert only_bad_requests(console_errors), console_errors


def test_vm_class_create_opens_over_the_list(
    admin_page: Page, live_server, console_errors: list[str]
) -> None:
    page = admin_page
    page.goto(live_server.url + reverse("workloads:vm-class-list"))
    create = page.get_by_role("link", name="Create VM Class")
    create.click()
    dialog = opened(page, "Create VM Class")
    expect(dialog.get_by_label("Name")).to_be_focused()
    dialog.get_by_label("Name").fill("Web")
    dialog.get_by_role("button", name="Create").click()
    rejected(dialog, dialog.locator("[data-field='name']"), "lowercase letters")

    dialog.get_by_label("Name").fill("web-small")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(".vm-class-card[data-vm-class='web-small']")).to_be_visible()
    expect(page.get_by_role("link", name="Create VM Class")).to_be_focused()
    assert only_bad_requests(console_errors), console_errors
