"""What every reconciler shares: simulated step durations, the per-object pass lock, and the
error a step raises when the environment cannot satisfy the spec."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

NAMESPACES = "Namespaces"  # the Supervisor's resource pool and VM folder
# Real-world seconds per step (VKS-REFERENCE §4: enablement takes 20-40 minutes), / VKS_SIM_SPEED.
DURATION = {
    "infrastructure": 120,
    "deploy_vm": 240,
    "configure_vm": 120,
    "load_balancer": 180,
    "host": 60,
    "retry_after_error": 60,
    "remove_step": 30,
    "namespace_step": 15,
    "vks_node": 60,  # create a VKS node VM, or boot it (VKS-REFERENCE §2.3: ~5 min a cluster)
    "vks_node_delete": 20,
}


class StepFailed(Exception):
    """The environment cannot satisfy the spec: the stage's condition goes False with this
    reason and message, Config Status becomes ERROR, and a later pass retries."""

    def __init__(self, stage: str, reason: str, message: str):
        super().__init__(message)
        self.stage, self.reason, self.message = stage, reason, message


def sim(key: str) -> float:
    return DURATION[key] / settings.VKS_SIM_SPEED


def lock_if_due(queryset, pk: int, now: datetime):
    """The row, locked for this pass (two deliveries take turns), or None when it is gone or its
    next pass is not due yet: an early duplicate, whose successor is already queued."""
    # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of the task's outer join; the
    # object's own row is the lock that serialises passes.
    obj = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
    if obj is None or (obj.next_reconcile_at and obj.next_reconcile_at > now):
        return None
    return obj
