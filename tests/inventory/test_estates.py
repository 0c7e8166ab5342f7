"""The estate loaders: what a user finds after `load_estate demo` / `load_estate config-max`, and
that loading again changes nothing."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import Exists, OuterRef

from inventory.estates import config_max, demo
from inventory.models import (
    Cluster,
    ContentLibrary,
    Datacenter,
    Datastore,
    DistributedSwitch,
    Folder,
    Host,
    MoidSequence,
    Permission,
    PortGroup,
    ResourcePool,
    StoragePolicy,
    VCenter,
    VirtualMachine,
)
from inventory.permissions import role_of

pytestmark = pytest.mark.django_db

ENTITY_MODELS = (
    VCenter,
    Datacenter,
    Folder,
    Cluster,
    Host,
    Datastore,
    DistributedSwitch,
    PortGroup,
)
ENTITY_MODELS += (ResourcePool, VirtualMachine)
MOID_PATTERNS = {
    VCenter: r"group-d\d+",
    Datacenter: r"datacenter-\d+",
    Cluster: r"domain-c\d+",
    Host: r"host-\d+",
    Datastore: r"datastore-\d+",
    DistributedSwitch: r"dvs-\d+",
    PortGroup: r"dvportgroup-\d+",
    ResourcePool: r"resgroup-\d+",
    VirtualMachine: r"vm-\d+",
}
SMALL_SCALE = {"hosts": 130, "vms_per_host": 2, "hosts_per_cluster": 64}


@pytest.fixture
def region(db) -> Datacenter:
    """The demo datacenter (the session usually has it loaded already; loading is idempotent)."""
    demo.load()
    return Datacenter.objects.get(name=demo.DATACENTER)


def _snapshot() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in ENTITY_MODELS}
    counts["moid sequence"] = MoidSequence.objects.get().value
    counts["users"] = get_user_model().objects.count()
    counts["permissions"] = Permission.objects.count()
    counts["host mounts"] = Host.datastores.through.objects.count()
    counts["vm nics"] = VirtualMachine.networks.through.objects.count()
    counts["switch members"] = DistributedSwitch.hosts.through.objects.count()
    counts["policies"] = StoragePolicy.objects.count()
    counts["libraries"] = ContentLibrary.objects.count()
    return counts


def _vm_folder_path(folder: Folder) -> str:
    parts = []
    while folder.parent_id is not None:
        parts.append(folder.name)
        folder = folder.parent
    return "/".join(reversed(parts))


# Demo estate


def test_demo_has_management_and_two_workload_clusters(region):
    clusters = {c.name: c for c in region.clusters.all()}
    assert set(clusters) == {"Management-Cluster", "Workload-Cluster-01", "Workload-Cluster-02"}
    management = clusters["Management-Cluster"]
    assert management.ha_enabled and management.drs_enabled
    assert management.drs_automation_level == Cluster.DrsAutomation.PARTIALLY
    for name in ("Workload-Cluster-01", "Workload-Cluster-02"):
        assert clusters[name].ha_enabled
        assert clusters[name].drs_automation_level == Cluster.DrsAutomation.FULLY
    assert clusters["Workload-Cluster-01"].vsan_enabled
    assert not clusters["Workload-Cluster-02"].vsan_enabled


def test_every_cluster_has_root_pool_named_resources(region):
    for cluster in region.clusters.all():
        roots = cluster.resource_pools.filter(parent=None)
        assert [pool.name for pool in roots] == ["Resources"]
    user_pools = ResourcePool.objects.filter(
        cluster__datacenter=region, parent__isnull=False
    ).values_list("name", flat=True)
    assert set(user_pools) == {"Production", "Dev-Test"}


def test_workload_cluster_hosts_look_like_real_esxi_hosts(region):
    hosts = Host.objects.filter(cluster__name="Workload-Cluster-01").order_by("name")
    assert [h.name for h in hosts] == [f"esx-0{n}a.corp.vmbeans.com" for n in (4, 5, 6, 7)]
    for host in hosts:
        assert (host.esxi_version, host.esxi_build) == ("8.0.3", "24280767")
        assert host.cpu_model.startswith("Intel(R) Xeon(R)")
        assert host.cpu_packages == 2 and host.cpu_cores >= 32 and host.cpu_mhz >= 2000
        assert host.memory_mib in (512 * 1024, 768 * 1024)
        assert host.management_ip.startswith("10.10.10.")
        assert host.boot_time is not None
        assert 0 < host.overhead_cpu_mhz < host.cpu_capacity_mhz // 10
        assert 0 < host.overhead_memory_mib < host.memory_mib // 10
    assert Host.objects.filter(cluster__datacenter=region).count() == 11
    ips = list(Host.objects.filter(cluster__datacenter=region).values_list("management_ip"))
    assert len(set(ips)) == len(ips)


def test_demo_has_about_fifty_vms_in_nested_folders(region):
    vms = VirtualMachine.objects.filter(host__cluster__datacenter=region).select_related(
        "folder__parent__parent"
    )
    assert 45 <= vms.count() <= 60
    paths = {_vm_folder_path(vm.folder) for vm in vms}
    assert paths == {
        "Infrastructure",
        "Infrastructure/CI",
        "Applications/Web",
        "Applications/App",
        "Applications/DB",
        "Templates",
    }
    assert all(
        vm.folder.kind == Folder.Kind.VM and vm.folder.datacenter_id == region.pk for vm in vms
    )
    templates = vms.filter(is_template=True)
    assert "ubuntu-22.04-template" in {t.name for t in templates}
    assert all(t.power_state == VirtualMachine.PowerState.OFF for t in templates)
    assert all(t.folder.name == "Templates" for t in templates)


def test_datacenter_has_its_four_root_folders(region):
    roots = region.folders.filter(parent=None)
    assert sorted(roots.values_list("kind", flat=True)) == sorted(Folder.Kind.values)
    for folder in roots:
        assert folder.moid.startswith(Folder.KIND_PREFIX[folder.kind])


def test_infrastructure_vms_run_on_the_management_cluster(region):
    vcsa = VirtualMachine.objects.select_related("host__cluster").get(name="vcsa-01a")
    assert vcsa.host.cluster.name == "Management-Cluster"
    assert vcsa.guest_id == "vmwarePhoton64Guest" and vcsa.is_powered_on
    infra = VirtualMachine.objects.filter(folder__name="Infrastructure")
    assert set(infra.values_list("host__cluster__name", flat=True)) == {"Management-Cluster"}


def test_vms_are_spread_evenly_over_each_clusters_hosts(region):
    for cluster in region.clusters.all():
        per_host = [host.vms.count() for host in cluster.hosts.all()]
        assert min(per_host) >= 1 and max(per_host) - min(per_host) <= 1, cluster.name


def test_powered_on_vms_have_boot_time_usage_and_an_ip(region):
    vms = VirtualMachine.objects.filter(host__cluster__datacenter=region)
    on = vms.filter(power_state=VirtualMachine.PowerState.ON)
    assert on.count() >= 35 and vms.filter(power_state=VirtualMachine.PowerState.OFF).count() >= 3
    for vm in on.select_related("host"):
        assert vm.boot_time is not None and vm.boot_time >= vm.host.boot_time
        assert 0 < vm.cpu_usage_mhz <= vm.num_cpu * vm.host.cpu_mhz
        assert 0 < vm.memory_usage_mib <= vm.memory_mib
        assert vm.ip_address
    for vm in vms.exclude(power_state=VirtualMachine.PowerState.ON):
        assert (vm.cpu_usage_mhz, vm.memory_usage_mib, vm.boot_time) == (0, 0, None)


def test_vm_ips_are_in_their_port_groups_subnet(region):
    import ipaddress

    vms = VirtualMachine.objects.filter(host__cluster__datacenter=region, ip_address__isnull=False)
    for vm in vms.prefetch_related("networks"):
        subnets = [ipaddress.ip_network(pg.subnet) for pg in vm.networks.all()]
        assert any(ipaddress.ip_address(vm.ip_address) in s for s in subnets), vm.name
    ips = list(vms.values_list("ip_address", flat=True))
    assert len(set(ips)) == len(ips)


def test_vsan_and_nfs_datastores_are_mounted_where_they_belong(region):
    vsan = Datastore.objects.get(name="vsanDatastore-wld01")
    nfs = Datastore.objects.get(name="nfs-datastore-01")
    assert vsan.type == Datastore.Type.VSAN and nfs.type == Datastore.Type.NFS
    assert set(vsan.hosts.values_list("cluster__name", flat=True)) == {"Workload-Cluster-01"}
    assert vsan.hosts.count() == 4
    assert set(nfs.hosts.values_list("cluster__name", flat=True)) == {
        "Workload-Cluster-01",
        "Workload-Cluster-02",
    }
    for ds in region.datastores.all():
        assert ds.capacity_mib > 0 and 0 < ds.other_used_mib < ds.capacity_mib // 10
        assert ds.hosts.exists(), ds.name


def test_every_vm_datastore_is_mounted_on_its_host(region):
    config_max.load(**SMALL_SCALE)  # both estates
    mounted = Host.datastores.through.objects.filter(
        host_id=OuterRef("host_id"), datastore_id=OuterRef("datastore_id")
    )
    assert VirtualMachine.objects.count() > 0
    assert not VirtualMachine.objects.exclude(Exists(mounted)).exists()


def test_every_vm_pool_belongs_to_its_hosts_cluster(region):
    config_max.load(**SMALL_SCALE)
    for vm in VirtualMachine.objects.select_related("resource_pool", "host", "folder"):
        assert vm.resource_pool.cluster_id == vm.host.cluster_id, vm.name
        assert vm.folder.kind == Folder.Kind.VM


def test_distributed_switch_and_port_groups(region):
    switch = DistributedSwitch.objects.get(datacenter=region)
    assert switch.name == "DSwitch-01"
    assert switch.hosts.count() == Host.objects.filter(cluster__datacenter=region).count()
    groups = {pg.name: pg for pg in switch.portgroups.all()}
    uplinks = [pg for pg in groups.values() if pg.is_uplink]
    assert len(uplinks) == 1 and uplinks[0].name.startswith("DSwitch-01-DVUplinks-")
    assert {"Management", "vMotion", "vSAN", "Workload-Network", "Frontend"} <= set(groups)
    assert (groups["Management"].vlan_id, groups["Management"].subnet) == (10, "10.10.10.0/24")
    assert groups["Workload-Network"].vlan_id == 20
    assert groups["Workload-Network"].subnet == "10.10.20.0/24"
    assert groups["Workload-Network"].gateway == "10.10.20.1"
    assert (groups["Frontend"].vlan_id, groups["Frontend"].subnet) == (30, "10.10.30.0/24")
    # The Supervisor allocates workload IPs and VIPs from these: no VM may sit on them.
    assert not groups["Workload-Network"].vms.exists() and not groups["Frontend"].vms.exists()


def test_storage_policies_and_content_libraries(region):
    policies = {
        p.name: set(p.datastores.values_list("name", flat=True))
        for p in StoragePolicy.objects.all()
    }
    assert policies["vSAN Default Storage Policy"] == {"vsanDatastore-mgmt", "vsanDatastore-wld01"}
    assert policies["k8s-gold"] == {"vsanDatastore-wld01"}
    assert policies["k8s-silver"] == {"nfs-datastore-01"}
    assert "Management Storage Policy - Thin" in policies
    library = ContentLibrary.objects.get(name="Kubernetes Service Content Library")
    assert library.type == ContentLibrary.Type.SUBSCRIBED
    assert library.subscription_url == "https://wp-content.vmware.com/v2/latest/lib.json"
    items = set(library.items.values_list("name", flat=True))
    assert "ob-24945258-photon-5-amd64-v1.32.7---vmware.3-fips-vkr.1" in items
    assert ContentLibrary.objects.get(name="Templates").type == ContentLibrary.Type.LOCAL


def test_moids_are_unique_and_well_formed(region):
    config_max.load(**SMALL_SCALE)
    seen: set[str] = set()
    total = 0
    for model in ENTITY_MODELS:
        for moid, *rest in model.objects.values_list(
            "moid", *(["kind"] if model is Folder else [])
        ):
            pattern = (
                re.escape(Folder.KIND_PREFIX[rest[0]]) + r"\d+"
                if model is Folder
                else MOID_PATTERNS[model]
            )
            assert re.fullmatch(pattern, moid), (model.__name__, moid)
            seen.add(moid)
            total += 1
    assert len(seen) == total, "a moid is used twice"
    assert VCenter.objects.get().moid == "group-d1"


# Users and roles


def test_administrator_logs_in_with_default_password_and_is_admin(region):
    user = authenticate(
        username="administrator@vsphere.local", password=settings.VKS_ADMIN_PASSWORD
    )
    assert user is not None and user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["Administrators"]
    assert role_of(user) == Permission.Role.ADMIN
    permission = Permission.objects.get(principal="VSPHERE.LOCAL\\Administrators")
    assert (permission.entity_moid, permission.is_group, permission.propagate) == (
        VCenter.objects.get().moid,
        True,
        True,
    )


def test_auditor_is_read_only(region):
    user = authenticate(username="auditor@vsphere.local", password=settings.VKS_ADMIN_PASSWORD)
    assert user is not None and not user.is_staff
    assert role_of(user) == Permission.Role.READ_ONLY


def test_reload_keeps_a_changed_password(region):
    admin = get_user_model().objects.get(username="administrator@vsphere.local")
    admin.set_password("Changed-Passw0rd!")
    admin.save()
    demo.load()
    config_max.load(**SMALL_SCALE)
    assert authenticate(username=admin.username, password="Changed-Passw0rd!") is not None
    assert authenticate(username=admin.username, password=settings.VKS_ADMIN_PASSWORD) is None


# Idempotency


def test_loading_demo_twice_changes_nothing(region, django_assert_max_num_queries):
    before = _snapshot()
    with django_assert_max_num_queries(40):  # ensure users and roles, then one COUNT per kind
        result = demo.load()
    assert not result.created
    assert result.counts["hosts"] == 11
    assert _snapshot() == before


def test_load_estate_command_reports_counts_and_is_idempotent(region):
    out = StringIO()
    call_command("load_estate", "demo", stdout=out)
    assert "already loaded" in out.getvalue() and "hosts: 11" in out.getvalue()
    out = StringIO()
    call_command("load_estate", "config-max", "--hosts", "12", "--vms-per-host", "3", stdout=out)
    assert "Loaded estate 'config-max'" in out.getvalue()
    assert "hosts: 12," in out.getvalue() and "virtual machines: 36," in out.getvalue()
    before = _snapshot()
    out = StringIO()
    call_command("load_estate", "config-max", "--hosts", "12", stdout=out)
    assert "already loaded" in out.getvalue()
    assert _snapshot() == before


# Config-max estate (small scale here; `make` / the benchmark load the real one)


def test_config_max_defaults_are_the_vcenter_maximums():
    sizes = config_max.cluster_sizes(
        config_max.HOSTS, config_max.HOSTS_PER_CLUSTER, config_max.FIRST_CLUSTER_HOSTS
    )
    assert sum(sizes) == 2500
    assert sizes[0] == 96 and max(sizes[1:]) <= 64 and min(sizes) >= 60
    vms = config_max.HOSTS * config_max.VMS_PER_HOST
    assert vms == 45_000
    on = sum(
        1
        for i in range(vms)
        if i % config_max.POWERED_OFF_EVERY != config_max.POWERED_OFF_EVERY - 1
    )
    assert on == 40_000


def test_config_max_small_scale_has_the_same_shape(db):
    result = config_max.load(**SMALL_SCALE)
    assert result.created
    dc = Datacenter.objects.get(name="ScaleDC")
    clusters = list(dc.clusters.order_by("name"))
    assert [c.name for c in clusters] == ["Scale-Cluster-001", "Scale-Cluster-002"]
    assert [c.hosts.count() for c in clusters] == [96, 34]
    vms = VirtualMachine.objects.filter(host__cluster__datacenter=dc)
    assert vms.count() == 260
    assert vms.filter(power_state=VirtualMachine.PowerState.OFF).count() == 260 // 9
    assert not vms.filter(power_state=VirtualMachine.PowerState.ON, cpu_usage_mhz=0).exists()
    assert all(c.resource_pools.filter(parent=None, name="Resources").exists() for c in clusters)
    assert dc.folders.filter(kind=Folder.Kind.VM, parent__isnull=False).count() == 2 * 7
    assert all(vm.networks.count() == 1 for vm in vms.prefetch_related("networks")[:50])
    host_count = Host.objects.filter(cluster__datacenter=dc).count()
    for switch in dc.switches.all():
        assert switch.portgroups.filter(is_uplink=True).count() == 1
    assert sum(s.hosts.count() for s in dc.switches.all()) == host_count
    assert result.counts["hosts"] == 130 and result.counts["virtual machines"] == 260


def test_config_max_loads_once(db):
    config_max.load(**SMALL_SCALE)
    before = _snapshot()
    result = config_max.load(**SMALL_SCALE)
    assert not result.created
    assert _snapshot() == before
