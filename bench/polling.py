"""Dashboards polling while operations run, against the stack `make run` starts (web processes,
worker and beat under scripts/run.py, over real sockets), as a browser tab would load it.

    .venv/bin/python bench/polling.py [--dashboards 50] [--operations 20] [--seconds 60]

Each dashboard is a cluster's Summary page open in a tab: one keep-alive connection that polls
Recent Tasks every 2 s (HX-Request, with its version: 204 while nothing changed) and, when the
version moved, refetches the two regions that listen for `tasks-changed` (object header and tab
body), as htmx does. Meanwhile an operator keeps `--operations` VM power operations running (the
simulator's clock is slowed so each lasts seconds). The floor is the same idle poll, answered
204, measured in the same run before the load starts: every figure is also given as a multiple
of it, so the verdict holds while the shared machine's speed drifts.

The stack gets a folder of its own (.var/bench-polling: SQLite, filesystem broker), or
DATABASE_URL and REDIS_URL if set (then use a database of its own: the demo is loaded into it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
VAR_DIR = BASE_DIR / ".var" / "bench-polling"
ADMIN = ("administrator@vsphere.local", os.environ.get("VKS_ADMIN_PASSWORD", "VMware1!VMware1!"))
PERIOD = 2.0  # seconds between a dashboard's polls, as the Recent Tasks pane's hx-trigger
TARGET_P95_MS = 200.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_env(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vksportal.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key"),
        "VKS_VAR_DIR": str(VAR_DIR),
        "VKS_CELERY_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
        "VKS_CELERY_EAGER": "0",
        "VKS_SIM_SPEED": "2",  # a power operation lasts a few seconds: they overlap
        "VKS_CACHE_PREFIX": "vks-bench",
        "PORT": str(port),
        "HTTPS_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }


def start_stack(env: dict[str, str]) -> subprocess.Popen:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    log = (VAR_DIR / "run.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    until = time.monotonic() + 180
    while "\nReady: " not in (VAR_DIR / "run.log").read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > until:
            sys.exit(f"the stack did not start; see {VAR_DIR / 'run.log'}")
        time.sleep(0.2)
    return proc


def login(base: str) -> str:
    """Log in through the login page as a browser does; the Cookie header of the session."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": token, "username": ADMIN[0], "password": ADMIN[1]}
    opener.open(f"{base}/login/", urllib.parse.urlencode(form).encode()).read()
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "login failed"
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


class Dashboard(threading.Thread):
    """One browser tab on a cluster's Summary page."""

    def __init__(self, port: int, cookie: str, page: str, version: str, offset: float, stop, out):
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Cookie": cookie, "HX-Request": "true"}
        self.page, self.version, self.offset = page, version, offset
        self.stop_event, self.out = stop, out

    def get(self, kind: str, path: str, **headers: str) -> tuple[int, str]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers={**self.headers, **headers})
        response = self.conn.getresponse()
        body = response.read().decode(errors="replace")
        self.out.append((kind, (time.perf_counter() - started) * 1000, response.status))
        return response.status, body

    def run(self) -> None:
        next_poll = time.monotonic() + self.offset
        while not self.stop_event.is_set():
            time.sleep(max(0.0, next_poll - time.monotonic()))
            next_poll += PERIOD
            status, body = self.get("poll", f"/ui/tasks/recent/?v={self.version}")
            if status == 200:
                self.version = re.search(r'data-version="([^"]+)"', body).group(1)
                for region in ("object-header", "tab-body"):
                    self.get("region", self.page, **{"HX-Target": region})


def keep_operations_running(count: int, stop: threading.Event, started: list[int]) -> None:
    """Keep `count` VM power operations unfinished: toggle VMs that no task is working on."""
    from django.contrib.auth import get_user_model

    from inventory import services
    from inventory.models import Task, VirtualMachine

    admin = get_user_model().objects.get(username=ADMIN[0])
    candidates = list(
        VirtualMachine.objects.filter(is_template=False, vks_node__isnull=True)
        .exclude(name__startswith="SupervisorControlPlaneVM")
        .values_list("pk", flat=True)
    )
    turn = 0
    while not stop.is_set():
        busy = set(
            Task.objects.filter(state__in=Task.UNFINISHED).values_list("target_moid", flat=True)
        )
        for _ in range(max(0, count - len(busy))):
            vm = VirtualMachine.objects.select_related("host").get(
                pk=candidates[turn % len(candidates)]
            )
            turn += 1
            if vm.moid in busy:
                continue
            action = "power_off" if vm.is_powered_on else "power_on"
            try:
                services.vm_power(vm=vm, action=action, user=admin)
                started.append(vm.pk)
            except Exception:  # refused (another task, host in maintenance): try the next VM
                continue
        time.sleep(0.25)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dashboards", type=int, default=50)
    parser.add_argument("--operations", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--floor-seconds", type=float, default=10.0)
    args = parser.parse_args()

    port = free_port()
    env = stack_env(port)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DJANGO_", "VKS_"))})
    proc = start_stack(env)
    try:
        import django

        django.setup()
        from inventory.models import Cluster
        from inventory.tasklog import tasks_version

        base = f"http://127.0.0.1:{port}"
        cookie = login(base)
        cluster = Cluster.objects.get(name="Workload-Cluster-01")
        page = f"/ui/{cluster.moid}/summary/"

        # The floor: one tab, nothing running, every poll a 204.
        floor: list = []
        stop = threading.Event()
        idle = Dashboard(port, cookie, page, tasks_version(), 0, stop, floor)
        idle.start()
        time.sleep(args.floor_seconds)
        stop.set()
        idle.join()

        samples: list = []
        stop = threading.Event()
        started: list[int] = []
        operator = threading.Thread(
            target=keep_operations_running, args=(args.operations, stop, started), daemon=True
        )
        operator.start()
        time.sleep(2)  # operations under way before the tabs open
        tabs = [
            Dashboard(
                port, cookie, page, tasks_version(), PERIOD * i / args.dashboards, stop, samples
            )
            for i in range(args.dashboards)
        ]
        for tab in tabs:
            tab.start()
        time.sleep(args.seconds)
        stop.set()
        for tab in tabs:
            tab.join()
        operator.join()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)

    floor_ms = statistics.median(ms for _, ms, _ in floor)
    errors = [s for s in samples if s[2] >= 500]
    database = "PostgreSQL" if "postgres" in os.environ.get("DATABASE_URL", "") else "SQLite"
    print(
        f"{args.dashboards} dashboards x {args.seconds:.0f} s, {args.operations} operations kept "
        f"running ({len(started)} started), web processes: {os.environ.get('WEB_CONCURRENCY', 2)}, "
        f"database: {database}"
    )
    print(f"{'request':<22}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'p95/floor':>11}")
    rows = [("floor (idle 204 poll)", floor)]
    rows += [
        ("poll (any)", [s for s in samples if s[0] == "poll"]),
        ("poll 204", [s for s in samples if s[0] == "poll" and s[2] == 204]),
        ("poll 200 (changed)", [s for s in samples if s[0] == "poll" and s[2] == 200]),
        ("region refresh", [s for s in samples if s[0] == "region"]),
    ]
    for label, rows_ in rows:
        ms = [m for _, m, _ in rows_]
        if not ms:
            continue
        p95 = percentile(ms, 0.95)
        print(
            f"{label:<22}{len(ms):>7}{statistics.median(ms):>9.1f}{p95:>9.1f}{max(ms):>9.1f}"
            f"{p95 / floor_ms:>11.1f}"
        )
    polls = [m for k, m, _ in samples if k == "poll"]
    p95 = percentile(polls, 0.95)
    verdict = "within" if p95 < TARGET_P95_MS and not errors else "OVER"
    print(
        f"polls p95 {p95:.1f} ms: {verdict} the {TARGET_P95_MS:.0f} ms target; 5xx: {len(errors)}"
    )
    print(json.dumps({"floor_ms": floor_ms, "poll_p95_ms": p95, "errors": len(errors)}))
    return 0 if verdict == "within" else 1


if __name__ == "__main__":
    sys.exit(main())
