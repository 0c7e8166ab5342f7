"""Celery wrappers for the Supervisor reconciler: load by id, one pass, requeue."""

from __future__ import annotations

from celery import shared_task

from workloads import reconcilers


@shared_task(acks_late=True)
def supervisor_reconcile_task(supervisor_pk: int) -> None:
    wait = reconcilers.supervisor_reconcile(supervisor_pk)
    if wait is not None:
        supervisor_reconcile_task.apply_async((supervisor_pk,), countdown=wait)


@shared_task(acks_late=True)
def namespace_reconcile_task(namespace_pk: int) -> None:
    wait = reconcilers.namespace_reconcile(namespace_pk)
    if wait is not None:
        namespace_reconcile_task.apply_async((namespace_pk,), countdown=wait)


@shared_task
def supervisors_resync_task() -> int:
    """Beat: re-enqueue Supervisors and vSphere Namespaces whose next pass is overdue."""
    supervisors, namespaces = reconcilers.supervisors_due(), reconcilers.namespaces_due()
    for pk in supervisors:
        supervisor_reconcile_task.delay(pk)
    for pk in namespaces:
        namespace_reconcile_task.delay(pk)
    return len(supervisors) + len(namespaces)
