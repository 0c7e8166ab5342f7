"""Real Celery worker processes against the test database, for the integration tests.

A worker consumes a queue of its own (VKS_CELERY_QUEUE) so that a `make run` worker on the same
broker (filesystem under VAR_DIR, or Redis when REDIS_URL is set) never takes these messages,
nor this worker theirs. While `publishing_to(queue)` is active this process publishes for real.
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
from django.db import connection

from vksportal.celery import app

DEADLINE = 60.0  # seconds; generous for a loaded CI machine


@dataclass
class Worker:
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(
        self,
        what: str,
        predicate: Callable[[], bool],
        *,
        deadline: float = DEADLINE,
        tick: Callable[[], None] | None = None,
    ) -> None:
        """Poll until `predicate()` holds; fail with the worker's log if it does not in time.
        `tick`, if given, runs before each check (e.g. to stand in for beat)."""
        until = time.monotonic() + deadline
        while True:
            if tick is not None:
                tick()
            if predicate():
                return
            if self.proc.poll() is not None:
                pytest.fail(f"worker exited ({self.proc.returncode}) before {what}\n{self.log()}")
            if time.monotonic() > until:
                pytest.fail(f"no {what} within {deadline:.0f}s; worker log:\n{self.log()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the whole process group: no warm shutdown, no acks, no cleanup."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


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


def new_queue() -> str:
    return f"vks-test-{uuid.uuid4().hex[:12]}"


def start_worker(queue: str, log_path: Path, **env_extra: str) -> Worker:
    """A `celery worker` subprocess (solo pool, own session) consuming `queue`, once ready."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vksportal.settings_test",
        "DATABASE_URL": worker_database_url(),
        "VKS_VAR_DIR": str(settings.VAR_DIR),  # the same broker folders as this process
        "VKS_CELERY_QUEUE": queue,
        "VKS_CELERY_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
        **env_extra,
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
        # A fixed node name per test process (xdist worker): the filesystem broker keeps one
        # pidbox binding per name, forever, and two suites side by side must not share one.
        f"--hostname=vks-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}@%h",
    ]
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for kill()
        )
    worker = Worker(proc, log_path)
    try:
        worker.wait_for("worker ready", lambda: " ready." in worker.log())
    except BaseException:
        worker.kill()
        raise
    return worker


@contextlib.contextmanager
def publishing_to(queue: str) -> Iterator[None]:
    """This process publishes for real (not eagerly) to `queue`; afterwards, drop what a failed
    run left there, and the queue's filesystem binding."""
    saved = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        with contextlib.suppress(Exception), app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
        if not settings.REDIS_URL:
            control = settings.CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"]
            Path(control, f"{queue}.exchange").unlink(missing_ok=True)
