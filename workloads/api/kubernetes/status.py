"""Kubernetes resources as the API server names them, and its `Status` error body: the mapping
of the portal's errors (SpecError, ConflictError, ClusterStateError, Http404, PermissionDenied,
DRF's own) to Status reasons and codes, with a cause per field for Invalid."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from inventory.api.errors import MAX_MESSAGE, MAX_MESSAGES, field_messages
from vksportal.untrusted import clip
from workloads.manifests import CLUSTER_KIND, TKC_KIND
from workloads.services.clusters import ClusterStateError, ConflictError
from workloads.specs import SpecError


@dataclass(frozen=True)
class Resource:
    """A Kubernetes resource as the API server names it in paths, bodies and messages."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`clusters.cluster.x-k8s.io`, `secrets`: how messages name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def details(self, name: str | None = None, *, kind: str | None = None) -> dict:
        """Status.details; `kind` is the plural unless told (Invalid names the Kind)."""
        found = {"name": name, "group": self.group, "kind": kind or self.plural}
        return {k: v for k, v in found.items() if v}


CLUSTERS = Resource("cluster.x-k8s.io", "v1beta1", "clusters", CLUSTER_KIND)
TKCS = Resource("run.tanzu.vmware.com", "v1alpha3", "tanzukubernetesclusters", TKC_KIND)
SECRETS = Resource("", "v1", "secrets", "Secret")
NAMESPACES = Resource("", "v1", "namespaces", "Namespace")


# ---------------------------------------------------------------- Status: the error body


def status_body(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A `Status` object with status Failure, as the API server answers every error."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }


class StatusError(exceptions.APIException):
    """An error a view states in Kubernetes terms; the handler answers it as it is."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status_code, self.reason, self.message = code, reason, message
        self.details = details or {}

    @classmethod
    def not_found(cls, resource: Resource, name: str) -> StatusError:
        name = clip(name)
        message = f'{resource.qualified} "{name}" not found'
        return cls(404, "NotFound", message, resource.details(name))

    @classmethod
    def bad_request(cls, message: str) -> StatusError:
        return cls(400, "BadRequest", message)


# HTTP status -> Status.reason for DRF's own errors (StatusReason constants of apimachinery).
REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
}
# The first words of a field error (workloads.manifests.FieldErrors) -> StatusCause.reason.
CAUSES = (
    ("Required value", "FieldValueRequired"),
    ("Unsupported value", "FieldValueNotSupported"),
    ("Duplicate value", "FieldValueDuplicate"),
    ("Too many", "FieldValueTooMany"),
    ("Invalid value", "FieldValueInvalid"),
)


def _causes(errors: dict[str, str]) -> tuple[list[dict], list[str]]:
    """StatusCauses (field, reason, message without the path) and the full messages."""
    causes, lines = [], []
    for path, text in errors.items():
        prefix = f"{path}: "
        detail = text[len(prefix) :] if text.startswith(prefix) else text
        reason = next((r for words, r in CAUSES if detail.startswith(words)), "FieldValueInvalid")
        detail = clip(detail, MAX_MESSAGE)
        causes.append({"reason": reason, "message": detail, "field": path})
        lines.append(f"{path}: {detail}")
    return causes, lines


def _spec_error(exc: SpecError, resource: Resource, name: str) -> tuple[int, str, str, dict]:
    errors = exc.errors
    if set(errors) == {"manifest"}:  # the body is not one object: nothing to validate
        return 400, "BadRequest", errors["manifest"], {}
    taken = errors.get("metadata.name", "")
    if taken.endswith("already exists"):
        # The rest is noise then (the limits count the cluster twice): `kubectl create` of an
        # object twice is AlreadyExists, as the API server's storage answers it.
        return 409, "AlreadyExists", taken, resource.details(name)
    causes, lines = _causes(errors)
    listed = lines[0] if len(lines) == 1 else f"[{', '.join(lines)}]"
    message = f'{resource.kind}.{resource.group} "{name}" is invalid: {listed}'
    details = {**resource.details(name, kind=resource.kind), "causes": causes}
    return 422, "Invalid", message, details


def _text(exc: Exception, default: str) -> str:
    return str(exc.args[0]) if exc.args and exc.args[0] else default


def status_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error of a Kubernetes view as a `Status`; None (a 500) only for real bugs."""
    view, request = context.get("view"), context.get("request")
    resource: Resource = getattr(view, "resource", CLUSTERS)
    name = getattr(view, "object_name", "") or (view.kwargs.get("name", "") if view else "")
    name = clip(name)  # a name is a DNS label or subdomain; one of a megabyte is quoted short
    headers: dict[str, str] = {}
    if isinstance(exc, StatusError):
        code, reason, message, details = exc.status_code, exc.reason, exc.message, exc.details
    elif isinstance(exc, SpecError):
        code, reason, message, details = _spec_error(exc, resource, name)
    elif isinstance(exc, ConflictError):
        code, reason, message, details = 409, "Conflict", str(exc), resource.details(name)
    elif isinstance(exc, ClusterStateError):
        code, reason, message, details = 409, "Conflict", str(exc), resource.details(name)
    elif isinstance(exc, (PermissionDenied, exceptions.PermissionDenied)):
        code, reason, details = 403, "Forbidden", resource.details(name)
        message = view.forbidden_message(request) if view else _text(exc, "forbidden")
    elif isinstance(exc, (Http404, ObjectDoesNotExist, exceptions.NotFound)):
        code, reason, message, details = 404, "NotFound", _text(exc, "not found"), {}
    elif isinstance(exc, exceptions.APIException):
        code = exc.status_code  # DRF made a NotAuthenticated 401 when it could name a scheme
        reason = REASONS.get(code, "BadRequest" if code < 500 else "InternalError")
        detail = exc.detail
        lines = field_messages(detail) if isinstance(detail, (dict, list)) else []
        message, details = "; ".join(lines) or str(detail), {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    else:
        return None
    set_rollback()
    if "causes" in details:  # however many fields were wrong, the body stays a few kilobytes
        details = {**details, "causes": details["causes"][:MAX_MESSAGES]}
    message = clip(message, MAX_MESSAGES * MAX_MESSAGE)
    return Response(status_body(code, reason, message, details), status=code, headers=headers)
