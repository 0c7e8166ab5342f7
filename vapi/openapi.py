"""OpenAPI 3 for every REST route of the registry, made from the operations' declarations (the
same bindings types that read and write the wire), merged into `/api/openapi.json` by a
drf-spectacular postprocessing hook (`merge`).

A structure or enumeration is one component named by its canonical name
(`com.vmware.vcenter.VM.summary`). Routes told apart by `?action=` at one path and method are
one operation whose `action` query parameter names them (vCenter's own specification has a path
key per action, `.../power?action=start`, which OpenAPI tools cannot call); a `{name:regex}` path
parameter is `{name}` with the regex as its pattern."""

from __future__ import annotations

import re
from collections import defaultdict

from vapi.bindings import (
    BOOLEAN,
    DATE_TIME,
    DOUBLE,
    INTEGER,
    LOCALIZABLE_MESSAGE,
    SECRET,
    STRING,
    VOID,
    Dynamic,
    Enum,
    Id,
    List,
    Map,
    Optional,
    Struct,
    Type,
)
from vapi.errors import STATUS
from vapi.operations import Operation, Rest, registry

PARAMETER = re.compile(r"\{(\w+)(?::([^}]+))?\}")
ERROR_BODY = "com.vmware.vapi.std.errors.rest_error"
LEGACY_ERROR_BODY = "com.vmware.vapi.std.errors.legacy_rest_error"
ERROR_STATUSES = sorted({s for s in STATUS.values() if 400 <= s < 500})
PRIMITIVES = (
    (STRING, {"type": "string"}),
    (INTEGER, {"type": "integer", "format": "int64"}),
    (BOOLEAN, {"type": "boolean"}),
    (DOUBLE, {"type": "number", "format": "double"}),
    (DATE_TIME, {"type": "string", "format": "date-time"}),
    (SECRET, {"type": "string", "format": "password"}),
)


class Schemas:
    """The components a document needs, filled as types are described."""

    def __init__(self):
        self.components: dict[str, dict] = {}

    def ref(self, name: str, make) -> dict:
        if name not in self.components:
            self.components[name] = {}  # a placeholder while a recursive structure is made
            self.components[name] = make()
        return {"$ref": f"#/components/schemas/{name}"}

    def of(self, t: Type) -> dict:
        """The schema of a value of `t` in the REST form (`Type.rest` / `Type.from_rest`)."""
        for primitive, schema in PRIMITIVES:
            if t == primitive:
                return dict(schema)
        if isinstance(t, Optional):
            inner = self.of(t.of)
            return (
                {"allOf": [inner], "nullable": True}
                if "$ref" in inner
                else {
                    **inner,
                    "nullable": True,
                }
            )
        if isinstance(t, Id):
            return {"type": "string"}
        if isinstance(t, Enum):
            return self.ref(t.name, lambda: {"type": "string", "enum": list(t.values)})
        if isinstance(t, List):
            return {"type": "array", "items": self.of(t.of)}
        if isinstance(t, Map):
            return {"type": "object", "additionalProperties": self.of(t.value)}
        if isinstance(t, Struct):
            return self.ref(t.name, lambda: self._struct(t))
        if isinstance(t, Dynamic):
            return {}
        return {"type": "string"}  # a primitive declared elsewhere (never VOID: no body)

    def _struct(self, t: Struct) -> dict:
        schema: dict = {
            "type": "object",
            "properties": {name: self.of(ft) for name, ft in t.fields.items()},
        }
        required = [name for name, ft in t.fields.items() if not isinstance(ft, Optional)]
        if required:
            schema["required"] = required
        return schema

    def errors(self) -> tuple[dict, dict]:
        """The error bodies: `/api` `{error_type, messages}`, `/rest` `{type, value}`."""
        messages = self.of(List(LOCALIZABLE_MESSAGE))
        kinds = sorted(STATUS)
        current = self.ref(
            ERROR_BODY,
            lambda: {
                "type": "object",
                "properties": {
                    "error_type": {"type": "string", "enum": kinds},
                    "messages": messages,
                },
                "required": ["error_type", "messages"],
            },
        )
        legacy = self.ref(
            LEGACY_ERROR_BODY,
            lambda: {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "value": {
                        "type": "object",
                        "properties": {"messages": messages},
                        "required": ["messages"],
                    },
                },
                "required": ["type", "value"],
            },
        )
        return current, legacy


def _scalar_parameter(schemas: Schemas, name: str, t: Type, where: str, pattern=None) -> dict:
    schema = schemas.of(t.of if isinstance(t, Optional) else t)
    if pattern:
        schema = {**schema, "pattern": f"^{pattern}$"}
    required = where == "path" or not isinstance(t, Optional)
    if isinstance(t, List) or (isinstance(t, Optional) and isinstance(t.of, List)):
        required = False  # an absent list is an empty one
    parameter = {"name": name, "in": where, "required": required, "schema": schema}
    if where == "query" and schema.get("type") == "array":
        parameter.update(style="form", explode=True)
    return parameter


def _parameters(schemas: Schemas, op: Operation, route: Rest) -> list[dict]:
    found = [
        _scalar_parameter(schemas, m[1], op.params[m[1]], "path", m[2])
        for m in PARAMETER.finditer(route.path)
    ]
    if route.action:
        found.append(
            {
                "name": "action",
                "in": "query",
                "required": True,
                "schema": {"type": "string", "enum": [route.action]},
            }
        )
    for name in route.query:
        found.append(_scalar_parameter(schemas, name, op.params[name], "query"))
    if route.filter:
        t = op.params[route.filter]
        struct = t.of if isinstance(t, Optional) else t
        for name, ft in struct.fields.items():
            query = _scalar_parameter(schemas, name, ft, "query")
            query["required"] = query["required"] and not isinstance(t, Optional)
            found.append(query)
    return found


def _body(schemas: Schemas, op: Operation, route: Rest) -> dict | None:
    taken = {m[1] for m in PARAMETER.finditer(route.path)} | set(route.query)
    taken |= {route.filter} if route.filter else set()
    rest = {name: t for name, t in op.params.items() if name not in taken}
    if not rest:
        return None
    if route.body:
        t = op.params[route.body]
        schema, required = schemas.of(t), not isinstance(t, Optional)
    else:
        struct = Struct(f"{op.service}.{op.name}", rest)
        schema = schemas.ref(f"{op.service}.{op.name}_request", lambda: schemas._struct(struct))
        required = any(not isinstance(t, Optional) for t in rest.values())
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _operation(schemas: Schemas, op: Operation, route: Rest) -> dict:
    current_error, legacy_error = schemas.errors()
    error = legacy_error if route.legacy else current_error
    if route.status == 204 or op.output is VOID and not route.legacy:
        success = {"description": "Done; no body."}
    else:
        output = {} if op.output is VOID else schemas.of(op.output)
        if route.legacy:
            output = {"type": "object", "properties": {"value": output}, "required": ["value"]}
        success = {
            "description": f"{op.service}.{op.name}",
            "content": {"application/json": {"schema": output}},
        }
    responses = {str(route.status): success}
    for status in ERROR_STATUSES:
        responses[str(status)] = {
            "description": "vAPI error",
            "content": {"application/json": {"schema": error}},
        }
    described = {
        "operationId": f"{op.service}.{op.name}".replace("com.vmware.", "")
        + ("_legacy" if route.legacy else ""),
        "tags": [op.service.removeprefix("com.vmware.")],
        "parameters": _parameters(schemas, op, route),
        "responses": responses,
        "security": [{"vmwareApiSession": []}] if op.authenticated else [{"basicAuth": []}],
    }
    body = _body(schemas, op, route)
    if body:
        described["requestBody"] = body
    if not described["parameters"]:
        del described["parameters"]
    return described


def _joined(operations: list[dict]) -> dict:
    """Operations at one path and method told apart by `?action=` as one operation (OpenAPI has
    one per method): `action` is the enumeration of them, the rest their union."""
    if len(operations) == 1:
        return operations[0]
    actions = [a for o in operations for p in o["parameters"] if p["name"] == "action"
               for a in p["schema"]["enum"]]  # fmt: skip
    joined = dict(operations[0])
    joined["operationId"] = "_or_".join(o["operationId"] for o in operations)
    parameters: dict[str, dict] = {}
    for o in operations:
        for p in o.get("parameters", []):
            parameters.setdefault(p["name"], dict(p))
            if p["name"] != "action" and not all(
                any(q["name"] == p["name"] for q in other.get("parameters", []))
                for other in operations
            ):
                parameters[p["name"]]["required"] = False
    parameters["action"]["schema"] = {"type": "string", "enum": actions}
    joined["parameters"] = list(parameters.values())
    bodies = [o["requestBody"] for o in operations if "requestBody" in o]
    joined.pop("requestBody", None)
    if bodies:
        schemas = [b["content"]["application/json"]["schema"] for b in bodies]
        joined["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": schemas[0] if len(schemas) == 1
                                             else {"oneOf": schemas}}},
        }  # fmt: skip
    responses: dict[str, dict] = {}
    for o in operations:
        for status, answer in o["responses"].items():
            responses.setdefault(status, answer)
    joined["responses"] = responses
    return joined


def document() -> dict:
    """`paths` and `components.schemas` of every registered REST route."""
    schemas = Schemas()
    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for op in registry().values():
        for route in op.rest:
            key = PARAMETER.sub(lambda m: "{" + m[1] + "}", route.path)
            found[key, route.method.lower()].append(_operation(schemas, op, route))
    paths: dict[str, dict] = defaultdict(dict)
    for (key, method), operations in found.items():
        paths[key][method] = _joined(operations)
    return {"paths": dict(paths), "components": {"schemas": schemas.components}}


def merge(result: dict, generator, request, public) -> dict:
    """drf-spectacular's postprocessing hook: every /api route is the registry's, described
    from its declarations."""
    ours = document()
    result.setdefault("paths", {}).update(ours["paths"])
    components = result.setdefault("components", {})
    components.setdefault("schemas", {}).update(ours["components"]["schemas"])
    components.setdefault("securitySchemes", {}).update(
        {
            "vmwareApiSession": {
                "type": "apiKey",
                "in": "header",
                "name": "vmware-api-session-id",
            },
            "basicAuth": {"type": "http", "scheme": "basic"},
        }
    )
    return result
