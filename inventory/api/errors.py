"""The vAPI error body every API error answers with (VKS-REFERENCE §1.0):

    {"error_type": "NOT_FOUND", "messages": [{"id": ..., "default_message": ..., "args": []}]}

`exception_handler` maps the domain's errors (vksportal.errors) by kind, DRF's exceptions and
Django's Http404 / PermissionDenied. An app whose field names differ in the API
(workloads.api.errors) renders its field errors through `domain_error_response` with a rename.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from inventory.api.parsers import RequestTooLarge
from vksportal.errors import MAX_MESSAGE, MAX_MESSAGES, DomainError, ErrorKind
from vksportal.untrusted import clip

# vAPI standard error types (com.vmware.vapi.std.errors) this API answers with.
ALREADY_EXISTS = "ALREADY_EXISTS"
CONCURRENT_CHANGE = "CONCURRENT_CHANGE"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
INVALID_REQUEST = "INVALID_REQUEST"
NOT_ALLOWED_IN_CURRENT_STATE = "NOT_ALLOWED_IN_CURRENT_STATE"
NOT_FOUND = "NOT_FOUND"
OPERATION_NOT_FOUND = "OPERATION_NOT_FOUND"
RESOURCE_BUSY = "RESOURCE_BUSY"
RESOURCE_IN_USE = "RESOURCE_IN_USE"
UNABLE_TO_ALLOCATE_RESOURCE = "UNABLE_TO_ALLOCATE_RESOURCE"
UNAUTHENTICATED = "UNAUTHENTICATED"
UNAUTHORIZED = "UNAUTHORIZED"
ERROR = "ERROR"
ERROR_TYPES = (
    ALREADY_EXISTS,
    CONCURRENT_CHANGE,
    INVALID_ARGUMENT,
    INVALID_REQUEST,
    NOT_ALLOWED_IN_CURRENT_STATE,
    NOT_FOUND,
    OPERATION_NOT_FOUND,
    RESOURCE_BUSY,
    RESOURCE_IN_USE,
    UNABLE_TO_ALLOCATE_RESOURCE,
    UNAUTHENTICATED,
    UNAUTHORIZED,
    ERROR,
)
# A domain error's kind -> (vAPI error type, HTTP status), as the vAPI runtime's REST mapping
# answers them (VKS-REFERENCE §1: 400 for most, CONCURRENT_CHANGE 409).
DOMAIN_ERRORS: dict[ErrorKind, tuple[str, int]] = {
    ErrorKind.NOT_FOUND: (NOT_FOUND, 404),
    ErrorKind.ALREADY_EXISTS: (ALREADY_EXISTS, 400),
    ErrorKind.CONFLICT: (CONCURRENT_CHANGE, 409),
    ErrorKind.INVALID: (INVALID_ARGUMENT, 400),
    ErrorKind.BAD_REQUEST: (INVALID_ARGUMENT, 400),
    ErrorKind.FORBIDDEN: (UNAUTHORIZED, 403),
    ErrorKind.NOT_ALLOWED_IN_CURRENT_STATE: (NOT_ALLOWED_IN_CURRENT_STATE, 400),
    ErrorKind.RESOURCE_IN_USE: (RESOURCE_IN_USE, 400),
    ErrorKind.UNABLE_TO_ALLOCATE_RESOURCE: (UNABLE_TO_ALLOCATE_RESOURCE, 400),
    ErrorKind.UNAUTHENTICATED: (UNAUTHENTICATED, 401),
    ErrorKind.UNAUTHORIZED: (UNAUTHORIZED, 403),
}


def message(text: str, error_type: str) -> dict:
    """A LocalizableMessage; the id names the vAPI error, the text is the vSphere-style one."""
    return {
        "id": f"com.vmware.vapi.std.errors.{error_type.lower()}",
        "default_message": text,
        "args": [],
    }


def bounded(texts: Iterable[str]) -> list[str]:
    """At most MAX_MESSAGES messages of at most MAX_MESSAGE characters: however much input a
    request got wrong (a list of 10,000 bad items, a megabyte echoed by a choice field), its
    error body stays a few kilobytes."""
    texts = list(texts)
    kept = [clip(str(t), MAX_MESSAGE) for t in texts[:MAX_MESSAGES]]
    if len(texts) > MAX_MESSAGES:
        kept.append(f"... and {len(texts) - MAX_MESSAGES} more problems")
    return kept


def error_response(
    error_type: str, texts: Iterable[str], status_code: int = 400, headers: dict | None = None
) -> Response:
    set_rollback()
    body = {"error_type": error_type, "messages": [message(t, error_type) for t in bounded(texts)]}
    return Response(body, status=status_code, headers=headers)


def domain_error_response(exc: DomainError, rename: Callable[[str], str] = str) -> Response:
    """A domain error as its kind's vAPI error: one message per field error, the field named
    as the API names it (`rename`), or the error's message when no field is wrong."""
    error_type, status_code = DOMAIN_ERRORS[exc.kind]
    texts = [f"{rename(f.path)}: {f.text()}" for f in exc.fields] or [exc.message]
    return error_response(error_type, texts, status_code)


def field_messages(detail, prefix: str = "") -> list[str]:
    """A serializer's nested errors as `field.sub[0]: message` lines."""
    if isinstance(detail, dict):
        lines = []
        for key, value in detail.items():
            if key == "non_field_errors":
                name = prefix
            elif str(key).isdigit() and prefix:  # a list's item, reported by index
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            lines += field_messages(value, name)
        return lines
    if isinstance(detail, list):
        if all(not isinstance(d, (dict, list)) for d in detail):
            return [f"{prefix}: {d}" if prefix else str(d) for d in detail]
        lines = []
        for i, item in enumerate(detail):
            lines += field_messages(item, f"{prefix}[{i}]")
        return lines
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def _text(exc: Exception, default: str) -> str:
    return str(exc.args[0]) if exc.args and exc.args[0] else default


# DRF exception -> (error type, HTTP status); the first match wins.
DRF_ERRORS: list[tuple[type[exceptions.APIException], str, int]] = [
    (exceptions.NotAuthenticated, UNAUTHENTICATED, status.HTTP_401_UNAUTHORIZED),
    (exceptions.AuthenticationFailed, UNAUTHENTICATED, status.HTTP_401_UNAUTHORIZED),
    (exceptions.PermissionDenied, UNAUTHORIZED, status.HTTP_403_FORBIDDEN),
    (exceptions.NotFound, NOT_FOUND, status.HTTP_404_NOT_FOUND),
    (exceptions.MethodNotAllowed, OPERATION_NOT_FOUND, status.HTTP_405_METHOD_NOT_ALLOWED),
    (exceptions.ParseError, INVALID_ARGUMENT, status.HTTP_400_BAD_REQUEST),
    (RequestTooLarge, INVALID_REQUEST, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (exceptions.ValidationError, INVALID_ARGUMENT, status.HTTP_400_BAD_REQUEST),
    (exceptions.UnsupportedMediaType, INVALID_REQUEST, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE),
    (exceptions.NotAcceptable, INVALID_REQUEST, status.HTTP_406_NOT_ACCEPTABLE),
    (exceptions.Throttled, RESOURCE_BUSY, status.HTTP_429_TOO_MANY_REQUESTS),
]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER for the vCenter half; None (a 500) only for real bugs."""
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, Http404):
        return error_response(NOT_FOUND, [_text(exc, "Not found.")], 404)
    if isinstance(exc, ObjectDoesNotExist):  # a row gone between the lookup and the lock
        return error_response(NOT_FOUND, [_text(exc, "Not found.")], 404)
    if isinstance(exc, PermissionDenied):
        texts = [_text(exc, "Permission to perform this operation was denied.")]
        return error_response(UNAUTHORIZED, texts, 403)
    if isinstance(exc, exceptions.APIException):
        error_type, status_code = next(
            ((t, s) for cls, t, s in DRF_ERRORS if isinstance(exc, cls)), (ERROR, exc.status_code)
        )
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            status_code = exc.status_code  # 403 when no authenticator names a scheme
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        texts = (
            field_messages(exc.detail)
            if isinstance(exc.detail, (dict, list))
            else [str(exc.detail)]
        )
        return error_response(error_type, texts, status_code, headers)
    return None


# ---------------------------------------------------------------- the body, for the schema


class ErrorMessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    default_message = serializers.CharField()
    args = serializers.ListField(child=serializers.CharField())


class ErrorSerializer(serializers.Serializer):
    error_type = serializers.ChoiceField(choices=ERROR_TYPES)
    messages = ErrorMessageSerializer(many=True)
