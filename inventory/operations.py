"""The engine behind inventory tasks: each pass looks at the world, takes one bounded step toward
what the task asks, and says when it wants the next pass.

Steps are derived from what exists now (is the VM already off? which VMs are still on the host?),
never from remembered history, so a duplicate message or a worker killed mid-pass only delays the
task. Simulated durations are data: a step is due when `now - started_at` has passed its length.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from inventory.models import Cluster, Host, Task, VirtualMachine
from inventory.tasklog import event_log, task_finish, tasks_changed

# Real-world durations in seconds, divided by VKS_SIM_SPEED.
DURATION = {
    "vm.power_on": 4.0,
    "vm.power_off": 3.0,
    "vm.reset": 5.0,
    "vm.suspend": 6.0,  # the memory written to the datastore
    "host.vmotion": 12.0,  # one VM's live migration while a host evacuates
    "host.exit_maintenance": 4.0,
    "cluster.reconfigure": 2.0,
}
MAX_ATTEMPTS = 5
logger = logging.getLogger(__name__)


class OperationError(Exception):
    """The operation cannot go on: the task fails with this message, as vCenter's would."""


@dataclass
class Step:
    done: bool = False
    progress: int = 0
    stage: str = ""
    wait: float = 0.0  # seconds until the next pass


def sim_seconds(operation: str) -> float:
    return DURATION[operation] / settings.VKS_SIM_SPEED


def _remaining(task: Task, operation: str, now: datetime) -> float:
    return sim_seconds(operation) - (now - task.started_at).total_seconds()


def _usage_fraction(vm: VirtualMachine, low: float, high: float) -> float:
    """A stable pseudo-random share per VM, so the same VM always looks equally busy."""
    digest = hashlib.blake2s(vm.moid.encode(), digest_size=2).digest()
    return low + (high - low) * int.from_bytes(digest) / 0xFFFF


def mark_running(vm: VirtualMachine, host: Host, boot_time: datetime) -> None:
    """Powered on, with the stable usage this VM always shows when running (not saved)."""
    vm.power_state = VirtualMachine.PowerState.ON
    vm.boot_time = boot_time
    vm.cpu_usage_mhz = int(vm.num_cpu * host.cpu_mhz * _usage_fraction(vm, 0.04, 0.35))
    vm.memory_usage_mib = int(vm.memory_mib * _usage_fraction(vm, 0.2, 0.7))


def _vm(task: Task) -> VirtualMachine:
    return VirtualMachine.objects.select_related("host__cluster__datacenter").get(
        moid=task.target_moid
    )


def _where(vm: VirtualMachine) -> str:
    return f"{vm.name} on {vm.host.name} in {vm.host.cluster.datacenter.name}"


def vm_power_on_step(task: Task, now: datetime) -> Step:
    vm = _vm(task)
    if vm.is_powered_on:
        return Step(done=True)
    if vm.host.in_maintenance_mode:
        raise OperationError("The operation is not allowed in the current state of the host.")
    left = _remaining(task, "vm.power_on", now)
    if left > 0:
        return Step(progress=50, stage="Powering on the virtual machine", wait=left)
    mark_running(vm, vm.host, now)
    vm.save(update_fields=["power_state", "boot_time", "cpu_usage_mhz", "memory_usage_mib"])
    event_log(event_type="VmPoweredOnEvent", message=f"{_where(vm)} is powered on", entity=vm)
    return Step(done=True)


def _stop(vm: VirtualMachine, state: str) -> None:
    """Powered off or suspended: not running, so no boot time and no usage (saved)."""
    vm.power_state = state
    vm.boot_time = None
    vm.cpu_usage_mhz = vm.memory_usage_mib = 0
    vm.save(update_fields=["power_state", "boot_time", "cpu_usage_mhz", "memory_usage_mib"])


def vm_power_off_step(task: Task, now: datetime) -> Step:
    vm = _vm(task)
    if vm.power_state == VirtualMachine.PowerState.OFF:
        return Step(done=True)
    left = _remaining(task, "vm.power_off", now)
    if left > 0:
        return Step(progress=50, stage="Powering off the virtual machine", wait=left)
    _stop(vm, VirtualMachine.PowerState.OFF)
    event_log(event_type="VmPoweredOffEvent", message=f"{_where(vm)} is powered off", entity=vm)
    return Step(done=True)


def vm_reset_step(task: Task, now: datetime) -> Step:
    vm = _vm(task)
    if not vm.is_powered_on:
        raise OperationError(
            "The attempted operation cannot be performed in the current state (Powered off)."
        )
    if vm.boot_time and vm.boot_time >= task.started_at:
        return Step(done=True)  # an earlier pass reset it already
    left = _remaining(task, "vm.reset", now)
    if left > 0:
        return Step(progress=50, stage="Resetting the virtual machine", wait=left)
    vm.boot_time = now
    vm.save(update_fields=["boot_time"])
    event_log(event_type="VmResettingEvent", message=f"{_where(vm)} is reset", entity=vm)
    return Step(done=True)


def vm_suspend_step(task: Task, now: datetime) -> Step:
    vm = _vm(task)
    if vm.power_state == VirtualMachine.PowerState.SUSPENDED:
        return Step(done=True)
    if not vm.is_powered_on:
        raise OperationError(
            "The attempted operation cannot be performed in the current state (Powered off)."
        )
    left = _remaining(task, "vm.suspend", now)
    if left > 0:
        return Step(progress=50, stage="Suspending the virtual machine", wait=left)
    _stop(vm, VirtualMachine.PowerState.SUSPENDED)
    event_log(event_type="VmSuspendedEvent", message=f"{_where(vm)} is suspended", entity=vm)
    return Step(done=True)


def _host(task: Task) -> Host:
    return Host.objects.select_related("cluster__datacenter").get(moid=task.target_moid)


def _migration_target(host: Host) -> Host | None:
    """DRS's pick, simplified: the connected, powered-on peer running the fewest powered-on VMs."""
    return (
        Host.objects.filter(
            cluster_id=host.cluster_id,
            connection_state=Host.ConnectionState.CONNECTED,
            power_state=Host.PowerState.ON,
            in_maintenance_mode=False,
        )
        .exclude(pk=host.pk)
        .annotate(running=Count("vms", filter=Q(vms__power_state=VirtualMachine.PowerState.ON)))
        .order_by("running", "name")
        .first()
    )


def host_enter_maintenance_step(task: Task, now: datetime) -> Step:
    """Evacuate powered-on VMs one vMotion per pass (DRS), then flag the host. With the task's
    "evacuate_powered_off" option the powered-off and suspended VMs move too (reregistered on a
    peer, as vCenter does for a DRS cluster); else they stay registered on the host."""
    host = _host(task)
    if host.in_maintenance_mode:
        return Step(done=True)
    running = host.vms.order_by("name")
    every_vm = bool(task.params.get("evacuate_powered_off"))
    if not every_vm:
        running = running.filter(power_state=VirtualMachine.PowerState.ON)
    total = task.params.get("vms_to_evacuate")
    if total is None:
        total = task.params["vms_to_evacuate"] = running.count()
    vm = running.first()
    if vm is None:
        host.in_maintenance_mode = True
        host.save(update_fields=["in_maintenance_mode"])
        event_log(
            event_type="EnteredMaintenanceModeEvent",
            message=f"Host {host.name} in {host.cluster.datacenter.name} "
            "has entered maintenance mode",
            entity=host,
        )
        return Step(done=True)
    cluster = host.cluster
    if not (cluster.drs_enabled and cluster.drs_automation_level == cluster.DrsAutomation.FULLY):
        raise OperationError(
            f"{total} {'' if every_vm else 'powered-on '}virtual machines must be migrated "
            f"{'' if every_vm else 'or powered off '}before the host can enter maintenance mode: "
            "DRS on the cluster is not fully automated."
        )
    target = _migration_target(host)
    if target is None:
        raise OperationError(
            "Insufficient resources to migrate the powered-on virtual machines: "
            "no other host in the cluster can run them."
        )
    last_move = task.params.get("last_move_at")
    if last_move is None:
        task.params["last_move_at"] = now.isoformat()
        return Step(
            progress=_evacuation_progress(total, running.count()),
            stage=f"Migrating {vm.name} to {target.name}",
            wait=sim_seconds("host.vmotion"),
        )
    left = sim_seconds("host.vmotion") - (now - datetime.fromisoformat(last_move)).total_seconds()
    if left > 0:
        return Step(progress=task.progress, stage=task.stage, wait=left)
    vm.host = target
    vm.save(update_fields=["host"])
    event_log(
        event_type="DrsVmMigratedEvent",
        message=f"Migrating {vm.name} from {host.name} to {target.name} in "
        f"{cluster.datacenter.name}",
        entity=vm,
    )
    del task.params["last_move_at"]
    remaining = running.count()
    return Step(
        progress=_evacuation_progress(total, remaining),
        stage=f"Migrated {total - remaining} of {total} virtual machines",
    )


def _evacuation_progress(total: int, remaining: int) -> int:
    return 2 + int(96 * (total - remaining) / total) if total else 2


def host_exit_maintenance_step(task: Task, now: datetime) -> Step:
    host = _host(task)
    if not host.in_maintenance_mode:
        return Step(done=True)
    left = _remaining(task, "host.exit_maintenance", now)
    if left > 0:
        return Step(progress=50, stage="Exiting maintenance mode", wait=left)
    host.in_maintenance_mode = False
    host.save(update_fields=["in_maintenance_mode"])
    event_log(
        event_type="ExitMaintenanceModeEvent",
        message=f"Host {host.name} in {host.cluster.datacenter.name} has exited maintenance mode",
        entity=host,
    )
    return Step(done=True)


# The settings a "Reconfigure cluster" task carries in its params, as Cluster field names.
CLUSTER_SETTINGS = ("drs_enabled", "drs_automation_level", "ha_enabled")


def cluster_reconfigure_step(task: Task, now: datetime) -> Step:
    """Apply the DRS and HA settings the task carries, once its simulated duration has passed.
    The settings, the event and the task's completion commit together, so a second delivery
    finds the task finished and logs nothing twice."""
    cluster = Cluster.objects.select_related("datacenter").get(moid=task.target_moid)
    left = _remaining(task, "cluster.reconfigure", now)
    if left > 0:
        return Step(progress=50, stage="Reconfiguring the cluster", wait=left)
    for field in CLUSTER_SETTINGS:
        setattr(cluster, field, task.params[field])
    cluster.save(update_fields=list(CLUSTER_SETTINGS))
    event_log(
        event_type="ClusterReconfiguredEvent",
        message=f"Reconfigured cluster {cluster.name} in datacenter {cluster.datacenter.name}",
        entity=cluster,
        user=task.user,
    )
    return Step(done=True)


STEPS: dict[str, Callable[[Task, datetime], Step]] = {
    "vm.power_on": vm_power_on_step,
    "vm.power_off": vm_power_off_step,
    "vm.reset": vm_reset_step,
    "vm.suspend": vm_suspend_step,
    "host.enter_maintenance": host_enter_maintenance_step,
    "host.exit_maintenance": host_exit_maintenance_step,
    "cluster.reconfigure": cluster_reconfigure_step,
}


def task_step(task_id: int, *, now: datetime | None = None) -> float | None:
    """Run one pass of a task. Returns seconds until the next pass, or None when this message
    needs no successor: the task is finished, or the message is a duplicate that came early (the
    pass that set `next_run_at` has queued its own successor; beat covers a lost one).

    The row lock (PostgreSQL) or the immediate write transaction (SQLite) makes two deliveries of
    the same message take turns; the second then sees the first one's result and does nothing.
    """
    now = now or timezone.now()
    failure: Exception | None = None
    with transaction.atomic():
        task = Task.objects.select_for_update().filter(pk=task_id).first()
        if task is None or task.is_finished:
            return None
        if task.operation not in STEPS:
            # Another engine's task (an Enable Supervisor task is the workloads reconciler's):
            # not ours to run, start or fail.
            logger.warning("Task %s: no inventory step for %r", task.key, task.operation)
            return None
        if task.next_run_at and task.next_run_at > now:
            return None
        if task.state == Task.State.QUEUED:
            task.state, task.started_at = Task.State.RUNNING, now
        try:
            with transaction.atomic():  # the step's writes, undone if it fails
                step = STEPS[task.operation](task, now)
        except OperationError as error:
            task_finish(task, now=now, error=str(error))
            return None
        except Exception as error:
            # Crash-loop guard: commit a back-off before re-raising (so the worker logs it), and
            # give up after MAX_ATTEMPTS with the message vCenter shows for internal faults.
            task.attempts += 1
            if task.attempts >= MAX_ATTEMPTS:
                logger.exception("Task %s failed for good", task.key)
                task_finish(task, now=now, error="A general system error occurred: internal error")
                return None
            task.next_run_at = now + timedelta(seconds=2**task.attempts)
            task.save()
            failure = error
        else:
            if step.done:
                task_finish(task, now=now)
                return None
            task.progress = max(task.progress, step.progress)  # progress never goes backwards
            task.stage = step.stage
            task.next_run_at = now + timedelta(seconds=step.wait)
            task.save()
            tasks_changed()
            return step.wait
    raise failure


def tasks_due(now: datetime | None = None) -> list[int]:
    """Unfinished tasks whose next pass is due: what beat re-enqueues after a lost message.
    Only this engine's operations: tasks that other engines drive (Supervisor reconciles) keep
    `next_run_at` from task_open, and their own resync re-enqueues them."""
    now = now or timezone.now()
    return list(
        Task.objects.filter(
            state__in=Task.UNFINISHED, next_run_at__lte=now, operation__in=list(STEPS)
        ).values_list("pk", flat=True)[:500]
    )
