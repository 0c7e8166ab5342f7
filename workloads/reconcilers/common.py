"""What every reconciler shares: simulated step durations, the per-object pass lock, and the
error a step raises when the environment cannot satisfy the spec."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from inventory.models import Folder, ResourcePool

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


def create_pool(parent: ResourcePool, name: str, **limits) -> ResourcePool:
    """A child resource pool of `parent`, with its managed object ID."""
    pool = ResourcePool(cluster_id=parent.cluster_id, parent=parent, name=name, **limits)
    pool.assign_moid()
    pool.save()
    return pool


def create_vm_folder(datacenter_id: int, parent: Folder, name: str) -> Folder:
    """A child VM folder of `parent`, with its managed object ID."""
    folder = Folder(datacenter_id=datacenter_id, kind=Folder.Kind.VM, parent=parent, name=name)
    folder.moid = Folder.new_moids(1)[0]
    folder.save()
    return folder


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


def run_pass(
    queryset,
    pk: int,
    now: datetime,
    *,
    step: Callable,
    failed: Callable,
    finished: Callable,
) -> float | None:
    """One pass over an object with a crash-loop guard (`attempts`): under its row lock, run
    `step(obj)` in a savepoint; a StepFailed goes to `failed(obj, error)`, any other error backs
    off `next_reconcile_at` in the database and is raised once that is committed; otherwise
    `finished(obj, result)`. Returns seconds until the next pass, or None when this message
    needs no successor (converged, gone, or an early duplicate)."""
    failure: Exception | None = None
    with transaction.atomic():
        obj = lock_if_due(queryset, pk, now)
        if obj is None:
            return None
        try:
            with transaction.atomic():  # the step's inventory writes, undone if it fails
                result = step(obj)
        except StepFailed as error:
            return failed(obj, error)
        except Exception as error:
            obj.attempts += 1
            obj.next_reconcile_at = now + timedelta(seconds=2 ** min(obj.attempts, 8))
            obj.save(update_fields=["attempts", "next_reconcile_at"])
            failure = error
        else:
            return finished(obj, result)
    raise failure
