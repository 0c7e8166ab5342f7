"""Starting states built once per test process and replayed as rows.

A fixture such as `supervisor` runs the real thing (enablement converged by the reconciler: a few
hundred queries) the first time a test asks for it, and records what that changed in the
database, row by row. Every later test gets the same rows written back in a handful of queries:
the state is exactly what the services and reconcilers leave, never a hand-made imitation, and it
lives in the test's own transaction, so it is rolled back with it like anything else.

A recording is replayed only onto the state it was taken from: the rows it changed must hold the
values they had then, the rows it added must not exist, and the rows they point to must be the
same ones (by their unique fields: a user created by an earlier fixture may take another key in
another test). Otherwise (an earlier fixture changed the same rows) the fixture is built for real
once more and that recording replaces the old one.

A transactional test (a live server, a real worker) commits; at its end every table is emptied
and the `baseline`, the database as the session's setup left it, written back as it was, keys
and all, so the recordings still apply, in transactional tests as well (there the replayed rows
are committed, and emptied after).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction

Rows = dict[Any, tuple]  # pk -> the row's concrete field values, in _fields(model) order


def _models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


def _fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _rows(model: type[models.Model]) -> Rows:
    names = _fields(model)
    pk = names.index(model._meta.pk.attname)
    return {row[pk]: row for row in model._base_manager.values_list(*names)}


def _state() -> dict[type[models.Model], Rows]:
    return {model: _rows(model) for model in _models()}


@dataclass
class Change:
    """What a build did to one table."""

    model: type[models.Model]
    added: Rows = field(default_factory=dict)
    changed: dict[Any, dict[str, tuple[Any, Any]]] = field(default_factory=dict)  # {f: (was, is)}
    removed: Rows = field(default_factory=dict)

    def holds_before(self) -> bool:
        """The table is as it was when the build ran, wherever the build touched it."""
        keys = [*self.added, *self.changed, *self.removed]
        names = _fields(self.model)
        now = {
            row[names.index(self.model._meta.pk.attname)]: dict(zip(names, row, strict=True))
            for row in self.model._base_manager.filter(pk__in=keys).values_list(*names)
        }
        if any(pk in now for pk in self.added):
            return False
        for pk, row in self.removed.items():
            if pk not in now or now[pk] != dict(zip(names, row, strict=True)):
                return False
        for pk, diff in self.changed.items():
            if pk not in now or any(now[pk][f] != was for f, (was, _) in diff.items()):
                return False
        return True

    def apply(self) -> None:
        names = _fields(self.model)
        manager = self.model._base_manager
        if self.removed:
            manager.filter(pk__in=list(self.removed)).delete()
        for pk, diff in self.changed.items():
            manager.filter(pk=pk).update(**{f: new for f, (_, new) in diff.items()})
        if self.added:
            # raw: the recorded values as they are; bulk_create would stamp auto_now fields anew
            # (and a later recording that checks them would never match again).
            manager._insert(
                [self.model(**dict(zip(names, row, strict=True))) for row in self.added.values()],
                fields=self.model._meta.concrete_fields,
                raw=True,
            )


def _changes(before: dict, after: dict) -> list[Change]:
    changes = []
    for model, rows in after.items():
        old = before[model]
        change = Change(model)
        change.added = {pk: row for pk, row in rows.items() if pk not in old}
        change.removed = {pk: row for pk, row in old.items() if pk not in rows}
        names = _fields(model)
        for pk, row in rows.items():
            if pk in old and old[pk] != row:
                change.changed[pk] = {
                    f: (was, new)
                    for f, was, new in zip(names, old[pk], row, strict=True)
                    if was != new
                }
        if change.added or change.removed or change.changed:
            changes.append(change)
    return changes


def _unique(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.unique]


def _anchors(changes: list[Change], after: dict) -> dict[type[models.Model], dict[Any, tuple]]:
    """The rows outside the recording that its rows point to, each with its unique fields (pk,
    username, moid...): a replay needs the same ones, not merely rows that took the same keys."""
    own = {(change.model, pk) for change in changes for pk in change.added}
    anchors: dict[type[models.Model], dict[Any, tuple]] = {}
    for change in changes:
        names = _fields(change.model)
        rows = [*change.added.values(), *(after[change.model][pk] for pk in change.changed)]
        for f in change.model._meta.concrete_fields:
            if not f.is_relation:
                continue
            target = f.related_model._meta.concrete_model
            by = _fields(target).index(f.target_field.attname)
            unique = [_fields(target).index(name) for name in _unique(target)]
            for row in rows:
                value = row[names.index(f.attname)]
                if value is None:
                    continue
                pointed = next(r for r in after[target].values() if r[by] == value)
                pk = pointed[_fields(target).index(target._meta.pk.attname)]
                if (target, pk) not in own:
                    anchors.setdefault(target, {})[pk] = tuple(pointed[i] for i in unique)
    return anchors


def _anchors_hold(anchors: dict[type[models.Model], dict[Any, tuple]]) -> bool:
    for model, wanted in anchors.items():
        unique = _unique(model)
        now = model._base_manager.filter(pk__in=list(wanted)).values_list(*unique)
        pk = unique.index(model._meta.pk.attname)
        if {row[pk]: tuple(row) for row in now} != wanted:
            return False
    return True


@dataclass(frozen=True)
class Fetch:
    """A model instance a build returned, by its key: the test may change the instance itself
    (`delete()` even clears its pk)."""

    model: type[models.Model]
    pk: Any


@dataclass
class Recording:
    changes: list[Change]
    anchors: dict[type[models.Model], dict[Any, tuple]]
    result: Any  # what the build returned, a model instance as a Fetch

    def replay(self) -> tuple[bool, Any]:
        with transaction.atomic():
            if not all(change.holds_before() for change in self.changes):
                return False, None
            if not _anchors_hold(self.anchors):
                return False, None
            for change in self.changes:
                change.apply()
        if isinstance(self.result, Fetch):
            return True, self.result.model._default_manager.get(pk=self.result.pk)
        return True, self.result


class Baseline:
    """The database as the session's setup left it (the demo estate), put back at a
    transactional test's end in place of Django's flush (tests/conftest.py): every table emptied
    and the same rows written back under the same keys, in one transaction, where the flush and
    building the estate again took seconds and gave it new keys. Recordings stay valid across it
    (a replay checks the rows it touches anyway)."""

    def __init__(self) -> None:
        self._state: dict[type[models.Model], Rows] = {}

    def take(self) -> None:
        self._state = _state()

    def restore(self) -> None:
        with transaction.atomic():  # foreign keys are checked at the end (deferred): any order
            for model in _models():
                model._base_manager.all()._raw_delete(connection.alias)
            for model, rows in self._state.items():
                if not rows:
                    continue
                names = _fields(model)
                fields = model._meta.concrete_fields
                objs = [model(**dict(zip(names, row, strict=True))) for row in rows.values()]
                size = max(connection.ops.bulk_batch_size(fields, objs), 1)
                for start in range(0, len(objs), size):
                    model._base_manager._insert(objs[start : start + size], fields, raw=True)
        ContentType.objects.clear_cache()  # it may hold the post_migrate's keys


class Snapshots:
    """Recordings by name, for one test process (each xdist worker has its own)."""

    def __init__(self) -> None:
        self._recordings: dict[str, Recording] = {}

    def __call__(self, name: str, build: Callable[[], Any]) -> Any:
        """What `build()` returns, with the database as it leaves it: replayed if recorded."""
        recording = self._recordings.get(name)
        if recording is not None:
            ok, result = recording.replay()
            if ok:
                return result
        before = _state()
        result = build()
        after = _state()
        changes = _changes(before, after)
        kept = Fetch(type(result), result.pk) if isinstance(result, models.Model) else result
        self._recordings[name] = Recording(changes, _anchors(changes, after), kept)
        return result


snapshots = Snapshots()
baseline = Baseline()
