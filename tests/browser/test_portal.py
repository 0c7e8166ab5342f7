"""The developer portal in a real browser, as bob@vsphere.local (DevTeam-Payments: Can edit in
`payments`, whose VKS cluster `payments-prod` runs 3 control plane nodes and 3 workers): he lands
on the portal, sees his cluster and quotas, copies the commands to connect, scales the cluster,
watches it change without reloading and is told when it fails and when it is Ready again; at
390 px wide, by keyboard alone, and with no serious or critical axe-core violation on any page.

Celery is eager and simulated time instant in tests: a change converges while its request
commits. The portal learns of changes through its pulse (every 2 s), so the live checks wait
for up to LIVE_MS."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from inventory.estates import demo as estate
from inventory.tasklog import tasks_changed
from tests.browser.conftest import log_in
from tests.conftest import workload_demo
from workloads.models import VksCluster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEVELOPER = "bob@vsphere.local"
CLUSTER = "payments/payments-prod"
LIVE_MS = 10_000  # two pulses and a swap, with room for a loaded 2-core machine
PAGES = ["portal:clusters", "portal:namespaces", "portal:connect", "portal:activity"]
AXE = Axe()


@pytest.fixture(autouse=True)
def _workload_management(transactional_db) -> None:
    estate.load()
    workload_demo()


def on_each_page(page: Page, url: str, measure: Callable[[Page], object]) -> dict:
    """Log in, open each portal page and measure it: {URL name: measure(page)}."""
    log_in(page, url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    expect(page.locator("#main h1")).to_have_text("My clusters")
    found = {}
    for name in PAGES:
        page.goto(url + reverse(name))
        expect(page.locator("#main h1")).to_be_visible()
        found[name] = measure(page)
    return found


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def set_phase(phase: str, ready: dict) -> None:
    """What the reconciler writes when the cluster fails or recovers, and the stamp it bumps."""
    cluster = VksCluster.objects.get(name="payments-prod")
    others = [c for c in cluster.conditions if c["type"] != "Ready"]
    VksCluster.objects.filter(pk=cluster.pk).update(phase=phase, conditions=[ready, *others])
    tasks_changed()


def test_a_developer_lands_on_the_portal_and_sees_clusters_and_quotas(
    page: Page, live_server, console_errors: list[str]
) -> None:
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    expect(page).to_have_url(live_server.url + reverse("portal:clusters"))
    expect(page.locator("#main h1")).to_have_text("My clusters")
    card = page.locator(f".cluster-card[data-cluster='{CLUSTER}']")
    expect(card.locator(".cluster-phase")).to_have_text("Provisioned")
    expect(card.locator("[data-nodes]")).to_contain_text("6 / 6")
    expect(card.get_by_role("link", name="Scale")).to_be_visible()
    expect(page.locator(".cluster-card")).to_have_count(1)  # storefront is not his

    page.get_by_role("link", name="My namespaces").click()
    ns = page.locator(".namespace-card[data-namespace='payments']")
    expect(ns.locator("[data-role]")).to_have_text("Can edit")
    cpu = ns.locator("[data-quota='CPU'] meter")
    expect(cpu).to_have_attribute("max", "60000")
    expect(ns.locator("[data-quota='CPU'] .quota-numbers")).to_contain_text("of 60.00 GHz")
    expect(ns.locator("[data-quota='vSAN Default Storage Policy']")).to_be_visible()
    expect(ns.get_by_role("link", name="Create cluster")).to_have_attribute(
        "href", reverse("workloads:cluster-create", args=["payments"])
    )
    assert console_errors == []


def test_no_serious_accessibility_violation_on_any_portal_page(
    page: Page, live_server, console_errors: list[str]
) -> None:
    found = on_each_page(page, live_server.url, serious_violations)
    assert found == dict.fromkeys(PAGES, []), found
    assert console_errors == []


def test_connect_commands_are_copied_as_shown(
    browser: Browser, live_server, console_errors: list[str]
) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
        page.get_by_role("link", name="Connect").first.click()
        block = page.locator("#connect-payments-payments-prod")
        commands = block.locator("pre[data-commands='cluster']")
        text = commands.text_content()
        assert text.splitlines()[-2:] == [
            "kubectl config use-context payments-prod",
            "kubectl get nodes",
        ]
        assert '"guest_cluster_name": "payments-prod"' in text and "/wcp/login" in text
        block.get_by_role("button", name="Copy: Commands for VKS cluster payments-prod").click()
        expect(block.locator(".copy-button")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == text

        supervisor = page.locator("pre[data-commands='supervisor']").text_content()
        assert "--certificate-authority=vks-portal-ca.crt --embed-certs" in supervisor
        assert page.locator("pre[data-commands='namespace']").text_content().splitlines()[1] == (
            "kubectl config use-context payments"
        )
    finally:
        context.close()
    assert console_errors == []


def test_scale_then_watch_it_live_with_notifications(
    page: Page, live_server, console_errors: list[str]
) -> None:
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    card = page.locator(f".cluster-card[data-cluster='{CLUSTER}']")
    # Scale opens the console's dialog as a modal over the portal page, which stays.
    card.get_by_role("link", name="Scale").click()
    dialog = page.get_by_role("dialog", name="Scale Node Pool")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Replicas").fill("4")
    dialog.get_by_role("button", name="Scale").click()
    expect(dialog).to_have_count(0)
    expect(page).to_have_url(live_server.url + reverse("portal:clusters"))
    assert (
        VksCluster.objects.get(name="payments-prod").spec["topology"]["nodePools"][0]["replicas"]
        == 4
    )
    # The card follows in place: the cluster has converged on 7 nodes.
    expect(card.locator("[data-nodes]")).to_contain_text("7 / 7")

    # It fails, then recovers, while the page stays open: the card follows, a notice each time.
    page.evaluate("window.__marker = 1")
    set_phase(
        "Failed",
        {
            "type": "Ready",
            "status": "False",
            "severity": "Error",
            "reason": "VipAllocationFailed",
            "message": "No free IP address in the load balancer range.",
        },
    )
    expect(card.locator(".cluster-phase")).to_have_text("Failed", timeout=LIVE_MS)
    toasts = page.locator("#portal-toasts")
    expect(toasts).to_have_attribute("aria-live", "polite")
    failed = toasts.locator(f"[data-notice='{CLUSTER}'][data-state='Failed']")
    expect(failed).to_contain_text("No free IP address in the load balancer range.")
    set_phase("Provisioned", {"type": "Ready", "status": "True"})
    expect(card.locator(".cluster-phase")).to_have_text("Provisioned", timeout=LIVE_MS)
    expect(toasts.locator("[data-state='Ready'] span")).to_have_text(
        f"VKS cluster {CLUSTER} is Ready.", timeout=LIVE_MS
    )
    failed.get_by_role("button").click()
    expect(failed).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    assert console_errors == []


@pytest.fixture
def phone(browser: Browser, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.on("pageerror", lambda error: console_errors.append(f"pageerror: {error}"))
    yield page
    context.close()


def test_every_page_fits_390_px(phone: Page, live_server, console_errors: list[str]) -> None:
    widths = on_each_page(
        phone,
        live_server.url,
        lambda page: page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        ),
    )
    assert all(scroll <= client for scroll, client in widths.values()), widths
    assert widths["portal:clusters"][1] == 390
    assert console_errors == []


def test_keyboard_alone(page: Page, live_server, console_errors: list[str]) -> None:
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    expect(page.locator("#main h1")).to_have_text("My clusters")

    def focused() -> str:
        return page.evaluate("document.activeElement.textContent.trim()")

    def tab_to(label: str, limit: int = 40, key: str = "Tab") -> None:
        for _ in range(limit):
            page.keyboard.press(key)
            if focused() == label:
                return
        raise AssertionError(f"{label!r} is not reachable with Tab")

    # The first Tab reaches the skip link, which moves focus to the page's content.
    page.keyboard.press("Tab")
    assert focused() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # A cluster's conditions open from the keyboard; then on to My namespaces.
    tab_to("Conditions (" + str(len(VksCluster.objects.get(name="payments-prod").conditions)) + ")")
    page.keyboard.press("Enter")
    expect(page.locator(".cluster-card .conditions")).to_have_attribute("open", "")
    tab_to("My namespaces", key="Shift+Tab")  # back up to the header's navigation
    page.keyboard.press("Enter")
    expect(page.locator("#main h1")).to_have_text("My namespaces")
    tab_to("Create cluster")
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        live_server.url + reverse("workloads:cluster-create", args=["payments"])
    )
    assert console_errors == []


def test_create_from_the_portal_then_follow_it_in_activity(
    page: Page, live_server, console_errors: list[str]
) -> None:
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    page.get_by_role("link", name="My namespaces").click()
    ns = page.locator(".namespace-card[data-namespace='payments']")
    ns.get_by_role("link", name="Create cluster").click()
    page.fill("#id_name", "web")
    page.locator("#main .form-footer").get_by_role("button", name="Create").click()
    expect(page).to_have_url(
        live_server.url + reverse("workloads:cluster-detail", args=["payments", "web"])
    )

    page.locator("details.user-menu > summary").click()
    page.get_by_role("link", name="Developer Portal").click()
    card = page.locator(".cluster-card[data-cluster='payments/web']")
    expect(card.locator(".cluster-phase")).to_have_text("Provisioned")

    # Activity: his task, completed; a failure of it is explained in full when asked.
    page.get_by_role("link", name="Activity").click()
    task = page.locator(".activity-item[data-task]", has_text="Create VKS cluster").filter(
        has=page.get_by_role("link", name="payments/web")
    )
    expect(task).to_contain_text("Completed")
    expect(task).to_contain_text("VSPHERE.LOCAL\\bob")
    made = VksCluster.objects.select_related("task").get(name="web").task
    why = "The VM class best-effort-medium is not bound to namespace payments."
    made.state, made.error = "error", why
    made.save()
    page.get_by_role("link", name="Failed").click()
    expect(page.get_by_role("link", name="Failed")).to_have_attribute("aria-current", "true")
    failed = page.locator(f".activity-item[data-task='{made.key}']")
    expect(failed).to_contain_text("Failed")
    expect(failed.locator(".task-more-body")).not_to_be_visible()
    failed.get_by_text("Why it failed").click()
    expect(failed.locator(".task-more-body")).to_have_text(why)
    # A change anywhere refreshes the list; the message stays open.
    page.evaluate("document.getElementById('portal-activity').dataset.before = '1'")
    tasks_changed()
    expect(page.locator("#portal-activity[data-before]")).to_have_count(0, timeout=LIVE_MS)
    expect(failed.locator(".task-more-body")).to_be_visible()
    page.get_by_role("link", name="Running").click()
    expect(page.locator(".activity-item[data-task]")).to_have_count(0)
    assert console_errors == []
