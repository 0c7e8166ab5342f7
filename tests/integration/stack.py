"""`make run`'s supervisor (scripts/run.py --no-setup) against the test database, for tests of
what survives a dead process or a lost Redis: web, worker and beat as the product runs them, on
free ports, consuming a queue of their own, with the resync every RESYNC_SECONDS."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.integration.workers import DEADLINE, new_queue, worker_database_url

RESYNC_SECONDS = 2
SIM_SPEED = "400"  # a node step is 0.15 s: a small cluster takes a second or two


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    proc: subprocess.Popen
    log_path: Path
    url: str
    https_url: str

    @property
    def tls(self) -> ssl.SSLContext:
        """A client context that trusts the stack's local CA (and nothing else)."""
        ca = re.search(r"\(CA certificate: (\S+)\)", self.log()).group(1)
        return ssl.create_default_context(cafile=ca)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self, name: str) -> list[int]:
        """Every pid the supervisor has started `name` with, oldest first."""
        return [int(p) for p in re.findall(rf"\[run\] {name} started \(pid (\d+)\)", self.log())]

    def wait_for(self, what: str, predicate: Callable[[], bool], deadline: float = DEADLINE):
        until = time.monotonic() + deadline
        while not predicate():
            if self.proc.poll() is not None:
                pytest.fail(
                    f"the supervisor exited ({self.proc.returncode}) before {what}\n" + self.log()
                )
            if time.monotonic() > until:
                pytest.fail(f"no {what} within {deadline:.0f}s\n{self.log()}")
            time.sleep(0.1)

    def stop(self) -> int:
        """Ctrl-C, as a person would; its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@contextlib.contextmanager
def running_stack(tmp_path: Path, **env_extra: str):
    """The supervisor with one web process, a worker and beat, once it prints Ready."""
    port, https_port = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vksportal.settings",
        "DJANGO_SECRET_KEY": "integration-test-key",
        "DATABASE_URL": worker_database_url(),
        # Its own broker folders, beat schedule and CA: the test drives it through its API.
        "VKS_VAR_DIR": str(tmp_path / "var"),
        "VKS_CELERY_QUEUE": new_queue(),
        "VKS_CELERY_EAGER": "0",
        "VKS_SIM_SPEED": SIM_SPEED,
        "VKS_RESYNC_SECONDS": str(RESYNC_SECONDS),
        "PORT": str(port),
        "HTTPS_PORT": str(https_port),
        "WEB_CONCURRENCY": "1",
        "PYTHONUNBUFFERED": "1",
        **env_extra,
    }
    if settings.REDIS_URL and "REDIS_URL" not in env_extra:
        env["REDIS_URL"] = settings.REDIS_URL
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "scripts/run.py", "--no-setup"],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Stack(proc, log_path, f"http://127.0.0.1:{port}", f"https://localhost:{https_port}")
    try:
        stack.wait_for("Ready", lambda: "\nReady: " in stack.log())
        stack.wait_for("a ready worker", lambda: " ready." in stack.log())
        yield stack
    finally:
        status = stack.stop()
        assert status == 0, f"make run exited {status} on Ctrl-C\n{stack.log()}"
        left = [pid for name in ("web", "worker", "beat") for pid in stack.pids(name) if alive(pid)]
        assert not left, f"Ctrl-C left children running: {left}"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class RedisServer:
    """A redis-server of the test's own on a free port, to stop and start again."""

    port: int
    folder: Path
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.folder)]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        until = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            if time.monotonic() > until:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Api:
    """A vSphere Automation API session (POST /api/session) against a stack, over urllib."""

    base: str
    token: str = ""
    tls: ssl.SSLContext | None = None

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        request = urllib.request.Request(f"{self.base}{path}", method=method)
        if self.token:
            request.add_header("vmware-api-session-id", self.token)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, data, timeout=15, context=self.tls) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    @classmethod
    def login(cls, base: str, user: str, password: str, tls: ssl.SSLContext | None = None) -> Api:
        api = cls(base, tls=tls)
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        code, body = api.call("POST", "/api/session", headers={"Authorization": f"Basic {basic}"})
        assert code == 201, body
        api.token = json.loads(body)
        return api
