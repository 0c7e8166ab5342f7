"""Workload Management operations: check permission, validate the spec, write it, open the
vCenter Task, and hand the work to the reconciler once the transaction commits."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import Cluster
from inventory.permissions import Privilege, require
from inventory.tasklog import event_log, task_finish, task_open
from vksportal.errors import DomainError, ErrorKind
from workloads import status
from workloads.models import Supervisor
from workloads.specs import SpecError, clean_spec, section_raw
from workloads.tasks import supervisor_reconcile_task

# Sections an administrator may change on an existing Supervisor (Configure tab).
EDITABLE = ("load_balancer", "management_network", "workload_network")


class SupervisorStateError(DomainError):
    """The Supervisor is not in a state that allows the operation."""

    kind = ErrorKind.NOT_ALLOWED_IN_CURRENT_STATE


def _enqueue(sup: Supervisor) -> None:
    supervisor_reconcile_task.delay_on_commit(sup.pk)


def _open_task(sup: Supervisor, name: str, description_id: str, user) -> None:
    """Attach a task, unless one is still running: the latest spec is picked up by it."""
    if sup.task is not None and not sup.task.is_finished:
        return
    sup.task = task_open(
        name=name,
        description_id=description_id,
        operation="supervisor.reconcile",
        target=sup.cluster,
        user=user,
    )


@transaction.atomic
def supervisor_enable(*, spec: dict[str, dict], user) -> Supervisor:
    """Validate every section (raises SpecError with field messages) and create the Supervisor;
    nothing is written when anything is wrong."""
    require(user, Privilege.NAMESPACES_MANAGE)
    cleaned = clean_spec(spec)
    cluster = (
        Cluster.objects.select_related("datacenter")
        .select_for_update(of=("self",))
        .get(moid=cleaned["placement"]["cluster"])
    )
    if Supervisor.objects.filter(cluster=cluster).exists():  # lost a race with another admin
        raise SpecError({"placement.cluster": f"{cluster.name} is already a Supervisor."})
    now = timezone.now()
    sup = Supervisor(
        supervisor_id=uuid.uuid4(),
        name=cleaned["placement"]["name"],
        cluster=cluster,
        spec=cleaned,
        conditions=status.initial_conditions(now),
        next_reconcile_at=now,
    )
    _open_task(sup, "Enable Supervisor", "com.vmware.wcp.EnableSupervisor", user)
    sup.save()
    event_log(
        event_type="com.vmware.wcp.SupervisorEnableRequested",
        message=f"Workload Management enable requested on {cluster.name} as {sup.name}",
        entity=cluster,
        user=user,
    )
    _enqueue(sup)
    return sup


@transaction.atomic
def supervisor_update(*, supervisor: Supervisor, section: str, values: dict, user) -> Supervisor:
    """Change one editable section; the reconciler applies it (and recovers from ERROR)."""
    require(user, Privilege.NAMESPACES_MANAGE)
    if section not in EDITABLE:
        raise SpecError({section: "This setting cannot be changed after enablement."})
    sup = (
        Supervisor.objects.select_for_update(of=("self",))
        .select_related("cluster__datacenter", "task")
        .get(pk=supervisor.pk)
    )
    if sup.is_deleting:
        raise SupervisorStateError(f"Supervisor {sup.name} is being disabled.")
    raw = _raw_from_spec(sup.spec)
    raw[section] = values
    cleaned = clean_spec(raw, exclude_pk=sup.pk)
    if cleaned == sup.spec:
        return sup
    sup.spec = cleaned
    sup.generation = F("generation") + 1
    sup.next_reconcile_at = timezone.now()
    _open_task(sup, "Reconfigure Supervisor", "com.vmware.wcp.UpdateSupervisor", user)
    sup.save()
    sup.refresh_from_db(fields=["generation"])
    event_log(
        event_type="com.vmware.wcp.SupervisorUpdated",
        message=f"Supervisor {sup.name}: {section.replace('_', ' ')} settings changed",
        entity=sup.cluster,
        user=user,
    )
    _enqueue(sup)
    return sup


@transaction.atomic
def supervisor_disable(*, supervisor: Supervisor, user) -> Supervisor:
    """Ask for removal: REMOVING, then control plane VMs, Spherelet and the Namespaces pool go
    step by step, the row last. Refused while vSphere Namespaces exist."""
    require(user, Privilege.NAMESPACES_MANAGE)
    sup = (
        Supervisor.objects.select_for_update(of=("self",))
        .select_related("cluster__datacenter", "task")
        .get(pk=supervisor.pk)
    )
    if sup.is_deleting:
        return sup
    namespaces = _namespace_names(sup)
    if namespaces:
        raise SupervisorStateError(
            f"Supervisor {sup.name} still has vSphere Namespaces: {', '.join(namespaces)}. "
            "Delete them first."
        )
    now = timezone.now()
    sup.deletion_requested_at = now
    sup.generation = F("generation") + 1
    sup.next_reconcile_at = now
    sup.config_status = Supervisor.ConfigStatus.REMOVING  # shown at once; the reconciler agrees
    if sup.task is not None and not sup.task.is_finished:
        task_finish(sup.task, now=now, error="The operation was canceled by Disable Supervisor.")
    _open_task(sup, "Disable Supervisor", "com.vmware.wcp.DisableSupervisor", user)
    sup.save()
    event_log(
        event_type="com.vmware.wcp.SupervisorDisableRequested",
        message=f"Workload Management disable requested on {sup.cluster.name}",
        entity=sup.cluster,
        user=user,
    )
    _enqueue(sup)
    return sup


def _namespace_names(sup: Supervisor) -> list[str]:
    return sorted(sup.namespaces.values_list("name", flat=True))


def _raw_from_spec(spec: dict) -> dict[str, dict]:
    """A stored spec back into the raw form the cleaners take."""
    raw = {section: section_raw(values) for section, values in spec.items()}
    raw["load_balancer"]["password"] = "unchanged"  # never stored, never asked again
    return raw
