"""The Kubernetes API server's `Status` error body, rendered from a domain error's data.

`status_for` maps each ErrorKind as apimachinery's `k8s.io/apimachinery/pkg/api/errors` builds
its StatusErrors (NewInvalid, NewAlreadyExists, NewConflict, NewNotFound, NewForbidden,
NewBadRequest): the code, the reason, the message worded from the resource and name, and for
Invalid a StatusCause per field error (its type, `ErrorBody()` and path).

Limits exceeded (UnableToAllocateResource) answer 403 Forbidden: on a real Supervisor they are
refused at admission, and both ways admission refuses say Forbidden: the ResourceQuota plugin
(`<resource> "<name>" is forbidden: exceeded quota: ...`) and a validating webhook's denial
(controller-runtime's `admission.Denied` sets code 403, reason Forbidden). A state that does not
allow the operation, or an object still in use, is 409 Conflict, as the API server answers a
write it cannot apply now.
"""

from __future__ import annotations

from vksportal.errors import MAX_MESSAGE, MAX_MESSAGES, DomainError, ErrorKind
from vksportal.untrusted import clip


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


def _details(name: str, group: str, kind: str) -> dict:
    """StatusDetails, its empty fields left out (omitempty)."""
    found = {"name": name, "group": group, "kind": kind}
    return {k: v for k, v in found.items() if v}


def _qualified(first: str, group: str) -> str:
    """`clusters.cluster.x-k8s.io`, `Cluster.cluster.x-k8s.io`; the core group adds nothing."""
    return f"{first}.{group}" if group else first


def _invalid(error: DomainError, kind: str, group: str, name: str) -> tuple[str, dict]:
    causes, lines = [], []
    for f in error.fields:
        body = clip(f.body(), MAX_MESSAGE)
        causes.append({"reason": str(f.type), "message": body, "field": f.path})
        line = f"{f.path}: {body}"
        if line not in lines:  # an aggregate says each message once
            lines.append(line)
    if not lines and error.message:
        lines.append(error.message)
    message = f'{_qualified(kind, group)} "{name}" is invalid'
    if lines:
        listed = lines[0] if len(lines) == 1 else f"[{', '.join(lines)}]"
        message = f"{message}: {listed}"
    details = _details(name, group, kind)
    if causes:  # however many fields were wrong, the body stays a few kilobytes
        details["causes"] = causes[:MAX_MESSAGES]
    return message, details


def status_for(
    error: DomainError, *, kind: str, group: str, plural: str, name: str = ""
) -> tuple[int, dict]:
    """(HTTP status, Status body) of `error` about the object `name` of the resource `plural`
    in `group` (Kind `kind`)."""
    name = clip(name or error.target)  # a name of a megabyte is quoted short
    resource = _qualified(plural, group)
    about = _details(name, group, plural)
    match error.kind:
        case ErrorKind.INVALID:
            code, reason = 422, "Invalid"
            message, details = _invalid(error, kind, group, name)
        case ErrorKind.ALREADY_EXISTS:
            code, reason, details = 409, "AlreadyExists", about
            message = f'{resource} "{name}" already exists'
        case (
            ErrorKind.CONFLICT | ErrorKind.NOT_ALLOWED_IN_CURRENT_STATE | ErrorKind.RESOURCE_IN_USE
        ):
            code, reason, message, details = 409, "Conflict", error.message, about
        case ErrorKind.NOT_FOUND:
            code, reason, details = 404, "NotFound", about
            message = f'{resource} "{name}" not found' if name else error.message
        case ErrorKind.FORBIDDEN | ErrorKind.UNABLE_TO_ALLOCATE_RESOURCE | ErrorKind.UNAUTHORIZED:
            code, reason, details = 403, "Forbidden", about
            message = (
                f'{resource} "{name}" is forbidden: {error.message}' if name else (error.message)
            )
        case ErrorKind.UNAUTHENTICATED:
            code, reason, details = 401, "Unauthorized", {}
            message = error.message or "Unauthorized"
        case _:  # BadRequest: the body is not an object to validate
            code, reason, message, details = 400, "BadRequest", error.message, {}
    message = clip(message, MAX_MESSAGES * MAX_MESSAGE)
    return code, status_body(code, reason, message, details)
