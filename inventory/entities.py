"""Object types of the inventory: how a managed object ID maps to its model, which tabs its page
has, and where it sits (its parent) in each navigator view."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.db.models import Case, F, Value, When
from django.http import Http404
from django.urls import reverse

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


@cache
def _route(name: str) -> str:
    """A URL pattern with placeholders, reversed once: navigator pages link hundreds of objects,
    and a reverse() per link costs more than the page's SQL. Managed object IDs are URL-safe."""
    return reverse(
        name,
        kwargs={"moid": "MOID", "tab": "TAB"}
        if name == "inventory:object"
        else {"view": "VIEW", "moid": "MOID"},
    )


def object_path(moid: str, tab: str = "summary") -> str:
    return _route("inventory:object").replace("MOID", moid).replace("TAB", tab)


def tree_children_path(view: str, moid: str) -> str:
    return _route("inventory:tree-children").replace("VIEW", view).replace("MOID", moid)


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


def state_of(entity: ManagedEntity) -> str:
    """The one state word that picks an object's icon (see `state_sql` for the same in SQL)."""
    if isinstance(entity, VirtualMachine):
        return "template" if entity.is_template else entity.power_state
    if isinstance(entity, Host):
        return "maintenance" if entity.in_maintenance_mode else entity.connection_state
    if isinstance(entity, Datastore):
        return entity.type
    if isinstance(entity, PortGroup):
        return "uplink" if entity.is_uplink else ""
    return ""


def state_sql(model: type[ManagedEntity]):
    """`state_of` as an SQL expression, so tree rows need no model instances."""
    if model is VirtualMachine:
        return Case(When(is_template=True, then=Value("template")), default=F("power_state"))
    if model is Host:
        return Case(
            When(in_maintenance_mode=True, then=Value("maintenance")), default=F("connection_state")
        )
    if model is Datastore:
        return F("type")
    if model is PortGroup:
        return Case(When(is_uplink=True, then=Value("uplink")), default=Value(""))
    if model in (ResourcePool, Folder):
        # A vSphere Namespace is a pool (and a VM folder) under the Supervisor's `Namespaces`.
        return Case(When(parent__name=NAMESPACES, then=Value(NAMESPACE)), default=Value(""))
    return Value("")


_STATE_ICONS = {
    ("VirtualMachine", "template"): "template",
    ("VirtualMachine", "poweredOn"): "vm-on",
    ("VirtualMachine", "suspended"): "vm-suspended",
    ("Host", "maintenance"): "host-maintenance",
    ("Host", "disconnected"): "host-disconnected",
    ("Host", "notResponding"): "host-disconnected",
    ("Datastore", "vsan"): "datastore-vsan",
    ("PortGroup", "uplink"): "uplink",
    ("ResourcePool", "namespace"): "namespaces",
    ("Folder", "namespace"): "namespaces",
}
NAMESPACES, NAMESPACE = "Namespaces", "namespace"
# Pages other apps own for some nodes, by (type, state) -> f(name) -> URL: Workload Management
# registers the vSphere Namespace page, so the tree opens it as the vSphere Client does.
STATE_PAGES: dict[tuple[str, str], Callable[[str], str]] = {}
# Pages of task and event targets that are not inventory objects (a vSphere Namespace, a VKS
# cluster), by target type -> f(target id) -> URL; registered by the app that owns them.
TARGET_PAGES: dict[str, Callable[[str], str]] = {}


def target_path(target_type: str, moid: str) -> str:
    """Where a task's or event's target opens: its owner's page, or the inventory object's."""
    page = TARGET_PAGES.get(target_type)
    return page(moid) if page else object_path(moid)


_TYPE_ICONS = {
    "VCenter": "vcenter",
    "Datacenter": "datacenter",
    "Folder": "folder",
    "Cluster": "cluster",
    "Host": "host",
    "ResourcePool": "resource-pool",
    "VirtualMachine": "vm-off",
    "Datastore": "datastore",
    "DistributedSwitch": "dvs",
    "PortGroup": "portgroup",
}


def icon_named(object_type: str, state: str = "") -> str:
    """The sprite id of the icon for an object type in a state."""
    return _STATE_ICONS.get((object_type, state)) or _TYPE_ICONS.get(object_type, "info")


def icon_for(entity: ManagedEntity) -> str:
    return icon_named(type(entity).__name__, state_of(entity))
