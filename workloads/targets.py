"""What Workload Management tasks are about, as the APIs name them: a vSphere Namespace is a
`com.vmware.vcenter.namespaces.Instance` identified by its name (the id the Automation API
takes); a VKS cluster has no vSphere API type, so it is named as Kubernetes names it, by its
Cluster API kind and `namespace/name`. Their links open the namespace and cluster pages, which
the namespace's users may open, not the vSphere cluster behind them, which they may not."""

from __future__ import annotations

from django.urls import reverse

from inventory.tasklog import Target
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
