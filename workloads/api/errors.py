"""Workload Management's errors in the vAPI body (DRF's EXCEPTION_HANDLER for the whole API):

    SpecError              400 INVALID_ARGUMENT, or ALREADY_EXISTS for a name taken; one
                           message per field, named as the API names it ("namespace: ...")
    NamespaceStateError,
    SupervisorStateError   400 NOT_ALLOWED_IN_CURRENT_STATE
    VmClassInUseError      400 RESOURCE_IN_USE

Everything else (DRF's own, Http404, PermissionDenied) as `inventory.api.errors` maps it.

The Kubernetes-style views (workloads.api.kubernetes, `status_errors`) answer with the API
server's `Status` body instead: 400 BadRequest, 401 Unauthorized, 403 Forbidden, 404 NotFound,
409 AlreadyExists or Conflict (a stale generation, a cluster being deleted), 422 Invalid with a
cause per field of the SpecError.
"""

from __future__ import annotations

from rest_framework.response import Response

from inventory.api import errors as base
from workloads.api.kubernetes.status import status_exception_handler
from workloads.services import NamespaceStateError, SupervisorStateError, VmClassInUseError
from workloads.specs import SpecError


def api_field(name: str, fields: dict[str, str]) -> str:
    """A service's field name as the API calls it: `fields` maps names, or prefixes ending in a
    dot to a pattern taking the rest (`"limit.": "storage_specs[{}].limit"`); others stay."""
    if name in fields:
        return fields[name]
    for prefix, renamed in fields.items():
        if prefix.endswith(".") and name.startswith(prefix):
            return renamed.format(name[len(prefix) :])
    return name


def spec_error_response(exc: SpecError, fields: dict[str, str]) -> Response:
    texts = [f"{api_field(field, fields)}: {text}" for field, text in exc.errors.items()]
    # The services word a taken name the way vCenter does: "... already exists ...".
    taken = any("already exists" in text for text in exc.errors.values())
    return base.error_response(base.ALREADY_EXISTS if taken else base.INVALID_ARGUMENT, texts)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if getattr(context.get("view"), "status_errors", False):
        return status_exception_handler(exc, context)
    if isinstance(exc, SpecError):
        # Each view says how its service's field names read in the API (`spec_fields`).
        fields = getattr(context.get("view"), "spec_fields", {})
        return spec_error_response(exc, fields)
    if isinstance(exc, (NamespaceStateError, SupervisorStateError)):
        return base.error_response(base.NOT_ALLOWED_IN_CURRENT_STATE, [str(exc)])
    if isinstance(exc, VmClassInUseError):
        return base.error_response(base.RESOURCE_IN_USE, [str(exc)])
    return base.exception_handler(exc, context)
