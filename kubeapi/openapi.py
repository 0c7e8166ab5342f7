"""OpenAPI v3 as the API server publishes it (`/openapi/v3` and one document per group-version):
what `kubectl explain` reads, what tells `kubectl apply` that the server validates fields
(`fieldValidation` on each PATCH), and the schemas behind strict field validation."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse

from kubeapi.http import KubeError, json_response
from kubeapi.surface import Context, ResourceType, Surface

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"

_META_FIELDS = {
    "name": ("string", "Name must be unique within a namespace."),
    "namespace": ("string", "The namespace the object lives in; empty for cluster-scoped objects."),
    "uid": ("string", "Unique in time and space; set by the server."),
    "resourceVersion": ("string", "Opaque version of the object, for concurrency and watches."),
    "generation": ("integer", "Generation of the desired state; bumped by each spec change."),
    "creationTimestamp": ("string", "When the object was created (RFC 3339)."),
    "deletionTimestamp": ("string", "When deletion was requested; set by the server."),
    "labels": ("object", "Map of string keys and values to organize and select objects."),
    "annotations": ("object", "Map of string keys and values for tools and people."),
    "ownerReferences": ("array", "Objects this one depends on."),
    "finalizers": ("array", "Must be empty before the object is removed."),
    "managedFields": ("array", "Which field manager owns which fields."),
    "generateName": ("string", "Prefix for a server-generated name."),
    "selfLink": ("string", "Deprecated; never set."),
    "deletionGracePeriodSeconds": ("integer", "Seconds allowed for graceful termination."),
}


def _meta_schema() -> dict:
    properties = {}
    for name, (type_, text) in _META_FIELDS.items():
        schema: dict = {"type": type_, "description": text}
        if type_ == "object":
            schema["additionalProperties"] = {"type": "string", "default": ""}
        if type_ == "array":
            schema["items"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        if name.endswith("Timestamp"):
            schema["format"] = "date-time"
        properties[name] = schema
    return {
        "description": "Standard object metadata.",
        "type": "object",
        "properties": properties,
    }


def schema_name(resource: ResourceType) -> str:
    """The component name the API server gives a kind: `io.k8s.api.core.v1.Node`,
    `io.k8s.api.storage.v1.StorageClass`, `com.vmware.run.v1alpha3.TanzuKubernetesCluster`."""
    group = resource.group
    if not group:
        prefix = "io.k8s.api.core"
    elif group.endswith(".k8s.io"):
        prefix = f"io.k8s.api.{group.removesuffix('.k8s.io')}"
    else:
        prefix = ".".join(reversed(group.split(".")))
    return f"{prefix}.{resource.version}.{resource.kind}"


def object_schema(resource: ResourceType) -> dict:
    own = resource.schema or {}
    properties = {
        "apiVersion": {
            "type": "string",
            "description": "The versioned schema of this representation of an object.",
        },
        "kind": {
            "type": "string",
            "description": "The REST resource this object represents.",
        },
        "metadata": {
            "allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}],
            "description": "Standard object's metadata.",
            "default": {},
        },
    }
    for key, value in (own.get("properties") or {}).items():
        if key not in properties:
            properties[key] = value
    schema = {
        "description": own.get("description")
        or resource.description
        or f"{resource.kind} is a {resource.singular}.",
        "type": "object",
        "properties": properties,
        "x-kubernetes-group-version-kind": [
            {"group": resource.group, "kind": resource.kind, "version": resource.version}
        ],
    }
    if own.get("required"):
        schema["required"] = own["required"]
    return schema


def _parameter(name: str, text: str, where: str = "query", type_: str = "string") -> dict:
    return {
        "name": name,
        "in": where,
        "description": text,
        "schema": {"type": type_, "uniqueItems": True},
    }


_WRITE_PARAMS = [
    _parameter("dryRun", "When present, the request is checked and nothing is persisted: All."),
    _parameter("fieldManager", "A name for the actor making the change."),
    _parameter("fieldValidation", "Ignore, Warn or Strict: how unknown fields are treated."),
]
_LIST_PARAMS = [
    _parameter(name, text, type_=t)
    for name, text, t in (
        ("labelSelector", "Restrict the list by label.", "string"),
        ("fieldSelector", "Restrict the list by field.", "string"),
        ("limit", "Most items in one answer; the rest with `continue`.", "integer"),
        ("continue", "Where the previous page ended.", "string"),
        ("resourceVersion", "Where a watch starts.", "string"),
        ("timeoutSeconds", "How long a watch lasts.", "integer"),
        ("watch", "Stream changes as ADDED, MODIFIED, DELETED events.", "boolean"),
        ("allowWatchBookmarks", "Send BOOKMARK events.", "boolean"),
    )
]


def _operation(
    resource: ResourceType, verb: str, op_id: str, ref: str, params: list[dict], body: bool = False
) -> dict:
    ok = {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}
    operation = {
        "tags": [f"{resource.group or 'core'}_{resource.version}"],
        "description": f"{verb} {resource.kind}",
        "operationId": op_id,
        "parameters": params,
        "responses": {"200": ok, "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": verb,
        "x-kubernetes-group-version-kind": {
            "group": resource.group,
            "kind": resource.kind,
            "version": resource.version,
        },
    }
    if body:
        media = ["application/json", "application/yaml"]
        if verb == "patch":
            media = [
                "application/apply-patch+yaml",
                "application/json-patch+json",
                "application/merge-patch+json",
            ]
        operation["requestBody"] = {
            "content": {m: {"schema": {"$ref": ref}} for m in media},
            "required": True,
        }
    return operation


def _camel(text: str) -> str:
    return "".join(
        p[:1].upper() + p[1:] for p in text.replace("-", ".").replace("/", ".").split(".") if p
    )


def _paths(resource: ResourceType, base: str) -> dict:
    ref = f"#/components/schemas/{schema_name(resource)}"
    prefix = (
        f"/apis/{resource.group}/{resource.version}"
        if resource.group
        else f"/api/{resource.version}"
    )
    group = _camel(resource.group) or "Core"
    stem = f"{group}{_camel(resource.version)}"
    writes = resource.writer is not None
    scoped = "/namespaces/{namespace}" if resource.namespaced else ""
    ns_param = (
        [_parameter("namespace", "object name and auth scope", where="path")]
        if resource.namespaced
        else []
    )
    name_param = [_parameter("name", f"name of the {resource.kind}", where="path")]
    scope = "Namespaced" if resource.namespaced else ""
    collection, item = {}, {}
    if "list" in resource.verbs:
        collection["get"] = _operation(
            resource, "list", f"list{stem}{scope}{resource.kind}", ref, ns_param + _LIST_PARAMS
        )
    if "get" in resource.verbs:
        item["get"] = _operation(
            resource, "get", f"read{stem}{scope}{resource.kind}", ref, ns_param + name_param
        )
    if "create" in resource.verbs:
        collection["post"] = _operation(
            resource,
            "post",
            f"create{stem}{scope}{resource.kind}",
            ref,
            ns_param + _WRITE_PARAMS,
            body=True,
        )
    if writes and "update" in resource.verbs:
        item["put"] = _operation(
            resource,
            "put",
            f"replace{stem}{scope}{resource.kind}",
            ref,
            ns_param + name_param + _WRITE_PARAMS,
            body=True,
        )
        item["patch"] = _operation(
            resource,
            "patch",
            f"patch{stem}{scope}{resource.kind}",
            ref,
            ns_param
            + name_param
            + [
                *_WRITE_PARAMS,
                _parameter("force", "Take fields from other managers (apply).", type_="boolean"),
            ],
            body=True,
        )
        item["delete"] = _operation(
            resource,
            "delete",
            f"delete{stem}{scope}{resource.kind}",
            ref,
            ns_param + name_param + _WRITE_PARAMS[:1],
        )
    found = {f"{prefix}{scoped}/{resource.plural}": collection}
    if item:
        found[f"{prefix}{scoped}/{resource.plural}/{{name}}"] = item
    if resource.namespaced:
        found[f"{prefix}/{resource.plural}"] = {
            "get": _operation(
                resource, "list", f"list{stem}{resource.kind}ForAllNamespaces", ref, _LIST_PARAMS
            )
        }
    return found


def group_version_document(surface: Surface, group: str, version: str) -> dict | None:
    types = [t for t in surface.types if t.group == group and t.version == version]
    if not types:
        return None
    schemas = {OBJECT_META: _meta_schema()}
    paths: dict = {}
    for t in types:
        schemas[schema_name(t)] = object_schema(t)
        paths.update(_paths(t, ""))
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": surface.git_version},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _digest(document: dict) -> str:
    return hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest()[:128].upper()


def respond(request: HttpRequest, surface: Surface, parts: list[str], ctx: Context) -> HttpResponse:
    if parts == ["v3"]:
        found = {}
        for group, versions in surface.group_versions().items():
            for version in versions:
                key = f"apis/{group}/{version}" if group else f"api/{version}"
                document = _document(surface, group, version)
                url = f"{ctx.base_path}/openapi/v3/{key}?hash={_digest(document)}"
                found[key] = {"serverRelativeURL": url}
        return json_response({"paths": found})
    if len(parts) >= 3 and parts[0] == "v3":
        if parts[1] == "api" and len(parts) == 3:
            group, version = "", parts[2]
        elif parts[1] == "apis" and len(parts) == 4:
            group, version = parts[2], parts[3]
        else:
            raise KubeError.not_found(None, "")
        document = _document(surface, group, version)
        if document is None:
            raise KubeError.not_found(None, "")
        response = json_response(document)
        if request.GET.get("hash"):
            response["Cache-Control"] = "public, immutable"
        return response
    raise KubeError.not_found(None, "")


def _document(surface: Surface, group: str, version: str) -> dict | None:
    return group_version_document(surface, group, version)


# ---------------------------------------------------------------- strict field validation


def unknown_fields(schema: dict, body: dict) -> list[str]:
    """Paths of fields the schema does not declare (metadata, apiVersion and kind aside), as
    the API server's strict decoder names them: `spec.topology.foo`, `spec.nodePools[0].x`."""
    found: list[str] = []
    properties = schema.get("properties") or {}
    for key, value in body.items():
        if key in ("apiVersion", "kind", "metadata"):
            continue
        if key not in properties:
            found.append(key)
            continue
        _walk(properties[key], value, key, found)
    return found


def _walk(schema: dict, value, path: str, found: list[str]) -> None:
    if len(found) >= 100 or not isinstance(schema, dict):
        return
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, child in value.items():
            if properties is not None and key in properties:
                _walk(properties[key], child, f"{path}.{key}", found)
            elif isinstance(extra, dict):
                _walk(extra, child, f"{path}.{key}", found)
            elif properties is not None and extra is not True:
                found.append(f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, child in enumerate(value[:1000]):
            _walk(schema["items"], child, f"{path}[{i}]", found)
