"""What every type of a VKS cluster's API is built from: one read of the cluster's nodes (the
registered ones, with their VMs), stable generated names, the resourceVersion placeholder, and
the pieces of OpenAPI schema and printer columns the built-in types share."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from kubeapi import changes
from kubeapi.surface import Column, Context, ResourceType, age, path, timestamp
from workloads.cluster_status import node_ready
from workloads.models import VksCluster, VksNode

# Kubernetes' generated-name alphabet (no vowels, no 0/1/3): what `generateName` and the
# ReplicaSet pod-template-hash draw from.
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def suffix(*parts, length: int = 5) -> str:
    """`length` stable characters of the alphabet from `parts`: the same object gets the same
    generated name on every GET, and another object (another node, release) another one."""
    digest = hashlib.blake2s("/".join(map(str, parts)).encode(), digest_size=16).digest()
    return "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)] for b in digest[:length])


def resource_key(cluster: VksCluster, plural: str) -> str:
    """The change log's key of one of the cluster's types: `vks/<cluster pk>/<plural>`."""
    return f"vks/{cluster.pk}/{plural}"


def stamp(objects: list[dict], key: str) -> list[dict]:
    """Put each object's resourceVersion in from the change log, one query for them all.
    Pods change with their node (the log names the node), so a pod shows its node's version;
    an object nothing was recorded for shows 1."""
    found = changes.versions(key)
    newest = max(found.values(), default=1)
    by_node = key.endswith("/pods")
    for obj in objects:
        if by_node:
            rv = found.get(("", path(obj, "spec.nodeName") or ""), newest)
        else:
            rv = found.get((path(obj, "metadata.namespace") or "", obj["metadata"]["name"]), 1)
        obj["metadata"]["resourceVersion"] = str(rv)
    return objects


def is_registered(node: VksNode) -> bool:
    """The kubelet registers its Node once the VM has booted with an address; a VM the
    reconciler has only just created has no Node object yet."""
    return bool(node.vm.ip_address)


@dataclass
class Snapshot:
    """The cluster's registered nodes, read once (one query) for everything a list builds."""

    cluster: VksCluster
    nodes: list[VksNode]

    @classmethod
    def load(cls, cluster: VksCluster) -> Snapshot:
        rows = (
            VksNode.objects.filter(cluster=cluster)
            .select_related("vm")
            .order_by("created_at", "pk")
        )
        return cls(cluster, [n for n in rows if is_registered(n)])

    @cached_property
    def control_plane(self) -> list[VksNode]:
        return [n for n in self.nodes if n.role == VksNode.Role.CONTROL_PLANE]

    @cached_property
    def workers(self) -> list[VksNode]:
        return [n for n in self.nodes if n.role == VksNode.Role.WORKER]

    @cached_property
    def ready(self) -> set[int]:
        return {n.pk for n in self.nodes if node_ready(n)}

    @cached_property
    def control_release(self) -> str:
        """The release the control plane runs now: its newest node's (the rolling update
        replaces the control plane first, and the add-ons follow it)."""
        if self.control_plane:
            return self.control_plane[-1].release
        return self.cluster.spec["topology"]["version"]

    @cached_property
    def born(self) -> datetime:
        """When the API server first answered: the first control plane node's registration."""
        return self.nodes[0].created_at if self.nodes else self.cluster.created_at

    @cached_property
    def network(self) -> dict:
        return self.cluster.spec.get("network", {})


class Derived:
    """A Source whose objects `build(snapshot, namespace)` makes from one read of the cluster;
    a get builds the list and picks (the list is one query, and small)."""

    def __init__(self, cluster: VksCluster, build: Callable[[Snapshot, str | None], list]):
        self.cluster = cluster
        self.build = build

    def list(self, ctx: Context, namespace: str | None) -> list[dict]:
        return self.build(Snapshot.load(self.cluster), namespace)

    def get(self, ctx: Context, namespace: str | None, name: str) -> dict | None:
        return next((o for o in self.list(ctx, namespace) if o["metadata"]["name"] == name), None)


def core_type(cluster: VksCluster, kind: str, plural: str, build, **kwargs) -> ResourceType:
    """A read-only type of the core group (v1) of the cluster's API."""
    return ResourceType(
        group="",
        version="v1",
        plural=plural,
        singular=kind.lower(),
        kind=kind,
        source=Derived(cluster, build),
        **kwargs,
    )


# ---------------------------------------------------------------- printer columns of built-ins

NAME_DOC = "Name must be unique within a namespace."
AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created."
)


def age_column() -> Column:
    """AGE as the built-in printers declare it (a string column, unlike a CRD's date)."""
    return Column(
        "Age",
        lambda obj, ctx: age(path(obj, "metadata.creationTimestamp"), ctx.now),
        json_path=".metadata.creationTimestamp",
        description=AGE_DOC,
    )


def none_if_empty(value) -> str:
    return value if value else "<none>"


# ---------------------------------------------------------------- OpenAPI v3 pieces

METADATA = {
    "type": "object",
    "description": "Standard object's metadata: name, namespace, labels, annotations, uid.",
    "x-kubernetes-preserve-unknown-fields": True,
}


def string(description: str) -> dict:
    return {"type": "string", "description": description}


def integer(description: str) -> dict:
    return {"type": "integer", "format": "int32", "description": description}


def boolean(description: str) -> dict:
    return {"type": "boolean", "description": description}


def obj(description: str, properties: dict | None = None, **extra) -> dict:
    schema = {"type": "object", "description": description, **extra}
    if properties:
        schema["properties"] = properties
    return schema


def array(description: str, items: dict) -> dict:
    return {"type": "array", "description": description, "items": items}


def string_map(description: str) -> dict:
    return obj(description, additionalProperties={"type": "string"})


CONDITION = obj(
    "A condition: its type, status (True, False, Unknown), reason and message.",
    {
        "type": string("Type of the condition."),
        "status": string("Status of the condition: True, False or Unknown."),
        "reason": string("A machine-readable, CamelCase reason for the last transition."),
        "message": string("A human-readable message about the last transition."),
        "lastTransitionTime": string("When the status last changed (RFC 3339)."),
    },
)


def kind_schema(kind: str, description: str, spec: dict | None, status: dict | None) -> dict:
    properties = {
        "apiVersion": string("The versioned schema of this representation of an object."),
        "kind": string("The REST resource this object represents."),
        "metadata": METADATA,
    }
    if spec is not None:
        properties["spec"] = spec
    if status is not None:
        properties["status"] = status
    return obj(description, properties)


def meta(
    name: str,
    *,
    uid: str,
    created: datetime,
    namespace: str | None = None,
    labels: dict | None = None,
    annotations: dict | None = None,
    owners: list[dict] | None = None,
) -> dict:
    """metadata in the order the API server writes it."""
    out: dict = {"name": name}
    if namespace:
        out["namespace"] = namespace
    out["uid"] = uid
    out["resourceVersion"] = "0"  # stamp() puts the real one in
    out["creationTimestamp"] = timestamp(created)
    if labels:
        out["labels"] = labels
    if annotations:
        out["annotations"] = annotations
    if owners:
        out["ownerReferences"] = owners
    return out
