"""Celery wrappers for the Supervisor reconciler: load by id, one pass, requeue."""

from __future__ import annotations

from celery import shared_task

from workloads import reconcilers


@shared_task(acks_late=True)
def supervisor_reconcile_task(supervisor_pk: int) -> None:
    wait = reconcilers.supervisor_reconcile(supervisor_pk)
    if wait is not None:
        supervisor_reconcile_task.apply_async((supervisor_pk,), countdown=wait)


@shared_task
def supervisors_resync_task() -> int:
    """Beat: re-enqueue Supervisors whose next pass is overdue."""
    due = reconcilers.supervisors_due()
    for pk in due:
        supervisor_reconcile_task.delay(pk)
    return len(due)
