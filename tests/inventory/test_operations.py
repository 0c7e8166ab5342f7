"""The task engine: simulated time, idempotent passes, duplicate delivery, crash-loop guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import operations
from inventory.models import Cluster, Event, Task, VirtualMachine
from inventory.tasklog import task_open
from inventory.tasks import tasks_resync_task

pytestmark = pytest.mark.django_db


def _open(vm, user, operation="vm.power_off", name="Power Off virtual machine"):
    return task_open(
        name=name,
        description_id="VirtualMachine.powerOff",
        operation=operation,
        target=vm,
        user=user,
    )


def test_step_waits_for_simulated_duration(admin, vm_on, settings):
    settings.VKS_SIM_SPEED = 1.0  # real time: a power-off takes 3 s
    task = _open(vm_on, admin)
    t0 = timezone.now()
    wait = operations.task_step(task.pk, now=t0)
    task.refresh_from_db()
    assert wait == pytest.approx(3.0)
    assert (task.state, task.progress, task.stage) == (
        "running",
        50,
        "Powering off the virtual machine",
    )
    assert operations.task_step(task.pk, now=t0 + timedelta(seconds=1)) is None, "early: dropped"
    vm_on.refresh_from_db()
    assert vm_on.power_state == "poweredOn"

    assert operations.task_step(task.pk, now=t0 + timedelta(seconds=3)) is None
    task.refresh_from_db()
    vm_on.refresh_from_db()
    assert (task.state, task.progress, vm_on.power_state) == ("success", 100, "poweredOff")


def test_a_finished_task_ignores_further_deliveries(admin, vm_on):
    task = _open(vm_on, admin)
    operations.task_step(task.pk)
    task.refresh_from_db()
    completed, events = task.completed_at, Event.objects.count()
    assert operations.task_step(task.pk) is None
    task.refresh_from_db()
    assert task.completed_at == completed
    assert Event.objects.count() == events, "no second 'powered off' event"
    assert VirtualMachine.objects.get(pk=vm_on.pk).power_state == "poweredOff"


def test_step_sees_the_world_not_history(admin, vm_on):
    """A VM someone else already powered off: the task completes without a second change."""
    task = _open(vm_on, admin)
    VirtualMachine.objects.filter(pk=vm_on.pk).update(power_state="poweredOff")
    assert operations.task_step(task.pk) is None
    task.refresh_from_db()
    assert task.state == "success"


def test_unexpected_failure_backs_off_then_gives_up(admin, vm_on, monkeypatch):
    def broken(task, now):
        VirtualMachine.objects.filter(pk=vm_on.pk).update(name="half-written")
        raise RuntimeError("boom")

    monkeypatch.setitem(operations.STEPS, "vm.power_off", broken)
    task = _open(vm_on, admin)
    now = timezone.now()
    for attempt in range(1, operations.MAX_ATTEMPTS):
        with pytest.raises(RuntimeError):
            operations.task_step(task.pk, now=now)
        task.refresh_from_db()
        assert task.attempts == attempt
        assert task.next_run_at == now + timedelta(seconds=2**attempt)
        now = task.next_run_at
    assert operations.task_step(task.pk, now=now) is None
    task.refresh_from_db()
    assert task.state == "error"
    assert task.error == "A general system error occurred: internal error"
    vm_on.refresh_from_db()
    assert vm_on.name != "half-written", "a failed pass leaves no partial writes"


def test_resync_re_enqueues_a_task_whose_message_was_lost(admin, vm_on):
    task = _open(vm_on, admin)  # opened, but its message never sent
    assert operations.tasks_due() == [task.pk]
    assert tasks_resync_task() == 1  # eager: the re-sent message runs at once
    task.refresh_from_db()
    assert task.state == "success"
    assert operations.tasks_due() == []


def test_progress_never_goes_backwards(admin, workload_host, settings):
    settings.VKS_SIM_SPEED = 1.0
    task = task_open(
        name="Enter maintenance mode",
        description_id="HostSystem.enterMaintenanceMode",
        operation="host.enter_maintenance",
        target=workload_host,
        user=admin,
    )
    now = timezone.now()
    seen = []
    for _ in range(200):
        wait = operations.task_step(task.pk, now=now)
        task.refresh_from_db()
        seen.append(task.progress)
        if wait is None:
            break
        now += timedelta(seconds=wait)
    assert task.state == Task.State.SUCCESS
    assert seen == sorted(seen)
    assert any(0 < p < 100 for p in seen), "the evacuation shows intermediate progress"
    assert seen[-1] == 100


def test_cluster_reconfigure_waits_then_applies_once(admin, settings):
    settings.VKS_SIM_SPEED = 1.0  # real time: a reconfigure takes 2 s
    cluster = Cluster.objects.get(name="Management-Cluster")
    task = task_open(
        name="Reconfigure cluster",
        description_id="ClusterComputeResource.reconfigureEx",
        operation="cluster.reconfigure",
        target=cluster,
        user=admin,
        params={"drs_enabled": False, "drs_automation_level": "manual", "ha_enabled": False},
    )
    t0 = timezone.now()
    assert operations.task_step(task.pk, now=t0) == pytest.approx(2.0)
    cluster.refresh_from_db()
    assert (cluster.drs_enabled, cluster.ha_enabled) == (True, True), "not before the duration"

    assert operations.task_step(task.pk, now=t0 + timedelta(seconds=2)) is None
    assert operations.task_step(task.pk, now=t0 + timedelta(seconds=3)) is None, "a duplicate"
    task.refresh_from_db()
    cluster.refresh_from_db()
    assert task.state == "success"
    assert (cluster.drs_enabled, cluster.drs_automation_level, cluster.ha_enabled) == (
        False,
        "manual",
        False,
    )
    assert Event.objects.filter(event_type="ClusterReconfiguredEvent").count() == 1


def test_tasks_of_other_engines_are_neither_resynced_nor_run(admin, vm_on):
    """An Enable Supervisor task is driven by the Supervisor reconciler: beat's inventory
    resync must not pick it up, or its unknown operation would crash-loop and fail it."""
    task = task_open(
        name="Enable Supervisor",
        description_id="com.vmware.wcp.EnableSupervisor",
        operation="supervisor.reconcile",
        target=vm_on.host.cluster,
        user=admin,
    )
    assert operations.tasks_due() == []
    assert operations.task_step(task.pk) is None  # a stray message: ignored
    task.refresh_from_db()
    assert (task.state, task.attempts, task.error) == ("queued", 0, "")
