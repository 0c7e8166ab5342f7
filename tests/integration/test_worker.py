"""The task engine through a real Celery worker process: messages cross the broker (filesystem
under VAR_DIR, or Redis when REDIS_URL is set) and both processes share the test database.

The worker consumes a queue of its own (VKS_CELERY_QUEUE) so that a `make run` worker on the same
broker never takes these messages, nor this worker theirs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from inventory.estates import demo
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
from vksportal.celery import app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DEADLINE = 60.0  # seconds; generous for a loaded CI machine, met in about one in practice


@dataclass
class Worker:
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, what: str, predicate: Callable[[], bool]) -> None:
        """Poll until `predicate()` holds; fail with the worker's log if it does not in time."""
        deadline = time.monotonic() + DEADLINE
        while not predicate():
            if self.proc.poll() is not None:
                pytest.fail(f"worker exited ({self.proc.returncode}) before {what}\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {DEADLINE:.0f}s; worker log:\n{self.log()}")
            time.sleep(0.1)


def worker_database_url() -> str:
    """The database this test process really uses (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = quote(db["HOST"] or "", safe="")  # a socket directory goes percent-encoded
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"
    raise AssertionError(f"no worker database URL for {db['ENGINE']}")


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory) -> Iterator[Worker]:
    """One worker for the module. Depending on django_db_setup makes it stop before the test
    database is dropped (PostgreSQL refuses to drop a database that has connections)."""
    queue = f"vks-test-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vksportal.settings_test",
        "DATABASE_URL": worker_database_url(),
        "VKS_VAR_DIR": str(settings.VAR_DIR),  # the same broker folders as this process
        "VKS_CELERY_QUEUE": queue,
        "VKS_CELERY_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "vksportal",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
        # A fixed node name: the filesystem broker keeps one pidbox binding per name, forever.
        "--hostname=vks-test@%h",
    ]
    saved = app.conf.task_always_eager, app.conf.task_default_queue
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    handle = Worker(proc, log_path)
    try:
        handle.wait_for("worker ready", lambda: " ready." in handle.log())
        # This process publishes for real now, to the worker's queue.
        app.conf.task_always_eager = False
        app.conf.task_default_queue = queue
        yield handle
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        # SIGKILL, not a warm shutdown: every test waits for its tasks, so the worker is idle,
        # and a warm stop sits out the filesystem transport's blocking 2 s poll (seconds).
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        # Drop what a failed run left in our one-off queue, and its filesystem binding.
        with contextlib.suppress(Exception), app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
        if not settings.REDIS_URL:
            control = settings.CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"]
            Path(control, f"{queue}.exchange").unlink(missing_ok=True)


@pytest.fixture(scope="module", autouse=True)
def _demo_estate_back(django_db_setup, django_db_blocker) -> Iterator[None]:
    """A transactional test ends by emptying every table, the demo estate that conftest loads for
    the session included; load it again for whatever runs after this module."""
    yield
    with django_db_blocker.unblock():
        demo.load()


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
