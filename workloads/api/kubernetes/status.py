"""Kubernetes resources as the API server names them, and the handler answering every error of
their views with a `Status`: the domain's errors as kubeapi.status renders them from their kind
and field errors, Django's Http404 / PermissionDenied and DRF's own by their HTTP status."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from inventory.api.errors import field_messages
from kubeapi.status import status_body, status_for
from vksportal.errors import MAX_MESSAGE, MAX_MESSAGES, DomainError
from vksportal.untrusted import clip
from workloads.manifests import CLUSTER_KIND, TKC_KIND


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


def _text(exc: Exception, default: str) -> str:
    return str(exc.args[0]) if exc.args and exc.args[0] else default


def status_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error of a Kubernetes view as a `Status`; None (a 500) only for real bugs."""
    view, request = context.get("view"), context.get("request")
    resource: Resource = getattr(view, "resource", CLUSTERS)
    name = getattr(view, "object_name", "") or (view.kwargs.get("name", "") if view else "")
    name = clip(name)  # a name is a DNS label or subdomain; one of a megabyte is quoted short
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        code, body = status_for(
            exc, kind=resource.kind, group=resource.group, plural=resource.plural, name=name
        )
        set_rollback()
        return Response(body, status=code)
    if isinstance(exc, StatusError):
        code, reason, message, details = exc.status_code, exc.reason, exc.message, exc.details
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
    message = clip(message, MAX_MESSAGES * MAX_MESSAGE)
    return Response(status_body(code, reason, message, details), status=code, headers=headers)
