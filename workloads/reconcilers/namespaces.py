"""The vSphere Namespace reconciler: the namespace's resource pool and VM folder under the
Supervisor's `Namespaces`, with the CPU and memory limits of its spec; removal in reverse."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from inventory.models import Folder, ResourcePool
from inventory.tasklog import event_log, task_finish, task_progress, tasks_changed
from workloads.models import Namespace, Supervisor
from workloads.reconcilers.common import (
    NAMESPACES,
    create_pool,
    create_vm_folder,
    lock_if_due,
    sim,
)
from workloads.reconcilers.supervisors import namespaces_folder, namespaces_pool
from workloads.targets import namespace_target

UNLIMITED = -1  # a resource pool's "no limit"


def namespace_pool(ns: Namespace) -> ResourcePool | None:
    return ResourcePool.objects.filter(
        cluster=ns.supervisor.cluster_id, parent__name=NAMESPACES, name=ns.name
    ).first()


def namespace_folder(ns: Namespace) -> Folder | None:
    return Folder.objects.filter(
        datacenter=ns.supervisor.cluster.datacenter_id, parent__name=NAMESPACES, name=ns.name
    ).first()


def _limits(ns: Namespace) -> tuple[int, int]:
    """The pool limits the spec asks for: the namespace's CPU (MHz) and memory (MiB) limits."""
    cpu = ns.cpu_limit_mhz if ns.cpu_limit_mhz is not None else UNLIMITED
    memory = ns.memory_limit_mib if ns.memory_limit_mib is not None else UNLIMITED
    return cpu, memory


def _remove_step(ns: Namespace) -> tuple[str, int] | None:
    """Remove the pool, then the folder. Returns what was done and the task's percent."""
    pool, folder = namespace_pool(ns), namespace_folder(ns)
    if pool is not None:
        pool.delete()
        return f"Removed resource pool {ns.name}.", 50
    if folder is not None:
        folder.delete()
        return f"Removed folder {ns.name}.", 90
    return None


def _configure_step(ns: Namespace) -> tuple[str, int] | None:
    """Create the pool, then the folder, then bring the pool's limits to the spec's."""
    sup = ns.supervisor
    pool = namespace_pool(ns)
    if pool is None:
        cpu, memory = _limits(ns)
        create_pool(namespaces_pool(sup), ns.name, cpu_limit_mhz=cpu, memory_limit_mib=memory)
        return f"Created resource pool {ns.name}.", 33
    if namespace_folder(ns) is None:
        create_vm_folder(sup.cluster.datacenter_id, namespaces_folder(sup), ns.name)
        return f"Created folder {ns.name}.", 66
    if (pool.cpu_limit_mhz, pool.memory_limit_mib) != _limits(ns):
        pool.cpu_limit_mhz, pool.memory_limit_mib = _limits(ns)
        pool.save(update_fields=["cpu_limit_mhz", "memory_limit_mib"])
        return f"Applied resource limits to {ns.name}.", 90
    return None


def namespace_reconcile(namespace_pk: int, *, now: datetime | None = None) -> float | None:
    """One pass over a vSphere Namespace; same contract as `supervisor_reconcile`."""
    now = now or timezone.now()
    with transaction.atomic():
        ns = lock_if_due(
            Namespace.objects.select_related("supervisor__cluster", "task"), namespace_pk, now
        )
        if ns is None:
            return None
        if not ns.is_deleting and ns.supervisor.config_status != Supervisor.ConfigStatus.RUNNING:
            ns.next_reconcile_at = now + timedelta(seconds=sim("retry_after_error"))
            ns.save(update_fields=["next_reconcile_at"])
            return None  # beat retries once the Supervisor runs
        done = _remove_step(ns) if ns.is_deleting else _configure_step(ns)
        if done is None and ns.is_deleting:
            return _removed(ns, now)
        wait = sim("namespace_step") if done else None
        ns.config_status = (
            Namespace.ConfigStatus.REMOVING
            if ns.is_deleting
            else Namespace.ConfigStatus.CONFIGURING
            if done
            else Namespace.ConfigStatus.RUNNING
        )
        ns.next_reconcile_at = now + timedelta(seconds=wait) if wait is not None else None
        if done is None:
            ns.observed_generation = ns.generation
        ns.save()
        if ns.task and not ns.task.is_finished:
            if done is None:
                task_finish(ns.task, now=now)
            else:
                task_progress(ns.task, progress=done[1], stage=done[0], now=now)
        else:
            tasks_changed()  # namespace pages poll the same stamp
        return wait


def _removed(ns: Namespace, now: datetime) -> None:
    task, name, target = ns.task, ns.name, namespace_target(ns)
    ns.delete()
    if task and not task.is_finished:
        task_finish(task, now=now)
    event_log(
        event_type="com.vmware.wcp.NamespaceRemoved",
        message=f"Namespace {name} was removed.",
        entity=target,
    )
    return None


def namespaces_due(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Namespace.objects.filter(next_reconcile_at__lte=now).values_list("pk", flat=True)[:500]
    )
