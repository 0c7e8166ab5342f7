"""Reads for Supervisors: lists, status trees, the wizard's choices and the spec for people."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from inventory.models import Cluster, ContentLibrary, PortGroup, StoragePolicy
from inventory.selectors import paginate
from workloads.compatibility import Compatibility, compatibility_list
from workloads.models import Namespace, Supervisor
from workloads.specs import LOAD_BALANCERS, NETWORK_PROVIDERS, SIZES, range_text
from workloads.status import STAGES

UNSETTLED = (
    Supervisor.ConfigStatus.CONFIGURING,
    Supervisor.ConfigStatus.REMOVING,
    Supervisor.ConfigStatus.ERROR,
)


def supervisor_page(page=None) -> Page:
    """Supervisors list: a count and one page, cluster joined, namespaces counted in SQL."""
    namespaces = (
        Namespace.objects.filter(supervisor=OuterRef("pk"))
        .order_by()
        .values("supervisor")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = Supervisor.objects.select_related("cluster").annotate(
        namespace_count=Coalesce(Subquery(namespaces), 0)
    )
    return paginate(rows.order_by("name", "pk"), page)


def supervisor_find(supervisor_id: uuid.UUID) -> Supervisor | None:
    return (
        Supervisor.objects.select_related("cluster__datacenter", "task")
        .filter(supervisor_id=supervisor_id)
        .first()
    )


def supervisor_get(supervisor_id: uuid.UUID) -> Supervisor:
    sup = supervisor_find(supervisor_id)
    if sup is None:
        raise Http404(f"No Supervisor {supervisor_id}")
    return sup


def is_unsettled(sup: Supervisor) -> bool:
    """Still changing: configuring, removing, in error (the reconciler retries), or holding a
    spec change no pass has picked up yet (a status row still reads RUNNING then)."""
    return (
        sup.config_status in UNSETTLED
        or sup.is_deleting
        or sup.observed_generation < sup.generation
    )


@dataclass(frozen=True)
class ConditionRow:
    type: str
    title: str
    status: str
    reason: str
    message: str
    severity: str
    last_transition: datetime | None


def _parse_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def conditions_tree(sup: Supervisor) -> list[ConditionRow]:
    """The stages in the order the reconciler works them off, each with its condition."""
    rows = []
    for type_, title in STAGES:
        c = sup.condition(type_) or {}
        rows.append(
            ConditionRow(
                type=type_,
                title=title,
                status=c.get("status", "Unknown"),
                reason=c.get("reason", ""),
                message=c.get("message", ""),
                severity=c.get("severity", ""),
                last_transition=_parse_time(c.get("lastTransitionTime")),
            )
        )
    return rows


# ---------------------------------------------------------------- wizard choices


def clusters_compatibility() -> list[Compatibility]:
    return compatibility_list()


def storage_policies_for(cluster_moid: str) -> list[StoragePolicy]:
    if not cluster_moid:
        return []
    return list(
        StoragePolicy.objects.filter(datastores__hosts__cluster__moid=cluster_moid)
        .distinct()
        .order_by("name")
    )


def portgroups_for(cluster_moid: str) -> list[PortGroup]:
    """Distributed port groups (no uplinks) on switches the cluster's hosts use."""
    if not cluster_moid:
        return []
    return list(
        PortGroup.objects.filter(is_uplink=False, switch__hosts__cluster__moid=cluster_moid)
        .select_related("switch")
        .distinct()
        .order_by("name")
    )


def content_libraries() -> list[ContentLibrary]:
    return list(ContentLibrary.objects.order_by("name"))


def cluster_named(moid: str) -> Cluster | None:
    return Cluster.objects.filter(moid=moid).first() if moid else None


# ---------------------------------------------------------------- the spec, for people


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class SpecSection:
    section: str
    title: str
    rows: list[tuple[str, str]]


def spec_sections(spec: dict) -> list[SpecSection]:
    """The settings a Supervisor was enabled with (or the wizard holds), names instead of IDs:
    three queries for the port groups, storage policies and content library named in it."""
    ns, pl = spec.get("network_stack", {}), spec.get("placement", {})
    st, lb = spec.get("storage", {}), spec.get("load_balancer", {})
    mg, wl, sz = (
        spec.get("management_network", {}),
        spec.get("workload_network", {}),
        spec.get("size", {}),
    )
    networks = dict(
        PortGroup.objects.filter(moid__in=[mg.get("network"), wl.get("network")]).values_list(
            "moid", "name"
        )
    )
    policy_ids = [v for v in st.values() if _is_uuid(v)]
    policies = {
        str(k): v
        for k, v in StoragePolicy.objects.filter(policy_id__in=policy_ids).values_list(
            "policy_id", "name"
        )
    }
    library = ""
    if _is_uuid(sz.get("content_library")):
        library = (
            ContentLibrary.objects.filter(library_id=sz["content_library"])
            .values_list("name", flat=True)
            .first()
            or ""
        )
    cluster_name = (
        Cluster.objects.filter(moid=pl.get("cluster")).values_list("name", flat=True).first()
        if pl.get("cluster")
        else ""
    )
    size = SIZES.get(sz.get("size", ""))

    def joined(value) -> str:
        return ", ".join(value) if isinstance(value, list) else (value or "")

    def ranges(value) -> str:
        return range_text(value) if isinstance(value, list) else (value or "")

    server = lb.get("server", "")
    if isinstance(server, dict):
        server = f"{server['host']}:{server['port']}"
    if mg.get("mode") == "DHCP":
        mgmt_rows = [("Network Mode", "DHCP"), ("Floating IP", mg.get("floating_ip", ""))]
    else:
        mgmt_rows = [
            ("Network Mode", "Static"),
            ("Starting IP Address", mg.get("starting_address", "")),
            ("Number of addresses", str(mg.get("address_count", ""))),
            ("Subnet Mask", mg.get("subnet_mask", "")),
            ("Gateway", mg.get("gateway", "")),
        ]
    return [
        SpecSection(
            "network_stack",
            "vCenter Server and Network",
            [
                ("Networking stack", NETWORK_PROVIDERS.get(ns.get("network_provider"), "")),
                ("Load balancer", LOAD_BALANCERS.get(ns.get("load_balancer"), "")),
            ],
        ),
        SpecSection(
            "placement",
            "Supervisor location",
            [("Supervisor name", pl.get("name", "")), ("vSphere cluster", cluster_name or "")],
        ),
        SpecSection(
            "storage",
            "Storage",
            [
                ("Control Plane", policies.get(st.get("control_plane_policy", ""), "")),
                ("Ephemeral Disks", policies.get(st.get("ephemeral_policy", ""), "")),
                ("Image Cache", policies.get(st.get("image_cache_policy", ""), "")),
            ],
        ),
        SpecSection(
            "load_balancer",
            "Load Balancer",
            [
                ("Name", lb.get("name", "")),
                ("Type", LOAD_BALANCERS.get(lb.get("provider") or ns.get("load_balancer"), "")),
                ("Controller server", server),
                ("Username", lb.get("username", "")),
                ("IP address ranges for virtual servers", ranges(lb.get("address_ranges"))),
            ],
        ),
        SpecSection(
            "management_network",
            "Management Network",
            [("Network", networks.get(mg.get("network"), ""))]
            + mgmt_rows
            + [
                ("DNS Server(s)", joined(mg.get("dns_servers"))),
                ("DNS Search Domain(s)", joined(mg.get("dns_search_domains"))),
                ("NTP Server(s)", joined(mg.get("ntp_servers"))),
            ],
        ),
        SpecSection(
            "workload_network",
            "Workload Network",
            [
                ("Port Group", networks.get(wl.get("network"), "")),
                ("Network Name", wl.get("name", "")),
                ("Gateway", wl.get("gateway", "")),
                ("Subnet Mask", wl.get("subnet_mask", "")),
                ("IP Address Ranges", ranges(wl.get("address_ranges"))),
                ("Internal Network for Kubernetes Services", wl.get("services_cidr", "")),
                ("DNS Server(s)", joined(wl.get("dns_servers"))),
                ("NTP Server(s)", joined(wl.get("ntp_servers"))),
            ],
        ),
        SpecSection(
            "size",
            "Control Plane",
            [
                (
                    "Control Plane Size",
                    f"{size.label} ({size.cpus} vCPUs, {size.memory_gib} GB memory, "
                    f"{size.disk_gib} GB storage)"
                    if size
                    else "",
                ),
                ("API Server DNS Name(s)", joined(sz.get("api_server_dns_names"))),
                ("Kubernetes Service Content Library", library),
            ],
        ),
    ]
