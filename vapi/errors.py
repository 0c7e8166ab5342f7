"""Any error of an operation as (vAPI error type, messages, HTTP status), whatever raised it:
ApiError, the domain's errors by kind, a type error in the input, Django's 404/403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import Http404

from inventory.api.errors import DOMAIN_ERRORS
from inventory.api.errors import message as std_message
from vapi.bindings import InputError
from vapi.operations import ApiError
from vksportal.errors import MAX_MESSAGES, DomainError

BUSY = "The service is busy. Try the operation again."

# vAPI error type -> HTTP status of the REST form (the runtime's table; VKS-REFERENCE §7.4).
STATUS = {
    "ALREADY_EXISTS": 400,
    "ALREADY_IN_DESIRED_STATE": 400,
    "INVALID_ARGUMENT": 400,
    "INVALID_REQUEST": 400,
    "NOT_ALLOWED_IN_CURRENT_STATE": 400,
    "RESOURCE_IN_USE": 400,
    "RESOURCE_BUSY": 400,
    "RESOURCE_INACCESSIBLE": 400,
    "UNABLE_TO_ALLOCATE_RESOURCE": 400,
    "UNEXPECTED_INPUT": 400,
    "UNSUPPORTED": 400,
    "UNAUTHENTICATED": 401,
    "UNAUTHORIZED": 403,
    "NOT_FOUND": 404,
    "OPERATION_NOT_FOUND": 404,
    "CONCURRENT_CHANGE": 409,
    "SERVICE_UNAVAILABLE": 503,
    "ERROR": 500,
}


class Unauthenticated(ApiError):
    def __init__(self, text: str = "Authentication required."):
        super().__init__(
            "UNAUTHENTICATED",
            std_message(text, "UNAUTHENTICATED") | {"id": "vapi.method.authentication.required"},
        )


def described(error: Exception) -> tuple[str, list[dict], int] | None:
    """(error type, messages, HTTP status), or None for a bug (an internal error)."""
    if isinstance(error, ApiError):
        return error.error_type, error.messages, error.status or STATUS.get(error.error_type, 400)
    if isinstance(error, DomainError):
        error_type, status = DOMAIN_ERRORS[error.kind]
        texts = [f.message() for f in error.fields] or [error.message]
        return error_type, [std_message(t, error_type) for t in texts[:MAX_MESSAGES]], status
    if isinstance(error, InputError):
        return "INVALID_ARGUMENT", [std_message(str(error), "INVALID_ARGUMENT")], 400
    if isinstance(error, Http404):
        text = str(error.args[0]) if error.args else "The object was not found."
        return "NOT_FOUND", [std_message(text, "NOT_FOUND")], 404
    if isinstance(error, PermissionDenied):
        text = (
            str(error.args[0]) if error.args else "Permission to perform this operation was denied."
        )
        return "UNAUTHORIZED", [std_message(text, "UNAUTHORIZED")], 403
    if isinstance(error, OperationalError):  # the database is busy or away, not a bug: retry
        return "SERVICE_UNAVAILABLE", [std_message(BUSY, "SERVICE_UNAVAILABLE")], 503
    return None
