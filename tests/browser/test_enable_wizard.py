"""Enable Workload Management in a real browser: Get Started, the seven wizard steps (with one
validation error fixed on the way), Finish, and the Supervisor page reaching Running.

Celery is eager and simulated time instant in tests, so the reconciler converges while the
FINISH request commits; the page the browser lands on already shows the result."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from inventory.estates import demo
from workloads.models import Supervisor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _demo_estate(transactional_db) -> None:
    demo.load()  # idempotent; an earlier transactional test may have flushed the database


def next_step(page: Page, section: str) -> None:
    page.locator("#wizard button[value=next]").click()
    expect(page.locator(f"#wizard[data-step='{section}']")).to_be_visible()


def test_enable_supervisor_through_the_wizard(admin_page: Page, console_errors: list[str]) -> None:
    page = admin_page
    page.locator("details.menu > summary").click()
    page.get_by_role("link", name="Workload Management").click()
    expect(page.locator("#main h1")).to_have_text("Workload Management")
    expect(page.locator(".compatibility tr.incompatible")).to_contain_text("Fully Automated")
    page.get_by_role("link", name="Get Started").click()

    # 1 vCenter Server and Network: VDS with NSX Advanced Load Balancer is preselected.
    expect(page.locator("#wizard[data-step='network_stack']")).to_be_visible()
    expect(page.get_by_label("vSphere Distributed Switch (VDS)")).to_be_checked()
    page.evaluate("window.__marker = 1")  # gone if a step reloads the page
    next_step(page, "placement")

    # 2 Supervisor location: the incompatible cluster cannot be picked.
    expect(page.get_by_label("Management-Cluster")).to_be_disabled()
    page.fill("#id_name", "supervisor-01")
    page.get_by_label("Workload-Cluster-01").check()
    next_step(page, "storage")

    # 3 Storage
    for name in ("control_plane_policy", "ephemeral_policy", "image_cache_policy"):
        page.select_option(f"#id_{name}", label="vSAN Default Storage Policy")
    next_step(page, "load_balancer")

    # 4 Load Balancer, with a malformed range first.
    page.fill("#id_name", "avi-lb")
    page.fill("#id_server", "avi-controller.corp.vmbeans.com:443")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "VMware1!")
    page.fill("#id_address_ranges", "10.10.30.64-10.10.30")
    next_step(page, "load_balancer")
    error = page.locator("[data-field='address_ranges'] .field-error")
    expect(error).to_contain_text("is not a range of IPv4 addresses")
    page.fill("#id_address_ranges", "10.10.30.64-10.10.30.127")
    next_step(page, "management_network")  # the password was kept: not typed again

    # 5 Management Network: static, 5 addresses prefilled.
    expect(page.locator("#id_address_count")).to_have_value("5")
    page.select_option("#id_network", label="Management (DSwitch-01)")
    page.fill("#id_starting_address", "10.10.10.100")
    page.fill("#id_subnet_mask", "255.255.255.0")
    page.fill("#id_gateway", "10.10.10.1")
    page.fill("#id_dns_servers", "10.10.10.5")
    page.fill("#id_dns_search_domains", "corp.vmbeans.com")
    page.fill("#id_ntp_servers", "pool.ntp.org")
    next_step(page, "workload_network")

    # 6 Workload Network: services CIDR prefilled.
    expect(page.locator("#id_services_cidr")).to_have_value("10.96.0.0/23")
    page.select_option("#id_network", label="Workload-Network (DSwitch-01)")
    page.fill("#id_gateway", "10.10.20.1")
    page.fill("#id_subnet_mask", "255.255.255.0")
    page.fill("#id_address_ranges", "10.10.20.10-10.10.20.200")
    page.fill("#id_dns_servers", "10.10.10.5")
    next_step(page, "size")

    # 7 Review and Confirm
    expect(page.locator(".review")).to_contain_text("10.10.30.64-10.10.30.127")
    page.locator(".size-card", has_text="Tiny").click()
    assert page.evaluate("window.__marker") == 1, "a wizard step reloaded the page"
    page.locator("#wizard button[value=next]").click()  # FINISH

    sup = page.locator("#main.supervisor-view")
    expect(sup.locator("h1")).to_have_text("supervisor-01")
    expect(sup.locator(".object-title .config-status")).to_have_text("Running")
    expect(sup.locator("[data-condition='HostsConfigured']")).to_have_attribute(
        "data-status", "True"
    )
    done = page.locator("#recent-tasks tr.task-success", has_text="Enable Supervisor")
    expect(done).to_contain_text("Completed")
    assert Supervisor.objects.get().config_status == "RUNNING"
    assert console_errors == []
