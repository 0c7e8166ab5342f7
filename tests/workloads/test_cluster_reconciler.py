"""The VKS cluster reconciler: convergence, node naming and placement, scaling (newest nodes go
first), rolling upgrades that never drop below the spec, node pool removal and deletion."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from inventory.models import ResourcePool, VirtualMachine
from tests.workloads.conftest import NEXT, change, drive, spec
from workloads import reconcilers
from workloads.cluster_status import node_ready
from workloads.models import VksCluster, VksNode

pytestmark = pytest.mark.django_db


@pytest.fixture
def vks(namespace, storage_class):
    return VksCluster.objects.create(
        name="web",
        namespace=namespace,
        spec=spec(storage_class),
        next_reconcile_at=timezone.now(),
    )


def test_create_converges_with_control_plane_first_and_named_nodes(vks):
    order = []
    drive(vks, watch=lambda c: order.extend(n.role for n in reconcilers.nodes_of(c)[-1:]))
    vks.refresh_from_db()
    assert vks.phase == "Provisioned"
    assert {c["type"]: c["status"] for c in vks.conditions} == {
        "Ready": "True",
        "InfrastructureReady": "True",
        "ControlPlaneReady": "True",
        "NodePoolsReady": "True",
    }
    assert vks.observed_generation == vks.generation
    assert order.index("worker") > order.index("control-plane"), "control plane first"
    nodes = reconcilers.nodes_of(vks)
    names = {n.role: n.vm.name for n in nodes}
    assert re.fullmatch(r"web-[a-z2-9]{5}-[a-z2-9]{5}", names["control-plane"])
    assert re.fullmatch(r"web-node-pool-1-[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}", names["worker"])
    assert len(nodes) == 3 and all(node_ready(n) for n in nodes)
    vm = nodes[0].vm
    assert (vm.num_cpu, vm.memory_mib, vm.managed_by) == (
        2,
        4096,
        "VMware vSphere Kubernetes Service",
    )
    assert vm.resource_pool.name == "web" and vm.resource_pool.parent.name == "team-a"
    assert vm.folder.name == "web" and vm.folder.parent.name == "team-a"
    assert vks.api_endpoint and "BEGIN CERTIFICATE" in vks.certificate_authority
    assert reconcilers.cluster_reconcile(vks.pk) is None, "converged: twice = once"
    assert VksNode.objects.filter(cluster=vks).count() == 3


def test_each_cluster_gets_its_own_endpoint_and_node_addresses_are_unique(namespace, storage_class):
    clusters = [
        VksCluster.objects.create(
            name=name,
            namespace=namespace,
            spec=spec(storage_class),
            next_reconcile_at=timezone.now(),
        )
        for name in ("a", "b")
    ]
    for c in clusters:
        drive(c)
    endpoints = {VksCluster.objects.get(pk=c.pk).api_endpoint for c in clusters}
    assert len(endpoints) == 2 and namespace.supervisor.api_endpoint not in endpoints
    ips = list(VksNode.objects.values_list("vm__ip_address", flat=True))
    assert len(ips) == len(set(ips)) == 6


def test_three_control_plane_nodes_spread_over_hosts(vks):
    change(vks, lambda t: t["controlPlane"].update(replicas=3))
    drive(vks)
    hosts = {n.vm.host_id for n in reconcilers.nodes_of(vks) if n.role == "control-plane"}
    assert len(hosts) == 3


def test_scale_down_removes_the_newest_nodes(vks):
    change(vks, lambda t: t["nodePools"][0].update(replicas=4))
    drive(vks)
    workers = [n for n in reconcilers.nodes_of(vks) if n.role == "worker"]
    oldest = {n.vm.name for n in workers[:2]}
    change(vks, lambda t: t["nodePools"][0].update(replicas=2))
    drive(vks)
    assert {n.vm.name for n in reconcilers.nodes_of(vks) if n.role == "worker"} == oldest


def test_rolling_upgrade_replaces_every_node_and_never_drops_below_the_spec(vks):
    drive(vks)
    before = {n.vm.name for n in reconcilers.nodes_of(vks)}
    change(vks, lambda t: t.update(version=NEXT))
    low = {"control-plane": 99, "worker": 99}
    first_worker_replaced_after_cp = []

    def watch(c):
        nodes = reconcilers.nodes_of(c)
        for role in low:
            low[role] = min(low[role], sum(1 for n in nodes if n.role == role and node_ready(n)))
        if any(n.role == "worker" and n.release == NEXT for n in nodes):
            first_worker_replaced_after_cp.append(
                all(n.release == NEXT for n in nodes if n.role == "control-plane")
            )

    drive(vks, watch=watch)
    nodes = reconcilers.nodes_of(vks)
    assert {n.release for n in nodes} == {NEXT}
    assert not before & {n.vm.name for n in nodes}, "every node was replaced"
    assert low == {"control-plane": 1, "worker": 2}, "capacity never dropped below the spec"
    assert all(first_worker_replaced_after_cp), "the control plane rolls before the workers"


def test_a_spec_changed_mid_way_is_picked_up_the_latest_wins(vks):
    reconcilers.cluster_reconcile(vks.pk)  # infrastructure only
    change(vks, lambda t: t["nodePools"][0].update(replicas=1))
    drive(vks)
    assert sum(1 for n in reconcilers.nodes_of(vks) if n.role == "worker") == 1


def test_removing_a_node_pool_removes_its_nodes(vks):
    change(
        vks,
        lambda t: t["nodePools"].append({**t["nodePools"][0], "name": "gpu", "replicas": 1}),
    )
    drive(vks)
    assert {n.pool for n in reconcilers.nodes_of(vks)} == {"", "node-pool-1", "gpu"}
    change(vks, lambda t: t["nodePools"].pop())
    drive(vks)
    assert {n.pool for n in reconcilers.nodes_of(vks)} == {"", "node-pool-1"}


def test_usage_of_the_namespace_follows_its_nodes(vks, namespace):
    from workloads import selectors

    drive(vks)
    usage = selectors.namespace_usage(namespace)
    assert usage.storage_mib == 3 * 20 * 1024 and usage.memory_mib > 0


def test_delete_removes_workers_then_control_plane_then_the_pools(vks):
    drive(vks)
    vms = set(VksNode.objects.values_list("vm", flat=True))
    VksCluster.objects.filter(pk=vks.pk).update(
        deletion_requested_at=timezone.now(), next_reconcile_at=timezone.now()
    )
    roles_left = []
    phases = drive(
        vks,
        watch=lambda c: roles_left.append(sorted({n.role for n in reconcilers.nodes_of(c)})),
    )
    assert phases[0] == "Deleting" and phases[-1] == "GONE"
    assert ["control-plane"] in roles_left and roles_left.index(["control-plane"]) > 0
    assert not VirtualMachine.objects.filter(pk__in=vms).exists()
    assert not ResourcePool.objects.filter(name="web").exists()


def test_no_room_fails_the_step_with_a_reason_and_retries_later(vks):
    VksCluster.objects.filter(pk=vks.pk).update(
        spec={
            **vks.spec,
            "topology": {
                **vks.spec["topology"],
                "controlPlane": {**vks.spec["topology"]["controlPlane"], "vmClass": "huge"},
            },
        }
    )
    phases = drive(vks)  # stops at the failed step: no further pass is queued
    assert phases[-1] == "Provisioning"
    ready = next(c for c in vks.conditions if c["type"] == "Ready")
    assert ready["status"] == "False" and "huge" in ready["message"]
    assert vks.next_reconcile_at is not None, "beat retries it"
