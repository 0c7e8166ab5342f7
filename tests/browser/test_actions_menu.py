"""The ACTIONS menu, its confirmations and Recent Tasks in a real browser: Enter Maintenance Mode
with its option, the menu by keyboard alone, and the pane's filter with a failure's message
opened on demand."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from inventory.estates import demo
from inventory.models import Host, VirtualMachine
from tests.factories import finished_vm_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _demo_estate(transactional_db) -> None:
    demo.load()


def open_object(page: Page, live_server, moid: str) -> None:
    page.goto(f"{live_server.url}/ui/{moid}/summary/")
    expect(page.locator(f"#main[data-moid='{moid}'] h1")).to_be_visible()
    expect(page.locator("#recent-tasks .pane-filter")).to_be_visible()  # the pane has loaded


def running_vm() -> VirtualMachine:
    """A powered-on VM whose power the user may change (no Supervisor control plane VM)."""
    on = VirtualMachine.objects.filter(power_state="poweredOn", is_template=False, managed_by="")
    return on.order_by("name").first()


def test_enter_maintenance_mode_with_the_option_moves_powered_off_vms(
    admin_page: Page, live_server, console_errors: list[str]
) -> None:
    page = admin_page
    host = Host.objects.filter(cluster__name=demo.WORKLOAD_01).order_by("name").first()
    stopped = list(host.vms.exclude(power_state="poweredOn").values_list("moid", flat=True))
    assert stopped, f"{host.name} has powered-off VMs"
    open_object(page, live_server, host.moid)

    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Enter Maintenance Mode").click()
    dialog = page.get_by_role("dialog", name="Enter Maintenance Mode")
    option = dialog.get_by_label(
        "Move powered-off and suspended virtual machines to other hosts in the cluster"
    )
    expect(option).not_to_be_checked()
    option.check()
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_be_hidden()

    done = page.locator("#recent-tasks tr.task-success", has_text="Enter maintenance mode")
    expect(done.filter(has_text=host.name)).to_be_visible()
    expect(page.locator("#main [data-host-state]")).to_have_attribute(
        "data-host-state", "maintenance"
    )
    assert not VirtualMachine.objects.filter(host=host).exists(), "powered-off VMs moved too"
    assert console_errors == []


def test_actions_menu_and_confirmation_by_keyboard_alone(
    admin_page: Page, live_server, console_errors: list[str]
) -> None:
    page = admin_page
    vm = running_vm()
    open_object(page, live_server, vm.moid)
    button = page.get_by_role("button", name="Actions")
    button.focus()

    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    power_on = page.get_by_role("menuitem", name="Power On")
    expect(power_on).to_be_focused()
    expect(power_on).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_be_hidden()
    expect(button).to_be_focused()

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Power Off")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Confirm Power Off")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Yes")).to_be_focused()
    page.keyboard.press("Escape")  # the native modal's Cancel
    expect(dialog).to_be_hidden()
    expect(page.locator("#main .actions-button")).to_be_focused()

    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Enter")  # Yes
    expect(dialog).to_be_hidden()
    expect(page.locator("#main [data-power-state]")).to_have_attribute(
        "data-power-state", "poweredOff"
    )
    assert console_errors == []


def test_recent_tasks_filter_and_a_failed_tasks_message_on_demand(
    admin_page: Page, live_server, console_errors: list[str]
) -> None:
    page = admin_page
    admin = get_user_model().objects.get(username="administrator@vsphere.local")
    vm = VirtualMachine.objects.filter(is_template=False).order_by("name").first()
    message = "Insufficient resources to migrate the powered-on virtual machines: " * 3
    failed = finished_vm_task(vm, admin, "reset", error=message.strip())
    done = finished_vm_task(vm, admin, "power_on")
    open_object(page, live_server, vm.moid)
    pane = page.locator("#recent-tasks")
    failed_row = pane.locator(f"tr[data-task='{failed.key}']")
    expect(pane.locator(f"tr[data-task='{done.key}']")).to_be_visible()

    # One line a task: the failed row is no taller than the completed one.
    heights = [
        pane.locator(f"tr[data-task='{key}']").bounding_box()["height"]
        for key in (failed.key, done.key)
    ]
    assert heights[0] <= heights[1] + 1, heights

    pane.get_by_role("button", name="Failed").click()
    expect(pane.get_by_role("button", name="Failed")).to_have_attribute("aria-pressed", "true")
    expect(pane.locator(f"tr[data-task='{done.key}']")).to_have_count(0)
    expect(failed_row).to_be_visible()

    full = failed_row.locator(".task-more-body")
    expect(full).to_be_hidden()
    failed_row.locator(".task-more > summary").click()
    expect(full).to_be_visible()
    expect(full).to_have_text(message.strip())

    # A new task moves the version: the next poll replaces the pane, keeping the filter and the
    # open message.
    version = pane.get_attribute("data-version")
    later = finished_vm_task(vm, admin, "power_off")
    expect(pane).not_to_have_attribute("data-version", version, timeout=6_000)
    expect(pane).to_have_attribute("data-filter", "failed")
    expect(pane.locator(f"tr[data-task='{later.key}']")).to_have_count(0)
    expect(
        page.locator(f"#recent-tasks tr[data-task='{failed.key}'] .task-more-body")
    ).to_be_visible()
    assert console_errors == []


def test_a_refusal_shows_inside_the_dialog(
    admin_page: Page, live_server, console_errors: list[str]
) -> None:
    page = admin_page
    vm = running_vm()
    open_object(page, live_server, vm.moid)
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Reset").click()
    dialog = page.get_by_role("dialog", name="Confirm Reset")
    expect(dialog).to_be_visible()
    # Someone else powers it off while the dialog is open.
    VirtualMachine.objects.filter(pk=vm.pk).update(power_state="poweredOff")
    dialog.get_by_role("button", name="Yes").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("cannot be performed in the current state (Powered Off)")
    expect(alert).to_be_in_viewport()
    expect(dialog).to_be_visible()
    expect(page.locator("#alerts .alert")).to_have_count(0)
    # The browser logs the 409 response as a console error; nothing else may appear.
    assert all("409" in error for error in console_errors), console_errors
