"""What every Supervisor resource type shares: which namespaces the caller may see, the object
metadata and its resourceVersion, and the small vocabulary the OpenAPI schemas are written in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from inventory.permissions import Privilege, has
from kubeapi import changes
from kubeapi.surface import Context, timestamp
from workloads.access import namespaces_visible_to, subjects_q
from workloads.models import Namespace, NamespaceAccess

CAPI_GROUP = "cluster.x-k8s.io"
CAPI_VERSION = f"{CAPI_GROUP}/v1beta1"
VMOP_GROUP = "vmoperator.vmware.com"
TANZU_GROUP = "run.tanzu.vmware.com"
INFRA_VERSION = "vmware.infrastructure.cluster.x-k8s.io/v1beta1"  # CAPV's Supervisor mode
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"


# ---------------------------------------------------------------- who sees what


def visible_namespaces(ctx: Context, namespace: str | None = None) -> QuerySet:
    """The vSphere Namespaces ctx.user holds a role in (all of them for vCenter viewers);
    only `namespace` when given. A namespace the user may not see is simply absent."""
    found = namespaces_visible_to(ctx.user, Namespace.objects.select_related("supervisor"))
    return found.filter(name=namespace) if namespace is not None else found


def editable_namespaces(ctx: Context, namespace: str | None = None) -> QuerySet:
    """The namespaces where ctx.user may edit (Can edit, Owner, or a vCenter administrator):
    one query, whatever the number of namespaces."""
    found = visible_namespaces(ctx, namespace)
    if has(ctx.user, Privilege.NAMESPACES_MANAGE):
        return found
    Role = NamespaceAccess.Role
    granted = NamespaceAccess.objects.filter(
        subjects_q(ctx.user), role__in=[Role.EDIT, Role.OWNER]
    ).values("namespace")
    return found.filter(pk__in=granted)


# ---------------------------------------------------------------- resourceVersion


def versions(resource: str, namespace: str | None) -> Callable[[str | None, str], str]:
    """The resourceVersion of each object of `resource` (its ResourceType.qualified) in
    `namespace` (None: all), as a lookup by (namespace, name).

    From the change log, one query; an object nothing was recorded for shows 1."""
    found = changes.versions(resource, namespace)
    return lambda namespace, name: str(found.get((namespace or "", name), 1))


def stamped(resource: str, namespace: str | None, objects: Iterable[dict]) -> list[dict]:
    """The objects with metadata.resourceVersion set: one lookup for the whole list."""
    version_of = versions(resource, namespace)
    objects = list(objects)
    for obj in objects:
        meta = obj["metadata"]
        meta["resourceVersion"] = version_of(meta.get("namespace"), meta["name"])
    return objects


# ---------------------------------------------------------------- objects


def metadata(
    name: str,
    *,
    uid: str,
    created,
    namespace: str | None = None,
    labels: dict | None = None,
    annotations: dict | None = None,
    owners: list[dict] | None = None,
    generation: int | None = None,
    deleting=None,
) -> dict:
    """ObjectMeta in the order the API server writes it; empty parts left out."""
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["uid"] = uid
    meta["resourceVersion"] = "0"  # set by `stamped`
    if generation is not None:
        meta["generation"] = generation
    meta["creationTimestamp"] = timestamp(created)
    if deleting is not None:
        meta["deletionTimestamp"] = timestamp(deleting)
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    if owners:
        meta["ownerReferences"] = owners
    return meta


def owner(api_version: str, kind: str, name: str, uid: str, *, controller: bool = True) -> dict:
    ref = {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid}
    if controller:
        ref.update(controller=True, blockOwnerDeletion=True)
    return ref


def ref(api_version: str, kind: str, name: str, namespace: str) -> dict:
    """An ObjectReference as Cluster API writes infrastructureRef and configRef."""
    return {"apiVersion": api_version, "kind": kind, "name": name, "namespace": namespace}


def quantity_mib(mib: int) -> str:
    """A Kubernetes quantity for a size in MiB, in the largest binary unit that divides it."""
    for unit, size in (("Ti", 1024 * 1024), ("Gi", 1024)):
        if mib and mib % size == 0:
            return f"{mib // size}{unit}"
    return f"{mib}Mi"


class NamedSource:
    """A Source whose get() is its list narrowed to one name: `objects(ctx, namespace, name)`
    may use `name` to narrow its queries, and must stamp what it returns."""

    def list(self, ctx: Context, namespace: str | None) -> list[dict]:
        return self.objects(ctx, namespace, None)

    def get(self, ctx: Context, namespace: str | None, name: str) -> dict | None:
        found = self.objects(ctx, namespace, name)
        return next((o for o in found if o["metadata"]["name"] == name), None)

    def objects(self, ctx: Context, namespace: str | None, name: str | None) -> list[dict]:
        raise NotImplementedError


@dataclass
class QuerySource(NamedSource):
    """Objects from rows: `rows(ctx, namespace, name)` is a queryset (or list) already scoped
    to what ctx.user may see, `build(ctx, rows)` makes the objects with a constant number of
    further queries."""

    resource: str
    rows: Callable[[Context, str | None, str | None], Iterable]
    build: Callable[[Context, list], Iterable[dict]]

    def objects(self, ctx: Context, namespace: str | None, name: str | None) -> list[dict]:
        rows = list(self.rows(ctx, namespace, name))
        return stamped(self.resource, namespace, self.build(ctx, rows))


# ---------------------------------------------------------------- OpenAPI v3 schemas


def string(description: str, **extra) -> dict:
    return {"type": "string", "description": description, **extra}


def integer(description: str) -> dict:
    return {"type": "integer", "format": "int32", "description": description}


def boolean(description: str) -> dict:
    return {"type": "boolean", "description": description}


def string_map(description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {"type": "string"},
    }


def array(description: str, items: dict) -> dict:
    return {"type": "array", "description": description, "items": items}


def obj(description: str, required: tuple[str, ...] = (), /, **properties: dict) -> dict:
    schema: dict[str, Any] = {"type": "object", "description": description}
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = list(required)
    return schema


OBJECT_META = {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}

CONDITIONS = array(
    "Observations of the object's state, one per type.",
    obj(
        "A condition of the object.",
        ("type", "status"),
        type=string("Type of the condition, in CamelCase."),
        status=string("True, False or Unknown."),
        reason=string("The reason for the last transition, in CamelCase."),
        message=string("A human-readable message about the last transition."),
        lastTransitionTime=string("When the condition last changed status.", format="date-time"),
    ),
)

OBJECT_REF = obj(
    "A reference to another object.",
    apiVersion=string("API version of the referent."),
    kind=string("Kind of the referent."),
    name=string("Name of the referent."),
    namespace=string("Namespace of the referent."),
)


def resource_schema(
    group: str, version: str, kind: str, description: str, **properties: dict
) -> dict:
    """The schema of a whole object: apiVersion, kind, metadata, then `properties`."""
    return {
        "type": "object",
        "description": description,
        "properties": {
            "apiVersion": string(
                "APIVersion defines the versioned schema of this representation of an object."
            ),
            "kind": string("Kind is a string value representing the REST resource of the object."),
            "metadata": {
                "description": "Standard object's metadata.",
                "allOf": [OBJECT_META],
            },
            **properties,
        },
        "x-kubernetes-group-version-kind": [{"group": group, "kind": kind, "version": version}],
    }
