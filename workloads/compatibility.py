"""Can a vSphere cluster become a Supervisor? The checks the enable wizard runs, with the reasons
it shows (`GET /api/vcenter/namespace-management/cluster-compatibility` in the Automation API)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from inventory.models import (
    Cluster,
    ContentLibrary,
    DistributedSwitch,
    Host,
    PortGroup,
    StoragePolicy,
)

MIN_HOSTS = 3  # one control plane VM per host, on distinct hosts


@dataclass(frozen=True)
class Compatibility:
    cluster: Cluster
    reasons: tuple[str, ...]

    @property
    def compatible(self) -> bool:
        return not self.reasons


def _annotated(clusters: QuerySet[Cluster]) -> QuerySet[Cluster]:
    from workloads.models import Supervisor

    on_cluster = {"hosts__cluster": OuterRef("pk")}
    return clusters.select_related("datacenter").annotate(
        usable_hosts=Count(
            "hosts",
            filter=Q(
                hosts__connection_state=Host.ConnectionState.CONNECTED,
                hosts__in_maintenance_mode=False,
            ),
        ),
        has_switch=Exists(DistributedSwitch.objects.filter(**on_cluster)),
        has_workload_portgroup=Exists(
            PortGroup.objects.filter(is_uplink=False, switch__hosts__cluster=OuterRef("pk"))
        ),
        has_storage_policy=Exists(
            StoragePolicy.objects.filter(datastores__hosts__cluster=OuterRef("pk"))
        ),
        supervisor_name=Supervisor.objects.filter(cluster=OuterRef("pk")).values("name")[:1],
    )


def _reasons(cluster: Cluster, has_library: bool) -> tuple[str, ...]:
    moid = cluster.moid
    reasons = []
    if cluster.supervisor_name:
        reasons.append(f"Cluster {moid} is already a Supervisor ({cluster.supervisor_name}).")
    if not cluster.ha_enabled:
        reasons.append(f"Cluster {moid} does not have vSphere HA enabled.")
    if not cluster.drs_enabled:
        reasons.append(f"Cluster {moid} does not have vSphere DRS enabled.")
    elif cluster.drs_automation_level != Cluster.DrsAutomation.FULLY:
        reasons.append(
            f"Cluster {moid} has vSphere DRS in {cluster.get_drs_automation_level_display()} "
            "mode; it must be Fully Automated."
        )
    if cluster.usable_hosts < MIN_HOSTS:
        reasons.append(
            f"Cluster {moid} has {cluster.usable_hosts} usable hosts (connected, not in "
            f"maintenance mode); at least {MIN_HOSTS} are required."
        )
    if not cluster.has_switch:
        reasons.append(
            f"Cluster {moid} hosts are not on a vSphere Distributed Switch 7.0 or later."
        )
    elif not cluster.has_workload_portgroup:
        reasons.append(f"Cluster {moid} has no distributed port group for workload networks.")
    if not cluster.has_storage_policy:
        reasons.append(
            f"Cluster {moid} has no storage policy compatible with its shared datastores."
        )
    if not has_library:
        reasons.append("No content library is available for Kubernetes releases.")
    return tuple(reasons)


def compatibility_list(clusters: QuerySet[Cluster] | None = None) -> list[Compatibility]:
    """Every cluster with its verdict: three queries, however many clusters."""
    clusters = Cluster.objects.all() if clusters is None else clusters
    has_library = ContentLibrary.objects.filter(type=ContentLibrary.Type.SUBSCRIBED).exists()
    return [
        Compatibility(c, _reasons(c, has_library))
        for c in _annotated(clusters).order_by("datacenter__name", "name")
    ]


def compatibility(cluster: Cluster) -> Compatibility:
    return compatibility_list(Cluster.objects.filter(pk=cluster.pk))[0]
