"""`com.vmware.vcenter.namespaces.namespace_self_service` (activate, activate_with_template,
deactivate, get, list) and `com.vmware.vcenter.namespaces.namespace_templates` (create, get,
list, update and their `_v2` forms keyed by the Supervisor), over JSON-RPC and REST from one
declaration, routes as the SDK's rest_metadata gives them. The rules are the services'
(workloads.services.self_service): Namespaces.SelfServiceManage to change anything, System.Read
to look. A Supervisor has one template, as in vSphere 8."""

from __future__ import annotations

import uuid

from django.http import Http404

from inventory.permissions import Privilege, require
from vapi.bindings import STRING, Enum, Id, List, Optional, Rows, Struct
from vapi.namespace_management import CLUSTER_ID, SUPERVISOR_ID, UNSET, refuse_unset
from vapi.namespaces import MESSAGE, RESOURCE_SPEC, STORAGE_SPEC, SUBJECT_TYPE, VM_SERVICE_SPEC
from vapi.operations import Call, Rest, operation
from vapi.vm_classes import Body, Given
from workloads import services
from workloads.models import NamespaceSelfService, Supervisor
from workloads.selectors import api as api_selectors

NS = "com.vmware.vcenter.namespaces"
SERVICE = f"{NS}.namespace_self_service"
TEMPLATES = f"{NS}.namespace_templates"
TEMPLATE_ID = Id(f"{NS}.NamespaceTemplate")
PATH = "/api/vcenter/namespaces/namespace-self-service"
TEMPLATES_PATH = "/api/vcenter/namespaces/namespace-templates"

STATUS = Enum(f"{SERVICE}.status", tuple(NamespaceSelfService.Status.values))
CAPABILITY = Enum(f"{SERVICE}.capability", ("UNKNOWN", "SUPPORTED", "NOTSUPPORTED"))
SUMMARY = Struct(
    f"{SERVICE}.summary", {"cluster": CLUSTER_ID, "capability": CAPABILITY, "status": STATUS}
)
INFO = Struct(
    f"{SERVICE}.info",
    {"cluster": CLUSTER_ID, "capability": CAPABILITY, "status": STATUS, "messages": List(MESSAGE)},
)
SUBJECT = Struct(
    f"{TEMPLATES}.subject", {"subject_type": SUBJECT_TYPE, "subject": STRING, "domain": STRING}
)
# What every template structure holds; `networks` and `content_libraries` (writable libraries,
# 8.0U2) have no counterpart here and are refused when given.
SETTINGS = {
    "resource_spec": Optional(RESOURCE_SPEC),
    "storage_specs": List(STORAGE_SPEC),
    "networks": UNSET,
    "permissions": Optional(List(SUBJECT)),
    "vm_service_spec": Optional(VM_SERVICE_SPEC),
    "content_libraries": UNSET,
}
ACTIVATE_TEMPLATE_SPEC = Body(
    f"{SERVICE}.activate_template_spec",
    {"template": TEMPLATE_ID}
    | SETTINGS
    | {"resource_spec": RESOURCE_SPEC, "permissions": List(SUBJECT)},
)


def _info(name: str, key: str, key_type) -> Struct:
    return Struct(name, {key: key_type, "template": TEMPLATE_ID} | SETTINGS)


TEMPLATE_INFO = _info(f"{TEMPLATES}.info", "cluster", CLUSTER_ID)
TEMPLATE_INFO_V2 = _info(f"{TEMPLATES}.info_v2", "supervisor", SUPERVISOR_ID)
TEMPLATE_SUMMARY = Struct(f"{TEMPLATES}.summary", {"cluster": CLUSTER_ID, "template": TEMPLATE_ID})
TEMPLATE_SUMMARY_V2 = Struct(
    f"{TEMPLATES}.summary_v2", {"supervisor": SUPERVISOR_ID, "template": TEMPLATE_ID}
)
CREATE_SPEC = Body(
    f"{TEMPLATES}.create_spec",
    {"template": TEMPLATE_ID} | SETTINGS | {"resource_spec": RESOURCE_SPEC},
)
UPDATE_SPEC = Given(
    f"{TEMPLATES}.update_spec", SETTINGS | {"storage_specs": Optional(List(STORAGE_SPEC))}
)

# The services' field names are the spec's own (`permissions[0].subject`).
LIMIT_KEYS = ("cpu_limit", "memory_limit", "storage_request_limit")


def _given(spec: dict) -> dict:
    """A template spec as the services read it: the parts given, the simulated limits only."""
    found = {k: v for k, v in spec.items() if v is not None and k != "template"}
    if "resource_spec" in found:
        found["resource_spec"] = {k: found["resource_spec"].get(k) for k in LIMIT_KEYS}
    if "vm_service_spec" in found:
        found["vm_service_spec"] = {
            k: v for k, v in found["vm_service_spec"].items() if v is not None
        }
    return found


def _supervisor(key: str, value: str) -> Supervisor:
    if key == "cluster":
        return api_selectors.supervisor_for_cluster(value)
    try:
        return api_selectors.supervisor_by_id(uuid.UUID(value))
    except ValueError:
        raise Http404(f"Supervisor {value[:64]} was not found.") from None


def _template(sup: Supervisor, name: str) -> NamespaceSelfService:
    found = api_selectors.namespace_template(sup)
    if found is None or found.template != name:
        raise Http404(f"Namespace template {name[:64]} was not found.")
    return found


def _template_info(template: NamespaceSelfService, key: str) -> dict:
    sup = template.supervisor
    return {
        key: sup.cluster.moid if key == "cluster" else str(sup.supervisor_id),
        "template": template.template,
        "resource_spec": {
            "cpu_limit": template.cpu_limit_mhz,
            "memory_limit": template.memory_limit_mib,
            "storage_request_limit": template.storage_limit_mib,
        },
        "storage_specs": template.storage_specs,
        "permissions": template.permissions,
        "vm_service_spec": {
            "vm_classes": [c.name for c in template.vm_classes.all()],
            "content_libraries": [str(lib.library_id) for lib in template.content_libraries.all()],
        },
    }


def _status(sup: Supervisor, template: NamespaceSelfService | None) -> dict:
    return {
        "cluster": sup.cluster.moid,
        "capability": "SUPPORTED",
        "status": template.status if template else NamespaceSelfService.Status.DEACTIVATED,
    }


# ---------------------------------------------------------------- NamespaceSelfService


@operation(SERVICE, "list", output=List(SUMMARY), rest=[Rest("GET", PATH)])
def self_service_list(call: Call) -> Rows:
    require(call.user, Privilege.VIEW)
    return Rows(SUMMARY, [_status(s, t) for s, t in api_selectors.namespace_services()])


@operation(
    SERVICE,
    "get",
    params={"cluster": CLUSTER_ID},
    output=INFO,
    rest=[Rest("GET", f"{PATH}/{{cluster}}")],
)
def self_service_get(call: Call, cluster: str) -> dict:
    require(call.user, Privilege.VIEW)
    sup = _supervisor("cluster", cluster)
    template = api_selectors.namespace_template(sup)
    messages = []
    if template and template.status == NamespaceSelfService.Status.ERROR and template.task:
        details = {"id": "com.vmware.wcp.namespace_service.error", "args": []}
        details["default_message"] = template.task.error
        messages.append({"severity": "ERROR", "details": details})
    return _status(sup, template) | {"messages": messages}


@operation(
    SERVICE,
    "activate",
    params={"cluster": CLUSTER_ID},
    rest=[Rest("POST", f"{PATH}/{{cluster}}", action="activate", status=204)],
)
def self_service_activate(call: Call, cluster: str) -> None:
    sup = _supervisor("cluster", cluster)
    services.namespace_self_service_activate(supervisor=sup, user=call.user)


@operation(
    SERVICE,
    "activate_with_template",
    params={"cluster": CLUSTER_ID, "spec": ACTIVATE_TEMPLATE_SPEC},
    rest=[
        Rest(
            "POST",
            f"{PATH}/{{cluster}}",
            action="activateWithTemplate",
            body="spec",
            status=204,
        )
    ],
)
def self_service_activate_with_template(call: Call, cluster: str, spec: dict) -> None:
    sup = _supervisor("cluster", cluster)
    refuse_unset(spec, "spec", ACTIVATE_TEMPLATE_SPEC)
    services.namespace_self_service_activate(
        supervisor=sup, user=call.user, template=spec["template"], spec=_given(spec)
    )


@operation(
    SERVICE,
    "deactivate",
    params={"cluster": CLUSTER_ID},
    rest=[Rest("POST", f"{PATH}/{{cluster}}", action="deactivate", status=204)],
)
def self_service_deactivate(call: Call, cluster: str) -> None:
    sup = _supervisor("cluster", cluster)
    services.namespace_self_service_deactivate(supervisor=sup, user=call.user)


# ---------------------------------------------------------------- NamespaceTemplates


def _templates(call: Call, key: str, value: str) -> list[NamespaceSelfService]:
    require(call.user, Privilege.VIEW)
    template = api_selectors.namespace_template(_supervisor(key, value))
    return [template] if template else []


def _create(call: Call, key: str, value: str, spec: dict) -> None:
    sup = _supervisor(key, value)
    refuse_unset(spec, "spec", CREATE_SPEC)
    services.namespace_template_create(
        supervisor=sup, name=spec["template"], spec=_given(spec), user=call.user
    )


def _update(call: Call, key: str, value: str, template: str, spec: dict) -> None:
    sup = _supervisor(key, value)
    refuse_unset(spec, "spec", UPDATE_SPEC)
    services.namespace_template_update(
        supervisor=sup, name=template, spec=_given(spec), user=call.user
    )


BY_CLUSTER = f"{TEMPLATES_PATH}/clusters/{{cluster}}"
BY_SUPERVISOR = f"{TEMPLATES_PATH}/supervisors/{{supervisor}}"


@operation(
    TEMPLATES,
    "list",
    params={"cluster": CLUSTER_ID},
    output=List(TEMPLATE_SUMMARY),
    rest=[Rest("GET", BY_CLUSTER)],
)
def templates_list(call: Call, cluster: str) -> list[dict]:
    return [
        {"cluster": cluster, "template": t.template} for t in _templates(call, "cluster", cluster)
    ]


@operation(
    TEMPLATES,
    "list_v2",
    params={"supervisor": SUPERVISOR_ID},
    output=List(TEMPLATE_SUMMARY_V2),
    rest=[Rest("GET", BY_SUPERVISOR)],
)
def templates_list_v2(call: Call, supervisor: str) -> list[dict]:
    return [
        {"supervisor": str(t.supervisor.supervisor_id), "template": t.template}
        for t in _templates(call, "supervisor", supervisor)
    ]


@operation(
    TEMPLATES,
    "get",
    params={"cluster": CLUSTER_ID, "template": TEMPLATE_ID},
    output=TEMPLATE_INFO,
    rest=[Rest("GET", f"{BY_CLUSTER}/templates/{{template}}")],
)
def templates_get(call: Call, cluster: str, template: str) -> dict:
    require(call.user, Privilege.VIEW)
    return _template_info(_template(_supervisor("cluster", cluster), template), "cluster")


@operation(
    TEMPLATES,
    "get_v2",
    params={"supervisor": SUPERVISOR_ID, "template": TEMPLATE_ID},
    output=TEMPLATE_INFO_V2,
    rest=[Rest("GET", f"{BY_SUPERVISOR}/templates/{{template}}")],
)
def templates_get_v2(call: Call, supervisor: str, template: str) -> dict:
    require(call.user, Privilege.VIEW)
    return _template_info(_template(_supervisor("supervisor", supervisor), template), "supervisor")


@operation(
    TEMPLATES,
    "create",
    params={"cluster": CLUSTER_ID, "spec": CREATE_SPEC},
    rest=[Rest("POST", BY_CLUSTER, body="spec", status=204)],
)
def templates_create(call: Call, cluster: str, spec: dict) -> None:
    _create(call, "cluster", cluster, spec)


@operation(
    TEMPLATES,
    "create_v2",
    params={"supervisor": SUPERVISOR_ID, "spec": CREATE_SPEC},
    rest=[Rest("POST", BY_SUPERVISOR, body="spec", status=204)],
)
def templates_create_v2(call: Call, supervisor: str, spec: dict) -> None:
    _create(call, "supervisor", supervisor, spec)


@operation(
    TEMPLATES,
    "update",
    params={"cluster": CLUSTER_ID, "template": TEMPLATE_ID, "spec": UPDATE_SPEC},
    rest=[Rest("PATCH", f"{BY_CLUSTER}/templates/{{template}}", body="spec", status=204)],
)
def templates_update(call: Call, cluster: str, template: str, spec: dict) -> None:
    _update(call, "cluster", cluster, template, spec)


@operation(
    TEMPLATES,
    "update_v2",
    params={"supervisor": SUPERVISOR_ID, "template": TEMPLATE_ID, "spec": UPDATE_SPEC},
    rest=[Rest("PATCH", f"{BY_SUPERVISOR}/templates/{{template}}", body="spec", status=204)],
)
def templates_update_v2(call: Call, supervisor: str, template: str, spec: dict) -> None:
    _update(call, "supervisor", supervisor, template, spec)
