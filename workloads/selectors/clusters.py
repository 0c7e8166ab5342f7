"""Reads for VKS clusters: the Compute grid of a namespace (`kubectl get cluster`), one cluster
with its nodes, node groups, capacity and available upgrades, and the wizard's choices. Each
function makes a fixed number of queries, however many clusters and nodes there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q
from django.http import Http404

from workloads.access import namespace_role
from workloads.cluster_status import READY, node_current, node_ready
from workloads.manifests import kubelet_version
from workloads.models import Namespace, NamespaceStorage, VksCluster, VksNode
from workloads.reconcilers.clusters import Group, groups_of
from workloads.releases import KubernetesRelease, release_for, releases_in, updates_available
from workloads.specs import storage_class_name

CONTROL_PLANE = VksNode.Role.CONTROL_PLANE
WORKER = VksNode.Role.WORKER
READY_Q = Q(vm__power_state="poweredOn", vm__ip_address__isnull=False)  # cluster_status.node_ready


def cluster_is_unsettled(cluster: VksCluster) -> bool:
    """Still changing, as far as a page should follow it: being deleted, holding a spec no pass
    has finished yet, or not Ready (the reconciler is working on it or retrying an error)."""
    ready = cluster.condition(READY)
    return (
        cluster.is_deleting
        or cluster.observed_generation < cluster.generation
        or ready is None
        or ready.get("status") != "True"
    )


def ready_condition(cluster: VksCluster) -> dict:
    return cluster.condition(READY) or {"type": READY, "status": "Unknown"}


@dataclass(frozen=True)
class ConditionLine:
    type: str
    status: str
    reason: str
    message: str
    severity: str
    last_transition: datetime | None


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def cluster_conditions(cluster: VksCluster) -> list[ConditionLine]:
    """Its conditions as `kubectl describe` lists them, Ready first."""
    return [
        ConditionLine(
            type=c["type"],
            status=c.get("status", "Unknown"),
            reason=c.get("reason", ""),
            message=c.get("message", ""),
            severity=c.get("severity", ""),
            last_transition=_time(c.get("lastTransitionTime")),
        )
        for c in cluster.conditions or []
    ]


# ---------------------------------------------------------------- the Compute grid


@dataclass(frozen=True)
class ClusterRow:
    """One line of `kubectl get cluster`: desired replicas from the spec, ready from the nodes."""

    cluster: VksCluster
    ready: dict
    cp_desired: int
    cp_ready: int
    workers_desired: int
    workers_ready: int
    unsettled: bool


def _desired(cluster: VksCluster) -> tuple[int, int]:
    topology = cluster.spec.get("topology", {})
    cp = topology.get("controlPlane", {}).get("replicas", 0)
    workers = sum(p.get("replicas") or 0 for p in topology.get("nodePools", []))
    return cp, workers


def cluster_rows(namespace: Namespace) -> list[ClusterRow]:
    """The namespace's clusters with ready node counts per role. Two queries."""
    clusters = list(VksCluster.objects.filter(namespace=namespace).order_by("name"))
    return rows_of(clusters, VksNode.objects.filter(cluster__namespace=namespace))


def rows_of(clusters: list[VksCluster], nodes=None) -> list[ClusterRow]:
    """A row for each of these clusters, its ready nodes counted per role over `nodes` (by
    default the clusters' own). One query."""
    nodes = VksNode.objects.filter(cluster__in=clusters) if nodes is None else nodes
    counts = {
        (r["cluster"], r["role"]): r["ready"]
        for r in nodes.order_by()
        .values("cluster", "role")
        .annotate(ready=Count("pk", filter=READY_Q))
    }
    rows = []
    for c in clusters:
        cp, workers = _desired(c)
        rows.append(
            ClusterRow(
                cluster=c,
                ready=ready_condition(c),
                cp_desired=cp,
                cp_ready=counts.get((c.pk, CONTROL_PLANE), 0),
                workers_desired=workers,
                workers_ready=counts.get((c.pk, WORKER), 0),
                unsettled=cluster_is_unsettled(c),
            )
        )
    return rows


# ---------------------------------------------------------------- one cluster


def cluster_find(namespace: Namespace, name: str) -> VksCluster | None:
    """The cluster `name` of the namespace, or None (for apply: update or create). One query."""
    return (
        VksCluster.objects.select_related("namespace__supervisor__cluster", "task")
        .filter(namespace=namespace, name=name)
        .first()
    )


def cluster_get(user, namespace_name: str, name: str) -> VksCluster:
    """The cluster, its namespace, Supervisor, vSphere cluster and library joined, if the user
    holds a role in the namespace; else 404 as if neither existed."""
    cluster = (
        VksCluster.objects.select_related(
            "namespace__supervisor__cluster", "namespace__kubernetes_library", "task"
        )
        .filter(namespace__name=namespace_name, name=name)
        .first()
    )
    if cluster is None:
        raise Http404(f"VKS cluster {namespace_name}/{name} was not found.")
    if namespace_role(user, cluster.namespace) is None:
        raise Http404(f"Namespace {namespace_name} was not found.")
    return cluster


def cluster_nodes(cluster: VksCluster) -> list[VksNode]:
    """Its nodes, oldest first, each with its VM and the VM's host. One query."""
    return list(
        VksNode.objects.filter(cluster=cluster)
        .select_related("vm__host")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class GroupRow:
    """The control plane or one node pool: what the spec asks and what the nodes are."""

    group: Group
    nodes: int
    ready: int
    up_to_date: int

    @property
    def is_control_plane(self) -> bool:
        return self.group.role == CONTROL_PLANE


@dataclass(frozen=True)
class Capacity:
    cpus: int = 0
    memory_mib: int = 0
    disk_mib: int = 0


@dataclass(frozen=True)
class ClusterSummary:
    nodes: list[VksNode]
    groups: list[GroupRow]
    capacity: Capacity
    release: KubernetesRelease | None
    updates: list[KubernetesRelease] = field(default_factory=list)
    kubelet_versions: list[str] = field(default_factory=list)

    @property
    def control_plane(self) -> GroupRow:
        return self.groups[0]

    @property
    def node_pools(self) -> list[GroupRow]:
        return self.groups[1:]


def cluster_groups(cluster: VksCluster, nodes: list[VksNode]) -> list[GroupRow]:
    rows = []
    for g in groups_of(cluster):
        mine = [n for n in nodes if n.role == g.role and n.pool == g.pool]
        rows.append(
            GroupRow(
                group=g,
                nodes=len(mine),
                ready=sum(1 for n in mine if node_ready(n)),
                up_to_date=sum(1 for n in mine if node_ready(n) and node_current(cluster, g, n)),
            )
        )
    return rows


def cluster_release(cluster: VksCluster) -> tuple[KubernetesRelease | None, list]:
    """The release the cluster asks for, described by its namespace's library (or by its name
    when the library no longer holds it), and the releases it may upgrade to. One query."""
    ns = cluster.namespace
    releases = releases_in(ns.kubernetes_library, supervisor=ns.supervisor)
    name = cluster.spec.get("topology", {}).get("version", "")
    current = next((r for r in releases if r.name == name), None) or release_for(
        name, supervisor=ns.supervisor
    )
    return current, updates_available(current, releases) if current else []


def cluster_summary(cluster: VksCluster, nodes: list[VksNode] | None = None) -> ClusterSummary:
    """Everything the cluster's page shows beyond its own row: two queries."""
    nodes = cluster_nodes(cluster) if nodes is None else nodes
    release, updates = cluster_release(cluster)
    capacity = Capacity(
        cpus=sum(n.vm.num_cpu for n in nodes),
        memory_mib=sum(n.vm.memory_mib for n in nodes),
        disk_mib=sum(n.vm.disk_mib for n in nodes),
    )
    return ClusterSummary(
        nodes=nodes,
        groups=cluster_groups(cluster, nodes),
        capacity=capacity,
        release=release,
        updates=updates,
        kubelet_versions=sorted({kubelet_version(n.release) for n in nodes}),
    )


# ---------------------------------------------------------------- choices for the forms


def namespace_storage_classes(namespace: Namespace) -> list[str]:
    """The storage classes the namespace's storage policies become, by name. One query."""
    policies = NamespaceStorage.objects.filter(namespace=namespace).values_list(
        "policy__name", flat=True
    )
    return sorted({storage_class_name(p) for p in policies})


def namespace_cluster_names(namespace: Namespace) -> set[str]:
    return set(VksCluster.objects.filter(namespace=namespace).values_list("name", flat=True))
