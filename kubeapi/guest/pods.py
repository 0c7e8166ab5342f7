"""`pods` of a VKS cluster: the system pods it runs, derived from its registered nodes on every
read. Static pods on each control plane node, a DaemonSet pod per node (or per control plane
node), Deployment replicas spread over the workers; the CNI's pods follow the cluster's spec.

Names are stable: the generated parts come from the cluster, the node and the release, so two
GETs agree, a new node brings new pods, and an upgrade rolls the Deployments' pods (a new
pod-template-hash) as it rolls the nodes. The components and images are those a VKS cluster
shows in `kubectl get pods -A` (public lab notes of TKG 2 / VKS clusters)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from kubeapi.guest.common import (
    CONDITION,
    Snapshot,
    age_column,
    array,
    boolean,
    core_type,
    integer,
    kind_schema,
    meta,
    none_if_empty,
    obj,
    resource_key,
    stamp,
    string,
    suffix,
)
from kubeapi.guest.nodes import pod_cidrs
from kubeapi.surface import Column, Context, ResourceType, object_uid, path, timestamp
from workloads.manifests import kubelet_version
from workloads.models import VksNode

REGISTRY = "localhost:5000/vmware.io"  # each node's local registry of the release's images

STATIC, DAEMONSET, DEPLOYMENT = "static", "DaemonSet", "Deployment"
EVERY_NODE, CONTROL_PLANE, WORKERS_FIRST = "every node", "control plane", "workers first"
NODE_CRITICAL, CLUSTER_CRITICAL = "system-node-critical", "system-cluster-critical"


@dataclass(frozen=True)
class Component:
    name: str  # the static pod's prefix, the DaemonSet's or the Deployment's name
    namespace: str
    kind: str
    containers: tuple[tuple[str, str], ...]  # (name, image); {kubernetes} is the release's tag
    labels: dict = field(default_factory=dict)
    where: str = EVERY_NODE
    replicas: int = 1
    host_network: bool = False
    cni: str = ""  # "antrea" or "calico": only in clusters with that CNI
    priority: str = CLUSTER_CRITICAL


def _static(name: str, image: str) -> Component:
    return Component(
        name,
        "kube-system",
        STATIC,
        ((name, image),),
        {"component": name, "tier": "control-plane"},
        CONTROL_PLANE,
        host_network=True,
        priority=NODE_CRITICAL,
    )


def _csi(name: str) -> tuple[str, str]:
    return name, f"{REGISTRY}/csi/{name}:v4.7.0_vmware.1"


COMPONENTS = (
    _static("etcd", f"{REGISTRY}/etcd:v3.5.16_vmware.6"),
    _static("kube-apiserver", f"{REGISTRY}/kube-apiserver:{{kubernetes}}"),
    _static("kube-controller-manager", f"{REGISTRY}/kube-controller-manager:{{kubernetes}}"),
    _static("kube-scheduler", f"{REGISTRY}/kube-scheduler:{{kubernetes}}"),
    Component(  # every node's registry of the release's images, as a static pod
        "docker-registry",
        "kube-system",
        STATIC,
        (("docker-registry", "docker.io/vmware/docker-registry:v2.8.3_vmware.1"),),
        {"run": "docker-registry"},
        host_network=True,
        priority=NODE_CRITICAL,
    ),
    Component(
        "kube-proxy",
        "kube-system",
        DAEMONSET,
        (("kube-proxy", f"{REGISTRY}/kube-proxy:{{kubernetes}}"),),
        {"k8s-app": "kube-proxy"},
        host_network=True,
        priority=NODE_CRITICAL,
    ),
    Component(
        "antrea-agent",
        "kube-system",
        DAEMONSET,
        (
            ("antrea-agent", f"{REGISTRY}/antrea/antrea:v2.1.1_vmware.1"),
            ("antrea-ovs", f"{REGISTRY}/antrea/antrea:v2.1.1_vmware.1"),
        ),
        {"app": "antrea", "component": "antrea-agent"},
        host_network=True,
        cni="antrea",
        priority=NODE_CRITICAL,
    ),
    Component(
        "antrea-controller",
        "kube-system",
        DEPLOYMENT,
        (("antrea-controller", f"{REGISTRY}/antrea/antrea:v2.1.1_vmware.1"),),
        {"app": "antrea", "component": "antrea-controller"},
        WORKERS_FIRST,
        host_network=True,
        cni="antrea",
    ),
    Component(
        "calico-node",
        "kube-system",
        DAEMONSET,
        (("calico-node", f"{REGISTRY}/calico/node:v3.28.2_vmware.1"),),
        {"k8s-app": "calico-node"},
        host_network=True,
        cni="calico",
        priority=NODE_CRITICAL,
    ),
    Component(
        "calico-kube-controllers",
        "kube-system",
        DEPLOYMENT,
        (("calico-kube-controllers", f"{REGISTRY}/calico/kube-controllers:v3.28.2_vmware.1"),),
        {"k8s-app": "calico-kube-controllers"},
        WORKERS_FIRST,
        cni="calico",
    ),
    Component(
        "coredns",
        "kube-system",
        DEPLOYMENT,
        (("coredns", f"{REGISTRY}/coredns:v1.11.3_vmware.4"),),
        {"k8s-app": "kube-dns"},
        WORKERS_FIRST,
        replicas=2,
    ),
    Component(
        "metrics-server",
        "kube-system",
        DEPLOYMENT,
        (("metrics-server", f"{REGISTRY}/metrics-server:v0.7.2_vmware.1"),),
        {"k8s-app": "metrics-server"},
        WORKERS_FIRST,
    ),
    Component(
        "secretgen-controller",
        "secretgen-controller",
        DEPLOYMENT,
        (("secretgen-controller", f"{REGISTRY}/secretgen-controller:v0.18.1_vmware.1"),),
        {"app": "secretgen-controller"},
        WORKERS_FIRST,
    ),
    Component(
        "kapp-controller",
        "tkg-system",
        DEPLOYMENT,
        (
            ("kapp-controller", f"{REGISTRY}/kapp-controller:v0.53.2_vmware.1"),
            ("kapp-controller-sidecarexec", f"{REGISTRY}/kapp-controller:v0.53.2_vmware.1"),
        ),
        {"app": "kapp-controller"},
        WORKERS_FIRST,
        host_network=True,
    ),
    Component(
        "guest-cluster-auth-svc",
        "vmware-system-auth",
        DAEMONSET,
        (("guest-cluster-auth-svc", f"{REGISTRY}/guest-cluster-auth-service:v1.3.3_vmware.1"),),
        {"app": "guest-cluster-auth-svc"},
        CONTROL_PLANE,
        host_network=True,
    ),
    Component(
        "guest-cluster-cloud-provider",
        "vmware-system-cloud-provider",
        DEPLOYMENT,
        (
            (
                "guest-cluster-cloud-provider",
                f"{REGISTRY}/cloud-provider-vsphere/cpi/release/manager:v1.32.1_vmware.1",
            ),
        ),
        {"name": "guest-cluster-cloud-provider"},
        CONTROL_PLANE,
        host_network=True,
    ),
    Component(
        "vsphere-csi-controller",
        "vmware-system-csi",
        DEPLOYMENT,
        (
            _csi("csi-attacher"),
            _csi("csi-resizer"),
            ("vsphere-csi-controller", f"{REGISTRY}/csi/vsphere/driver:v3.4.0_vmware.1"),
            _csi("liveness-probe"),
            ("vsphere-syncer", f"{REGISTRY}/csi/vsphere/syncer:v3.4.0_vmware.1"),
            _csi("csi-provisioner"),
        ),
        {"app": "vsphere-csi-controller", "role": "vsphere-csi"},
        CONTROL_PLANE,
    ),
    Component(
        "vsphere-csi-node",
        "vmware-system-csi",
        DAEMONSET,
        (
            _csi("node-driver-registrar"),
            ("vsphere-csi-node", f"{REGISTRY}/csi/vsphere/driver:v3.4.0_vmware.1"),
            _csi("liveness-probe"),
        ),
        {"app": "vsphere-csi-node", "role": "vsphere-csi"},
        host_network=True,
        priority=NODE_CRITICAL,
    ),
)


def components_for(cni: str) -> list[Component]:
    return [c for c in COMPONENTS if not c.cni or c.cni == cni]


# ---------------------------------------------------------------- building pods


@dataclass
class Placed:
    """One pod to build: its component, name, node, owner, and creation time."""

    component: Component
    name: str
    node: VksNode
    created: datetime
    owner: dict
    labels: dict


def _nodes_for(snapshot: Snapshot, where: str) -> list[VksNode]:
    if where == CONTROL_PLANE:
        return snapshot.control_plane
    if where == WORKERS_FIRST:
        return snapshot.workers or snapshot.control_plane
    return snapshot.nodes


def _owner(kind: str, api_version: str, name: str, uid: str) -> dict:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _place(snapshot: Snapshot, c: Component) -> list[Placed]:
    cluster = snapshot.cluster
    nodes = _nodes_for(snapshot, c.where)
    if c.kind == STATIC:
        return [
            Placed(
                c,
                f"{c.name}-{n.vm.name}",
                n,
                n.created_at,
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "name": n.vm.name,
                    "uid": object_uid("Node", n.pk, n.created_at),
                    "controller": True,
                },
                dict(c.labels),
            )
            for n in nodes
        ]
    if c.kind == DAEMONSET:
        uid = object_uid("DaemonSet", f"{cluster.pk}/{c.namespace}/{c.name}", cluster.created_at)
        revision = suffix(cluster.pk, c.name, snapshot.control_release, length=10)
        labels = {
            **c.labels,
            "controller-revision-hash": revision,
            "pod-template-generation": "1",
        }
        return [
            Placed(
                c,
                f"{c.name}-{suffix(cluster.pk, c.name, n.pk)}",
                n,
                n.created_at,
                _owner("DaemonSet", "apps/v1", c.name, uid),
                labels,
            )
            for n in nodes
        ]
    # A Deployment: its ReplicaSet changes with the release the control plane runs (the
    # add-ons are upgraded with it), its replicas go to ready nodes first (a silent node's
    # pods are evicted and made again elsewhere), spread in turn.
    if not nodes:
        return []
    release = snapshot.control_release
    template_hash = suffix(cluster.pk, c.name, release, length=10)
    replica_set = f"{c.name}-{template_hash}"
    created = next((n.created_at for n in snapshot.nodes if n.release == release), snapshot.born)
    uid = object_uid("ReplicaSet", f"{cluster.pk}/{c.namespace}/{replica_set}", created)
    ready = [n for n in nodes if n.pk in snapshot.ready] or nodes
    return [
        Placed(
            c,
            f"{replica_set}-{suffix(cluster.pk, c.name, release, i)}",
            ready[i % len(ready)],
            created,
            _owner("ReplicaSet", "apps/v1", replica_set, uid),
            {**c.labels, "pod-template-hash": template_hash},
        )
        for i in range(c.replicas)
    ]


def _image_id(image: str) -> str:
    """The image's digest reference, as containerd reports what it pulled."""
    repository = image.rsplit(":", 1)[0]
    return f"{repository}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def _container_id(pod: str, container: str, node: VksNode) -> str:
    booted = node.vm.boot_time.isoformat() if node.vm.boot_time else ""
    digest = hashlib.sha256(f"{pod}/{container}/{booted}".encode()).hexdigest()
    return f"containerd://{digest}"


def pod_object(snapshot: Snapshot, p: Placed, pod_ip: str | None) -> dict:
    cluster, c, node = snapshot.cluster, p.component, p.node
    tag = kubelet_version(snapshot.control_release).replace("+", "_")
    if c.kind == STATIC:
        tag = kubelet_version(node.release).replace("+", "_")  # the node's own manifests
    containers = [
        {"name": name, "image": image.format(kubernetes=tag), "imagePullPolicy": "IfNotPresent"}
        for name, image in c.containers
    ]
    ready = node.pk in snapshot.ready
    started = timestamp(node.vm.boot_time or p.created)
    since = timestamp(p.created)
    host_ip = node.vm.ip_address
    ip = host_ip if c.host_network else pod_ip
    annotations = None
    if c.kind == STATIC:
        config_hash = suffix(p.name, node.release, length=32)
        annotations = {
            "kubernetes.io/config.hash": config_hash,
            "kubernetes.io/config.mirror": config_hash,
            "kubernetes.io/config.seen": since,
            "kubernetes.io/config.source": "file",
        }
    spec: dict = {"containers": containers}
    if c.host_network:
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
        spec["hostNetwork"] = True
    else:
        spec["dnsPolicy"] = "ClusterFirst"
    spec.update(
        {
            "nodeName": node.vm.name,
            "priority": 2000001000 if c.priority == NODE_CRITICAL else 2000000000,
            "priorityClassName": c.priority,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
        }
    )
    if c.kind != STATIC:
        spec["serviceAccountName"] = c.name
    status = {
        "phase": "Running",
        "conditions": [
            _condition("PodReadyToStartContainers", "True", started),
            _condition("Initialized", "True", since),
            _condition("Ready", "True" if ready else "False", started),
            _condition("ContainersReady", "True" if ready else "False", started),
            _condition("PodScheduled", "True", since),
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
    }
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    status["startTime"] = since
    status["containerStatuses"] = [
        {
            "name": ctr["name"],
            "state": {"running": {"startedAt": started}},
            "ready": ready,
            "restartCount": 0,
            "image": ctr["image"],
            "imageID": _image_id(ctr["image"]),
            "containerID": _container_id(p.name, ctr["name"], node),
            "started": True,
        }
        for ctr in containers
    ]
    status["qosClass"] = "Burstable"
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": meta(
            p.name,
            namespace=c.namespace,
            uid=object_uid("Pod", f"{cluster.pk}/{c.namespace}/{p.name}", p.created),
            created=p.created,
            labels=p.labels,
            annotations=annotations,
            owners=[p.owner],
        ),
        "spec": spec,
        "status": status,
    }


def _condition(type_: str, status: str, since: str | None) -> dict:
    return {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": since}


def build(snapshot: Snapshot, namespace: str | None) -> list[dict]:
    cni = snapshot.network.get("cni", "antrea")
    cidrs = pod_cidrs(snapshot)
    # Addresses are handed out over every pod, whatever namespace is asked for, so a pod's
    # IP does not depend on the question.
    next_host: dict[int, int] = defaultdict(lambda: 2)  # .1 is the node's CNI gateway
    pods = []
    for component in components_for(cni):
        for placed in _place(snapshot, component):
            pod_ip = None
            cidr = cidrs.get(placed.node.pk)
            if not component.host_network and cidr is not None:
                pod_ip = str(cidr[next_host[placed.node.pk]])
                next_host[placed.node.pk] += 1
            if namespace is None or component.namespace == namespace:
                pods.append(pod_object(snapshot, placed, pod_ip))
    pods.sort(key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))
    return stamp(pods, resource_key(snapshot.cluster, "pods"))


# ---------------------------------------------------------------- what `kubectl get pods` prints


def ready_cell(pod: dict, _ctx: Context) -> str:
    statuses = path(pod, "status.containerStatuses", []) or []
    ready = sum(1 for s in statuses if s.get("ready") and "running" in (s.get("state") or {}))
    return f"{ready}/{len(path(pod, 'spec.containers', []) or [])}"


def status_cell(pod: dict, _ctx: Context) -> str:
    """The phase, unless a container waits or ended with a reason (kubectl's printPod)."""
    reason = path(pod, "status.reason") or path(pod, "status.phase", "")
    for s in reversed(path(pod, "status.containerStatuses", []) or []):
        state = s.get("state") or {}
        waiting, terminated = state.get("waiting") or {}, state.get("terminated") or {}
        if waiting.get("reason"):
            reason = waiting["reason"]
        elif terminated.get("reason"):
            reason = terminated["reason"]
    if path(pod, "metadata.deletionTimestamp"):
        reason = "Terminating"
    return reason


def restarts_cell(pod: dict, _ctx: Context) -> str:
    statuses = path(pod, "status.containerStatuses", []) or []
    return str(sum(int(s.get("restartCount", 0)) for s in statuses))


def ip_cell(pod: dict, _ctx: Context) -> str:
    ips = path(pod, "status.podIPs", []) or []
    return (ips[0].get("ip") if ips else "") or "<none>"


def gates_cell(pod: dict, _ctx: Context) -> str:
    gates = path(pod, "spec.readinessGates", []) or []
    if not gates:
        return "<none>"
    true = {c.get("type") for c in path(pod, "status.conditions", []) if c.get("status") == "True"}
    return f"{sum(1 for g in gates if g.get('conditionType') in true)}/{len(gates)}"


COLUMNS = (
    Column(
        "Ready",
        ready_cell,
        description="The aggregate readiness state of this pod for accepting traffic.",
    ),
    Column(
        "Status", status_cell, description="The aggregate status of the containers in this pod."
    ),
    Column(
        "Restarts",
        restarts_cell,
        description="The number of times the containers in this pod have been restarted and "
        "when the last container in this pod has restarted.",
    ),
    age_column(),
    Column("IP", ip_cell, priority=1, description="IP address allocated to the pod."),
    Column(
        "Node",
        lambda pod, _ctx: none_if_empty(path(pod, "spec.nodeName")),
        priority=1,
        description="The node the pod is scheduled onto.",
    ),
    Column(
        "Nominated Node",
        lambda pod, _ctx: none_if_empty(path(pod, "status.nominatedNodeName")),
        priority=1,
        description="The node a preempting pod is nominated to run on.",
    ),
    Column(
        "Readiness Gates",
        gates_cell,
        priority=1,
        description="Conditions, besides its containers', that make the pod ready.",
    ),
)

CONTAINER = obj(
    "A container of the pod.",
    {
        "name": string("Name of the container."),
        "image": string("Container image name."),
        "imagePullPolicy": string("Always, Never or IfNotPresent."),
    },
)

SCHEMA = kind_schema(
    "Pod",
    "Pod is a collection of containers running on a node: here, the system pods a VKS "
    "cluster runs (control plane, CNI, DNS, storage and cloud provider).",
    obj(
        "What the pod runs, and where.",
        {
            "containers": array("The pod's containers.", CONTAINER),
            "dnsPolicy": string("How the pod resolves names."),
            "hostNetwork": boolean("The pod uses the node's network namespace."),
            "nodeName": string("The node the pod is scheduled onto."),
            "priority": integer("The priority of its priority class."),
            "priorityClassName": string("Its priority class."),
            "restartPolicy": string("Always, OnFailure or Never."),
            "schedulerName": string("The scheduler that placed it."),
            "serviceAccountName": string("The service account it runs as."),
        },
    ),
    obj(
        "What the kubelet last reported of the pod.",
        {
            "phase": string("Pending, Running, Succeeded, Failed or Unknown."),
            "conditions": array("Scheduled, initialized, ready.", CONDITION),
            "hostIP": string("The node's address."),
            "podIP": string("The pod's address."),
            "startTime": string("When the kubelet acknowledged the pod."),
            "qosClass": string("Guaranteed, Burstable or BestEffort."),
            "containerStatuses": array(
                "Each container's state.",
                obj(
                    "A container's state.",
                    {
                        "name": string("The container's name."),
                        "ready": boolean("Passing its readiness probe."),
                        "restartCount": integer("How often it restarted."),
                        "image": string("Its image."),
                        "state": obj("waiting, running or terminated, with details."),
                    },
                ),
            ),
        },
    ),
)


def resource_type(cluster) -> ResourceType:
    return core_type(
        cluster,
        "Pod",
        "pods",
        build,
        namespaced=True,
        short_names=("po",),
        categories=("all",),
        columns=COLUMNS,
        schema=SCHEMA,
        description="The system pods of the VKS cluster.",
        watch_relists=True,  # the change log names the node a pod runs on, not the pod
    )
