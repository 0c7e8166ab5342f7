"""VKS cluster operations for people with Can edit in the namespace: create (from the wizard or a
manifest), change (scale, node pools, upgrade, any spec edit) and delete. Each admits the spec as
the real webhooks would (nothing stored when it fails), writes it, bumps `generation`, opens the
vCenter Task and hands the work to the reconciler on commit.

Writers race: every change names the generation it was made against, and a stale one is refused
(409) instead of silently overwriting the other person's change.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory.tasklog import event_log, sso_principal, task_finish, task_open
from vksportal.errors import DomainError, ErrorKind
from workloads import admission
from workloads.access import Role, require_role
from workloads.cluster_objects import carry_change, spec_document, with_defaults
from workloads.manifests import (
    CLUSTER_KIND,
    RESOURCES,
    ClusterManifest,
    as_written,
    spec_for_update,
)
from workloads.models import Namespace, VksCluster
from workloads.specs import SpecError
from workloads.targets import cluster_target
from workloads.tasks import cluster_reconcile_task

CAPI = "cluster.x-k8s.io/v1beta1"
DEFAULT_CLASS = "builtin-generic-v3.4.0"


class ClusterStateError(DomainError):
    """The cluster (or its namespace) is not in a state that allows the operation."""

    kind = ErrorKind.NOT_ALLOWED_IN_CURRENT_STATE


class ConflictError(DomainError):
    """The change was made against an older generation of the cluster (HTTP 409)."""

    kind = ErrorKind.CONFLICT


def _conflict(cluster: VksCluster) -> ConflictError:
    resource = RESOURCES.get(cluster.kind, RESOURCES[CLUSTER_KIND])
    return ConflictError(
        f'Operation cannot be fulfilled on {resource} "{cluster.name}": the object has been '
        "modified; please apply your changes to the latest version and try again.",
        target=cluster.name,
    )


def _open_task(cluster: VksCluster, name: str, user) -> None:
    """Attach a task unless one is still running: that one carries on with the latest spec."""
    if cluster.task is not None and not cluster.task.is_finished:
        return
    cluster.task = task_open(
        name=name,
        description_id=f"com.vmware.vks.{name.title().replace(' ', '')}",
        operation="cluster.reconcile",
        target=cluster_target(cluster),
        user=user,
    )


def _what_changed(before: dict, after: dict) -> str:
    """The task name a change deserves, as people would call it."""
    if before["topology"]["version"] != after["topology"]["version"]:
        return "Upgrade VKS cluster"

    def sizes(spec):
        return [p.get("replicas") for p in spec["topology"]["nodePools"]]

    pools = [p["name"] for p in before["topology"]["nodePools"]]
    if pools == [p["name"] for p in after["topology"]["nodePools"]] and (
        sizes(before) != sizes(after)
        or before["topology"]["controlPlane"]["replicas"]
        != after["topology"]["controlPlane"]["replicas"]
    ):
        return "Scale VKS cluster"
    return "Update VKS cluster"


@transaction.atomic
def cluster_create(
    *,
    namespace: Namespace,
    name: str,
    spec: dict,
    user,
    kind: str = "Cluster",
    api_version: str = CAPI,
    cluster_class: str = DEFAULT_CLASS,
    labels: dict | None = None,
    annotations: dict | None = None,
    written: dict | None = None,
) -> VksCluster:
    """Admit and store a new cluster; the reconciler builds it node by node. A manifest's
    labels, annotations and spec as `written` are kept, for the Kubernetes API to show."""
    require_role(user, namespace, Role.EDIT)
    ns = Namespace.objects.select_for_update(of=("self",)).get(pk=namespace.pk)
    if ns.is_deleting:
        raise ClusterStateError(f"Namespace {ns.name} is being deleted.")
    if ns.observed_generation == 0:  # its resource pool does not exist yet
        raise ClusterStateError(f"Namespace {ns.name} is still being configured.")
    name = (name or "").strip()
    cluster_class = cluster_class if kind == "Cluster" else ""
    admission.admit(namespace=ns, name=name, spec=spec, kind=kind, cluster_class=cluster_class)
    now = timezone.now()
    cluster = VksCluster(
        name=name,
        namespace=ns,
        creator=sso_principal(user),
        api_version=api_version,
        kind=kind,
        cluster_class=cluster_class,
        spec=spec,
        labels=labels or {},
        annotations=annotations or {},
        manifest_spec=_as_written(kind, cluster_class, spec, written),
        next_reconcile_at=now,
    )
    _open_task(cluster, "Create VKS cluster", user)
    cluster.save()
    event_log(
        event_type="com.vmware.vks.ClusterCreated",
        message=f"VKS cluster {name} created in namespace {ns.name}",
        entity=cluster_target(cluster),
        user=user,
    )
    cluster_reconcile_task.delay_on_commit(cluster.pk)
    return cluster


def cluster_create_from_manifest(
    *, namespace: Namespace, manifest: ClusterManifest, user
) -> VksCluster:
    """Create the cluster a parsed manifest describes, keeping the form it came in (its kind,
    apiVersion and class), so it exports back the same way. Errors name the manifest's fields."""
    with _manifest_paths(manifest.kind):
        return cluster_create(
            namespace=namespace,
            name=manifest.name,
            spec=manifest.spec,
            kind=manifest.kind,
            api_version=manifest.api_version,
            cluster_class=manifest.cluster_class,
            labels=manifest.labels,
            annotations=manifest.annotations,
            written=manifest.written,
            user=user,
        )


def cluster_update_from_manifest(
    *, cluster: VksCluster, manifest: ClusterManifest, generation: int | None, user
) -> VksCluster:
    """Replace the cluster with what a manifest of its kind says, as `kubectl replace` does:
    spec, labels and annotations. Replica counts the manifest leaves out stay as they run."""
    with _manifest_paths(manifest.kind):
        return cluster_update(
            cluster=cluster,
            spec=spec_for_update(manifest, cluster.spec),
            generation=generation,
            user=user,
            written=manifest.written,
            labels=manifest.labels,
            annotations=manifest.annotations,
        )


@contextmanager
def _manifest_paths(kind: str) -> Iterator[None]:
    """Admission's errors with their fields named as a manifest of `kind` names them."""
    try:
        yield
    except SpecError as error:
        renamed = as_written(error, kind)
        if renamed is error:
            raise
        raise renamed from None


def _as_written(kind: str, cluster_class: str, spec: dict, written: dict | None) -> dict:
    """The spec the API stores: the manifest's, with the defaults of `spec` filled in; {} for
    a cluster the wizard makes (its object is built from `spec`)."""
    if written is None:
        return {}
    return with_defaults(written, spec_document(kind, cluster_class, spec))


def _lock(cluster: VksCluster) -> VksCluster:
    return (
        VksCluster.objects.select_for_update(of=("self",))
        .select_related("namespace__supervisor__cluster", "task")
        .get(pk=cluster.pk)
    )


def _require_generation(locked: VksCluster, generation: int | None) -> None:
    """A change made against an older generation is refused (409), not applied over another."""
    if generation is not None and int(generation) != locked.generation:
        raise _conflict(locked)


def _locked(cluster: VksCluster, generation: int | None) -> VksCluster:
    locked = _lock(cluster)
    if locked.is_deleting:
        raise ClusterStateError(f"VKS cluster {locked.name} is being deleted.")
    _require_generation(locked, generation)
    return locked


@transaction.atomic
def cluster_update(
    *,
    cluster: VksCluster,
    spec: dict,
    generation: int | None,
    user,
    written: dict | None = None,
    labels: dict | None = None,
    annotations: dict | None = None,
) -> VksCluster:
    """Replace the spec (admitted against the namespace, the upgrade rules included), made
    against `generation`; a no-op when nothing changes. From a manifest, the spec as `written`
    and the labels and annotations replace the stored ones; from anywhere else, the change is
    carried into the written spec so the Kubernetes API shows it too.

    A change only to fields the simulator does not model is still a spec change (generation
    bumps, a pass records it as observed) but no operation: no Task. Labels and annotations
    are metadata: they bump nothing."""
    require_role(user, cluster.namespace, Role.EDIT)
    locked = _locked(cluster, generation)
    admission.admit(
        namespace=locked.namespace,
        name=locked.name,
        spec=spec,
        kind=locked.kind,
        cluster_class=locked.cluster_class,
        existing=locked,
    )
    if written is not None:
        as_written = _as_written(locked.kind, locked.cluster_class, spec, written)
    elif locked.manifest_spec:
        before = spec_document(locked.kind, locked.cluster_class, locked.spec)
        after = spec_document(locked.kind, locked.cluster_class, spec)
        as_written = carry_change(locked.manifest_spec, before, after)
    else:
        as_written = {}
    metadata = {
        "labels": locked.labels if labels is None else labels,
        "annotations": locked.annotations if annotations is None else annotations,
    }
    spec_changed = spec != locked.spec or as_written != locked.manifest_spec
    if not spec_changed:
        if metadata != {"labels": locked.labels, "annotations": locked.annotations}:
            locked.labels, locked.annotations = metadata["labels"], metadata["annotations"]
            locked.save(update_fields=["labels", "annotations", "updated_at"])
        return locked
    operation = spec != locked.spec
    task_name = _what_changed(locked.spec, spec) if operation else "Update VKS cluster"
    locked.spec, locked.manifest_spec = spec, as_written
    locked.labels, locked.annotations = metadata["labels"], metadata["annotations"]
    locked.generation = F("generation") + 1
    locked.next_reconcile_at = timezone.now()
    if operation:
        _open_task(locked, task_name, user)
    locked.save()
    locked.refresh_from_db(fields=["generation"])
    event_log(
        event_type="com.vmware.vks.ClusterUpdated",
        message=f"VKS cluster {locked.name}: {task_name.split()[0].lower()} requested",
        entity=cluster_target(locked),
        user=user,
    )
    cluster_reconcile_task.delay_on_commit(locked.pk)
    return locked


def _pool(spec: dict, name: str) -> dict:
    pool = next((p for p in spec["topology"]["nodePools"] if p["name"] == name), None)
    if pool is None:
        raise SpecError({"nodePools": f'Node pool "{name}" does not exist in this cluster.'})
    return pool


def cluster_scale(
    *, cluster: VksCluster, pool: str, replicas, generation: int | None, user
) -> VksCluster:
    """Ask for `replicas` workers in node pool `pool` (scaling down removes the newest)."""
    spec = copy.deepcopy(cluster.spec)
    _pool(spec, pool)["replicas"] = replicas
    return cluster_update(cluster=cluster, spec=spec, generation=generation, user=user)


def cluster_nodepool_add(
    *, cluster: VksCluster, pool: dict, generation: int | None, user
) -> VksCluster:
    spec = copy.deepcopy(cluster.spec)
    spec["topology"]["nodePools"].append(pool)
    return cluster_update(cluster=cluster, spec=spec, generation=generation, user=user)


def cluster_nodepool_remove(
    *, cluster: VksCluster, pool: str, generation: int | None, user
) -> VksCluster:
    spec = copy.deepcopy(cluster.spec)
    spec["topology"]["nodePools"].remove(_pool(spec, pool))
    return cluster_update(cluster=cluster, spec=spec, generation=generation, user=user)


def cluster_upgrade(
    *, cluster: VksCluster, version: str, generation: int | None, user
) -> VksCluster:
    """Move to the next Kubernetes minor (admission refuses skips and downgrades, saying why);
    the reconciler replaces every node, control plane first."""
    spec = copy.deepcopy(cluster.spec)
    spec["topology"]["version"] = version
    return cluster_update(cluster=cluster, spec=spec, generation=generation, user=user)


@transaction.atomic
def cluster_delete(*, cluster: VksCluster, user, generation: int | None = None) -> VksCluster:
    """Ask for deletion: Deleting, workers then control plane nodes go, the row last. Made
    against `generation` (a confirm dialog's), a stale one is refused like any change."""
    require_role(user, cluster.namespace, Role.EDIT)
    locked = _lock(cluster)
    if locked.is_deleting:
        return locked
    _require_generation(locked, generation)
    now = timezone.now()
    locked.deletion_requested_at, locked.next_reconcile_at = now, now
    locked.generation = F("generation") + 1
    locked.phase = VksCluster.Phase.DELETING  # shown at once; the reconciler agrees
    if locked.task is not None and not locked.task.is_finished:
        task_finish(locked.task, now=now, error="The operation was canceled by Delete VKS cluster.")
    _open_task(locked, "Delete VKS cluster", user)
    locked.save()
    locked.refresh_from_db(fields=["generation"])
    event_log(
        event_type="com.vmware.vks.ClusterDeleteRequested",
        message=f"VKS cluster {locked.name} delete requested",
        entity=cluster_target(locked),
        user=user,
    )
    cluster_reconcile_task.delay_on_commit(locked.pk)
    return locked
