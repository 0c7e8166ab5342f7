"""The registry of operations, each declared once: its vAPI service and operation ids, its
parameters and result as bindings types, and the REST routes it answers at. jsonrpc.py and
rest.py serve every registered operation from this declaration.

    @operation("com.vmware.vcenter.vm.power", "get", params={"vm": VM_ID}, output=POWER_INFO,
               rest=[Rest("GET", "/api/vcenter/vm/{vm}/power")])
    def power_get(call: Call, vm: str) -> dict: ...

A handler takes the Call (who, which request) and the parameters as Python values and returns
the result as a Python value; it raises ApiError (a vAPI error type and messages) or the
domain's errors (vksportal.errors), which each front door renders in its own format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vapi.bindings import VOID, Struct, Type


@dataclass(frozen=True)
class Rest:
    """One REST route of an operation. Path parameters are `{name}`, or `{name:regex}` where a
    literal path shares the prefix (`supervisors/summaries` beside
    `supervisors/{cluster:domain-c[0-9]+}`); `query` names parameters read from the query
    string; `filter` names a structure parameter whose fields are query parameters (a list
    filter: `?names=a&names=b`); `body` names the parameter that is the whole JSON body
    (vCenter's `request_body_parameter`), else the body's fields are parameters."""

    method: str
    path: str
    action: str | None = None  # `?action=start`
    query: tuple[str, ...] = ()
    filter: str | None = None
    body: str | None = None
    status: int = 200  # 204 when the result is void, 201 for a creation
    legacy: bool = False  # `/rest/...`: the result wrapped as {"value": ...}


@dataclass
class Call:
    """Who calls, through which front door."""

    user: Any
    request: Any
    session_id: str | None = None
    wire: str = "rest"  # or "vapi": JSON-RPC's typed encoding (what a list is written in)


@dataclass(frozen=True)
class Operation:
    service: str
    name: str
    params: dict[str, Type]
    output: Type
    handler: Callable[..., Any]
    rest: tuple[Rest, ...] = ()
    authenticated: bool = True  # False: the session's own create (credentials in the call)

    @property
    def input(self) -> Struct:
        return Struct("operation-input", self.params)


REGISTRY: dict[tuple[str, str], Operation] = {}


def operation(
    service: str,
    name: str,
    *,
    params: dict[str, Type] | None = None,
    output: Type = VOID,
    rest: list[Rest] | tuple[Rest, ...] = (),
    authenticated: bool = True,
):
    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        key = (service, name)
        if key in REGISTRY:
            raise ValueError(f"{service}.{name} is declared twice")
        REGISTRY[key] = Operation(
            service, name, dict(params or {}), output, handler, tuple(rest), authenticated
        )
        return handler

    return register


class ApiError(Exception):
    """A vAPI standard error (`ALREADY_IN_DESIRED_STATE`...) with its messages, for what the
    domain's error kinds do not name. `messages` are LocalizableMessages (id, default_message,
    args)."""

    def __init__(self, error_type: str, *messages: dict, status: int | None = None):
        super().__init__(messages[0]["default_message"] if messages else error_type)
        self.error_type, self.messages, self.status = error_type, list(messages), status


def message(id_: str, text: str, *args: str) -> dict:
    return {"id": id_, "default_message": text, "args": list(args)}


@dataclass
class Modules:
    """The modules that declare operations, imported once when the front doors first serve."""

    names: list[str] = field(default_factory=list)
    loaded: bool = False


MODULES = Modules(
    [
        "vapi.cis",  # sessions
        "vapi.tasks",  # com.vmware.cis.tasks
        "vapi.vcenter.inventory",  # datacenters, folders, clusters, hosts, networks, datastores...
        "vapi.vcenter.vm",  # VMs and their power
        "vapi.namespace_management",  # clusters, cluster compatibility
        "vapi.supervisors",  # enable_on_compute_cluster, summaries
        "vapi.vm_classes",
        "vapi.namespaces",  # namespaces instances
        "vapi.namespace_self_service",  # namespace self-service and its templates
    ]
)


def registry() -> dict[tuple[str, str], Operation]:
    if not MODULES.loaded:
        import importlib

        for name in MODULES.names:
            importlib.import_module(name)
        MODULES.loaded = True
    return REGISTRY
