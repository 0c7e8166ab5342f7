"""The task engine through a real Celery worker process: messages cross the broker (filesystem
under VAR_DIR, or Redis when REDIS_URL is set) and both processes share the test database.

The worker consumes a queue of its own (VKS_CELERY_QUEUE) so that a `make run` worker on the same
broker never takes these messages, nor this worker theirs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from inventory.models import (
    Cluster,
    Datacenter,
    Datastore,
    Event,
    Folder,
    Host,
    ResourcePool,
    Task,
    VCenter,
    VirtualMachine,
)
from inventory.services import vm_power
from inventory.tasklog import task_open
from inventory.tasks import tasks_resync_task
from tests.integration.workers import Worker, new_queue, publishing_to, start_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory) -> Iterator[Worker]:
    """One worker for the module. Depending on django_db_setup makes it stop before the test
    database is dropped (PostgreSQL refuses to drop a database that has connections)."""
    queue = new_queue()
    handle = start_worker(queue, tmp_path_factory.mktemp("worker") / "worker.log")
    try:
        with publishing_to(queue):
            yield handle
    finally:
        # SIGKILL, not a warm shutdown: every test waits for its tasks, so the worker is idle,
        # and a warm stop sits out the filesystem transport's blocking 2 s poll (seconds).
        handle.kill()


@pytest.fixture
def superuser():
    # Not the demo's administrator: an earlier transactional test may have flushed it away.
    return get_user_model().objects.create_superuser("worker-test", password="not-used-here")


@pytest.fixture
def vm() -> VirtualMachine:
    """The smallest estate a power operation needs, with one powered-on VM."""
    vcenter = VCenter.objects.create(
        moid=VCenter.new_moids(1)[0], name="vcsa-test", instance_uuid=uuid.uuid4()
    )
    dc = Datacenter.objects.create(moid=Datacenter.new_moids(1)[0], name="DC", vcenter=vcenter)
    cluster = Cluster.objects.create(moid=Cluster.new_moids(1)[0], name="CL", datacenter=dc)
    host = Host.objects.create(
        moid=Host.new_moids(1)[0],
        name="esx-01",
        cluster=cluster,
        cpu_model="Intel(R) Xeon(R) Gold 6338",
        cpu_cores=64,
        cpu_mhz=2000,
        memory_mib=512 * 1024,
    )
    datastore = Datastore.objects.create(
        moid=Datastore.new_moids(1)[0],
        name="ds-01",
        datacenter=dc,
        type=Datastore.Type.VMFS,
        capacity_mib=4 * 1024 * 1024,
    )
    folder = Folder.objects.create(
        moid=Folder.new_moids(1)[0],  # group-v: the VM folder prefix
        name="vm",
        kind=Folder.Kind.VM,
        datacenter=dc,
    )
    pool = ResourcePool.objects.create(
        moid=ResourcePool.new_moids(1)[0], name="Resources", cluster=cluster
    )
    return VirtualMachine.objects.create(
        moid=VirtualMachine.new_moids(1)[0],
        name="web-01",
        host=host,
        resource_pool=pool,
        folder=folder,
        datastore=datastore,
        power_state=VirtualMachine.PowerState.ON,
        instance_uuid=uuid.uuid4(),
    )


def _finished(task: Task) -> Callable[[], bool]:
    def check() -> bool:
        task.refresh_from_db()
        return task.is_finished

    return check


def _assert_powered_off(task: Task, vm: VirtualMachine) -> None:
    assert task.state == Task.State.SUCCESS, task.error
    assert task.progress == 100
    vm.refresh_from_db()
    assert vm.power_state == VirtualMachine.PowerState.OFF
    assert Event.objects.filter(event_type="VmPoweredOffEvent", target_moid=vm.moid).exists()


def test_power_off_runs_through_the_worker(worker, vm, superuser):
    with transaction.atomic():  # commits here, and the enqueue runs on that commit
        task = vm_power(vm=vm, action="power_off", user=superuser)

    worker.wait_for("finished power-off task", _finished(task))

    _assert_powered_off(task, vm)


def test_resync_recovers_a_task_whose_message_was_lost(worker, vm, superuser):
    # Opened and committed, but never enqueued: as if the broker lost the message.
    with transaction.atomic():
        task = task_open(
            name="Power Off virtual machine",
            description_id="VirtualMachine.powerOff",
            operation="vm.power_off",
            target=vm,
            user=superuser,
        )

    tasks_resync_task.delay()  # what beat sends every 15 s

    worker.wait_for("power-off task finished after resync", _finished(task))

    _assert_powered_off(task, vm)
