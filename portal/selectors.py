"""Reads for the developer portal: the user's VKS clusters, namespaces with their quotas, the
commands to connect, and their activity. Every list is one page of rows with a fixed number of
queries, however many namespaces and clusters the user may see."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page
from django.db.models import Case, Count, F, Q, QuerySet, Sum, When
from django.http import Http404

from inventory.models import Event, Task, VirtualMachine
from inventory.permissions import Privilege, has
from inventory.selectors import events_visible_to, paginate, tasks_visible_to
from kubeapi import endpoints
from portal import commands
from workloads.access import RANK, Role, namespaces_visible_to, subjects_q
from workloads.cluster_status import READY
from workloads.models import Namespace, NamespaceAccess, NamespaceStorage, VksCluster
from workloads.reconcilers.common import NAMESPACES
from workloads.releases import releases_by_namespace
from workloads.selectors.clusters import ClusterRow, rows_of
from workloads.selectors.namespaces import attach_usage

CARDS_PER_PAGE = 25  # clusters and namespaces are cards: a phone's screenful is a few of them


def roles_by_namespace(user, namespace_ids) -> dict[int, Role]:
    """The user's role in each namespace, as `workloads.access.namespace_role` decides it for
    one, in one query for all of them (none for administrators)."""
    ids = list(namespace_ids)
    if has(user, Privilege.NAMESPACES_MANAGE):
        return dict.fromkeys(ids, Role.OWNER)
    base = [Role.VIEW] if has(user, Privilege.VIEW) else []
    held: dict[int, list[Role]] = defaultdict(list)
    entries = NamespaceAccess.objects.filter(subjects_q(user), namespace__in=ids)
    for ns, role in entries.values_list("namespace", "role"):
        held[ns].append(Role(role))
    found = {pk: [*held[pk], *base] for pk in ids}
    return {pk: max(roles, key=RANK.__getitem__) for pk, roles in found.items() if roles}


def may_edit(role: Role | None) -> bool:
    return role is not None and RANK[role] >= RANK[Role.EDIT]


# ---------------------------------------------------------------- My clusters


@dataclass(frozen=True)
class PortalCluster:
    """A cluster's `kubectl get cluster` line, and what the user may do to it."""

    row: ClusterRow
    role: Role

    @property
    def cluster(self) -> VksCluster:
        return self.row.cluster

    @property
    def can_edit(self) -> bool:
        c = self.row.cluster
        return may_edit(self.role) and not c.is_deleting and not c.namespace.is_deleting

    @property
    def version(self) -> str:
        return self.row.cluster.spec.get("topology", {}).get("version", "")

    @property
    def nodes_ready(self) -> int:
        return self.row.cp_ready + self.row.workers_ready

    @property
    def nodes_desired(self) -> int:
        return self.row.cp_desired + self.row.workers_desired


def require_namespace(user, name: str) -> None:
    """404 for a namespace the user holds no role in, as for one that does not exist."""
    if not namespaces_visible_to(user).filter(name=name).exists():
        raise Http404(f"Namespace {name} was not found.")


def clusters_of(user, *, namespace: str = "") -> QuerySet:
    rows = VksCluster.objects.filter(namespace__in=namespaces_visible_to(user))
    if namespace:
        rows = rows.filter(namespace__name=namespace)
    return rows


def cluster_page(user, *, namespace: str = "", page=None) -> tuple[Page, list[PortalCluster]]:
    """One page of the clusters in every namespace the user may see, with ready node counts
    and the user's role. Four queries: count, page, node counts, roles."""
    rows = clusters_of(user, namespace=namespace).select_related("namespace")
    found = paginate(rows.order_by("namespace__name", "name", "pk"), page, CARDS_PER_PAGE)
    clusters = list(found)
    roles = roles_by_namespace(user, {c.namespace_id for c in clusters}) if clusters else {}
    items = [
        PortalCluster(row=row, role=roles.get(row.cluster.namespace_id, Role.VIEW))
        for row in rows_of(clusters)
    ]
    return found, items


# ---------------------------------------------------------------- notifications


READY_STATE, FAILED_STATE = "Ready", "Failed"


def cluster_states(user) -> dict[str, tuple[str, str]]:
    """{"<namespace>/<cluster>": (state, message)} for every cluster the user may see: Ready,
    Failed or "" (anything else). One query; what the in-page notification compares."""
    states = {}
    rows = clusters_of(user).values_list("namespace__name", "name", "phase", "conditions")
    for ns, name, phase, conditions in rows:
        ready = next((c for c in conditions or [] if c.get("type") == READY), {})
        if phase == VksCluster.Phase.FAILED:
            states[f"{ns}/{name}"] = (FAILED_STATE, ready.get("message", ""))
        elif ready.get("status") == "True":
            states[f"{ns}/{name}"] = (READY_STATE, "")
        else:
            states[f"{ns}/{name}"] = ("", "")
    return states


@dataclass(frozen=True)
class Notice:
    key: str  # namespace/cluster
    state: str
    message: str


def state_changes(before: dict, after: dict) -> list[Notice]:
    """The clusters that became Ready or Failed between two `cluster_states`."""
    return [
        Notice(key, state, message)
        for key, (state, message) in sorted(after.items())
        if state and before.get(key, ("", ""))[0] != state
    ]


# ---------------------------------------------------------------- My namespaces


@dataclass
class Quota:
    """One bar: used against a limit (None = no limit)."""

    label: str
    used: int
    limit: int | None
    unit: str  # "MHz" or "MiB"

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(100, round(100 * self.used / self.limit))


@dataclass
class NamespaceCard:
    namespace: Namespace
    role: Role
    quotas: list[Quota]
    storage: list[Quota]  # per storage policy
    vm_classes: list[str]
    releases: list[str]
    cluster_count: int
    can_create: bool = field(default=False)


def storage_used_by_namespace(namespaces: list[Namespace]) -> dict[tuple[int, str, int], int]:
    """{(cluster pk, namespace name, policy pk): provisioned MiB}, over the VMs of these
    namespaces' pools (as `namespace_storage_used` counts them for one), in one query."""
    clusters = {ns.supervisor.cluster_id for ns in namespaces}
    if not clusters:
        return {}
    direct = Q(resource_pool__parent__name=NAMESPACES)
    rows = (
        VirtualMachine.objects.filter(resource_pool__cluster__in=clusters)
        .exclude(storage_policy=None)
        .filter(direct | Q(resource_pool__parent__parent__name=NAMESPACES))
        .annotate(
            ns=Case(
                When(direct, then=F("resource_pool__name")),
                default=F("resource_pool__parent__name"),
            )
        )
        .order_by()
        .values("resource_pool__cluster", "ns", "storage_policy")
        .annotate(used=Sum("disk_mib"))
    )
    return {(r["resource_pool__cluster"], r["ns"], r["storage_policy"]): r["used"] for r in rows}


def namespace_page(user, *, page=None) -> tuple[Page, list[NamespaceCard]]:
    """One page of the namespaces the user may see, each with its quota bars (CPU, memory,
    storage and each storage policy), the user's role, its cluster count, VM classes and
    Kubernetes releases. Eight queries: count, page (with cluster counts), VM classes, usage,
    storage specs, storage used per policy, releases, roles."""
    rows = (
        namespaces_visible_to(user, Namespace.objects.select_related("supervisor"))
        .annotate(cluster_count=Count("clusters"))
        .prefetch_related("vm_classes")
        .order_by("name", "pk")
    )
    found = paginate(rows, page, CARDS_PER_PAGE)
    namespaces = attach_usage(list(found))
    if not namespaces:
        return found, []
    specs = defaultdict(list)
    for s in NamespaceStorage.objects.filter(namespace__in=namespaces).select_related("policy"):
        specs[s.namespace_id].append(s)
    used = storage_used_by_namespace(namespaces)
    releases = releases_by_namespace(namespaces)
    roles = roles_by_namespace(user, [ns.pk for ns in namespaces])
    cards = []
    for ns in namespaces:
        role = roles.get(ns.pk, Role.VIEW)
        where = (ns.supervisor.cluster_id, ns.name)
        cards.append(
            NamespaceCard(
                namespace=ns,
                role=role,
                quotas=[
                    Quota("CPU", ns.cpu_used_mhz, ns.cpu_limit_mhz, "MHz"),
                    Quota("Memory", ns.memory_used_mib, ns.memory_limit_mib, "MiB"),
                    Quota("Storage", ns.storage_used_mib, ns.storage_limit_mib, "MiB"),
                ],
                storage=[
                    Quota(s.policy.name, used.get((*where, s.policy_id), 0), s.limit_mib, "MiB")
                    for s in specs[ns.pk]
                ],
                vm_classes=[c.name for c in ns.vm_classes.all()],
                releases=[r.name for r in releases.get(ns.pk, []) if r.compatible],
                cluster_count=ns.cluster_count,
                can_create=may_edit(role) and not ns.is_deleting,
            )
        )
    return found, cards


# ---------------------------------------------------------------- Connect


@dataclass(frozen=True)
class ClusterConnect:
    cluster: VksCluster
    server: str  # its API server on this application; "" until it has an endpoint
    commands: str


@dataclass(frozen=True)
class NamespaceConnect:
    namespace: Namespace
    commands: str
    clusters: list[ClusterConnect]


def connect_page(user, endpoint: commands.Endpoint, request, *, page=None):
    """One page of the user's namespaces with the commands for each and each of its clusters.
    Three queries: count, namespaces, their clusters."""
    rows = namespaces_visible_to(user).prefetch_related("clusters").order_by("name", "pk")
    found = paginate(rows, page, CARDS_PER_PAGE)
    blocks = []
    for ns in found:
        clusters = []
        for c in ns.clusters.all():
            c.namespace = ns  # the server URL names it; no query per cluster
            ready = bool(c.api_endpoint)
            clusters.append(
                ClusterConnect(
                    cluster=c,
                    server=endpoints.cluster_server(c, request) if ready else "",
                    commands=commands.cluster_login(endpoint, ns.name, c.name, c.api_endpoint)
                    if ready
                    else "",
                )
            )
        blocks.append(NamespaceConnect(ns, commands.namespace_context(endpoint, ns.name), clusters))
    return found, blocks


# ---------------------------------------------------------------- Activity


def activity_tasks(user, *, states=None, page=None) -> Page:
    """One page of the tasks the user may see (those they started, and those on the namespaces
    they hold a role in and on their clusters; every task for a vCenter role), newest first.
    Two queries: count and page."""
    tasks = tasks_visible_to(user)
    if states is not None:
        tasks = tasks.filter(state__in=states)
    return paginate(tasks.order_by("-queued_at", "-id"), page, CARDS_PER_PAGE)


def activity_events(user, *, states=None, limit: int = 25) -> list[Event]:
    """The newest events the user may see; for Running or Failed, only those of tasks in that
    state (and, for Failed, every error event). One query."""
    events = events_visible_to(user)
    if states is not None:
        errors = Q(severity=Event.Severity.ERROR) if Task.State.ERROR in states else Q(pk__in=[])
        events = events.filter(Q(task__state__in=states) | errors)
    return list(events.order_by("-created_at", "-id")[:limit])
