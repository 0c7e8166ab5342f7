"""The ACTIONS menu of an object page and the confirmations some of its operations ask for.

An entry is listed when the object supports the operation and the user holds its privilege; it is
disabled, with the reason, when the object's state or the solution that owns it forbids it (the
services refuse the same, whatever the menu shows)."""

from __future__ import annotations

from dataclasses import dataclass

from inventory.entities import object_path
from inventory.models import Cluster, Host, VirtualMachine
from inventory.permissions import Privilege, has
from inventory.services import power_disabled


@dataclass(frozen=True)
class MenuItem:
    label: str
    icon: str
    group: str = ""  # the vSphere Client's submenu the entry sits in (Power, Maintenance Mode)
    action: str = ""  # an inventory action (POST); empty for a link
    reason: str = ""  # why the entry is disabled; empty when it is enabled
    href: str = ""  # the page a link opens
    confirm: bool = False  # the action's confirmation opens first (GET of the action)

    @property
    def enabled(self) -> bool:
        return not self.reason


@dataclass(frozen=True)
class Confirmation:
    title: str
    question: str  # with {name}: the object's name
    detail: str = ""
    submit: str = "Yes"
    cancel: str = "No"


CONFIRMATIONS = {
    "power-off": Confirmation(
        "Confirm Power Off",
        "Are you sure you want to power off {name}?",
        "Powering off a virtual machine interrupts everything running in its guest operating "
        "system and may lose unsaved data. To shut the guest down cleanly, use Shut Down Guest OS.",
    ),
    "reset": Confirmation(
        "Confirm Reset",
        "Are you sure you want to reset {name}?",
        "Resetting a virtual machine restarts it without shutting down its guest operating "
        "system: unsaved data is lost.",
    ),
    "suspend": Confirmation(
        "Confirm Suspend",
        "Are you sure you want to suspend {name}?",
        "Its memory is written to its datastore and it stops running until it is powered on.",
    ),
    "enter-maintenance": Confirmation(
        "Enter Maintenance Mode",
        "Put {name} into maintenance mode?",
        "A host in maintenance mode runs no virtual machines and accepts no new ones. DRS migrates "
        "the powered-on virtual machines to other hosts in the cluster; the task does not "
        "complete until they have moved. You can exit maintenance mode at any time.",
        submit="OK",
        cancel="Cancel",
    ),
}

SUPERVISOR_VM = "Managed by vSphere Supervisor: its control plane VMs cannot be powered by hand."


def object_actions(entity, user) -> list[MenuItem]:
    """The ACTIONS menu of `entity` for `user`, in the vSphere Client's order."""
    items: list[MenuItem] = []
    if isinstance(entity, VirtualMachine):
        if not entity.is_template and has(user, Privilege.VM_POWER):
            items += _power_items(entity)
    elif isinstance(entity, Host):
        if has(user, Privilege.HOST_MAINTENANCE):
            items += _maintenance_items(entity)
        items.append(_settings(entity))
    elif isinstance(entity, Cluster):
        items.append(_settings(entity))
    return items


def _power_items(vm: VirtualMachine) -> list[MenuItem]:
    state = vm.power_state
    off, on = VirtualMachine.PowerState.OFF, VirtualMachine.PowerState.ON
    label = vm.get_power_state_display().lower()
    host_down = vm.host.in_maintenance_mode

    def why(allowed: bool, extra: str = "") -> str:
        if power_disabled(vm):
            return SUPERVISOR_VM
        return extra or ("" if allowed else f"The virtual machine is {label}.")

    maintenance = "Its host is in maintenance mode." if host_down and state != on else ""
    return [
        MenuItem("Power On", "power-on", "Power", "power-on", why(state != on, maintenance)),
        MenuItem("Power Off", "power-off", "Power", "power-off", why(state != off), confirm=True),
        MenuItem("Suspend", "suspend", "Power", "suspend", why(state == on), confirm=True),
        MenuItem("Reset", "reset", "Power", "reset", why(state == on), confirm=True),
    ]


def _maintenance_items(host: Host) -> list[MenuItem]:
    group = "Maintenance Mode"
    connected = host.connection_state == Host.ConnectionState.CONNECTED
    enter_reason = (
        "The host is in maintenance mode."
        if host.in_maintenance_mode
        else ("" if connected else f"The host is {host.get_connection_state_display().lower()}.")
    )
    exit_why = "" if host.in_maintenance_mode else "The host is not in maintenance mode."
    return [
        MenuItem(
            "Enter Maintenance Mode",
            "maintenance-enter",
            group,
            "enter-maintenance",
            enter_reason,
            confirm=True,
        ),
        MenuItem("Exit Maintenance Mode", "maintenance-exit", group, "exit-maintenance", exit_why),
    ]


def _settings(entity) -> MenuItem:
    return MenuItem("Settings", "settings", href=object_path(entity.moid, "configure"))


def item_for(entity, user, action: str) -> MenuItem | None:
    """The menu entry of `action` on `entity`, if the user's menu lists it."""
    return next((item for item in object_actions(entity, user) if item.action == action), None)
