"""SQL time of what a developer (no vCenter role, a role on one namespace) is shown of the
tasks and events table when it holds many rows: the Recent Tasks pane, the portal's Activity
(a page of tasks with its count, and the newest events) and `kubectl get events -n <ns>`.

    .venv/bin/python bench/task_visibility.py [--tasks 50000] [--iterations 20] [--explain]

Uses a database of its own: SQLite under .var/bench-tasks, or DATABASE_URL if set. The first
run migrates, loads the demo estate and its Workload Management, then adds `--tasks` tasks and as
many events with bulk_create: most on VMs, the rest on namespaces and VKS clusters of 300
namespaces (a few of them the developer's). Later runs reuse them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))  # run as a script: make the project importable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")
os.environ["VKS_VAR_DIR"] = str(BASE_DIR / ".var" / "bench-tasks")
os.environ.setdefault("VKS_CACHE_PREFIX", "vks-bench-tasks")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ["VKS_CELERY_EAGER"] = "1"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from inventory import selectors  # noqa: E402
from inventory.estates import demo  # noqa: E402
from inventory.models import Cluster, Event, Task, VirtualMachine  # noqa: E402
from inventory.tasklog import Target, entity_scope  # noqa: E402
from kubeapi.supervisor.core import EventSource  # noqa: E402
from kubeapi.surface import Context  # noqa: E402
from portal import selectors as portal  # noqa: E402
from workloads.targets import CLUSTER_TYPE, NAMESPACE_TYPE  # noqa: E402

DEVELOPER = "bob@vsphere.local"  # Can edit in `payments` (the demo's DevTeam-Payments)
BATCH = 5_000
USER = None  # the developer measured


def prepare(count: int) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    if not Cluster.objects.exists():
        call_command("load_estate", "demo", verbosity=0)
        call_command("load_workloads", "demo", verbosity=0)
    have = Task.objects.count()
    if have >= count:
        return
    print(f"adding {count - have:,} tasks and events ...", flush=True)
    within = Cluster.objects.select_related("datacenter").get(name=demo.WORKLOAD_01)
    vms = list(VirtualMachine.objects.select_related("host__cluster__datacenter")[:200])
    namespaces = ["payments", "storefront"] + [f"team-{i:03d}" for i in range(298)]
    start = timezone.now() - timedelta(days=30)
    tasks, events = [], []
    for i in range(have, count):
        ns = namespaces[(i // 10) % len(namespaces)]
        if i % 10 < 8:  # most of vCenter's tasks are on inventory objects
            target = vms[i % len(vms)]
        elif i % 10 == 8:
            target = Target(NAMESPACE_TYPE, ns, ns, within=within, namespace=ns)
        else:
            target = Target(
                CLUSTER_TYPE, f"{ns}/c{i % 7}", f"c{i % 7}", within=within, namespace=ns
            )
        at = start + timedelta(seconds=i * 30)
        scope = entity_scope(target)
        tasks.append(
            Task(
                key=f"task-b{i}",
                name="Bench task",
                description_id="Bench.task",
                operation="bench",
                state=Task.State.SUCCESS if i % 13 else Task.State.ERROR,
                initiator="VSPHERE.LOCAL\\administrator",
                queued_at=at,
                started_at=at,
                completed_at=at,
                **scope,
            )
        )
        events.append(
            Event(event_type="com.vmware.bench.Done", message="Bench", created_at=at, **scope)
        )
        if len(tasks) == BATCH:
            Task.objects.bulk_create(tasks)
            Event.objects.bulk_create(events)
            tasks, events = [], []
    Task.objects.bulk_create(tasks)
    Event.objects.bulk_create(events)


def forget() -> None:
    """Drop what selectors memoise on the user for a request (its roles, its namespaces'
    names): each run is measured as a request of its own."""
    for key in [k for k in USER.__dict__ if k.startswith("_vks_")]:
        del USER.__dict__[key]


def sql_ms(work, iterations: int) -> tuple[float, int, tuple]:
    """Median SQL milliseconds of one run of `work`, its query count and its slowest query."""
    samples, slowest = [], ("", (), 0.0)
    count = 0
    for _ in range(iterations):
        timings: list[tuple[str, tuple, float]] = []

        def timed(execute, sql, params, many, context, timings=timings):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((sql, params, (time.perf_counter() - started) * 1000))

        forget()
        with connection.execute_wrapper(timed):
            work()
        samples.append(sum(ms for *_, ms in timings))
        count = len(timings)
        top = max(timings, key=lambda t: t[2])
        if top[2] > slowest[2]:
            slowest = top
    return statistics.median(samples), count, slowest[:2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="print each slowest query's plan")
    args = parser.parse_args(argv)
    prepare(args.tasks)
    global USER
    user = USER = get_user_model().objects.get(username=DEVELOPER)
    ctx = Context(user=user, now=timezone.now())
    print(
        f"{connection.vendor}: {Task.objects.count():,} tasks, {Event.objects.count():,} events;"
        f" {DEVELOPER} sees {selectors.tasks_visible_to(user).count():,} tasks"
    )
    work = {
        "Recent Tasks pane (20 newest)": lambda: selectors.recent_tasks(20, user=user),
        "Activity: tasks page + count": lambda: list(portal.activity_tasks(user).object_list),
        "Activity: failed tasks page + count": lambda: list(
            portal.activity_tasks(user, states=[Task.State.ERROR]).object_list
        ),
        "Activity: 25 newest events": lambda: portal.activity_events(user),
        "kubectl get events -n payments": lambda: EventSource().objects(ctx, "payments", None),
    }
    print(f"{'what':40} {'SQL ms':>9} {'queries':>8}")
    for label, run in work.items():
        forget()
        run()  # warm the caches
        median, count, slowest = sql_ms(run, args.iterations)
        print(f"{label:40} {median:9.2f} {count:8}")
        if args.explain:
            with connection.cursor() as cursor:
                prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
                cursor.execute(prefix + slowest[0], slowest[1])
                for row in cursor.fetchall():
                    print("    ", row)


if __name__ == "__main__":
    main()
