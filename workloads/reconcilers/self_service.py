"""The namespace self-service reconciler: the service's pods on the Supervisor take a moment to
take a new template or go; then the status is RUNNING (activated) or DEACTIVATED, and the task
that asked finishes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from inventory.tasklog import task_finish, task_progress, tasks_changed
from workloads.models import NamespaceSelfService, Supervisor
from workloads.reconcilers.common import lock_if_due, sim

Status = NamespaceSelfService.Status


def self_service_reconcile(pk: int, *, now: datetime | None = None) -> float | None:
    """One pass: the first (CONFIGURING or REMOVING) waits one namespace step, the next
    settles. Twice settled changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        service = lock_if_due(
            NamespaceSelfService.objects.select_related("supervisor", "task"), pk, now
        )
        if service is None:
            return None
        wanted = Status.RUNNING if service.activated else Status.DEACTIVATED
        if service.activated and service.supervisor.config_status != (
            Supervisor.ConfigStatus.RUNNING
        ):
            wanted = Status.CONFIGURING  # the service runs on the Supervisor: wait for it
        started = service.task.started_at if service.task else None
        if service.task and not service.task.is_finished and started is None:
            task_progress(service.task, progress=50, stage="Configuring namespace service", now=now)
            service.next_reconcile_at = now + timedelta(seconds=sim("namespace_step"))
            service.save(update_fields=["next_reconcile_at"])
            return sim("namespace_step")
        if wanted == Status.CONFIGURING:
            service.next_reconcile_at = now + timedelta(seconds=sim("retry_after_error"))
            service.save(update_fields=["next_reconcile_at"])
            return None  # beat retries once the Supervisor runs
        service.status = wanted
        service.observed_generation = service.generation
        service.next_reconcile_at = None
        service.save(update_fields=["status", "observed_generation", "next_reconcile_at"])
        if service.task and not service.task.is_finished:
            task_finish(service.task, now=now)
        else:
            tasks_changed()
        return None


def self_service_due(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        NamespaceSelfService.objects.filter(next_reconcile_at__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
