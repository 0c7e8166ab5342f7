"""The Supervisor's Kubernetes API against the real server (issue 10): what a cluster list costs
per object, what idle watches cost, whether open watches slow other requests, and how fast a
change reaches every watcher.

    .venv/bin/python bench/kubeapi.py [--clusters 500] [--watches 100] [--rounds 6] [--strict]
        [--database-url postgres://...] [--redis-url redis://...] [--web-processes 2]

The bench process seeds a database (SQLite under .var/bench-kubeapi, or --database-url /
DATABASE_URL; Redis from --redis-url / REDIS_URL): the demo, then rows made in bulk from the
demo's cluster: a namespace of 1 TKC + 1 Cluster, one of N of each, and a small one the watches
follow. Then it starts `make run`'s stack on it (scripts/run.py --no-setup: web processes on a
shared socket, HTTPS with its local CA, worker, beat) and every measured request goes over
HTTPS (the console page over HTTP) with the bearer token /wcp/login gives, as kubectl's.

1. Lists: GET of the TKC and Cluster lists with 1 and with N clusters, and of one cluster, as
   JSON (the Python client) and as Table (kubectl get). Per object = (list N - list 1) / (items
   N - items 1), against the single GET: goal <= 0.2. Queries of each, counted in this process
   through the same URL (Django's test Client): goal, the same at 1 and at N.
2. Idle watches: the web processes' CPU (utime + stime from /proc/<pid>/stat) over an idle
   window with `--watches` watches open (half on TKCs, half on Clusters) and with none.
3. Other requests (a cluster GET, the N-cluster list as kubectl asks for it, a console page):
   p95 with the watches open against without: goal <= 1.2.
4. A change (a merge PATCH of a TKC's labels) until every watcher has read its event, from the
   PATCH's response: p95 over the changes, goal < 1 s.

2 and 3 run in interleaved rounds (without/with, then with/without, ...), so the shared
machine's drift falls on both sides alike. `--strict` exits 1 if a goal is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))  # before bench/: `kubeapi` is the app, not this file
VAR_DIR = BASE_DIR / ".var" / "bench-kubeapi"
ADMIN = "administrator@vsphere.local"
ADMIN_PASSWORD = os.environ.get("VKS_ADMIN_PASSWORD", "VMware1!VMware1!")
SMALL, BIG, WATCHED = "bench-one", "bench-many", "bench-watch"
WATCHED_CLUSTERS = 4  # TKCs (and as many plain Clusters) in the namespace the watches follow
TKC = ("run.tanzu.vmware.com", "v1alpha3", "tanzukubernetesclusters")
CLUSTER = ("cluster.x-k8s.io", "v1beta1", "clusters")
TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
# The TKC the changes PATCH, in the watched namespace: one made from a manifest (an odd index),
# so a new label is only metadata (no new generation, no reconcile to add changes of its own).
CHANGED = "tkc-0001"
GOAL_PER_OBJECT = 0.2
GOAL_P95_RATIO = 1.2
GOAL_IDLE_CORE = 0.02  # what 100 idle watches may add: 2% of one core (nothing, in practice)
GOAL_CHANGE_SECONDS = 1.0
CHANGE_TIMEOUT = 10.0  # a change not seen by every watcher by then counts as missed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=500, help="N: clusters of each kind")
    parser.add_argument("--watches", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=15, help="timed GETs per list URL")
    parser.add_argument("--rounds", type=int, default=6, help="A/B rounds (each: without+with)")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="per idle window")
    parser.add_argument("--requests", type=int, default=8, help="of each kind, per window")
    parser.add_argument("--changes", type=int, default=3, help="PATCHes per round with watches")
    parser.add_argument("--web-processes", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--strict", action="store_true", help="exit 1 if a goal is missed")
    args = parser.parse_args(argv)
    if args.clusters < 2 or args.watches < 2 or min(args.iterations, args.rounds) < 1:
        parser.error("--clusters >= 2, --watches >= 2, --iterations and --rounds >= 1")
    return args


def configure(args: argparse.Namespace) -> dict[str, str]:
    """The environment of this process and of the stack: the same database, Redis and key."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        "DJANGO_SETTINGS_MODULE": "vksportal.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key"),
        "VKS_VAR_DIR": str(VAR_DIR),  # a folder of its own, whatever the shell exports
        "VKS_CACHE_PREFIX": "vks-bench-kubeapi",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
    }
    os.environ.update(env)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not env[name]:
            os.environ.pop(name)
    return env


# ---------------------------------------------------------------- seeding (this process)


def seed(count: int) -> None:
    """Migrate, load the demo once, then (re)make the bench namespaces' clusters in bulk (no
    signals: the change log does not hear of them, and their resourceVersion is the
    placeholder until one changes)."""
    import copy

    from django.core.management import call_command

    from workloads import demo
    from workloads.cluster_objects import spec_document
    from workloads.manifests import CLUSTER_API_VERSION, CLUSTER_KIND, TKC_API_VERSION, TKC_KIND
    from workloads.models import Namespace, NamespaceStorage, VksCluster

    call_command("migrate", verbosity=0, interactive=False)
    if not Namespace.objects.exclude(name__startswith="bench-").exists():
        call_command("load_estate", "demo", verbosity=0)
        demo.load()
    model = VksCluster.objects.filter(nodes__isnull=False).distinct().order_by("pk").first()
    template = model.namespace

    def copies(ns: Namespace, i: int) -> list[VksCluster]:
        made = []
        for kind, api_version in ((TKC_KIND, TKC_API_VERSION), (CLUSTER_KIND, CLUSTER_API_VERSION)):
            cluster_class = "" if kind == TKC_KIND else model.cluster_class
            # Every other one as if made from a manifest, with a field kept as written.
            written = spec_document(kind, cluster_class, model.spec) if i % 2 else {}
            if written:
                written["x-bench"] = {"proxy": {"noProxy": ["10.0.0.0/8"]}}
            made.append(
                VksCluster(
                    name=f"{'tkc' if kind == TKC_KIND else 'cl'}-{i:04d}",
                    namespace=ns,
                    api_version=api_version,
                    kind=kind,
                    cluster_class=cluster_class,
                    spec=copy.deepcopy(model.spec),
                    manifest_spec=written,
                    labels={"bench": "yes", "index": str(i)},
                    generation=1,
                    phase=model.phase,
                    conditions=copy.deepcopy(model.conditions),
                    observed_generation=1,
                    api_endpoint=model.api_endpoint,
                )
            )
        return made

    # Rows made in bulk have no resource pool behind them: a reconcile would wait forever,
    # and write its waiting condition every pass. None is due, whatever an earlier run did.
    VksCluster.objects.filter(namespace__name__in=(SMALL, BIG, WATCHED)).update(
        next_reconcile_at=None
    )
    for name, size in ((SMALL, 1), (BIG, count), (WATCHED, WATCHED_CLUSTERS)):
        ns, _ = Namespace.objects.get_or_create(
            name=name,
            defaults={
                "supervisor": template.supervisor,
                "kubernetes_library": template.kubernetes_library,
                "config_status": template.config_status,
            },
        )
        # What a cluster's admission checks: the namespace's VM classes and storage.
        ns.vm_classes.set(template.vm_classes.all())
        for grant in template.storage.all():
            NamespaceStorage.objects.get_or_create(namespace=ns, policy=grant.policy)
        if VksCluster.objects.filter(namespace=ns).count() == 2 * size:
            continue
        VksCluster.objects.filter(namespace=ns).delete()
        VksCluster.objects.bulk_create(row for i in range(size) for row in copies(ns, i))


def count_queries(urls: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The queries of one GET of each (url, accept), through the same dispatcher in-process:
    the server's processes cannot be counted from outside."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from kubeapi import tokens

    token = tokens.issue(get_user_model().objects.get(username=ADMIN))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    found = {}
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        for url, accept in urls:
            client.get(url, HTTP_ACCEPT=accept)  # warm: first-request caches are not the point
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, HTTP_ACCEPT=accept)
            if response.status_code != 200:
                sys.exit(f"in-process GET {url} -> {response.status_code}: {response.content!r}")
            found[(url, accept)] = len(captured)
    return found


# ---------------------------------------------------------------- the stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    proc: subprocess.Popen
    log_path: Path
    port: int
    https_port: int

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @cached_property
    def tls(self) -> ssl.SSLContext:
        ca = re.search(r"\(CA certificate: (\S+)\)", self.log()).group(1)
        return ssl.create_default_context(cafile=ca)

    def web_pids(self) -> list[int]:
        return [
            int(p) for p in re.findall(r"\[run\] web(?:-\d+)? started \(pid (\d+)\)", self.log())
        ]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_stack(env: dict[str, str], web_processes: int) -> Stack:
    port, https_port = free_port(), free_port()
    env = {
        **os.environ,
        **{k: v for k, v in env.items() if v},
        "VKS_CELERY_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
        "VKS_CELERY_EAGER": "0",
        "PORT": str(port),
        "HTTPS_PORT": str(https_port),
        "WEB_CONCURRENCY": str(web_processes),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = VAR_DIR / "run.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "scripts/run.py", "--no-setup"],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Stack(proc, log_path, port, https_port)
    until = time.monotonic() + 120
    while "\nReady: " not in stack.log() or len(stack.web_pids()) < web_processes:
        if proc.poll() is not None or time.monotonic() > until:
            stack.stop()
            sys.exit(f"the stack did not start; see {log_path}")
        time.sleep(0.2)
    return stack


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return total / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- clients


class Connection:
    """One keep-alive connection, as a client reuses it; reconnects when the server closed it."""

    def __init__(self, stack: Stack, *, secure: bool = True, headers: dict | None = None):
        self.stack, self.secure, self.headers = stack, secure, headers or {}
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.secure:
            return http.client.HTTPSConnection(
                "localhost", self.stack.https_port, context=self.stack.tls, timeout=60
            )
        return http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=60)

    def call(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, bytes, float]:
        """Status, body and milliseconds from sending to the last byte read."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self._connect()
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body, headers={**self.headers, **headers})
                response = self.conn.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            return response.status, content, (time.perf_counter() - started) * 1000
        raise AssertionError("unreachable")

    def get(self, path: str, **headers: str) -> tuple[bytes, float]:
        status, content, ms = self.call("GET", path, **headers)
        if status != 200:
            sys.exit(f"GET {path} -> {status}: {content[:300]!r}")
        return content, ms


def wcp_login(stack: Stack) -> str:
    import base64

    conn = Connection(stack)
    basic = base64.b64encode(f"{ADMIN}:{ADMIN_PASSWORD}".encode()).decode()
    status, body, _ = conn.call("POST", "/wcp/login", b"", Authorization=f"Basic {basic}")
    if status != 200:
        sys.exit(f"/wcp/login -> {status}: {body!r}")
    return json.loads(body)["session_id"]


def console_login(stack: Stack) -> str:
    """The Cookie header of a browser session, from the login form (as bench/polling.py)."""
    from http.cookiejar import CookieJar

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{stack.port}"
    page = opener.open(f"{base}/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": csrf, "username": ADMIN, "password": ADMIN_PASSWORD}
    opener.open(f"{base}/login/", urllib.parse.urlencode(form).encode()).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        sys.exit("console login failed")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def path(kind: tuple[str, str, str], namespace: str, name: str = "", query: str = "") -> str:
    group, version, plural = kind
    found = f"/apis/{group}/{version}/namespaces/{namespace}/{plural}"
    found += f"/{name}" if name else ""
    return found + (f"?{query}" if query else "")


def items(content: bytes) -> int:
    document = json.loads(content)
    return len(document["rows"] if document.get("kind") == "Table" else document["items"])


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


# ---------------------------------------------------------------- 1. lists


@dataclass
class ListCost:
    label: str
    list_1_ms: float
    list_n_ms: float
    get_ms: float
    per_object_ms: float
    queries: tuple[int, int, int]

    @property
    def ratio(self) -> float:
        return self.per_object_ms / self.get_ms


def list_costs(stack: Stack, token: str, count: int, iterations: int) -> list[ListCost]:
    conn = Connection(stack, headers={"Authorization": f"Bearer {token}"})
    cases = [
        (f"{kind_label} {format_label}", kind, first, accept)
        for kind_label, kind, first in (("tkc", TKC, "tkc-0000"), ("cluster", CLUSTER, "cl-0000"))
        for format_label, accept in (("JSON", "application/json"), ("Table", TABLE))
    ]
    urls = {
        label: (path(kind, SMALL), path(kind, BIG), path(kind, BIG, first), accept)
        for label, kind, first, accept in cases
    }
    queries = count_queries([(u, accept) for *three, accept in urls.values() for u in three])
    results = []
    for label, (small, big, single, accept) in urls.items():
        sizes = [items(conn.get(u, Accept=accept)[0]) for u in (small, big)]
        for _ in range(2):  # warm-up
            for u in (small, big, single):
                conn.get(u, Accept=accept)
        samples: dict[str, list[float]] = {small: [], big: [], single: []}
        for _ in range(iterations):  # interleaved: drift falls on all three alike
            for u in samples:
                samples[u].append(conn.get(u, Accept=accept)[1])
        s, b, g = (statistics.median(samples[u]) for u in (small, big, single))
        results.append(
            ListCost(
                label,
                s,
                b,
                g,
                (b - s) / (sizes[1] - sizes[0]),
                tuple(queries[(u, accept)] for u in (small, big, single)),
            )
        )
    return results


# ---------------------------------------------------------------- 2-4. watches


class Watcher(threading.Thread):
    """One `kubectl get -w`-like stream: reads event lines as they come and notes when each
    version of the changed object arrived."""

    def __init__(self, stack: Stack, token: str, kind: tuple, url: str, board: Board):
        super().__init__(daemon=True)
        self.conn = http.client.HTTPSConnection(
            "localhost", stack.https_port, context=stack.tls, timeout=None
        )
        self.token, self.kind, self.url, self.board = token, kind, url, board
        self.arrivals: list[tuple[int, float]] = []  # (resourceVersion, monotonic time)
        self.error = ""

    def run(self) -> None:
        try:
            self.conn.request("GET", self.url, headers={"Authorization": f"Bearer {self.token}"})
            response = self.conn.getresponse()
            if response.status != 200:
                self.error = f"{response.status} {response.read()[:200]!r}"
                return
            while line := response.readline():
                arrived = time.monotonic()
                event = json.loads(line)
                meta = event["object"].get("metadata") or {}
                if event["type"] == "ERROR":
                    self.error = event["object"].get("message", "ERROR")
                    return
                if meta.get("name") == CHANGED:
                    with self.board.changed:
                        self.arrivals.append((int(meta["resourceVersion"]), arrived))
                        self.board.changed.notify_all()
        except Exception as error:  # closing the socket under a blocked read ends up here too
            if not self.board.closing:
                self.error = repr(error)
        finally:
            with self.board.changed:
                self.board.changed.notify_all()

    def reached(self, rv: int) -> float | None:
        """When this watcher first read the object at `rv` or newer."""
        return next((t for version, t in self.arrivals if version >= rv), None)

    def close(self) -> None:
        sock = self.conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@dataclass
class Board:
    """What the watchers share with the bench: a condition to wait on."""

    changed: threading.Condition = field(default_factory=threading.Condition)
    closing: bool = False


class Watches:
    """`count` watches on the watched namespace, half on TKCs and half on Clusters, each from
    the resourceVersion of a list, as an informer starts; `change()` PATCHes a TKC's labels and
    times until every watcher has read the change."""

    def __init__(self, stack: Stack, token: str, count: int):
        self.api = Connection(stack, headers={"Authorization": f"Bearer {token}"})
        self.board = Board()
        self.watchers = []
        for i, kind in enumerate((TKC, CLUSTER)):
            listed = json.loads(self.api.get(path(kind, WATCHED))[0])
            rv = listed["metadata"]["resourceVersion"]
            query = f"watch=true&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=900"
            share = count // 2 + (count % 2 if i == 0 else 0)
            self.watchers += [
                Watcher(stack, token, kind, path(kind, WATCHED, query=query), self.board)
                for _ in range(share)
            ]
        for watcher in self.watchers:
            watcher.start()
        self.serial = 0
        # Every watch answers a first change: the streams are live server-side, not just sent.
        if math.isinf(self.change()[-1]):
            sys.exit(f"the watches did not see a first change within {CHANGE_TIMEOUT:.0f} s")

    def change(self) -> tuple[float, float, float]:
        """Seconds from the PATCH's response until the first, the median and the last watcher
        read its event (inf if one did not within CHANGE_TIMEOUT)."""
        self.serial += 1
        patch = {"metadata": {"labels": {"bench-change": f"{uuid.uuid4().hex[:6]}-{self.serial}"}}}
        status, body, _ = self.api.call(
            "PATCH",
            path(TKC, WATCHED, CHANGED),
            json.dumps(patch).encode(),
            **{"Content-Type": "application/merge-patch+json"},
        )
        answered = time.monotonic()
        if status != 200:
            sys.exit(f"PATCH -> {status}: {body[:300]!r}")
        # The TKC's own Cluster changed in the same transaction, with a version of its own (and
        # no labels: the TKC's stay on the TKC). A later change than the PATCH's own (a
        # reconcile) also counts: it arrives no earlier than the PATCH's would.
        expected = {
            TKC: int(json.loads(body)["metadata"]["resourceVersion"]),
            CLUSTER: int(
                json.loads(self.api.get(path(CLUSTER, WATCHED, CHANGED))[0])["metadata"][
                    "resourceVersion"
                ]
            ),
        }
        with self.board.changed:
            self.board.changed.wait_for(
                lambda: all(w.error or w.reached(expected[w.kind]) for w in self.watchers),
                timeout=CHANGE_TIMEOUT,
            )
        errors = [w.error for w in self.watchers if w.error]
        if errors:
            sys.exit(f"{len(errors)} watches failed, e.g. {errors[0]}")
        arrivals = [w.reached(expected[w.kind]) for w in self.watchers]
        if None in arrivals:
            return (math.inf,) * 3
        # An event can outrun the PATCH's own response: that is no delay at all.
        delays = [max(0.0, t - answered) for t in arrivals]
        return min(delays), statistics.median(delays), max(delays)

    def close(self) -> None:
        self.board.closing = True
        for watcher in self.watchers:
            watcher.close()
        for watcher in self.watchers:
            watcher.join(timeout=10)
            watcher.conn.close()


@dataclass
class Window:
    """One idle window and one batch of other requests, with or without watches."""

    cpu_core: float  # web processes' CPU over the idle window, as a share of one core
    samples: dict[str, list[float]]


def window(stack: Stack, mix: list[tuple[str, Connection, str, dict]], args) -> Window:
    pids = stack.web_pids()
    cpu, wall = cpu_seconds(pids), time.monotonic()
    time.sleep(args.idle_seconds)  # idle: what the open watches (or nothing) cost
    cpu, wall = cpu_seconds(pids) - cpu, time.monotonic() - wall
    samples: dict[str, list[float]] = {label: [] for label, *_ in mix}
    for _ in range(args.requests):
        for label, conn, url, headers in mix:
            samples[label].append(conn.get(url, **headers)[1])
    return Window(cpu / wall, samples)


def rounds(stack: Stack, token: str, args) -> tuple[list[Window], list[Window], list[tuple]]:
    bearer = {"Authorization": f"Bearer {token}"}
    kube = Connection(stack, headers=bearer)
    console = Connection(stack, secure=False, headers={"Cookie": console_login(stack)})
    mix = [
        ("cluster GET", kube, path(TKC, BIG, "tkc-0000"), {}),
        (
            f"list of {args.clusters} (Table)",
            kube,
            path(TKC, BIG, query="limit=500"),
            {"Accept": TABLE},
        ),
        ("console page", console, f"/workload-management/namespaces/{WATCHED}/", {}),
    ]
    for _label, conn, url, headers in mix:  # warm-up
        for _ in range(3):
            conn.get(url, **headers)
    without, with_, latencies = [], [], []
    for r in range(args.rounds):
        for watched in (False, True) if r % 2 == 0 else (True, False):
            if not watched:
                without.append(window(stack, mix, args))
                continue
            watches = Watches(stack, token, args.watches)
            try:
                with_.append(window(stack, mix, args))
                latencies += [watches.change() for _ in range(args.changes)]
            finally:
                watches.close()
            # The server sees the disconnects and lets the streams go; give it a moment so the
            # next idle window without watches does not pay for their teardown.
            time.sleep(1.0)
    return without, with_, latencies


# ---------------------------------------------------------------- report


@dataclass
class Row:
    metric: str
    value: str
    goal: str
    ok: bool


def summary(costs: list[ListCost], without, with_, latencies, args) -> list[Row]:
    rows = []
    for c in costs:
        rows.append(
            Row(f"list: per object / GET, {c.label}", f"{c.ratio:.3f}", "<= 0.2", c.ratio <= 0.2)
        )
    for c in costs:
        q1, qn, _ = c.queries
        rows.append(
            Row(
                f"list: queries at 1 / {args.clusters}, {c.label}",
                f"{q1} / {qn}",
                "equal",
                q1 == qn,
            )
        )
    idle_a = statistics.mean(w.cpu_core for w in without)
    idle_b = statistics.mean(w.cpu_core for w in with_)
    rows.append(
        Row(
            f"idle CPU of the web processes, {args.watches} watches - none",
            f"{(idle_b - idle_a) * 100:+.2f}% of a core "
            f"({idle_a * 100:.2f}% -> {idle_b * 100:.2f}%)",
            f"<= +{GOAL_IDLE_CORE * 100:.0f}%",
            idle_b - idle_a <= GOAL_IDLE_CORE,
        )
    )
    for label in without[0].samples:
        a = p95([ms for w in without for ms in w.samples[label]])
        b = p95([ms for w in with_ for ms in w.samples[label]])
        rows.append(
            Row(
                f"p95 with / without watches, {label}",
                f"{b / a:.2f} ({b:.1f} / {a:.1f} ms)",
                f"<= {GOAL_P95_RATIO}",
                b / a <= GOAL_P95_RATIO,
            )
        )
    last = [late for *_, late in latencies]
    rows.append(
        Row(
            f"change -> all {args.watches} watchers, p95 of {len(last)}",
            f"{p95(last) * 1000:.0f} ms (max {max(last) * 1000:.0f})",
            f"< {GOAL_CHANGE_SECONDS * 1000:.0f} ms",
            p95(last) < GOAL_CHANGE_SECONDS,
        )
    )
    return rows


def print_rounds(without: list[Window], with_: list[Window], latencies, args) -> None:
    header = f"{'beside the watches':<28}{'n':>5}{'p50 ms':>14}{'p95 ms':>16}"
    print(header)
    print("-" * len(header))
    for label in without[0].samples:
        a = [ms for w in without for ms in w.samples[label]]
        b = [ms for w in with_ for ms in w.samples[label]]
        p50s = f"{statistics.median(a):.1f} / {statistics.median(b):.1f}"
        p95s = f"{p95(a):.1f} / {p95(b):.1f}"
        print(f"{label:<28}{len(a):>5}{p50s:>14}{p95s:>16}")
    cpu = " ".join(f"{w.cpu_core * 100:.1f}%" for w in without)
    cpu_with = " ".join(f"{w.cpu_core * 100:.1f}%" for w in with_)
    print(f"idle CPU per window (without / with): {cpu} / {cpu_with} of a core")
    print("(p50 and p95: without / with the watches)\n")
    header = f"{'a change reached':<28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}"
    print(header)
    print("-" * len(header))
    for i, label in enumerate(("the first watcher", "half the watchers", "every watcher")):
        delays = [d[i] * 1000 for d in latencies]
        print(
            f"{label:<28}{statistics.median(delays):>10.0f}{p95(delays):>10.0f}{max(delays):>10.0f}"
        )


def print_lists(costs: list[ListCost], count: int) -> None:
    header = (
        f"{'list':<14}{'list 1 ms':>10}{f'list {count} ms':>13}{'GET ms':>8}"
        f"{'per obj ms':>11}{'/ GET':>7}{'queries 1/N/GET':>17}"
    )
    print(header)
    print("-" * len(header))
    for c in costs:
        q = "/".join(str(n) for n in c.queries)
        print(
            f"{c.label:<14}{c.list_1_ms:>10.2f}{c.list_n_ms:>13.2f}{c.get_ms:>8.2f}"
            f"{c.per_object_ms:>11.3f}{c.ratio:>7.3f}{q:>17}"
        )


def print_rows(rows: list[Row]) -> None:
    width = max(len(r.metric) for r in rows)
    vwidth = max(len(r.value) for r in rows)
    header = f"{'metric':<{width}}  {'value':<{vwidth}}  {'goal':<9}  result"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.metric:<{width}}  {r.value:<{vwidth}}  {r.goal:<9}  {'pass' if r.ok else 'FAIL'}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = configure(args)
    import django

    django.setup()
    from django.conf import settings

    database = settings.DATABASES["default"]
    print(
        f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}; "
        f"Redis: {settings.REDIS_URL or 'no (watches poll)'}; "
        f"web processes: {args.web_processes}"
    )
    started = time.monotonic()
    seed(args.clusters)
    print(f"seeded in {time.monotonic() - started:.1f} s; starting the stack")
    stack = start_stack(env, args.web_processes)
    try:
        token = wcp_login(stack)
        costs = list_costs(stack, token, args.clusters, args.iterations)
        without, with_, latencies = rounds(stack, token, args)
    finally:
        stack.stop()
    print(
        f"\n{args.iterations} timed GETs per list URL; {args.rounds} rounds of an idle window of "
        f"{args.idle_seconds:.0f} s and {args.requests} requests of each kind, without and with "
        f"{args.watches} watches; {args.changes} changes per round with them "
        f"({time.monotonic() - started:.0f} s in all)\n"
    )
    print_lists(costs, args.clusters)
    print()
    print_rounds(without, with_, latencies, args)
    print()
    rows = summary(costs, without, with_, latencies, args)
    print_rows(rows)
    missed = [r for r in rows if not r.ok]
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
