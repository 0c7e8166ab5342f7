"""Reads for the Automation API (vapi/): the Automation API's Summary and Info shapes
need usage, access lists and class names in one go. Each function makes a fixed number of
queries, however many namespaces, entries or classes there are."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet, Sum, prefetch_related_objects
from django.http import Http404

from inventory.models import Datastore, Host, VirtualMachine
from workloads.access import namespace_role, namespaces_visible_to
from workloads.models import (
    Namespace,
    NamespaceAccess,
    NamespaceSelfService,
    NamespaceStorage,
    Supervisor,
    VirtualMachineClass,
)
from workloads.selectors.namespaces import attach_usage, usage_by_namespace

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


def supervisor_summaries(supervisor_id: uuid.UUID | None = None) -> list[SupervisorSummary]:
    """Every Supervisor (or the one asked for) with its cluster's capacity and usage, as the
    cluster's Summary tab counts them (VMs plus host overhead; datastores its hosts mount):
    six queries, however many Supervisors, hosts and VMs."""
    rows = Supervisor.objects.select_related("cluster").order_by("name")
    if supervisor_id is not None:
        rows = rows.filter(supervisor_id=supervisor_id)
    sups = list(rows)
    if not sups:
        return []
    clusters = [s.cluster_id for s in sups]
    hosts = {
        r["cluster"]: r
        for r in Host.objects.filter(cluster__in=clusters)
        .order_by()
        .values("cluster")
        .annotate(
            cpu=Sum(F("cpu_cores") * F("cpu_mhz")),
            memory=Sum("memory_mib"),
            cpu_overhead=Sum("overhead_cpu_mhz"),
            memory_overhead=Sum("overhead_memory_mib"),
        )
    }
    vms = {
        r["host__cluster"]: r
        for r in VirtualMachine.objects.filter(host__cluster__in=clusters)
        .order_by()
        .values("host__cluster")
        .annotate(cpu=Sum("cpu_usage_mhz"), memory=Sum("memory_usage_mib"))
    }
    mounted = set(
        Host.datastores.through.objects.filter(host__cluster__in=clusters)
        .order_by()
        .values_list("host__cluster", "datastore_id")
        .distinct()
    )
    datastore_ids = {d for _, d in mounted}
    datastores = {
        d["pk"]: d
        for d in Datastore.objects.filter(pk__in=datastore_ids).values(
            "pk", "capacity_mib", "other_used_mib"
        )
    }
    disks = dict(
        VirtualMachine.objects.filter(datastore__in=datastore_ids)
        .order_by()
        .values("datastore")
        .annotate(total=Sum("disk_mib"))
        .values_list("datastore", "total")
    )
    summaries = []
    for sup in sups:
        h, v = hosts.get(sup.cluster_id, {}), vms.get(sup.cluster_id, {})
        own = [datastores[d] for c, d in mounted if c == sup.cluster_id and d in datastores]
        stats = SupervisorStats(
            cpu_used=(v.get("cpu") or 0) + (h.get("cpu_overhead") or 0),
            cpu_capacity=h.get("cpu") or 0,
            memory_used=(v.get("memory") or 0) + (h.get("memory_overhead") or 0),
            memory_capacity=h.get("memory") or 0,
            storage_used=sum(d["other_used_mib"] + (disks.get(d["pk"]) or 0) for d in own),
            storage_capacity=sum(d["capacity_mib"] for d in own),
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


def namespace_summaries(user) -> list[tuple]:
    """Every namespace the user may see (Namespaces.Instances.Summary), by name: a tuple of
    SUMMARY_COLUMNS and its usage (cpu MHz, memory MiB, storage MiB). Two queries (the rows with
    their Supervisors' ids, one grouped usage sum), plus the user's groups for a user without a
    vCenter role: model instances for 200 namespaces were most of the list's time."""
    rows = list(
        namespaces_visible_to(user, Namespace.objects.all())
        .order_by("name")
        .values_list(*SUMMARY_COLUMNS, "supervisor__cluster_id")
    )
    usage = usage_by_namespace({row[-1] for row in rows})
    found = []
    for *columns, cluster in rows:
        used = usage.get((cluster, columns[0]), {})
        found.append(
            (*columns, used.get("cpu") or 0, used.get("memory") or 0, used.get("disk") or 0)
        )
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
