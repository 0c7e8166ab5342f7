"""The core and storage.k8s.io types of the Supervisor: namespaces, storage classes, the
clusters' kubeconfig Secrets and the namespaces' Events."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Min, Q

from inventory.models import Event, StoragePolicy, VirtualMachine
from kubeapi.supervisor.common import (
    CAPI_VERSION,
    CLUSTER_NAME_LABEL,
    NamedSource,
    QuerySource,
    array,
    boolean,
    editable_namespaces,
    integer,
    metadata,
    obj,
    owner,
    resource_schema,
    stamped,
    string,
    string_map,
    visible_namespaces,
)
from kubeapi.surface import Column, Context, ResourceType, age, object_uid, path, timestamp
from vksportal.errors import ErrorKind, FieldError
from workloads import kubeconfig as kubeconfigs
from workloads import selectors, services
from workloads.manifests import cluster_uid
from workloads.models import VksCluster
from workloads.reconcilers.clusters import control_plane_name
from workloads.reconcilers.common import NAMESPACES
from workloads.specs import SpecError, storage_class_name
from workloads.targets import CLUSTER_TYPE

# ---------------------------------------------------------------- namespaces


def _namespace_rows(ctx: Context, _namespace, name):
    return visible_namespaces(ctx, name)  # cluster-scoped: the name is the namespace


def _namespace_objects(ctx: Context, rows) -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": metadata(
                ns.name,
                uid=object_uid("Namespace", ns.pk, ns.created_at),
                created=ns.created_at,
                labels={"kubernetes.io/metadata.name": ns.name},
                deleting=ns.deletion_requested_at,
            ),
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Terminating" if ns.is_deleting else "Active"},
        }
        for ns in rows
    ]


# The API server's words for a name that is not a DNS label (apimachinery's
# validation.IsDNS1123Label).
DNS1123_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


@contextmanager
def _write(*, dry_run: bool) -> Iterator[None]:
    """The write's transaction; a dry run is rolled back once it has all been done."""
    with transaction.atomic():
        yield
        if dry_run:
            transaction.set_rollback(True)


class NamespaceWriter:
    """`kubectl create namespace` is namespace self-service: a developer the Supervisor's
    namespace template allows gets a vSphere Namespace made from it, and is its Owner; anyone
    else is Forbidden, as the Supervisor's RBAC answers. `kubectl delete namespace` is the
    Owner's (and the administrators'). A namespace's settings are vCenter's, not kubectl's."""

    def _built(self, ctx: Context, name: str) -> dict:
        return NAMESPACES_TYPE.source.get(ctx, None, name)

    def create(self, ctx: Context, namespace, body: dict, *, dry_run: bool) -> dict:
        name = (body.get("metadata") or {}).get("name") or ""
        with _write(dry_run=dry_run):
            try:
                ns = services.namespace_self_service_create(name=name, user=ctx.user)
            except SpecError as error:
                if error.kind != ErrorKind.INVALID or "name" not in error.errors:
                    raise
                field = (
                    FieldError.required("metadata.name", "name or generateName is required")
                    if not name
                    else FieldError.invalid("metadata.name", name, DNS1123_LABEL)
                )
                raise SpecError([field], target=name) from None
            return self._built(ctx, ns.name)

    def replace(self, ctx: Context, namespace, name: str, body: dict, *, dry_run: bool) -> dict:
        selectors.namespace_get(ctx.user, name)  # 404 without a role in it
        raise PermissionDenied

    def delete(self, ctx: Context, namespace, name: str, options: dict, *, dry_run: bool) -> dict:
        ns = selectors.namespace_get(ctx.user, name)  # 404 without a role in it
        with _write(dry_run=dry_run):
            services.namespace_delete(namespace=ns, user=ctx.user)
            return self._built(ctx, name)


NAMESPACE_SCHEMA = resource_schema(
    "",
    "v1",
    "Namespace",
    "A vSphere Namespace as Kubernetes sees it: the scope of the VKS clusters, VMs and "
    "storage classes its members work with.",
    spec=obj(
        "What the namespace asks for.",
        finalizers=array("Finalizers that must run before the namespace goes.", string("")),
    ),
    status=obj(
        "What the namespace is now.",
        phase=string("Active, or Terminating while the namespace is being removed."),
    ),
)

NAMESPACES_TYPE = ResourceType(
    group="",
    version="v1",
    plural="namespaces",
    singular="namespace",
    kind="Namespace",
    namespaced=False,
    source=QuerySource("namespaces", _namespace_rows, _namespace_objects),
    short_names=("ns",),
    columns=(Column.at("Status", "status.phase"), Column.age()),
    schema=NAMESPACE_SCHEMA,
    writer=NamespaceWriter(),
    description="vSphere Namespaces the caller holds a role in.",
)


# ---------------------------------------------------------------- storage classes

PROVISIONER = "csi.vsphere.vmware.com"


def _storage_class_rows(ctx: Context, _namespace, _name):
    # The class exists since the first namespace the caller sees was granted the policy; the
    # grant keeps no time of its own, so the namespace's creation stands in for it.
    return (
        StoragePolicy.objects.filter(namespaces__namespace__in=visible_namespaces(ctx))
        .annotate(since=Min("namespaces__namespace__created_at"))
        .order_by("name")
    )


def _storage_class_objects(ctx: Context, rows) -> list[dict]:
    return [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": metadata(
                storage_class_name(policy.name),
                uid=object_uid("StorageClass", policy.pk),
                created=policy.since,
            ),
            "provisioner": PROVISIONER,
            "parameters": {"storagePolicyID": str(policy.policy_id)},
            "reclaimPolicy": "Delete",
            "allowVolumeExpansion": True,
            "volumeBindingMode": "Immediate",
        }
        for policy in rows
    ]


STORAGE_CLASS_SCHEMA = resource_schema(
    "storage.k8s.io",
    "v1",
    "StorageClass",
    "A vSphere storage policy granted to a namespace, offered to volumes and VKS nodes.",
    provisioner=string("The CSI driver that provisions volumes of this class."),
    parameters=string_map("Driver parameters: storagePolicyID is the SPBM policy's ID."),
    reclaimPolicy=string("What happens to a volume when its claim goes: Delete."),
    allowVolumeExpansion=boolean("Whether volumes of this class may grow."),
    volumeBindingMode=string("When volumes are bound: Immediate."),
)

STORAGE_CLASSES_TYPE = ResourceType(
    group="storage.k8s.io",
    version="v1",
    plural="storageclasses",
    singular="storageclass",
    kind="StorageClass",
    namespaced=False,
    source=QuerySource(
        "storageclasses.storage.k8s.io", _storage_class_rows, _storage_class_objects
    ),
    short_names=("sc",),
    columns=(
        Column.at("Provisioner", "provisioner"),
        Column.at("ReclaimPolicy", "reclaimPolicy"),
        Column.at("VolumeBindingMode", "volumeBindingMode"),
        Column.at("AllowVolumeExpansion", "allowVolumeExpansion"),
        Column.age(),
    ),
    schema=STORAGE_CLASS_SCHEMA,
    description="Storage classes of the namespaces the caller sees.",
)


# ---------------------------------------------------------------- secrets

KUBECONFIG_SUFFIX = "-kubeconfig"
SECRET_TYPE = "cluster.x-k8s.io/secret"


def secrets_forbidden(ctx: Context, namespace: str | None) -> bool:
    """True when the caller sees `namespace` but may not read its Secrets (Can view): the
    dispatcher answers 403 Forbidden. A namespace it does not see is a 404 as for any type;
    across all namespaces (None) the list holds only the namespaces it may edit."""
    if namespace is None:
        return False
    visible = visible_namespaces(ctx, namespace).exists()
    return visible and not editable_namespaces(ctx, namespace).exists()


def cluster_kubeconfig(cluster: VksCluster, ctx: Context) -> str:
    """The cluster's admin kubeconfig: the one call into workloads.kubeconfig, so a change of
    its signature is a change here only."""
    return kubeconfigs.kubeconfig(cluster, user=ctx.user, request=ctx.request)


def _secret_rows(ctx: Context, namespace, name):
    # Cluster API writes the Secret once the control plane endpoint and the CA exist.
    clusters = (
        VksCluster.objects.filter(namespace__in=editable_namespaces(ctx, namespace))
        .exclude(api_endpoint=None)
        .exclude(certificate_authority="")
        .select_related("namespace")
    )
    if name is not None:
        clusters = clusters.filter(name=name.removesuffix(KUBECONFIG_SUFFIX))
    return clusters


def _secret_objects(ctx: Context, rows) -> list[dict]:
    objects = []
    for cluster in rows:
        kcp = control_plane_name(cluster)
        data = base64.b64encode(cluster_kubeconfig(cluster, ctx).encode()).decode()
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": metadata(
                    f"{cluster.name}{KUBECONFIG_SUFFIX}",
                    namespace=cluster.namespace.name,
                    uid=object_uid("Secret", cluster.pk, cluster.created_at),
                    created=cluster.created_at,
                    labels={CLUSTER_NAME_LABEL: cluster.name},
                    owners=[
                        owner(
                            "controlplane.cluster.x-k8s.io/v1beta1",
                            "KubeadmControlPlane",
                            kcp,
                            object_uid("KubeadmControlPlane", cluster.pk, cluster.created_at),
                        )
                    ],
                ),
                "type": SECRET_TYPE,
                "data": {"value": data},
            }
        )
    return objects


SECRET_SCHEMA = resource_schema(
    "",
    "v1",
    "Secret",
    "A VKS cluster's admin kubeconfig, as Cluster API stores it: readable with Can edit.",
    type=string("The Secret's type: cluster.x-k8s.io/secret."),
    data=string_map("The kubeconfig, base64-encoded, under the key `value`."),
)

SECRETS_TYPE = ResourceType(
    group="",
    version="v1",
    plural="secrets",
    singular="secret",
    kind="Secret",
    namespaced=True,
    source=QuerySource("secrets", _secret_rows, _secret_objects),
    forbids=secrets_forbidden,
    columns=(
        Column.at("Type", "type"),
        Column("Data", lambda o, _ctx: len(o.get("data") or {}), type="integer"),
        Column.age(),
    ),
    schema=SECRET_SCHEMA,
    description="The `<cluster>-kubeconfig` Secrets of the VKS clusters the caller may edit.",
)


# ---------------------------------------------------------------- events

EVENTS_LIMIT = 500  # the most recent; a real API server keeps events an hour
WARNING = {Event.Severity.WARNING, Event.Severity.ERROR}


def _reason(event_type: str) -> str:
    """CamelCase as Kubernetes reasons are: `com.vmware.vks.ClusterCreated` -> ClusterCreated,
    `VmPoweredOnEvent` -> VmPoweredOn."""
    last = event_type.rsplit(".", 1)[-1]
    return last.removesuffix("Event") or last


def _vm_involved(vm: dict, ns) -> dict:
    return {
        "apiVersion": "vmoperator.vmware.com/v1alpha3",
        "kind": "VirtualMachine",
        "name": vm["name"],
        "namespace": ns.name,
        "uid": object_uid("VirtualMachine", vm["pk"], vm["created_at"]),
    }


def _cluster_involved(name: str, ns, uid: str) -> dict:
    return {
        "apiVersion": CAPI_VERSION,
        "kind": "Cluster",
        "name": name,
        "namespace": ns.name,
        "uid": uid,
    }


def _namespace_involved(ns) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "name": ns.name,
        "uid": object_uid("Namespace", ns.pk, ns.created_at),
    }


def _scoped_involved(event: Event, ns, clusters: dict) -> dict:
    """The namespace, or the VKS cluster of the namespace an event is about: a cluster since
    deleted keeps its name, with a UID of its own that no live cluster has."""
    if event.target_type != CLUSTER_TYPE:
        return _namespace_involved(ns)
    name = event.target_moid.partition("/")[2] or event.target_name
    row = clusters.get((ns.pk, name))
    uid = cluster_uid(row) if row is not None else object_uid("Cluster", event.target_moid)
    return _cluster_involved(name, ns, uid)


def _event_name_pk(name: str | None) -> int | None:
    _, _, suffix = (name or "").rpartition(".")
    try:
        return int(suffix, 16)
    except ValueError:
        return -1  # no event has it


class EventSource(NamedSource):
    """The vCenter Events of each namespace the caller sees: those about the namespace itself
    and its VKS clusters (deleted ones too), those of the VMs in its resource pool tree (its
    clusters' nodes), and those of the namespace's and its clusters' current tasks. Four
    queries, whatever the number of namespaces, VMs and events."""

    resource = "events"

    def objects(self, ctx: Context, namespace: str | None, name: str | None) -> list[dict]:
        namespaces = {ns.name: ns for ns in visible_namespaces(ctx, namespace)}
        if not namespaces:
            return []
        names = list(namespaces)
        in_tree = Q(resource_pool__parent__name=NAMESPACES, resource_pool__name__in=names) | Q(
            resource_pool__parent__parent__name=NAMESPACES, resource_pool__parent__name__in=names
        )
        vms = {
            vm["moid"]: vm
            for vm in VirtualMachine.objects.filter(in_tree).values(
                "moid",
                "pk",
                "name",
                "created_at",
                "resource_pool__name",
                "resource_pool__parent__name",
            )
        }
        rows = VksCluster.objects.filter(namespace__in=namespaces.values())
        clusters = {(c.namespace_id, c.name): c for c in rows}
        by_cluster_task = {c.task_id: c for c in clusters.values() if c.task_id}
        by_task = {ns.task_id: ns for ns in namespaces.values() if ns.task_id}
        events = Event.objects.filter(
            Q(scope_namespace__in=names)
            | Q(target_type="VirtualMachine", target_moid__in=list(vms))
            | Q(task_id__in=[*by_cluster_task, *by_task])
        )
        if name is not None:
            events = events.filter(pk=_event_name_pk(name))
        by_pk = {ns.pk: ns for ns in namespaces.values()}
        objects = []
        for event in reversed(events.order_by("-created_at", "-id")[:EVENTS_LIMIT]):
            vm = vms.get(event.target_moid) if event.target_type == "VirtualMachine" else None
            if vm is not None:
                pool = vm["resource_pool__name"]
                parent = vm["resource_pool__parent__name"]
                ns = namespaces[pool if parent == NAMESPACES else parent]
                involved = _vm_involved(vm, ns)
            elif event.scope_namespace in namespaces:  # about the namespace or a cluster in it
                ns = namespaces[event.scope_namespace]
                involved = _scoped_involved(event, ns, clusters)
            elif event.task_id in by_cluster_task:
                cluster = by_cluster_task[event.task_id]
                ns = by_pk[cluster.namespace_id]
                involved = _cluster_involved(cluster.name, ns, cluster_uid(cluster))
            else:
                ns = by_task[event.task_id]
                involved = _namespace_involved(ns)
            seen = timestamp(event.created_at)
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": metadata(
                        f"{involved['name']}.{event.pk:016x}",
                        namespace=ns.name,
                        uid=object_uid("Event", event.pk, event.created_at),
                        created=event.created_at,
                    ),
                    "involvedObject": involved,
                    "reason": _reason(event.event_type),
                    "message": event.message,
                    "source": {"component": "vcenter"},
                    "firstTimestamp": seen,
                    "lastTimestamp": seen,
                    "count": 1,
                    "type": "Warning" if event.severity in WARNING else "Normal",
                    "eventTime": None,
                    "reportingComponent": "vcenter",
                    "reportingInstance": "",
                }
            )
        return stamped(self.resource, namespace, objects)


def _object_cell(event: dict, _ctx: Context) -> str:
    involved = event.get("involvedObject") or {}
    return f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"


EVENT_SCHEMA = resource_schema(
    "",
    "v1",
    "Event",
    "Something vCenter recorded about an object of the namespace.",
    involvedObject=obj(
        "The object the event is about.",
        apiVersion=string("API version of the object."),
        kind=string("Kind of the object."),
        name=string("Name of the object."),
        namespace=string("Namespace of the object."),
        uid=string("UID of the object."),
    ),
    reason=string("Why the event happened, in CamelCase (the vCenter event type)."),
    message=string("What happened, as vCenter wrote it."),
    source=obj("Who reported it.", component=string("The reporting component: vcenter.")),
    firstTimestamp=string("When it was first seen.", format="date-time"),
    lastTimestamp=string("When it was last seen.", format="date-time"),
    count=integer("How many times it was seen."),
    type=string("Normal or Warning."),
)

EVENTS_TYPE = ResourceType(
    group="",
    version="v1",
    plural="events",
    singular="event",
    kind="Event",
    namespaced=True,
    source=EventSource(),
    short_names=("ev",),
    # kubectl's built-in event table: no NAME column first (Name comes last, with -o wide).
    columns=(
        Column(
            "Last Seen",
            lambda o, ctx: age(path(o, "lastTimestamp"), ctx.now),
            json_path=".lastTimestamp",
        ),
        Column.at("Type", "type"),
        Column.at("Reason", "reason"),
        Column("Object", _object_cell, json_path=".involvedObject"),
        Column.at("Source", "source.component", priority=1),
        Column.at("Message", "message"),
        Column(
            "First Seen",
            lambda o, ctx: age(path(o, "firstTimestamp"), ctx.now),
            json_path=".firstTimestamp",
            priority=1,
        ),
        Column.at("Count", "count", type="integer", priority=1),
        Column.at("Name", "metadata.name", priority=1, format="name"),
    ),
    schema=EVENT_SCHEMA,
    description="The vCenter events of the namespace's VMs and of its and its clusters' tasks.",
)
