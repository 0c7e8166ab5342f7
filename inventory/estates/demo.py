"""The demo estate: one site as a small enterprise runs it, ready for Workload Management.

`Management-Cluster` runs the infrastructure VMs and has DRS only partially automated (so it is
shown as incompatible for a Supervisor, for a visible reason); `Workload-Cluster-01` (vSAN + NFS)
runs the applications and is the natural Supervisor target; `Workload-Cluster-02` (NFS + local
disks) is left for trying enablement. Everything is seeded, so names and placement never change.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.estates.common import (
    DL385,
    MIB_PER_GIB,
    MIB_PER_TIB,
    R650,
    R750,
    Hardware,
    LoadResult,
    SsoPerson,
    assign_moids,
    create_datacenter,
    ensure_common,
    ensure_permission,
    ensure_sso_people,
    ensure_user,
    estate_counts,
    insert,
    link,
    lock_vcenter,
    stable_uuid,
)
from inventory.models import (
    Cluster,
    ContentLibrary,
    ContentLibraryItem,
    Datacenter,
    Datastore,
    DistributedSwitch,
    Folder,
    Host,
    Permission,
    PortGroup,
    ResourcePool,
    StoragePolicy,
    VCenter,
    VirtualMachine,
)
from inventory.operations import mark_running
from inventory.tasklog import SSO_DOMAIN

NAME = "demo"
DATACENTER = "RegionA01"
DOMAIN = "corp.vmbeans.com"
AUDITOR_USERNAME = f"auditor@{SSO_DOMAIN}"

# The platform team administers vCenter through an SSO group holding the Administrator role on
# the root; developers hold no vCenter role at all: their access comes from the permissions of
# the vSphere Namespaces they work in, granted to their team's group.
PLATFORM_ADMINS = "PlatformAdmins"
PAYMENTS = "DevTeam-Payments"
STOREFRONT = "DevTeam-Storefront"
SSO_PEOPLE = (
    SsoPerson(
        "platform-admin", "Priya", "Raman", f"platform-admin@{DOMAIN}", groups=(PLATFORM_ADMINS,)
    ),
    SsoPerson("alice", "Alice", "Chen", f"alice@{DOMAIN}", groups=(PAYMENTS,)),
    SsoPerson("bob", "Bob", "Martin", f"bob@{DOMAIN}", groups=(PAYMENTS,)),
    SsoPerson("carol", "Carol", "Singh", f"carol@{DOMAIN}", groups=(STOREFRONT,)),
    SsoPerson("dave", "Dave", "Kowalski", f"dave@{DOMAIN}", groups=(PAYMENTS, STOREFRONT)),
)
SEED = 20240801

MANAGEMENT = "Management-Cluster"
WORKLOAD_01 = "Workload-Cluster-01"
WORKLOAD_02 = "Workload-Cluster-02"

VSAN_MGMT = "vsanDatastore-mgmt"
VSAN_WLD01 = "vsanDatastore-wld01"
NFS = "nfs-datastore-01"
LOCAL = "local"  # the VM's own host's local VMFS datastore

SWITCH = "DSwitch-01"


@dataclass(frozen=True)
class ClusterSpec:
    name: str
    hosts: tuple[str, ...]  # short names; FQDN adds the domain
    hardware: Hardware
    drs: str
    vsan: bool
    datastores: tuple[str, ...]  # shared datastores mounted on every host of the cluster
    local_disks: bool = False


CLUSTERS = (
    ClusterSpec(
        MANAGEMENT,
        ("esx-01a", "esx-02a", "esx-03a"),
        R650,
        Cluster.DrsAutomation.PARTIALLY,
        vsan=True,
        datastores=(VSAN_MGMT,),
    ),
    ClusterSpec(
        WORKLOAD_01,
        ("esx-04a", "esx-05a", "esx-06a", "esx-07a"),
        R750,
        Cluster.DrsAutomation.FULLY,
        vsan=True,
        datastores=(VSAN_WLD01, NFS),
    ),
    ClusterSpec(
        WORKLOAD_02,
        ("esx-08a", "esx-09a", "esx-10a", "esx-11a"),
        DL385,
        Cluster.DrsAutomation.FULLY,
        vsan=False,
        datastores=(NFS,),
        local_disks=True,
    ),
)

# name -> (type, capacity MiB, share of capacity used by non-disk files)
DATASTORES = {
    VSAN_MGMT: (Datastore.Type.VSAN, 12 * MIB_PER_TIB, 0.03),
    VSAN_WLD01: (Datastore.Type.VSAN, 28 * MIB_PER_TIB, 0.03),
    NFS: (Datastore.Type.NFS, 20 * MIB_PER_TIB, 0.05),
}
LOCAL_DISK_MIB = 894 * MIB_PER_GIB  # a 960 GB boot SSD as VMFS 6 reports it


@dataclass(frozen=True)
class Net:
    name: str
    vlan: int
    subnet: str
    gateway: str | None


NETWORKS = (
    Net("Management", 10, "10.10.10.0/24", "10.10.10.1"),
    Net("vMotion", 11, "10.10.11.0/24", None),  # not routed
    Net("vSAN", 12, "10.10.12.0/24", None),
    # Kept free of VMs for the Supervisor: its workload IPs and load balancer VIPs come from here.
    Net("Workload-Network", 20, "10.10.20.0/24", "10.10.20.1"),
    Net("Frontend", 30, "10.10.30.0/24", "10.10.30.1"),
    Net("VM-Network", 40, "10.10.40.0/24", "10.10.40.1"),
)

# VM folder paths under the datacenter's root VM folder, parents first.
FOLDERS = (
    "Infrastructure",
    "Infrastructure/CI",
    "Applications",
    "Applications/Web",
    "Applications/App",
    "Applications/DB",
    "Templates",
)

# cluster -> user pool name -> settings; every cluster also gets its root pool `Resources`.
USER_POOLS = {
    WORKLOAD_01: {
        "Production": {
            "cpu_shares": ResourcePool.Shares.HIGH,
            "memory_shares": ResourcePool.Shares.HIGH,
            "cpu_reservation_mhz": 20_000,
            "memory_reservation_mib": 256 * MIB_PER_GIB,
        },
        "Dev-Test": {
            "cpu_shares": ResourcePool.Shares.LOW,
            "memory_shares": ResourcePool.Shares.LOW,
            "cpu_limit_mhz": 40_000,
            "memory_limit_mib": 128 * MIB_PER_GIB,
            "expandable_reservation": False,
        },
    },
}

GUESTS = {
    "ubuntu": ("Ubuntu Linux (64-bit)", "ubuntu64Guest"),
    "win2022": ("Microsoft Windows Server 2022 (64-bit)", "windows2019srvNext_64Guest"),
    "photon": ("VMware Photon OS (64-bit)", "vmwarePhoton64Guest"),
    "rhel9": ("Red Hat Enterprise Linux 9 (64-bit)", "rhel9_64Guest"),
}


# (name, guest, vCPUs, memory GiB, disk GiB, IP); a powered-off VM keeps no IP (no VMware Tools).
Row = tuple[str, str, int, int, int, str | None]


@dataclass(frozen=True)
class Placement:
    """A group of VMs that share cluster, pool, folder, datastore and network."""

    cluster: str
    pool: str
    folder: str
    datastore: str  # or LOCAL: the datastore on the VM's own host
    network: str
    vms: tuple[Row, ...]
    templates: bool = False


def _numbered(
    prefix: str, count: int, guest: str, cpu: int, mem: int, disk: int, ip: int
) -> tuple[Row, ...]:
    """`web-01`, `web-02`, ... with consecutive addresses on VM-Network."""
    return tuple(
        (f"{prefix}-{n:02d}", guest, cpu, mem, disk, f"10.10.40.{ip + n - 1}")
        for n in range(1, count + 1)
    )


PLACEMENTS = (
    Placement(
        MANAGEMENT,
        "Resources",
        "Infrastructure",
        VSAN_MGMT,
        "Management",
        (
            ("vcsa-01a", "photon", 4, 21, 694, "10.10.10.10"),
            ("ad-01", "win2022", 2, 8, 100, "10.10.10.5"),
            ("ad-02", "win2022", 2, 8, 100, "10.10.10.6"),
            ("dns-01", "ubuntu", 2, 4, 40, "10.10.10.7"),
            ("jumpbox-01", "win2022", 4, 16, 120, "10.10.10.30"),
            ("syslog-01", "ubuntu", 2, 8, 500, "10.10.10.31"),
            ("backup-01", "win2022", 8, 32, 200, "10.10.10.32"),
            ("harbor-01", "ubuntu", 4, 16, 1000, "10.10.10.33"),
            ("monitor-01", "ubuntu", 4, 16, 250, "10.10.10.34"),
            ("pki-root-01", "win2022", 2, 4, 80, None),
            ("file-01", "win2022", 4, 16, 2048, "10.10.10.36"),
        ),
    ),
    Placement(
        WORKLOAD_01,
        "Production",
        "Applications/Web",
        VSAN_WLD01,
        "VM-Network",
        _numbered("web", 6, "ubuntu", 2, 4, 40, ip=11),
    ),
    Placement(
        WORKLOAD_01,
        "Production",
        "Applications/App",
        VSAN_WLD01,
        "VM-Network",
        _numbered("app", 8, "rhel9", 4, 16, 80, ip=21),
    ),
    Placement(
        WORKLOAD_01,
        "Production",
        "Applications/DB",
        VSAN_WLD01,
        "VM-Network",
        _numbered("db", 2, "rhel9", 8, 64, 500, ip=31)
        + (
            ("db-03", "win2022", 8, 64, 750, "10.10.40.33"),
            ("db-04", "win2022", 8, 64, 750, "10.10.40.34"),
        ),
    ),
    Placement(
        WORKLOAD_01,
        "Dev-Test",
        "Applications/Web",
        NFS,
        "VM-Network",
        _numbered("dev-web", 2, "ubuntu", 2, 4, 40, ip=51),
    ),
    Placement(
        WORKLOAD_01,
        "Dev-Test",
        "Applications/App",
        NFS,
        "VM-Network",
        (
            ("dev-app-01", "rhel9", 2, 8, 60, "10.10.40.53"),
            ("dev-app-02", "rhel9", 2, 8, 60, None),
        ),
    ),
    Placement(
        WORKLOAD_01,
        "Resources",
        "Templates",
        NFS,
        "VM-Network",
        (
            ("ubuntu-22.04-template", "ubuntu", 2, 4, 40, None),
            ("win2022-template", "win2022", 2, 8, 90, None),
            ("rhel9-template", "rhel9", 2, 4, 40, None),
        ),
        templates=True,
    ),
    Placement(
        WORKLOAD_02,
        "Resources",
        "Infrastructure/CI",
        LOCAL,
        "VM-Network",
        _numbered("ci-runner", 4, "ubuntu", 8, 16, 200, ip=61)
        + (("build-cache-01", "ubuntu", 4, 8, 300, "10.10.40.65"),),
    ),
    Placement(
        WORKLOAD_02,
        "Resources",
        "Applications/Web",
        NFS,
        "VM-Network",
        _numbered("test-web", 2, "ubuntu", 2, 4, 40, ip=71)
        + (("test-web-03", "ubuntu", 2, 4, 40, None),),
    ),
    Placement(
        WORKLOAD_02,
        "Resources",
        "Applications/App",
        NFS,
        "VM-Network",
        _numbered("test-app", 4, "rhel9", 4, 8, 80, ip=74),
    ),
    Placement(
        WORKLOAD_02,
        "Resources",
        "Applications/DB",
        NFS,
        "VM-Network",
        (
            ("test-db-01", "rhel9", 4, 16, 200, "10.10.40.81"),
            ("test-db-02", "rhel9", 4, 16, 200, None),
        ),
    ),
)
POWERED_OFF = {"pki-root-01", "dev-app-02", "test-web-03", "test-db-02"}
SECOND_NIC = {"jumpbox-01": "VM-Network", "harbor-01": "VM-Network"}
NOTES = {
    "vcsa-01a": "VMware vCenter Server Appliance 8.0.3 (Small). Do not snapshot while backups run.",
    "ad-01": "Domain controller for corp.vmbeans.com (FSMO roles), DNS.",
    "ad-02": "Domain controller for corp.vmbeans.com, DNS.",
    "dns-01": "BIND forwarder for lab zones.",
    "jumpbox-01": "RDP jump host for administrators. Owner: platform team.",
    "backup-01": "Backup server; repository on the NFS filer.",
    "harbor-01": "Container registry for Kubernetes images: harbor.corp.vmbeans.com.",
    "monitor-01": "Prometheus and Grafana.",
    "pki-root-01": "Offline root CA: keep powered off except to sign the CRL.",
    "db-01": "PostgreSQL 16 primary. Owner: data team.",
    "db-02": "PostgreSQL 16 streaming replica of db-01. Owner: data team.",
    "db-03": "SQL Server 2022 Always On node.",
    "db-04": "SQL Server 2022 Always On node.",
    "ci-runner-01": "GitLab runner: ephemeral builds on local disk.",
}

# Kubernetes node images, as the subscribed library names them (§3.2: release names seen in the
# field; the build numbers follow the same pattern), with the size in MiB and how many days ago
# each was published. Releases are derived from these (workloads.releases): several patches per
# minor, photon and ubuntu images, 1.24 and 1.25 too old for VKS and 1.34 too new for a
# Supervisor on 1.32.
KUBERNETES_IMAGES = (
    ("ob-21552850-photon-3-amd64-vmi-k8s-v1.24.9---vmware.1-tkg.4", 1_640, 980),
    ("ob-21941131-photon-3-amd64-vmi-k8s-v1.25.7---vmware.3-fips.1-tkg.1", 1_690, 890),
    ("ob-22366622-photon-3-amd64-vmi-k8s-v1.26.5---vmware.2-fips.1-tkg.1", 1_710, 760),
    ("ob-23307427-photon-3-amd64-vmi-k8s-v1.26.13---vmware.1-fips.1-tkg.3", 1_740, 610),
    ("ob-23307445-ubuntu-2004-amd64-vmi-k8s-v1.26.13---vmware.1-fips.1-tkg.3", 4_310, 610),
    ("ob-23443719-photon-3-amd64-vmi-k8s-v1.27.11---vmware.1-fips.1-tkg.2", 1_760, 560),
    ("ob-23443752-ubuntu-2204-amd64-vmi-k8s-v1.27.11---vmware.1-fips.1-tkg.2", 4_580, 560),
    ("ob-23731231-photon-3-amd64-vmi-k8s-v1.28.8---vmware.1-fips.1-tkg.2", 1_780, 500),
    ("ob-23731267-ubuntu-2204-amd64-vmi-k8s-v1.28.8---vmware.1-fips.1-tkg.2", 4_610, 500),
    ("ob-24042421-photon-5-amd64-vmi-k8s-v1.29.4---vmware.3-fips.1-tkg.1", 1_850, 440),
    ("ob-24042459-ubuntu-2204-amd64-vmi-k8s-v1.29.4---vmware.3-fips.1-tkg.1", 4_650, 440),
    ("ob-24112358-photon-5-amd64-vmi-k8s-v1.30.1---vmware.1-fips-tkg.5", 1_880, 400),
    ("ob-24112381-ubuntu-2204-amd64-vmi-k8s-v1.30.1---vmware.1-fips-tkg.5", 4_700, 400),
    ("ob-24430141-photon-5-amd64-v1.30.8---vmware.1-fips-vkr.1", 1_910, 300),
    ("ob-24687215-photon-5-amd64-v1.30.11---vmware.1-fips-vkr.2", 1_920, 220),
    ("ob-24687236-ubuntu-2204-amd64-v1.30.11---vmware.1-fips-vkr.2", 4_790, 220),
    ("ob-24331205-photon-5-amd64-v1.31.1---vmware.2-fips-vkr.2", 1_900, 330),
    ("ob-24590211-photon-5-amd64-v1.31.4---vmware.1-fips-vkr.3", 1_930, 260),
    ("ob-24590237-ubuntu-2204-amd64-v1.31.4---vmware.1-fips-vkr.3", 4_820, 260),
    ("ob-24733652-photon-5-amd64-v1.32.3---vmware.1-fips-vkr.2", 1_950, 180),
    ("ob-24733670-ubuntu-2204-amd64-v1.32.3---vmware.1-fips-vkr.2", 4_850, 180),
    ("ob-24945258-photon-5-amd64-v1.32.7---vmware.3-fips-vkr.1", 1_960, 120),
    ("ob-24945281-ubuntu-2204-amd64-v1.32.7---vmware.3-fips-vkr.1", 4_870, 120),
    ("ob-25103377-photon-5-amd64-v1.33.3---vmware.1-fips-vkr.1", 1_990, 75),
    ("ob-25369010-photon-5-amd64-v1.33.6---vmware.1-fips-vkr.2", 2_010, 30),
    ("ob-25369034-ubuntu-2204-amd64-v1.33.6---vmware.1-fips-vkr.2", 4_910, 30),
    ("ob-25517749-photon-5-amd64-v1.34.2---vmware.2-fips-vkr.1", 2_040, 9),
)
TEMPLATE_IMAGES = (
    ("ubuntu-22.04-server-cloudimg-amd64", "ovf", 650),
    ("rhel-9.4-x86_64-kvm", "ovf", 1_900),
    ("windows-server-2022-standard", "ovf", 9_800),
    ("ubuntu-22.04.4-live-server-amd64.iso", "iso", 2_010),
)


def _datastore_url(rng: random.Random, kind: str) -> str:
    def hex_(digits: int) -> str:
        return f"{rng.getrandbits(4 * digits):0{digits}x}"

    if kind == Datastore.Type.VSAN:
        return f"ds:///vmfs/volumes/vsan:{hex_(16)}-{hex_(16)}/"
    if kind == Datastore.Type.NFS:
        return f"ds:///vmfs/volumes/{hex_(8)}-{hex_(8)}/"
    return f"ds:///vmfs/volumes/{hex_(8)}-{hex_(8)}-{hex_(4)}-{hex_(12)}/"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def load() -> LoadResult:
    """Load the demo estate once. Later runs only make sure the SSO users, groups and their roles
    exist and report; the estate itself is never duplicated or changed."""
    with transaction.atomic():
        vcenter = ensure_common()
        lock_vcenter(vcenter)
        auditor_principal = f"{SSO_DOMAIN.upper()}\\auditor"
        ensure_user(AUDITOR_USERNAME)
        ensure_permission(
            entity_moid=vcenter.moid, principal=auditor_principal, role=Permission.Role.READ_ONLY
        )
        ensure_sso_people(SSO_PEOPLE, password=settings.VKS_DEMO_PASSWORD)
        ensure_permission(
            entity_moid=vcenter.moid,
            principal=f"{SSO_DOMAIN.upper()}\\{PLATFORM_ADMINS}",
            role=Permission.Role.ADMIN,
            is_group=True,
        )
        datacenter = Datacenter.objects.filter(vcenter=vcenter, name=DATACENTER).first()
        created = datacenter is None
        if created:
            datacenter = _build(vcenter, timezone.now())
        return LoadResult(NAME, DATACENTER, created, estate_counts(datacenter))


def _build(vcenter: VCenter, now: datetime) -> Datacenter:
    rng = random.Random(SEED)
    datacenter, roots = create_datacenter(vcenter, DATACENTER)
    datastores = _datastores(datacenter, rng)
    clusters = _clusters(datacenter)
    pools = _pools(clusters)
    hosts = _hosts(clusters, datastores, rng, now)
    portgroups = _network(datacenter, hosts)
    folders = _folders(datacenter, roots[Folder.Kind.VM])
    _vms(hosts, pools, folders, datastores, portgroups, rng, now)
    _storage_policies(datastores)
    _content_libraries(datastores)
    return datacenter


def _datastores(datacenter: Datacenter, rng: random.Random) -> dict[str, Datastore]:
    datastores = {
        name: Datastore(
            datacenter=datacenter,
            name=name,
            type=kind,
            capacity_mib=capacity,
            other_used_mib=int(capacity * used),
            url=_datastore_url(rng, kind),
        )
        for name, (kind, capacity, used) in DATASTORES.items()
    }
    for short in (h for spec in CLUSTERS if spec.local_disks for h in spec.hosts):
        datastores[f"{short}-local"] = Datastore(
            datacenter=datacenter,
            name=f"{short}-local",
            type=Datastore.Type.VMFS,
            capacity_mib=LOCAL_DISK_MIB,
            other_used_mib=int(LOCAL_DISK_MIB * 0.02),
            url=_datastore_url(rng, Datastore.Type.VMFS),
        )
    insert(list(datastores.values()))
    return datastores


def _clusters(datacenter: Datacenter) -> dict[str, Cluster]:
    clusters = [
        Cluster(
            datacenter=datacenter,
            name=spec.name,
            drs_automation_level=spec.drs,
            vsan_enabled=spec.vsan,
        )
        for spec in CLUSTERS
    ]
    return {c.name: c for c in insert(clusters)}


def _pools(clusters: dict[str, Cluster]) -> dict[tuple[str, str], ResourcePool]:
    """(cluster name, pool name) -> pool: each cluster's root `Resources` and the user pools."""
    roots = insert([ResourcePool(cluster=c, name="Resources") for c in clusters.values()])
    pools = {(p.cluster.name, p.name): p for p in roots}
    children = [
        ResourcePool(
            cluster=clusters[cluster], parent=pools[(cluster, "Resources")], name=name, **options
        )
        for cluster, pool_options in USER_POOLS.items()
        for name, options in pool_options.items()
    ]
    pools.update({(p.cluster.name, p.name): p for p in insert(children)})
    return pools


def _hosts(
    clusters: dict[str, Cluster],
    datastores: dict[str, Datastore],
    rng: random.Random,
    now: datetime,
) -> dict[str, Host]:
    """Short name (`esx-04a`) -> host, in cluster order, with its datastores mounted."""
    hosts: dict[str, Host] = {}
    for spec in CLUSTERS:
        hw = spec.hardware
        for short in spec.hosts:
            hosts[short] = hw.host(
                cluster=clusters[spec.name],
                name=f"{short}.{DOMAIN}",
                management_ip=f"10.10.10.{11 + len(hosts)}",
                # vSAN's own services cost a host more than plain ESXi does.
                overhead_cpu_mhz=rng.randint(1600, 2400) if spec.vsan else rng.randint(700, 1200),
                overhead_memory_mib=(rng.randint(14, 18) if spec.vsan else rng.randint(5, 7))
                * MIB_PER_GIB,
                boot_time=now - timedelta(days=rng.randint(20, 120), seconds=rng.randint(0, 86399)),
            )
    insert(list(hosts.values()))

    def mounts():
        for spec in CLUSTERS:
            for short in spec.hosts:
                names = spec.datastores + ((f"{short}-local",) if spec.local_disks else ())
                yield from ((hosts[short].pk, datastores[name].pk) for name in names)

    link(Host.datastores.through, mounts(), "host_id", "datastore_id")
    return hosts


def _network(datacenter: Datacenter, hosts: dict[str, Host]) -> dict[str, PortGroup]:
    """One distributed switch on every host; its uplink port group is named after the switch's
    moid number, as vCenter names it."""
    switch = insert([DistributedSwitch(datacenter=datacenter, name=SWITCH, mtu=9000, uplinks=2)])[0]
    link(
        DistributedSwitch.hosts.through,
        ((switch.pk, host.pk) for host in hosts.values()),
        "distributedswitch_id",
        "host_id",
    )
    uplink_number = switch.moid.removeprefix(DistributedSwitch.PREFIX)
    uplinks = PortGroup(
        switch=switch,
        name=f"{SWITCH}-DVUplinks-{uplink_number}",
        is_uplink=True,
        num_ports=len(hosts) * switch.uplinks,
    )
    groups = [
        PortGroup(switch=switch, name=n.name, vlan_id=n.vlan, subnet=n.subnet, gateway=n.gateway)
        for n in NETWORKS
    ]
    return {pg.name: pg for pg in insert([uplinks, *groups])}


def _folders(datacenter: Datacenter, vm_root: Folder) -> dict[str, Folder]:
    """Path -> VM folder; one insert per depth, parents first."""
    folders: dict[str, Folder] = {}
    for depth in range(1, max(path.count("/") for path in FOLDERS) + 2):
        level = {}
        for path in FOLDERS:
            if path.count("/") + 1 != depth:
                continue
            parent_path, _, name = path.rpartition("/")
            parent = folders[parent_path] if parent_path else vm_root
            level[path] = Folder(
                datacenter=datacenter, kind=Folder.Kind.VM, name=name, parent=parent
            )
        insert(list(level.values()))
        folders.update(level)
    return folders


def _vms(
    hosts: dict[str, Host],
    pools: dict[tuple[str, str], ResourcePool],
    folders: dict[str, Folder],
    datastores: dict[str, Datastore],
    portgroups: dict[str, PortGroup],
    rng: random.Random,
    now: datetime,
) -> None:
    """VMs go round-robin over their cluster's hosts, so every host carries its share."""
    hosts_of = {spec.name: [hosts[short] for short in spec.hosts] for spec in CLUSTERS}
    turn = dict.fromkeys(hosts_of, 0)
    placed: list[tuple[VirtualMachine, Host]] = []
    nics: list[tuple[VirtualMachine, PortGroup]] = []
    for placement in PLACEMENTS:
        for name, guest, cpu, memory_gib, disk_gib, ip in placement.vms:
            cluster_hosts = hosts_of[placement.cluster]
            host = cluster_hosts[turn[placement.cluster] % len(cluster_hosts)]
            turn[placement.cluster] += 1
            datastore = placement.datastore
            if datastore == LOCAL:
                datastore = f"{host.name.split('.', 1)[0]}-local"
            guest_os, guest_id = GUESTS[guest]
            vm = VirtualMachine(
                name=name,
                host=host,
                resource_pool=pools[(placement.cluster, placement.pool)],
                folder=folders[placement.folder],
                datastore=datastores[datastore],
                is_template=placement.templates,
                num_cpu=cpu,
                memory_mib=memory_gib * MIB_PER_GIB,
                disk_mib=disk_gib * MIB_PER_GIB,
                guest_os=guest_os,
                guest_id=guest_id,
                ip_address=ip,
                dns_name=f"{name}.{DOMAIN}" if ip else "",
                annotation=NOTES.get(name, ""),
                instance_uuid=_uuid(rng),
            )
            placed.append((vm, host))
            nics.append((vm, portgroups[placement.network]))
            if name in SECOND_NIC:
                nics.append((vm, portgroups[SECOND_NIC[name]]))
    vms = [vm for vm, _ in placed]
    assign_moids(vms)  # usage below derives from the moid, as the engine derives it
    for vm, host in placed:
        if not vm.is_template and vm.name not in POWERED_OFF:
            uptime = (now - host.boot_time).total_seconds()
            mark_running(vm, host, now - timedelta(seconds=int(uptime * rng.uniform(0.05, 0.9))))
    insert(vms)
    link(
        VirtualMachine.networks.through,
        ((vm.pk, pg.pk) for vm, pg in nics),
        "virtualmachine_id",
        "portgroup_id",
    )


def _storage_policies(datastores: dict[str, Datastore]) -> None:
    policies = {
        "vSAN Default Storage Policy": (
            "Storage policy used as default for vSAN datastores: failures to tolerate 1 "
            "(RAID-1 mirroring).",
            (VSAN_MGMT, VSAN_WLD01),
        ),
        "Management Storage Policy - Thin": (
            "Thin-provisioned vSAN policy for management appliances.",
            (VSAN_MGMT,),
        ),
        "k8s-gold": (
            "Tag-based placement: datastores tagged k8s-storage/gold (vSAN, FTT=1). For "
            "Supervisor control plane, ephemeral disks and image cache.",
            (VSAN_WLD01,),
        ),
        "k8s-silver": (
            "Tag-based placement: datastores tagged k8s-storage/silver (NFS).",
            (NFS,),
        ),
    }
    for name, (description, names) in policies.items():
        policy, _ = StoragePolicy.objects.get_or_create(
            name=name,
            defaults={"policy_id": stable_uuid("policy", name), "description": description},
        )
        policy.datastores.add(*(datastores[n] for n in names))


def _content_libraries(datastores: dict[str, Datastore]) -> None:
    kubernetes, _ = ContentLibrary.objects.get_or_create(
        name="Kubernetes Service Content Library",
        defaults={
            "library_id": stable_uuid("library", "kubernetes"),
            "description": "Kubernetes releases (node images) for VKS clusters.",
            "type": ContentLibrary.Type.SUBSCRIBED,
            "subscription_url": "https://wp-content.vmware.com/v2/latest/lib.json",
            "datastore": datastores[NFS],
        },
    )
    templates, _ = ContentLibrary.objects.get_or_create(
        name="Templates",
        defaults={
            "library_id": stable_uuid("library", "templates"),
            "description": "Golden images maintained by the platform team.",
            "type": ContentLibrary.Type.LOCAL,
            "datastore": datastores[VSAN_MGMT],
        },
    )
    items = [(kubernetes, name, "ovf", size, age) for name, size, age in KUBERNETES_IMAGES] + [
        (templates, name, kind, size, 0) for name, kind, size in TEMPLATE_IMAGES
    ]
    now = timezone.now()
    for library, name, kind, size, age in items:
        item, created = ContentLibraryItem.objects.get_or_create(
            library=library,
            name=name,
            defaults={
                "item_id": stable_uuid("item", library.name, name),
                "type": kind,
                "size_mib": size,
            },
        )
        if created and age:  # published before the library synced it (created_at is auto)
            ContentLibraryItem.objects.filter(pk=item.pk).update(
                created_at=now - timedelta(days=age)
            )
