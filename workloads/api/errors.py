"""Workload Management's errors in the vAPI body (DRF's EXCEPTION_HANDLER for the whole API).

The services raise domain errors (vksportal.errors); `inventory.api.errors` maps each kind to its
vAPI error type: Invalid 400 INVALID_ARGUMENT, AlreadyExists 400 ALREADY_EXISTS,
NotAllowedInCurrentState 400 NOT_ALLOWED_IN_CURRENT_STATE, ResourceInUse 400 RESOURCE_IN_USE,
UnableToAllocateResource 400 UNABLE_TO_ALLOCATE_RESOURCE, Conflict 409 CONCURRENT_CHANGE. Here
only the field names change: one message per field, named as the view's API names it
(`spec_fields`, e.g. "namespace: ..."). Everything else (DRF's own, Http404, PermissionDenied)
as `inventory.api.errors` maps it.

The Kubernetes API (kubeapi) is no DRF view: it renders its own `Status` bodies.
"""

from __future__ import annotations

from rest_framework.response import Response

from inventory.api import errors as base
from vksportal.errors import DomainError


def api_field(name: str, fields: dict[str, str]) -> str:
    """A service's field name as the API calls it: `fields` maps names, or prefixes ending in a
    dot to a pattern taking the rest (`"limit.": "storage_specs[{}].limit"`); others stay."""
    if name in fields:
        return fields[name]
    for prefix, renamed in fields.items():
        if prefix.endswith(".") and name.startswith(prefix):
            return renamed.format(name[len(prefix) :])
    return name


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        # Each view says how its service's field names read in the API (`spec_fields`).
        fields = getattr(context.get("view"), "spec_fields", {})
        return base.domain_error_response(exc, lambda name: api_field(name, fields))
    return base.exception_handler(exc, context)
