"""The vAPI error body every API error answers with (VKS-REFERENCE §1.0):

    {"error_type": "NOT_FOUND", "messages": [{"id": ..., "default_message": ..., "args": []}]}

and the vAPI error type (with its HTTP status) of each kind of domain error (vksportal.errors).
vapi.errors renders every operation's errors with these."""

from __future__ import annotations

from vksportal.errors import ErrorKind

# vAPI standard error types (com.vmware.vapi.std.errors) this API answers with.
ALREADY_EXISTS = "ALREADY_EXISTS"
CONCURRENT_CHANGE = "CONCURRENT_CHANGE"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
NOT_ALLOWED_IN_CURRENT_STATE = "NOT_ALLOWED_IN_CURRENT_STATE"
NOT_FOUND = "NOT_FOUND"
RESOURCE_IN_USE = "RESOURCE_IN_USE"
UNABLE_TO_ALLOCATE_RESOURCE = "UNABLE_TO_ALLOCATE_RESOURCE"
UNAUTHENTICATED = "UNAUTHENTICATED"
UNAUTHORIZED = "UNAUTHORIZED"
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
