"""Which model writes change which objects of the Kubernetes APIs: signal receivers (connected
in KubeapiConfig.ready) that record each change in the writing transaction (kubeapi.changes), so
reconciler status changes bump resourceVersions exactly as services' spec changes do.

Kept cheap on purpose: no object is built here, a receiver makes one INSERT for all the changes
one write causes, and looks up at most one row of context (a node's cluster and namespace) when
the instance does not carry it already. A save that changes nothing the API shows (a reconcile
pass that only moves `next_reconcile_at`) records nothing: each watched model remembers, when
loaded, the fields the API shows (`WATCHED`) and a save is compared with them.

Resource keys are ResourceType.qualified; a VKS cluster's own API prefixes `vks/<cluster pk>/`.
DELETED rows keep a minimal last state ({metadata: name, namespace, uid}); `snapshots` lets the
API register a full builder per resource key (VKS keys as `vks/*/nodes`), called with the model
instance that was deleted (the VksNode for machines, nodes, pods and VMs; the VksCluster for
clusters, machine deployments and kubeconfig secrets).

Bulk writes (QuerySet.update, bulk_create) send no signals: the estates' loaders use them for
inventory the APIs do not serve, and nothing else here writes that way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save, pre_delete

from inventory.models import ContentLibraryItem, Event, StoragePolicy, VirtualMachine
from kubeapi import changes
from kubeapi.changes import ADDED, DELETED, MODIFIED
from kubeapi.surface import object_uid
from workloads.models import (
    Namespace,
    NamespaceStorage,
    Supervisor,
    VirtualMachineClass,
    VksCluster,
    VksNode,
)

log = logging.getLogger(__name__)

TKC = "tanzukubernetesclusters.run.tanzu.vmware.com"
CLUSTER = "clusters.cluster.x-k8s.io"
MACHINE = "machines.cluster.x-k8s.io"
MACHINE_DEPLOYMENT = "machinedeployments.cluster.x-k8s.io"
VM = "virtualmachines.vmoperator.vmware.com"
VM_CLASS = "virtualmachineclasses.vmoperator.vmware.com"
NAMESPACES = "namespaces"
EVENTS = "events"
STORAGE_CLASS = "storageclasses.storage.k8s.io"
TKR = "tanzukubernetesreleases.run.tanzu.vmware.com"
SECRETS = "secrets"
TKC_KIND = "TanzuKubernetesCluster"
VKS_MANAGED_BY = "VMware vSphere Kubernetes Service"  # workloads.reconcilers.clusters.MANAGED_BY

snapshots: dict[str, Callable[[Model], dict]] = {}


def vks(cluster_pk: int, plural: str) -> str:
    """A VKS cluster's resource key: `vks/12/nodes`."""
    return f"vks/{cluster_pk}/{plural}"


def kubeconfig_secret(cluster_name: str) -> str:
    return f"{cluster_name}-kubeconfig"


def machine_deployment(cluster_name: str, pool: str) -> str:
    return f"{cluster_name}-{pool}"


def event_name(event: Event) -> str:
    """An Event object's name: its object's, then a unique hex part, as the API server's."""
    return f"{event.target_name}.{event.pk:x}"


# ---------------------------------------------------------------- what the API shows

WATCHED: dict[type[Model], tuple[str, ...]] = {
    VksCluster: (
        "name",
        "namespace_id",
        "api_version",
        "kind",
        "cluster_class",
        "spec",
        # Metadata the objects show: `kubectl label` changes only these (no new generation).
        "labels",
        "annotations",
        "generation",
        "deletion_requested_at",
        "phase",
        "conditions",
        "observed_generation",
        "api_endpoint",
        "certificate_authority",
    ),
    VirtualMachine: (
        "name",
        "power_state",
        "ip_address",
        "host_id",
        "resource_pool_id",
        "num_cpu",
        "memory_mib",
        "guest_os",
    ),
    Namespace: (
        "name",
        "description",
        "cpu_limit_mhz",
        "memory_limit_mib",
        "storage_limit_mib",
        "kubernetes_library_id",
        "generation",
        "deletion_requested_at",
        "config_status",
        "observed_generation",
    ),
    VirtualMachineClass: (
        "name",
        "cpu_count",
        "memory_mib",
        "cpu_reservation",
        "memory_reservation",
        "description",
        "config_status",
    ),
    Supervisor: ("kubernetes_version",),  # a release's compatibility follows it
}
_UNSET = object()
_SEEN = "_kubeapi_seen"


def _shown(instance: Model) -> tuple:
    values = instance.__dict__
    return tuple(
        # JSON values are kept as text: a dict changed in place must still compare unequal.
        json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict | list) else v
        for v in (values.get(f, _UNSET) for f in WATCHED[type(instance)])
    )


def remember(sender, instance, **kwargs) -> None:
    instance.__dict__[_SEEN] = _shown(instance)


def _before(instance: Model, created: bool, update_fields) -> dict | None:
    """The shown fields as loaded, {} for a new row; None if the save changed none of them."""
    fields = WATCHED[type(instance)]
    if update_fields is not None and not set(update_fields) & set(fields):
        return None
    now = _shown(instance)
    seen = instance.__dict__.get(_SEEN)
    instance.__dict__[_SEEN] = now
    if created:
        return {}
    if seen == now:
        return None
    return dict(zip(fields, seen, strict=True)) if seen else {}


def _deleted(resource: str, instance: Model, namespace: str, name: str, uid: str) -> tuple:
    key = resource if not resource.startswith("vks/") else "vks/*/" + resource.split("/", 2)[2]
    builder = snapshots.get(key)
    obj = None
    if builder is not None:
        try:
            obj = builder(instance)
        except Exception:  # a builder's bug must not fail the deletion that called it
            log.exception("snapshot of deleted %s %s failed", key, name)
    if obj is None:
        obj = {"metadata": {"name": name, **({"namespace": namespace} if namespace else {})}}
        if uid:
            obj["metadata"]["uid"] = uid
    return (resource, namespace, name, DELETED, uid, obj)


def _change(resource: str, namespace: str, name: str, type_: str, uid: str, instance: Model):
    if type_ == DELETED:
        return _deleted(resource, instance, namespace, name, uid)
    return (resource, namespace, name, type_, uid, None)


# ---------------------------------------------------------------- context lookups


def _namespace_name(cluster: VksCluster) -> str:
    if VksCluster.namespace.is_cached(cluster):
        return cluster.namespace.name
    return (
        Namespace.objects.filter(pk=cluster.namespace_id).values_list("name", flat=True).first()
        or ""
    )


def _cluster_uid(cluster: VksCluster) -> str:
    from workloads.manifests import cluster_uid  # the uid the cluster object shows

    return cluster_uid(cluster)


def _pools(spec) -> list[str]:
    if isinstance(spec, str):
        spec = json.loads(spec)
    pools = (spec or {}).get("topology", {}).get("nodePools", [])
    return [p["name"] for p in pools if isinstance(p, dict) and p.get("name")]


def _cluster_objects(name: str, kind: str, namespace: str, type_: str, uid: str, instance):
    rows = [_change(CLUSTER, namespace, name, type_, uid, instance)]
    if kind == TKC_KIND:
        rows.append(_change(TKC, namespace, name, type_, uid, instance))
    return rows


# ---------------------------------------------------------------- VKS clusters


def cluster_saved(sender, instance: VksCluster, created: bool, update_fields=None, **kwargs):
    before = _before(instance, created, update_fields)
    if before is None:
        return
    ns, name = _namespace_name(instance), instance.name
    type_ = ADDED if created else MODIFIED
    rows = _cluster_objects(name, instance.kind, ns, type_, _cluster_uid(instance), instance)
    old_spec = before.get("spec", "{}")
    if created or old_spec != json.dumps(instance.spec, sort_keys=True, default=str):
        rows += _pool_rows(instance, ns, set(_pools(old_spec)))
    had = bool(before.get("api_endpoint"))
    secret = kubeconfig_secret(name)
    if instance.api_endpoint and not had:
        rows.append(_change(SECRETS, ns, secret, ADDED, "", instance))
    elif instance.api_endpoint and (
        before.get("api_endpoint") != instance.api_endpoint
        or before.get("certificate_authority") != instance.certificate_authority
    ):
        rows.append(_change(SECRETS, ns, secret, MODIFIED, "", instance))
    elif had and not instance.api_endpoint:
        rows.append(_deleted(SECRETS, instance, ns, secret, ""))
    changes.record_many(rows)


def _pool_rows(cluster: VksCluster, ns: str, before: set[str]) -> list:
    """A MachineDeployment per node pool: new pools appear, dropped ones go, the rest change
    with the spec (replicas, release, VM class)."""
    now = _pools(cluster.spec)
    rows = []
    for pool in now:
        type_ = MODIFIED if pool in before else ADDED
        rows.append(
            _change(
                MACHINE_DEPLOYMENT, ns, machine_deployment(cluster.name, pool), type_, "", cluster
            )
        )
    for pool in before - set(now):
        rows.append(
            _deleted(MACHINE_DEPLOYMENT, cluster, ns, machine_deployment(cluster.name, pool), "")
        )
    return rows


def cluster_deleted(sender, instance: VksCluster, **kwargs):
    ns, name = _namespace_name(instance), instance.name
    rows = _cluster_objects(name, instance.kind, ns, DELETED, _cluster_uid(instance), instance)
    for pool in _pools(instance.spec):
        rows.append(_deleted(MACHINE_DEPLOYMENT, instance, ns, machine_deployment(name, pool), ""))
    if instance.api_endpoint:
        rows.append(_deleted(SECRETS, instance, ns, kubeconfig_secret(name), ""))
    changes.record_many(rows)


# ---------------------------------------------------------------- nodes and their VMs


def _node_rows(node: VksNode, vm_name: str, vm_uid: str, cluster: tuple, type_: str) -> list:
    """Everything one node's change shows in: its Machine and VirtualMachine, the node and its
    system pods in the cluster's own API; and the counts of its cluster and pool."""
    cluster_pk, cluster_name, kind, ns, cluster_uid = cluster
    machine_uid = object_uid("Machine", node.pk, node.created_at)
    rows = [
        _change(MACHINE, ns, vm_name, type_, machine_uid, node),
        _change(VM, ns, vm_name, type_, vm_uid, node),
        _change(vks(cluster_pk, "nodes"), "", vm_name, type_, vm_uid, node),
        # The system pods of a node (kube-proxy, the CNI's agent...) come and go with it; the
        # guest API expands this one row to them (namespace "": they span several).
        _change(vks(cluster_pk, "pods"), "", vm_name, type_, "", node),
        *_cluster_objects(cluster_name, kind, ns, MODIFIED, cluster_uid, node),
    ]
    if node.pool:
        md = machine_deployment(cluster_name, node.pool)
        rows.append(_change(MACHINE_DEPLOYMENT, ns, md, MODIFIED, "", node))
    return rows


def _node_cluster(node: VksNode) -> tuple | None:
    """(pk, name, kind, namespace, uid) of a node's cluster; from the instance when it has
    them (the reconciler's), else one query."""
    if VksNode.cluster.is_cached(node) and VksCluster.namespace.is_cached(node.cluster):
        c = node.cluster
        return c.pk, c.name, c.kind, c.namespace.name, _cluster_uid(c)
    found = VksCluster.objects.filter(pk=node.cluster_id).select_related("namespace").first()
    if found is None:  # deleted with its cluster: the cluster's own DELETED says it all
        return None
    return found.pk, found.name, found.kind, found.namespace.name, _cluster_uid(found)


def _vm_name(node: VksNode) -> tuple[str, str]:
    if VksNode.vm.is_cached(node):
        vm = node.vm
    else:
        vm = VirtualMachine.objects.only("name", "created_at").get(pk=node.vm_id)
    return vm.name, object_uid("VirtualMachine", vm.pk, vm.created_at)


def node_saved(sender, instance: VksNode, created: bool, **kwargs):
    cluster = _node_cluster(instance)
    if cluster is not None:
        name, uid = _vm_name(instance)
        type_ = ADDED if created else MODIFIED
        changes.record_many(_node_rows(instance, name, uid, cluster, type_))


def node_deleted(sender, instance: VksNode, **kwargs):
    cluster = _node_cluster(instance)
    if cluster is not None:
        name, uid = _vm_name(instance)
        changes.record_many(_node_rows(instance, name, uid, cluster, DELETED))


def vm_saved(sender, instance: VirtualMachine, created: bool, update_fields=None, **kwargs):
    """A node VM powered on or off, addressed, moved: its node, machine and cluster show it.
    Only VKS node VMs are in a vSphere Namespace today (VM Service VMs will be too)."""
    if instance.managed_by != VKS_MANAGED_BY:
        return
    if _before(instance, created, update_fields) is None or created:
        return  # a new VM is not a node until its VksNode row exists (node_saved)
    node = VksNode.objects.filter(vm_id=instance.pk).select_related("cluster__namespace").first()
    if node is None:
        return
    node.vm = instance
    cluster = _node_cluster(node)
    if cluster is not None:
        uid = object_uid("VirtualMachine", instance.pk, instance.created_at)
        changes.record_many(_node_rows(node, instance.name, uid, cluster, MODIFIED))


# ---------------------------------------------------------------- namespaces and VM classes


def namespace_saved(sender, instance: Namespace, created: bool, update_fields=None, **kwargs):
    if _before(instance, created, update_fields) is not None:
        uid = object_uid("Namespace", instance.pk, instance.created_at)
        changes.record(NAMESPACES, "", instance.name, ADDED if created else MODIFIED, uid=uid)


def namespace_deleting(sender, instance: Namespace, **kwargs):
    # Its VM class bindings go without m2m signals (a fast delete of the through rows).
    instance._kubeapi_classes = list(instance.vm_classes.values_list("name", flat=True))


def namespace_deleted(sender, instance: Namespace, **kwargs):
    uid = object_uid("Namespace", instance.pk, instance.created_at)
    rows = [_deleted(NAMESPACES, instance, "", instance.name, uid)]
    for name in getattr(instance, "_kubeapi_classes", ()):
        rows.append(_deleted(VM_CLASS, instance, instance.name, name, ""))
    changes.record_many(rows)


def vm_class_saved(sender, instance, created: bool, update_fields=None, **kwargs):
    if created or _before(instance, created, update_fields) is None:
        return  # a new class is in no namespace yet
    names = instance.namespaces.values_list("name", flat=True)
    changes.record_many([(VM_CLASS, ns, instance.name, MODIFIED, "", None) for ns in names])


def vm_class_deleting(sender, instance, **kwargs):
    instance._kubeapi_namespaces = list(instance.namespaces.values_list("name", flat=True))


def vm_class_deleted(sender, instance, **kwargs):
    changes.record_many(
        _deleted(VM_CLASS, instance, ns, instance.name, "")
        for ns in getattr(instance, "_kubeapi_namespaces", ())
    )


def vm_classes_bound(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    """Namespace.vm_classes: a class bound to a namespace appears in it, unbound disappears."""
    if action == "pre_clear":
        instance._kubeapi_bound = _bindings(instance, reverse, None)
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action == "post_clear":
        pairs = getattr(instance, "_kubeapi_bound", [])
    else:
        pairs = _bindings(instance, reverse, pk_set)
    type_ = ADDED if action == "post_add" else DELETED
    changes.record_many(_change(VM_CLASS, ns, name, type_, "", instance) for ns, name in pairs)


def _bindings(instance, reverse: bool, pk_set) -> list[tuple[str, str]]:
    """(namespace, class) pairs of a binding change; one query."""
    if not reverse:  # instance is a Namespace, pk_set VM classes
        found = (
            VirtualMachineClass.objects.filter(namespaces=instance)
            if pk_set is None
            else (VirtualMachineClass.objects.filter(pk__in=pk_set))
        )
        return [(instance.name, name) for name in found.values_list("name", flat=True)]
    found = instance.namespaces.all() if pk_set is None else Namespace.objects.filter(pk__in=pk_set)
    return [(name, instance.name) for name in found.values_list("name", flat=True)]


# ---------------------------------------------------------------- storage classes, releases


def _policy_name(grant: NamespaceStorage) -> str:
    if NamespaceStorage.policy.is_cached(grant):
        return grant.policy.name
    return StoragePolicy.objects.filter(pk=grant.policy_id).values_list("name", flat=True).get()


def storage_granted(sender, instance: NamespaceStorage, created: bool, **kwargs):
    """A storage class exists (cluster-scoped) while some namespace is granted its policy."""
    from workloads.specs import storage_class_name

    if created and NamespaceStorage.objects.filter(policy_id=instance.policy_id).count() == 1:
        name = storage_class_name(_policy_name(instance))
        changes.record(STORAGE_CLASS, "", name, ADDED)


def storage_revoked(sender, instance: NamespaceStorage, **kwargs):
    from workloads.specs import storage_class_name

    if not NamespaceStorage.objects.filter(policy_id=instance.policy_id).exists():
        name = storage_class_name(_policy_name(instance))
        changes.record_many([_deleted(STORAGE_CLASS, instance, "", name, "")])


def _release(item: ContentLibraryItem) -> str | None:
    from workloads.releases import parse_item_name

    parsed = parse_item_name(item.name)
    return parsed[0] if parsed else None


def release_item_saved(sender, instance: ContentLibraryItem, created: bool, **kwargs):
    """A release exists from its first node image on; each further image modifies it."""
    release = _release(instance)
    if release is None:
        return
    images = ContentLibraryItem.objects.filter(name__endswith=f"-{release}").count()
    changes.record(TKR, "", release, ADDED if created and images == 1 else MODIFIED)


def release_item_deleted(sender, instance: ContentLibraryItem, **kwargs):
    release = _release(instance)
    if release is None:
        return
    if ContentLibraryItem.objects.filter(name__endswith=f"-{release}").exists():
        changes.record(TKR, "", release, MODIFIED)
    else:
        changes.record_many([_deleted(TKR, instance, "", release, "")])


def supervisor_saved(sender, instance: Supervisor, created: bool, update_fields=None, **kwargs):
    """A Supervisor's Kubernetes version decides which releases are compatible (and Ready)."""
    if created or _before(instance, created, update_fields) is None:
        return
    from workloads.releases import parse_item_name

    items = ContentLibraryItem.objects.filter(name__contains="---vmware.")
    names = {p[0] for p in map(parse_item_name, items.values_list("name", flat=True)) if p}
    changes.record_many((TKR, "", name, MODIFIED, "", None) for name in sorted(names))


# ---------------------------------------------------------------- events


def event_logged(sender, instance: Event, created: bool, **kwargs):
    """A vCenter event about an object in a vSphere Namespace (a node VM) is an Event there."""
    if not created or instance.target_type != "VirtualMachine":
        return
    ns = (
        VksNode.objects.filter(vm__moid=instance.target_moid)
        .values_list("cluster__namespace__name", flat=True)
        .first()
    )
    if ns:
        uid = object_uid("Event", instance.pk, instance.created_at)
        changes.record(EVENTS, ns, event_name(instance), ADDED, uid=uid)


# ---------------------------------------------------------------- wiring

RECEIVERS = [
    (post_save, VksCluster, cluster_saved),
    (post_delete, VksCluster, cluster_deleted),
    (post_save, VksNode, node_saved),
    (post_delete, VksNode, node_deleted),
    (post_save, VirtualMachine, vm_saved),
    (post_save, Namespace, namespace_saved),
    (pre_delete, Namespace, namespace_deleting),
    (post_delete, Namespace, namespace_deleted),
    (post_save, VirtualMachineClass, vm_class_saved),
    (pre_delete, VirtualMachineClass, vm_class_deleting),
    (post_delete, VirtualMachineClass, vm_class_deleted),
    (m2m_changed, Namespace.vm_classes.through, vm_classes_bound),
    (post_save, NamespaceStorage, storage_granted),
    (post_delete, NamespaceStorage, storage_revoked),
    (post_save, ContentLibraryItem, release_item_saved),
    (post_delete, ContentLibraryItem, release_item_deleted),
    (post_save, Supervisor, supervisor_saved),
    (post_save, Event, event_logged),
]


def connect() -> None:
    for model in WATCHED:
        post_init.connect(remember, sender=model, dispatch_uid=f"kubeapi-seen-{model.__name__}")
    for signal, model, receiver in RECEIVERS:
        uid = f"kubeapi-{receiver.__name__}"
        signal.connect(receiver, sender=model, dispatch_uid=uid, weak=False)
