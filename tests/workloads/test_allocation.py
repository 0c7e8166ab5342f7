"""Addresses and host memory are handed out once: an address someone holds is refused (even one
the reader saw as free a moment ago, as a pass running at the same time would), the next free
one is taken instead, a release frees it, and a host's memory counts every node placed on it,
booted or not. The many-workers race itself is tests/integration/test_allocation_race.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.models import Host
from tests.workloads.conftest import drive, spec
from tests.workloads.test_supervisor import converge
from workloads import reconcilers, services
from workloads.models import IpAllocation, Supervisor, VksCluster, VksNode
from workloads.reconcilers import allocation
from workloads.reconcilers.allocation import allocate, claim, lock_hosts

pytestmark = pytest.mark.django_db


def new_cluster(namespace, storage_class, name: str, **sizes) -> VksCluster:
    return VksCluster.objects.create(
        name=name,
        namespace=namespace,
        spec=spec(storage_class, **sizes),
        next_reconcile_at=timezone.now(),
    )


@pytest.fixture
def stale_reads(monkeypatch):
    """Every pass reads the pool as a pass running at the same time would: before the other's
    claims are visible. Only the database's constraint can then tell it."""
    monkeypatch.setattr(allocation, "taken_among", lambda candidates: set())


def test_the_database_refuses_one_address_twice(namespace, storage_class):
    a, b = (new_cluster(namespace, storage_class, name) for name in ("a", "b"))
    IpAllocation.objects.create(address="10.10.30.200", cluster=a)
    with pytest.raises(IntegrityError), transaction.atomic():
        IpAllocation.objects.create(address="10.10.30.200", cluster=b)


def test_claim_refuses_a_held_address_and_the_transaction_goes_on(namespace, storage_class):
    a, b = (new_cluster(namespace, storage_class, name) for name in ("a", "b"))
    assert claim("10.10.30.200", cluster=a)
    assert not claim("10.10.30.200", cluster=b)
    assert claim("10.10.30.200", cluster=a), "its own address: held already"
    assert claim("10.10.30.201", cluster=b)
    assert dict(
        IpAllocation.objects.filter(cluster__isnull=False).values_list("address", "cluster__name")
    ) == {
        "10.10.30.200": "a",
        "10.10.30.201": "b",
    }
    assert claim("10.10.30.202", cluster=a), "an owner holds one address: the move frees .200"
    assert claim("10.10.30.200", cluster=b)


def test_allocate_takes_the_next_address_when_the_one_it_read_as_free_is_taken(
    namespace, storage_class, stale_reads
):
    a, b = (new_cluster(namespace, storage_class, name) for name in ("a", "b"))
    candidates = ["10.10.30.200", "10.10.30.201", "10.10.30.202"]
    assert allocate(candidates, cluster=a) == "10.10.30.200"
    assert allocate(candidates, cluster=b) == "10.10.30.201"


def test_allocate_answers_none_when_every_address_is_held(namespace, storage_class, stale_reads):
    a, b = (new_cluster(namespace, storage_class, name) for name in ("a", "b"))
    assert allocate(["10.10.30.200"], cluster=a) == "10.10.30.200"
    assert allocate(["10.10.30.200"], cluster=b) is None


def test_clusters_reading_a_stale_pool_still_get_their_own_vip_and_node_addresses(
    namespace, storage_class, stale_reads
):
    clusters = [new_cluster(namespace, storage_class, name) for name in ("a", "b", "c")]
    for c in clusters:
        drive(c)
    endpoints = [VksCluster.objects.get(pk=c.pk).api_endpoint for c in clusters]
    sup = Supervisor.objects.get()
    assert len(set(endpoints)) == 3 and sup.api_endpoint not in endpoints
    ips = list(VksNode.objects.values_list("vm__ip_address", flat=True))
    assert len(ips) == len(set(ips)) == 9
    assert not set(ips) & set(sup.control_plane_ips)


def test_a_vip_held_by_another_cluster_fails_the_step_when_none_is_left(
    namespace, storage_class, stale_reads
):
    sup = Supervisor.objects.get()
    sup.spec["load_balancer"]["address_ranges"] = [{"address": sup.api_endpoint, "count": 2}]
    sup.save()
    first = new_cluster(namespace, storage_class, "first")
    drive(first)
    late = new_cluster(namespace, storage_class, "late")
    drive(late)
    late.refresh_from_db()
    assert late.api_endpoint is None
    assert any(c["reason"] == "LoadBalancerCreationFailed" for c in late.conditions)


def test_deleting_a_cluster_frees_its_vip_and_node_addresses(namespace, storage_class):
    before = IpAllocation.objects.count()
    vks = new_cluster(namespace, storage_class, "web")
    drive(vks)
    assert IpAllocation.objects.count() == before + 4  # its VIP, three nodes
    VksCluster.objects.filter(pk=vks.pk).update(
        deletion_requested_at=timezone.now(), next_reconcile_at=timezone.now()
    )
    assert drive(vks)[-1] == "GONE"
    assert IpAllocation.objects.count() == before


def test_a_management_address_someone_holds_fails_configuration(raw_spec, admin, vm_off):
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    claim(raw_spec["management_network"]["starting_address"], vm=vm_off)  # not saved on it yet
    converge(sup)
    sup.refresh_from_db()
    failed = sup.condition("ControlPlaneVMsConfigured")
    assert (sup.config_status, failed["reason"]) == ("ERROR", "ManagementIPInUse")
    assert f"in use by virtual machine {vm_off.name}" in failed["message"]


# ---------------------------------------------------------------- host memory


def fill_hosts_but(cluster, room_mib: int) -> Host:
    """Shrink the Supervisor's hosts to what they hold now; leave `room_mib` free on one."""
    hosts = lock_hosts(Host.objects.filter(cluster=cluster.namespace.supervisor.cluster_id))
    for host in hosts:
        host.memory_mib = host.held_mib + (room_mib if host == hosts[0] else 0)
        host.save(update_fields=["memory_mib"])
    return hosts[0]


def test_a_placed_node_keeps_its_room_before_it_is_powered_on(namespace, storage_class):
    a = new_cluster(namespace, storage_class, "a", workers=0)
    b = new_cluster(namespace, storage_class, "b", workers=0)
    roomy = fill_hosts_but(a, 4096)  # one best-effort-small node
    now = timezone.now()
    for _ in range(3):  # resource pool, VIP, then its control plane node: created, still off
        now += timedelta(seconds=reconcilers.cluster_reconcile(a.pk, now=now))
    (node,) = reconcilers.nodes_of(a)
    assert node.vm.host == roomy and not node.vm.is_powered_on
    drive(b)
    b.refresh_from_db()
    assert any(c["reason"] == "InsufficientResources" for c in b.conditions)
    assert not reconcilers.nodes_of(b)
    drive(a)
    a.refresh_from_db()
    assert a.phase == "Provisioned"
    (host,) = lock_hosts(Host.objects.filter(pk=roomy.pk))
    assert host.held_mib == host.memory_mib, "full, not over"


def test_supervisor_control_plane_vms_go_only_where_their_memory_fits(raw_spec, admin, cluster):
    full = lock_hosts(Host.objects.filter(cluster=cluster))[:2]
    for host in full:
        host.memory_mib = host.held_mib  # no room left
        host.save(update_fields=["memory_mib"])
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    converge(sup)
    sup.refresh_from_db()
    placed = {vm.host_id for vm in reconcilers.control_plane_vms(sup)}
    assert len(placed) == 2 and not placed & {h.pk for h in full}
    failed = sup.condition("ControlPlaneVMsDeployed")
    assert (sup.config_status, failed["reason"]) == ("ERROR", "InsufficientHostsFailed")
    assert "room for the VM's memory" in failed["message"]
