"""Every vcenter answer of `POST /api` decodes with the SDK 9.1.1 bindings' own converter, which
checks required fields and unions (an EFI boot needs its protocol, a powered-off VM's power info
`clean_power_off`...): what the live SDK test would catch, for every kind, without a stack."""

from __future__ import annotations

import pytest

from inventory.models import Cluster, Datacenter, Datastore, ResourcePool, VirtualMachine

converter = pytest.importorskip("vmware.vapi.bindings.converter")
from com.vmware import vcenter_client as sdk  # noqa: E402
from com.vmware.vcenter.vm_client import Power  # noqa: E402
from vmware.vapi.bindings.type import ListType  # noqa: E402
from vmware.vapi.data.serializers.jsonrpc import JsonRpcDictToVapi  # noqa: E402

pytestmark = pytest.mark.django_db

NO_FILTER = {"filter": {"OPTIONAL": None}}


def decoded(admin_api, service: str, operation: str, binding, **fields):
    result = admin_api.invoke(service, operation, **fields)
    assert "output" in result, result
    value = JsonRpcDictToVapi.data_value(result["output"])
    return converter.TypeConverter.convert_to_python(value, binding.get_binding_type())


class Listed:
    def __init__(self, of):
        self.of = of

    def get_binding_type(self):
        return ListType(self.of.get_binding_type())


@pytest.mark.parametrize(
    ("service", "summary"),
    [
        ("datacenter", sdk.Datacenter.Summary),
        ("folder", sdk.Folder.Summary),
        ("cluster", sdk.Cluster.Summary),
        ("host", sdk.Host.Summary),
        ("network", sdk.Network.Summary),
        ("datastore", sdk.Datastore.Summary),
        ("resource_pool", sdk.ResourcePool.Summary),
        ("VM", sdk.VM.Summary),
    ],
)
def test_every_list_decodes(admin_api, service, summary):
    rows = decoded(admin_api, f"com.vmware.vcenter.{service}", "list", Listed(summary), **NO_FILTER)
    assert rows and all(isinstance(r, summary) for r in rows)


def test_every_get_decodes(admin_api):
    dc = Datacenter.objects.first()
    assert decoded(
        admin_api, "com.vmware.vcenter.datacenter", "get", sdk.Datacenter.Info, datacenter=dc.moid
    ).name == (dc.name)
    cluster = Cluster.objects.first()
    info = decoded(
        admin_api, "com.vmware.vcenter.cluster", "get", sdk.Cluster.Info, cluster=cluster.moid
    )
    assert info.resource_pool.startswith("resgroup-")
    for store in Datastore.objects.all():
        decoded(
            admin_api,
            "com.vmware.vcenter.datastore",
            "get",
            sdk.Datastore.Info,
            datastore=store.moid,
        )
    for pool in ResourcePool.objects.all():
        decoded(
            admin_api,
            "com.vmware.vcenter.resource_pool",
            "get",
            sdk.ResourcePool.Info,
            resource_pool=pool.moid,
        )


def test_vm_info_and_power_decode_for_every_kind_of_vm(admin_api):
    for vm in _one_of_each_kind():
        info = decoded(admin_api, "com.vmware.vcenter.VM", "get", sdk.VM.Info, vm=vm.moid)
        assert info.name == vm.name and info.memory.size_mib == vm.memory_mib
        state = decoded(admin_api, "com.vmware.vcenter.vm.power", "get", Power.Info, vm=vm.moid)
        assert state.state == info.power_state


def _one_of_each_kind() -> list[VirtualMachine]:
    seen, kinds = set(), []
    for vm in VirtualMachine.objects.order_by("name"):
        key = (vm.guest_id, vm.power_state, vm.is_template, vm.networks.exists())
        if key not in seen:
            seen.add(key)
            kinds.append(vm)
    return kinds
