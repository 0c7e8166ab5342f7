"""What the Kubernetes-style endpoints read and write: manifest bodies (JSON or YAML, as text
for `parse_manifest`), the generation a change names, and the documents they answer with."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from rest_framework.parsers import BaseParser

from vksportal.untrusted import MAX_BYTES
from workloads.api.kubernetes.status import Resource, StatusError
from workloads.cluster_objects import cluster_document, namespace_releases
from workloads.kubeconfig import kubeconfig
from workloads.manifests import TKC_KIND, cluster_uid, manifest_document
from workloads.models import VksCluster
from workloads.releases import releases_by_namespace

KUBECONFIG_SUFFIX = "-kubeconfig"
KUBECONFIG_SECRET_TYPE = "cluster.x-k8s.io/secret"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"


class ManifestParser(BaseParser):
    """The body as text for `parse_manifest`: JSON is YAML, so one reader takes both."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None) -> str:
        data = stream.read(MAX_BYTES + 1) if stream is not None else b""
        if len(data) > MAX_BYTES:
            raise StatusError(413, "RequestEntityTooLarge", "the request body is larger than 1MiB")
        charset = (parser_context or {}).get("encoding") or "utf-8"
        try:
            return data.decode(charset)
        except (UnicodeDecodeError, LookupError):
            raise StatusError.bad_request(f"the request body is not {charset} text") from None


class ManifestJsonParser(ManifestParser):
    media_type = "application/json"


class ManifestXYamlParser(ManifestParser):
    media_type = "application/x-yaml"


def document_of(text: str) -> dict | None:
    """The body's one object for a first look (names, versions), or None: `parse_manifest`
    then says what is wrong with it."""
    return manifest_document(text)


def metadata_of(document: dict | None) -> dict:
    metadata = (document or {}).get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def generation_of(metadata: dict) -> int | None:
    """The generation a change was made against: `resourceVersion` (which this API sets to the
    generation) or `generation`; None, when neither is given, is an unconditional update. A
    value that is no generation can never match: 0 (generations start at 1) makes the service
    refuse it with its own 409."""
    for key in ("resourceVersion", "generation"):
        value = metadata.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            return 0
        if isinstance(value, int):
            return value
        return int(value) if isinstance(value, str) and value.isdigit() else 0
    return None


def _timestamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# ---------------------------------------------------------------- output documents


def cluster_object(cluster: VksCluster, *, nodes=None, releases=None) -> dict:
    """The cluster as the YAML tab shows it, `resourceVersion` being its generation here (what
    a change names with `generation_of`)."""
    if releases is None:
        releases = namespace_releases(cluster)
    return cluster_document(
        cluster, nodes=nodes, releases=releases, resource_version=str(cluster.generation)
    )


def cluster_list(resource: Resource, clusters: list[VksCluster]) -> dict:
    """A `<Kind>List`. Its resourceVersion is the newest item's: enough to tell two lists apart
    for a client that compares them (this API has no watch)."""
    newest = max((c.updated_at for c in clusters), default=None)
    version = str(int(newest.timestamp() * 1_000_000)) if newest else "0"
    tkcs = {c.namespace for c in clusters if c.kind == TKC_KIND}  # UpdatesAvailable needs them
    releases = releases_by_namespace(tkcs) if tkcs else {}
    return {
        "apiVersion": resource.api_version,
        "kind": f"{resource.kind}List",
        "metadata": {"resourceVersion": version},
        "items": [
            cluster_object(c, nodes=list(c.nodes.all()), releases=releases.get(c.namespace.pk))
            for c in clusters
        ],
    }


def kubeconfig_secret(cluster: VksCluster, *, user, request=None) -> dict:
    """`<cluster>-kubeconfig` as Cluster API writes it: the admin kubeconfig, base64, in `value`
    (with a token for `user`, the one who reads it)."""
    text = kubeconfig(cluster, user=user, request=request)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"{cluster.name}{KUBECONFIG_SUFFIX}",
            "namespace": cluster.namespace.name,
            "creationTimestamp": _timestamp(cluster.created_at),
            "labels": {CLUSTER_NAME_LABEL: cluster.name},
            "ownerReferences": [
                {
                    "apiVersion": cluster.api_version,
                    "kind": cluster.kind,
                    "name": cluster.name,
                    "uid": cluster_uid(cluster),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "type": KUBECONFIG_SECRET_TYPE,
        "data": {"value": base64.b64encode(text.encode()).decode()},
    }
