"""Object types of the inventory: how a managed object ID maps to its model, which tabs its page
has, and where it sits (its parent) in each navigator view."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import Http404

from inventory.models import (
    Cluster,
    Datacenter,
    Datastore,
    DistributedSwitch,
    Folder,
    Host,
    ManagedEntity,
    PortGroup,
    ResourcePool,
    VCenter,
    VirtualMachine,
)

MODEL_BY_PREFIX: dict[str, type[ManagedEntity]] = {
    VCenter.PREFIX: VCenter,
    Datacenter.PREFIX: Datacenter,
    Cluster.PREFIX: Cluster,
    Host.PREFIX: Host,
    Datastore.PREFIX: Datastore,
    DistributedSwitch.PREFIX: DistributedSwitch,
    PortGroup.PREFIX: PortGroup,
    ResourcePool.PREFIX: ResourcePool,
    VirtualMachine.PREFIX: VirtualMachine,
    **{prefix: Folder for prefix in Folder.KIND_PREFIX.values()},
}
_MOID = re.compile(r"^([a-z-]+?)(\d+)$")

# Related objects each page's select_related needs (header, breadcrumbs, task scope).
SELECT_RELATED: dict[type[ManagedEntity], tuple[str, ...]] = {
    Datacenter: ("vcenter",),
    Folder: ("datacenter", "parent"),
    Cluster: ("datacenter",),
    Host: ("cluster__datacenter",),
    Datastore: ("datacenter",),
    DistributedSwitch: ("datacenter",),
    PortGroup: ("switch__datacenter",),
    ResourcePool: ("cluster__datacenter", "parent"),
    VirtualMachine: (
        "host__cluster__datacenter",
        "resource_pool",
        "folder",
        "datastore",
    ),
}


def model_for(moid: str) -> type[ManagedEntity]:
    match = _MOID.match(moid)
    model = MODEL_BY_PREFIX.get(match.group(1)) if match else None
    if model is None:
        raise Http404(f"No object {moid!r}")
    return model


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str


SUMMARY = Tab("summary", "Summary")
MONITOR = Tab("monitor", "Monitor")
CONFIGURE = Tab("configure", "Configure")
PERMISSIONS = Tab("permissions", "Permissions")
DATACENTERS = Tab("datacenters", "Datacenters")
HOSTS = Tab("hosts", "Hosts")
CLUSTERS = Tab("clusters", "Clusters")
VMS = Tab("vms", "VMs")
DATASTORES = Tab("datastores", "Datastores")
NETWORKS = Tab("networks", "Networks")

COMMON = (SUMMARY, MONITOR, CONFIGURE, PERMISSIONS)
TABS: dict[type[ManagedEntity], tuple[Tab, ...]] = {
    VCenter: (*COMMON, DATACENTERS, HOSTS, VMS, DATASTORES, NETWORKS),
    Datacenter: (*COMMON, CLUSTERS, HOSTS, VMS, DATASTORES, NETWORKS),
    Folder: (SUMMARY, MONITOR, PERMISSIONS, VMS),
    Cluster: (*COMMON, HOSTS, VMS, DATASTORES, NETWORKS),
    Host: (*COMMON, VMS, DATASTORES, NETWORKS),
    ResourcePool: (SUMMARY, MONITOR, CONFIGURE, PERMISSIONS, VMS),
    VirtualMachine: (*COMMON, DATASTORES, NETWORKS),
    Datastore: (SUMMARY, MONITOR, CONFIGURE, PERMISSIONS, HOSTS, VMS),
    DistributedSwitch: (*COMMON, HOSTS, VMS, NETWORKS),
    PortGroup: (SUMMARY, MONITOR, CONFIGURE, PERMISSIONS, HOSTS, VMS),
}

TYPE_LABEL: dict[type[ManagedEntity], str] = {
    VCenter: "vCenter Server",
    Datacenter: "Datacenter",
    Folder: "Folder",
    Cluster: "Cluster",
    Host: "Host",
    ResourcePool: "Resource Pool",
    VirtualMachine: "Virtual Machine",
    Datastore: "Datastore",
    DistributedSwitch: "Distributed Switch",
    PortGroup: "Distributed Port Group",
}


def type_label(entity: ManagedEntity) -> str:
    if isinstance(entity, VirtualMachine) and entity.is_template:
        return "VM Template"
    return TYPE_LABEL[type(entity)]


def icon_for(entity: ManagedEntity) -> str:
    """The sprite id of the icon the navigator and lists show for this object in its state."""
    if isinstance(entity, VirtualMachine):
        if entity.is_template:
            return "template"
        return {"poweredOn": "vm-on", "suspended": "vm-suspended"}.get(entity.power_state, "vm-off")
    if isinstance(entity, Host):
        if entity.connection_state != Host.ConnectionState.CONNECTED:
            return "host-disconnected"
        return "host-maintenance" if entity.in_maintenance_mode else "host"
    if isinstance(entity, Datastore):
        return "datastore-vsan" if entity.type == Datastore.Type.VSAN else "datastore"
    if isinstance(entity, PortGroup):
        return "uplink" if entity.is_uplink else "portgroup"
    return {
        VCenter: "vcenter",
        Datacenter: "datacenter",
        Folder: "folder",
        Cluster: "cluster",
        ResourcePool: "resource-pool",
        DistributedSwitch: "dvs",
    }[type(entity)]
