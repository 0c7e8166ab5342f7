"""A VKS cluster survives its worker being killed in the middle of a create, a scale and an
upgrade: after each SIGKILL a fresh worker (with beat's resync, stood in for by the test) brings
the cluster to exactly the nodes its spec asks for, with no orphan VM and no node made twice.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model

from inventory.estates import demo as estate
from inventory.models import Event, VirtualMachine
from tests.conftest import workload_demo
from tests.integration.test_supervisor_crash import beat_stand_in
from tests.integration.workers import new_queue, publishing_to, start_worker
from workloads import reconcilers
from workloads.cluster_status import node_ready
from workloads.models import Namespace, VksCluster
from workloads.releases import releases_in, updates_available
from workloads.services.clusters import cluster_create, cluster_scale, cluster_upgrade

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# A node step is 60 s of simulated time (reconcilers DURATION["vks_node"]): 0.15 s at this speed,
# so each operation takes a second or two, long enough to kill the worker part-way.
SIM_SPEED = "400"


def settled(cluster: VksCluster) -> bool:
    """Converged on the current spec: every group at its replicas, ready, on the spec's release."""
    cluster.refresh_from_db()
    if cluster.observed_generation != cluster.generation or cluster.next_reconcile_at:
        return False
    nodes = reconcilers.nodes_of(cluster)
    wanted = sum(g.replicas for g in reconcilers.groups_of(cluster))
    release = cluster.spec["topology"]["version"]
    return len(nodes) == wanted and all(node_ready(n) and n.release == release for n in nodes)


def assert_exact(cluster: VksCluster) -> None:
    """Exactly the spec's nodes, each VM a node, no VM created twice."""
    nodes = reconcilers.nodes_of(cluster)
    for group in reconcilers.groups_of(cluster):
        mine = [n for n in nodes if n.role == group.role and n.pool == group.pool]
        assert len(mine) == group.replicas, group
    in_pool = set(
        VirtualMachine.objects.filter(resource_pool=reconcilers.cluster_pool(cluster)).values_list(
            "pk", flat=True
        )
    )
    assert in_pool == {n.vm_id for n in nodes}, "no orphan VM in the cluster's pool"
    created = Event.objects.filter(event_type="VmCreatedEvent", message__contains=cluster.name)
    names = [e.message for e in created]
    assert len(names) == len(set(names)), "no node VM created twice"


def kill_part_way(workers, queue, tmp_path, what: str, part_way) -> None:
    """Wait for `part_way()`, SIGKILL the worker, start the next one."""
    workers[-1].wait_for(what, part_way)
    workers[-1].kill()
    log = tmp_path / f"worker-{len(workers) + 1}.log"
    workers.append(start_worker(queue, log, VKS_SIM_SPEED=SIM_SPEED))


def test_create_scale_and_upgrade_converge_after_the_worker_is_killed(tmp_path):
    estate.load()  # an earlier transactional test may have emptied the tables
    workload_demo()  # a running Supervisor and namespace `payments` (in-process, instant)
    alice = get_user_model().objects.get(username="alice@vsphere.local")
    ns = Namespace.objects.get(name="payments")
    template = VksCluster.objects.get(name="payments-prod").spec
    spec = {
        **template,
        "topology": {
            **template["topology"],
            "controlPlane": {**template["topology"]["controlPlane"], "replicas": 1},
            "nodePools": [{**template["topology"]["nodePools"][0], "replicas": 1}],
        },
    }  # small enough to scale to 4 workers within the namespace's CPU limit
    queue = new_queue()
    workers = [start_worker(queue, tmp_path / "worker-1.log", VKS_SIM_SPEED=SIM_SPEED)]
    timings = {}
    try:
        with publishing_to(queue):
            started = time.monotonic()
            cluster = cluster_create(namespace=ns, name="crash", spec=spec, user=alice)
            kill_part_way(workers, queue, tmp_path, "a first node", lambda: cluster.nodes.exists())
            workers[-1].wait_for("created", lambda: settled(cluster), tick=beat_stand_in())
            assert_exact(cluster)
            timings["create"] = time.monotonic() - started

            started = time.monotonic()
            cluster = cluster_scale(
                cluster=cluster,
                pool="node-pool-1",
                replicas=4,
                generation=cluster.generation,
                user=alice,
            )
            kill_part_way(
                workers,
                queue,
                tmp_path,
                "a second worker",
                lambda: cluster.nodes.filter(role="worker").count() >= 2,
            )
            workers[-1].wait_for("scaled", lambda: settled(cluster), tick=beat_stand_in())
            assert_exact(cluster)
            timings["scale"] = time.monotonic() - started

            started = time.monotonic()
            current = next(
                r
                for r in releases_in(ns.kubernetes_library, supervisor=ns.supervisor)
                if r.name == cluster.spec["topology"]["version"]
            )
            target = updates_available(
                current, releases_in(ns.kubernetes_library, supervisor=ns.supervisor)
            )[0]
            cluster = cluster_upgrade(
                cluster=cluster, version=target.name, generation=cluster.generation, user=alice
            )
            kill_part_way(
                workers,
                queue,
                tmp_path,
                "a node on the new release",
                lambda: cluster.nodes.filter(release=target.name).exists(),
            )
            workers[-1].wait_for("upgraded", lambda: settled(cluster), tick=beat_stand_in())
            assert_exact(cluster)
            timings["upgrade"] = time.monotonic() - started
    finally:
        for worker in workers:
            worker.kill()  # before the flush: no worker may hold a connection or a lock
    print("\n" + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    assert {n.release for n in reconcilers.nodes_of(cluster)} == {target.name}
