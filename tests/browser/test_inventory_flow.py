"""The vSphere Client in a real browser: navigate the Hosts and Clusters tree, power a VM off and
watch Recent Tasks and the Summary update in place; find a host through global search."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from inventory.estates import demo
from inventory.models import Datacenter, Host, VCenter, VirtualMachine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _demo_estate(transactional_db) -> None:
    """Transactional tests end with a flush, so an earlier one may have emptied the database;
    loading is idempotent when the estate is already there."""
    demo.load()


def expand(page: Page, moid: str) -> None:
    """Open a navigator node by its disclosure triangle (the summary's left edge: the link in
    the summary navigates instead) and wait for its children to load."""
    node = page.locator(f".tree-node[data-moid='{moid}']")
    node.locator("> details > summary").click(position={"x": 4, "y": 8})
    expect(node.locator("> details > .tree-children > .tree-node").first).to_be_visible()


def test_power_off_from_tree_updates_tasks_and_summary_in_place(
    admin_page: Page, console_errors: list[str]
) -> None:
    page = admin_page
    vcenter = VCenter.objects.get()
    datacenter = Datacenter.objects.get(name=demo.DATACENTER)
    host = Host.objects.filter(cluster__name=demo.WORKLOAD_01).order_by("name").first()
    vm = (
        VirtualMachine.objects.filter(host=host, power_state="poweredOn", is_template=False)
        .order_by("name")
        .first()
    )
    assert vm is not None, f"{host.name} runs no powered-on VM"

    # The vCenter root opens by itself; the rest opens one level at a time.
    expect(page.locator(f".tree-node[data-moid='{datacenter.moid}']")).to_be_visible()
    assert page.locator(f".tree-node[data-moid='{vcenter.moid}'] > details[open]").count() == 1
    expand(page, datacenter.moid)
    expand(page, host.cluster.moid)
    expand(page, host.moid)
    page.locator(f".tree-node[data-moid='{vm.moid}'] a.tree-link").click()

    main = page.locator(f"#main[data-moid='{vm.moid}']")
    expect(main.locator("h1")).to_have_text(vm.name)
    expect(main.locator("[data-power-state]")).to_have_attribute("data-power-state", "poweredOn")

    page.evaluate("window.__marker = 1")  # gone if anything below reloads the page
    main.get_by_role("button", name="Actions").click()
    main.get_by_role("menuitem", name="Power Off").click()
    dialog = page.get_by_role("dialog", name="Confirm Power Off")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"power off {vm.name}?")
    assert page.evaluate("document.querySelector('#modal dialog').matches(':modal')")
    dialog.get_by_role("button", name="Yes").click()
    expect(dialog).to_be_hidden()

    done = page.locator("#recent-tasks tr.task-success", has_text="Power Off virtual machine")
    expect(done.filter(has_text=vm.name)).to_be_visible()
    expect(main.locator("[data-power-state]")).to_have_attribute("data-power-state", "poweredOff")
    main.get_by_role("button", name="Actions").click()
    expect(main.get_by_role("menuitem", name="Power On")).not_to_have_attribute(
        "aria-disabled", "true"
    )
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    vm.refresh_from_db()
    assert vm.power_state == "poweredOff"
    assert console_errors == []


def test_global_search_finds_a_host_and_opens_its_summary(
    admin_page: Page, console_errors: list[str]
) -> None:
    page = admin_page
    host = Host.objects.filter(cluster__name=demo.WORKLOAD_02).order_by("name").first()

    search = page.get_by_role("combobox", name="Search in all environments")
    search.fill(host.name)
    search.press("Enter")

    hit = page.locator(f"#search-results tr[data-moid='{host.moid}'] a")
    expect(hit).to_have_text(host.name)
    hit.click()
    expect(page.locator(f"#main[data-moid='{host.moid}'] h1")).to_have_text(host.name)
    expect(page.locator("#main [data-host-state]")).to_be_visible()
    assert console_errors == []
