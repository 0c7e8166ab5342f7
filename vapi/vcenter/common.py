"""What the vcenter services share: who sees the inventory, list filters applied in SQL, the hard
result limits of the list operations, and NOT_FOUND as vCenter words it.

Visibility follows the inventory pages: a user whose vCenter role carries System.View sees every
object (roles are held on the root and propagate); anyone else sees nothing. A list then answers
empty ("visible (subject to permission checks)", as the SDK documents it), a get UNAUTHORIZED.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import NotSupportedError
from django.db.models import Expression, ExpressionWrapper, F, QuerySet, TextField, Value
from django.db.models.expressions import Col, CombinedExpression
from django.db.models.functions import Coalesce, Greatest
from django.db.models.sql.constants import LOUTER

from inventory.permissions import DENIED, Privilege, has
from vapi.bindings import BOOLEAN, INTEGER, STRING, Enum, Id, Optional, Rows, Set, Struct, Type
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


def summaries(
    qs: QuerySet,
    kind: str,
    struct: Struct,
    values: dict[str, str | Expression],
    translate: dict[str, dict] | None = None,
    *,
    filter: dict | None = None,
    matches: dict[str, Matcher] | None = None,
    wire: str = "rest",
) -> Rows:
    """A list operation's answer: `qs` narrowed by every set field of its FilterSpec (`matches`
    says how; unset or empty fields match all), each row's `struct` summary written as JSON by
    the database (SummaryJSON of `values`: a field's column or expression), in name order; or
    UNABLE_TO_ALLOCATE_RESOURCE past the kind's limit. One query either way, compiled once per
    shape of filter (which Match fields, how many values each; a matcher's own values), so a
    call only swaps in its values: compiling took as long as the query (vksportal.statements).
    `qs` and `values` must be the same for every call of one list operation (`kind`). `wire`:
    the summaries' encoding, REST's or JSON-RPC's ("vapi"; Call.wire)."""
    matches = matches or {}
    wanted = _wanted(filter, matches)
    if wanted is None:
        return Rows(struct, texts=[], wire=wire)  # an enum filter none of whose values can match
    limit = LIMITS[kind]  # part of the SQL: a test may lower it
    # (field, number of values) of a Match; (field, None, its value) of a matcher's own
    shape = tuple(
        (name, len(v)) if isinstance(matches[name], Match) else (name, None, _frozen(v))
        for name, v in wanted.items()
    )
    key = (kind, limit, wire, shape)
    statement = _STATEMENTS.get(key)
    if statement is None:
        placeholders = {
            f"{name}-{i}": f"\x1f{name}-{i}\x1f"  # Match lookups compare text: moids, names...
            for name, n, *_ in shape
            if n is not None
            for i in range(n)
        }

        def build(**given) -> QuerySet:
            narrowed = qs
            for name, n, *_ in shape:
                if n is None:
                    narrowed = matches[name](narrowed, wanted[name])
                else:
                    found = [given[f"{name}-{i}"] for i in range(n)]
                    narrowed = narrowed.filter(**{f"{matches[name].lookup}__in": found})
            summary = SummaryJSON(struct, values, translate, wire=wire)
            narrowed = narrowed.annotate(summary_json=summary)
            # Sorted here, not in SQL: the database would sort every match before the limit
            # could refuse them.
            return narrowed.order_by().values_list("name", "summary_json")[: limit + 1]

        if len(_STATEMENTS) >= MAX_STATEMENTS:
            _STATEMENTS.clear()  # a caller varying its filters without end: compiled again
        statement = _STATEMENTS[key] = Statement(build, **placeholders)
    given = {
        f"{name}-{i}": value
        for name, found in wanted.items()
        if isinstance(matches[name], Match)
        for i, value in enumerate(found)
    }
    try:
        rows = statement.rows(**given)
    except EmptyResultSet:  # a matcher that matches nothing (qs.none()): no SQL to run
        return Rows(struct, texts=[], wire=wire)
    if len(rows) > limit:
        raise ApiError(
            "UNABLE_TO_ALLOCATE_RESOURCE",
            message(
                f"com.vmware.api.vcenter.{kind}.too_many_matches",
                f"Too many {PLURALS[kind]}. Add more filter criteria to reduce the number.",
            ),
        )
    rows.sort(key=itemgetter(0))  # code point order, as SQLite's and PostgreSQL's C collations
    return Rows(struct, texts=[text for _, text in rows], wire=wire)


_STATEMENTS: dict[tuple, Statement] = {}
MAX_STATEMENTS = 512


def _wanted(spec: dict | None, matches: dict[str, Matcher]) -> dict | None:
    """The set fields of a FilterSpec, a Match's enum values translated to the model's; None if
    such a field keeps no value (nothing matches). Too many values: INVALID_ARGUMENT."""
    found = {}
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
        if isinstance(how, Match) and how.values is not None:
            wanted = list(dict.fromkeys(how.values[v] for v in wanted if v in how.values))
            if not wanted:
                return None
        found[name] = wanted
    return found


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


class SummaryJSON(Expression):
    """A row's summary as the JSON text of its REST form, written by the database: for a list
    of thousands, turning each row into Python values and those into JSON took most of the
    call (bench/vapi.py). Compact, keys in the structure's order, an unset optional left out
    as Struct.rest leaves it, the same text from SQLite (json_object) and PostgreSQL
    (to_json). `values` holds each field's column or expression; `translate` maps a field's
    stored values to their API enum names (one the map lacks reads as unset). With `wire`
    "vapi", the JSON-RPC encoding instead (Struct.vapi): `{"STRUCTURE": {name: {...}}}`, every
    field present, an optional one as `{"OPTIONAL": value or null}`."""

    def __init__(
        self,
        struct: Struct,
        values: dict[str, str | Expression],
        translate=None,
        *,
        wire: str = "rest",
    ):
        super().__init__(output_field=TextField())
        self.struct, self.wire = struct, wire
        self.translate = translate or {}
        self.keys = tuple(key for key in struct.fields if key in values)
        self.shapes = tuple(_shape(struct, key) for key in self.keys)
        left_out = [key for key in struct.fields if key not in values]
        if set(values) - set(struct.fields) or set(self.translate) - set(values):
            raise ValueError(f"{struct.name}: no such fields in {sorted(values)}")
        if not self.keys or isinstance(struct.fields[self.keys[0]], Optional):
            raise ValueError(f"{struct.name}: its first field must be set")
        if not all(_shape(struct, key)[1] for key in left_out):
            raise ValueError(f"{struct.name}: only an optional left out when unset may be missing")
        self.values = [F(v) if isinstance(v, str) else v for v in (values[k] for k in self.keys)]

    def get_source_expressions(self):
        return self.values

    def set_source_expressions(self, exprs):
        self.values = list(exprs)

    def _fields(self, compiler, connection):
        """(key, kind, left out when unset, value SQL, its params) per field, a translated value
        as a CASE; a value that is never NULL (_never_null) is never left out."""
        for key, (kind, omit), value in zip(self.keys, self.shapes, self.values, strict=True):
            sql, params = compiler.compile(value)
            if key in self.translate:
                forms = [(k, v) for k, v in self.translate[key].items() if k is not None]
                sql = f"CASE {sql} {' '.join(['WHEN %s THEN %s'] * len(forms))} END"
                params = (*params, *(item for form in forms for item in form))
            elif omit and _never_null(value, compiler):
                omit = False
            yield key, kind, omit, sql, tuple(params)

    def _every_field(self, compiler, connection):
        """(key, optional, kind, value SQL, its params) of every field of the structure, in
        order, one not given as NULL: what the vAPI encoding writes."""
        given = {key: rest for key, *rest in self._fields(compiler, connection)}
        for key, t in self.struct.fields.items():
            kind, _, sql, params = given.get(key, ("text", True, "NULL", ()))
            yield key, isinstance(t, Optional), kind, sql, params

    def as_sql(self, compiler, connection):
        raise NotSupportedError(f"SummaryJSON on {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra):
        if self.wire == "vapi":
            return self._vapi_sqlite(compiler, connection)
        fields, unset = [], []  # (key, SQL, params); indexes of fields that may be unset
        for key, kind, omit, sql, params in self._fields(compiler, connection):
            sql, params = _sqlite_json(kind, sql, params)
            if omit:
                unset.append(len(fields))
            fields.append((key, sql, params))
        if len(unset) > MAX_UNSET:
            raise ValueError(f"SummaryJSON: at most {MAX_UNSET} optional fields that may be unset")

        def written(left_out: frozenset[int]) -> tuple[str, list]:
            kept = [f for i, f in enumerate(fields) if i not in left_out]
            params = [p for key, _, values in kept for p in (key, *values)]
            return f"json_object({', '.join(f'%s, {sql}' for _, sql, _ in kept)})", params

        def variants(remaining: list[int], left_out: frozenset[int]) -> tuple[str, list]:
            # json_object writes an unset value as null: the object without it instead, a CASE
            # per such field (json_remove afterwards would parse every row's text again).
            if not remaining:
                return written(left_out)
            i, rest = remaining[0], remaining[1:]
            _, sql, params = fields[i]
            without, without_params = variants(rest, left_out | {i})
            with_, with_params = variants(rest, left_out)
            text = f"CASE WHEN ({sql}) IS NULL THEN {without} ELSE {with_} END"
            return text, [*params, *without_params, *with_params]

        return variants(unset, frozenset())

    def _vapi_sqlite(self, compiler, connection):
        pieces, params = [], []
        for key, optional, kind, sql, value_params in self._every_field(compiler, connection):
            sql, value_params = _sqlite_json(kind, sql, value_params)
            if optional:
                sql = f"json_object('OPTIONAL', {sql})"
            pieces.append(f"%s, {sql}")
            params += [key, *value_params]
        # Wrapped as text: a json_object() around another parses its text again (twice the time).
        fields = f"json_object({', '.join(pieces)})"
        return f"(%s || {fields} || '}}}}')", [_vapi_head(self.struct), *params]

    def as_postgresql(self, compiler, connection, **extra):
        if self.wire == "vapi":
            return self._vapi_postgresql(compiler, connection)
        pieces, params = [], []
        fields = self._fields(compiler, connection)
        for i, (key, kind, omit, sql, value_params) in enumerate(fields):
            value = f"to_json(({sql})::{kind})::text"  # typed: a parameter's type is unknown
            prefix = ("{" if i == 0 else ",") + f'"{key}":'
            if omit:
                pieces.append(f"COALESCE(%s || {value}, '')")
            else:  # a value the translation lacks reads as null, as SQLite's json_object has it
                pieces.append(f"%s || COALESCE({value}, 'null')")
            params += [prefix, *value_params]
        return f"({' || '.join(pieces)} || '}}')", params

    def _vapi_postgresql(self, compiler, connection):
        pieces, params = [], []
        fields = self._every_field(compiler, connection)
        for i, (key, optional, kind, sql, value_params) in enumerate(fields):
            prefix = (_vapi_head(self.struct) + "{" if i == 0 else ",") + f'"{key}":'
            value = f"COALESCE(to_json(({sql})::{kind})::text, 'null')"
            if optional:
                prefix += '{"OPTIONAL":'
                value += " || '}'"
            pieces.append(f"%s || {value}")
            params += [prefix, *value_params]
        return f"({' || '.join(pieces)} || '}}}}}}')", params


def _sqlite_json(kind: str, sql: str, params: tuple) -> tuple[str, tuple]:
    """A value as json_object writes it: SQLite's booleans are 0 and 1, made JSON's."""
    if kind != "boolean":
        return sql, params
    return f"json(CASE WHEN {sql} THEN 'true' WHEN NOT {sql} THEN 'false' END)", params * 2


def _vapi_head(struct: Struct) -> str:
    """`{"STRUCTURE":{"<canonical name>":`, what a structure's fields follow in vAPI JSON."""
    return '{"STRUCTURE":{' + json.dumps(struct.name) + ":"


MAX_UNSET = 3  # SQLite writes 2**n variants of a summary with n fields that may be unset


def _never_null(value, compiler) -> bool:
    """Whether an expression can never be NULL: a NOT NULL column of the query's table or of
    one joined inner, a value, a COALESCE ending in such, arithmetic and GREATEST of such."""
    if isinstance(value, Col):
        join = compiler.query.alias_map.get(value.alias)
        inner = join is not None and getattr(join, "join_type", None) != LOUTER
        return inner and not value.target.null
    if isinstance(value, Value):
        return value.value is not None
    sources = value.get_source_expressions()
    if isinstance(value, Coalesce):
        return any(_never_null(s, compiler) for s in sources)
    if isinstance(value, CombinedExpression | ExpressionWrapper | Greatest):
        return all(_never_null(s, compiler) for s in sources)
    return False


def _shape(struct: Struct, key: str) -> tuple[str, bool]:
    """How SummaryJSON writes a field: its SQL type (PostgreSQL's name), and whether it is left
    out when unset (an optional not shown as null) rather than written as null."""
    t = struct.fields[key]
    omit = isinstance(t, Optional) and not t.null_shown
    t = t.of if isinstance(t, Optional) else t
    if t is BOOLEAN:
        return "boolean", omit
    if t is INTEGER:
        return "numeric", omit
    if t is STRING or isinstance(t, Id | Enum):
        return "text", omit
    raise ValueError(f"{struct.name}.{key}: {t.name} is not written by SummaryJSON")


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
