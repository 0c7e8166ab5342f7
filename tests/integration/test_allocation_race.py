"""Several real workers converge many VKS clusters at once, and never hand out the same thing
twice: no two VMs on one address, no two API endpoints on one virtual IP, no host with more
memory committed than it has.

Thirty clusters are created in one transaction, so their first passes reach three workers
together and every later pass races the others' (simulated time is instant). Each cluster asks
for a small control plane node and one 128 GiB worker: the Supervisor's hosts hold about twenty
of those, so the last workers must be refused for want of room rather than squeezed in.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q, Sum

from inventory.estates import demo as estate
from inventory.models import Host, StoragePolicy, Task, VirtualMachine
from tests.conftest import workload_demo
from tests.integration.workers import new_queue, publishing_to, start_worker
from workloads import demo, reconcilers, services
from workloads.cluster_status import node_ready
from workloads.models import Supervisor, VksCluster
from workloads.releases import releases_in
from workloads.services.clusters import cluster_create
from workloads.specs import storage_class_name

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL's concurrent writers; SQLite runs one write transaction at a "
        "time, so workers there cannot race",
    ),
]

WORKERS = 3
CLUSTERS = 30
INSTANT = {"VKS_SIM_SPEED": "instant"}  # no step waits: every pass races the others at once
SMALL, BIG = "best-effort-small", "best-effort-4xlarge"  # 4 GiB and 128 GiB


def _namespace(admin, sup: Supervisor):
    ns = services.namespace_create(supervisor=sup, name="race", user=admin)  # eager: converges
    policy = StoragePolicy.objects.get(name=demo.STORAGE_POLICY)
    services.namespace_storage_set(namespace=ns, limits={str(policy.policy_id): ""}, user=admin)
    services.namespace_vm_classes_set(namespace=ns, names=[SMALL, BIG], user=admin)
    services.namespace_access_set(
        namespace=ns, subject_type="USER", subject="alice", role="EDIT", user=admin
    )
    ns.refresh_from_db()
    return ns


def _spec(ns) -> dict:
    release = next(
        r for r in releases_in(ns.kubernetes_library, supervisor=ns.supervisor) if r.compatible
    )
    storage = storage_class_name(demo.STORAGE_POLICY)
    return {
        "topology": {
            "version": release.name,
            "controlPlane": {
                "replicas": 1,
                "vmClass": SMALL,
                "storageClass": storage,
                "osImage": "photon",
            },
            "nodePools": [{"name": "big", "replicas": 1, "vmClass": BIG, "storageClass": storage}],
        },
        "network": {
            "cni": "antrea",
            "pods": ["192.168.0.0/16"],
            "services": ["10.96.0.0/12"],
            "serviceDomain": "cluster.local",
        },
    }


def _duplicates(values) -> dict[str, int]:
    return {v: n for v, n in Counter(values).items() if n > 1}


def _shared(values, what: str) -> str:
    """E.g. "120 VMs on 101 addresses (up to 3 on one)"."""
    counts = Counter(values)
    return (
        f"{len(values)} {what} on {len(counts)} addresses "
        f"(up to {max(counts.values(), default=0)} on one)"
    )


def _refused(cluster: VksCluster) -> bool:
    return any(c.get("reason") == "InsufficientResources" for c in cluster.conditions)


def _over_capacity() -> dict[str, float]:
    """Hosts whose powered-on VMs were given more memory than the host has: name -> percent."""
    hosts = Host.objects.annotate(
        on=Sum("vms__memory_mib", filter=Q(vms__power_state=VirtualMachine.PowerState.ON))
    )
    return {
        h.name: round(100 * h.on / h.memory_mib, 1) for h in hosts if (h.on or 0) > h.memory_mib
    }


def test_concurrent_workers_hand_out_no_address_vip_or_memory_twice(tmp_path):
    estate.load()  # an earlier transactional test may have emptied the tables
    workload_demo()  # a running Supervisor with two namespaces and their clusters (in-process)
    admin = get_user_model().objects.get(username="administrator@vsphere.local")
    alice = get_user_model().objects.get(username="alice@vsphere.local")
    sup = Supervisor.objects.get()
    ns = _namespace(admin, sup)
    spec = _spec(ns)
    queue = new_queue()
    with ThreadPoolExecutor(WORKERS) as pool:  # each takes seconds to be ready
        starting = [
            pool.submit(start_worker, queue, tmp_path / f"worker-{i + 1}.log", **INSTANT)
            for i in range(WORKERS)
        ]
    workers = [f.result() for f in starting if f.exception() is None]
    try:
        for future in starting:
            future.result()  # one that did not start fails the test, once the others are killed
        with publishing_to(queue):
            started = time.monotonic()
            with transaction.atomic():  # every first pass is published at once, on commit
                clusters = [
                    cluster_create(namespace=ns, name=f"race-{i:02}", spec=spec, user=alice)
                    for i in range(CLUSTERS)
                ]
            tasks = Task.objects.filter(pk__in=[c.task_id for c in clusters])
            workers[0].wait_for(
                "every cluster created or refused",
                lambda: not tasks.filter(state__in=Task.UNFINISHED).exists(),
            )
            elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            worker.kill()  # before the flush: no worker may hold a connection or a lock

    ips = [*VirtualMachine.objects.exclude(ip_address=None).values_list("ip_address", flat=True)]
    vips = [*VksCluster.objects.exclude(api_endpoint=None).values_list("api_endpoint", flat=True)]
    vips.append(Supervisor.objects.get().api_endpoint)
    mine = VksCluster.objects.filter(namespace=ns)
    nodes = [n for c in mine for n in reconcilers.nodes_of(c)]
    refused = [c.name for c in mine if _refused(c)]
    print(
        f"\n{CLUSTERS} clusters on {WORKERS} workers in {elapsed:.1f}s: {len(nodes)} nodes, "
        f"{len(refused)} clusters refused a worker node; {_shared(ips, 'VMs')}; "
        f"{_shared(vips, 'API endpoints')}; hosts over capacity (% memory): {_over_capacity()}"
    )
    assert _duplicates(ips) == {}, "no two VMs share an address"
    assert _duplicates(vips) == {}, "no two API endpoints share a virtual IP"
    assert not set(vips) & set(ips), "no VIP is a VM's address"
    assert _over_capacity() == {}, "no host has more memory powered on than it has"
    # Not vacuous: every cluster got its endpoint and control plane, the hosts filled up with big
    # workers, and the rest were refused for want of room (not for any other error).
    assert all(c.api_endpoint for c in mine)
    assert sum(n.role == "control-plane" and node_ready(n) for n in nodes) == CLUSTERS
    assert refused, "demand exceeded the hosts' memory, so some worker must be refused"
    for c in mine:
        assert _refused(c) or c.phase == VksCluster.Phase.PROVISIONED, (c.name, c.conditions)
