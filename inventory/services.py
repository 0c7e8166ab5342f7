"""Inventory operations people start: check permission and state, open the vCenter Task, and hand
the work to the engine once the transaction commits. Nothing here changes a VM or host directly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from inventory.models import Cluster, Host, ManagedEntity, Task, VirtualMachine
from inventory.permissions import Privilege, require
from inventory.tasklog import active_task_for, task_open
from inventory.tasks import task_run_task

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class InvalidState(Exception):
    """The object is not in a state that allows the operation (vim.fault.InvalidState)."""


class TaskInProgress(InvalidState):
    """Another task is already working on the object (the Automation API's RESOURCE_BUSY)."""


class MethodDisabled(InvalidState):
    """A solution that owns the object has disabled the method (vim.fault.MethodDisabled)."""


# VirtualMachine.managed_by of Supervisor control plane VMs (workloads.reconcilers.supervisors).
# vCenter disables their power operations (and deleting, migrating, editing): the Supervisor,
# through the ESX Agent Manager, owns their lifecycle.
SUPERVISOR_MANAGED_BY = "vSphere Supervisor"
SUPERVISOR_VM_METHODS_DISABLED = "The method is disabled by 'com.vmware.vim.eam'."


def power_disabled(vm: VirtualMachine) -> bool:
    return vm.managed_by == SUPERVISOR_MANAGED_BY


# (task name as the vSphere Client shows it, TaskInfo.descriptionId, engine operation)
VM_POWER_OPS = {
    "power_on": ("Power On virtual machine", "VirtualMachine.powerOn", "vm.power_on"),
    "power_off": ("Power Off virtual machine", "VirtualMachine.powerOff", "vm.power_off"),
    "reset": ("Reset virtual machine", "VirtualMachine.reset", "vm.reset"),
    "suspend": ("Suspend virtual machine", "VirtualMachine.suspend", "vm.suspend"),
}


def _start(
    *,
    name: str,
    description_id: str,
    operation: str,
    target: ManagedEntity,
    user,
    params: dict | None = None,
) -> Task:
    if active_task_for(target):
        raise TaskInProgress("Another task is already in progress.")
    task = task_open(
        name=name,
        description_id=description_id,
        operation=operation,
        target=target,
        user=user,
        params=params,
    )
    task_run_task.delay_on_commit(task.pk)
    return task


@transaction.atomic
def vm_power(*, vm: VirtualMachine, action: str, user: AbstractBaseUser) -> Task:
    """Power a VM on or off, reset or suspend it. Refused when the VM or its host is in the wrong
    state: power on needs it off or suspended, power off on or suspended, reset and suspend on."""
    require(user, Privilege.VM_POWER)
    if action not in VM_POWER_OPS:
        raise InvalidState(f"Unknown power operation {action!r}.")
    if vm.is_template:
        raise InvalidState("The operation is not supported on a template.")
    if power_disabled(vm):
        raise MethodDisabled(SUPERVISOR_VM_METHODS_DISABLED)
    state = vm.get_power_state_display()
    if action == "power_on":
        if vm.is_powered_on:
            raise InvalidState(
                f"The attempted operation cannot be performed in the current state ({state})."
            )
        if vm.host.in_maintenance_mode:
            raise InvalidState("The operation is not allowed in the current state of the host.")
    elif action == "power_off":
        if vm.power_state == VirtualMachine.PowerState.OFF:
            raise InvalidState(
                f"The attempted operation cannot be performed in the current state ({state})."
            )
    elif not vm.is_powered_on:
        raise InvalidState(
            f"The attempted operation cannot be performed in the current state ({state})."
        )
    name, description_id, operation = VM_POWER_OPS[action]
    return _start(
        name=name, description_id=description_id, operation=operation, target=vm, user=user
    )


@transaction.atomic
def host_maintenance(
    *, host: Host, enter: bool, user: AbstractBaseUser, evacuate_powered_off: bool = False
) -> Task:
    """Enter or exit maintenance mode; entering evacuates powered-on VMs through DRS, and the
    powered-off and suspended ones too with `evacuate_powered_off` (evacuatePoweredOffVms)."""
    require(user, Privilege.HOST_MAINTENANCE)
    if host.in_maintenance_mode == enter:
        raise InvalidState("The operation is not allowed in the current state.")
    if host.connection_state != Host.ConnectionState.CONNECTED:
        raise InvalidState(
            "The operation is not allowed in the current connection state of the host."
        )
    if enter:
        return _start(
            name="Enter maintenance mode",
            description_id="HostSystem.enterMaintenanceMode",
            operation="host.enter_maintenance",
            target=host,
            user=user,
            params={"evacuate_powered_off": bool(evacuate_powered_off)},
        )
    return _start(
        name="Exit maintenance mode",
        description_id="HostSystem.exitMaintenanceMode",
        operation="host.exit_maintenance",
        target=host,
        user=user,
    )


@transaction.atomic
def cluster_reconfigure(
    *,
    cluster: Cluster,
    drs_enabled: bool,
    drs_automation_level: str,
    ha_enabled: bool,
    user: AbstractBaseUser,
) -> Task | None:
    """Ask for these vSphere DRS and HA settings (ClusterComputeResource.reconfigureEx); the
    engine applies them. Returns None, opening no task, when they are already the cluster's.
    A bad automation level raises ValidationError at that field and changes nothing."""
    require(user, Privilege.CLUSTER_EDIT)
    if drs_automation_level not in Cluster.DrsAutomation.values:
        labels = ", ".join(str(label) for label in Cluster.DrsAutomation.labels)
        raise ValidationError(
            {"drs_automation_level": f"Choose a DRS automation level: {labels}."},
            code="invalid_choice",
        )
    # Locked, and read fresh: two administrators saving at once take turns, and the second one
    # sees the first one's task (PostgreSQL row lock; SQLite's write transaction does the same).
    cluster = (
        Cluster.objects.select_for_update(of=("self",))  # the cluster's row, not its datacenter's
        .select_related("datacenter")
        .get(pk=cluster.pk)
    )
    if active_task_for(cluster):
        # Before the no-op check: a queued reconfigure may be about to change what we compare.
        raise TaskInProgress("Another task is already in progress.")
    wanted = {
        "drs_enabled": bool(drs_enabled),
        "drs_automation_level": drs_automation_level,
        "ha_enabled": bool(ha_enabled),
    }
    if all(getattr(cluster, field) == value for field, value in wanted.items()):
        return None
    return _start(
        name="Reconfigure cluster",
        description_id="ClusterComputeResource.reconfigureEx",
        operation="cluster.reconfigure",
        target=cluster,
        user=user,
        params=wanted,
    )
