"""Rollups and identifiers: what the Summary cards and object URLs are built from."""

from __future__ import annotations

import re

import pytest
from django.db.models import Sum

from inventory import selectors
from inventory.models import Cluster, Datastore, VirtualMachine, moid_numbers

pytestmark = pytest.mark.django_db


def test_datastore_free_space_is_capacity_less_vm_disks_and_other_files():
    datastore = Datastore.objects.get(name="vsanDatastore-wld01")
    disks = VirtualMachine.objects.filter(datastore=datastore).aggregate(s=Sum("disk_mib"))["s"]
    storage = selectors.storage_capacity(Datastore.objects.filter(pk=datastore.pk))
    assert storage["used_mib"] == datastore.other_used_mib + disks
    assert storage["free_mib"] == datastore.capacity_mib - datastore.other_used_mib - disks
    row = selectors.list_queryset("datastores", selectors.vcenter_get()).get(pk=datastore.pk)
    assert row.free_mib == storage["free_mib"], "the list and the Summary agree"


def test_cluster_usage_follows_a_vm_power_change():
    cluster = Cluster.objects.get(name="Workload-Cluster-01")
    before = selectors.summary_for(cluster)
    vm = VirtualMachine.objects.filter(host__cluster=cluster, power_state="poweredOn").first()
    VirtualMachine.objects.filter(pk=vm.pk).update(
        power_state="poweredOff", cpu_usage_mhz=0, memory_usage_mib=0
    )
    after = selectors.summary_for(cluster)
    cpu_before, cpu_after = before.meters[0].used, after.meters[0].used
    assert cpu_before - cpu_after == pytest.approx(vm.cpu_usage_mhz / 1000)
    assert after.counts["powered_on"] == before.counts["powered_on"] - 1
    capacity = sum(h.cpu_cores * h.cpu_mhz for h in cluster.hosts.all()) / 1000
    assert after.meters[0].capacity == capacity


def test_moid_numbers_never_repeat():
    first, second = moid_numbers(3), moid_numbers(2)
    assert len(set(first) | set(second)) == 5
    assert min(second) > max(first)


def test_every_object_has_a_well_formed_moid_that_resolves():
    for model, pattern in [
        (Cluster, r"domain-c\d+"),
        (Datastore, r"datastore-\d+"),
        (VirtualMachine, r"vm-\d+"),
    ]:
        obj = model.objects.first()
        assert re.fullmatch(pattern, obj.moid)
        assert selectors.entity_get(obj.moid) == obj
