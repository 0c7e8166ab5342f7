"""`com.vmware.vcenter.namespaces.instances` (list, get, create and their `_v2` forms keyed by
the Supervisor; update, set, delete) and `com.vmware.vcenter.namespaces.access` (one entry of a
namespace's access list), over JSON-RPC and REST (`/api/vcenter/namespaces/instances...`, routes
as the SDK's rest_metadata gives them) from one declaration. The rules are the services'
(workloads.services.namespace_specs applies a whole spec): Namespaces.Manage to create, Owner to
change permissions or delete, Edit to change settings, a role in the namespace to see it."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import replace

from django.http import Http404

from vapi.bindings import (
    BOOLEAN,
    INTEGER,
    LOCALIZABLE_MESSAGE,
    STRING,
    Enum,
    Id,
    List,
    Optional,
    Rows,
    Set,
    Struct,
)
from vapi.namespace_management import CLUSTER_ID, POLICY_ID, SUPERVISOR_ID, UNSET, refuse_unset
from vapi.operations import Call, Rest, operation
from vapi.vm_classes import Body
from vksportal.errors import DomainError
from workloads import selectors, services
from workloads.models import Namespace
from workloads.selectors import api as api_selectors
from workloads.services import namespace_specs

SERVICE = "com.vmware.vcenter.namespaces.instances"
ACCESS_SERVICE = "com.vmware.vcenter.namespaces.access"
NS = "com.vmware.vcenter.namespaces"
NAMESPACE_ID = Id(f"{NS}.Instance")
PATH = "/api/vcenter/namespaces/instances"

CONFIG_STATUS = Enum(f"{SERVICE}.config_status", ("CONFIGURING", "REMOVING", "RUNNING", "ERROR"))
STATS = Struct(
    f"{SERVICE}.stats", {"cpu_used": INTEGER, "memory_used": INTEGER, "storage_used": INTEGER}
)
# Instances' specs declare `resource_spec` a dynamic structure; vCenter reads it as
# ResourceQuotaOptionsV1 (create, set, info) and ResourceQuotaOptionsV1Update (update). Three
# limits are simulated; the Kubernetes object counts and container defaults are not.
LIMITS = ("cpu_limit", "memory_limit", "storage_request_limit")
NOT_SIMULATED = (
    "memory_limit_default",
    "memory_request_default",
    "cpu_limit_default",
    "cpu_request_default",
    "pod_count",
    "service_count",
    "deployment_count",
    "daemon_set_count",
    "replica_set_count",
    "replication_controller_count",
    "stateful_set_count",
    "config_map_count",
    "secret_count",
    "persistent_volume_claim_count",
    "job_count",
)
RESOURCE_SPEC = Struct(
    f"{NS}.resource_quota_options_v1",
    {name: Optional(INTEGER) for name in LIMITS} | {name: UNSET for name in NOT_SIMULATED},
)
# `x_unset: true` removes the limit; `x` sets it; neither leaves it as it is. Removing a limit
# that is not simulated (`pod_count_unset`) removes nothing, so it is taken.
RESOURCE_SPEC_UPDATE = Struct(
    f"{NS}.resource_quota_options_v1_update",
    {
        key: t
        for name in LIMITS + NOT_SIMULATED
        for key, t in (
            (name, Optional(INTEGER) if name in LIMITS else UNSET),
            (f"{name}_unset", Optional(BOOLEAN)),
        )
    },
)
SUBJECT_TYPE = Enum(f"{NS}.access.subject_type", ("USER", "GROUP"))
ROLE = Enum(f"{NS}.access.role", ("OWNER", "EDIT", "VIEW"))
ACCESS = Struct(
    f"{SERVICE}.access",
    {
        "subject_type": SUBJECT_TYPE,
        "subject": STRING,
        "domain": STRING,
        "role": ROLE,
        "identity_provider": UNSET,
    },
)
STORAGE_SPEC = Struct(f"{SERVICE}.storage_spec", {"policy": POLICY_ID, "limit": Optional(INTEGER)})
VM_SERVICE_SPEC = Struct(
    f"{SERVICE}.VM_service_spec",
    {"content_libraries": Optional(Set(Id())), "vm_classes": Optional(Set(Id()))},
)
MESSAGE = Struct(
    f"{SERVICE}.message",
    {
        "severity": Enum(f"{SERVICE}.message.message_severity", ("INFO", "WARNING", "ERROR")),
        "details": Optional(LOCALIZABLE_MESSAGE),
    },
)
PRINCIPAL = Struct(f"{SERVICE}.principal", {"subject": STRING, "domain": STRING})


def _summary(name: str, key: str, key_type) -> Struct:
    return Struct(
        name,
        {
            key: key_type,
            "namespace": NAMESPACE_ID,
            "description": STRING,
            "config_status": CONFIG_STATUS,
            "stats": STATS,
            "self_service_namespace": Optional(BOOLEAN),
        },
    )


def _info(name: str, key: str, key_type) -> Struct:
    return Struct(
        name,
        {
            key: key_type,
            "config_status": CONFIG_STATUS,
            "messages": List(MESSAGE),
            "stats": STATS,
            "description": STRING,
            "resource_spec": Optional(RESOURCE_SPEC),
            "access_list": List(ACCESS),
            "storage_specs": List(STORAGE_SPEC),
            "vm_service_spec": Optional(VM_SERVICE_SPEC),
            "creator": Optional(PRINCIPAL),
            "self_service_namespace": Optional(BOOLEAN),
        },
    )


# The settings every spec shares; each spec adds or narrows its own.
SETTINGS = {
    "description": Optional(STRING),
    "resource_spec": Optional(RESOURCE_SPEC),
    "access_list": Optional(List(ACCESS)),
    "storage_specs": Optional(List(STORAGE_SPEC)),
    "vm_service_spec": Optional(VM_SERVICE_SPEC),
    "content_libraries": UNSET,
    "network_spec": UNSET,
    "edges": UNSET,
    "infrastructure_policies": UNSET,
}


def _create_spec(name: str, key: str, key_type) -> Struct:
    fields = {key: key_type, "namespace": NAMESPACE_ID} | SETTINGS
    del fields["network_spec"]
    return Body(name, fields | {"networks": UNSET, "creator": UNSET, "namespace_network": UNSET})


SUMMARY = _summary(f"{SERVICE}.summary", "cluster", CLUSTER_ID)
SUMMARY_V2 = _summary(f"{SERVICE}.summary_v2", "supervisor", SUPERVISOR_ID)
INFO = _info(f"{SERVICE}.info", "cluster", CLUSTER_ID)
INFO_V2 = _info(f"{SERVICE}.info_v2", "supervisor", SUPERVISOR_ID)
CREATE_SPEC = _create_spec(f"{SERVICE}.create_spec", "cluster", CLUSTER_ID)
CREATE_SPEC_V2 = _create_spec(f"{SERVICE}.create_spec_v2", "supervisor", SUPERVISOR_ID)
UPDATE_SPEC = Body(
    f"{SERVICE}.update_spec",
    SETTINGS | {"resource_spec": Optional(RESOURCE_SPEC_UPDATE), "zones": UNSET},
)
SET_SPEC = Body(f"{SERVICE}.set_spec", SETTINGS)

# The services' field names as the API names them, for field-level error messages; a prefix
# ending in a dot maps to a pattern taking the rest (`limit.gold` is `storage_specs[gold].limit`).
NAMESPACE_FIELDS = {
    "name": "namespace",
    "cpu_limit_mhz": "resource_spec.cpu_limit",
    "memory_limit_mib": "resource_spec.memory_limit",
    "storage_limit_mib": "resource_spec.storage_request_limit",
    "policies": "storage_specs",
    "limit.": "storage_specs[{}].limit",
    "vm_classes": "vm_service_spec.vm_classes",
    "content_libraries": "vm_service_spec.content_libraries",
    "subject_type": "access_list.subject_type",
    "subject": "access_list.subject",
    "role": "access_list.role",
}
ACCESS_FIELDS = {"subject_type": "type"}


def _api_field(name: str, fields: dict[str, str]) -> str:
    if name in fields:
        return fields[name]
    for prefix, renamed in fields.items():
        if prefix.endswith(".") and name.startswith(prefix):
            return renamed.format(name[len(prefix) :])
    return name


@contextmanager
def _api_fields(fields: dict[str, str]):
    """The services' field errors named as the spec names them."""
    try:
        yield
    except DomainError as error:
        if not error.fields:
            raise
        renamed = [replace(f, path=_api_field(f.path, fields)) for f in error.fields]
        raise DomainError(kind=error.kind, fields=renamed) from error


# ---------------------------------------------------------------- reads


def _summaries(call: Call, v2: bool) -> Rows:
    """Built in their REST form (which is also their value) straight from the selector's
    tuples: a list of hundreds is most of its time in per-row work."""
    key = "supervisor" if v2 else "cluster"
    return Rows(
        SUMMARY_V2 if v2 else SUMMARY,
        [
            {
                key: str(supervisor_id) if v2 else cluster,
                "namespace": name,
                "description": description,
                "config_status": config_status,
                "stats": {"cpu_used": cpu, "memory_used": memory, "storage_used": storage},
                "self_service_namespace": self_service,
            }
            for (
                name,
                description,
                config_status,
                supervisor_id,
                cluster,
                self_service,
                cpu,
                memory,
                storage,
            ) in api_selectors.namespace_summaries(call.user)
        ],
    )


def _get(call: Call, namespace: str, v2: bool) -> dict:
    ns = api_selectors.namespace_info(call.user, namespace)
    messages = []
    if ns.config_status == Namespace.ConfigStatus.ERROR and ns.task and ns.task.error:
        details = {"id": "com.vmware.wcp.namespace.error", "default_message": ns.task.error}
        messages.append({"severity": "ERROR", "details": {**details, "args": []}})
    domain, sep, subject = ns.creator.partition("\\")
    key = (
        {"supervisor": str(ns.supervisor.supervisor_id)}
        if v2
        else {"cluster": ns.supervisor.cluster.moid}
    )
    return key | {
        "config_status": ns.config_status,
        "messages": messages,
        "stats": {
            "cpu_used": ns.cpu_used_mhz or 0,
            "memory_used": ns.memory_used_mib or 0,
            "storage_used": ns.storage_used_mib or 0,
        },
        "description": ns.description,
        "resource_spec": {
            "cpu_limit": ns.cpu_limit_mhz,
            "memory_limit": ns.memory_limit_mib,
            "storage_request_limit": ns.storage_limit_mib,
        },
        "access_list": [
            {
                "subject_type": a.subject_type,
                "subject": a.subject,
                "domain": a.domain,
                "role": a.role,
            }
            for a in ns.access.all()
        ],
        "storage_specs": [
            {"policy": str(s.policy.policy_id), "limit": s.limit_mib} for s in ns.storage.all()
        ],
        "vm_service_spec": {
            "vm_classes": [c.name for c in ns.vm_classes.all()],
            "content_libraries": [str(lib.library_id) for lib in ns.content_libraries.all()],
        },
        "creator": {"subject": subject, "domain": domain.lower()} if sep else None,
        "self_service_namespace": ns.self_service,
    }


# ---------------------------------------------------------------- writes


def _given(spec: dict) -> dict:
    """A spec as namespace_specs reads it: the parts given (an unset optional is left out)."""
    found = {k: v for k, v in spec.items() if v is not None}
    if found.get("vm_service_spec") is not None:
        found["vm_service_spec"] = {
            k: v for k, v in found["vm_service_spec"].items() if v is not None
        }
    if found.get("resource_spec") is not None:
        found["resource_spec"] = {k: found["resource_spec"][k] for k in LIMITS}
    return found


def _limit_changes(quota: dict) -> dict:
    """ResourceQuotaOptionsV1Update as namespace_specs reads a quota: `x_unset: true` is the
    limit removed (None), `x` given is its new value, neither leaves it out (unchanged)."""
    changes = {}
    for name in LIMITS:
        if quota[f"{name}_unset"]:
            changes[name] = None
        elif quota[name] is not None:
            changes[name] = quota[name]
    return changes


def _create(call: Call, spec: dict, v2: bool) -> None:
    refuse_unset(spec, "spec", CREATE_SPEC_V2 if v2 else CREATE_SPEC)
    if v2:
        try:
            supervisor = api_selectors.supervisor_by_id(uuid.UUID(spec["supervisor"]))
        except ValueError:
            raise Http404(f"Supervisor {spec['supervisor'][:64]} was not found.") from None
    else:
        supervisor = api_selectors.supervisor_for_cluster(spec["cluster"])
    with _api_fields(NAMESPACE_FIELDS):
        namespace_specs.namespace_create_from_spec(
            supervisor=supervisor, spec=_given(spec), user=call.user
        )


# ---------------------------------------------------------------- Instances

# `instances/v2` is declared before `instances/{namespace}`: as in vCenter, it shadows a
# namespace named `v2`.


@operation(SERVICE, "list", output=List(SUMMARY), rest=[Rest("GET", PATH)])
def instances_list(call: Call) -> Rows:
    return _summaries(call, v2=False)


@operation(SERVICE, "list_v2", output=List(SUMMARY_V2), rest=[Rest("GET", f"{PATH}/v2")])
def instances_list_v2(call: Call) -> Rows:
    return _summaries(call, v2=True)


@operation(
    SERVICE,
    "create",
    params={"spec": CREATE_SPEC},
    rest=[Rest("POST", PATH, body="spec", status=204)],
)
def instances_create(call: Call, spec: dict) -> None:
    _create(call, spec, v2=False)


@operation(
    SERVICE,
    "create_v2",
    params={"spec": CREATE_SPEC_V2},
    rest=[Rest("POST", f"{PATH}/v2", body="spec", status=204)],
)
def instances_create_v2(call: Call, spec: dict) -> None:
    _create(call, spec, v2=True)


@operation(
    SERVICE,
    "get_v2",
    params={"namespace": NAMESPACE_ID},
    output=INFO_V2,
    rest=[Rest("GET", f"{PATH}/v2/{{namespace}}")],
)
def instances_get_v2(call: Call, namespace: str) -> dict:
    return _get(call, namespace, v2=True)


@operation(
    SERVICE,
    "get",
    params={"namespace": NAMESPACE_ID},
    output=INFO,
    rest=[Rest("GET", f"{PATH}/{{namespace}}")],
)
def instances_get(call: Call, namespace: str) -> dict:
    return _get(call, namespace, v2=False)


@operation(
    SERVICE,
    "update",
    params={"namespace": NAMESPACE_ID, "spec": UPDATE_SPEC},
    rest=[Rest("PATCH", f"{PATH}/{{namespace}}", body="spec", status=204)],
)
def instances_update(call: Call, namespace: str, spec: dict) -> None:
    ns = selectors.namespace_get(call.user, namespace)
    refuse_unset(spec, "spec", UPDATE_SPEC)
    given = _given(spec)
    if spec["resource_spec"] is not None:
        given["resource_spec"] = _limit_changes(spec["resource_spec"])
    with _api_fields(NAMESPACE_FIELDS):
        namespace_specs.namespace_update_from_spec(namespace=ns, spec=given, user=call.user)


@operation(
    SERVICE,
    "set",
    params={"namespace": NAMESPACE_ID, "spec": SET_SPEC},
    rest=[Rest("PUT", f"{PATH}/{{namespace}}", body="spec", status=204)],
)
def instances_set(call: Call, namespace: str, spec: dict) -> None:
    ns = selectors.namespace_get(call.user, namespace)
    refuse_unset(spec, "spec", SET_SPEC)
    with _api_fields(NAMESPACE_FIELDS):
        namespace_specs.namespace_set_from_spec(namespace=ns, spec=_given(spec), user=call.user)


@operation(
    SERVICE,
    "delete",
    params={"namespace": NAMESPACE_ID},
    rest=[Rest("DELETE", f"{PATH}/{{namespace}}", status=204)],
)
def instances_delete(call: Call, namespace: str) -> None:
    ns = selectors.namespace_get(call.user, namespace)
    services.namespace_delete(namespace=ns, user=call.user)


# ---------------------------------------------------------------- Access

ACCESS_PATH = f"{PATH}/{{namespace}}/access/{{domain}}/{{subject}}"
WHO = {"namespace": NAMESPACE_ID, "domain": STRING, "subject": STRING, "type": SUBJECT_TYPE}
ACCESS_INFO = Struct(
    f"{ACCESS_SERVICE}.info",
    {"role": ROLE, "identity_provider": UNSET, "inherited": Optional(BOOLEAN)},
)
ACCESS_CREATE_SPEC = Body(
    f"{ACCESS_SERVICE}.create_spec", {"role": ROLE, "identity_provider": UNSET}
)
ACCESS_SET_SPEC = Body(f"{ACCESS_SERVICE}.set_spec", {"role": ROLE, "identity_provider": UNSET})


def _who(call: Call, namespace: str, domain: str, subject: str, type: str) -> dict:
    ns = selectors.namespace_get(call.user, namespace)  # 404 without a role in it
    return {"namespace": ns, "subject_type": type, "domain": domain, "subject": subject}


def _grant(call: Call, spec: dict, grant, **who) -> None:
    """Access.create or set: `grant` (a service) gives the subject the spec's role."""
    refuse_unset(spec, "spec", ACCESS_SET_SPEC)  # the same fields as the CreateSpec's
    with _api_fields(ACCESS_FIELDS):
        grant(**_who(call, **who), role=spec["role"], user=call.user)


@operation(
    ACCESS_SERVICE,
    "get",
    params=WHO,
    output=ACCESS_INFO,
    rest=[Rest("GET", ACCESS_PATH, query=("type",))],
)
def access_get(call: Call, namespace: str, domain: str, subject: str, type: str) -> dict:
    entry = api_selectors.namespace_access_entry(**_who(call, namespace, domain, subject, type))
    return {"role": entry.role, "inherited": False}


@operation(
    ACCESS_SERVICE,
    "create",
    params=WHO | {"spec": ACCESS_CREATE_SPEC},
    rest=[Rest("POST", ACCESS_PATH, query=("type",), body="spec", status=204)],
)
def access_create(call: Call, spec: dict, **who) -> None:
    _grant(call, spec, services.namespace_access_add, **who)  # never overwrites an entry


@operation(
    ACCESS_SERVICE,
    "set",
    params=WHO | {"spec": ACCESS_SET_SPEC},
    rest=[Rest("PUT", ACCESS_PATH, query=("type",), body="spec", status=204)],
)
def access_set(call: Call, spec: dict, **who) -> None:
    _grant(call, spec, services.namespace_access_set, **who)


@operation(
    ACCESS_SERVICE,
    "delete",
    params=WHO,
    rest=[Rest("DELETE", ACCESS_PATH, query=("type",), status=204)],
)
def access_delete(call: Call, namespace: str, domain: str, subject: str, type: str) -> None:
    who = _who(call, namespace, domain, subject, type)
    entry = api_selectors.namespace_access_entry(**who)
    with _api_fields(ACCESS_FIELDS):
        services.namespace_access_remove(
            namespace=who["namespace"], entry_id=entry.pk, user=call.user
        )
