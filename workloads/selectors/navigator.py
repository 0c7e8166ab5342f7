"""The inventory node the navigator opens for a Workload Management page, as the vSphere Client's
Hosts and Clusters tree shows them: a Supervisor is its vSphere cluster; a namespace is its
resource pool under the cluster's Namespaces pool; a VKS cluster is the pool its node VMs are
in, under its namespace's. A page whose pool is not made yet (or already removed) reveals the
nearest one there is. The result is lazy: only a page that renders the navigator or its main
pane pays the one query."""

from __future__ import annotations

from django.db.models import Q
from django.utils.functional import SimpleLazyObject

from inventory.models import ResourcePool
from workloads.models import Namespace, Supervisor, VksCluster
from workloads.reconcilers.common import NAMESPACES


def supervisor_node(sup: Supervisor) -> str:
    return sup.cluster.moid


def _deepest_pool(sup: Supervisor, namespace: str, cluster: str = "") -> str:
    """The moid of the deepest of the Namespaces pool, the namespace's pool and the cluster's
    that exists, else the vSphere cluster's. One query."""
    wanted = Q(name=NAMESPACES, parent__isnull=False, parent__parent__isnull=True) | Q(
        name=namespace, parent__name=NAMESPACES
    )
    if cluster:
        wanted |= Q(name=cluster, parent__name=namespace, parent__parent__name=NAMESPACES)
    rows = ResourcePool.objects.filter(wanted, cluster=sup.cluster_id).values_list(
        "moid", "name", "parent__name"
    )
    found = {_depth(name, parent, namespace, cluster): moid for moid, name, parent in rows}
    return found[max(found)] if found else sup.cluster.moid


def _depth(name: str, parent: str, namespace: str, cluster: str) -> int:
    if cluster and (name, parent) == (cluster, namespace):
        return 3
    return 2 if (name, parent) == (namespace, NAMESPACES) else 1


def namespace_node(ns: Namespace) -> SimpleLazyObject:
    return SimpleLazyObject(lambda: _deepest_pool(ns.supervisor, ns.name))


def cluster_node(cluster: VksCluster) -> SimpleLazyObject:
    ns = cluster.namespace
    return SimpleLazyObject(lambda: _deepest_pool(ns.supervisor, ns.name, cluster.name))
