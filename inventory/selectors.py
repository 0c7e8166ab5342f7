"""Every read the inventory pages need. Each function makes a fixed number of queries, whatever
the size of the estate: rollups are SQL aggregates, lists are paginated in SQL."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Collate, Upper
from django.http import Http404

from inventory.entities import (
    SELECT_RELATED,
    STATE_PAGES,
    icon_named,
    model_for,
    object_path,
    state_of,
    state_sql,
    tree_children_path,
)
from inventory.models import (
    Cluster,
    Datacenter,
    Datastore,
    DistributedSwitch,
    Event,
    Folder,
    Host,
    ManagedEntity,
    Permission,
    PortGroup,
    ResourcePool,
    Task,
    VCenter,
    VirtualMachine,
)
from inventory.permissions import Privilege, has
from inventory.tasklog import sso_principal

ON = VirtualMachine.PowerState.ON


def entity_get(moid: str) -> ManagedEntity:
    model = model_for(moid)
    related = SELECT_RELATED.get(model, ())
    entity = model.objects.select_related(*related).filter(moid=moid).first()
    if entity is None:
        raise Http404(f"No object {moid!r}")
    return entity


def vcenter_get() -> VCenter | None:
    return VCenter.objects.first()


# ---------------------------------------------------------------- scopes: what lives under what


def vms_in(entity: ManagedEntity) -> QuerySet[VirtualMachine]:
    qs = VirtualMachine.objects.all()
    match entity:
        case VCenter():
            return qs
        case Datacenter():
            return qs.filter(host__cluster__datacenter=entity)
        case Cluster():
            return qs.filter(host__cluster=entity)
        case Host():
            return qs.filter(host=entity)
        case ResourcePool():
            return qs.filter(resource_pool=entity)
        case Folder():
            return qs.filter(folder=entity)
        case Datastore():
            return qs.filter(datastore=entity)
        case PortGroup():
            return qs.filter(networks=entity)
        case DistributedSwitch():
            return qs.filter(
                pk__in=VirtualMachine.networks.through.objects.filter(
                    portgroup__switch=entity
                ).values("virtualmachine_id")
            )
    return qs.none()


def hosts_in(entity: ManagedEntity) -> QuerySet[Host]:
    qs = Host.objects.all()
    match entity:
        case VCenter():
            return qs
        case Datacenter():
            return qs.filter(cluster__datacenter=entity)
        case Cluster():
            return qs.filter(cluster=entity)
        case Datastore():
            return qs.filter(datastores=entity)
        case DistributedSwitch():
            return qs.filter(switches=entity)
        case PortGroup():
            return qs.filter(switches=entity.switch_id)
    return qs.none()


def datastores_in(entity: ManagedEntity) -> QuerySet[Datastore]:
    qs = Datastore.objects.all()
    mounted = Host.datastores.through.objects
    match entity:
        case VCenter():
            return qs
        case Datacenter():
            return qs.filter(datacenter=entity)
        case Cluster():
            return qs.filter(pk__in=mounted.filter(host__cluster=entity).values("datastore_id"))
        case Host():
            return qs.filter(pk__in=mounted.filter(host=entity).values("datastore_id"))
        case VirtualMachine():
            return qs.filter(pk=entity.datastore_id)
    return qs.none()


def networks_in(entity: ManagedEntity) -> QuerySet[PortGroup]:
    qs = PortGroup.objects.all()
    on_switch = DistributedSwitch.hosts.through.objects
    match entity:
        case VCenter():
            return qs
        case Datacenter():
            return qs.filter(switch__datacenter=entity)
        case DistributedSwitch():
            return qs.filter(switch=entity)
        case Cluster():
            switches = on_switch.filter(host__cluster=entity).values("distributedswitch_id")
            return qs.filter(switch__in=switches)
        case Host():
            return qs.filter(
                switch__in=on_switch.filter(host=entity).values("distributedswitch_id")
            )
        case VirtualMachine():
            return qs.filter(vms=entity)
    return qs.none()


def clusters_in(entity: ManagedEntity) -> QuerySet[Cluster]:
    qs = Cluster.objects.all()
    if isinstance(entity, Datacenter):
        return qs.filter(datacenter=entity)
    return qs if isinstance(entity, VCenter) else qs.none()


# ---------------------------------------------------------------- rollups (one query each)


def _zero(expr, output=None):
    return Coalesce(expr, Value(0), output_field=output or BigIntegerField())


def vm_usage(vms: QuerySet[VirtualMachine]) -> dict:
    return vms.aggregate(
        vms=Count("id", filter=Q(is_template=False)),
        templates=Count("id", filter=Q(is_template=True)),
        powered_on=Count("id", filter=Q(power_state=ON)),
        cpu_used_mhz=_zero(Sum("cpu_usage_mhz")),
        memory_used_mib=_zero(Sum("memory_usage_mib")),
        provisioned_mib=_zero(Sum("disk_mib")),
    )


def host_capacity(hosts: QuerySet[Host]) -> dict:
    return hosts.aggregate(
        hosts=Count("id"),
        in_maintenance=Count("id", filter=Q(in_maintenance_mode=True)),
        disconnected=Count("id", filter=~Q(connection_state=Host.ConnectionState.CONNECTED)),
        cpu_capacity_mhz=_zero(Sum(F("cpu_cores") * F("cpu_mhz"))),
        cpu_cores=_zero(Sum("cpu_cores")),
        memory_capacity_mib=_zero(Sum("memory_mib")),
        overhead_cpu_mhz=_zero(Sum("overhead_cpu_mhz")),
        overhead_memory_mib=_zero(Sum("overhead_memory_mib")),
    )


def with_free_space(datastores: QuerySet[Datastore]) -> QuerySet[Datastore]:
    """Each datastore with `free_mib`: capacity less VM disks and other files (one query)."""
    used = _sum_of(VirtualMachine, "datastore", "disk_mib") + F("other_used_mib")
    return datastores.annotate(free_mib=F("capacity_mib") - used)


def storage_capacity(datastores: QuerySet[Datastore]) -> dict:
    totals = datastores.aggregate(
        datastores=Count("id"),
        capacity_mib=_zero(Sum("capacity_mib")),
        other_used_mib=_zero(Sum("other_used_mib")),
    )
    disks = VirtualMachine.objects.filter(datastore__in=datastores.values("pk")).aggregate(
        disks_mib=_zero(Sum("disk_mib"))
    )
    used = totals["other_used_mib"] + disks["disks_mib"]
    return {**totals, "used_mib": used, "free_mib": totals["capacity_mib"] - used}


@dataclass
class Meter:
    """One bar of a Capacity and Usage card: used of capacity, in a unit."""

    label: str
    used: float
    capacity: float
    unit: str
    alarms: bool = True  # colour the bar as it fills; off where full is normal (a VM's disk)

    @property
    def free(self) -> float:
        return max(self.capacity - self.used, 0)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.capacity)) if self.capacity else 0


def _meters(cpu_used, cpu_cap, mem_used, mem_cap, storage: dict | None) -> list[Meter]:
    meters = [
        Meter("CPU", cpu_used / 1000, cpu_cap / 1000, "GHz"),
        Meter("Memory", mem_used / 1024, mem_cap / 1024, "GB"),
    ]
    if storage is not None:
        meters.append(
            Meter("Storage", storage["used_mib"] / 1024**2, storage["capacity_mib"] / 1024**2, "TB")
        )
    return meters


@dataclass
class Summary:
    facts: list[tuple[str, object]] = field(default_factory=list)
    meters: list[Meter] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def summary_for(entity: ManagedEntity) -> Summary:
    """The Summary tab's cards for any object type, in a constant number of queries."""
    match entity:
        case VCenter() | Datacenter() | Cluster():
            hosts = host_capacity(hosts_in(entity))
            vms = vm_usage(vms_in(entity))
            storage = storage_capacity(datastores_in(entity))
            summary = Summary(
                meters=_meters(
                    vms["cpu_used_mhz"] + hosts["overhead_cpu_mhz"],
                    hosts["cpu_capacity_mhz"],
                    vms["memory_used_mib"] + hosts["overhead_memory_mib"],
                    hosts["memory_capacity_mib"],
                    storage,
                ),
                counts={**hosts, **vms, "datastores": storage["datastores"]},
            )
            if not isinstance(entity, Cluster):
                summary.counts["clusters"] = clusters_in(entity).count()
                summary.counts["networks"] = networks_in(entity).count()
            return summary
        case Host():
            vms = vm_usage(vms_in(entity))
            storage = storage_capacity(datastores_in(entity))
            return Summary(
                meters=_meters(
                    vms["cpu_used_mhz"] + entity.overhead_cpu_mhz,
                    entity.cpu_capacity_mhz,
                    vms["memory_used_mib"] + entity.overhead_memory_mib,
                    entity.memory_mib,
                    storage,
                ),
                counts={**vms, "datastores": storage["datastores"]},
            )
        case VirtualMachine():
            return Summary(
                meters=[
                    Meter(
                        "CPU",
                        entity.cpu_usage_mhz / 1000,
                        entity.num_cpu * entity.host.cpu_mhz / 1000,
                        "GHz",
                    ),
                    Meter("Memory", entity.memory_usage_mib / 1024, entity.memory_mib / 1024, "GB"),
                    Meter("Storage", entity.disk_mib / 1024, entity.disk_mib / 1024, "GB", False),
                ],
                counts={"networks": list(entity.networks.select_related("switch"))},
            )
        case Datastore():
            storage = storage_capacity(Datastore.objects.filter(pk=entity.pk))
            vms = vm_usage(vms_in(entity))
            return Summary(
                meters=[
                    Meter(
                        "Storage",
                        storage["used_mib"] / 1024**2,
                        storage["capacity_mib"] / 1024**2,
                        "TB",
                    )
                ],
                counts={**vms, "hosts": hosts_in(entity).count(), **storage},
            )
        case ResourcePool() | Folder():
            vms = vm_usage(vms_in(entity))
            counts = {**vms, "children": entity.children.count()}
            return Summary(counts=counts)
        case DistributedSwitch() | PortGroup():
            counts = vm_usage(vms_in(entity))
            counts["hosts"] = hosts_in(entity).count()
            counts["portgroups"] = (
                networks_in(entity).count() if isinstance(entity, DistributedSwitch) else None
            )
            return Summary(counts=counts)
    return Summary()


# ---------------------------------------------------------------- lists (tabs and search)


@dataclass(frozen=True)
class Column:
    key: str  # sort key, also the query parameter value
    label: str
    field: str  # ORM field or annotation to order by


LIST_COLUMNS: dict[str, tuple[Column, ...]] = {
    "vms": (
        Column("name", "Name", "name"),
        Column("state", "State", "power_state"),
        Column("provisioned", "Provisioned Space", "disk_mib"),
        Column("cpu", "Host CPU", "cpu_usage_mhz"),
        Column("memory", "Host Mem", "memory_usage_mib"),
        Column("guest", "Guest OS", "guest_os"),
        Column("ip", "IP Address", "ip_address"),
        Column("host", "Host", "host__name"),
    ),
    "hosts": (
        Column("name", "Name", "name"),
        Column("state", "State", "in_maintenance_mode"),
        Column("cluster", "Cluster", "cluster__name"),
        Column("cpu", "Consumed CPU %", "cpu_pct"),
        Column("memory", "Consumed Memory %", "memory_pct"),
        Column("vms", "VMs", "vm_count"),
        Column("version", "ESXi Version", "esxi_version"),
    ),
    "datastores": (
        Column("name", "Name", "name"),
        Column("type", "Type", "type"),
        Column("capacity", "Capacity", "capacity_mib"),
        Column("free", "Free", "free_mib"),
        Column("vms", "VMs", "vm_count"),
    ),
    "networks": (
        Column("name", "Name", "name"),
        Column("switch", "Distributed Switch", "switch__name"),
        Column("vlan", "VLAN ID", "vlan_id"),
        Column("ports", "Ports", "num_ports"),
        Column("vms", "VMs", "vm_count"),
    ),
    "clusters": (
        Column("name", "Name", "name"),
        Column("hosts", "Hosts", "host_count"),
        Column("drs", "DRS Automation", "drs_automation_level"),
        Column("ha", "vSphere HA", "ha_enabled"),
        Column("vsan", "vSAN", "vsan_enabled"),
    ),
    "datacenters": (Column("name", "Name", "name"),),
}


def _count_of(model, fk: str, value_field: str = "pk"):
    """A correlated COUNT subquery: per-row totals without GROUP BY over the whole estate."""
    rows = model.objects.filter(**{fk: OuterRef(value_field)}).order_by().values(fk)
    return _zero(Subquery(rows.annotate(n=Count("pk")).values("n")), IntegerField())


def _sum_of(model, fk: str, summed: str):
    rows = model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk)
    return _zero(Subquery(rows.annotate(s=Sum(summed)).values("s")))


def list_queryset(kind: str, entity: ManagedEntity) -> QuerySet:
    """The rows of a child-list tab, with the per-row rollups its columns show."""
    if kind == "vms":
        return vms_in(entity).select_related("host")
    if kind == "hosts":
        used_cpu = _sum_of(VirtualMachine, "host", "cpu_usage_mhz") + F("overhead_cpu_mhz")
        used_mem = _sum_of(VirtualMachine, "host", "memory_usage_mib") + F("overhead_memory_mib")
        return (
            hosts_in(entity)
            .select_related("cluster")
            .annotate(
                vm_count=_count_of(VirtualMachine, "host"),
                cpu_pct=100 * used_cpu / (F("cpu_cores") * F("cpu_mhz")),
                memory_pct=100 * used_mem / F("memory_mib"),
            )
        )
    if kind == "datastores":
        return datastores_in(entity).annotate(
            vm_count=_count_of(VirtualMachine, "datastore"),
            free_mib=F("capacity_mib")
            - F("other_used_mib")
            - _sum_of(VirtualMachine, "datastore", "disk_mib"),
        )
    if kind == "networks":
        through = VirtualMachine.networks.through
        return (
            networks_in(entity)
            .select_related("switch")
            .annotate(vm_count=_count_of(through, "portgroup"))
        )
    if kind == "clusters":
        return clusters_in(entity).annotate(host_count=_count_of(Host, "cluster"))
    if kind == "datacenters":
        return Datacenter.objects.all()
    raise Http404(f"No list {kind!r}")


def paginate(qs: QuerySet, page: str | int | None, per_page: int | None = None) -> Page:
    return Paginator(qs, per_page or settings.VKS_PAGE_SIZE).get_page(page)


def list_page(
    kind: str, entity: ManagedEntity, *, q: str = "", sort: str = "name", page=None
) -> tuple[Page, tuple[Column, ...], str]:
    """A filtered, sorted page of a child list; unknown sort keys fall back to name."""
    columns = LIST_COLUMNS[kind]
    qs = list_queryset(kind, entity)
    if q:
        qs = qs.filter(name__icontains=q)
    descending = sort.startswith("-")
    by = {c.key: c.field for c in columns}.get(sort.lstrip("-"))
    if by is None:
        sort, by, descending = "name", "name", False
    qs = qs.order_by(f"-{by}" if descending else by, "pk")
    return paginate(qs, page), columns, sort


# ---------------------------------------------------------------- tasks, events, permissions


def _scoped(qs: QuerySet, entity: ManagedEntity) -> QuerySet:
    """Monitor tabs show what happened to the object and, for containers, to what is inside."""
    match entity:
        case VCenter():
            return qs
        case Datacenter():
            return qs.filter(Q(datacenter_moid=entity.moid) | Q(target_moid=entity.moid))
        case Cluster():
            return qs.filter(Q(cluster_moid=entity.moid) | Q(target_moid=entity.moid))
        case Host():
            return qs.filter(Q(host_moid=entity.moid) | Q(target_moid=entity.moid))
    return qs.filter(target_moid=entity.moid)


def tasks_for(entity: ManagedEntity, page=None) -> Page:
    return paginate(_scoped(Task.objects.all(), entity), page)


def events_for(entity: ManagedEntity, page=None) -> Page:
    return paginate(_scoped(Event.objects.all(), entity), page)


# The task filters of Recent Tasks and the portal's Activity: the states each one shows (None:
# every task), and the choices as offered.
TASK_FILTERS = {
    "all": None,
    "running": Task.UNFINISHED,
    "failed": (Task.State.ERROR,),
}
TASK_FILTER_CHOICES = (("all", "All"), ("running", "Running"), ("failed", "Failed"))


# Targets other apps let people without a vCenter role see: f(user) -> a Q over a task's or
# event's target fields (Workload Management: a namespace role shows the tasks and events of
# that namespace and its VKS clusters). One condition each, whatever the user holds.
GRANTED_TARGETS: list[Callable[..., Q]] = []


def _granted_targets(user) -> Q:
    found = Q(pk__in=[])
    for granted in GRANTED_TARGETS:
        found |= granted(user)
    return found


def tasks_visible_to(user) -> QuerySet[Task]:
    """The tasks `user` may see, as vCenter shows a user the tasks on objects they may read:
    every task for a vCenter role; else those they started and those on targets granted."""
    if has(user, Privilege.VIEW):
        return Task.objects.all()
    return Task.objects.filter(Q(user=user) | _granted_targets(user))


def events_visible_to(user) -> QuerySet[Event]:
    """The events `user` may see: every event for a vCenter role; else those they caused and
    those on targets granted to them."""
    if has(user, Privilege.VIEW):
        return Event.objects.all()
    mine = Q(user_name=sso_principal(user))
    return Event.objects.filter(mine | _granted_targets(user))


def recent_tasks(limit: int = 20, *, user=None, states=None) -> list[Task]:
    """The newest tasks; only those `user` may see, when given, and in `states`, when given."""
    tasks = Task.objects.all() if user is None else tasks_visible_to(user)
    if states is not None:
        tasks = tasks.filter(state__in=states)
    return list(tasks[:limit])


def permissions_for(entity: ManagedEntity) -> list[tuple[Permission, str]]:
    """Permissions defined on the object, then those it inherits from the vCenter root."""
    root = vcenter_get()
    moids = {entity.moid} | ({root.moid} if root else set())
    rows = Permission.objects.filter(entity_moid__in=moids)
    return [
        (p, "This object" if p.entity_moid == entity.moid else root.name)
        for p in rows
        if p.entity_moid == entity.moid or p.propagate
    ]


# ---------------------------------------------------------------- global search

# What global search looks in, in the order the vSphere Client groups its results.
SEARCHABLE: tuple[tuple[type[ManagedEntity], str], ...] = (
    (VirtualMachine, "Virtual Machines"),
    (Host, "Hosts"),
    (Cluster, "Clusters"),
    (Datacenter, "Datacenters"),
    (Datastore, "Datastores"),
    (DistributedSwitch, "Distributed Switches"),
    (PortGroup, "Distributed Port Groups"),
    (ResourcePool, "Resource Pools"),
    (Folder, "Folders"),
)
SEARCH_TYPES = {model.__name__: model for model, _ in SEARCHABLE}
SEARCH_LABELS = {model.__name__: label for model, label in SEARCHABLE}


@dataclass
class SearchGroup:
    object_type: str
    label: str
    hits: list[TreeNode]
    more: bool  # matches beyond `hits`: the group links to all of them


# How search matches, as the vSphere Client does: names that contain the term, ignoring case.
# Names that start with it come first, from an index on the upper-cased name (migration 0006),
# read in order and only as far as the page shows: a term that begins thousands of names costs
# no more than one that begins a few. Names with the term further in are looked for only when
# the prefix matches do not fill a type's share: PostgreSQL answers from a trigram index;
# SQLite walks the same index in order and stops at the rows it needs.


# Shorter terms match the start of names only: a trigram index cannot look up one or two
# characters, and one or two characters somewhere in a name match most of the inventory.
INFIX_MIN = 3


def _search_key(vendor: str):
    """The upper-cased name, compared byte by byte (so that a range of it is exactly a prefix)."""
    return Collate(Upper("name"), "C") if vendor == "postgresql" else Upper("name")


def _prefix_range(q: str) -> tuple[str, str]:
    """The search keys that start with `q`: [Q, Q with its last character's successor)."""
    low = q.upper()
    return low, low[:-1] + chr(min(ord(low[-1]) + 1, sys.maxunicode))


def _candidates(model: type[ManagedEntity], vendor: str) -> QuerySet:
    qs = model.objects.annotate(search_key=_search_key(vendor))
    if model in (ResourcePool, Folder):
        qs = qs.filter(parent__isnull=False)  # not a cluster's root pool, a datacenter's folders
    return qs


def _matching(model: type[ManagedEntity], vendor: str, term: str, *, prefix: bool) -> QuerySet:
    """`model`'s objects whose name starts with `term` (prefix) or has it further in, in order."""
    qs = _candidates(model, vendor)
    low, high = _prefix_range(term)
    starts = Q(search_key__gte=low, search_key__lt=high)
    if prefix:
        return qs.filter(starts).order_by("search_key")
    # Ordered by the name without the index's collation, so PostgreSQL takes the trigram index
    # and sorts what it finds rather than reading the ordered index to the end.
    order = Upper("name") if vendor == "postgresql" else "search_key"
    return qs.filter(name__icontains=term).exclude(starts).order_by(order)


SEARCH_COLUMNS = ("section", "name", "moid", "object_type", "state", "search_key")
# A term that no one types, compiled into the statement in place of the real one; at run time its
# parameters (the prefix range and the LIKE pattern) are swapped for the real term's.
_DUMMY = "\x1fTERM\x1f"
_DUMMY_LOW, _DUMMY_HIGH = _prefix_range(_DUMMY)


@lru_cache(maxsize=1024)
def _search_statement(
    vendor: str, limits: tuple[int, ...], types: tuple[str, ...], prefix: bool
) -> tuple[str, tuple]:
    """One search query as SQL and parameters, for the dummy term. Compiling a nine-part UNION
    costs the ORM several times what the database takes to answer it, so each shape is
    compiled once per process; `vendor` keys the cache because each database words it its own
    way (and tests switch databases)."""
    parts = []
    for i, (name, limit) in enumerate(zip(types, limits, strict=True)):
        model = SEARCH_TYPES[name]
        # LIMIT inside IN (...): SQLite refuses it directly in a compound SELECT's parts.
        first = _matching(model, vendor, _DUMMY, prefix=prefix).values("pk")[:limit]
        parts.append(
            model.objects.filter(pk__in=first)
            .annotate(
                section=Value(i, output_field=IntegerField()),
                object_type=Value(name, output_field=CharField()),
                state=state_sql(model),
                search_key=_search_key(vendor),
            )
            .values(*SEARCH_COLUMNS)
            .order_by()
        )
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return union.order_by("section", "search_key", "moid").query.sql_with_params()


def _run_search(q: str, limits: dict[str, int], prefix: bool) -> dict[str, list[TreeNode]]:
    types = tuple(limits)
    sql, params = _search_statement(connection.vendor, tuple(limits.values()), types, prefix)
    low, high = _prefix_range(q)
    like = connection.ops.prep_for_like_query(q)
    real = {_DUMMY_LOW: low, _DUMMY_HIGH: high}
    bound = [real.get(p, p.replace(_DUMMY, like)) if isinstance(p, str) else p for p in params]
    found: dict[str, list[TreeNode]] = {name: [] for name in types}
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        for section, name, moid, object_type, state, _ in cursor.fetchall():
            found[types[section]].append(TreeNode(moid, name, object_type, state or ""))
    return found


def search(q: str, *, per_type: int, types: tuple[str, ...] = ()) -> list[SearchGroup]:
    """The first `per_type` objects of each type (or of `types`) whose name contains `q`, those
    that start with it first, and whether each type has more. One indexed query for the names
    that start with `q` and, for the types those leave short, one for names with `q` further in;
    LIMITs per type, no COUNT, whatever the size of the inventory. Types without a match are
    left out."""
    q = q.strip()
    wanted = [name for name in SEARCH_TYPES if not types or name in types]
    if not q or not wanted:
        return []
    found = _run_search(q, {name: per_type + 1 for name in wanted}, prefix=True)
    short = {
        name: per_type + 1 - len(hits) for name, hits in found.items() if len(hits) <= per_type
    }
    if short and len(q) >= INFIX_MIN:
        for name, hits in _run_search(q, short, prefix=False).items():
            found[name] += hits
    return [
        SearchGroup(name, SEARCH_LABELS[name], found[name][:per_type], len(found[name]) > per_type)
        for name in wanted
        if found[name]
    ]


# Searches other apps add for people without a role on the inventory, over what they hold a
# role on elsewhere (a developer's vSphere Namespaces and VKS clusters): f(user, q, per_type)
# -> groups of hits (moid, name, object_type, icon, url), each scoped to what the user may see.
GRANTED_SEARCHES: list[Callable[..., list[SearchGroup]]] = []


def search_for(user, q: str, *, per_type: int) -> list[SearchGroup]:
    """Global search as `user` may see it: the inventory for a vCenter role, else only what
    other apps grant them; nothing else, and no name of anything else."""
    if has(user, Privilege.VIEW):
        return search(q, per_type=per_type)
    return [group for find in GRANTED_SEARCHES for group in find(user, q.strip(), per_type)]


@dataclass
class SearchPage:
    """One page of one type's matches: previous and next, no total (it would cost a scan)."""

    group: SearchGroup
    number: int
    has_previous: bool


MAX_SEARCH_PAGE = 100_000  # an offset every database takes; far beyond any inventory


def search_type_page(q: str, object_type: str, page: int) -> SearchPage | None:
    """Page `page` (from 1) of the objects of `object_type` whose name contains `q`, in the
    order of `search`: those that start with `q`, then the others. One query; further pages
    sort every match, a cost paid only by someone who asked for all of them."""
    model = SEARCH_TYPES.get(object_type)
    q = q.strip()
    if model is None or not q:
        return None
    size, page = settings.VKS_PAGE_SIZE, min(max(page, 1), MAX_SEARCH_PAGE)
    low, high = _prefix_range(q)
    vendor = connection.vendor
    starts = Q(search_key__gte=low, search_key__lt=high)
    later = Case(When(starts, then=Value(0)), default=Value(1))
    rows = list(
        _candidates(model, vendor)
        .filter(Q(name__icontains=q) if len(q) >= INFIX_MIN else starts)
        .annotate(state=state_sql(model), later=later)
        .order_by("later", "search_key", "moid")
        .values("name", "moid", "state")[(page - 1) * size : page * size + 1]
    )
    hits = [TreeNode(r["moid"], r["name"], object_type, r["state"] or "") for r in rows[:size]]
    return SearchPage(
        SearchGroup(object_type, SEARCH_LABELS[object_type], hits, len(rows) > size), page, page > 1
    )


# ---------------------------------------------------------------- navigator tree

NAV_VIEWS = {
    "hosts": "Hosts and Clusters",
    "vms": "VMs and Templates",
    "storage": "Storage",
    "networks": "Networking",
}
EXPANDABLE: dict[str, tuple[type[ManagedEntity], ...]] = {
    "hosts": (VCenter, Datacenter, Cluster, Host, ResourcePool),
    "vms": (VCenter, Datacenter, Folder),
    "storage": (VCenter, Datacenter),
    "networks": (VCenter, Datacenter, DistributedSwitch),
}


def _tree_sections(view: str, entity: ManagedEntity) -> list[QuerySet]:
    """The child lists of a navigator node, in the order the vSphere Client shows them."""
    vms = VirtualMachine.objects.all()
    match view, entity:
        case _, VCenter():
            return [Datacenter.objects.filter(vcenter=entity)]
        case "hosts", Datacenter():
            return [Cluster.objects.filter(datacenter=entity)]
        case "hosts", Cluster():
            return [
                Host.objects.filter(cluster=entity),
                ResourcePool.objects.filter(
                    cluster=entity, parent__isnull=False, parent__parent__isnull=True
                ),
                vms.filter(resource_pool__cluster=entity, resource_pool__parent=None),
            ]
        case "hosts", Host():
            return [vms.filter(host=entity)]
        case "hosts", ResourcePool():
            return [entity.children.all(), vms.filter(resource_pool=entity)]
        case "vms", Datacenter():
            folders = Folder.objects.filter(datacenter=entity, kind=Folder.Kind.VM)
            return [
                folders.filter(parent__isnull=False, parent__parent__isnull=True),
                vms.filter(
                    folder__datacenter=entity, folder__parent=None, folder__kind=Folder.Kind.VM
                ),
            ]
        case "vms", Folder():
            return [entity.children.all(), vms.filter(folder=entity)]
        case "storage", Datacenter():
            return [Datastore.objects.filter(datacenter=entity)]
        case "networks", Datacenter():
            return [DistributedSwitch.objects.filter(datacenter=entity)]
        case "networks", DistributedSwitch():
            return [entity.portgroups.all()]
    return []


@dataclass(frozen=True)
class TreeNode:
    moid: str
    name: str
    object_type: str
    state: str

    @property
    def icon(self) -> str:
        return icon_named(self.object_type, self.state)

    @property
    def url(self) -> str:
        page = STATE_PAGES.get((self.object_type, self.state))
        return page(self.name) if page else object_path(self.moid)

    def children_url(self, view: str) -> str:
        return tree_children_path(view, self.moid)

    def expandable(self, view: str) -> bool:
        return self.object_type in EXPANDABLE_TYPES.get(view, ())


@dataclass
class TreePage:
    nodes: list[TreeNode]
    next_page: int | None


def tree_children(view: str, entity: ManagedEntity, page: int = 0) -> TreePage:
    """One page of a node's children, all sections in one UNION ALL query ordered by section
    then name: one query whatever the size of the inventory or the page."""
    sections = _tree_sections(view, entity)
    if not sections:
        return TreePage([], None)
    parts = [
        qs.annotate(
            section=Value(i, output_field=IntegerField()),
            object_type=Value(qs.model.__name__, output_field=CharField()),
            state=state_sql(qs.model),
        )
        .values("section", "name", "moid", "object_type", "state")
        .order_by()
        for i, qs in enumerate(sections)
    ]
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    size = settings.VKS_TREE_PAGE_SIZE
    rows = list(union.order_by("section", "name", "moid")[page * size : (page + 1) * size + 1])
    nodes = [
        TreeNode(r["moid"], r["name"], r["object_type"], r["state"] or "") for r in rows[:size]
    ]
    return TreePage(nodes, page + 1 if len(rows) > size else None)


EXPANDABLE_TYPES = {
    view: tuple(model.__name__ for model in models) for view, models in EXPANDABLE.items()
}


def tree_path(view: str, entity: ManagedEntity) -> list[ManagedEntity]:
    """The containers to open, below the vCenter, so the navigator shows `entity`. One query per
    nesting level of folders or pools; everything else comes with the entity (select_related)."""
    match view, entity:
        case _, Datacenter():
            return []
        case "hosts", Cluster():
            return [entity.datacenter]
        case "hosts", Host():
            return [entity.cluster.datacenter, entity.cluster]
        case "hosts", ResourcePool():
            return [entity.cluster.datacenter, entity.cluster, *_pool_chain(entity.parent)]
        case "hosts", VirtualMachine():
            return [entity.host.cluster.datacenter, entity.host.cluster, entity.host]
        case "vms", Folder():
            return [entity.datacenter, *_folder_chain(entity.parent)]
        case "vms", VirtualMachine():
            return [entity.host.cluster.datacenter, *_folder_chain(entity.folder)]
        case "storage", Datastore():
            return [entity.datacenter]
        case "networks", DistributedSwitch():
            return [entity.datacenter]
        case "networks", PortGroup():
            return [entity.switch.datacenter, entity.switch]
    return []


def tree_revealing(view: str, entity: ManagedEntity | None) -> dict[str, TreePage]:
    """The first page of children of each node to open so that the navigator shows `entity`:
    the vCenter always, and the containers above `entity` in this view; nothing else loads.
    A node on the path that is not on its parent's first page (the 250th VM of a folder) is
    shown after that page, so the open object is always in the tree."""
    vcenter = vcenter_get()
    if vcenter is None:
        return {}
    above = tree_path(view, entity) if entity is not None else []
    if not above and not isinstance(entity, Datacenter):
        entity = None  # not in this view's tree (a datastore in Hosts and Clusters), or a root
    path, shown = [vcenter, *above], [*above, entity]
    opened = {}
    for node, child in zip(path, shown, strict=True):
        page = tree_children(view, node)
        if child is not None and all(n.moid != child.moid for n in page.nodes):
            page.nodes.append(_node_of(child))
        opened[node.moid] = page
    return opened


def _node_of(entity: ManagedEntity) -> TreeNode:
    return TreeNode(entity.moid, entity.name, type(entity).__name__, state_of(entity))


def _folder_chain(folder: Folder | None) -> list[Folder]:
    """A folder and its parents, outermost first, without the datacenter's hidden root folder."""
    chain = []
    while folder is not None and folder.parent_id is not None:
        chain.insert(0, folder)
        folder = folder.parent
    return chain


def _pool_chain(pool: ResourcePool | None) -> list[ResourcePool]:
    chain = []
    while pool is not None and pool.parent_id is not None:  # the root pool stays hidden
        chain.insert(0, pool)
        pool = pool.parent
    return chain


def tree_roots() -> list[TreeNode]:
    return [TreeNode(v.moid, v.name, "VCenter", "") for v in VCenter.objects.all()]
