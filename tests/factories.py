"""Inputs tests share: what the enable wizard posts for the demo estate (the demo's own), and
finished vCenter tasks for the Recent Tasks pane."""

from __future__ import annotations

from inventory.services import VM_POWER_OPS
from inventory.tasklog import task_finish, task_open
from workloads.demo import supervisor_raw_spec

__all__ = ["finished_vm_task", "supervisor_raw_spec"]


def finished_vm_task(vm, user, action: str, *, error: str = ""):
    """A VM power task (`action` as in VM_POWER_OPS), completed or failed with `error`; the VM
    itself is left as it is."""
    name, description_id, operation = VM_POWER_OPS[action]
    task = task_open(
        name=name, description_id=description_id, operation=operation, target=vm, user=user
    )
    task_finish(task, error=error)
    return task
