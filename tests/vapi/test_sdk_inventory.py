"""VMware's Python SDK (vmware-vcenter 9.1.1), unmodified, reads the vCenter inventory and powers a
VM over `POST /api` against `make run`'s stack: the typed structures decode, filters narrow, a
power stop waits for its vCenter Task, and a second stop is the SDK's AlreadyInDesiredState."""

from __future__ import annotations

import pytest

from inventory.models import VirtualMachine
from tests.integration.stack import running_stack
from tests.kubeapi.live import demo_lab
from tests.vapi.test_sdk import PASSWORD, trusting

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_sdk_lists_gets_and_powers_the_inventory(tmp_path):
    client_module = pytest.importorskip("vmware.vapi.vsphere.client")
    from com.vmware.vapi.std.errors_client import AlreadyInDesiredState
    from com.vmware.vcenter.vm_client import Power
    from com.vmware.vcenter_client import VM, Cluster, Datacenter, Host

    demo_lab("platform-admin", "alice")
    vm = (
        VirtualMachine.objects.filter(
            power_state="poweredOn",
            is_template=False,
            host__cluster__name="Workload-Cluster-01",
            managed_by="",  # the Supervisor's control plane VMs' power methods are disabled
        )
        .order_by("name")
        .first()
    )
    with running_stack(tmp_path) as stack:
        server = stack.https_url.removeprefix("https://")

        def login(user: str):
            return client_module.create_vsphere_client(
                server=server,
                username=f"{user}@vsphere.local",
                password=PASSWORD,
                session=trusting(stack),
            )

        client = login("platform-admin")
        (datacenter,) = client.vcenter.Datacenter.list(Datacenter.FilterSpec(names={"RegionA01"}))
        assert datacenter.name == "RegionA01"
        info = client.vcenter.Datacenter.get(datacenter.datacenter)
        assert info.vm_folder.startswith("group-v")

        (cluster,) = client.vcenter.Cluster.list(Cluster.FilterSpec(names={"Workload-Cluster-01"}))
        assert cluster.drs_enabled is True
        assert client.vcenter.Cluster.get(cluster.cluster).resource_pool.startswith("resgroup-")
        hosts = client.vcenter.Host.list(Host.FilterSpec(clusters={cluster.cluster}))
        assert hosts and all(h.connection_state == Host.ConnectionState.CONNECTED for h in hosts)

        (summary,) = client.vcenter.VM.list(VM.FilterSpec(names={vm.name}))
        assert (summary.vm, summary.power_state) == (vm.moid, Power.State.POWERED_ON)
        details = client.vcenter.VM.get(vm.moid)
        assert details.name == vm.name and details.cpu.count == vm.num_cpu
        assert details.memory.size_mib == vm.memory_mib
        assert details.identity.instance_uuid == str(vm.instance_uuid)
        assert details.disks["2000"].capacity == vm.disk_mib * 1024 * 1024

        power = client.vcenter.vm.Power
        power.stop(vm.moid)  # returns once the Power Off task has finished
        assert power.get(vm.moid).state == Power.State.POWERED_OFF
        with pytest.raises(AlreadyInDesiredState) as refused:
            power.stop(vm.moid)
        assert refused.value.messages[0].id == "com.vmware.api.vcenter.vm.power.already_powered_off"
        power.start(vm.moid)
        assert power.get(vm.moid).state == Power.State.POWERED_ON

        developer = login("alice")  # no vCenter role: sees no inventory
        assert developer.vcenter.VM.list() == []
