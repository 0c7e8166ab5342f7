"""`com.vmware.vcenter.datacenter`, `.folder`, `.cluster`, `.host`, `.network`, `.datastore` and
`.resource_pool`: list (a FilterSpec, REST query parameters `?names=a&names=b`) and get by
managed object ID, with the structures named as SDK 9.1.1 names them.

Where the simulated estate is simpler than vCenter's the answer follows from it: clusters sit in
their datacenter's root host folder, hosts only in clusters (never standalone, never directly in
a folder), networks are distributed port groups, hosts carry no hardware UUID.
"""

from __future__ import annotations

import json

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest

from inventory.models import (
    Cluster,
    Datacenter,
    Datastore,
    Folder,
    Host,
    PortGroup,
    ResourcePool,
    VCenter,
)
from inventory.selectors import with_free_space
from vapi.bindings import BOOLEAN, INTEGER, STRING, Enum, Id, List, Optional, Rows, Set, Struct
from vapi.operations import Call, Rest, operation
from vapi.vcenter.common import Match, ids, names, one, summaries, visible

MIB = 1024 * 1024


def _in_root_folders(kind: str, lookup: str = "datacenter__in"):
    """A `folders` filter for objects that sit in their datacenter's root folder of `kind`."""

    def match(qs: QuerySet, wanted: list) -> QuerySet:
        roots = Folder.objects.filter(moid__in=wanted, kind=kind, parent__isnull=True)
        return qs.filter(**{lookup: roots.values("datacenter")})

    return match


def _nothing(qs: QuerySet, wanted) -> QuerySet:
    return qs.none()


def _folder_type(qs: QuerySet, wanted: str) -> QuerySet:
    """The folders of one type (DATACENTER: the vCenter root folder, which is not a row)."""
    return qs.filter(kind={v: k for k, v in FOLDER_TYPES.items()}.get(wanted, "-"))


# ---------------------------------------------------------------- datacenter

DATACENTER = "com.vmware.vcenter.datacenter"
DATACENTER_FILTER = Struct(
    f"{DATACENTER}.filter_spec", {"datacenters": ids(), "names": names(), "folders": ids()}
)
DATACENTER_SUMMARY = Struct(
    f"{DATACENTER}.summary", {"datacenter": Id("Datacenter"), "name": STRING}
)
DATACENTER_INFO = Struct(
    f"{DATACENTER}.info",
    {
        "name": STRING,
        "datastore_folder": Id("Folder"),
        "host_folder": Id("Folder"),
        "network_folder": Id("Folder"),
        "vm_folder": Id("Folder"),
    },
)


@operation(
    DATACENTER,
    "list",
    params={"filter": Optional(DATACENTER_FILTER)},
    output=List(DATACENTER_SUMMARY),
    rest=[Rest("GET", "/api/vcenter/datacenter", filter="filter")],
)
def datacenter_list(call: Call, filter: dict | None) -> list[dict]:
    if not visible(call):
        return []
    matches = {
        "datacenters": Match("moid"),
        "names": Match("name"),
        "folders": Match("vcenter__moid"),
    }
    values = {"datacenter": "moid", "name": "name"}
    return summaries(
        Datacenter.objects.all(),
        "datacenter",
        DATACENTER_SUMMARY,
        values,
        filter=filter,
        matches=matches,
        wire=call.wire,
    )


@operation(
    DATACENTER,
    "get",
    params={"datacenter": Id("Datacenter")},
    output=DATACENTER_INFO,
    rest=[Rest("GET", "/api/vcenter/datacenter/{datacenter}")],
)
def datacenter_get(call: Call, datacenter: str) -> dict:
    found = one(call, Datacenter.objects.all(), datacenter, "datacenter", "Datacenter")
    roots = dict(
        Folder.objects.filter(datacenter=found, parent__isnull=True).values_list("kind", "moid")
    )
    return {
        "name": found.name,
        "datastore_folder": roots.get(Folder.Kind.DATASTORE, ""),
        "host_folder": roots.get(Folder.Kind.HOST, ""),
        "network_folder": roots.get(Folder.Kind.NETWORK, ""),
        "vm_folder": roots.get(Folder.Kind.VM, ""),
    }


# ---------------------------------------------------------------- folder

FOLDER = "com.vmware.vcenter.folder"
FOLDER_TYPE = Enum(
    f"{FOLDER}.type", ("DATACENTER", "DATASTORE", "HOST", "NETWORK", "VIRTUAL_MACHINE")
)
FOLDER_TYPES = {
    "vm": "VIRTUAL_MACHINE",
    "host": "HOST",
    "datastore": "DATASTORE",
    "network": "NETWORK",
}
FOLDER_FILTER = Struct(
    f"{FOLDER}.filter_spec",
    {
        "folders": ids(),
        "names": names(),
        "type": Optional(FOLDER_TYPE),
        "parent_folders": ids(),
        "datacenters": ids(),
    },
)
FOLDER_SUMMARY = Struct(
    f"{FOLDER}.summary", {"folder": Id("Folder"), "name": STRING, "type": FOLDER_TYPE}
)
ROOT_FOLDER_NAME = "Datacenters"  # the vCenter root folder, the datacenters' parent


def _root_folder_matches(spec: dict | None, moid: str) -> bool:
    spec = spec or {}
    return (
        spec.get("type") in (None, "DATACENTER")
        and (not spec.get("folders") or moid in spec["folders"])
        and (not spec.get("names") or ROOT_FOLDER_NAME in spec["names"])
        and not spec.get("parent_folders")
        and not spec.get("datacenters")
    )


@operation(
    FOLDER,
    "list",
    params={"filter": Optional(FOLDER_FILTER)},
    output=List(FOLDER_SUMMARY),
    rest=[Rest("GET", "/api/vcenter/folder", filter="filter")],
)
def folder_list(call: Call, filter: dict | None) -> list[dict]:
    if not visible(call):
        return []
    matches = {
        "folders": Match("moid"),
        "names": Match("name"),
        "type": _folder_type,
        "parent_folders": Match("parent__moid"),
        "datacenters": Match("datacenter__moid"),
    }
    written = FOLDER_SUMMARY.vapi if call.wire == "vapi" else FOLDER_SUMMARY.rest
    roots = [
        json.dumps(
            written({"folder": moid, "name": ROOT_FOLDER_NAME, "type": "DATACENTER"}),
            separators=(",", ":"),
        )
        for moid in VCenter.objects.values_list("moid", flat=True)
        if _root_folder_matches(filter, moid)
    ]
    values = {"folder": "moid", "name": "name", "type": "kind"}
    translate = {"type": FOLDER_TYPES}
    rows = summaries(
        Folder.objects.all(),
        "folder",
        FOLDER_SUMMARY,
        values,
        translate,
        filter=filter,
        matches=matches,
        wire=call.wire,
    )
    return Rows(FOLDER_SUMMARY, texts=roots + rows.texts, wire=call.wire) if roots else rows


# ---------------------------------------------------------------- cluster

CLUSTER = "com.vmware.vcenter.cluster"
CLUSTER_FILTER = Struct(
    f"{CLUSTER}.filter_spec",
    {"clusters": ids(), "names": names(), "folders": ids(), "datacenters": ids()},
)
CLUSTER_SUMMARY = Struct(
    f"{CLUSTER}.summary",
    {
        "cluster": Id("ClusterComputeResource"),
        "name": STRING,
        "ha_enabled": BOOLEAN,
        "drs_enabled": BOOLEAN,
    },
)
CLUSTER_INFO = Struct(f"{CLUSTER}.info", {"name": STRING, "resource_pool": Id("ResourcePool")})


@operation(
    CLUSTER,
    "list",
    params={"filter": Optional(CLUSTER_FILTER)},
    output=List(CLUSTER_SUMMARY),
    rest=[Rest("GET", "/api/vcenter/cluster", filter="filter")],
)
def cluster_list(call: Call, filter: dict | None) -> list[dict]:
    if not visible(call):
        return []
    matches = {
        "clusters": Match("moid"),
        "names": Match("name"),
        "folders": _in_root_folders(Folder.Kind.HOST),
        "datacenters": Match("datacenter__moid"),
    }
    values = {
        "cluster": "moid",
        "name": "name",
        "ha_enabled": "ha_enabled",
        "drs_enabled": "drs_enabled",
    }
    qs = Cluster.objects.all()
    return summaries(
        qs, "cluster", CLUSTER_SUMMARY, values, filter=filter, matches=matches, wire=call.wire
    )


@operation(
    CLUSTER,
    "get",
    params={"cluster": Id("ClusterComputeResource")},
    output=CLUSTER_INFO,
    rest=[Rest("GET", "/api/vcenter/cluster/{cluster}")],
)
def cluster_get(call: Call, cluster: str) -> dict:
    found = one(call, Cluster.objects.all(), cluster, "cluster", "Cluster")
    root = (
        ResourcePool.objects.filter(cluster=found, parent__isnull=True)
        .values_list("moid", flat=True)
        .first()
    )
    return {"name": found.name, "resource_pool": root or ""}


# ---------------------------------------------------------------- host

HOST = "com.vmware.vcenter.host"
CONNECTION_STATE = Enum(f"{HOST}.connection_state", ("CONNECTED", "DISCONNECTED", "NOT_RESPONDING"))
HOST_POWER_STATE = Enum(f"{HOST}.power_state", ("POWERED_ON", "POWERED_OFF", "STANDBY"))
CONNECTION_STATES = {
    "CONNECTED": Host.ConnectionState.CONNECTED,
    "DISCONNECTED": Host.ConnectionState.DISCONNECTED,
    "NOT_RESPONDING": Host.ConnectionState.NOT_RESPONDING,
}
HOST_POWER_STATES = {
    Host.PowerState.ON: "POWERED_ON",
    Host.PowerState.OFF: "POWERED_OFF",
    Host.PowerState.STANDBY: "STANDBY",
}
HOST_FILTER = Struct(
    f"{HOST}.filter_spec",
    {
        "hosts": ids(),
        "names": names(),
        "folders": ids(),
        "datacenters": ids(),
        "standalone": Optional(BOOLEAN),
        "clusters": ids(),
        "connection_states": Optional(Set(CONNECTION_STATE)),
        "host_uuids": names(),
    },
)
HOST_SUMMARY = Struct(
    f"{HOST}.summary",
    {
        "host": Id("HostSystem"),
        "name": STRING,
        "connection_state": CONNECTION_STATE,
        "power_state": Optional(HOST_POWER_STATE),  # only while connected
        "host_uuid": Optional(STRING),
    },
)


def _standalone(qs: QuerySet, wanted: bool) -> QuerySet:
    return qs.none() if wanted else qs


@operation(
    HOST,
    "list",
    params={"filter": Optional(HOST_FILTER)},
    output=List(HOST_SUMMARY),
    rest=[Rest("GET", "/api/vcenter/host", filter="filter")],
)
def host_list(call: Call, filter: dict | None) -> list[dict]:
    if not visible(call):
        return []
    matches = {
        "hosts": Match("moid"),
        "names": Match("name"),
        "folders": _nothing,  # hosts sit in clusters, never directly in a folder
        "datacenters": Match("cluster__datacenter__moid"),
        "standalone": _standalone,
        "clusters": Match("cluster__moid"),
        "connection_states": Match("connection_state", CONNECTION_STATES),
        "host_uuids": _nothing,
    }
    # The power state only of a connected host (vCenter knows no other's).
    qs = Host.objects.annotate(
        known_power_state=Case(
            When(connection_state=Host.ConnectionState.CONNECTED, then=F("power_state")),
            default=None,
        )
    )
    values = {
        "host": "moid",
        "name": "name",
        "connection_state": "connection_state",
        "power_state": "known_power_state",
    }
    translate = {
        "connection_state": {v: k for k, v in CONNECTION_STATES.items()},
        "power_state": HOST_POWER_STATES,
    }
    return summaries(
        qs, "host", HOST_SUMMARY, values, translate, filter=filter, matches=matches, wire=call.wire
    )


# ---------------------------------------------------------------- network

NETWORK = "com.vmware.vcenter.network"
NETWORK_TYPE = Enum(
    f"{NETWORK}.type", ("STANDARD_PORTGROUP", "DISTRIBUTED_PORTGROUP", "OPAQUE_NETWORK")
)
NETWORK_FILTER = Struct(
    f"{NETWORK}.filter_spec",
    {
        "networks": ids(),
        "names": names(),
        "types": Optional(Set(NETWORK_TYPE)),
        "folders": ids(),
        "datacenters": ids(),
    },
)
NETWORK_SUMMARY = Struct(
    f"{NETWORK}.summary", {"network": Id("Network"), "name": STRING, "type": NETWORK_TYPE}
)


def _port_groups(qs: QuerySet, wanted: list) -> QuerySet:
    return qs if "DISTRIBUTED_PORTGROUP" in wanted else qs.none()


@operation(
    NETWORK,
    "list",
    params={"filter": Optional(NETWORK_FILTER)},
    output=List(NETWORK_SUMMARY),
    rest=[Rest("GET", "/api/vcenter/network", filter="filter")],
)
def network_list(call: Call, filter: dict | None) -> list[dict]:
    if not visible(call):
        return []
    matches = {
        "networks": Match("moid"),
        "names": Match("name"),
        "types": _port_groups,
        "folders": _in_root_folders(Folder.Kind.NETWORK, "switch__datacenter__in"),
        "datacenters": Match("switch__datacenter__moid"),
    }
    values = {"network": "moid", "name": "name", "type": Value("DISTRIBUTED_PORTGROUP")}
    qs = PortGroup.objects.all()
    return summaries(
        qs, "network", NETWORK_SUMMARY, values, filter=filter, matches=matches, wire=call.wire
    )


# ---------------------------------------------------------------- datastore

DATASTORE = "com.vmware.vcenter.datastore"
DATASTORE_TYPE = Enum(f"{DATASTORE}.type", ("VMFS", "NFS", "NFS41", "CIFS", "VSAN", "VFFS", "VVOL"))
DATASTORE_TYPES = {
    "VMFS": Datastore.Type.VMFS,
    "NFS": Datastore.Type.NFS,
    "NFS41": Datastore.Type.NFS41,
    "VSAN": Datastore.Type.VSAN,
    "VVOL": Datastore.Type.VVOL,
}
DATASTORE_FILTER = Struct(
    f"{DATASTORE}.filter_spec",
    {
        "datastores": ids(),
        "names": names(),
        "types": Optional(Set(DATASTORE_TYPE)),
        "folders": ids(),
        "datacenters": ids(),
    },
)
DATASTORE_SUMMARY = Struct(
    f"{DATASTORE}.summary",
    {
        "datastore": Id("Datastore"),
        "name": STRING,
        "type": DATASTORE_TYPE,
        "free_space": Optional(INTEGER),  # bytes
        "capacity": Optional(INTEGER),
    },
)
DATASTORE_INFO = Struct(
    f"{DATASTORE}.info",
    {
        "name": STRING,
        "type": DATASTORE_TYPE,
        "accessible": BOOLEAN,
        "free_space": Optional(INTEGER),
        "multiple_host_access": BOOLEAN,
        "thin_provisioning_supported": BOOLEAN,
    },
)
API_DATASTORE_TYPES = {v: k for k, v in DATASTORE_TYPES.items()}


@operation(
    DATASTORE,
    "list",
    params={"filter": Optional(DATASTORE_FILTER)},
    output=List(DATASTORE_SUMMARY),
    rest=[Rest("GET", "/api/vcenter/datastore", filter="filter")],
)
def datastore_list(call: Call, filter: dict | None) -> list[dict]:
    if not visible(call):
        return []
    matches = {
        "datastores": Match("moid"),
        "names": Match("name"),
        "types": Match("type", DATASTORE_TYPES),
        "folders": _in_root_folders(Folder.Kind.DATASTORE),
        "datacenters": Match("datacenter__moid"),
    }
    bytes_ = BigIntegerField()
    values = {
        "datastore": "moid",
        "name": "name",
        "type": "type",
        "free_space": ExpressionWrapper(Greatest("free_mib", 0) * MIB, output_field=bytes_),
        "capacity": ExpressionWrapper(F("capacity_mib") * MIB, output_field=bytes_),
    }
    translate = {"type": API_DATASTORE_TYPES}
    qs = with_free_space(Datastore.objects.all())
    return summaries(
        qs,
        "datastore",
        DATASTORE_SUMMARY,
        values,
        translate,
        filter=filter,
        matches=matches,
        wire=call.wire,
    )


@operation(
    DATASTORE,
    "get",
    params={"datastore": Id("Datastore")},
    output=DATASTORE_INFO,
    rest=[Rest("GET", "/api/vcenter/datastore/{datastore}")],
)
def datastore_get(call: Call, datastore: str) -> dict:
    qs = with_free_space(Datastore.objects.annotate(host_count=Count("hosts")))
    found = one(call, qs, datastore, "datastore", "Datastore")
    return {
        "name": found.name,
        "type": API_DATASTORE_TYPES[found.type],
        "accessible": found.accessible,
        "free_space": max(found.free_mib, 0) * MIB,
        "multiple_host_access": found.host_count > 1,
        "thin_provisioning_supported": True,
    }


# ---------------------------------------------------------------- resource pool

RESOURCE_POOL = "com.vmware.vcenter.resource_pool"
SHARES_LEVEL = Enum(f"{RESOURCE_POOL}.shares_info.level", ("LOW", "NORMAL", "HIGH", "CUSTOM"))
SHARES_INFO = Struct(
    f"{RESOURCE_POOL}.shares_info", {"level": SHARES_LEVEL, "shares": Optional(INTEGER)}
)
ALLOCATION_INFO = Struct(
    f"{RESOURCE_POOL}.resource_allocation_info",
    {
        "reservation": INTEGER,
        "expandable_reservation": BOOLEAN,
        "limit": INTEGER,  # -1: unlimited
        "shares": SHARES_INFO,
    },
)
RESOURCE_POOL_FILTER = Struct(
    f"{RESOURCE_POOL}.filter_spec",
    {
        "resource_pools": ids(),
        "names": names(),
        "parent_resource_pools": ids(),
        "datacenters": ids(),
        "hosts": ids(),
        "clusters": ids(),
    },
)
RESOURCE_POOL_SUMMARY = Struct(
    f"{RESOURCE_POOL}.summary", {"resource_pool": Id("ResourcePool"), "name": STRING}
)
RESOURCE_POOL_INFO = Struct(
    f"{RESOURCE_POOL}.info",
    {
        "name": STRING,
        "resource_pools": Set(Id("ResourcePool")),
        "cpu_allocation": Optional(ALLOCATION_INFO),
        "memory_allocation": Optional(ALLOCATION_INFO),
    },
)


def _on_hosts(qs: QuerySet, wanted: list) -> QuerySet:
    return qs.filter(cluster__in=Cluster.objects.filter(hosts__moid__in=wanted).values("pk"))


@operation(
    RESOURCE_POOL,
    "list",
    params={"filter": Optional(RESOURCE_POOL_FILTER)},
    output=List(RESOURCE_POOL_SUMMARY),
    rest=[Rest("GET", "/api/vcenter/resource-pool", filter="filter")],
)
def resource_pool_list(call: Call, filter: dict | None) -> list[dict]:
    if not visible(call):
        return []
    matches = {
        "resource_pools": Match("moid"),
        "names": Match("name"),
        "parent_resource_pools": Match("parent__moid"),
        "datacenters": Match("cluster__datacenter__moid"),
        "hosts": _on_hosts,
        "clusters": Match("cluster__moid"),
    }
    values = {"resource_pool": "moid", "name": "name"}
    qs = ResourcePool.objects.all()
    return summaries(
        qs,
        "resource_pool",
        RESOURCE_POOL_SUMMARY,
        values,
        filter=filter,
        matches=matches,
        wire=call.wire,
    )


def _allocation(reservation: int, limit: int, shares: str, expandable: bool) -> dict:
    return {
        "reservation": reservation,
        "expandable_reservation": expandable,
        "limit": limit,
        "shares": {"level": shares.upper(), "shares": None},
    }


@operation(
    RESOURCE_POOL,
    "get",
    params={"resource_pool": Id("ResourcePool")},
    output=RESOURCE_POOL_INFO,
    rest=[Rest("GET", "/api/vcenter/resource-pool/{resource_pool}")],
)
def resource_pool_get(call: Call, resource_pool: str) -> dict:
    pool = one(call, ResourcePool.objects.all(), resource_pool, "resource_pool", "Resource pool")
    expandable = pool.expandable_reservation
    return {
        "name": pool.name,
        "resource_pools": list(pool.children.order_by("name").values_list("moid", flat=True)),
        "cpu_allocation": _allocation(
            pool.cpu_reservation_mhz, pool.cpu_limit_mhz, pool.cpu_shares, expandable
        ),
        "memory_allocation": _allocation(
            pool.memory_reservation_mib, pool.memory_limit_mib, pool.memory_shares, expandable
        ),
    }
