"""The ACTIONS menu of object pages, the confirmations of Power Off, Reset, Suspend and Enter
Maintenance Mode (a dialog for htmx, a page without JavaScript), and Recent Tasks' filter."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import Host, Task, VirtualMachine
from tests.factories import finished_vm_task

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
IN_DIALOG = {**HTMX, "HTTP_HX_TARGET": "dialog-form"}


def page(moid: str) -> str:
    return reverse("inventory:object", kwargs={"moid": moid, "tab": "summary"})


def action(moid: str, name: str) -> str:
    return reverse("inventory:action", args=[moid, name])


def menu_entries(html: str) -> dict[str, bool]:
    """Each ACTIONS entry's label, and whether it is enabled."""
    start = html.index('class="actions-menu"')
    menu = html[start : html.index("</details>", start)]
    entries = {}
    item = r'(<[^>]*role="menuitem"[^>]*>)(?:\s*<svg.*?</svg>)?\s*([^<]+)<'
    for tag, label in re.findall(item, menu):
        entries[label.strip()] = 'aria-disabled="true"' not in tag
    return entries


def test_vm_menu_lists_power_operations_enabled_as_its_state_allows(admin_client, vm_on):
    html = admin_client.get(page(vm_on.moid)).content.decode()
    assert menu_entries(html) == {
        "Power On": False,
        "Power Off": True,
        "Suspend": True,
        "Reset": True,
    }
    assert 'title="The virtual machine is powered on."' in html


def test_host_menu_offers_maintenance_mode_and_settings(admin_client, workload_host):
    html = admin_client.get(page(workload_host.moid)).content.decode()
    assert menu_entries(html) == {
        "Enter Maintenance Mode": True,
        "Exit Maintenance Mode": False,
        "Settings": True,
    }


def test_read_only_user_sees_no_power_entries(client, auditor, vm_on):
    client.force_login(auditor)
    html = client.get(page(vm_on.moid)).content.decode()
    assert "Power Off" not in html
    assert client.get(action(vm_on.moid, "power-off")).status_code == 403


def test_supervisor_control_plane_vm_power_is_disabled_in_the_menu_and_refused(admin_client, vm_on):
    VirtualMachine.objects.filter(pk=vm_on.pk).update(managed_by="vSphere Supervisor")
    html = admin_client.get(page(vm_on.moid)).content.decode()
    assert not any(menu_entries(html).values()), "every power entry disabled"
    assert "Managed by vSphere Supervisor" in html
    dialog = admin_client.get(action(vm_on.moid, "power-off"), **HTMX).content.decode()
    assert re.search(r'<button type="submit"[^>]*disabled', dialog), "nothing to confirm"
    # The server refuses it too, whatever the page showed.
    response = admin_client.post(action(vm_on.moid, "power-off"), **IN_DIALOG)
    assert response.status_code == 409
    assert b"The method is disabled by &#x27;com.vmware.vim.eam&#x27;" in response.content
    assert "HX-Retarget" not in response, "inside the dialog that asked"
    assert not Task.objects.exists()


def test_confirmation_is_a_dialog_for_htmx_and_a_page_without_javascript(admin_client, vm_on):
    dialog = admin_client.get(action(vm_on.moid, "power-off"), **HTMX).content.decode()
    assert dialog.lstrip().startswith("<dialog"), "the dialog alone, opened by the client"
    assert "Confirm Power Off" in dialog and f"power off {vm_on.name}?" in dialog
    assert " open" not in dialog.split(">")[0], "opened as a modal by the client"
    full = admin_client.get(action(vm_on.moid, "power-off")).content.decode()
    assert "<html" in full and re.search(r"<dialog [^>]* open>", full)
    assert 'name="csrfmiddlewaretoken"' in full


def test_confirmed_power_off_without_javascript_redirects_back(
    admin_client, vm_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(action(vm_on.moid, "power-off"))
    assert response.status_code == 302 and response["Location"] == page(vm_on.moid)
    vm_on.refresh_from_db()
    assert vm_on.power_state == "poweredOff"


def test_refusal_without_javascript_shows_the_confirmation_again_with_the_reason(
    admin_client, vm_off
):
    response = admin_client.post(action(vm_off.moid, "reset"))
    assert response.status_code == 409
    assert b"Confirm Reset" in response.content
    assert b"cannot be performed in the current state (Powered Off)" in response.content
    assert not Task.objects.exists()


def test_confirmations_need_a_csrf_token(admin, vm_on):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(action(vm_on.moid, "suspend")).status_code == 403
    assert not Task.objects.exists()


def test_confirmation_of_an_action_the_object_lacks_is_404(admin_client, workload_host, vm_on):
    assert admin_client.get(action(workload_host.moid, "power-off")).status_code == 404
    assert admin_client.get(action(vm_on.moid, "enter-maintenance")).status_code == 404


def test_enter_maintenance_option_moves_powered_off_vms(
    admin_client, workload_host, django_capture_on_commit_callbacks
):
    dialog = admin_client.get(action(workload_host.moid, "enter-maintenance"), **HTMX)
    assert b"Move powered-off and suspended virtual machines to other hosts" in dialog.content
    assert workload_host.vms.exclude(power_state="poweredOn").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            action(workload_host.moid, "enter-maintenance"),
            {"evacuate_powered_off": "on"},
            **IN_DIALOG,
        )
    assert response.status_code == 204
    workload_host.refresh_from_db()
    assert workload_host.in_maintenance_mode
    assert not workload_host.vms.exists()


def test_enter_maintenance_option_must_be_a_checkbox_value(admin_client, workload_host):
    response = admin_client.post(
        action(workload_host.moid, "enter-maintenance"),
        {"evacuate_powered_off": "yes please"},
        **IN_DIALOG,
    )
    assert response.status_code == 400
    assert b"evacuate_powered_off" in response.content
    assert not Task.objects.exists()
    assert not Host.objects.get(pk=workload_host.pk).in_maintenance_mode


# ---------------------------------------------------------------- Recent Tasks


@pytest.fixture
def failed_and_done(admin, vm_on, vm_off):
    failed = finished_vm_task(
        vm_off, admin, "reset", error="The attempted operation cannot be performed " * 8
    )
    return failed, finished_vm_task(vm_on, admin, "power_off")


def test_recent_tasks_filter_shows_only_failed_tasks_and_keeps_it_in_its_poll(
    admin_client, failed_and_done
):
    failed, done = failed_and_done
    pane = admin_client.get(reverse("inventory:recent-tasks"), {"filter": "failed"}, **HTMX)
    html = pane.content.decode()
    assert f'data-task="{failed.key}"' in html and f'data-task="{done.key}"' not in html
    assert re.search(r'hx-get="[^"]*\?v=[^"&]+&amp;filter=failed"', html), "the poll keeps it"
    assert re.search(r'aria-pressed="true" data-task-filter="failed"', html)
    # The whole message is there, on demand; the row itself shows one ellipsised line.
    assert '<details class="task-more"' in html
    running = admin_client.get(reverse("inventory:recent-tasks"), {"filter": "running"}, **HTMX)
    assert b"No running tasks" in running.content
    # The choice outlives the page: the next page's pane loads with it.
    assert admin_client.session["tasks_filter"] == "running"
    again = admin_client.get(reverse("inventory:recent-tasks"), **HTMX)
    assert again.content == running.content or b"No running tasks" in again.content


def test_recent_tasks_unknown_filter_is_400(admin_client):
    response = admin_client.get(reverse("inventory:recent-tasks"), {"filter": "everything"})
    assert response.status_code == 400
    assert b"choose all, running or failed" in response.content
