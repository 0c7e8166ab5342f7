"""Reads compiled to SQL once per database, then run with other values.

On the hot path of every API call (the caller's session, user and role; a list's summary
rows) Django spends several times longer turning a queryset into SQL than the database takes
to answer it. A `Statement` builds its queryset once, with a sentinel value standing for each
parameter, keeps the SQL, where each sentinel landed among the parameters and the columns'
converters, and from then on only swaps in the real values and runs it: the same SQL, the
same values as Python objects as the ORM would give, none of the compiling.

    SESSION = Statement(
        lambda key: Session.objects.filter(session_key=key).values_list("session_data"),
        key="\\x1fkey\\x1f",
    )
    SESSION.first(key=token)  # ("...",) or None

Only exact comparisons with a parameter survive compilation as the value itself (not
`__contains`, which wraps it in `%`): a placeholder whose sentinel does not reach the
parameters is refused when first compiled, as are two with equal sentinels. A sentinel must be
a value no query holds as a constant of its own (an odd string, an unlikely number within the
column's range: Django compiles no SQL at all for a number its column cannot hold).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple  # the sentinels' parameters included, replaced on each run
    slots: tuple[tuple[int, str], ...]  # (position among the parameters, placeholder name)
    converters: tuple[tuple[int, tuple, Any], ...]  # (column, converters, expression)


def _adapt(value):
    """A value as the backend's compiler passes it among a query's parameters."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, uuid.UUID) and not connection.features.has_native_uuid_field:
        return value.hex
    return value


class Statement:
    """A `values_list()` read built by `build(**placeholders)`, compiled once per database
    vendor; `rows()` and `first()` run it with real values for the placeholders."""

    def __init__(self, build: Callable[..., QuerySet], **placeholders: Any):
        self.build, self.placeholders = build, placeholders
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self) -> _Compiled:
        compiler = self.build(**self.placeholders).query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        sentinels = {}
        for name, value in self.placeholders.items():
            adapted = _adapt(value)
            if adapted in sentinels:
                raise ValueError(f"placeholders {sentinels[adapted]} and {name} are equal")
            sentinels[adapted] = name
        slots = tuple(
            (i, sentinels[p]) for i, p in enumerate(params) if _hashable(p) and p in sentinels
        )
        missing = set(self.placeholders) - {name for _, name in slots}
        if missing:
            raise ValueError(f"placeholders not among the parameters: {sorted(missing)}")
        columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = tuple(
            (i, tuple(convs), expression)
            for i, (convs, expression) in compiler.get_converters(columns).items()
        )
        return _Compiled(sql, tuple(params), slots, converters)

    def rows(self, **values: Any) -> list[tuple]:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile()
        params = list(compiled.params)
        for i, name in compiled.slots:
            params[i] = _adapt(values[name])
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            found = cursor.fetchall()
        if not compiled.converters:
            return [tuple(row) for row in found]
        converted = []
        for row in found:
            row = list(row)
            for i, convs, expression in compiled.converters:
                value = row[i]
                for convert in convs:
                    value = convert(value, expression, connection)
                row[i] = value
            converted.append(tuple(row))
        return converted

    def first(self, **values: Any) -> tuple | None:
        found = self.rows(**values)
        return found[0] if found else None


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
