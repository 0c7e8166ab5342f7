"""The configuration-maximum estate: vCenter 8.0 at its limits (2,500 hosts, 45,000 registered VMs
of which 40,000 powered on), for benchmarks of the navigator, lists and roll-ups.

Built with bulk inserts in batches, managed object IDs reserved a batch at a time, and many-to-many
rows written straight into the through tables, so it loads in well under two minutes on SQLite.
Scale parameters exist so tests can build the same shape small.
"""

from __future__ import annotations

import ipaddress
import math
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from inventory.estates.common import (
    BATCH,
    DL380,
    MIB_PER_GIB,
    MIB_PER_TIB,
    R650,
    LoadResult,
    assign_moids,
    create_datacenter,
    ensure_common,
    estate_counts,
    insert,
    link,
    lock_vcenter,
    stable_uuid,
)
from inventory.models import (
    Cluster,
    Datacenter,
    Datastore,
    DistributedSwitch,
    Folder,
    Host,
    PortGroup,
    ResourcePool,
    StoragePolicy,
    VCenter,
    VirtualMachine,
)
from inventory.operations import mark_running

NAME = "config-max"
DATACENTER = "ScaleDC"
DOMAIN = "scale.corp.vmbeans.com"
SEED = 45000

# vCenter Server 8.0 configuration maximums (VKS-REFERENCE §5).
HOSTS = 2500
VMS_PER_HOST = 18  # 2,500 x 18 = 45,000 registered VMs
HOSTS_PER_CLUSTER = 64
FIRST_CLUSTER_HOSTS = 96  # one cluster at the 8.0 per-cluster maximum
POWERED_OFF_EVERY = 9  # one VM in nine is off: 40,000 of 45,000 on, the powered-on maximum
CLUSTERS_PER_SWITCH = 10  # ~640 hosts, well under 2,000 hosts per distributed switch
VM_PORTGROUPS_PER_SWITCH = 8
SHARED_NFS = 4  # datacenter-wide NFS datastores, mounted on every host
NFS_EVERY = 6  # one VM in six lives on NFS, the rest on its cluster's VMFS
VMFS_MAX_MIB = 64 * MIB_PER_TIB

# role -> (guest OS, guest id, vCPUs, memory MiB, disk MiB, resource pool)
ROLES = {
    "web": ("Ubuntu Linux (64-bit)", "ubuntu64Guest", 2, 4096, 40 * MIB_PER_GIB, "Production"),
    "app": (
        "Red Hat Enterprise Linux 9 (64-bit)",
        "rhel9_64Guest",
        4,
        8192,
        80 * MIB_PER_GIB,
        "Production",
    ),
    "db": (
        "Microsoft Windows Server 2022 (64-bit)",
        "windows2019srvNext_64Guest",
        8,
        32768,
        200 * MIB_PER_GIB,
        "Production",
    ),
    "cache": (
        "VMware Photon OS (64-bit)",
        "vmwarePhoton64Guest",
        2,
        8192,
        30 * MIB_PER_GIB,
        "Resources",
    ),
    "batch": ("Ubuntu Linux (64-bit)", "ubuntu64Guest", 4, 16384, 100 * MIB_PER_GIB, "Resources"),
    "ci": ("Ubuntu Linux (64-bit)", "ubuntu64Guest", 4, 8192, 100 * MIB_PER_GIB, "Dev-Test"),
}
ROLE_NAMES = tuple(ROLES)
FOLDER_NAMES = {
    "web": "Web",
    "app": "App",
    "db": "DB",
    "cache": "Cache",
    "batch": "Batch",
    "ci": "CI",
}


HARDWARE = (R650, DL380)


def cluster_sizes(hosts: int, hosts_per_cluster: int, first_cluster_hosts: int) -> list[int]:
    """The first cluster gets `first_cluster_hosts`; the rest are spread as evenly as possible
    over clusters of at most `hosts_per_cluster`."""
    first = min(first_cluster_hosts, hosts)
    rest = hosts - first
    if rest <= 0:
        return [first] if first else []
    count = math.ceil(rest / hosts_per_cluster)
    size, extra = divmod(rest, count)
    return [first] + [size + 1] * extra + [size] * (count - extra)


def load(
    *,
    hosts: int = HOSTS,
    vms_per_host: int = VMS_PER_HOST,
    hosts_per_cluster: int = HOSTS_PER_CLUSTER,
    first_cluster_hosts: int = FIRST_CLUSTER_HOSTS,
) -> LoadResult:
    """Load the estate once, in one transaction; if `ScaleDC` exists, change nothing."""
    with transaction.atomic():
        vcenter = ensure_common()
        lock_vcenter(vcenter)
        datacenter = Datacenter.objects.filter(vcenter=vcenter, name=DATACENTER).first()
        created = datacenter is None
        if created:
            sizes = cluster_sizes(hosts, hosts_per_cluster, first_cluster_hosts)
            datacenter = _Builder(vcenter, sizes, vms_per_host, timezone.now()).build()
        return LoadResult(NAME, DATACENTER, created, estate_counts(datacenter))


class _Builder:
    def __init__(self, vcenter: VCenter, sizes: list[int], vms_per_host: int, now: datetime):
        self.vcenter = vcenter
        self.sizes = sizes
        self.vms_per_host = vms_per_host
        self.now = now
        self.rng = random.Random(SEED)

    def build(self) -> Datacenter:
        self.datacenter, self.roots = create_datacenter(self.vcenter, DATACENTER)
        self._clusters()
        self._datastores()
        self._hosts()
        self._networks()
        self._folders()
        self._vms()
        self._storage_policy()
        return self.datacenter

    def _clusters(self) -> None:
        self.clusters = insert(
            [
                Cluster(datacenter=self.datacenter, name=f"Scale-Cluster-{n:03d}")
                for n in range(1, len(self.sizes) + 1)
            ]
        )
        self.cluster_no = {c.pk: c.name.removeprefix("Scale-Cluster-") for c in self.clusters}
        roots = insert(
            [ResourcePool(cluster=c, name="Resources", parent=None) for c in self.clusters]
        )
        children = insert(
            [
                ResourcePool(
                    cluster=root.cluster,
                    parent=root,
                    name="Production",
                    cpu_shares=ResourcePool.Shares.HIGH,
                    memory_shares=ResourcePool.Shares.HIGH,
                )
                for root in roots
            ]
            + [
                ResourcePool(
                    cluster=root.cluster,
                    parent=root,
                    name="Dev-Test",
                    cpu_shares=ResourcePool.Shares.LOW,
                    memory_shares=ResourcePool.Shares.LOW,
                )
                for root in roots
            ]
        )
        self.pools = {(p.cluster_id, p.name): p for p in roots + children}

    def _disk_mib(self, hosts: int) -> int:
        """What the VMs of `hosts` hosts provision, on average."""
        per_vm = sum(role[4] for role in ROLES.values()) / len(ROLES)
        return int(hosts * self.vms_per_host * per_vm)

    def _capacity(self, used_mib: float) -> int:
        """Whole TiB, so the VMs fill about 60% of it (at least 8 TiB)."""
        return max(8, math.ceil(used_mib / 0.6 / MIB_PER_TIB)) * MIB_PER_TIB

    def _datastores(self) -> None:
        """Per cluster, as many VMFS volumes as its VMs need (VMFS 6 stops at 64 TiB a volume);
        a few NFS exports shared by every host."""
        rng = self.rng
        self.cluster_datastores: dict[int, list[Datastore]] = {}
        vmfs = []
        for cluster, size in zip(self.clusters, self.sizes, strict=True):
            needed = self._capacity(self._disk_mib(size) * (NFS_EVERY - 1) / NFS_EVERY)
            count = math.ceil(needed / VMFS_MAX_MIB)
            capacity = math.ceil(needed / count / MIB_PER_TIB) * MIB_PER_TIB
            number = cluster.name.removeprefix("Scale-Cluster-")
            self.cluster_datastores[cluster.pk] = [
                Datastore(
                    datacenter=self.datacenter,
                    name=f"scale-vmfs-{number}-{n:02d}",
                    type=Datastore.Type.VMFS,
                    capacity_mib=capacity,
                    other_used_mib=int(capacity * 0.02),
                    url=f"ds:///vmfs/volumes/{uuid.UUID(int=rng.getrandbits(128))}/",
                )
                for n in range(1, count + 1)
            ]
            vmfs += self.cluster_datastores[cluster.pk]
        nfs_capacity = self._capacity(self._disk_mib(sum(self.sizes)) / NFS_EVERY / SHARED_NFS)
        self.nfs = [
            Datastore(
                datacenter=self.datacenter,
                name=f"scale-nfs-{n:02d}",
                type=Datastore.Type.NFS,
                capacity_mib=nfs_capacity,
                other_used_mib=int(nfs_capacity * 0.05),
                url=f"ds:///vmfs/volumes/{rng.getrandbits(32):08x}-{rng.getrandbits(32):08x}/",
            )
            for n in range(1, SHARED_NFS + 1)
        ]
        insert(vmfs + self.nfs)

    def _hosts(self) -> None:
        rng, now = self.rng, self.now
        hosts = []
        number = 0
        for index, (cluster, size) in enumerate(zip(self.clusters, self.sizes, strict=True)):
            hw = HARDWARE[index % len(HARDWARE)]
            for n in range(1, size + 1):
                hosts.append(
                    hw.host(
                        cluster=cluster,
                        name=f"esx-c{index + 1:03d}-h{n:03d}.{DOMAIN}",
                        management_ip=f"10.20.{number // 250}.{number % 250 + 5}",
                        overhead_cpu_mhz=rng.randint(700, 1200),
                        overhead_memory_mib=rng.randint(5, 7) * MIB_PER_GIB,
                        boot_time=now
                        - timedelta(days=rng.randint(20, 200), seconds=rng.randint(0, 86399)),
                    )
                )
                number += 1
        self.hosts = insert(hosts)
        link(
            Host.datastores.through,
            self._mounts(),
            "host_id",
            "datastore_id",
        )

    def _mounts(self) -> Iterator[tuple[int, int]]:
        for host in self.hosts:
            for ds in self.cluster_datastores[host.cluster_id]:
                yield host.pk, ds.pk
            for ds in self.nfs:
                yield host.pk, ds.pk

    def _networks(self) -> None:
        """One switch per ten clusters: uplinks, Management, vMotion and eight VM networks,
        each VM network with its own /20 of 172.16.0.0/12 (room for ~4,000 VMs)."""
        groups = [
            self.clusters[i : i + CLUSTERS_PER_SWITCH]
            for i in range(0, len(self.clusters), CLUSTERS_PER_SWITCH)
        ]
        switches = insert(
            [
                DistributedSwitch(
                    datacenter=self.datacenter, name=f"Scale-DSwitch-{n:02d}", mtu=9000
                )
                for n in range(1, len(groups) + 1)
            ]
        )
        switch_of_cluster = {
            c.pk: switch for switch, group in zip(switches, groups, strict=True) for c in group
        }
        hosts_per_switch: dict[int, int] = {}
        for host in self.hosts:
            switch = switch_of_cluster[host.cluster_id]
            hosts_per_switch[switch.pk] = hosts_per_switch.get(switch.pk, 0) + 1
        link(
            DistributedSwitch.hosts.through,
            ((switch_of_cluster[h.cluster_id].pk, h.pk) for h in self.hosts),
            "distributedswitch_id",
            "host_id",
        )
        subnets = ipaddress.ip_network("172.16.0.0/12").subnets(new_prefix=20)
        portgroups: list[PortGroup] = []
        vm_networks: dict[int, list[PortGroup]] = {}
        for n, switch in enumerate(switches, start=1):
            number = switch.moid.removeprefix(DistributedSwitch.PREFIX)
            portgroups += [
                PortGroup(
                    switch=switch,
                    name=f"{switch.name}-DVUplinks-{number}",
                    is_uplink=True,
                    num_ports=hosts_per_switch[switch.pk] * switch.uplinks,
                ),
                # One management network for the datacenter, trunked to every switch.
                PortGroup(
                    switch=switch,
                    name=f"Scale-Management-{n:02d}",
                    vlan_id=100,
                    subnet="10.20.0.0/16",
                    gateway="10.20.0.1",
                ),
                PortGroup(switch=switch, name=f"Scale-vMotion-{n:02d}", vlan_id=200),
            ]
            vm_networks[switch.pk] = []
            for k in range(VM_PORTGROUPS_PER_SWITCH):
                subnet = next(subnets, None)
                vlan = 1000 + (n - 1) * VM_PORTGROUPS_PER_SWITCH + k
                pg = PortGroup(
                    switch=switch,
                    name=f"VM-VLAN-{vlan}",
                    vlan_id=vlan,
                    num_ports=4096,
                    subnet=str(subnet) if subnet else "",
                    gateway=str(subnet.network_address + 1) if subnet else None,
                )
                portgroups.append(pg)
                vm_networks[switch.pk].append(pg)
        insert(portgroups)
        self.switch_of_cluster = switch_of_cluster
        self.vm_networks = vm_networks
        self.subnet_of = {
            pg.pk: ipaddress.ip_network(pg.subnet) if pg.subnet else None
            for pgs in vm_networks.values()
            for pg in pgs
        }

    def _folders(self) -> None:
        """VM folders: one per tenant (cluster), with a sub-folder per role."""
        root = self.roots[Folder.Kind.VM]
        tenants = insert(
            [
                Folder(
                    datacenter=self.datacenter,
                    kind=Folder.Kind.VM,
                    name=f"Tenant-{n:03d}",
                    parent=root,
                )
                for n in range(1, len(self.clusters) + 1)
            ]
        )
        subfolders = insert(
            [
                Folder(
                    datacenter=self.datacenter,
                    kind=Folder.Kind.VM,
                    name=FOLDER_NAMES[role],
                    parent=tenant,
                )
                for tenant in tenants
                for role in ROLE_NAMES
            ]
        )
        self.folder = {
            (cluster.pk, role): subfolders[i * len(ROLE_NAMES) + r]
            for i, cluster in enumerate(self.clusters)
            for r, role in enumerate(ROLE_NAMES)
        }

    def _vm_stream(self) -> Iterator[tuple[VirtualMachine, Host, int]]:
        """Every VM with its host and its port group's pk, in host order."""
        rng = self.rng
        index = 0
        seq: dict[tuple[int, str], int] = {}
        ip_next: dict[int, int] = {}
        for host in self.hosts:
            cluster_no = self.cluster_no[host.cluster_id]
            switch = self.switch_of_cluster[host.cluster_id]
            networks = self.vm_networks[switch.pk]
            cluster_datastores = self.cluster_datastores[host.cluster_id]
            for j in range(self.vms_per_host):
                role = ROLE_NAMES[(j + index // self.vms_per_host) % len(ROLE_NAMES)]
                guest_os, guest_id, cpu, memory, disk, pool = ROLES[role]
                key = (host.cluster_id, role)
                seq[key] = seq.get(key, 0) + 1
                name = f"{role}-c{cluster_no}-{seq[key]:04d}"
                pg = networks[index % len(networks)]
                on = index % POWERED_OFF_EVERY != POWERED_OFF_EVERY - 1
                ip = None
                network = self.subnet_of[pg.pk]
                if on and network is not None:
                    offset = ip_next[pg.pk] = ip_next.get(pg.pk, 1) + 1  # .1 is the gateway
                    if offset < network.num_addresses - 1:
                        ip = str(network.network_address + offset)
                datastore = (
                    self.nfs[(index // NFS_EVERY) % len(self.nfs)]
                    if index % NFS_EVERY == NFS_EVERY - 1
                    else cluster_datastores[index % len(cluster_datastores)]
                )
                vm = VirtualMachine(
                    name=name,
                    host=host,
                    resource_pool=self.pools[(host.cluster_id, pool)],
                    folder=self.folder[(host.cluster_id, role)],
                    datastore=datastore,
                    num_cpu=cpu,
                    memory_mib=memory,
                    disk_mib=disk,
                    guest_os=guest_os,
                    guest_id=guest_id,
                    ip_address=ip,
                    dns_name=f"{name}.{DOMAIN}" if on else "",
                    instance_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                    power_state=VirtualMachine.PowerState.ON
                    if on
                    else VirtualMachine.PowerState.OFF,
                )
                index += 1
                yield vm, host, pg.pk

    def _vms(self) -> None:
        """Stream VMs in batches: moids for a batch, usage from the moids, insert, then the
        batch's network rows. Memory stays bounded by the batch, not the estate."""
        rng, now = self.rng, self.now
        batch: list[tuple[VirtualMachine, Host, int]] = []
        for item in self._vm_stream():
            batch.append(item)
            if len(batch) >= BATCH:
                self._flush(batch, rng, now)
                batch = []
        self._flush(batch, rng, now)

    def _flush(
        self, batch: list[tuple[VirtualMachine, Host, int]], rng: random.Random, now: datetime
    ) -> None:
        if not batch:
            return
        vms = [vm for vm, _, _ in batch]
        assign_moids(vms)
        for vm, host, _ in batch:
            if vm.power_state == VirtualMachine.PowerState.ON:
                uptime = (now - host.boot_time).total_seconds()
                mark_running(vm, host, now - timedelta(seconds=int(uptime * rng.random())))
        VirtualMachine.objects.bulk_create(vms, batch_size=BATCH)
        link(
            VirtualMachine.networks.through,
            ((vm.pk, pg_pk) for vm, _, pg_pk in batch),
            "virtualmachine_id",
            "portgroup_id",
        )

    def _storage_policy(self) -> None:
        name = "ScaleDC Shared Storage"
        policy, _ = StoragePolicy.objects.get_or_create(
            name=name,
            defaults={
                "policy_id": stable_uuid("policy", name),
                "description": "Every datastore of ScaleDC: the benchmark's placement policy.",
            },
        )
        policy.datastores.add(
            *self.nfs, *(ds for dss in self.cluster_datastores.values() for ds in dss)
        )
