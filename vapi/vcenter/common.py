"""What the vcenter services share: who sees the inventory, list filters applied in SQL, the hard
result limits of the list operations, and NOT_FOUND as vCenter words it.

Visibility follows the inventory pages: a user whose vCenter role carries System.View sees every
object (roles are held on the root and propagate); anyone else sees nothing. A list then answers
empty ("visible (subject to permission checks)", as the SDK documents it), a get UNAUTHORIZED.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable

from inventory.permissions import DENIED, Privilege, has
from vapi.bindings import STRING, Id, Optional, Set, Type
from vapi.operations import ApiError, Call, message
from vksportal.statements import Statement

# The most rows a list answers before it refuses with UNABLE_TO_ALLOCATE_RESOURCE (§7.4).
LIMITS = {
    "vm": 4000,
    "host": 2500,
    "datastore": 2500,
    "datacenter": 1000,
    "folder": 1000,
    "cluster": 1000,
    "network": 1000,
    "resource_pool": 1000,
}
# Only the VM's text is known from a real vCenter; the others follow its pattern (UNCONFIRMED).
PLURALS = {
    "vm": "virtual machines",
    "host": "hosts",
    "datastore": "datastores",
    "datacenter": "datacenters",
    "folder": "folders",
    "cluster": "clusters",
    "network": "networks",
    "resource_pool": "resource pools",
}
MAX_FILTER_VALUES = 1000  # values of one filter field: more is hostile, not a query


def ids() -> Type:
    """A filter's set of identifiers: `?vms=vm-1&vms=vm-2`; None or empty matches all."""
    return Optional(Set(Id()))


def names() -> Type:
    return Optional(Set(STRING))


def visible(call: Call) -> bool:
    return has(call.user, Privilege.VIEW)


def require_visible(call: Call) -> None:
    if not visible(call):
        raise PermissionDenied(DENIED)


@dataclass(frozen=True)
class Match:
    """How one filter field narrows the rows: `lookup__in` the values, enum values translated
    to the model's through `values` first (a value the model never holds matches nothing)."""

    lookup: str
    values: dict[str, str] | None = None


Matcher = Match | Callable[[QuerySet, list], QuerySet]


def filtered(qs: QuerySet, spec: dict | None, matches: dict[str, Matcher]) -> QuerySet:
    """`qs` narrowed by every set field of a FilterSpec. Unset or empty fields match all."""
    for name, wanted in (spec or {}).items():
        if wanted is None or wanted == []:
            continue
        if isinstance(wanted, list) and len(wanted) > MAX_FILTER_VALUES:
            raise ApiError(
                "INVALID_ARGUMENT",
                message(
                    "com.vmware.vapi.std.errors.invalid_argument",
                    f"filter.{name}: at most {MAX_FILTER_VALUES} values, got {len(wanted)}.",
                ),
            )
        how = matches[name]
        if isinstance(how, Match):
            if how.values is not None:
                wanted = [how.values[v] for v in wanted if v in how.values]
            qs = qs.filter(**{f"{how.lookup}__in": wanted})
        else:
            qs = how(qs, wanted)
    return qs


def limited(qs: QuerySet, kind: str, columns: tuple[str, ...]) -> list[tuple]:
    """Tuples of `columns` (one of them `name`) ordered by name, or UNABLE_TO_ALLOCATE_RESOURCE
    past the kind's limit (one query either way)."""
    limit = LIMITS[kind]
    # Sorted here, not in SQL: the database would sort every match before the limit could
    # refuse them. Code point order, as SQLite's and PostgreSQL's C collations sort. One fetch
    # of all the rows, not Django's chunks of 100 (converters and column order as values_list).
    if not qs.query.has_filters():  # the whole list, a statement compiled once
        rows = _whole_list(qs, kind, columns).rows()
    else:
        qs = qs.order_by().values_list(*columns)[: limit + 1]
        rows = list(ValuesListIterable(qs, chunk_size=limit + 1))
    if len(rows) > limit:
        raise ApiError(
            "UNABLE_TO_ALLOCATE_RESOURCE",
            message(
                f"com.vmware.api.vcenter.{kind}.too_many_matches",
                f"Too many {PLURALS[kind]}. Add more filter criteria to reduce the number.",
            ),
        )
    rows.sort(key=itemgetter(columns.index("name")))
    return rows


_WHOLE_LISTS: dict[tuple, Statement] = {}


def _whole_list(qs: QuerySet, kind: str, columns: tuple[str, ...]) -> Statement:
    """The statement of an unfiltered list: each list operation starts from one queryset per
    kind (its model, annotated the same way each call), so the first one seen stands for all."""
    key = (kind, columns, qs.model, tuple(qs.query.annotations))
    found = _WHOLE_LISTS.get(key)
    if found is None:
        whole = qs.order_by().values_list(*columns)[: LIMITS[kind] + 1]
        found = _WHOLE_LISTS[key] = Statement(lambda: whole)
    return found


def not_found(kind: str, label: str, identifier: str) -> ApiError:
    """`com.vmware.api.vcenter.vm.not_found` "Virtual machine with identifier 'vm-1' does not
    exist." (a real vCenter appends its instance UUID to the identifier; callers may too)."""
    shown = identifier[:200]
    return ApiError(
        "NOT_FOUND",
        message(
            f"com.vmware.api.vcenter.{kind}.not_found",
            f"{label} with identifier '{shown}' does not exist.",
            shown,
        ),
    )


def one(call: Call, qs: QuerySet, identifier: str, kind: str, label: str):
    """The object with this managed object ID that the caller may see."""
    require_visible(call)
    found = qs.filter(moid=identifier).first()
    if found is None:
        raise not_found(kind, label, identifier)
    return found
