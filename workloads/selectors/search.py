"""Global search for developers: the vSphere Namespaces and VKS clusters they hold a role in,
whose name contains the term (inventory.selectors.GRANTED_SEARCHES). Nothing else: a name they
may not see never reaches them."""

from __future__ import annotations

from dataclasses import dataclass

from inventory.entities import icon_named
from inventory.selectors import SearchGroup
from workloads.access import namespaces_visible_to
from workloads.models import VksCluster
from workloads.targets import cluster_page, namespace_page


@dataclass(frozen=True)
class Hit:
    moid: str  # the id the APIs use: a namespace's name, a cluster's `namespace/name`
    name: str
    object_type: str
    icon: str
    url: str


def namespaces_and_clusters_matching(user, q: str, per_type: int) -> list[SearchGroup]:
    """The first `per_type` of each, by name; two queries, whatever the number of either."""
    if not q:
        return []
    visible = namespaces_visible_to(user)
    namespaces = list(visible.filter(name__icontains=q).order_by("name")[: per_type + 1])
    clusters = list(
        VksCluster.objects.filter(namespace__in=visible, name__icontains=q)
        .select_related("namespace")
        .order_by("name", "namespace__name")[: per_type + 1]
    )
    groups = []
    if namespaces:
        hits = [
            Hit(
                ns.name,
                ns.name,
                "vSphere Namespace",
                icon_named("ResourcePool", "namespace"),
                namespace_page(ns.name),
            )
            for ns in namespaces[:per_type]
        ]
        groups.append(SearchGroup("Namespace", "Namespaces", hits, more=False))
    if clusters:
        hits = [
            Hit(
                f"{c.namespace.name}/{c.name}",
                c.name,
                "VKS Cluster",
                "cluster",
                cluster_page(f"{c.namespace.name}/{c.name}"),
            )
            for c in clusters[:per_type]
        ]
        groups.append(SearchGroup("VksCluster", "VKS Clusters", hits, more=False))
    return groups
