"""Reads for the Automation API (vapi/): the Automation API's Summary and Info shapes
need usage, access lists and class names in one go. Each function makes a fixed number of
queries, however many namespaces, entries or classes there are."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BigIntegerField,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from inventory.models import Cluster, Datastore, Host, VirtualMachine
from vksportal.statements import Statement
from workloads.access import namespace_role, namespaces_visible_to
from workloads.models import (
    Namespace,
    NamespaceAccess,
    NamespaceSelfService,
    NamespaceStorage,
    Supervisor,
    VirtualMachineClass,
)
from workloads.selectors.namespaces import attach_usage, usage_by_namespace, usage_rows

# ---------------------------------------------------------------- Supervisors


@dataclass(frozen=True)
class SupervisorStats:
    """The Supervisor's cluster, as Supervisors.Summary.Stats counts it: MHz and MiB."""

    cpu_used: int = 0
    cpu_capacity: int = 0
    memory_used: int = 0
    memory_capacity: int = 0
    storage_used: int = 0
    storage_capacity: int = 0


@dataclass(frozen=True)
class SupervisorSummary:
    supervisor: Supervisor
    stats: SupervisorStats


def _total(rows: QuerySet, summed) -> Coalesce:
    """SUM(summed) over `rows` as one value (0 for none), for a subquery: grouped by a constant,
    so the database adds them all up."""
    total = rows.order_by().annotate(one=Value(1)).values("one").annotate(total=Sum(summed))
    return Coalesce(Subquery(total.values("total")), 0, output_field=BigIntegerField())


def _stats() -> dict:
    """SupervisorStats' parts for a query over Supervisors, each a subquery on its cluster."""
    cluster = OuterRef("cluster_id")
    hosts = Host.objects.filter(cluster=cluster)
    vms = VirtualMachine.objects.filter(host__cluster=cluster)
    mounted = Host.datastores.through.objects.filter(host__cluster=OuterRef(cluster))
    datastores = Datastore.objects.filter(pk__in=mounted.values("datastore_id"))
    disks = VirtualMachine.objects.filter(datastore__in=mounted.values("datastore_id"))
    return {
        "vks_cpu_capacity": _total(hosts, F("cpu_cores") * F("cpu_mhz")),
        "vks_memory_capacity": _total(hosts, "memory_mib"),
        "vks_cpu_overhead": _total(hosts, "overhead_cpu_mhz"),
        "vks_memory_overhead": _total(hosts, "overhead_memory_mib"),
        "vks_cpu_used": _total(vms, "cpu_usage_mhz"),
        "vks_memory_used": _total(vms, "memory_usage_mib"),
        "vks_storage_capacity": _total(datastores, "capacity_mib"),
        "vks_storage_other": _total(datastores, "other_used_mib"),
        # every VM on those datastores, the cluster's or not, as the datastores count them
        "vks_storage_disks": _total(disks, "disk_mib"),
    }


_SUPERVISOR_FIELDS = tuple(f.attname for f in Supervisor._meta.concrete_fields)
_CLUSTER_FIELDS = tuple(f.attname for f in Cluster._meta.concrete_fields)


def _summaries_query(supervisors: QuerySet) -> QuerySet:
    stats = _stats()
    return (
        supervisors.annotate(**stats)
        .order_by("name")
        .values_list(*_SUPERVISOR_FIELDS, *(f"cluster__{f}" for f in _CLUSTER_FIELDS), *stats)
    )


# One statement, compiled once: compiling its nine sums cost the ORM several times what the
# database takes to add them up, and six queries cost six round trips.
_ALL_SUMMARIES = Statement(lambda: _summaries_query(Supervisor.objects.all()))
_ONE_SUMMARY = Statement(
    lambda supervisor_id: _summaries_query(Supervisor.objects.filter(supervisor_id=supervisor_id)),
    supervisor_id=uuid.UUID("00000000-0000-4000-8000-00000000f00d"),
)


def supervisor_summaries(supervisor_id: uuid.UUID | None = None) -> list[SupervisorSummary]:
    """Every Supervisor (or the one asked for) with its cluster's capacity and usage, as the
    cluster's Summary tab counts them (VMs plus host overhead; datastores its hosts mount):
    one query, however many Supervisors, hosts and VMs."""
    if supervisor_id is None:
        rows = _ALL_SUMMARIES.rows()
    else:
        rows = _ONE_SUMMARY.rows(supervisor_id=supervisor_id)
    n, m = len(_SUPERVISOR_FIELDS), len(_CLUSTER_FIELDS)
    summaries = []
    for row in rows:
        sup = Supervisor.from_db(connection.alias, _SUPERVISOR_FIELDS, row[:n])
        sup.cluster = Cluster.from_db(connection.alias, _CLUSTER_FIELDS, row[n : n + m])
        cpu, memory, cpu_over, memory_over, cpu_used, memory_used, capacity, other, disks = row[
            n + m :
        ]
        stats = SupervisorStats(
            cpu_used=cpu_used + cpu_over,
            cpu_capacity=cpu,
            memory_used=memory_used + memory_over,
            memory_capacity=memory,
            storage_used=other + disks,
            storage_capacity=capacity,
        )
        summaries.append(SupervisorSummary(sup, stats))
    return summaries


def supervisor_summary(supervisor_id: uuid.UUID) -> SupervisorSummary:
    found = supervisor_summaries(supervisor_id)
    if not found:
        raise Http404(f"Supervisor {supervisor_id} was not found.")
    return found[0]


def supervisor_for_cluster(moid: str) -> Supervisor:
    """The Supervisor enabled on the cluster `moid` (the 7.0-style API names it so)."""
    sup = Supervisor.objects.select_related("cluster").filter(cluster__moid=moid).first()
    if sup is None:
        raise Http404(f"Cluster {moid} was not found or has no Supervisor.")
    return sup


def supervisor_by_id(supervisor_id: uuid.UUID) -> Supervisor:
    sup = Supervisor.objects.select_related("cluster").filter(supervisor_id=supervisor_id).first()
    if sup is None:
        raise Http404(f"Supervisor {supervisor_id} was not found.")
    return sup


# ---------------------------------------------------------------- namespace self-service


def _templates():
    return NamespaceSelfService.objects.select_related("supervisor__cluster", "task")


def namespace_template(supervisor: Supervisor) -> NamespaceSelfService | None:
    """The Supervisor's namespace template with its VM classes and libraries, or None."""
    return (
        _templates()
        .prefetch_related(
            Prefetch("vm_classes", VirtualMachineClass.objects.order_by("name")),
            "content_libraries",
        )
        .filter(supervisor=supervisor)
        .first()
    )


def namespace_services() -> list[tuple[Supervisor, NamespaceSelfService | None]]:
    """Every Supervisor with its template, if any (NamespaceSelfService.list): two queries."""
    templates = {t.supervisor_id: t for t in _templates()}
    sups = Supervisor.objects.select_related("cluster").order_by("name")
    return [(s, templates.get(s.pk)) for s in sups]


# ---------------------------------------------------------------- namespaces


SUMMARY_COLUMNS = (
    "name",
    "description",
    "config_status",
    "supervisor__supervisor_id",
    "supervisor__cluster__moid",
    "self_service",
)


# Every namespace (a user whose vCenter role lets it see them all) and the usage of every
# Supervisor's namespaces: two statements compiled once.
_EVERY_SUMMARY = Statement(
    lambda: Namespace.objects.order_by("name").values_list(
        *SUMMARY_COLUMNS, "supervisor__cluster_id"
    )
)
_EVERY_USAGE = Statement(
    lambda: usage_rows(Supervisor.objects.values("cluster_id")).values_list(
        "resource_pool__cluster", "ns", "cpu", "memory", "disk"
    )
)


def namespace_summaries(user) -> list[tuple]:
    """Every namespace the user may see (Namespaces.Instances.Summary), by name: a tuple of
    SUMMARY_COLUMNS and its usage (cpu MHz, memory MiB, storage MiB). Two queries (the rows with
    their Supervisors' ids, one grouped usage sum), plus the user's groups for a user without a
    vCenter role: model instances for 200 namespaces were most of the list's time."""
    visible = namespaces_visible_to(user, Namespace.objects.all())
    if not visible.query.has_filters():  # every namespace
        rows = _EVERY_SUMMARY.rows()
        usage = {(c, ns): (cpu, mem, disk) for c, ns, cpu, mem, disk in _EVERY_USAGE.rows()}
    else:
        rows = list(
            visible.order_by("name").values_list(*SUMMARY_COLUMNS, "supervisor__cluster_id")
        )
        usage = {
            key: (r["cpu"], r["memory"], r["disk"])
            for key, r in usage_by_namespace({row[-1] for row in rows}).items()
        }
    found = []
    for *columns, cluster in rows:
        cpu, memory, disk = usage.get((cluster, columns[0]), (0, 0, 0))
        found.append((*columns, cpu or 0, memory or 0, disk or 0))
    return found


def namespace_info(user, name: str) -> Namespace:
    """The namespace with its usage, access list, storage, VM classes and libraries loaded
    (Namespaces.Instances.Info); 404 when the user holds no role in it."""
    ns = Namespace.objects.select_related("supervisor__cluster", "task").filter(name=name).first()
    if ns is None or namespace_role(user, ns) is None:
        raise Http404(f"Namespace {name} was not found.")
    attach_usage([ns])
    prefetch_related_objects(
        [ns],
        "access",
        Prefetch("storage", NamespaceStorage.objects.select_related("policy")),
        Prefetch("vm_classes", VirtualMachineClass.objects.order_by("name")),
        "content_libraries",
    )
    return ns


def namespace_access_entry(
    namespace: Namespace, *, subject_type: str, domain: str, subject: str
) -> NamespaceAccess:
    """One entry of the access list; user names compare case-insensitively, as SSO does."""
    entries = NamespaceAccess.objects.filter(
        namespace=namespace, subject_type=subject_type, domain__iexact=domain
    )
    if subject_type == NamespaceAccess.SubjectType.USER:
        entries = entries.filter(subject__iexact=subject)
    else:
        entries = entries.filter(subject=subject)
    entry = entries.first()
    if entry is None:
        raise Http404(f"{subject}@{domain} holds no role in namespace {namespace.name}.")
    return entry


# ---------------------------------------------------------------- VM classes


def _vm_classes() -> QuerySet:
    return VirtualMachineClass.objects.prefetch_related(
        Prefetch("namespaces", Namespace.objects.order_by("name"))
    ).order_by("name")


def vm_class_infos() -> list[VirtualMachineClass]:
    """Every VM class with the namespaces it is associated with: two queries."""
    return list(_vm_classes())


def vm_class_info(name: str) -> VirtualMachineClass:
    vm_class = _vm_classes().filter(name=name).first()
    if vm_class is None:
        raise Http404(f"VM class {name} was not found.")
    return vm_class
