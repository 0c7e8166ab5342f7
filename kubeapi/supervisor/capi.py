"""Cluster API's Machines (one per VKS node) and MachineDeployments (one per node pool), as
v1beta1 shows them. Their owners (KubeadmControlPlane, MachineSet, VSphereMachine) are named
and referenced but not served."""

from __future__ import annotations

from django.db.models import Prefetch

from kubeapi.supervisor.common import (
    CAPI_GROUP,
    CAPI_VERSION,
    CLUSTER_NAME_LABEL,
    CONDITIONS,
    INFRA_VERSION,
    OBJECT_REF,
    QuerySource,
    array,
    boolean,
    integer,
    metadata,
    obj,
    owner,
    ref,
    resource_schema,
    string,
    string_map,
    visible_namespaces,
)
from kubeapi.surface import Column, Context, ResourceType, object_uid, timestamp
from workloads.cluster_status import node_current, node_ready
from workloads.manifests import cluster_uid, kubelet_version
from workloads.models import VksCluster, VksNode
from workloads.reconcilers.clusters import control_plane_name, deployment_name, groups_of

BOOTSTRAP_VERSION = "bootstrap.cluster.x-k8s.io/v1beta1"
CONTROL_PLANE_VERSION = "controlplane.cluster.x-k8s.io/v1beta1"
CONTROL_PLANE_LABEL = "cluster.x-k8s.io/control-plane"
DEPLOYMENT_LABEL = "cluster.x-k8s.io/deployment-name"
TOPOLOGY_OWNED = "topology.cluster.x-k8s.io/owned"
TOPOLOGY_DEPLOYMENT = "topology.cluster.x-k8s.io/deployment-name"


def _condition(type_: str, ok: bool, at, reason: str = "") -> dict:
    c = {"type": type_, "status": "True" if ok else "False"}
    if not ok:
        c.update(severity="Info", reason=reason)
    c["lastTransitionTime"] = timestamp(at)
    return c


# ---------------------------------------------------------------- machines


def machine_phase(node: VksNode) -> str:
    """Cluster API's phase from the node's VM: Provisioning until the VM runs, Provisioned
    while it waits for an address, Running once the node has joined; Deleting with its
    cluster."""
    if node.cluster.is_deleting:
        return "Deleting"
    if node_ready(node):
        return "Running"
    if node.vm.is_powered_on:
        return "Provisioned"
    return "Provisioning"


def _machine_rows(ctx: Context, namespace, name):
    nodes = VksNode.objects.filter(
        cluster__namespace__in=visible_namespaces(ctx, namespace)
    ).select_related("vm", "cluster__namespace")
    return nodes.filter(vm__name=name) if name is not None else nodes.order_by("vm__name")


def _machine_owner(node: VksNode) -> dict:
    cluster, name = node.cluster, node.vm.name
    if node.role == VksNode.Role.CONTROL_PLANE:
        kcp = control_plane_name(cluster)
        uid = object_uid("KubeadmControlPlane", cluster.pk, cluster.created_at)
        return owner(CONTROL_PLANE_VERSION, "KubeadmControlPlane", kcp, uid)
    machine_set = name.rsplit("-", 1)[0]  # <deployment>-<set>-<machine>
    return owner(CAPI_VERSION, "MachineSet", machine_set, object_uid("MachineSet", machine_set))


def _machine_labels(node: VksNode) -> dict:
    labels = {CLUSTER_NAME_LABEL: node.cluster.name}
    if node.role == VksNode.Role.CONTROL_PLANE:
        labels[CONTROL_PLANE_LABEL] = ""
        labels["cluster.x-k8s.io/control-plane-name"] = control_plane_name(node.cluster)
    else:
        labels[DEPLOYMENT_LABEL] = deployment_name(node.cluster, node.pool)
        labels["cluster.x-k8s.io/set-name"] = node.vm.name.rsplit("-", 1)[0]
        labels[TOPOLOGY_DEPLOYMENT] = node.pool
    return labels


def _machine_objects(ctx: Context, rows: list[VksNode]) -> list[dict]:
    objects = []
    for node in rows:
        vm, cluster, ns = node.vm, node.cluster, node.cluster.namespace.name
        phase = machine_phase(node)
        kind = "KubeadmConfig"
        spec: dict = {
            "clusterName": cluster.name,
            "bootstrap": {
                "configRef": ref(BOOTSTRAP_VERSION, kind, vm.name, ns),
                "dataSecretName": vm.name,
            },
            "infrastructureRef": ref(INFRA_VERSION, "VSphereMachine", vm.name, ns),
            "version": kubelet_version(node.release),
            "nodeDrainTimeout": "0s",
        }
        if vm.is_powered_on:
            spec["providerID"] = f"vsphere://{vm.instance_uuid}"
        status: dict = {"phase": phase, "bootstrapReady": True}
        status["infrastructureReady"] = vm.is_powered_on
        if phase == "Running":
            status["nodeRef"] = {"apiVersion": "v1", "kind": "Node", "name": vm.name}
        if vm.ip_address:
            status["addresses"] = [{"type": "InternalIP", "address": vm.ip_address}]
        ready, at = node_ready(node), vm.boot_time or node.created_at
        status["conditions"] = [
            _condition("Ready", ready, at, "WaitingForInfrastructure"),
            _condition("BootstrapReady", True, node.created_at),
            _condition("InfrastructureReady", vm.is_powered_on, at, "VMProvisionStarted"),
            _condition("NodeHealthy", ready, at, "NodeProvisioning"),
        ]
        status["observedGeneration"] = 2
        objects.append(
            {
                "apiVersion": CAPI_VERSION,
                "kind": "Machine",
                "metadata": metadata(
                    vm.name,
                    namespace=ns,
                    uid=object_uid("Machine", node.pk, node.created_at),
                    created=node.created_at,
                    generation=2,
                    labels=_machine_labels(node),
                    owners=[_machine_owner(node)],
                    deleting=cluster.deletion_requested_at,
                ),
                "spec": spec,
                "status": status,
            }
        )
    return objects


MACHINE_SCHEMA = resource_schema(
    CAPI_GROUP,
    "v1beta1",
    "Machine",
    "A node of a VKS cluster: one VM, made from a Kubernetes release.",
    spec=obj(
        "The machine Cluster API asked for.",
        clusterName=string("The cluster the machine belongs to."),
        bootstrap=obj(
            "How the node is bootstrapped.",
            configRef=OBJECT_REF,
            dataSecretName=string("The Secret holding the bootstrap data."),
        ),
        infrastructureRef=OBJECT_REF,
        version=string("The kubelet version the node runs."),
        providerID=string("The node's provider ID: vsphere://<VM UUID>."),
        nodeDrainTimeout=string("How long a node is drained before it is deleted; 0s: no limit."),
    ),
    status=obj(
        "The machine as it is.",
        phase=string("Pending, Provisioning, Provisioned, Running, Deleting or Failed."),
        bootstrapReady=boolean("Whether the bootstrap data is ready."),
        infrastructureReady=boolean("Whether the VM is ready."),
        nodeRef=OBJECT_REF,
        addresses=array(
            "The node's addresses.",
            obj("An address.", type=string("InternalIP."), address=string("The address.")),
        ),
        observedGeneration=integer("The generation the status describes."),
        conditions=CONDITIONS,
    ),
)

MACHINES_TYPE = ResourceType(
    group=CAPI_GROUP,
    version="v1beta1",
    plural="machines",
    singular="machine",
    kind="Machine",
    namespaced=True,
    source=QuerySource(f"machines.{CAPI_GROUP}", _machine_rows, _machine_objects),
    short_names=("ma",),
    categories=("cluster-api",),
    columns=(
        Column.at("Cluster", "spec.clusterName", description="Cluster"),
        Column.at("NodeName", "status.nodeRef.name"),
        Column.at("ProviderID", "spec.providerID", description="Provider ID"),
        Column.at("Phase", "status.phase"),
        Column.age(),
        Column.at("Version", "spec.version"),
    ),
    schema=MACHINE_SCHEMA,
    description="The nodes of the namespace's VKS clusters, as Cluster API Machines.",
)


# ---------------------------------------------------------------- machine deployments


def _deployment_rows(ctx: Context, namespace, name):
    clusters = VksCluster.objects.filter(
        namespace__in=visible_namespaces(ctx, namespace)
    ).select_related("namespace")
    if name is not None:
        # A deployment's name begins with its cluster's: only those clusters can hold it.
        clusters = clusters.filter(name__in=_prefixes(name))
    nodes = VksNode.objects.select_related("vm").order_by("created_at", "pk")
    return clusters.prefetch_related(Prefetch("nodes", nodes)).order_by("namespace__name", "name")


def _prefixes(name: str) -> list[str]:
    parts = name.split("-")
    return ["-".join(parts[:i]) for i in range(1, len(parts))]


def _deployment_phase(replicas: int, desired: int) -> str:
    if replicas < desired:
        return "ScalingUp"
    if replicas > desired:
        return "ScalingDown"
    return "Running"


def _deployment_objects(ctx: Context, rows: list[VksCluster]) -> list[dict]:
    objects = []
    for cluster in rows:
        nodes = list(cluster.nodes.all())
        ns = cluster.namespace.name
        for group in groups_of(cluster)[1:]:
            objects.append(_deployment(cluster, group, nodes, ns))
    return objects


def _deployment(cluster: VksCluster, group, nodes: list[VksNode], ns: str) -> dict:
    name = deployment_name(cluster, group.pool)
    mine = [n for n in nodes if n.role == group.role and n.pool == group.pool]
    ready = [n for n in mine if node_ready(n)]
    updated = [n for n in mine if node_current(cluster, group, n)]
    selector = {
        CLUSTER_NAME_LABEL: cluster.name,
        TOPOLOGY_DEPLOYMENT: group.pool,
        TOPOLOGY_OWNED: "",
    }
    version = kubelet_version(cluster.spec["topology"]["version"])
    template = f"{cluster.name}-{group.pool}"
    return {
        "apiVersion": CAPI_VERSION,
        "kind": "MachineDeployment",
        "metadata": metadata(
            name,
            namespace=ns,
            uid=object_uid("MachineDeployment", f"{cluster.pk}/{group.pool}", cluster.created_at),
            created=cluster.created_at,
            generation=cluster.generation,
            labels=selector,
            owners=[owner(CAPI_VERSION, "Cluster", cluster.name, cluster_uid(cluster))],
            deleting=cluster.deletion_requested_at,
        ),
        "spec": {
            "clusterName": cluster.name,
            "replicas": group.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": selector},
                "spec": {
                    "clusterName": cluster.name,
                    "bootstrap": {
                        "configRef": ref(BOOTSTRAP_VERSION, "KubeadmConfigTemplate", template, ns)
                    },
                    "infrastructureRef": ref(INFRA_VERSION, "VSphereMachineTemplate", template, ns),
                    "version": version,
                },
            },
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0, "deletePolicy": "Newest"},
            },
            "minReadySeconds": 0,
            "revisionHistoryLimit": 1,
            "progressDeadlineSeconds": 600,
        },
        "status": {
            "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
            "replicas": len(mine),
            "updatedReplicas": len(updated),
            "readyReplicas": len(ready),
            "availableReplicas": len(ready),
            "unavailableReplicas": max(group.replicas - len(ready), 0),
            "phase": _deployment_phase(len(mine), group.replicas),
            "observedGeneration": cluster.observed_generation,
        },
    }


DEPLOYMENT_SCHEMA = resource_schema(
    CAPI_GROUP,
    "v1beta1",
    "MachineDeployment",
    "A node pool of a VKS cluster: its worker Machines, rolled out from one template.",
    spec=obj(
        "The node pool as the cluster's spec asks for it.",
        clusterName=string("The cluster the node pool belongs to."),
        replicas=integer("How many workers the node pool asks for."),
        selector=obj("The labels of its machines.", matchLabels=string_map("Label values.")),
        template=obj("The machines it makes.", spec=obj("A machine's spec.")),
        strategy=obj("How nodes are replaced: a rolling update, one at a time."),
    ),
    status=obj(
        "The node pool as it is.",
        replicas=integer("Machines it has."),
        updatedReplicas=integer("Machines made from the current template."),
        readyReplicas=integer("Machines whose node is ready."),
        availableReplicas=integer("Machines available."),
        unavailableReplicas=integer("Machines still missing to reach the replicas asked for."),
        phase=string("ScalingUp, ScalingDown, Running, Failed or Unknown."),
        selector=string("The label selector of its machines, as a string."),
        observedGeneration=integer("The generation the status describes."),
    ),
)

MACHINE_DEPLOYMENTS_TYPE = ResourceType(
    group=CAPI_GROUP,
    version="v1beta1",
    plural="machinedeployments",
    singular="machinedeployment",
    kind="MachineDeployment",
    namespaced=True,
    source=QuerySource(f"machinedeployments.{CAPI_GROUP}", _deployment_rows, _deployment_objects),
    short_names=("md",),
    categories=("cluster-api",),
    columns=(
        Column.at("Cluster", "spec.clusterName", description="Cluster"),
        Column.at("Desired", "spec.replicas", type="integer", priority=1),
        Column.at("Replicas", "status.replicas", type="integer"),
        Column.at("Ready", "status.readyReplicas", type="integer"),
        Column.at("Updated", "status.updatedReplicas", type="integer"),
        Column.at("Unavailable", "status.unavailableReplicas", type="integer"),
        Column.at("Phase", "status.phase"),
        Column.age(),
        Column.at("Version", "spec.template.spec.version"),
    ),
    schema=DEPLOYMENT_SCHEMA,
    description="The node pools of the namespace's VKS clusters.",
)
