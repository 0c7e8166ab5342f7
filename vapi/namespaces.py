"""`com.vmware.vcenter.namespaces.instances`: vSphere Namespaces over vAPI JSON-RPC (list, get,
create, delete and their `_v2` forms keyed by the Supervisor). The REST form of these paths is
still DRF's (workloads.api), so no route is declared here; both call the same selectors
(workloads.selectors.api) and `apply.namespace_create_from_spec`, with the same permissions
(Namespaces.Manage to create, Owner to delete, a role in the namespace to see it)."""

from __future__ import annotations

import uuid

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
    Set,
    Struct,
)
from vapi.namespace_management import CLUSTER_ID, POLICY_ID, SUPERVISOR_ID, UNSET, refuse_unset
from vapi.operations import Call, operation
from workloads import selectors, services
from workloads.api import apply
from workloads.models import Namespace
from workloads.selectors import api as api_selectors

SERVICE = "com.vmware.vcenter.namespaces.instances"
NS = "com.vmware.vcenter.namespaces"
NAMESPACE_ID = Id(f"{NS}.Instance")

CONFIG_STATUS = Enum(f"{SERVICE}.config_status", ("CONFIGURING", "REMOVING", "RUNNING", "ERROR"))
STATS = Struct(
    f"{SERVICE}.stats", {"cpu_used": INTEGER, "memory_used": INTEGER, "storage_used": INTEGER}
)
# Instances.Info/CreateSpec declare `resource_spec` a dynamic structure; vCenter reads it as
# ResourceQuotaOptionsV1 (the limits simulated here).
RESOURCE_SPEC = Struct(
    f"{NS}.resource_quota_options_v1",
    {
        "cpu_limit": Optional(INTEGER),
        "memory_limit": Optional(INTEGER),
        "storage_request_limit": Optional(INTEGER),
    },
)
ACCESS = Struct(
    f"{SERVICE}.access",
    {
        "subject_type": Enum(f"{NS}.access.subject_type", ("USER", "GROUP")),
        "subject": STRING,
        "domain": STRING,
        "role": Enum(f"{NS}.access.role", ("OWNER", "EDIT", "VIEW")),
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


def _create_spec(name: str, key: str, key_type) -> Struct:
    return Struct(
        name,
        {
            key: key_type,
            "namespace": NAMESPACE_ID,
            "description": Optional(STRING),
            "resource_spec": Optional(RESOURCE_SPEC),
            "access_list": Optional(List(ACCESS)),
            "storage_specs": Optional(List(STORAGE_SPEC)),
            "networks": UNSET,
            "vm_service_spec": Optional(VM_SERVICE_SPEC),
            "content_libraries": UNSET,
            "creator": UNSET,
            "namespace_network": UNSET,
            "edges": UNSET,
            "infrastructure_policies": UNSET,
        },
    )


SUMMARY = _summary(f"{SERVICE}.summary", "cluster", CLUSTER_ID)
SUMMARY_V2 = _summary(f"{SERVICE}.summary_v2", "supervisor", SUPERVISOR_ID)
INFO = _info(f"{SERVICE}.info", "cluster", CLUSTER_ID)
INFO_V2 = _info(f"{SERVICE}.info_v2", "supervisor", SUPERVISOR_ID)
CREATE_SPEC = _create_spec(f"{SERVICE}.create_spec", "cluster", CLUSTER_ID)
CREATE_SPEC_V2 = _create_spec(f"{SERVICE}.create_spec_v2", "supervisor", SUPERVISOR_ID)


def _key(ns: Namespace, v2: bool) -> dict:
    if v2:
        return {"supervisor": str(ns.supervisor.supervisor_id)}
    return {"cluster": ns.supervisor.cluster.moid}


def stats_struct(ns: Namespace) -> dict:
    return {
        "cpu_used": ns.cpu_used_mhz or 0,
        "memory_used": ns.memory_used_mib or 0,
        "storage_used": ns.storage_used_mib or 0,
    }


def _summaries(call: Call, v2: bool) -> list[dict]:
    return [
        {
            **_key(ns, v2),
            "namespace": ns.name,
            "description": ns.description,
            "config_status": ns.config_status,
            "stats": stats_struct(ns),
            "self_service_namespace": False,
        }
        for ns in api_selectors.namespace_summaries(call.user)
    ]


def _get(call: Call, namespace: str, v2: bool) -> dict:
    ns = api_selectors.namespace_info(call.user, namespace)
    messages = []
    if ns.config_status == Namespace.ConfigStatus.ERROR and ns.task and ns.task.error:
        details = {"id": "com.vmware.wcp.namespace.error", "default_message": ns.task.error}
        messages.append({"severity": "ERROR", "details": {**details, "args": []}})
    domain, sep, subject = ns.creator.partition("\\")
    return {
        **_key(ns, v2),
        "config_status": ns.config_status,
        "messages": messages,
        "stats": stats_struct(ns),
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
        "self_service_namespace": False,
    }


def _apply_spec(spec: dict) -> dict:
    """The CreateSpec as apply.namespace_create_from_spec reads it (what DRF's serializer
    hands it): parts not given left out."""
    found = {k: v for k, v in spec.items() if v is not None}
    vm_service = found.get("vm_service_spec")
    if vm_service is not None:
        found["vm_service_spec"] = {k: v for k, v in vm_service.items() if v is not None}
    return found


def _create(call: Call, spec: dict, v2: bool) -> None:
    refuse_unset(spec, "spec", CREATE_SPEC_V2 if v2 else CREATE_SPEC)
    if v2:
        try:
            supervisor = api_selectors.supervisor_by_id(uuid.UUID(spec["supervisor"]))
        except ValueError:
            raise Http404(f"Supervisor {spec['supervisor'][:64]} was not found.") from None
    else:
        supervisor = api_selectors.supervisor_for_cluster(spec["cluster"])
    apply.namespace_create_from_spec(supervisor=supervisor, spec=_apply_spec(spec), user=call.user)


def _delete(call: Call, namespace: str) -> None:
    ns = selectors.namespace_get(call.user, namespace)
    services.namespace_delete(namespace=ns, user=call.user)


@operation(SERVICE, "list", output=List(SUMMARY))
def instances_list(call: Call) -> list[dict]:
    return _summaries(call, v2=False)


@operation(SERVICE, "list_v2", output=List(SUMMARY_V2))
def instances_list_v2(call: Call) -> list[dict]:
    return _summaries(call, v2=True)


@operation(SERVICE, "get", params={"namespace": NAMESPACE_ID}, output=INFO)
def instances_get(call: Call, namespace: str) -> dict:
    return _get(call, namespace, v2=False)


@operation(SERVICE, "get_v2", params={"namespace": NAMESPACE_ID}, output=INFO_V2)
def instances_get_v2(call: Call, namespace: str) -> dict:
    return _get(call, namespace, v2=True)


@operation(SERVICE, "create", params={"spec": CREATE_SPEC})
def instances_create(call: Call, spec: dict) -> None:
    _create(call, spec, v2=False)


@operation(SERVICE, "create_v2", params={"spec": CREATE_SPEC_V2})
def instances_create_v2(call: Call, spec: dict) -> None:
    _create(call, spec, v2=True)


@operation(SERVICE, "delete", params={"namespace": NAMESPACE_ID})
def instances_delete(call: Call, namespace: str) -> None:
    _delete(call, namespace)
