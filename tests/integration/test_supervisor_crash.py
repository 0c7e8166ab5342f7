"""Supervisor enablement survives a worker killed halfway: a real Celery worker runs the
reconciler, is SIGKILLed once a control plane VM exists, and a fresh worker finishes the job with
no duplicate VM and one Enable Supervisor task.

Recovery comes from the resync that beat runs every 15 s: the killed worker took the pending
message with it (the filesystem broker does not redeliver a fetched message; Redis would, but only
after its one-hour visibility timeout). The test runs no beat; it sends `supervisors_resync_task`
itself once a second while it waits, standing in for beat on a shorter period.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model

from inventory.estates import demo
from inventory.models import Cluster, Event, Task
from tests.factories import supervisor_raw_spec
from tests.integration.workers import new_queue, publishing_to, start_worker
from workloads import reconcilers, services
from workloads.models import Supervisor
from workloads.tasks import supervisors_resync_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Enablement on the demo's Workload-Cluster-01 is (120 + 3×240 + 3×120 + 180 + 4×60) s of
# simulated time (workloads.reconcilers.DURATION): about 4 s at this speed. Long enough to kill
# the worker halfway, short enough for a test.
SIM_SPEED = "400"
BEAT_PERIOD = 1.0  # seconds between stand-in beat resyncs
RUNNING = Supervisor.ConfigStatus.RUNNING


def beat_stand_in() -> Callable[[], None]:
    """A tick for Worker.wait_for that sends the Supervisor resync every BEAT_PERIOD seconds."""
    last = [float("-inf")]

    def tick() -> None:
        if time.monotonic() - last[0] >= BEAT_PERIOD:
            supervisors_resync_task.delay()
            last[0] = time.monotonic()

    return tick


def test_enablement_finishes_after_the_worker_is_killed_halfway(tmp_path):
    demo.load()  # an earlier transactional test may have emptied the tables
    admin = get_user_model().objects.get(username="administrator@vsphere.local")
    cluster = Cluster.objects.select_related("datacenter").get(name="Workload-Cluster-01")
    queue = new_queue()
    workers = [start_worker(queue, tmp_path / "worker-1.log", VKS_SIM_SPEED=SIM_SPEED)]
    try:
        with publishing_to(queue):
            started = time.monotonic()
            sup = services.supervisor_enable(
                spec=supervisor_raw_spec(cluster, "supervisor-crash"), user=admin
            )  # commits

            def halfway() -> bool:
                sup.refresh_from_db()
                return sup.config_status == RUNNING or reconcilers.control_plane_vms(sup).exists()

            workers[0].wait_for("a control plane VM", halfway)
            workers[0].kill()
            killed = time.monotonic()
            sup.refresh_from_db()
            vms_at_kill = reconcilers.control_plane_vms(sup).count()
            assert sup.config_status != RUNNING, "enabled before the kill: lower SIM_SPEED"
            assert 1 <= vms_at_kill < 3

            workers.append(start_worker(queue, tmp_path / "worker-2.log", VKS_SIM_SPEED=SIM_SPEED))

            def running() -> bool:
                sup.refresh_from_db()
                return sup.config_status == RUNNING

            workers[1].wait_for("Supervisor RUNNING", running, tick=beat_stand_in())
            finished = time.monotonic()
    finally:
        for worker in workers:
            worker.kill()  # before the flush: no worker may hold a connection or a lock
    print(
        f"\nkilled {killed - started:.1f}s after enable with {vms_at_kill} control plane VM(s); "
        f"RUNNING {finished - killed:.1f}s after the kill ({finished - started:.1f}s in all)"
    )

    vms = list(reconcilers.control_plane_vms(sup))
    assert [vm.name for vm in vms] == [f"SupervisorControlPlaneVM ({i})" for i in (1, 2, 3)]
    assert len({vm.host_id for vm in vms}) == 3, "on distinct hosts"
    assert all(vm.is_powered_on and vm.ip_address for vm in vms)
    assert Event.objects.filter(event_type="VmDeployedEvent").count() == 3, "no VM deployed twice"
    tasks = list(Task.objects.filter(name="Enable Supervisor"))
    assert len(tasks) == 1
    assert (tasks[0].state, tasks[0].progress) == (Task.State.SUCCESS, 100), tasks[0].error
    assert sup.observed_generation == sup.generation
    assert sup.next_reconcile_at is None, "converged: nothing left for beat"
