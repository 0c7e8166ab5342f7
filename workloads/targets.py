"""What Workload Management tasks are about, as the APIs name them: a vSphere Namespace is a
`com.vmware.vcenter.namespaces.Instance` identified by its name (the id the Automation API
takes); a VKS cluster has no vSphere API type, so it is named as Kubernetes names it, by its
Cluster API kind and `namespace/name`. Their links open the namespace and cluster pages, which
the namespace's users may open, not the vSphere cluster behind them, which they may not."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from inventory.tasklog import Target
from workloads.access import namespaces_visible_to
from workloads.models import Namespace, VksCluster

NAMESPACE_TYPE = "com.vmware.vcenter.namespaces.Instance"
CLUSTER_TYPE = "cluster.x-k8s.io.Cluster"


def namespace_target(ns: Namespace) -> Target:
    return Target(NAMESPACE_TYPE, ns.name, ns.name, within=ns.supervisor.cluster, namespace=ns.name)


def cluster_target(cluster: VksCluster) -> Target:
    ns = cluster.namespace
    return Target(
        CLUSTER_TYPE,
        f"{ns.name}/{cluster.name}",
        cluster.name,
        within=ns.supervisor.cluster,
        namespace=ns.name,
    )


def namespace_page(name: str) -> str:
    return reverse("workloads:namespace-summary", args=[name])


def cluster_page(key: str) -> str:
    namespace, _, name = key.partition("/")
    return reverse("workloads:cluster-detail", args=[namespace, name])


def targets_visible_to(user) -> Q:
    """The tasks and events of the namespaces `user` holds a role in and of their VKS clusters
    (those since deleted too: the owner of a namespace sees who deleted a cluster in it), as a
    condition on the namespace each was written with (`scope_namespace`, indexed). The names
    are read first (one query, memoised on the user for the request): a list lets PostgreSQL
    combine this with the user's own tasks in one bitmap of two indexes, where a subquery
    under OR is a filter on every row."""
    memo = user.__dict__
    if "_vks_namespace_names" not in memo:
        memo["_vks_namespace_names"] = list(
            namespaces_visible_to(user).values_list("name", flat=True)
        )
    return Q(scope_namespace__in=memo["_vks_namespace_names"])
