"""What Workload Management tasks are about, as the APIs name them: a vSphere Namespace is a
`com.vmware.vcenter.namespaces.Instance` identified by its name (the id the Automation API
takes); a VKS cluster has no vSphere API type, so it is named as Kubernetes names it, by its
Cluster API kind and `namespace/name`. Their links open the namespace and cluster pages, which
the namespace's users may open, not the vSphere cluster behind them, which they may not."""

from __future__ import annotations

from django.db.models import Q, Value
from django.db.models.functions import NullIf, StrIndex, Substr
from django.db.models.lookups import In
from django.urls import reverse

from inventory.tasklog import Target
from workloads.access import namespaces_visible_to
from workloads.models import Namespace, VksCluster

NAMESPACE_TYPE = "com.vmware.vcenter.namespaces.Instance"
CLUSTER_TYPE = "cluster.x-k8s.io.Cluster"


def namespace_target(ns: Namespace) -> Target:
    return Target(NAMESPACE_TYPE, ns.name, ns.name, within=ns.supervisor.cluster)


def cluster_target(cluster: VksCluster) -> Target:
    ns = cluster.namespace
    return Target(CLUSTER_TYPE, f"{ns.name}/{cluster.name}", cluster.name, ns.supervisor.cluster)


def namespace_page(name: str) -> str:
    return reverse("workloads:namespace-summary", args=[name])


def cluster_page(key: str) -> str:
    namespace, _, name = key.partition("/")
    return reverse("workloads:cluster-detail", args=[namespace, name])


def namespace_of_target():
    """The namespace part of a VKS cluster target's id (`<namespace>/<cluster>`), in SQL; NULL
    for an id without a slash (PostgreSQL refuses a negative length even on rows that another
    condition excludes: it may evaluate this first)."""
    slash = NullIf(StrIndex("target_moid", Value("/")), Value(0))
    return Substr("target_moid", 1, slash - 1)


def targets_visible_to(user) -> Q:
    """The tasks and events of the namespaces `user` holds a role in and of their VKS clusters
    (those since deleted too: the owner of a namespace sees who deleted a cluster in it), as a
    condition on a task's or event's target. One subquery, whatever the user holds."""
    names = namespaces_visible_to(user).values("name")
    return Q(target_type=NAMESPACE_TYPE, target_moid__in=names) | Q(
        In(namespace_of_target(), names), target_type=CLUSTER_TYPE
    )
