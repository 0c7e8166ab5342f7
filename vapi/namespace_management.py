"""`com.vmware.vcenter.namespace_management`: Workload Management as the Automation API serves
it. Here clusters (the 7.0-style API: list, get, enable, disable), cluster compatibility and
what vapi.supervisors and vapi.vm_classes share.

An enable spec is mapped onto the enable wizard's raw sections (workloads/specs.py) and handed
to the same service the wizard's Finish calls: every rule, permission and Task is the pages'.
Structures declare the fields the simulator fills or reads (the SDK 9.1.1 canonical names); a
client's optional fields the simulator has no counterpart for are read as `Dynamic` and refused
(UNSUPPORTED) when given, never ignored.
"""

from __future__ import annotations

import re
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network

from inventory.api.errors import message as std_message
from inventory.models import Cluster
from inventory.permissions import Privilege, require
from vapi.bindings import (
    BOOLEAN,
    INTEGER,
    LOCALIZABLE_MESSAGE,
    SECRET,
    STRING,
    Dynamic,
    Enum,
    Id,
    List,
    Optional,
    Set,
    Struct,
)
from vapi.operations import ApiError, Call, Rest, message, operation
from vksportal.errors import DomainError
from workloads import services
from workloads.compatibility import compatibility, compatibility_list
from workloads.models import Supervisor
from workloads.selectors import api as api_selectors

NM = "com.vmware.vcenter.namespace_management"
PATH = "/api/vcenter/namespace-management"

CLUSTER_ID = Id("ClusterComputeResource")
POLICY_ID = Id("SpsStorageProfile")
NETWORK_ID = Id("Network")
LIBRARY_ID = Id("com.vmware.content.Library")
SUPERVISOR_ID = Id("com.vmware.vcenter.namespace_management.supervisor.Supervisor")
UNSET = Optional(Dynamic())  # a field the simulator has no counterpart for

SIZING_HINT = Enum(f"{NM}.sizing_hint", ("TINY", "SMALL", "MEDIUM", "LARGE"))
CONFIG_STATUS = Enum(
    f"{NM}.clusters.config_status", ("CONFIGURING", "REMOVING", "RUNNING", "ERROR")
)
KUBERNETES_STATUS = Enum(f"{NM}.clusters.kubernetes_status", ("READY", "WARNING", "ERROR"))
NETWORK_PROVIDER = Enum(
    f"{NM}.clusters.network_provider", ("NSXT_CONTAINER_PLUGIN", "VSPHERE_NETWORK", "NSX_VPC")
)
SEVERITY = ("INFO", "WARNING", "ERROR")


def stats_struct(name: str) -> Struct:
    return Struct(
        name,
        {
            "cpu_used": INTEGER,
            "cpu_capacity": INTEGER,
            "memory_used": INTEGER,
            "memory_capacity": INTEGER,
            "storage_used": INTEGER,
            "storage_capacity": INTEGER,
        },
    )


IPV4_CIDR = Struct(f"{NM}.ipv4_cidr", {"address": STRING, "prefix": INTEGER})
IP_RANGE = Struct(f"{NM}.IP_range", {"address": STRING, "count": INTEGER})

# ---------------------------------------------------------------- clusters: types

CLUSTER_STATS = stats_struct(f"{NM}.clusters.stats")
CLUSTER_MESSAGE = Struct(
    f"{NM}.clusters.message",
    {
        "severity": Enum(f"{NM}.clusters.message.severity", SEVERITY),
        "details": Optional(LOCALIZABLE_MESSAGE),
    },
)
CLUSTER_SUMMARY = Struct(
    f"{NM}.clusters.summary",
    {
        "cluster": CLUSTER_ID,
        "cluster_name": Id("ClusterComputeResource.name"),
        "stats": CLUSTER_STATS,
        "config_status": CONFIG_STATUS,
        "kubernetes_status": KUBERNETES_STATUS,
    },
)
CLUSTER_IPV4_RANGE = Struct(
    f"{NM}.clusters.ipv4_range",
    {
        "starting_address": STRING,
        "address_count": INTEGER,
        "subnet_mask": STRING,
        "gateway": STRING,
    },
)
NETWORK_SPEC = Struct(
    f"{NM}.clusters.network_spec",
    {
        "floating_IP": Optional(STRING),
        "network": NETWORK_ID,
        "network_segment": UNSET,
        "mode": Enum(f"{NM}.clusters.network_spec.ipv4_mode", ("DHCP", "STATICRANGE")),
        "address_range": Optional(CLUSTER_IPV4_RANGE),
    },
)
IMAGE_STORAGE = Struct(f"{NM}.clusters.image_storage_spec", {"storage_policy": POLICY_ID})
CLUSTER_INFO = Struct(
    f"{NM}.clusters.info",
    {
        "size_hint": Optional(SIZING_HINT),
        "stat_summary": CLUSTER_STATS,
        "config_status": CONFIG_STATUS,
        "messages": List(CLUSTER_MESSAGE),
        "kubernetes_status": KUBERNETES_STATUS,
        "kubernetes_status_messages": List(CLUSTER_MESSAGE),
        "api_server_management_endpoint": STRING,
        "api_server_cluster_endpoint": STRING,
        "api_servers": Set(STRING),
        "network_provider": NETWORK_PROVIDER,
        "workload_ntp_servers": Optional(List(STRING)),
        "service_cidr": IPV4_CIDR,
        "master_management_network": Optional(NETWORK_SPEC),
        "master_DNS": Optional(List(STRING)),
        "worker_DNS": Optional(List(STRING)),
        "master_storage_policy": Optional(POLICY_ID),
        "ephemeral_storage_policy": Optional(POLICY_ID),
        "Master_DNS_names": Optional(List(STRING)),
        "image_storage": Optional(IMAGE_STORAGE),
        "master_DNS_search_domains": Optional(List(STRING)),
        "master_NTP_servers": Optional(List(STRING)),
        "default_kubernetes_service_content_library": Optional(LIBRARY_ID),
    },
)
SERVER = Struct(f"{NM}.load_balancers.server", {"host": STRING, "port": INTEGER})
LB_CONFIG = Struct(
    f"{NM}.load_balancers.config_spec",
    {
        "id": Id(f"{NM}.LoadBalancerConfig"),
        "address_ranges": List(IP_RANGE),
        "provider": Enum(f"{NM}.load_balancers.provider", ("HA_PROXY", "AVI")),
        "ha_proxy_config_create_spec": Optional(
            Struct(
                f"{NM}.load_balancers.HA_proxy_config_create_spec",
                {
                    "servers": List(SERVER),
                    "username": STRING,
                    "password": SECRET,
                    "certificate_authority_chain": STRING,
                },
            )
        ),
        "avi_config_create_spec": Optional(
            Struct(
                f"{NM}.load_balancers.avi_config_create_spec",
                {
                    "server": SERVER,
                    "username": STRING,
                    "password": SECRET,
                    "certificate_authority_chain": STRING,
                    "cloud_name": Optional(STRING),
                },
            )
        ),
    },
)
NETWORK_CREATE_SPEC = Struct(
    f"{NM}.networks.create_spec",
    {
        "network": Id(f"{NM}.Network"),
        "network_provider": NETWORK_PROVIDER,
        "vsphere_network": Optional(
            Struct(
                f"{NM}.networks.vsphere_DVPG_network_create_spec",
                {
                    "portgroup": NETWORK_ID,
                    "ip_assignment_mode": Optional(
                        Enum(f"{NM}.networks.IP_assignment_mode", ("DHCP", "STATICRANGE", "NONE"))
                    ),
                    "address_ranges": List(IP_RANGE),
                    "gateway": STRING,
                    "subnet_mask": STRING,
                },
            )
        ),
        "nsx_network": UNSET,
    },
)
ENABLE_SPEC = Struct(
    f"{NM}.clusters.enable_spec",
    {
        "size_hint": SIZING_HINT,
        "service_cidr": IPV4_CIDR,
        "network_provider": NETWORK_PROVIDER,
        "ncp_cluster_network_spec": UNSET,
        "workload_networks_spec": Optional(
            Struct(
                f"{NM}.clusters.workload_networks_enable_spec",
                {
                    "supervisor_primary_workload_network": NETWORK_CREATE_SPEC,
                    "network_list": UNSET,
                },
            )
        ),
        "workload_ntp_servers": Optional(List(STRING)),
        "load_balancer_config_spec": Optional(LB_CONFIG),
        "master_management_network": NETWORK_SPEC,
        "master_DNS": Optional(List(STRING)),
        "worker_DNS": Optional(List(STRING)),
        "master_DNS_search_domains": Optional(List(STRING)),
        "master_NTP_servers": Optional(List(STRING)),
        "master_storage_policy": POLICY_ID,
        "ephemeral_storage_policy": POLICY_ID,
        "cns_file_config": UNSET,
        "login_banner": Optional(STRING),
        "Master_DNS_names": Optional(List(STRING)),
        "image_storage": IMAGE_STORAGE,
        "default_image_registry": UNSET,
        "default_image_repository": UNSET,
        "default_kubernetes_service_content_library": Optional(LIBRARY_ID),
        "cluster_proxy_config": UNSET,
        "content_libraries": UNSET,
        "count": UNSET,
        "enable_namespace_api_fairness": UNSET,
    },
)

COMPATIBILITY = f"{NM}.cluster_compatibility"
COMPATIBILITY_SUMMARY = Struct(
    f"{COMPATIBILITY}.summary",
    {
        "cluster": CLUSTER_ID,
        "compatible": BOOLEAN,
        "incompatibility_reasons": List(LOCALIZABLE_MESSAGE),
    },
)
COMPATIBILITY_FILTER = Struct(
    f"{COMPATIBILITY}.filter_spec",
    {"compatible": Optional(BOOLEAN), "network_provider": Optional(NETWORK_PROVIDER)},
)

# ---------------------------------------------------------------- helpers


def api_error(error_type: str, text: str) -> ApiError:
    """A vAPI error whose message id names its type, as the other front doors' errors."""
    return ApiError(error_type, std_message(text, error_type))


def _unsupported(text: str) -> ApiError:
    return api_error("UNSUPPORTED", text)


def refuse_unset(spec, path: str, t) -> None:
    """A field of the SDK's structure the simulator has no counterpart for, given: UNSUPPORTED
    naming it (nested structures and lists of them checked too)."""
    if spec is None:
        return
    if isinstance(t, Optional):
        return refuse_unset(spec, path, t.of)
    if isinstance(t, List):
        for i, item in enumerate(spec):
            refuse_unset(item, f"{path}[{i}]", t.of)
        return
    if not isinstance(t, Struct):
        return
    for name, field in t.fields.items():
        where = f"{path}.{name}"
        if field is UNSET and spec.get(name) is not None:
            raise _unsupported(f"{where} is not supported by this vCenter Server.")
        refuse_unset(spec.get(name), where, field)


def cluster_or_404(moid: str) -> Cluster:
    found = Cluster.objects.filter(moid=moid).first()
    if found is None:
        raise api_error("NOT_FOUND", f"Cluster {moid[:64]} was not found.")
    return found


def _supervisor_of(moid: str) -> Supervisor:
    cluster = cluster_or_404(moid)
    sup = Supervisor.objects.select_related("cluster", "task").filter(cluster=cluster).first()
    if sup is None:
        raise _unsupported(f"Cluster {moid[:64]} does not have vSphere Namespaces enabled.")
    return sup


def stats_of(summary) -> dict:
    s = summary.stats
    return {
        "cpu_used": s.cpu_used,
        "cpu_capacity": s.cpu_capacity,
        "memory_used": s.memory_used,
        "memory_capacity": s.memory_capacity,
        "storage_used": s.storage_used,
        "storage_capacity": s.storage_capacity,
    }


def kubernetes_status_of(sup: Supervisor) -> str:
    return sup.kubernetes_status or "ERROR"  # no control plane answering yet


def ranges_text(ranges: list[dict]) -> str:
    parts = []
    for r in ranges:
        start = IPv4Address(r["address"]) if _is_ip(r["address"]) else None
        if start is None or r["count"] < 1:
            parts.append(f"{r['address']}/{r['count']}")  # the cleaner names it wrong
        else:
            parts.append(f"{start}-{start + r['count'] - 1}")
    return ", ".join(parts)


def _is_ip(text: str) -> bool:
    try:
        IPv4Address(text)
    except ValueError:
        return False
    return True


def joined(values) -> str:
    return ", ".join(values or [])


def _supervisor_name(cluster: Cluster) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", cluster.name.lower()).strip("-")[:63].strip("-")
    return name or f"supervisor-{cluster.moid}"


def enable_supervisor(raw: dict, cluster: Cluster, user, fields: dict[str, str]) -> Supervisor:
    """The wizard's Finish: the same service; its field errors renamed (`fields`) to where
    the client's spec holds the value."""
    require(user, Privilege.NAMESPACES_MANAGE)
    verdict = compatibility(cluster)
    if not verdict.compatible:
        raise _unsupported(" ".join(verdict.reasons))
    try:
        return services.supervisor_enable(spec=raw, user=user)
    except DomainError as error:
        if not error.fields:
            raise
        renamed = [replace(f, path=fields.get(f.path, f.path)) for f in error.fields]
        raise DomainError(kind=error.kind, fields=renamed) from error


_MGMT = "spec.master_management_network"
_WL = "spec.workload_networks_spec.supervisor_primary_workload_network"
_LB = "spec.load_balancer_config_spec"
ENABLE_FIELDS = {
    "network_stack.network_provider": "spec.network_provider",
    "network_stack.load_balancer": f"{_LB}.provider",
    "placement.cluster": "cluster",
    "storage.control_plane_policy": "spec.master_storage_policy",
    "storage.ephemeral_policy": "spec.ephemeral_storage_policy",
    "storage.image_cache_policy": "spec.image_storage.storage_policy",
    "load_balancer.name": f"{_LB}.id",
    "load_balancer.address_ranges": f"{_LB}.address_ranges",
    "management_network.network": f"{_MGMT}.network",
    "management_network.mode": f"{_MGMT}.mode",
    "management_network.floating_ip": f"{_MGMT}.floating_IP",
    "management_network.starting_address": f"{_MGMT}.address_range.starting_address",
    "management_network.address_count": f"{_MGMT}.address_range.address_count",
    "management_network.gateway": f"{_MGMT}.address_range.gateway",
    "management_network.subnet_mask": f"{_MGMT}.address_range.subnet_mask",
    "management_network.dns_servers": "spec.master_DNS",
    "management_network.dns_search_domains": "spec.master_DNS_search_domains",
    "management_network.ntp_servers": "spec.master_NTP_servers",
    "workload_network.network": f"{_WL}.vsphere_network.portgroup",
    "workload_network.name": f"{_WL}.network",
    "workload_network.gateway": f"{_WL}.vsphere_network.gateway",
    "workload_network.subnet_mask": f"{_WL}.vsphere_network.subnet_mask",
    "workload_network.address_ranges": f"{_WL}.vsphere_network.address_ranges",
    "workload_network.services_cidr": "spec.service_cidr",
    "workload_network.dns_servers": "spec.worker_DNS",
    "workload_network.ntp_servers": "spec.workload_ntp_servers",
    "size.size": "spec.size_hint",
    "size.api_server_dns_names": "spec.Master_DNS_names",
    "size.content_library": "spec.default_kubernetes_service_content_library",
}


def credential_fields(base: str, provider: str) -> dict[str, str]:
    """Where the load balancer's server and credentials are: per provider."""
    found = {f"load_balancer.{k}": f"{base}.{k}" for k in ("server", "username", "password")}
    if provider in ("HA_PROXY", "HAPROXY"):
        found["load_balancer.server"] = f"{base}.servers"
    return found


# ---------------------------------------------------------------- clusters


@operation(
    f"{NM}.clusters",
    "list",
    output=List(CLUSTER_SUMMARY),
    rest=[Rest("GET", f"{PATH}/clusters")],
)
def clusters_list(call: Call) -> list[dict]:
    require(call.user, Privilege.VIEW)
    return [
        {
            "cluster": s.supervisor.cluster.moid,
            "cluster_name": s.supervisor.cluster.name,
            "stats": stats_of(s),
            "config_status": s.supervisor.config_status,
            "kubernetes_status": kubernetes_status_of(s.supervisor),
        }
        for s in api_selectors.supervisor_summaries()
    ]


@operation(
    f"{NM}.clusters",
    "get",
    params={"cluster": CLUSTER_ID},
    output=CLUSTER_INFO,
    rest=[Rest("GET", f"{PATH}/clusters/{{cluster}}")],
)
def clusters_get(call: Call, cluster: str) -> dict:
    require(call.user, Privilege.VIEW)
    sup = _supervisor_of(cluster)
    summary = api_selectors.supervisor_summary(sup.supervisor_id)
    spec = sup.spec
    mgmt, wl, size = spec["management_network"], spec["workload_network"], spec["size"]
    storage, stack = spec["storage"], spec["network_stack"]
    address_range = None
    if mgmt["mode"] == "STATICRANGE":
        address_range = {
            "starting_address": mgmt["starting_address"],
            "address_count": mgmt["address_count"],
            "subnet_mask": mgmt["subnet_mask"],
            "gateway": mgmt["gateway"],
        }
    services_net = IPv4Network(wl["services_cidr"])
    messages = []
    if sup.config_status == Supervisor.ConfigStatus.ERROR and sup.task and sup.task.error:
        details = message("com.vmware.wcp.supervisor.error", sup.task.error)
        messages.append({"severity": "ERROR", "details": details})
    return {
        "size_hint": size["size"],
        "stat_summary": stats_of(summary),
        "config_status": sup.config_status,
        "messages": messages,
        "kubernetes_status": kubernetes_status_of(sup),
        "kubernetes_status_messages": [],
        "api_server_management_endpoint": (sup.control_plane_ips or [""])[0],
        "api_server_cluster_endpoint": sup.api_endpoint or "",
        "api_servers": list(sup.control_plane_ips),
        "network_provider": stack["network_provider"],
        "workload_ntp_servers": wl["ntp_servers"],
        "service_cidr": {
            "address": str(services_net.network_address),
            "prefix": services_net.prefixlen,
        },
        "master_management_network": {
            "floating_IP": mgmt.get("floating_ip") or None,
            "network": mgmt["network"],
            "mode": mgmt["mode"],
            "address_range": address_range,
        },
        "master_DNS": mgmt["dns_servers"],
        "worker_DNS": wl["dns_servers"],
        "master_storage_policy": storage["control_plane_policy"],
        "ephemeral_storage_policy": storage["ephemeral_policy"],
        "Master_DNS_names": size["api_server_dns_names"],
        "image_storage": {"storage_policy": storage["image_cache_policy"]},
        "master_DNS_search_domains": mgmt["dns_search_domains"],
        "master_NTP_servers": mgmt["ntp_servers"],
        "default_kubernetes_service_content_library": size["content_library"] or None,
    }


def load_balancer_raw(name, ranges, settings: dict, *, servers: bool) -> dict:
    """The wizard's load balancer section from a client's: one controller (`server`) or a list
    of them (`servers`, HAProxy's; the first is the one the wizard takes)."""
    settings = settings or {}
    server = (settings.get("servers") or [{}])[0] if servers else settings.get("server") or {}
    return {
        "name": name or "",
        "server": f"{server.get('host', '')}:{server.get('port', '')}" if server else "",
        "username": settings.get("username", ""),
        "password": settings.get("password", ""),
        "address_ranges": ranges_text(ranges or []),
    }


def _raw_from_enable_spec(cluster: Cluster, spec: dict) -> dict[str, dict]:
    """Clusters.EnableSpec as the wizard's raw sections."""
    refuse_unset(spec, "spec", ENABLE_SPEC)
    lb = spec["load_balancer_config_spec"] or {}
    haproxy = lb.get("provider") == "HA_PROXY"
    settings = lb.get("ha_proxy_config_create_spec" if haproxy else "avi_config_create_spec")
    mgmt = spec["master_management_network"]
    block = mgmt.get("address_range") or {}
    workload = (spec["workload_networks_spec"] or {}).get("supervisor_primary_workload_network")
    workload = workload or {}
    vds = workload.get("vsphere_network") or {}
    cidr = spec["service_cidr"]
    return {
        "network_stack": {
            "network_provider": spec["network_provider"],
            "load_balancer": lb.get("provider", ""),
        },
        "placement": {"name": _supervisor_name(cluster), "cluster": cluster.moid},
        "storage": {
            "control_plane_policy": spec["master_storage_policy"],
            "ephemeral_policy": spec["ephemeral_storage_policy"],
            "image_cache_policy": spec["image_storage"]["storage_policy"],
        },
        "load_balancer": load_balancer_raw(
            lb.get("id"), lb.get("address_ranges"), settings, servers=haproxy
        ),
        "management_network": {
            "network": mgmt["network"],
            "mode": mgmt["mode"],
            "floating_ip": mgmt.get("floating_IP") or "",
            "starting_address": block.get("starting_address", ""),
            "address_count": str(block.get("address_count", "")),
            "subnet_mask": block.get("subnet_mask", ""),
            "gateway": block.get("gateway", ""),
            "dns_servers": joined(spec["master_DNS"]),
            "dns_search_domains": joined(spec["master_DNS_search_domains"]),
            "ntp_servers": joined(spec["master_NTP_servers"]),
        },
        "workload_network": {
            "network": vds.get("portgroup", ""),
            "name": workload.get("network", ""),
            "gateway": vds.get("gateway", ""),
            "subnet_mask": vds.get("subnet_mask", ""),
            "address_ranges": ranges_text(vds.get("address_ranges") or []),
            "services_cidr": f"{cidr['address']}/{cidr['prefix']}",
            "dns_servers": joined(spec["worker_DNS"]),
            "ntp_servers": joined(spec["workload_ntp_servers"]),
        },
        "size": {
            "size": spec["size_hint"],
            "api_server_dns_names": joined(spec["Master_DNS_names"]),
            "content_library": spec["default_kubernetes_service_content_library"] or "",
        },
    }


@operation(
    f"{NM}.clusters",
    "enable",
    params={"cluster": CLUSTER_ID, "spec": ENABLE_SPEC},
    rest=[Rest("POST", f"{PATH}/clusters/{{cluster}}", action="enable", body="spec", status=204)],
)
def clusters_enable(call: Call, cluster: str, spec: dict) -> None:
    target = cluster_or_404(cluster)
    lb = spec["load_balancer_config_spec"] or {}
    provider = lb.get("provider") or ""
    where = f"{_LB}.{'ha_proxy' if provider == 'HA_PROXY' else 'avi'}_config_create_spec"
    fields = ENABLE_FIELDS | credential_fields(where, provider)
    enable_supervisor(_raw_from_enable_spec(target, spec), target, call.user, fields)


@operation(
    f"{NM}.clusters",
    "disable",
    params={"cluster": CLUSTER_ID},
    rest=[Rest("POST", f"{PATH}/clusters/{{cluster}}", action="disable", status=204)],
)
def clusters_disable(call: Call, cluster: str) -> None:
    require(call.user, Privilege.NAMESPACES_MANAGE)
    services.supervisor_disable(supervisor=_supervisor_of(cluster), user=call.user)


# ---------------------------------------------------------------- cluster compatibility


@operation(
    COMPATIBILITY,
    "list",
    params={"filter": Optional(COMPATIBILITY_FILTER)},
    output=List(COMPATIBILITY_SUMMARY),
    rest=[Rest("GET", f"{PATH}/cluster-compatibility", filter="filter")],
)
def compatibility_list_op(call: Call, filter: dict | None) -> list[dict]:  # noqa: A002
    require(call.user, Privilege.VIEW)
    wanted = (filter or {}).get("compatible")
    provider = (filter or {}).get("network_provider")
    found = []
    for verdict in compatibility_list():
        reasons = list(verdict.reasons)
        if provider and provider != "VSPHERE_NETWORK":
            reasons.append("No NSX Manager is registered with this vCenter Server.")
        if wanted is not None and wanted != (not reasons):
            continue
        found.append(
            {
                "cluster": verdict.cluster.moid,
                "compatible": not reasons,
                "incompatibility_reasons": [
                    message("com.vmware.wcp.cluster.incompatible", r) for r in reasons
                ],
            }
        )
    return found
