"""`nodes` of a VKS cluster: one per registered VksNode, named as its VM, with what kubelet and
kubeadm put on it (labels, the control plane taint, conditions, addresses, node info, capacity)
and the pod CIDR kube-controller-manager hands it."""

from __future__ import annotations

import ipaddress
import uuid

from kubeapi.guest.common import (
    CONDITION,
    Snapshot,
    age_column,
    array,
    core_type,
    kind_schema,
    meta,
    obj,
    resource_key,
    stamp,
    string,
    string_map,
)
from kubeapi.surface import Column, Context, ResourceType, object_uid, path, timestamp
from workloads.cluster_status import node_ready
from workloads.manifests import kubelet_version
from workloads.models import VksNode

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
ROLE_PREFIX = "node-role.kubernetes.io/"
NODE_CIDR_PREFIX = 24  # kube-controller-manager's --node-cidr-mask-size for IPv4
MAX_PODS = 110  # kubelet's default
CONTAINER_RUNTIME = "containerd://1.7.24+vmware.2-fips"
OS_IMAGES = {  # (osImage, kernelVersion) as /etc/os-release and `uname -r` report them
    "photon": ("VMware Photon OS/Linux", "6.1.129-1.ph5"),
    "ubuntu": ("Ubuntu 22.04.5 LTS", "5.15.0-134-generic"),
}
# What kubelet says of itself (k8s.io/kubernetes pkg/kubelet/nodestatus) and what the node
# lifecycle controller writes when the kubelet stops posting status.
READY = ("KubeletReady", "kubelet is posting ready status")
UNKNOWN = ("NodeStatusUnknown", "Kubelet stopped posting node status.")
PRESSURES = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)


def os_name(node: VksNode) -> str:
    """The node's OS image family, from its VM's guest OS (fixed when the VM was made)."""
    return "ubuntu" if "ubuntu" in node.vm.guest_os.lower() else "photon"


def pod_cidrs(snapshot: Snapshot) -> dict[int, ipaddress.IPv4Network]:
    """Node pk -> its pod CIDR: /24s of the cluster's pod CIDR, each node preferring the one
    its pk points at, older nodes first, so a node keeps its range while others come and go."""
    blocks = snapshot.network.get("pods") or []
    if not blocks:
        return {}
    cluster_cidr = ipaddress.ip_network(blocks[0], strict=False)
    prefix = max(NODE_CIDR_PREFIX, cluster_cidr.prefixlen)
    count = 2 ** (prefix - cluster_cidr.prefixlen)
    taken: set[int] = set()
    found = {}
    for node in snapshot.nodes:
        if len(taken) == count:
            break  # the range is full: later nodes get none, as the allocator would leave them
        slot = node.pk % count
        while slot in taken:
            slot = (slot + 1) % count
        taken.add(slot)
        size = 2 ** (32 - prefix)
        found[node.pk] = ipaddress.ip_network(
            (int(cluster_cidr.network_address) + slot * size, prefix)
        )
    return found


def _conditions(node: VksNode, ready: bool) -> list[dict]:
    since = timestamp(node.vm.boot_time or node.created_at)
    heartbeat = since
    out = []
    for type_, reason, message in PRESSURES:
        if ready:
            status = "False"
        else:
            status, reason, message = "Unknown", *UNKNOWN
        out.append(_condition(type_, status, reason, message, heartbeat, since))
    status, (reason, message) = ("True", READY) if ready else ("Unknown", UNKNOWN)
    out.append(_condition("Ready", status, reason, message, heartbeat, since))
    return out


def _condition(type_, status, reason, message, heartbeat, since) -> dict:
    return {
        "type": type_,
        "status": status,
        "lastHeartbeatTime": heartbeat,
        "lastTransitionTime": since,
        "reason": reason,
        "message": message,
    }


def _taints(node: VksNode, ready: bool) -> list[dict]:
    taints = []
    if node.role == VksNode.Role.CONTROL_PLANE:
        taints.append({"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"})
    if not ready:
        # The node lifecycle controller's taints for a node whose kubelet went silent.
        added = timestamp(node.vm.boot_time or node.created_at)
        for effect in ("NoSchedule", "NoExecute"):
            taints.append(
                {"key": "node.kubernetes.io/unreachable", "effect": effect, "timeAdded": added}
            )
    return taints


def _capacity(node: VksNode) -> tuple[dict, dict]:
    vm = node.vm
    memory_ki = vm.memory_mib * 1024 * 97 // 100  # what the kernel leaves of the VM's memory
    disk_ki = vm.disk_mib * 1024 * 95 // 100  # the root filesystem of the node's disk
    capacity = {
        "cpu": str(vm.num_cpu),
        "ephemeral-storage": f"{disk_ki}Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": f"{memory_ki}Ki",
        "pods": str(MAX_PODS),
    }
    # kubelet's default hard eviction thresholds: memory.available<100Mi, nodefs.available<10%
    allocatable = {
        **capacity,
        "ephemeral-storage": str(disk_ki * 1024 * 9 // 10),
        "memory": f"{memory_ki - 100 * 1024}Ki",
    }
    return capacity, allocatable


def node_object(snapshot: Snapshot, node: VksNode, cidr) -> dict:
    cluster, vm = snapshot.cluster, node.vm
    ready = node_ready(node)
    control_plane = node.role == VksNode.Role.CONTROL_PLANE
    version = kubelet_version(node.release)
    image, kernel = OS_IMAGES[os_name(node)]
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": node.vm_class,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": vm.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": node.vm_class,
        "run.tanzu.vmware.com/kubernetesDistributionVersion": node.release,
        "run.tanzu.vmware.com/tkr": node.release,
    }
    if control_plane:
        labels[CONTROL_PLANE_LABEL] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    owner = vm.name.rsplit("-", 1)[0]  # KubeadmControlPlane or MachineSet: the name's stem
    annotations = {
        "cluster.x-k8s.io/cluster-name": cluster.name,
        "cluster.x-k8s.io/cluster-namespace": cluster.namespace.name,
        "cluster.x-k8s.io/machine": vm.name,
        "cluster.x-k8s.io/owner-kind": "KubeadmControlPlane" if control_plane else "MachineSet",
        "cluster.x-k8s.io/owner-name": owner,
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    spec: dict = {}
    if cidr is not None:
        spec["podCIDR"] = str(cidr)
        spec["podCIDRs"] = [str(cidr)]
    spec["providerID"] = f"vsphere://{vm.instance_uuid}"
    taints = _taints(node, ready)
    if taints:
        spec["taints"] = taints
    capacity, allocatable = _capacity(node)
    booted = f"{vm.pk}/{vm.boot_time.isoformat() if vm.boot_time else ''}"
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": meta(
            vm.name,
            uid=object_uid("Node", node.pk, node.created_at),
            created=node.created_at,
            labels=labels,
            annotations=annotations,
        ),
        "spec": spec,
        "status": {
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": _conditions(node, ready),
            "addresses": [
                {"type": "Hostname", "address": vm.name},
                {"type": "InternalIP", "address": vm.ip_address},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": uuid.uuid5(uuid.NAMESPACE_OID, f"machine/{node.pk}").hex,
                "systemUUID": str(vm.instance_uuid),
                "bootID": str(uuid.uuid5(uuid.NAMESPACE_OID, f"boot/{booted}")),
                "kernelVersion": kernel,
                "osImage": image,
                "containerRuntimeVersion": CONTAINER_RUNTIME,
                "kubeletVersion": version,
                "kubeProxyVersion": version,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def build(snapshot: Snapshot, _namespace: str | None = None) -> list[dict]:
    cidrs = pod_cidrs(snapshot)
    nodes = [node_object(snapshot, n, cidrs.get(n.pk)) for n in snapshot.nodes]
    nodes.sort(key=lambda o: o["metadata"]["name"])
    return stamp(nodes, resource_key(snapshot.cluster, "nodes"))


# ---------------------------------------------------------------- what `kubectl get nodes` prints


def status_cell(node: dict, _ctx: Context) -> str:
    """Ready / NotReady, and SchedulingDisabled when cordoned (never, here: read-only)."""
    ready = [c for c in path(node, "status.conditions", []) if c.get("type") == "Ready"]
    status = ["Ready" if ready[0].get("status") == "True" else "NotReady"] if ready else []
    status = status or ["Unknown"]
    if path(node, "spec.unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def roles_cell(node: dict, _ctx: Context) -> str:
    roles = set()
    for key, value in (path(node, "metadata.labels", {}) or {}).items():
        if key.startswith(ROLE_PREFIX) and key[len(ROLE_PREFIX) :]:
            roles.add(key[len(ROLE_PREFIX) :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def address_cell(kind: str):
    def cell(node: dict, _ctx: Context) -> str:
        for a in path(node, "status.addresses", []) or []:
            if a.get("type") == kind:
                return a.get("address", "")
        return "<none>"

    return cell


def info_cell(key: str):
    return lambda node, _ctx: path(node, f"status.nodeInfo.{key}") or "<unknown>"


COLUMNS = (
    Column("Status", status_cell, description="The status of the node"),
    Column("Roles", roles_cell, description="The roles of the node"),
    age_column(),
    Column(
        "Version",
        lambda node, _ctx: path(node, "status.nodeInfo.kubeletVersion", ""),
        description="Kubelet Version reported by the node.",
    ),
    Column(
        "Internal-IP",
        address_cell("InternalIP"),
        priority=1,
        description="List of addresses reachable to the node.",
    ),
    Column(
        "External-IP",
        address_cell("ExternalIP"),
        priority=1,
        description="List of addresses reachable to the node.",
    ),
    Column(
        "OS-Image",
        info_cell("osImage"),
        priority=1,
        description="OS Image reported by the node from /etc/os-release.",
    ),
    Column(
        "Kernel-Version",
        info_cell("kernelVersion"),
        priority=1,
        description="Kernel Version reported by the node from 'uname -r'.",
    ),
    Column(
        "Container-Runtime",
        info_cell("containerRuntimeVersion"),
        priority=1,
        description="ContainerRuntime Version reported by the node through runtime remote API.",
    ),
)

SCHEMA = kind_schema(
    "Node",
    "Node is a worker of the cluster: here, one VM of the VKS cluster's control plane or of "
    "one of its node pools.",
    obj(
        "How the node is set up.",
        {
            "podCIDR": string("The pod IP range assigned to the node."),
            "podCIDRs": array("The pod IP ranges assigned to the node.", {"type": "string"}),
            "providerID": string("The VM's ID in vSphere: vsphere://<BIOS UUID>."),
            "taints": array(
                "Taints that keep pods off the node unless they tolerate them.",
                obj(
                    "A taint.",
                    {
                        "key": string("The taint key."),
                        "value": string("The taint value."),
                        "effect": string("NoSchedule, PreferNoSchedule or NoExecute."),
                    },
                ),
            ),
            "unschedulable": {"type": "boolean", "description": "Cordoned: no new pods."},
        },
    ),
    obj(
        "What the kubelet last reported.",
        {
            "addresses": array(
                "Addresses of the node: InternalIP, Hostname.",
                obj(
                    "An address.",
                    {"type": string("Address type."), "address": string("The address.")},
                ),
            ),
            "allocatable": string_map("What pods may use of the node's capacity."),
            "capacity": string_map("The node's resources: cpu, memory, pods, storage."),
            "conditions": array("Ready and the pressure conditions.", CONDITION),
            "nodeInfo": obj(
                "Versions and IDs the node reports.",
                {
                    key: string(text)
                    for key, text in (
                        ("architecture", "The architecture, amd64."),
                        ("bootID", "The boot ID."),
                        ("containerRuntimeVersion", "Container runtime and version."),
                        ("kernelVersion", "Kernel version, from 'uname -r'."),
                        ("kubeProxyVersion", "The kube-proxy version."),
                        ("kubeletVersion", "The kubelet version."),
                        ("machineID", "The machine ID."),
                        ("operatingSystem", "The operating system, linux."),
                        ("osImage", "OS image, from /etc/os-release."),
                        ("systemUUID", "The VM's BIOS UUID."),
                    )
                },
            ),
        },
    ),
)


def resource_type(cluster) -> ResourceType:
    return core_type(
        cluster,
        "Node",
        "nodes",
        build,
        namespaced=False,
        short_names=("no",),
        columns=COLUMNS,
        schema=SCHEMA,
        description="The nodes of the VKS cluster.",
    )
