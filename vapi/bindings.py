"""Types of the vSphere Automation API, each with its two wire forms:

- REST (`/api/...`): bare JSON; a structure is an object of its fields, unset optionals left
  out; a map is a JSON object; a secret is a plain string.
- vAPI JSON-RPC (`POST /api`): typed; a structure is `{"STRUCTURE": {"<canonical name>": {...}}}`
  with every field present, an optional `{"OPTIONAL": value | null}`, a secret
  `{"SECRET": "..."}`, a map a list of `map-entry` structures, an error
  `{"ERROR": {"<canonical name>": {...}}}` (VKS-REFERENCE §7.5; the runtime's
  vmware/vapi/data/serializers/jsonrpc.py).

Values in Python are plain: str, int, bool, float, datetime, list, set, dict (a structure's
fields by name; a map's entries), None for an unset optional. Reading input checks types and
says where a value is wrong (`InputError` with the field's path), as vCenter's INVALID_ARGUMENT.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any


class InputError(Exception):
    """A value that is not of its declared type: INVALID_ARGUMENT naming the field."""

    def __init__(self, path: str, expected: str, value: Any):
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        super().__init__(f"{path or 'input'}: expected {expected}, got {shown}")
        self.path, self.expected = path, expected


class Type:
    def rest(self, value):  # Python -> REST JSON
        return value

    def vapi(self, value):  # Python -> vAPI JSON
        return value

    def from_rest(self, data, path: str = ""):
        return self._check(data, path)

    def from_vapi(self, data, path: str = ""):
        return self._check(data, path)

    def _check(self, data, path):
        return data


@dataclass(frozen=True)
class Primitive(Type):
    name: str
    python: tuple

    def _check(self, data, path):
        if isinstance(data, bool) and bool not in self.python:
            raise InputError(path, self.name, data)
        if not isinstance(data, self.python):
            raise InputError(path, self.name, data)
        return data


STRING = Primitive("string", (str,))
INTEGER = Primitive("long", (int,))
BOOLEAN = Primitive("boolean", (bool,))
DOUBLE = Primitive("double", (int, float))
VOID = Primitive("void", (type(None),))


@dataclass(frozen=True)
class Id(Type):
    """An identifier of a resource type (`VirtualMachine`, `ClusterComputeResource`...): a
    string on both wires."""

    resource_type: str = ""
    name: str = "id"

    def _check(self, data, path):
        return STRING._check(data, path)


@dataclass(frozen=True)
class DateTimeType(Type):
    name: str = "date_time"

    def rest(self, value: datetime):
        return (
            value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{value.microsecond // 1000:03d}Z"
        )

    vapi = rest

    def _check(self, data, path):
        if not isinstance(data, str):
            raise InputError(path, "date_time", data)
        try:
            return datetime.fromisoformat(data.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(path, "date_time", data) from None


DATE_TIME = DateTimeType()


@dataclass(frozen=True)
class SecretType(Type):
    name: str = "secret"

    def vapi(self, value):
        return {"SECRET": value}

    def from_rest(self, data, path=""):
        return STRING.from_rest(data, path)

    def from_vapi(self, data, path=""):
        if isinstance(data, dict) and set(data) == {"SECRET"}:
            return STRING.from_vapi(data["SECRET"], path)
        raise InputError(path, "secret", data)


SECRET = SecretType()


@dataclass(frozen=True)
class Enum(Type):
    """An enumeration: the value's name on both wires (`POWERED_ON`)."""

    name: str  # canonical, e.g. com.vmware.vcenter.vm.power.state
    values: tuple[str, ...]

    def _check(self, data, path):
        if not isinstance(data, str) or data not in self.values:
            raise InputError(path, f"one of {', '.join(self.values)}", data)
        return data


@dataclass(frozen=True)
class Optional(Type):
    of: Type
    null_shown: bool = False  # REST: a structure's unset field written as null, not left out

    @property
    def name(self) -> str:
        return f"optional<{self.of.name}>"

    def rest(self, value):
        return None if value is None else self.of.rest(value)

    def vapi(self, value):
        return {"OPTIONAL": None if value is None else self.of.vapi(value)}

    def from_rest(self, data, path=""):
        return None if data is None else self.of.from_rest(data, path)

    def from_vapi(self, data, path=""):
        if not (isinstance(data, dict) and set(data) == {"OPTIONAL"}):
            raise InputError(path, "optional", data)
        return None if data["OPTIONAL"] is None else self.of.from_vapi(data["OPTIONAL"], path)


@dataclass(frozen=True)
class List(Type):
    of: Type
    unique: bool = False  # a set: same wire form, duplicates dropped on input

    @property
    def name(self) -> str:
        return f"{'set' if self.unique else 'list'}<{self.of.name}>"

    def rest(self, value):
        if type(value) is Rows and value.struct is self.of and value.wire == "rest":
            return value  # already in their REST form (dicts, or the database's JSON text)
        return [self.of.rest(v) for v in value]

    def vapi(self, value):
        if type(value) is Rows and value.struct is self.of and value.wire == "vapi":
            return value  # already in the typed encoding (the database's JSON text)
        return [self.of.vapi(v) for v in value]

    def _items(self, data, path, read):
        if not isinstance(data, list):
            raise InputError(path, self.name, data)
        items = [read(v, f"{path}[{i}]") for i, v in enumerate(data)]
        return list(dict.fromkeys(items)) if self.unique else items

    def from_rest(self, data, path=""):
        return self._items(data, path, self.of.from_rest)

    def from_vapi(self, data, path=""):
        return self._items(data, path, self.of.from_vapi)


def Set(of: Type) -> List:  # noqa: N802 (a type constructor, as the bindings name it)
    return List(of, unique=True)


MAP_ENTRY = "map-entry"


@dataclass(frozen=True)
class Map(Type):
    key: Type
    value: Type

    @property
    def name(self) -> str:
        return f"map<{self.key.name},{self.value.name}>"

    def rest(self, value: dict):
        return {str(self.key.rest(k)): self.value.rest(v) for k, v in value.items()}

    def vapi(self, value: dict):
        return [
            {"STRUCTURE": {MAP_ENTRY: {"key": self.key.vapi(k), "value": self.value.vapi(v)}}}
            for k, v in value.items()
        ]

    def from_rest(self, data, path=""):
        if not isinstance(data, dict):
            raise InputError(path, self.name, data)
        return {
            self.key.from_rest(k, path): self.value.from_rest(v, f"{path}.{k}")
            for k, v in data.items()
        }

    def from_vapi(self, data, path=""):
        if not isinstance(data, list):
            raise InputError(path, self.name, data)
        found = {}
        for i, entry in enumerate(data):
            fields = _struct_fields(entry, MAP_ENTRY, f"{path}[{i}]")
            key = self.key.from_vapi(fields.get("key"), f"{path}[{i}].key")
            found[key] = self.value.from_vapi(fields.get("value"), f"{path}[{i}].value")
        return found


class Rows(Sequence):
    """A list of one structure's values already in their REST form: dicts, or each value's
    JSON text as the database wrote it (vapi.vcenter.common.SummaryJSON), read as dicts only
    when iterated (the JSON-RPC encoding, a test). `json()` joins those texts: for a list of
    thousands, a dict per row built and encoded here was most of the call's time."""

    def __init__(self, struct: Struct, rows: list[dict] | None = None, *, texts=None, wire="rest"):
        self.struct = struct
        self._rows = rows
        self.texts = texts
        self.wire = wire  # the encoding of the dicts or texts: "rest", or "vapi" (JSON-RPC's)

    @property
    def _dicts(self) -> list[dict]:
        if self._rows is None:
            self._rows = json.loads(self.json(json.dumps))
        return self._rows

    def __getitem__(self, index):
        return self._dicts[index]

    def __len__(self) -> int:
        return len(self._rows if self._rows is not None else self.texts)

    def __iter__(self):
        return iter(self._dicts)

    def __eq__(self, other) -> bool:
        if isinstance(other, Rows | list):
            return self._dicts == list(other)
        return NotImplemented

    __hash__ = None  # a list's equality, so no hash either

    def __repr__(self) -> str:
        return f"Rows({self.struct.name}, {self._dicts!r})"

    def json(self, encode: Callable[[Any], str]) -> str:
        """The list's JSON text: the rows' texts joined, or what `encode` makes of the dicts."""
        if self.texts is None:
            return encode(self._rows)
        return "[" + ",".join(self.texts) + "]"


class Dynamic(Type):
    """Any value, as it is (an error's optional `data`)."""

    name = "dynamic structure"


def _struct_fields(data, name: str, path: str) -> dict:
    if (
        isinstance(data, dict)
        and set(data) == {"STRUCTURE"}
        and isinstance(data["STRUCTURE"], dict)
        and len(data["STRUCTURE"]) == 1
    ):
        ((given, fields),) = data["STRUCTURE"].items()
        if isinstance(fields, dict):
            return fields
    raise InputError(path, f"structure {name}", data)


@dataclass(frozen=True)
class Struct(Type):
    """A structure: its canonical name (`com.vmware.vcenter.VM.summary`) and fields in order.
    Fields not Optional are required on input."""

    name: str
    fields: dict[str, Type] = field(hash=False, compare=False)

    @cached_property
    def _rest_plan(self) -> tuple:
        """(key, optional, converter or None when the REST form is the value itself), so a
        list of thousands of summaries skips a call per plain field (most of its time)."""
        plan = []
        for key, t in self.fields.items():
            optional = isinstance(t, Optional)
            inner = t.of if optional else t
            hidden = optional and not t.null_shown  # an unset optional is left out
            plan.append((key, hidden, None if type(inner).rest is Type.rest else inner.rest))
        return tuple(plan)

    def rest(self, value: dict):
        found = {}
        get = value.get
        for key, hidden, convert in self._rest_plan:
            v = get(key)
            if v is None:
                if not hidden:
                    found[key] = None  # a field shown as null (Optional(null_shown=True))
                continue
            found[key] = v if convert is None else convert(v)
        return found

    def vapi(self, value: dict):
        fields = {k: t.vapi(value.get(k)) for k, t in self.fields.items()}
        return {"STRUCTURE": {self.name: fields}}

    def _read(self, fields: dict, path: str, read) -> dict:
        found = {}
        for key, t in self.fields.items():
            where = f"{path}.{key}" if path else key
            if key not in fields or (fields[key] is None and isinstance(t, Optional)):
                if isinstance(t, Optional):
                    found[key] = None
                    continue
                raise InputError(where, t.name, None)
            found[key] = read(t)(fields[key], where)
        return found

    def from_rest(self, data, path=""):
        if not isinstance(data, dict):
            raise InputError(path, f"structure {self.name}", data)
        return self._read(data, path, lambda t: t.from_rest)

    def from_vapi(self, data, path=""):
        fields = _struct_fields(data, self.name, path)
        return self._read(fields, path, lambda t: t.from_vapi)


# ---------------------------------------------------------------- the standard errors

LOCALIZABLE_MESSAGE = Struct(
    "com.vmware.vapi.std.localizable_message",
    {
        "id": STRING,
        "default_message": STRING,
        "args": List(STRING),
        "params": Optional(Map(STRING, Struct("com.vmware.vapi.std.localization_param", {}))),
        "localized": Optional(STRING),
    },
)

ERROR_TYPES = (
    "ERROR", "ALREADY_EXISTS", "ALREADY_IN_DESIRED_STATE", "CANCELED", "CONCURRENT_CHANGE",
    "FEATURE_IN_USE", "INTERNAL_SERVER_ERROR", "INVALID_ARGUMENT", "INVALID_ELEMENT_CONFIGURATION",
    "INVALID_ELEMENT_TYPE", "INVALID_REQUEST", "NOT_ALLOWED_IN_CURRENT_STATE", "NOT_FOUND",
    "OPERATION_NOT_FOUND", "RESOURCE_BUSY", "RESOURCE_IN_USE", "RESOURCE_INACCESSIBLE",
    "SERVICE_UNAVAILABLE", "TIMED_OUT", "UNABLE_TO_ALLOCATE_RESOURCE", "UNAUTHENTICATED",
    "UNAUTHORIZED", "UNEXPECTED_INPUT", "UNSUPPORTED", "UNVERIFIED_PEER",
)  # fmt: skip


def error_struct(error_type: str) -> Struct:
    """`com.vmware.vapi.std.errors.not_found` and the like: messages, data, error_type."""
    return Struct(
        f"com.vmware.vapi.std.errors.{error_type.lower()}",
        {
            "messages": List(LOCALIZABLE_MESSAGE),
            "data": Optional(Dynamic()),
            "error_type": Optional(Enum("com.vmware.vapi.std.errors.error.type", ERROR_TYPES)),
        },
    )


def error_vapi(error_type: str, messages: list[dict]) -> dict:
    """An error value of the vAPI encoding: `{"ERROR": {"<canonical name>": {...}}}`."""
    struct = error_struct(error_type)
    value = {"messages": messages, "data": None, "error_type": error_type}
    return {"ERROR": struct.vapi(value)["STRUCTURE"]}
