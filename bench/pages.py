"""Server time of the inventory pages on the configuration-maximum estate (2,500 hosts, 45,000 VMs).

    .venv/bin/python bench/pages.py [--iterations 50] [--warmup 5] [--search web] [--sql]

Runs in-process through Django's test Client (no network, no browser) against a database of its
own: SQLite under .var/bench, or DATABASE_URL if set (the estate is then added to whatever that
database holds); REDIS_URL, if set, is the cache as in production. The first run migrates and
loads the estate (seconds on SQLite); later runs reuse it. Every page is compared with a trivial
view served by the same stack (middleware, sessions, URL resolution): the floor no page can beat.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))  # run as a script: make the project importable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")
# Always a folder of its own, even if the shell exports the dev stack's VKS_VAR_DIR: the SQLite
# file, file cache and broker folders of `make run` never see the 45,000 VMs.
os.environ["VKS_VAR_DIR"] = str(BASE_DIR / ".var" / "bench")
os.environ.setdefault("VKS_CACHE_PREFIX", "vks-bench")  # when REDIS_URL is shared with a dev stack
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ["VKS_CELERY_EAGER"] = "1"  # no worker: nothing here should enqueue, but never hang

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from inventory import selectors  # noqa: E402
from inventory.estates import config_max  # noqa: E402
from inventory.estates.common import ADMIN_USERNAME  # noqa: E402
from inventory.models import Cluster, Host, VirtualMachine  # noqa: E402
from inventory.tasklog import tasks_version  # noqa: E402
from inventory.views import RESULTS_PER_TYPE  # noqa: E402

NO_MATCH = "qzx"


def floor(request: HttpRequest) -> HttpResponse:
    """The cheapest page the stack can serve: the floor every ratio is measured against."""
    return HttpResponse("ok")


# This module is the URLconf while measuring: the project's URLs plus the floor view.
urlpatterns = [
    path("bench/floor/", floor),
    path("", include(settings.ROOT_URLCONF)),
]


@dataclass(frozen=True)
class Page:
    label: str
    url: str
    client: Client
    status: int = 200
    headers: dict[str, str] | None = None

    def get(self) -> None:
        response = self.client.get(self.url, **(self.headers or {}))
        if response.status_code != self.status:
            raise SystemExit(f"{self.label}: GET {self.url} -> {response.status_code}")


@dataclass(frozen=True)
class Result:
    page: Page
    median_ms: float
    p95_ms: float
    queries: int
    sql_ms: float  # all queries of one request, timed separately from the samples
    slowest_sql: str
    slowest_sql_ms: float


def prepare() -> tuple[dict[str, int], float | None]:
    """Migrate if needed and load the estate once; its size, and the load time if it loaded."""
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    result = config_max.load()
    seconds = time.perf_counter() - started if result.created else None
    return result.counts, seconds


def pages(search_term: str) -> list[Page]:
    """The pages to measure, on the largest cluster's first host and its first VM."""
    admin = get_user_model().objects.get(username=ADMIN_USERNAME)
    client = Client()
    client.force_login(admin)
    cluster = Cluster.objects.annotate(n=Count("hosts")).order_by("-n", "name").first()
    host = Host.objects.filter(cluster=cluster).order_by("name").first()
    vm = VirtualMachine.objects.filter(host=host).order_by("name").first()
    hosts_in_cluster = Host.objects.filter(cluster=cluster).count()
    # The last VM of the fullest folder: beyond the navigator's first page of that folder.
    folder = VirtualMachine.objects.values("folder").annotate(n=Count("id")).order_by("-n")[0]
    last_in_folder = (
        VirtualMachine.objects.filter(folder=folder["folder"]).order_by("-name").first()
    )
    groups = selectors.search(search_term, per_type=RESULTS_PER_TYPE)
    shown = sum(len(group.hits) for group in groups)
    htmx = {"HTTP_HX_REQUEST": "true"}
    search, suggestions = "/ui/search/?", "/ui/search/suggestions/?"
    return [
        Page("floor (trivial view)", "/bench/floor/", client),
        Page("login page (anonymous)", "/login/", Client()),
        Page("tree root", "/ui/tree/hosts/", client, headers=htmx),
        Page(
            f"tree: expand cluster ({hosts_in_cluster} hosts)",
            f"/ui/tree/hosts/{cluster.moid}/",
            client,
            headers=htmx,
        ),
        Page(
            "tree revealing a VM (VMs and Templates)",
            f"/ui/tree/vms/?reveal={last_in_folder.moid}",
            client,
            headers=htmx,
        ),
        Page("host VM list", f"/ui/{host.moid}/vms/", client),
        Page("VM summary", f"/ui/{vm.moid}/summary/", client),
        Page(
            f"global search {search_term!r} ({shown} shown, {len(groups)} types)",
            search + urlencode({"q": search_term}),
            client,
        ),
        Page(
            f"search suggestions {search_term!r}",
            suggestions + urlencode({"q": search_term}),
            client,
            headers=htmx,
        ),
        # No name matches: every name index is read to the end (PostgreSQL: trigram lookups).
        Page(f"global search {NO_MATCH!r} (no match)", search + urlencode({"q": NO_MATCH}), client),
        Page(
            f"search suggestions {search_term[:1]!r} (1 letter)",
            suggestions + urlencode({"q": search_term[:1]}),
            client,
            headers=htmx,
        ),
        Page(
            "recent tasks poll (idle, 204)",
            f"/ui/tasks/recent/?v={tasks_version()}",
            client,
            status=204,
            headers=htmx,
        ),
    ]


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


class QueryLog:
    """An execute wrapper that times each query with perf_counter (Django's debug cursor rounds
    to whole milliseconds). SQLite's execute runs to the first row and the rest stream in during
    fetch, so the time is that of planning, scanning and sorting; pages fetch at most 201 rows."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str]] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - started) * 1000, sql))


def measure(page: Page, iterations: int, warmup: int) -> Result:
    """Warm up, time `iterations` requests, then count and time the queries of one more (kept
    out of the timed loop so the wrapper's own cost is not measured)."""
    for _ in range(warmup):
        page.get()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        page.get()
        samples.append((time.perf_counter() - started) * 1000)
    log = QueryLog()
    with connection.execute_wrapper(log):
        page.get()
    slowest_ms, slowest_sql = max(log.queries, default=(0.0, ""))
    return Result(
        page=page,
        median_ms=statistics.median(samples),
        p95_ms=p95(samples),
        queries=len(log.queries),
        sql_ms=sum(ms for ms, _ in log.queries),
        slowest_sql=slowest_sql,
        slowest_sql_ms=slowest_ms,
    )


def report(results: list[Result], show_sql: bool) -> None:
    floor_ms = results[0].median_ms
    width = max(len(r.page.label) for r in results)
    columns = ("median ms", "p95 ms", "x floor", "queries", "SQL ms", "slowest q ms")
    header = f"{'page':<{width}}" + "".join(f"  {c:>{len(c)}}" for c in columns)
    print(header)
    print("-" * len(header))
    for r in results:
        values = (
            f"{r.median_ms:.2f}",
            f"{r.p95_ms:.2f}",
            f"{r.median_ms / floor_ms:.1f}",
            str(r.queries),
            f"{r.sql_ms:.2f}",
            f"{r.slowest_sql_ms:.2f}",
        )
        cells = "".join(f"  {v:>{len(c)}}" for v, c in zip(values, columns, strict=True))
        print(f"{r.page.label:<{width}}{cells}")
    print("\nSQL ms: all queries of one extra request, timed apart from the samples.")
    if show_sql:
        for r in results:
            if r.slowest_sql:
                print(f"\n-- {r.page.label}: slowest query, {r.slowest_sql_ms:.2f} ms\n")
                print(r.slowest_sql)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
    parser.add_argument("--search", default="web", help="global search term (many matches)")
    parser.add_argument("--sql", action="store_true", help="print each page's slowest query")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.warmup < 0:
        parser.error("--iterations must be at least 1 and --warmup at least 0")

    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
    print(f"cache:    {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")
    counts, load_seconds = prepare()
    loaded = f"loaded in {load_seconds:.1f} s" if load_seconds is not None else "already loaded"
    print(
        f"estate:   {config_max.NAME}, {counts['hosts']:,} hosts, "
        f"{counts['virtual machines']:,} VMs ({loaded})"
    )
    print(f"runs:     {args.warmup} warm-up + {args.iterations} timed requests per page\n")

    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"], DEBUG=False):
        results = [measure(page, args.iterations, args.warmup) for page in pages(args.search)]
    report(results, args.sql)


if __name__ == "__main__":
    main()
