"""vCenter Tasks and Events: opening, progressing and finishing them, and the version stamp that
lets the Recent Tasks pane answer "nothing new" without touching the database."""

from __future__ import annotations

import uuid
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


def entity_scope(entity: ManagedEntity) -> dict[str, str]:
    """Target fields for a task or event, with the datacenter, cluster and host it lives in.

    Callers pass objects loaded with select_related for their parents, so this adds no query.
    """
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
    target: ManagedEntity,
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
    entity: ManagedEntity,
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


def active_task_for(entity: ManagedEntity) -> Task | None:
    return Task.objects.filter(target_moid=entity.moid, state__in=Task.UNFINISHED).first()
