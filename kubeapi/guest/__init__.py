"""A VKS cluster's own Kubernetes API (what its kubeconfig points at): read-only, derived on
every request from the simulation, since the simulator runs no workloads.

    common.py   one read of the cluster's registered nodes, stable names, resourceVersions
    nodes.py    nodes: one per registered VksNode, as kubelet and kubeadm describe it
    pods.py     the system pods the cluster runs, placed on its nodes
    system.py   namespaces, and the services `kubernetes` and `kube-dns`

The dispatcher routes `/vks/<namespace>/<cluster>` to `surface_for(cluster)`, lets in only
users `guest_may_access`, and answers every write with WRITE_FORBIDDEN_MESSAGE.
"""

from __future__ import annotations

from kubeapi.guest import nodes, pods, system
from kubeapi.surface import Surface
from workloads.access import namespace_role
from workloads.manifests import kubelet_version
from workloads.models import VksCluster

WRITE_FORBIDDEN_MESSAGE = (
    "This VKS cluster's Kubernetes API is read-only: the simulator runs no workloads, so its "
    "nodes, pods, services and namespaces follow the cluster's VMs and cannot be changed here. "
    "Scale, upgrade or delete the cluster through the Supervisor."
)


def surface_for(cluster: VksCluster) -> Surface:
    """The API surface of `cluster` (its `namespace` best loaded with it): its Kubernetes
    version, and its read-only core types, each listing from one query."""
    surface = Surface(
        name=f"{cluster.namespace.name}/{cluster.name}",
        git_version=kubelet_version(cluster.spec["topology"]["version"]),
    )
    surface.add(
        system.namespace_type(cluster),
        nodes.resource_type(cluster),
        pods.resource_type(cluster),
        system.service_type(cluster),
    )
    return surface


def guest_may_access(user, cluster: VksCluster) -> bool:
    """Whether `user` may use the cluster's API: it still holds a role in the cluster's
    vSphere Namespace (a token outlives a revoked permission; this check does not)."""
    return namespace_role(user, cluster.namespace) is not None
