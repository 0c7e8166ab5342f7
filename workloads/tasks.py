"""Celery wrappers for the Workload Management reconcilers: load by id, one pass, requeue."""

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


@shared_task(acks_late=True)
def cluster_reconcile_task(cluster_pk: int) -> None:
    wait = reconcilers.cluster_reconcile(cluster_pk)
    if wait is not None:
        cluster_reconcile_task.apply_async((cluster_pk,), countdown=wait)


@shared_task(acks_late=True)
def self_service_reconcile_task(self_service_pk: int) -> None:
    wait = reconcilers.self_service_reconcile(self_service_pk)
    if wait is not None:
        self_service_reconcile_task.apply_async((self_service_pk,), countdown=wait)


@shared_task
def supervisors_resync_task() -> int:
    """Beat: re-enqueue Supervisors, vSphere Namespaces and VKS clusters whose next pass is
    overdue (a lost message, a dead worker, an error waiting to be retried)."""
    due = [
        (supervisor_reconcile_task, reconcilers.supervisors_due()),
        (namespace_reconcile_task, reconcilers.namespaces_due()),
        (cluster_reconcile_task, reconcilers.clusters_due()),
        (self_service_reconcile_task, reconcilers.self_service_due()),
    ]
    for task, pks in due:
        for pk in pks:
            task.delay(pk)
    return sum(len(pks) for _, pks in due)
