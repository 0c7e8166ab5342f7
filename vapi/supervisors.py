"""`com.vmware.vcenter.namespace_management.supervisors`: `enable_on_compute_cluster` (REST
`POST /api/vcenter/namespace-management/supervisors/{cluster}?action=enable_on_compute_cluster`,
the body the EnableOnComputeClusterSpec itself, answering the new Supervisor's ID), and
`supervisors.summary` list/get (REST `.../supervisors/summaries`, `.../{supervisor}/summary`).

The spec becomes the enable wizard's raw sections, as Clusters.enable's does
(vapi.namespace_management), and goes through the same service."""

from __future__ import annotations

import re
from ipaddress import IPv4Network

from inventory.models import Cluster
from inventory.permissions import Privilege, require
from vapi.bindings import (
    BOOLEAN,
    INTEGER,
    SECRET,
    STRING,
    Enum,
    Id,
    List,
    Optional,
    Struct,
)
from vapi.namespace_management import (
    CLUSTER_ID,
    CONFIG_STATUS,
    KUBERNETES_STATUS,
    NM,
    PATH,
    SIZING_HINT,
    SUPERVISOR_ID,
    UNSET,
    api_error,
    cluster_or_404,
    credential_fields,
    enable_supervisor,
    joined,
    kubernetes_status_of,
    load_balancer_raw,
    ranges_text,
    refuse_unset,
    stats_of,
    stats_struct,
)
from vapi.operations import Call, Rest, operation
from workloads.models import Supervisor
from workloads.selectors import api as api_selectors

# ---------------------------------------------------------------- supervisors: types

NETWORKS = f"{NM}.networks"
NET_SERVICES = Struct(
    f"{NETWORKS}.services",
    {
        "dns": Optional(
            Struct(
                f"{NETWORKS}.service.DNS", {"servers": List(STRING), "search_domains": List(STRING)}
            )
        ),
        "ntp": Optional(Struct(f"{NETWORKS}.service.NTP", {"servers": List(STRING)})),
    },
)
NET_IP_RANGE = Struct(f"{NETWORKS}.IP_range", {"address": STRING, "count": INTEGER})
IP_MANAGEMENT = Struct(
    f"{NETWORKS}.IP_management",
    {
        "dhcp_enabled": Optional(BOOLEAN),
        "gateway_address": Optional(STRING),
        "ip_assignments": Optional(
            List(
                Struct(
                    f"{NETWORKS}.IP_assignment",
                    {
                        "assignee": Optional(
                            Enum(f"{NETWORKS}.IP_assignment.assignment", ("POD", "NODE", "SERVICE"))
                        ),
                        "ranges": List(NET_IP_RANGE),
                    },
                )
            )
        ),
    },
)
SUP_NETWORKS = f"{NM}.supervisors.networks"
MANAGEMENT_NETWORK = Struct(
    f"{SUP_NETWORKS}.management.network",
    {
        "network": Optional(Id()),
        "backing": Struct(
            f"{SUP_NETWORKS}.management.network_backing",
            {
                "backing": Enum(
                    f"{SUP_NETWORKS}.management.network_backing_enum",
                    ("NETWORK", "NETWORK_SEGMENT"),
                ),
                "network": Optional(Id()),
                "network_segment": UNSET,
            },
        ),
        "services": Optional(NET_SERVICES),
        "ip_management": Optional(IP_MANAGEMENT),
        "floating_IP_address": Optional(STRING),
        "proxy": UNSET,
    },
)
WORKLOAD_NETWORK = Struct(
    f"{SUP_NETWORKS}.workload.network",
    {
        "network": Optional(Id()),
        "network_type": Enum(
            f"{SUP_NETWORKS}.workload.network_type", ("NSXT", "VSPHERE", "NSX_VPC")
        ),
        "nsx": UNSET,
        "vsphere": Optional(
            Struct(
                f"{SUP_NETWORKS}.workload.V_sphere_network",
                {"dvpg": Id("vSphereDistributedPortGroup")},
            )
        ),
        "nsx_vpc": UNSET,
        "services": Optional(NET_SERVICES),
        "ip_management": Optional(IP_MANAGEMENT),
    },
)
EDGE_SERVER = Struct(f"{NETWORKS}.edges.server", {"host": STRING, "port": INTEGER})
EDGE = Struct(
    f"{NETWORKS}.edges.edge",
    {
        "id": Optional(Id()),
        "load_balancer_address_ranges": Optional(List(NET_IP_RANGE)),
        "haproxy": Optional(
            Struct(
                f"{NETWORKS}.edges.HA_proxy_config",
                {
                    "servers": List(EDGE_SERVER),
                    "username": STRING,
                    "password": SECRET,
                    "certificate_authority_chain": STRING,
                },
            )
        ),
        "nsx": UNSET,
        "nsx_advanced": Optional(
            Struct(
                f"{NETWORKS}.edges.NSX_advanced_LB_config",
                {
                    "server": EDGE_SERVER,
                    "username": STRING,
                    "password": SECRET,
                    "certificate_authority_chain": STRING,
                    "cloud_name": Optional(STRING),
                },
            )
        ),
        "foundation": UNSET,
        "provider": Optional(
            Enum(
                f"{NETWORKS}.edges.edge_provider",
                ("HAPROXY", "NSX", "NSX_ADVANCED", "NSX_VPC", "VSPHERE_FOUNDATION"),
            )
        ),
    },
)
SUP = f"{NM}.supervisors"
ENABLE_ON_COMPUTE_CLUSTER_SPEC = Struct(
    f"{SUP}.enable_on_compute_cluster_spec",
    {
        "zone": UNSET,
        "name": STRING,
        "control_plane": Struct(
            f"{SUP}.control_plane",
            {
                "network": MANAGEMENT_NETWORK,
                "login_banner": Optional(STRING),
                "size": Optional(Enum(f"{SUP}.sizing_hint", SIZING_HINT.values)),
                "size_v2": UNSET,
                "storage_policy": Optional(Id()),
                "count": UNSET,
                "enable_namespace_api_fairness": UNSET,
            },
        ),
        "workloads": Struct(
            f"{SUP}.workloads",
            {
                "network": WORKLOAD_NETWORK,
                "edge": EDGE,
                "kube_API_server_options": Optional(
                    Struct(
                        f"{SUP}.kube_API_server_options",
                        {
                            "security": Optional(
                                Struct(
                                    f"{SUP}.kube_API_server_security",
                                    {"certificate_dns_names": List(STRING)},
                                )
                            )
                        },
                    )
                ),
                "images": Optional(
                    Struct(
                        f"{SUP}.image_sync_config",
                        {
                            "registry": UNSET,
                            "repository": UNSET,
                            "kubernetes_content_library": Optional(Id()),
                            "content_libraries": UNSET,
                        },
                    )
                ),
                "storage": Optional(
                    Struct(
                        f"{SUP}.workloads_storage_config",
                        {
                            "cloud_native_file_volume": UNSET,
                            "ephemeral_storage_policy": Optional(Id()),
                            "image_storage_policy": Optional(Id()),
                        },
                    )
                ),
            },
        ),
    },
)

SUMMARY = f"{SUP}.summary"
SUMMARY_INFO = Struct(
    f"{SUMMARY}.info",
    {
        "name": STRING,
        "APIEndpoint": Optional(STRING),
        "stats": stats_struct(f"{SUMMARY}.stats"),
        "config_status": Enum(f"{SUMMARY}.config_status", CONFIG_STATUS.values),
        "kubernetes_status": Enum(f"{SUMMARY}.kubernetes_status", KUBERNETES_STATUS.values),
    },
)
SUMMARY_LIST = Struct(
    f"{SUMMARY}.list_result",
    {
        "items": List(
            Struct(f"{SUMMARY}.list_item", {"supervisor": SUPERVISOR_ID, "info": SUMMARY_INFO})
        )
    },
)

_CP = "spec.control_plane.network"
_WN = "spec.workloads.network"
_EDGE = "spec.workloads.edge"
COMPUTE_CLUSTER_FIELDS = {
    "network_stack.network_provider": f"{_WN}.network_type",
    "network_stack.load_balancer": f"{_EDGE}.provider",
    "placement.name": "spec.name",
    "placement.cluster": "cluster",
    "storage.control_plane_policy": "spec.control_plane.storage_policy",
    "storage.ephemeral_policy": "spec.workloads.storage.ephemeral_storage_policy",
    "storage.image_cache_policy": "spec.workloads.storage.image_storage_policy",
    "load_balancer.name": f"{_EDGE}.id",
    "load_balancer.address_ranges": f"{_EDGE}.load_balancer_address_ranges",
    "management_network.network": f"{_CP}.backing.network",
    "management_network.mode": f"{_CP}.ip_management.dhcp_enabled",
    "management_network.floating_ip": f"{_CP}.floating_IP_address",
    "management_network.starting_address": f"{_CP}.ip_management.ip_assignments",
    "management_network.address_count": f"{_CP}.ip_management.ip_assignments",
    "management_network.gateway": f"{_CP}.ip_management.gateway_address",
    "management_network.subnet_mask": f"{_CP}.ip_management.gateway_address",
    "management_network.dns_servers": f"{_CP}.services.dns.servers",
    "management_network.dns_search_domains": f"{_CP}.services.dns.search_domains",
    "management_network.ntp_servers": f"{_CP}.services.ntp.servers",
    "workload_network.network": f"{_WN}.vsphere.dvpg",
    "workload_network.name": f"{_WN}.network",
    "workload_network.gateway": f"{_WN}.ip_management.gateway_address",
    "workload_network.subnet_mask": f"{_WN}.ip_management.gateway_address",
    "workload_network.address_ranges": f"{_WN}.ip_management.ip_assignments",
    "workload_network.services_cidr": f"{_WN}.ip_management.ip_assignments",
    "workload_network.dns_servers": f"{_WN}.services.dns.servers",
    "workload_network.ntp_servers": f"{_WN}.services.ntp.servers",
    "size.size": "spec.control_plane.size",
    "size.api_server_dns_names": (
        "spec.workloads.kube_API_server_options.security.certificate_dns_names"
    ),
    "size.content_library": "spec.workloads.images.kubernetes_content_library",
}

# ---------------------------------------------------------------- supervisors


def _gateway_and_mask(ip_management: dict, where: str) -> tuple[str, str]:
    """`gateway_address` is the gateway with the subnet's prefix: `10.10.10.1/24`."""
    text = ip_management.get("gateway_address") or ""
    address, _, prefix = text.partition("/")
    if not prefix:
        return address, ""
    try:
        return address, str(IPv4Network(f"0.0.0.0/{prefix}").netmask)
    except ValueError:
        raise api_error(
            "INVALID_ARGUMENT",
            f"{where}.gateway_address: '{text[:60]}' is not a gateway with a prefix "
            "(e.g. 10.10.10.1/24).",
        ) from None  # fmt: skip


def _ranges_of(ip_management: dict, assignee: str) -> list[dict]:
    found = []
    for assignment in ip_management.get("ip_assignments") or []:
        if (assignment.get("assignee") or "NODE") == assignee:
            found.extend(assignment["ranges"])
    return found


def _services_cidr(ip_management: dict) -> str:
    ranges = _ranges_of(ip_management, "SERVICE")
    if not ranges:
        return ""
    first = ranges[0]
    prefix = 32 - max(first["count"] - 1, 0).bit_length()
    return f"{first['address']}/{prefix}"


def _raw_from_compute_cluster_spec(cluster: Cluster, spec: dict) -> dict[str, dict]:
    refuse_unset(spec, "spec", ENABLE_ON_COMPUTE_CLUSTER_SPEC)
    cp, wl = spec["control_plane"], spec["workloads"]
    mnet, wnet, edge = cp["network"], wl["network"], wl["edge"]
    mip = mnet.get("ip_management") or {}
    wip = wnet.get("ip_management") or {}
    mdns = ((mnet.get("services") or {}).get("dns")) or {}
    mntp = ((mnet.get("services") or {}).get("ntp")) or {}
    wdns = ((wnet.get("services") or {}).get("dns")) or {}
    wntp = ((wnet.get("services") or {}).get("ntp")) or {}
    mgateway, mmask = _gateway_and_mask(mip, "spec.control_plane.network.ip_management")
    wgateway, wmask = _gateway_and_mask(wip, "spec.workloads.network.ip_management")
    block = (_ranges_of(mip, "NODE") or [{}])[0]
    providers = {"VSPHERE": "VSPHERE_NETWORK", "NSXT": "NSXT_CONTAINER_PLUGIN"}
    balancers = {"NSX_ADVANCED": "AVI", "HAPROXY": "HA_PROXY"}
    haproxy = edge.get("provider") == "HAPROXY"
    storage = wl.get("storage") or {}
    images = wl.get("images") or {}
    security = ((wl.get("kube_API_server_options") or {}).get("security")) or {}
    policy = cp.get("storage_policy") or ""
    return {
        "network_stack": {
            "network_provider": providers.get(wnet["network_type"], wnet["network_type"]),
            "load_balancer": balancers.get(edge.get("provider") or "", edge.get("provider") or ""),
        },
        "placement": {"name": spec["name"], "cluster": cluster.moid},
        "storage": {
            "control_plane_policy": policy,
            "ephemeral_policy": storage.get("ephemeral_storage_policy") or policy,
            "image_cache_policy": storage.get("image_storage_policy") or policy,
        },
        "load_balancer": load_balancer_raw(
            edge.get("id"),
            edge.get("load_balancer_address_ranges"),
            edge.get("haproxy" if haproxy else "nsx_advanced"),
            servers=haproxy,
        ),
        "management_network": {
            "network": mnet["backing"].get("network") or mnet.get("network") or "",
            "mode": "DHCP" if mip.get("dhcp_enabled") else "STATICRANGE",
            "floating_ip": mnet.get("floating_IP_address") or "",
            "starting_address": block.get("address", ""),
            "address_count": str(block.get("count", "")),
            "subnet_mask": mmask,
            "gateway": mgateway,
            "dns_servers": joined(mdns.get("servers")),
            "dns_search_domains": joined(mdns.get("search_domains")),
            "ntp_servers": joined(mntp.get("servers")),
        },
        "workload_network": {
            "network": (wnet.get("vsphere") or {}).get("dvpg", ""),
            "name": wnet.get("network") or "",
            "gateway": wgateway,
            "subnet_mask": wmask,
            "address_ranges": ranges_text(_ranges_of(wip, "NODE")),
            "services_cidr": _services_cidr(wip),
            "dns_servers": joined(wdns.get("servers")),
            "ntp_servers": joined(wntp.get("servers")),
        },
        "size": {
            "size": cp.get("size") or "",
            "api_server_dns_names": joined(security.get("certificate_dns_names")),
            "content_library": images.get("kubernetes_content_library") or "",
        },
    }


@operation(
    SUP,
    "enable_on_compute_cluster",
    params={"cluster": CLUSTER_ID, "spec": ENABLE_ON_COMPUTE_CLUSTER_SPEC},
    output=SUPERVISOR_ID,
    rest=[
        Rest(
            "POST",
            f"{PATH}/supervisors/{{cluster:domain-c[0-9]+}}",  # not `summaries`
            action="enable_on_compute_cluster",
            body="spec",
        )
    ],
)
def supervisors_enable_on_compute_cluster(call: Call, cluster: str, spec: dict) -> str:
    target = cluster_or_404(cluster)
    provider = spec["workloads"]["edge"].get("provider") or ""
    where = f"{_EDGE}.{'haproxy' if provider == 'HAPROXY' else 'nsx_advanced'}"
    fields = COMPUTE_CLUSTER_FIELDS | credential_fields(where, provider)
    sup = enable_supervisor(_raw_from_compute_cluster_spec(target, spec), target, call.user, fields)
    return str(sup.supervisor_id)


def _summary_info(summary) -> dict:
    sup = summary.supervisor
    return {
        "name": sup.name,
        "APIEndpoint": sup.api_endpoint or None,
        "stats": stats_of(summary),
        "config_status": sup.config_status,
        "kubernetes_status": kubernetes_status_of(sup),
    }


@operation(
    SUMMARY, "list", output=SUMMARY_LIST, rest=[Rest("GET", f"{PATH}/supervisors/summaries")]
)
def summaries_list(call: Call) -> dict:
    require(call.user, Privilege.VIEW)
    return {
        "items": [
            {"supervisor": str(s.supervisor.supervisor_id), "info": _summary_info(s)}
            for s in api_selectors.supervisor_summaries()
        ]
    }


@operation(
    SUMMARY,
    "get",
    params={"supervisor": SUPERVISOR_ID},
    output=SUMMARY_INFO,
    rest=[Rest("GET", f"{PATH}/supervisors/{{supervisor}}/summary")],
)
def summaries_get(call: Call, supervisor: str) -> dict:
    require(call.user, Privilege.VIEW)
    sup = (
        Supervisor.objects.filter(supervisor_id__iexact=supervisor).first()
        if _uuid(supervisor)
        else None
    )
    if sup is None:
        text = f"Supervisor {supervisor[:64]} was not found."
        raise api_error("NOT_FOUND", text)
    return _summary_info(api_selectors.supervisor_summary(sup.supervisor_id))


def _uuid(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", text))
