"""Celery wrappers: load by id, run one pass, requeue. The rules live in operations.py."""

from __future__ import annotations

from celery import shared_task

from inventory import operations


@shared_task(acks_late=True)
def task_run_task(task_id: int) -> None:
    wait = operations.task_step(task_id)
    if wait is not None:
        task_run_task.apply_async((task_id,), countdown=wait)


@shared_task
def tasks_resync_task() -> int:
    """Beat: re-enqueue unfinished tasks whose next pass is overdue (lost message, dead worker)."""
    due = operations.tasks_due()
    for task_id in due:
        task_run_task.delay(task_id)
    return len(due)
