"""What a VKS cluster list costs on the Kubernetes API, per object, against a single GET.

    .venv/bin/python bench/kube_lists.py [--iterations 20] [--warmup 3] [--clusters 500]

Runs in-process through Django's test Client against a database of its own (SQLite under
.var/bench-kube, or DATABASE_URL if set): the demo estate and its Workload Management, then a
namespace holding `--clusters` TanzuKubernetesClusters and as many Clusters (rows made in bulk
from the demo's cluster, half of them with a manifest as written). Measured, for each kind:
GET of the list with 1 cluster and with N, and GET of one; and the same through the kubeapi
source alone (list/get and JSON encoding, what the Kubernetes API's dispatcher calls). The
figure that matters is per object in the list of N, (list N - list 1) / (N - 1), divided by a
single GET: the goal is at most 0.2. Ratios within one run, so the machine's speed cancels out.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))  # run as a script: make the project importable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")
os.environ["VKS_VAR_DIR"] = str(BASE_DIR / ".var" / "bench-kube")
os.environ.setdefault("VKS_CACHE_PREFIX", "vks-bench-kube")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ["VKS_CELERY_EAGER"] = "1"  # no worker: nothing here should enqueue, but never hang

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from kubeapi.clusters import CLUSTERS, TANZU_KUBERNETES_CLUSTERS  # noqa: E402
from kubeapi.surface import Context  # noqa: E402
from workloads import demo  # noqa: E402
from workloads.cluster_objects import spec_document  # noqa: E402
from workloads.manifests import (  # noqa: E402
    CLUSTER_API_VERSION,
    CLUSTER_KIND,
    TKC_API_VERSION,
    TKC_KIND,
)
from workloads.models import Namespace, VksCluster  # noqa: E402

ADMIN = "administrator@vsphere.local"
BIG = "bench-many"  # the namespace of N clusters of each kind
SMALL = "bench-one"  # the namespace of one of each


def prepare(count: int) -> None:
    """Migrate, load the demo estate and its Workload Management once, then (re)make the two
    namespaces with their clusters in bulk."""
    call_command("migrate", verbosity=0, interactive=False)
    if not Namespace.objects.exists():
        call_command("load_estate", "demo", verbosity=0)
        demo.load()
    model = VksCluster.objects.filter(nodes__isnull=False).distinct().order_by("pk").first()
    template = model.namespace
    for name, size in ((SMALL, 1), (BIG, count)):
        ns, _ = Namespace.objects.get_or_create(
            name=name,
            defaults={
                "supervisor": template.supervisor,
                "kubernetes_library": template.kubernetes_library,
            },
        )
        if VksCluster.objects.filter(namespace=ns).count() == 2 * size:
            continue
        VksCluster.objects.filter(namespace=ns).delete()
        VksCluster.objects.bulk_create(row for i in range(size) for row in _copies(model, ns, i))


def _copies(model: VksCluster, ns: Namespace, i: int) -> list[VksCluster]:
    """A TKC and a Cluster like the demo's (no nodes), every other one made from a manifest
    with fields the simulator keeps as written."""
    made = []
    for kind, api_version in ((TKC_KIND, TKC_API_VERSION), (CLUSTER_KIND, CLUSTER_API_VERSION)):
        cluster_class = "" if kind == TKC_KIND else model.cluster_class
        written = {}
        if i % 2:
            written = spec_document(kind, cluster_class, model.spec)
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
                annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
                generation=1,
                phase=model.phase,
                conditions=copy.deepcopy(model.conditions),
                observed_generation=1,
                api_endpoint=model.api_endpoint,
            )
        )
    return made


def timed(call: Callable[[], object], iterations: int, warmup: int) -> tuple[float, int]:
    """Median milliseconds of `call`, and the queries of one more."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        call()
    return statistics.median(samples), len(captured)


def http(client: Client, url: str) -> Callable[[], object]:
    def get() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} -> {response.status_code}")
        return response.content

    return get


def direct(call: Callable[[], object]) -> Callable[[], object]:
    return lambda: json.dumps(call()).encode()


def items(content) -> int:
    document = json.loads(content)
    return len(document["items"] if isinstance(document, dict) else document)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--clusters", type=int, default=500)
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.warmup < 0 or args.clusters < 2:
        parser.error("--iterations >= 1, --warmup >= 0, --clusters >= 2")
    n = args.clusters

    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
    prepare(n)
    admin = get_user_model().objects.get(username=ADMIN)
    client = Client()
    client.force_login(admin)

    def ctx() -> Context:
        return Context(user=admin, now=timezone.now())

    kinds = (
        ("tkc", TANZU_KUBERNETES_CLUSTERS, "tkc-0000"),
        ("cluster", CLUSTERS, "cl-0000"),
    )
    print(f"runs:     {args.warmup} warm-up + {args.iterations} timed, N = {n}\n")
    header = (
        f"{'kind':<8} {'path':<8} {'list 1 ms':>10} {'list N ms':>10} {'GET 1 ms':>9} "
        f"{'per obj ms':>10} {'per obj / GET':>13} {'queries 1/N/GET':>16}"
    )
    print(header)
    print("-" * len(header))
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        for label, resource, one in kinds:
            base = f"/apis/{resource.group}/{resource.version}/namespaces"
            paths = {
                "http": (
                    http(client, f"{base}/{SMALL}/{resource.plural}"),
                    http(client, f"{base}/{BIG}/{resource.plural}"),
                    http(client, f"{base}/{BIG}/{resource.plural}/{one}"),
                ),
                "source": (
                    direct(lambda r=resource: r.source.list(ctx(), SMALL)),
                    direct(lambda r=resource: r.source.list(ctx(), BIG)),
                    direct(lambda r=resource, o=one: r.source.get(ctx(), BIG, o)),
                ),
            }
            for path, (small, big, single) in paths.items():
                (s_ms, s_q), (b_ms, b_q), (g_ms, g_q) = (
                    timed(call, args.iterations, args.warmup) for call in (small, big, single)
                )
                # A Cluster list also holds every TKC's Cluster: count what came back.
                per_object = (b_ms - s_ms) / (items(big()) - items(small()))
                print(
                    f"{label:<8} {path:<8} {s_ms:>10.2f} {b_ms:>10.2f} {g_ms:>9.2f} "
                    f"{per_object:>10.3f} {per_object / g_ms:>13.3f} "
                    f"{f'{s_q}/{b_q}/{g_q}':>16}"
                )
    print(
        "\nhttp: the Kubernetes API's dispatcher (kubeapi.views) through the test Client;"
        "\nsource: kubeapi.clusters' list/get + JSON alone, what the dispatcher calls."
    )


if __name__ == "__main__":
    main()
