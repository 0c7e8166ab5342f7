"""VKS clusters on the Supervisor's Kubernetes API: `tanzukubernetesclusters.run.tanzu.vmware.com`
(v1alpha3, `tkc`) and `clusters.cluster.x-k8s.io` (v1beta1, `cl`, category cluster-api).

Every VKS cluster is a Cluster API Cluster; one made from a TanzuKubernetesCluster manifest is
also that TKC, and its Cluster (the one the TKC controller makes, owned by the TKC) is read-only
through the Cluster type. Objects are built straight from the rows by
workloads.cluster_objects (the YAML tab's builder): a list is a fixed number of queries however
many clusters it holds. Writes go through the services the wizard and Apply YAML use, with
their admission and permissions; a dry run does all of it in a transaction rolled back at the
end, so no Task, Event or reconcile survives it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404

from kubeapi import changes
from kubeapi.cluster_schemas import CLUSTER_SCHEMA, TKC_SCHEMA, unknown_fields
from kubeapi.surface import Column, Context, ResourceType
from workloads import selectors
from workloads.access import Role, namespaces_visible_to, require_role
from workloads.cluster_objects import (
    TKR_COMPATIBLE,
    UPDATES_AVAILABLE,
    cluster_document,
    namespace_releases,
)
from workloads.manifests import (
    CLUSTER_KIND,
    KINDS,
    RESOURCES,
    TKC_KIND,
    cluster_uid,
    parse_document,
)
from workloads.models import Namespace, VksCluster, VksNode
from workloads.releases import releases_by_namespace
from workloads.services.clusters import (
    ClusterStateError,
    ConflictError,
    cluster_create_from_manifest,
    cluster_delete,
    cluster_update_from_manifest,
)
from workloads.specs import SpecError

__all__ = ["CLUSTERS", "TANZU_KUBERNETES_CLUSTERS", "TYPES", "unknown_fields"]


def _resource_versions(resource: str, namespace: str | None) -> dict[tuple[str, str], int]:
    """The objects' resourceVersions from the change log, (namespace, name) -> version, in one
    query."""
    return changes.versions(resource, namespace)


def _resource_version(versions: dict[tuple[str, str], int], cluster: VksCluster) -> str:
    return str(versions.get((cluster.namespace.name, cluster.name), 1))


@contextmanager
def _transaction(*, dry_run: bool) -> Iterator[None]:
    """The write's transaction; for a dry run, rolled back once it has all been done (on-commit
    work, the reconcile and the Recent Tasks stamp among it, is dropped with it)."""
    with transaction.atomic():
        yield
        if dry_run:
            transaction.set_rollback(True)


class ClusterObjects:
    """Source and Writer of one kind's objects: TKCs, or every cluster as a Cluster."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.resource = RESOURCES[kind]

    # ------------------------------------------------------------ reads

    def _rows(self, ctx: Context, namespace: str | None):
        # Namespaces and Supervisors prefetched, not joined: each is then decoded once, not
        # once per cluster (their JSON fields cost more than the cluster's own).
        rows = (
            VksCluster.objects.prefetch_related("namespace__supervisor")
            .defer("certificate_authority")
            .filter(namespace__in=namespaces_visible_to(ctx.user))
        )
        if namespace is not None:
            rows = rows.filter(namespace__name=namespace)
        if self.kind == TKC_KIND:  # its status counts nodes; a Cluster's does not
            nodes = VksNode.objects.only("cluster", "role", "release").order_by()
            rows = rows.filter(kind=TKC_KIND).prefetch_related(Prefetch("nodes", nodes))
        return rows.order_by("namespace__name", "name")

    def _objects(self, clusters: list[VksCluster], namespace: str | None) -> list[dict]:
        """Queries: the resourceVersions, and for TKCs their namespaces' releases; none per
        object."""
        versions = _resource_versions(self.resource, namespace)
        releases = {}
        if self.kind == TKC_KIND and clusters:
            releases = releases_by_namespace({c.namespace for c in clusters})
        return [
            cluster_document(
                c,
                nodes=c.nodes.all() if self.kind == TKC_KIND else (),
                releases=releases.get(c.namespace_id),
                resource_version=_resource_version(versions, c),
                as_cluster=self.kind == CLUSTER_KIND and c.kind == TKC_KIND,
            )
            for c in clusters
        ]

    def list(self, ctx: Context, namespace: str | None) -> list[dict]:
        """Every cluster of the namespace (or of every namespace the user may see): the
        clusters, their namespaces, Supervisors, nodes (TKCs) and releases (TKCs), the
        resourceVersions, and the user's groups for a user without a vCenter role."""
        return self._objects(list(self._rows(ctx, namespace)), namespace)

    def get(self, ctx: Context, namespace: str | None, name: str) -> dict | None:
        found = list(self._rows(ctx, namespace).filter(name=name)[:1])
        return self._objects(found, namespace)[0] if found else None

    def _built(self, cluster: VksCluster) -> dict:
        versions = _resource_versions(self.resource, cluster.namespace.name)
        return cluster_document(
            cluster,
            releases=namespace_releases(cluster) if self.kind == TKC_KIND else None,
            resource_version=_resource_version(versions, cluster),
            as_cluster=self.kind == CLUSTER_KIND and cluster.kind == TKC_KIND,
        )

    # ------------------------------------------------------------ writes

    def _namespace(self, ctx: Context, namespace: str | None) -> Namespace:
        """The namespace for a write: 404 without a role, 403 below Can edit (RBAC before the
        body is looked at, as the API server)."""
        ns = selectors.namespace_get(ctx.user, namespace or "")
        require_role(ctx.user, ns, Role.EDIT)
        return ns

    def _typed(self, body: dict, name: str | None = None) -> dict:
        """The body with apiVersion, kind (and for a replace, the name) filled from the URL
        when left out, as the API server decodes it; another kind's is refused."""
        if not isinstance(body, dict):
            raise SpecError({"manifest": "the object is not a map"})
        body = {"apiVersion": KINDS[self.kind], "kind": self.kind, **body}
        if (body["apiVersion"], body["kind"]) != (KINDS[self.kind], self.kind):
            raise SpecError(
                {
                    "kind": f"the object is a {body['kind']} of {body['apiVersion']}, not a "
                    f"{self.kind} of {KINDS[self.kind]}"
                }
            )
        metadata = body.get("metadata")
        if name is not None and isinstance(metadata, dict):
            if metadata.get("name") not in (None, name):
                raise SpecError(
                    {
                        "metadata.name": f"the name of the object ({metadata['name']}) does not "
                        f"match the name on the URL ({name})"
                    }
                )
            body["metadata"] = {**metadata, "name": name}
        return body

    def _locked(self, ns: Namespace, name: str) -> VksCluster:
        """The cluster, row-locked for the rest of the write; a TKC's Cluster is its
        controller's, not the caller's, to change."""
        found = (
            VksCluster.objects.select_for_update(of=("self",))
            .select_related("namespace__supervisor__cluster", "namespace__kubernetes_library")
            .filter(namespace=ns, name=name)
            .first()
        )
        if found is None or (self.kind == TKC_KIND and found.kind != TKC_KIND):
            raise Http404(f'{self.resource} "{name}" not found')
        if self.kind == CLUSTER_KIND and found.kind == TKC_KIND:
            raise ClusterStateError(
                f'{self.resource} "{name}" is managed by TanzuKubernetesCluster "{name}": '
                "change the TanzuKubernetesCluster instead."
            )
        return found

    def _require(self, cluster: VksCluster, preconditions) -> None:
        """`metadata.uid` / `resourceVersion` of a replace, DeleteOptions' preconditions: a
        change made against another version of the object is refused (409)."""
        if not isinstance(preconditions, dict):
            return
        uid, version = preconditions.get("uid"), preconditions.get("resourceVersion")
        current = _resource_version(
            _resource_versions(self.resource, cluster.namespace.name), cluster
        )
        if (uid and uid != cluster_uid(cluster)) or (version and str(version) != current):
            raise ConflictError(
                f'Operation cannot be fulfilled on {self.resource} "{cluster.name}": the object '
                "has been modified; please apply your changes to the latest version and try again."
            )

    def create(self, ctx: Context, namespace: str | None, body: dict, *, dry_run: bool) -> dict:
        ns = self._namespace(ctx, namespace)
        body = self._typed(body)
        with _transaction(dry_run=dry_run):
            manifest = parse_document(body, namespace_name=ns.name)
            cluster = cluster_create_from_manifest(namespace=ns, manifest=manifest, user=ctx.user)
            return self._built(cluster)

    def replace(
        self, ctx: Context, namespace: str | None, name: str, body: dict, *, dry_run: bool
    ) -> dict:
        ns = self._namespace(ctx, namespace)
        body = self._typed(body, name)
        with _transaction(dry_run=dry_run):
            cluster = self._locked(ns, name)
            self._require(cluster, body.get("metadata"))
            manifest = parse_document(body, namespace_name=ns.name)
            updated = cluster_update_from_manifest(
                cluster=cluster, manifest=manifest, generation=cluster.generation, user=ctx.user
            )
            return self._built(updated)

    def delete(
        self, ctx: Context, namespace: str | None, name: str, options: dict, *, dry_run: bool
    ) -> dict:
        ns = self._namespace(ctx, namespace)
        with _transaction(dry_run=dry_run):
            cluster = self._locked(ns, name)
            self._require(cluster, (options or {}).get("preconditions"))
            deleted = cluster_delete(cluster=cluster, user=ctx.user, generation=cluster.generation)
            return self._built(deleted)


TANZU_KUBERNETES_CLUSTERS = ResourceType(
    group="run.tanzu.vmware.com",
    version="v1alpha3",
    plural="tanzukubernetesclusters",
    singular="tanzukubernetescluster",
    kind=TKC_KIND,
    namespaced=True,
    source=ClusterObjects(TKC_KIND),
    writer=ClusterObjects(TKC_KIND),
    short_names=("tkc",),
    columns=(
        Column.at(
            "Control Plane",
            "spec.topology.controlPlane.replicas",
            type="integer",
            description="Number of control plane nodes asked for.",
        ),
        Column.at(
            "Worker",
            "status.totalWorkerReplicas",
            type="integer",
            description="Number of worker nodes.",
        ),
        Column.at(
            "TKR Name",
            "spec.topology.controlPlane.tkr.reference.name",
            description="The Kubernetes release of the control plane.",
        ),
        Column.age(),
        Column.condition("Ready", "Ready"),
        Column.condition("TKR Compatible", TKR_COMPATIBLE),
        Column.condition("Updates Available", UPDATES_AVAILABLE, key="message"),
    ),
    schema=TKC_SCHEMA,
    description=TKC_SCHEMA["description"],
)

CLUSTERS = ResourceType(
    group="cluster.x-k8s.io",
    version="v1beta1",
    plural="clusters",
    singular="cluster",
    kind=CLUSTER_KIND,
    namespaced=True,
    source=ClusterObjects(CLUSTER_KIND),
    writer=ClusterObjects(CLUSTER_KIND),
    short_names=("cl",),
    categories=("cluster-api",),
    columns=(
        Column.at(
            "ClusterClass",
            "spec.topology.class",
            description="The ClusterClass the cluster is made from.",
        ),
        Column.at(
            "Phase",
            "status.phase",
            description="Pending, Provisioning, Provisioned, Deleting or Failed.",
        ),
        Column.age(),
        Column.at(
            "Version",
            "spec.topology.version",
            description="The Kubernetes release the cluster runs.",
        ),
    ),
    schema=CLUSTER_SCHEMA,
    description=CLUSTER_SCHEMA["description"],
)

TYPES = (TANZU_KUBERNETES_CLUSTERS, CLUSTERS)
