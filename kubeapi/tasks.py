"""Celery wrappers for the Kubernetes API."""

from __future__ import annotations

from celery import shared_task

from kubeapi import changes


@shared_task
def changes_prune_task() -> int:
    """Beat, every minute: keep the change log to its horizon (kubeapi.changes.prune)."""
    return changes.prune()
