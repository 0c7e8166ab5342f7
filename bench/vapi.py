"""Server time of the Automation API (REST, as the SDK and vmware_rest call it) on the
configuration-maximum estate (2,500 hosts, 45,000 VMs), against govmomi's vcsim.

    .venv/bin/python bench/vapi.py [--iterations 50] [--warmup 5] [--namespaces 200] [--sql]

Same harness as bench/pages.py (imported: its database under .var/bench or DATABASE_URL, its
estate, floor view, timing and query log): in-process through Django's test Client, every request
with an API session (`vmware-api-session-id`). The first run also enables a Supervisor on one
config-max cluster through the services (reconciled on a simulated clock, as tests do) and creates
`--namespaces` vSphere Namespaces the same way; a few of that cluster's VMs are then moved into
each namespace's resource pool, so the usage sums run over the estate's VMs.

Goals: 6x faster than vcsim on the same estate. vcsim answers the namespace-management clusters
list in 60.6 ms at 45,000 VMs (goal 10.1 ms, also used for the other single small calls) and
lists 45,000 VM names over SOAP in 1.4 s (goal 233 ms for the whole estate: 5.19 ms per 1,000
rows, for the VM and host lists; one call answers at most 4,000 VMs).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent))  # bench/ after the project: pages

import pages  # noqa: E402  (sets up Django on the bench database)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from inventory.api.sessions import session_open  # noqa: E402
from inventory.estates import config_max  # noqa: E402
from inventory.estates.common import ADMIN_USERNAME  # noqa: E402
from inventory.models import (  # noqa: E402
    Cluster,
    ContentLibrary,
    Datastore,
    Host,
    PortGroup,
    ResourcePool,
    StoragePolicy,
    VirtualMachine,
)
from vapi.vcenter.common import LIMITS  # noqa: E402
from workloads import reconcilers, services  # noqa: E402
from workloads.demo import wizard_spec  # noqa: E402
from workloads.models import Namespace, Supervisor  # noqa: E402
from workloads.reconcilers.common import NAMESPACES  # noqa: E402

SUPERVISOR_CLUSTER = "Scale-Cluster-002"
SUPERVISOR = "bench-supervisor"
LIBRARY = "Bench Kubernetes Releases"
VMS_PER_NAMESPACE = 5
VCSIM_CALL_MS = 60.6  # vcsim: namespace-management clusters list at 45,000 VMs
VCSIM_45K_VMS_MS = 1400.0  # vcsim: 45,000 VM names over SOAP
SPEEDUP = 6
CALL_GOAL_MS = VCSIM_CALL_MS / SPEEDUP
PER_1000_GOAL_MS = VCSIM_45K_VMS_MS / SPEEDUP / 45


# ---------------------------------------------------------------- the Supervisor and namespaces


def _settle(model, reconcile, pk: int) -> None:
    """Run passes as beat and countdowns would, moving a simulated clock to each next pass."""
    now = timezone.now()
    for _ in range(500):
        due = model.objects.values_list("next_reconcile_at", flat=True).get(pk=pk)
        if due is None:
            return
        now = max(now, due)
        reconcile(pk, now=now)
    raise SystemExit(f"{model.__name__} {pk} did not settle")


def _raw_spec(cluster: Cluster, library: ContentLibrary) -> dict:
    """What the enable wizard posts, with the config-max estate's networks and policy."""
    return wizard_spec(
        cluster,
        name=SUPERVISOR,
        policy=StoragePolicy.objects.order_by("pk").first(),
        library=library,
        management=PortGroup.objects.get(name="Scale-Management-01"),
        workload=PortGroup.objects.get(name="VM-VLAN-1000"),
        domain=config_max.DOMAIN,
    )


def seed_workloads(admin, count: int) -> Supervisor:
    """The Supervisor and `count` namespaces, through the services (idempotent)."""
    cluster = Cluster.objects.get(name=SUPERVISOR_CLUSTER)
    library, _ = ContentLibrary.objects.get_or_create(
        name=LIBRARY,
        defaults={
            "library_id": uuid.uuid4(),
            "type": ContentLibrary.Type.SUBSCRIBED,
            "subscription_url": "https://wp-content.vmware.com/v2/latest/lib.json",
            "datastore": Datastore.objects.order_by("pk").first(),
        },
    )
    sup = Supervisor.objects.filter(cluster=cluster).first()
    if sup is None:
        sup = services.supervisor_enable(spec=_raw_spec(cluster, library), user=admin)
    _settle(Supervisor, reconcilers.supervisor_reconcile, sup.pk)
    existing = set(Namespace.objects.filter(supervisor=sup).values_list("name", flat=True))
    for i in range(count):
        name = f"bench-ns-{i:03d}"
        if name not in existing:
            ns = services.namespace_create(supervisor=sup, name=name, user=admin)
            _settle(Namespace, reconcilers.namespace_reconcile, ns.pk)
    for ns in Namespace.objects.filter(supervisor=sup, next_reconcile_at__isnull=False):
        _settle(Namespace, reconcilers.namespace_reconcile, ns.pk)
    _fill_namespaces(sup)
    return Supervisor.objects.get(pk=sup.pk)


@transaction.atomic
def _fill_namespaces(sup: Supervisor) -> None:
    """Move VMS_PER_NAMESPACE of the cluster's workload VMs into each empty namespace pool."""
    pools = list(
        ResourcePool.objects.filter(
            cluster=sup.cluster_id,
            name__in=Namespace.objects.filter(supervisor=sup).values("name"),
        )
        .annotate(n=Count("vms"))
        .filter(n=0)
        .order_by("name")
    )
    if not pools:
        return
    free = list(
        VirtualMachine.objects.filter(resource_pool__cluster=sup.cluster_id)
        .exclude(resource_pool__name=NAMESPACES)
        .exclude(resource_pool__parent__name=NAMESPACES)
        .order_by("name")
        .values_list("pk", flat=True)[: len(pools) * VMS_PER_NAMESPACE]
    )
    for i, pool in enumerate(pools):
        chunk = free[i * VMS_PER_NAMESPACE : (i + 1) * VMS_PER_NAMESPACE]
        VirtualMachine.objects.filter(pk__in=chunk).update(resource_pool=pool)


# ---------------------------------------------------------------- the calls


@dataclass(frozen=True)
class Call:
    page: pages.Page
    goal: str  # "call" (median <= CALL_GOAL_MS), "rows" (per 1,000 rows), "" (none)
    rows: int


def _rows(page: pages.Page) -> int:
    response = page.client.get(page.url, **(page.headers or {}))
    if not response.get("Content-Type", "").startswith("application/json"):
        return 0
    body = response.json()
    return len(body) if isinstance(body, list) else 0


def calls(admin) -> list[Call]:
    admin.backend = settings.AUTHENTICATION_BACKENDS[0]
    token = session_open(user=admin)
    client = Client()
    api = {"HTTP_VMWARE_API_SESSION_ID": token}
    by_size = Cluster.objects.annotate(n=Count("hosts__vms")).order_by("-n", "name")
    big = by_size.first()
    host = Host.objects.filter(cluster=big).order_by("name").first()
    # No config-max cluster holds more than 4,000 VMs: three of the largest together do.
    three = list(by_size[:3])
    over = "&".join(f"clusters={c.moid}" for c in three)
    over_vms = sum(c.n for c in three)
    namespaces = Namespace.objects.count()

    def page(label: str, url: str, status: int = 200) -> pages.Page:
        return pages.Page(label, url, client, status=status, headers=api)

    vm, ns, nm = "/api/vcenter/vm", "/api/vcenter/namespaces", "/api/vcenter/namespace-management"
    specs = [
        (pages.Page("floor (trivial view)", "/bench/floor/", client), ""),
        (page("namespace-management clusters", f"{nm}/clusters"), "call"),
        (page(f"vm ?hosts=1 host ({host.name})", f"{vm}?hosts={host.moid}"), "call"),
        (page(f"vm ?clusters=1 ({big.name}, {big.n:,} VMs)", f"{vm}?clusters={big.moid}"), "rows"),
        (
            page(
                f"vm ?clusters=3 ({over_vms:,} VMs > {LIMITS['vm']:,}: 400)",
                f"{vm}?{over}",
                status=400,
            ),
            "call",
        ),
        (page("host (all)", "/api/vcenter/host"), "rows"),
        # The other inventory lists, whole: each a few hundred rows at most, so one call.
        *(
            (page(f"{kind} (all)", f"/api/vcenter/{kind}"), "call")
            for kind in ("datacenter", "folder", "cluster", "network", "datastore", "resource-pool")
        ),
        (page(f"namespaces/instances ({namespaces} ns)", f"{ns}/instances"), "call"),
    ]
    return [Call(p, goal, _rows(p)) for p, goal in specs]


# ---------------------------------------------------------------- the table


def verdict(call: Call, result: pages.Result) -> tuple[str, str, str]:
    """(per 1,000 rows, goal, pass/fail)."""
    per_1000 = f"{result.median_ms / call.rows * 1000:.2f}" if call.rows else "-"
    if call.goal == "call":
        return per_1000, f"<= {CALL_GOAL_MS:.1f} ms", _ok(result.median_ms <= CALL_GOAL_MS)
    if call.goal == "rows":
        ms = result.median_ms / call.rows * 1000
        return per_1000, f"<= {PER_1000_GOAL_MS:.2f}/1k", _ok(ms <= PER_1000_GOAL_MS)
    return per_1000, "", ""


def _ok(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def report(measured: list[tuple[Call, pages.Result]], show_sql: bool) -> None:
    floor_ms = measured[0][1].median_ms
    width = max(len(c.page.label) for c, _ in measured)
    columns = ("median ms", "p95 ms", "x floor", "queries", "SQL ms", "rows", "ms/1k", "goal")
    header = f"{'endpoint':<{width}}" + "".join(f"  {c:>{len(c)}}" for c in columns)
    header += "          result"
    print(header)
    print("-" * len(header))
    for call, r in measured:
        per_1000, goal, result = verdict(call, r)
        values = (
            f"{r.median_ms:.2f}",
            f"{r.p95_ms:.2f}",
            f"{r.median_ms / floor_ms:.1f}",
            str(r.queries),
            f"{r.sql_ms:.2f}",
            f"{call.rows:,}" if call.rows else "-",
            per_1000,
            goal,
        )
        cells = "".join(
            f"  {v:>{max(len(c), 14 if c == 'goal' else 0)}}"
            for v, c in zip(values, columns, strict=True)
        )
        print(f"{call.page.label:<{width}}{cells}  {result:>6}")
    print(
        f"\nGoals (6x vcsim): a call <= {CALL_GOAL_MS:.1f} ms (vcsim {VCSIM_CALL_MS} ms); a list"
        f" <= {PER_1000_GOAL_MS:.2f} ms per 1,000 rows (vcsim lists 45,000 VMs in"
        f" {VCSIM_45K_VMS_MS / 1000:.1f} s: 45 x {PER_1000_GOAL_MS:.2f} = 233 ms)."
    )
    if show_sql:
        for call, r in measured:
            if r.slowest_sql:
                print(f"\n-- {call.page.label}: slowest query, {r.slowest_sql_ms:.2f} ms\n")
                print(r.slowest_sql)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50, help="timed requests per call")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
    parser.add_argument("--namespaces", type=int, default=200, help="vSphere Namespaces")
    parser.add_argument("--sql", action="store_true", help="print each call's slowest query")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.warmup < 0 or args.namespaces < 1:
        parser.error("--iterations and --namespaces must be at least 1, --warmup at least 0")

    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
    print(f"cache:    {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")
    counts, load_seconds = pages.prepare()
    admin = get_user_model().objects.get(username=ADMIN_USERNAME)
    started = time.perf_counter()
    sup = seed_workloads(admin, args.namespaces)
    if connection.vendor == "postgresql":
        # As autovacuum leaves a production database: statistics current and the visibility
        # map set, so the covering indexes answer index-only (after a bulk load they do not).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    in_namespaces = VirtualMachine.objects.filter(
        resource_pool__cluster=sup.cluster_id, resource_pool__parent__name=NAMESPACES
    ).count()
    loaded = f"loaded in {load_seconds:.1f} s" if load_seconds is not None else "already loaded"
    print(
        f"estate:   {config_max.NAME}, {counts['hosts']:,} hosts, "
        f"{counts['virtual machines']:,} VMs ({loaded}); Supervisor {sup.name} "
        f"({sup.config_status}) on {sup.cluster.name}, {Namespace.objects.count()} namespaces "
        f"holding {in_namespaces:,} VMs (seeded/checked in {time.perf_counter() - started:.1f} s)"
    )
    print(f"runs:     {args.warmup} warm-up + {args.iterations} timed requests per call\n")

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the expected 400s
    with override_settings(ROOT_URLCONF=pages.__name__, ALLOWED_HOSTS=["testserver"], DEBUG=False):
        measured = [
            (call, pages.measure(call.page, args.iterations, args.warmup)) for call in calls(admin)
        ]
    report(measured, args.sql)


if __name__ == "__main__":
    main()
