"""Requests and answers as the Kubernetes API server speaks them: who is asking (a bearer token
from `/wcp/login`; also this app's own API session or a logged-in browser), the body in the media
type it names, `Status` errors, Table output for kubectl, label and field selectors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from inventory.api.sessions import session_touch
from kubeapi import tokens
from kubeapi.status import status_body
from kubeapi.surface import Context, ResourceType
from vksportal.untrusted import MAX_BYTES, InputError, clip, load_json, load_yaml

JSON = "application/json"
YAML = "application/yaml"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
PATCH_TYPES = (MERGE_PATCH, JSON_PATCH, APPLY_PATCH)
# Answers are live state, Secrets and tokens among them: no cache keeps them.
NO_STORE = "no-store, private"


class KubeError(Exception):
    """An answer in Kubernetes terms: the dispatcher renders it as a `Status`."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details = details or {}

    @classmethod
    def not_found(cls, resource: ResourceType | None, name: str) -> KubeError:
        if resource is None:
            return cls(404, "NotFound", "the server could not find the requested resource")
        name = clip(name)
        return cls(
            404, "NotFound", f'{resource.qualified} "{name}" not found', resource.details(name)
        )

    @classmethod
    def namespace_not_found(cls, name: str) -> KubeError:
        name = clip(name)
        return cls(
            404, "NotFound", f'namespaces "{name}" not found', {"name": name, "kind": "namespaces"}
        )

    @classmethod
    def bad_request(cls, message: str) -> KubeError:
        return cls(400, "BadRequest", message)

    @classmethod
    def unsupported(cls, *types: str) -> KubeError:
        accepted = ", ".join(types)
        return cls(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            + accepted,
        )

    @classmethod
    def unauthorized(cls) -> KubeError:
        return cls(401, "Unauthorized", "Unauthorized")

    @classmethod
    def forbidden(
        cls, ctx: Context, verb: str, resource: ResourceType, name: str, namespace: str | None
    ):
        what = f'{resource.qualified} "{clip(name)}"' if name else resource.qualified
        where = f' in the namespace "{clip(namespace)}"' if namespace else " at the cluster scope"
        user = ctx.user.get_username()
        message = (
            f'{what} is forbidden: User "sso:{user}" cannot {verb} resource "{resource.plural}" '
            f'in API group "{resource.group}"{where}'
        )
        return cls(403, "Forbidden", message, resource.details(name or None))


def json_response(obj: dict, status: int = 200, content_type: str = JSON) -> HttpResponse:
    data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    response = HttpResponse(data + "\n", status=status, content_type=content_type)
    response["Cache-Control"] = NO_STORE
    return response


def error_response(error: KubeError) -> HttpResponse:
    body = status_body(error.code, error.reason, error.message, error.details)
    response = json_response(body, error.code)
    if error.code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kubernetes"'
    return response


# ---------------------------------------------------------------- who is asking

BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)


def authenticate(request: HttpRequest, audience: str):
    """The user a request speaks for, or a 401. A bearer token must be for this API server
    (`audience`). The portal's own credentials also open the Supervisor's API: an Automation API
    session (`vmware-api-session-id`) and, for reads or with the CSRF token, a browser's login."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        match = BEARER.match(header)
        if not match:
            raise KubeError.unauthorized()
        try:
            return tokens.user_of(match.group(1), audience=audience)
        except tokens.TokenError:
            raise KubeError.unauthorized() from None
    if audience != tokens.SUPERVISOR_AUDIENCE:
        raise KubeError.unauthorized()
    session_id = request.META.get("HTTP_VMWARE_API_SESSION_ID")
    if session_id is not None:
        session = session_touch(session_id.strip())
        if session is None:
            raise KubeError.unauthorized()
        return session.user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if refused is not None:
                raise KubeError(403, "Forbidden", "CSRF verification failed")
        return user
    raise KubeError.unauthorized()


# ---------------------------------------------------------------- bodies


def media_type(request: HttpRequest) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


def read_body(request: HttpRequest) -> object:
    """The body as data, by its media type: JSON (and its patch types) or YAML (one document)."""
    kind = media_type(request)
    data = request.body[: MAX_BYTES + 1]
    try:
        if kind in (JSON, MERGE_PATCH, JSON_PATCH, ""):
            return load_json(data) if data.strip() else None
        if kind in (YAML, "application/x-yaml", "text/yaml", APPLY_PATCH):
            if len(data) > MAX_BYTES:
                raise InputError("the request body is larger than 1MiB", status=413)
            documents = load_yaml(data.decode("utf-8"))
            if len(documents) > 1:
                raise KubeError.bad_request("the body holds more than one YAML document")
            return documents[0] if documents else None
    except InputError as error:
        reason = "RequestEntityTooLarge" if error.status == 413 else "BadRequest"
        raise KubeError(error.status, reason, str(error)) from None
    except UnicodeDecodeError:
        raise KubeError.bad_request("the body of the request is not UTF-8 text") from None
    except yaml.YAMLError as error:
        raise KubeError.bad_request(
            f"error converting YAML to JSON: {clip(str(error), 200)}"
        ) from None
    if kind == STRATEGIC_PATCH:  # for built-in types only, as for a custom resource
        raise KubeError.unsupported(*PATCH_TYPES)
    raise KubeError.unsupported(JSON, YAML)


# ---------------------------------------------------------------- Table output


def wants_table(request: HttpRequest) -> str | None:
    """The Table version kubectl asked for (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`),
    if the first acceptable type is a Table."""
    for part in request.META.get("HTTP_ACCEPT", "").split(","):
        params = dict(p.strip().split("=", 1) for p in part.split(";")[1:] if "=" in p)
        kind = part.split(";")[0].strip()
        if kind not in (JSON, "*/*", "application/*"):
            continue
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
            if params.get("v") in ("v1", "v1beta1"):
                return params["v"]
            continue
        return None
    return None


def column_definitions(resource: ResourceType) -> list[dict]:
    columns = resource.table_columns
    return [
        {
            "name": c.name,
            "type": c.type,
            "format": c.format,
            "description": c.description
            or (
                f"Custom resource definition column (in JSONPath format): {c.json_path}"
                if c.json_path
                else c.name
            ),
            "priority": c.priority,
        }
        for c in columns
    ]


def _cell(value):
    if value is None:
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, separators=(",", ":"))


def partial_metadata(obj: dict, version: str) -> dict:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": obj.get("metadata", {}),
    }


def table(
    resource: ResourceType,
    objects: list[dict],
    ctx: Context,
    *,
    version: str,
    include_object: str,
    list_meta: dict,
    headers: bool = True,
) -> dict:
    columns = resource.table_columns
    rows = []
    for obj in objects:
        row = {"cells": [_cell(c.cell(obj, ctx)) for c in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj, version)
        rows.append(row)
    body = {"kind": "Table", "apiVersion": f"meta.k8s.io/{version}", "metadata": list_meta}
    body["columnDefinitions"] = column_definitions(resource) if headers else None
    body["rows"] = rows
    return body


# ---------------------------------------------------------------- selectors


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # = != in notin exists !
    values: tuple[str, ...] = ()

    def matches(self, labels: dict) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "=="):
            return present and value == self.values[0]
        if self.op == "!=":
            return not present or value != self.values[0]
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        return False


_SET = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_PAIR = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")
_KEY = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def label_selector(text: str) -> Callable[[dict], bool]:
    """A `labelSelector` as apimachinery parses it: `a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
    `a`, `!a`, comma-separated (all must hold). 400 for anything else."""
    requirements = []
    for part in _split(text[:4096]):
        if match := _SET.match(part):
            values = tuple(v.strip() for v in match.group(3).split(",") if v.strip())
            requirements.append(Requirement(match.group(1), match.group(2), values))
        elif match := _PAIR.match(part):
            requirements.append(Requirement(match.group(1), match.group(2), (match.group(3),)))
        elif match := _KEY.match(part):
            requirements.append(Requirement(match.group(2), "!" if match.group(1) else "exists"))
        else:
            raise KubeError.bad_request(f"unable to parse requirement: {clip(part.strip())}")
    return lambda obj: all(
        r.matches((obj.get("metadata") or {}).get("labels") or {}) for r in requirements
    )


FIELD_SELECTOR = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$")


def field_selector(text: str, resource: ResourceType) -> Callable[[dict], bool]:
    """A `fieldSelector`: `metadata.name`, `metadata.namespace` for every type, and any plain
    field path of the object (`status.phase`, `spec.nodeName`...), `=`/`==`/`!=`."""
    requirements = []
    for part in _split(text[:4096]):
        match = FIELD_SELECTOR.match(part)
        if not match:
            raise KubeError.bad_request(
                f"invalid selector: '{clip(part.strip())}'; can't understand '{clip(part.strip())}'"
            )
        requirements.append((match.group(1), match.group(2), match.group(3)))

    def matches(obj: dict) -> bool:
        for key, op, value in requirements:
            found = obj
            for step in key.split("."):
                found = found.get(step) if isinstance(found, dict) else None
            found = (
                ""
                if found is None
                else (str(found).lower() if isinstance(found, bool) else str(found))
            )
            if (found == value) != (op != "!="):
                return False
        return True

    return matches
