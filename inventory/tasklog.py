"""vCenter Tasks and Events: opening, progressing and finishing them, and the version stamp that
lets the Recent Tasks pane answer "nothing new" without touching the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from inventory.models import (
    Cluster,
    Datacenter,
    Event,
    Host,
    ManagedEntity,
    Task,
    VirtualMachine,
    moid_numbers,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

SSO_DOMAIN = "vsphere.local"
TASKS_VERSION_KEY = "vks:tasks-version"


def sso_principal(user: AbstractBaseUser | None) -> str:
    """`Administrator@vsphere.local` -> `VSPHERE.LOCAL\\Administrator`, as vCenter shows users."""
    if user is None:
        return "com.vmware.vim.eam"  # the system: DRS, HA, agents
    name, _, domain = user.get_username().partition("@")
    return f"{(domain or SSO_DOMAIN).upper()}\\{name}"


@dataclass(frozen=True)
class Target:
    """What a task or event is about when that is not an inventory object: a vSphere Namespace
    or a VKS cluster. `TYPE` and `moid` name it as the APIs do (a CIS task's target is a type
    and an id); `within` is the inventory object it lives in, whose Monitor tabs list it."""

    TYPE: str
    moid: str
    name: str
    within: ManagedEntity
    namespace: str = ""  # the vSphere Namespace it belongs to, whose roles grant sight of it


def entity_scope(entity: ManagedEntity | Target) -> dict[str, str]:
    """Target fields for a task or event, with the datacenter, cluster and host it lives in.

    Callers pass objects loaded with select_related for their parents, so this adds no query.
    """
    if isinstance(entity, Target):
        within = entity_scope(entity.within)
        return {
            **within,
            "target_moid": entity.moid,
            "target_name": entity.name,
            "target_type": entity.TYPE,
            "scope_namespace": entity.namespace,
        }
    scope = {
        "target_moid": entity.moid,
        "target_name": entity.name,
        "target_type": entity.TYPE,
        "datacenter_moid": "",
        "cluster_moid": "",
        "host_moid": "",
    }
    if isinstance(entity, VirtualMachine):
        entity = entity.host
        scope["host_moid"] = entity.moid
    if isinstance(entity, Host):
        scope["host_moid"] = entity.moid
        entity = entity.cluster
    if isinstance(entity, Cluster):
        scope["cluster_moid"] = entity.moid
        entity = entity.datacenter
    if isinstance(entity, Datacenter):
        scope["datacenter_moid"] = entity.moid
    elif hasattr(entity, "datacenter"):
        scope["datacenter_moid"] = entity.datacenter.moid
    return scope


def tasks_version() -> str:
    """An opaque stamp that changes whenever any task changes (shared cache: web and workers)."""
    version = cache.get(TASKS_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(TASKS_VERSION_KEY, version, timeout=None)
        version = cache.get(TASKS_VERSION_KEY, version)
    return version


def tasks_changed() -> None:
    """Bump the stamp once the change is committed, so a poll never sees the stamp first."""
    transaction.on_commit(lambda: cache.set(TASKS_VERSION_KEY, uuid.uuid4().hex, timeout=None))


def task_open(
    *,
    name: str,
    description_id: str,
    operation: str,
    target: ManagedEntity | Target,
    user: AbstractBaseUser | None,
    params: dict | None = None,
) -> Task:
    """Queue a task; the engine picks it up once the caller's transaction commits."""
    now = timezone.now()
    task = Task.objects.create(
        key=f"task-{moid_numbers(1)[0]}",
        name=name,
        description_id=description_id,
        operation=operation,
        params=params or {},
        initiator=sso_principal(user),
        user=user,
        queued_at=now,
        next_run_at=now,
        **entity_scope(target),
    )
    event_log(
        event_type="TaskEvent",
        message=f"Task: {name}",
        entity=target,
        user=user,
        task=task,
    )
    tasks_changed()
    return task


def event_log(
    *,
    event_type: str,
    message: str,
    entity: ManagedEntity | Target,
    user: AbstractBaseUser | None = None,
    severity: str = Event.Severity.INFO,
    task: Task | None = None,
) -> Event:
    return Event.objects.create(
        event_type=event_type,
        severity=severity,
        message=message,
        user_name=sso_principal(user) if user else "",
        task=task,
        created_at=timezone.now(),
        **entity_scope(entity),
    )


SCOPE_FIELDS = (
    "target_moid",
    "target_name",
    "target_type",
    "datacenter_moid",
    "cluster_moid",
    "host_moid",
    "scope_namespace",
)


def task_progress(task: Task, *, progress: int, stage: str, now: datetime | None = None) -> None:
    """Running, at `progress` percent (never lower than before), doing `stage`."""
    if task.state == Task.State.QUEUED:
        task.state, task.started_at = Task.State.RUNNING, now or timezone.now()
    task.progress = max(task.progress, progress)
    task.stage = stage
    task.save()
    tasks_changed()


def task_finish(task: Task, *, now: datetime | None = None, error: str = "") -> None:
    """Completed, or failed with `error` (also logged as an error event on the task's target)."""
    now = now or timezone.now()
    task.state = Task.State.ERROR if error else Task.State.SUCCESS
    task.started_at = task.started_at or now
    task.error = error
    task.progress = task.progress if error else 100
    task.stage = ""
    task.completed_at = now
    task.next_run_at = None
    task.save()
    if error:
        Event.objects.create(
            event_type="TaskEvent",
            severity=Event.Severity.ERROR,
            message=f"Task: {task.name} failed: {error}",
            task=task,
            created_at=now,
            **{name: getattr(task, name) for name in SCOPE_FIELDS},
        )
    tasks_changed()


def active_task_for(entity: ManagedEntity) -> Task | None:
    return Task.objects.filter(target_moid=entity.moid, state__in=Task.UNFINISHED).first()
