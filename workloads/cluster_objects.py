"""A VKS cluster as the Kubernetes API shows it: the one builder behind the cluster page's YAML
tab and the Supervisor's Kubernetes API (kubeapi.clusters).

The object is built directly from the row (no YAML round trip). Its `spec` is the manifest's
as written (`VksCluster.manifest_spec`, defaults filled), or for a cluster made by the wizard,
built from the normalised `spec`. Changes made elsewhere (scale, upgrade, node pools) are
carried into the written spec by the services (`carry_change`), so both views agree and every
field a user wrote comes back with the value written: `kubectl apply` of the same file twice
finds nothing to change.

A TanzuKubernetesCluster also appears as the Cluster API `Cluster` its controller makes (same
name, owned by the TKC, on the `tanzukubernetescluster` ClusterClass): `as_cluster=True`.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import yaml

from workloads.manifests import (
    API_SERVER_PORT,
    BUILTIN_CLASSES,
    CLUSTER_API_VERSION,
    CLUSTER_KIND,
    DEFAULT_CLUSTER_CLASS,
    DEFAULTS,
    KINDS,
    OS_IMAGE_ANNOTATION,
    PUBLIC_CLASS_NAMESPACE,
    TKC_API_VERSION,
    TKC_CLASS,
    TKC_KIND,
    WORKER_CLASS,
    cluster_uid,
    kubelet_version,
)
from workloads.releases import KubernetesRelease, release_for, releases_in, updates_available

TKR_COMPATIBLE = "TanzuKubernetesReleaseCompatible"
UPDATES_AVAILABLE = "UpdatesAvailable"


# ---------------------------------------------------------------- the spec, built and as written


def spec_document(kind: str, cluster_class: str, spec: dict) -> dict:
    """The spec in `kind`'s shape made from the normalised spec alone: what a manifest that
    says nothing more than the simulator models would hold, defaults filled."""
    topology, network = spec["topology"], spec["network"]
    if kind == TKC_KIND:
        return _tkc_body(topology, network)
    return _cluster_body(cluster_class, topology, network)


def _named(*values: Any) -> bool:
    """Lists of objects keyed by `name` (node pools, machineDeployments, variables)."""
    return all(
        isinstance(v, list)
        and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in v)
        for v in values
    )


def with_defaults(written: Any, built: Any) -> Any:
    """`written` with what `built` adds: maps merged key by key (written wins; a null written
    is left out, as the API server prunes it); in lists of named objects the items written stay
    exactly as written, then built's others. (kubectl's merge patch replaces a list whole: a
    default filled into an item would make every `kubectl apply` a change.)"""
    if isinstance(written, dict) and isinstance(built, dict):
        merged = {
            k: with_defaults(v, built[k]) if k in built else copy.deepcopy(v)
            for k, v in written.items()
            if v is not None
        }
        merged.update({k: copy.deepcopy(v) for k, v in built.items() if k not in merged})
        return merged
    if written and _named(written, built):
        merged = [copy.deepcopy(i) for i in written]
        names = {i["name"] for i in written}
        return merged + [copy.deepcopy(i) for i in built if i["name"] not in names]
    return copy.deepcopy(written)


def carry_change(written: Any, before: Any, after: Any) -> Any:
    """`written` with the change from `before` to `after` (two built specs) carried in: only
    what changed is replaced, so what the user wrote elsewhere (a version as `v1.32`, volumes,
    taints) stays as written."""
    if before == after:
        return copy.deepcopy(written)
    if isinstance(written, dict) and isinstance(before, dict) and isinstance(after, dict):
        result = copy.deepcopy(written)
        for k, v in after.items():
            if k in result and k in before:
                result[k] = carry_change(result[k], before[k], v)
            elif k not in before or before[k] != v:
                result[k] = copy.deepcopy(v)
        for k in before.keys() - after.keys():
            result.pop(k, None)
        return result
    if _named(written, before, after):
        mine = {i["name"]: i for i in written}
        was = {i["name"]: i for i in before}
        result = [
            carry_change(mine[i["name"]], was.get(i["name"], {}), i)
            if i["name"] in mine
            else copy.deepcopy(i)
            for i in after
        ]
        # An item only the writer has (never built: an override equal to the default) stays.
        kept = {i["name"] for i in after} | was.keys()
        return result + [copy.deepcopy(i) for i in written if i["name"] not in kept]
    return copy.deepcopy(after)


def cluster_spec(cluster, *, as_cluster: bool = False) -> dict:
    """The object's `spec`: as written, or built; a TKC's Cluster is its controller's making."""
    if as_cluster:
        spec = spec_document(CLUSTER_KIND, TKC_CLASS, cluster.spec)
    elif cluster.manifest_spec:
        # Not copied: each read decodes its own, and a list's per-object cost is what counts.
        spec = dict(cluster.manifest_spec)
    else:
        spec = spec_document(cluster.kind, cluster.cluster_class, cluster.spec)
    if cluster.api_endpoint and (as_cluster or cluster.kind == CLUSTER_KIND):
        # Cluster API's controllers copy the load balancer's VIP into the spec.
        endpoint = {"host": cluster.api_endpoint, "port": API_SERVER_PORT}
        spec = {
            "clusterNetwork": spec.pop("clusterNetwork", {}),
            "controlPlaneEndpoint": endpoint,
            **spec,
        }
    return spec


def _tkc_body(topology: dict, network: dict) -> dict:
    cp, tkr = topology["controlPlane"], {"reference": {"name": topology["version"]}}
    return {
        "topology": {
            "controlPlane": {
                "replicas": cp["replicas"],
                "vmClass": cp["vmClass"],
                "storageClass": cp["storageClass"],
                "tkr": copy.deepcopy(tkr),
            },
            "nodePools": [
                {
                    "name": p["name"],
                    "replicas": p["replicas"],
                    "vmClass": p["vmClass"],
                    "storageClass": p["storageClass"],
                    "tkr": copy.deepcopy(tkr),
                }
                for p in topology["nodePools"]
            ],
        },
        "settings": {
            "network": {
                "cni": {"name": network["cni"]},
                "services": {"cidrBlocks": list(network["services"])},
                "pods": {"cidrBlocks": list(network["pods"])},
                "serviceDomain": network["serviceDomain"],
            }
        },
    }


def _cluster_body(cluster_class: str, topology: dict, network: dict) -> dict:
    cp = topology["controlPlane"]
    os_image = cp.get("osImage") or DEFAULTS["osImage"]
    body: dict[str, Any] = {"class": cluster_class or DEFAULT_CLUSTER_CLASS}
    if body["class"] in BUILTIN_CLASSES:
        body["classNamespace"] = PUBLIC_CLASS_NAMESPACE
    body["version"] = topology["version"]
    body["controlPlane"] = {
        "replicas": cp["replicas"],
        "metadata": {"annotations": {OS_IMAGE_ANNOTATION: f"os-name={os_image}"}},
    }
    deployments = []
    for p in topology["nodePools"]:
        md: dict[str, Any] = {"class": WORKER_CLASS, "name": p["name"], "replicas": p["replicas"]}
        overrides = [
            {"name": key, "value": p[key]}
            for key in ("vmClass", "storageClass")
            if p[key] != cp[key]
        ]
        if overrides:
            md["variables"] = {"overrides": overrides}
        deployments.append(md)
    body["workers"] = {"machineDeployments": deployments}
    variables = [
        {"name": "vmClass", "value": cp["vmClass"]},
        {"name": "storageClass", "value": cp["storageClass"]},
    ]
    if network["cni"] != DEFAULTS["cni"]:
        variables.append({"name": "cni", "value": network["cni"]})
    body["variables"] = variables
    return {
        "clusterNetwork": {
            "apiServerPort": API_SERVER_PORT,
            "services": {"cidrBlocks": list(network["services"])},
            "pods": {"cidrBlocks": list(network["pods"])},
            "serviceDomain": network["serviceDomain"],
        },
        "topology": body,
    }


# ---------------------------------------------------------------- the object


def _timestamp(value) -> str | None:
    """metav1.Time: RFC 3339 in UTC to the second (conditions keep ISO strings)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def owned_cluster_uid(cluster) -> str:
    """The uid of the Cluster a TKC's controller makes: an object of its own, not the TKC."""
    created = cluster.created_at.isoformat() if cluster.created_at else ""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"vks-cluster/{cluster.pk}/{created}/cluster"))


def cluster_document(
    cluster,
    *,
    nodes=None,
    releases: list[KubernetesRelease] | None = None,
    resource_version: str | None = None,
    as_cluster: bool = False,
) -> dict:
    """The cluster as `kubectl get -o json` shows it: apiVersion, kind, metadata, spec, status.

    `nodes` (its VksNode rows; a TKC's status counts them) and `releases` (its namespace's
    library's, for a TKC's UpdatesAvailable) spare the queries when the caller has them.
    `as_cluster`: a TKC's Cluster API Cluster. `resource_version` goes in metadata as given."""
    tkc = cluster.kind == TKC_KIND and not as_cluster
    metadata: dict[str, Any] = {"name": cluster.name, "namespace": cluster.namespace.name}
    metadata["uid"] = owned_cluster_uid(cluster) if as_cluster else cluster_uid(cluster)
    if resource_version is not None:
        metadata["resourceVersion"] = resource_version
    metadata["generation"] = cluster.generation
    metadata["creationTimestamp"] = _timestamp(cluster.created_at)
    if cluster.is_deleting:
        metadata["deletionTimestamp"] = _timestamp(cluster.deletion_requested_at)
    if cluster.labels and not as_cluster:
        metadata["labels"] = dict(cluster.labels)
    annotations = {} if as_cluster else dict(cluster.annotations or {})
    os_image = cluster.spec["topology"]["controlPlane"].get("osImage") or DEFAULTS["osImage"]
    if tkc and os_image != DEFAULTS["osImage"]:
        annotations.setdefault(OS_IMAGE_ANNOTATION, f"os-name={os_image}")
    if annotations:
        metadata["annotations"] = annotations
    if as_cluster:
        metadata["ownerReferences"] = [
            {
                "apiVersion": TKC_API_VERSION,
                "kind": TKC_KIND,
                "name": cluster.name,
                "uid": cluster_uid(cluster),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    if tkc:
        if nodes is None:
            nodes = list(cluster.nodes.all()) if cluster.pk else []
        status = _tkc_status(cluster, nodes, releases)
    else:
        status = _cluster_status(cluster)
    kind = CLUSTER_KIND if as_cluster else cluster.kind
    return {
        "apiVersion": (
            CLUSTER_API_VERSION
            if as_cluster
            else cluster.api_version or KINDS.get(kind, CLUSTER_API_VERSION)
        ),
        "kind": kind,
        "metadata": metadata,
        "spec": cluster_spec(cluster, as_cluster=as_cluster),
        "status": status,
    }


def _conditions(cluster) -> list[dict]:
    conditions = []
    for c in cluster.conditions or []:
        entry: dict[str, Any] = {"type": c["type"], "status": c["status"]}
        if c.get("status") == "False" and c.get("severity"):
            entry["severity"] = c["severity"]
        if c.get("reason"):
            entry["reason"] = c["reason"]
        if c.get("message"):
            entry["message"] = c["message"]
        entry["lastTransitionTime"] = _timestamp(c.get("lastTransitionTime"))
        conditions.append(entry)
    return conditions


def _condition_true(cluster, type_: str) -> bool:
    c = cluster.condition(type_)
    return bool(c and c.get("status") == "True")


def _cluster_status(cluster) -> dict:
    return {
        "phase": str(cluster.phase),
        "conditions": _conditions(cluster),
        "controlPlaneReady": _condition_true(cluster, "ControlPlaneReady"),
        "infrastructureReady": _condition_true(cluster, "InfrastructureReady"),
        "observedGeneration": cluster.observed_generation,
    }


def release_conditions(cluster, releases: list[KubernetesRelease] | None) -> list[dict]:
    """What the TKr controller says of a TKC's release: TanzuKubernetesReleaseCompatible with
    the Supervisor, and UpdatesAvailable (the newer releases it may move to, as the message
    `[v1.33.6+vmware.1-fips-vkr.2]` of the UPDATES AVAILABLE column). Derived, not stored: the
    library and the Supervisor change under a cluster that stays put."""
    since = _timestamp(cluster.created_at)
    supervisor = cluster.namespace.supervisor
    release = release_for(cluster.spec["topology"]["version"], supervisor=supervisor)
    if release is None:
        return []
    if release.compatible:
        compatible = {"type": TKR_COMPATIBLE, "status": "True"}
    else:
        compatible = {
            "type": TKR_COMPATIBLE,
            "status": "False",
            "severity": "Warning",
            "reason": "IncompatibleTKR",
            "message": release.reason,
        }
    found = [{**compatible, "lastTransitionTime": since}]
    if releases is not None:
        newer = [r.version for r in updates_available(release, releases)]
        if newer:
            update = {"status": "True", "message": f"[{' '.join(newer)}]"}
        else:
            update = {"status": "False", "severity": "Info", "reason": "AlreadyUpToDate"}
        found.append({"type": UPDATES_AVAILABLE, **update, "lastTransitionTime": since})
    return found


def _tkc_status(cluster, nodes, releases) -> dict:
    status: dict[str, Any] = {}
    if cluster.api_endpoint:
        status["apiEndpoints"] = [{"host": cluster.api_endpoint, "port": API_SERVER_PORT}]
    status["conditions"] = _conditions(cluster) + release_conditions(cluster, releases)
    status["totalWorkerReplicas"] = sum(1 for n in nodes if n.role == "worker")
    # Mid-upgrade the cluster reports the oldest release its control plane still runs.
    control_plane = [n.release for n in nodes if n.role == "control-plane"]
    release = (
        min(control_plane, key=_release_order)
        if control_plane
        else cluster.spec["topology"]["version"]
    )
    status["version"] = kubelet_version(release)
    return status


def _release_order(name: str) -> tuple:
    release = release_for(name)
    return release.order if release else (0,)


# ---------------------------------------------------------------- the YAML tab


def namespace_releases(cluster) -> list[KubernetesRelease] | None:
    """A TKC's namespace's releases (one query), for its UpdatesAvailable; None for a Cluster."""
    if cluster.kind != TKC_KIND:
        return None
    ns = cluster.namespace
    return releases_in(ns.kubernetes_library, supervisor=ns.supervisor)


def export_manifest(cluster, *, nodes=None) -> str:
    """The cluster as `kubectl get ... -o yaml` shows it, in the form it was created with.
    `nodes` (its VksNode rows) spares a query when the caller has them."""
    document = cluster_document(cluster, nodes=nodes, releases=namespace_releases(cluster))
    # No line wrapping: kubectl prints long condition messages on one line, and so do we.
    return yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=2**31 - 1
    )


class _Dumper(yaml.SafeDumper):
    """kubectl's YAML: a value shared by two fields is written twice, never as an anchor."""

    def ignore_aliases(self, data) -> bool:
        return True
