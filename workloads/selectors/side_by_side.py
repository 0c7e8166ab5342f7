"""Reads for the side-by-side view: one Supervisor and one of its VKS clusters, column by column.

A Supervisor is the platform (a Kubernetes control plane on the ESXi hosts of a vSphere
cluster); a VKS cluster is a tenant of it (node VMs in a vSphere Namespace). The page puts the
two next to each other with what is live about each: status, conditions, nodes, usage,
endpoints and the vCenter Tasks working on them.

Who sees what: administrators and read-only users see every Supervisor and cluster; a developer
sees the Supervisors hosting a namespace they hold a role in, and only the clusters of those
namespaces. A developer has no view of the inventory, so the Supervisor's ESXi hosts, control
plane VMs, management addresses and usage are left out for them (counts stay).

Every function makes a fixed number of queries, however many hosts, nodes or clusters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404

from inventory.models import Host, Task, VirtualMachine
from inventory.permissions import Privilege, has
from workloads.access import namespaces_visible_to
from workloads.cluster_status import node_ready
from workloads.manifests import kubelet_version
from workloads.models import Supervisor, VksCluster, VksNode
from workloads.reconcilers.clusters import groups_of
from workloads.reconcilers.supervisors import control_plane_count, control_plane_vms
from workloads.selectors.supervisors import ConditionRow, conditions_tree, is_unsettled

CONTROL_PLANE = VksNode.Role.CONTROL_PLANE
WORKER = VksNode.Role.WORKER


# ---------------------------------------------------------------- what the page shows


@dataclass(frozen=True)
class Usage:
    """CPU (MHz) and memory (MiB) the VMs use now, of what they are configured with, and the
    ceiling above them (the vSphere cluster's capacity, or the namespace's limit; None is
    none)."""

    cpu_used_mhz: int = 0
    cpu_configured_mhz: int = 0
    memory_used_mib: int = 0
    memory_configured_mib: int = 0
    cpu_ceiling_mhz: int | None = None
    memory_ceiling_mib: int | None = None

    @staticmethod
    def of(vms: list[VirtualMachine], **ceilings) -> Usage:
        # vCPUs at the clock of the host each VM runs on: what the VM could use at most.
        return Usage(
            cpu_used_mhz=sum(vm.cpu_usage_mhz for vm in vms),
            cpu_configured_mhz=sum(vm.num_cpu * vm.host.cpu_mhz for vm in vms),
            memory_used_mib=sum(vm.memory_usage_mib for vm in vms),
            memory_configured_mib=sum(vm.memory_mib for vm in vms),
            **ceilings,
        )

    @property
    def cpu_percent(self) -> int:
        return _percent(self.cpu_used_mhz, self.cpu_configured_mhz)

    @property
    def memory_percent(self) -> int:
        return _percent(self.memory_used_mib, self.memory_configured_mib)


def _percent(used: int, total: int) -> int:
    return min(100, round(100 * used / total)) if total else 0


@dataclass
class SupervisorColumn:
    supervisor: Supervisor
    inventory: bool  # the user may see the inventory: hosts, control plane VMs, addresses
    conditions: list[ConditionRow]
    control_plane_ready: int
    control_plane_desired: int
    host_count: int
    hosts: list[Host] = field(default_factory=list)
    control_plane: list[VirtualMachine] = field(default_factory=list)
    usage: Usage | None = None

    @property
    def task(self) -> Task | None:
        """The vCenter Task working on it now (queued or running), if any."""
        return _running(self.supervisor.task)

    @property
    def unsettled(self) -> bool:
        return is_unsettled(self.supervisor) or self.task is not None

    @property
    def api_url(self) -> str:
        sup = self.supervisor
        return f"https://{sup.api_endpoint}:6443" if sup.api_endpoint else ""


@dataclass(frozen=True)
class NodeRow:
    node: VksNode
    ready: bool
    kubelet_version: str

    @property
    def vm(self) -> VirtualMachine:
        return self.node.vm


@dataclass
class ClusterColumn:
    cluster: VksCluster
    nodes: list[NodeRow]
    control_plane_ready: int
    control_plane_desired: int
    workers_ready: int
    workers_desired: int
    usage: Usage

    @property
    def task(self) -> Task | None:
        return _running(self.cluster.task)

    @property
    def ready_condition(self) -> dict:
        return self.cluster.condition("Ready") or {"type": "Ready", "status": "Unknown"}

    @property
    def is_ready(self) -> bool:
        return self.ready_condition.get("status") == "True"

    @property
    def unsettled(self) -> bool:
        """Still changing: not yet Provisioned and Ready, a spec change not yet observed, being
        deleted, or a task working on it."""
        c = self.cluster
        return (
            c.phase != VksCluster.Phase.PROVISIONED
            or not self.is_ready
            or c.is_deleting
            or c.observed_generation < c.generation
            or self.task is not None
        )

    @property
    def release(self) -> str:
        return self.cluster.spec.get("topology", {}).get("version", "")

    @property
    def kubelet_version(self) -> str:
        return kubelet_version(self.release) if self.release else ""

    @property
    def node_versions(self) -> list[str]:
        """The kubelet versions its nodes run: two during a rolling update."""
        return sorted({row.kubelet_version for row in self.nodes})

    @property
    def api_url(self) -> str:
        c = self.cluster
        return f"https://{c.api_endpoint}:6443" if c.api_endpoint else ""


@dataclass
class SideBySide:
    """The page: the pickers' choices (empty when only the live region is asked for), the
    chosen Supervisor and cluster, and a column for each."""

    supervisors: list[Supervisor]
    clusters: list[VksCluster]
    supervisor: Supervisor | None = None
    cluster: VksCluster | None = None
    left: SupervisorColumn | None = None
    right: ClusterColumn | None = None

    @property
    def unsettled(self) -> bool:
        """Either side still changing: the live region follows the tasks only then."""
        return bool(
            (self.left is not None and self.left.unsettled)
            or (self.right is not None and self.right.unsettled)
        )


def _running(task: Task | None) -> Task | None:
    return task if task is not None and not task.is_finished else None


# ---------------------------------------------------------------- who sees what


def _may_view_inventory(user) -> bool:
    return has(user, Privilege.VIEW)


def visible_supervisors(user) -> QuerySet[Supervisor]:
    """All Supervisors for inventory viewers; for a developer, those hosting a namespace they
    hold a role in."""
    rows = Supervisor.objects.select_related("cluster__datacenter", "task")
    if _may_view_inventory(user):
        return rows
    return rows.filter(pk__in=namespaces_visible_to(user).values("supervisor"))


def visible_clusters(user, supervisor: Supervisor | None = None) -> QuerySet[VksCluster]:
    """The VKS clusters of namespaces the user may see (of one Supervisor, if given)."""
    rows = VksCluster.objects.select_related("namespace", "task")
    if supervisor is not None:
        rows = rows.filter(namespace__supervisor=supervisor)
    if not _may_view_inventory(user):
        rows = rows.filter(namespace__in=namespaces_visible_to(user).values("pk"))
    return rows.order_by("namespace__name", "name")


def parse_cluster_ref(ref: str) -> tuple[str, str] | None:
    """`<namespace>/<cluster name>` -> (namespace, name), or None if it is not that shape."""
    namespace, slash, name = (ref or "").strip().partition("/")
    if not (slash and namespace and name) or "/" in name:
        return None
    return namespace, name


def cluster_ref(cluster: VksCluster) -> str:
    return f"{cluster.namespace.name}/{cluster.name}"


def _cluster_named(user, ref: str, supervisor: Supervisor | None = None) -> VksCluster | None:
    parsed = parse_cluster_ref(ref)
    if parsed is None:
        return None
    namespace, name = parsed
    return visible_clusters(user, supervisor).filter(namespace__name=namespace, name=name).first()


# ---------------------------------------------------------------- the columns


def supervisor_column(user, sup: Supervisor) -> SupervisorColumn:
    """Two queries: the vSphere cluster's hosts, the control plane VMs (their hosts joined)."""
    inventory = _may_view_inventory(user)
    hosts = list(Host.objects.filter(cluster=sup.cluster_id).order_by("name"))
    vms = list(control_plane_vms(sup))
    column = SupervisorColumn(
        supervisor=sup,
        inventory=inventory,
        conditions=conditions_tree(sup),
        control_plane_ready=sum(1 for vm in vms if vm.is_powered_on and vm.ip_address),
        control_plane_desired=control_plane_count(sup),
        host_count=len(hosts),
    )
    if inventory:
        column.hosts = hosts
        column.control_plane = vms
        column.usage = Usage.of(
            vms,
            cpu_ceiling_mhz=sum(h.cpu_cores * h.cpu_mhz for h in hosts),
            memory_ceiling_mib=sum(h.memory_mib for h in hosts),
        )
    return column


def cluster_column(cluster: VksCluster) -> ClusterColumn:
    """One query: the nodes, their VMs and hosts joined."""
    nodes = list(
        VksNode.objects.filter(cluster=cluster)
        .select_related("vm__host")
        .order_by("role", "pool", "vm__name")
    )
    rows = [NodeRow(n, node_ready(n), kubelet_version(n.release)) for n in nodes]
    desired = {CONTROL_PLANE: 0, WORKER: 0}
    if cluster.spec.get("topology"):
        for group in groups_of(cluster):
            desired[group.role] += group.replicas
    ns = cluster.namespace
    return ClusterColumn(
        cluster=cluster,
        nodes=rows,
        control_plane_ready=sum(1 for r in rows if r.ready and r.node.role == CONTROL_PLANE),
        control_plane_desired=desired[CONTROL_PLANE],
        workers_ready=sum(1 for r in rows if r.ready and r.node.role == WORKER),
        workers_desired=desired[WORKER],
        usage=Usage.of(
            [n.vm for n in nodes],
            cpu_ceiling_mhz=ns.cpu_limit_mhz,
            memory_ceiling_mib=ns.memory_limit_mib,
        ),
    )


# ---------------------------------------------------------------- the page


def side_by_side_for(
    user,
    *,
    supervisor_id: uuid.UUID | None = None,
    cluster: str = "",
    live_only: bool = False,
) -> SideBySide:
    """The chosen Supervisor and cluster, each with its column.

    With neither chosen, the first Supervisor the user may see and its first cluster. A cluster
    given without a Supervisor brings its own. A Supervisor or a cluster the user may not see is
    a 404, as if it did not exist; a visible cluster of another Supervisor than the one chosen
    (the pickers submitted without JavaScript after changing the Supervisor) gives way to the
    chosen Supervisor's first cluster.

    `live_only` (the live region refreshing, both chosen): no pickers, one query each for the
    Supervisor and the cluster. Either way the columns add three queries (hosts, control plane
    VMs, nodes)."""
    if live_only and supervisor_id is not None and cluster:
        sup = visible_supervisors(user).filter(supervisor_id=supervisor_id).first()
        chosen = _cluster_named(user, cluster, sup) if sup is not None else None
        if chosen is None:
            raise Http404("The Supervisor or the VKS cluster was not found.")
        return SideBySide(
            supervisors=[],
            clusters=[],
            supervisor=sup,
            cluster=chosen,
            left=supervisor_column(user, sup),
            right=cluster_column(chosen),
        )

    supervisors = list(visible_supervisors(user).order_by("name"))
    chosen = None
    if supervisor_id is not None:
        sup = next((s for s in supervisors if s.supervisor_id == supervisor_id), None)
        if sup is None:
            raise Http404(f"No Supervisor {supervisor_id}")
    elif cluster:
        chosen = _cluster_named(user, cluster)
        if chosen is None:
            raise Http404(f"No VKS cluster {cluster}")
        sup = next((s for s in supervisors if s.pk == chosen.namespace.supervisor_id), None)
    else:
        sup = supervisors[0] if supervisors else None
    if sup is None:
        return SideBySide(supervisors=supervisors, clusters=[])

    clusters = list(visible_clusters(user, sup))
    if cluster:
        parsed = parse_cluster_ref(cluster)
        chosen = next(
            (c for c in clusters if parsed and (c.namespace.name, c.name) == parsed), None
        )
        if chosen is None and _cluster_named(user, cluster) is None:
            raise Http404(f"No VKS cluster {cluster}")
    if chosen is None and clusters:
        chosen = clusters[0]
    if chosen is None:  # nothing to compare yet: the page offers the Supervisor's namespaces
        return SideBySide(supervisors=supervisors, clusters=[], supervisor=sup)
    return SideBySide(
        supervisors=supervisors,
        clusters=clusters,
        supervisor=sup,
        cluster=chosen,
        left=supervisor_column(user, sup),
        right=cluster_column(chosen),
    )
