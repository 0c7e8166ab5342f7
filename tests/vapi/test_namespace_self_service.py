# ruff: noqa: F811  (the fixtures imported below are parameters of the tests)
"""Namespace self-service over the Automation API: NamespaceSelfService and NamespaceTemplates
at /api/vcenter/namespaces/namespace-self-service and .../namespace-templates (REST, as the
SDK's rest_metadata routes them) and over JSON-RPC, the same services as the pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory.models import StoragePolicy, Task
from tests.conftest import PASSWORD
from tests.vapi.test_namespace_management import Api, as_admin  # noqa: F401  (fixture)
from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    cluster,
    namespace,
    raw_spec,
    supervisor,
    viewer,
)
from workloads import reconcilers, services
from workloads.models import NamespaceSelfService

pytestmark = pytest.mark.django_db

SELF_SERVICE = "com.vmware.vcenter.namespaces.namespace_self_service"
TEMPLATES = "com.vmware.vcenter.namespaces.namespace_templates"
PATH = "/api/vcenter/namespaces/namespace-self-service"
TEMPLATES_PATH = "/api/vcenter/namespaces/namespace-templates"


def settle() -> None:
    for pk in NamespaceSelfService.objects.values_list("pk", flat=True):
        while reconcilers.self_service_reconcile(pk) is not None:
            pass


def policy_id(supervisor) -> str:
    policy = (
        StoragePolicy.objects.filter(datastores__hosts__cluster=supervisor.cluster)
        .distinct()
        .order_by("name")
        .first()
    )
    return str(policy.policy_id)


def template_body(supervisor, name: str = "dev-template") -> dict:
    return {
        "template": name,
        "resource_spec": {"cpu_limit": 3000, "memory_limit": 4096},
        "storage_specs": [{"policy": policy_id(supervisor), "limit": 10240}],
        "permissions": [
            {"subject_type": "GROUP", "subject": "Developers", "domain": "vsphere.local"}
        ],
        "vm_service_spec": {"vm_classes": ["best-effort-small"], "content_libraries": []},
    }


@pytest.fixture
def developers(db):
    return Group.objects.create(name="Developers")


def test_rest_activate_with_template_then_get_list_and_template(as_admin, supervisor, developers):
    moid = supervisor.cluster.moid
    answer = as_admin.rest("GET", f"{PATH}/{moid}")
    assert answer.json() == {
        "cluster": moid,
        "capability": "SUPPORTED",
        "status": "DEACTIVATED",
        "messages": [],
    }
    answer = as_admin.rest(
        "POST", f"{PATH}/{moid}?action=activateWithTemplate", template_body(supervisor)
    )
    assert answer.status_code == 204, answer.content
    assert as_admin.rest("GET", f"{PATH}/{moid}").json()["status"] == "CONFIGURING"
    settle()
    assert as_admin.rest("GET", PATH).json() == [
        {"cluster": moid, "capability": "SUPPORTED", "status": "RUNNING"}
    ]
    assert Task.objects.filter(name="Activate namespace self-service", state="success").exists()
    assert as_admin.rest("GET", f"{TEMPLATES_PATH}/clusters/{moid}").json() == [
        {"cluster": moid, "template": "dev-template"}
    ]
    info = as_admin.rest("GET", f"{TEMPLATES_PATH}/clusters/{moid}/templates/dev-template").json()
    assert info["resource_spec"] == {"cpu_limit": 3000, "memory_limit": 4096}
    assert info["storage_specs"] == [{"policy": policy_id(supervisor), "limit": 10240}]
    assert info["permissions"] == [
        {"subject_type": "GROUP", "subject": "Developers", "domain": "vsphere.local"}
    ]
    assert info["vm_service_spec"]["vm_classes"] == ["best-effort-small"]
    v2 = f"{TEMPLATES_PATH}/supervisors/{supervisor.supervisor_id}/templates/dev-template"
    assert as_admin.rest("GET", v2).json()["supervisor"] == str(supervisor.supervisor_id)


def test_rest_errors_as_vcenter_answers_them(as_admin, client, viewer, supervisor, developers):
    moid = supervisor.cluster.moid
    answer = as_admin.rest("POST", f"{PATH}/{moid}?action=activate")
    assert (answer.status_code, answer.json()["error_type"]) == (404, "NOT_FOUND")
    answer = as_admin.rest("POST", f"{PATH}/{moid}?action=deactivate")
    assert (answer.status_code, answer.json()["error_type"]) == (
        400,
        "NOT_ALLOWED_IN_CURRENT_STATE",
    )
    answer = as_admin.rest("POST", f"{PATH}/domain-c999999?action=activate")
    assert (answer.status_code, answer.json()["error_type"]) == (404, "NOT_FOUND")
    bad = template_body(supervisor) | {"resource_spec": {"cpu_limit": -5}}
    answer = as_admin.rest("POST", f"{TEMPLATES_PATH}/clusters/{moid}", bad)
    assert (answer.status_code, answer.json()["error_type"]) == (400, "INVALID_ARGUMENT")
    assert "resource_spec.cpu_limit" in answer.json()["messages"][0]["default_message"]
    networks = template_body(supervisor) | {"networks": ["network-1"]}
    answer = as_admin.rest("POST", f"{TEMPLATES_PATH}/clusters/{moid}", networks)
    assert answer.json()["error_type"] == "UNSUPPORTED"
    assert not NamespaceSelfService.objects.exists()

    developer = Api(client, viewer)
    answer = developer.rest(
        "POST", f"{PATH}/{moid}?action=activateWithTemplate", template_body(supervisor)
    )
    assert (answer.status_code, answer.json()["error_type"]) == (403, "UNAUTHORIZED")
    assert developer.rest("GET", PATH).status_code == 403


def test_templates_create_update_and_activate_over_json_rpc(as_admin, supervisor, developers):
    moid = supervisor.cluster.moid
    spec = template_body(supervisor)
    spec |= {"networks": None, "content_libraries": None}
    spec["vm_service_spec"] = {"vm_classes": ["best-effort-small"], "content_libraries": None}
    _, error = as_admin.rpc(TEMPLATES, "create", cluster=moid, spec=spec)
    assert error is None
    _, error = as_admin.rpc(TEMPLATES, "create", cluster=moid, spec=spec | {"template": "two"})
    assert error[0] == "ALREADY_EXISTS"
    update = {
        "resource_spec": {"cpu_limit": 1000},
        "storage_specs": None,
        "networks": None,
        "permissions": None,
        "vm_service_spec": None,
        "content_libraries": None,
    }
    _, error = as_admin.rpc(TEMPLATES, "update", cluster=moid, template="dev-template", spec=update)
    assert error is None
    output, _ = as_admin.rpc(TEMPLATES, "get", cluster=moid, template="dev-template")
    assert output["resource_spec"]["cpu_limit"] == 1000
    assert output["storage_specs"] == [{"policy": policy_id(supervisor), "limit": 10240}]
    _, error = as_admin.rpc(SELF_SERVICE, "activate", cluster=moid)
    assert error is None
    settle()
    output, _ = as_admin.rpc(SELF_SERVICE, "get", cluster=moid)
    assert (output["status"], output["capability"]) == ("RUNNING", "SUPPORTED")
    _, error = as_admin.rpc(SELF_SERVICE, "activate", cluster=moid)
    assert error[0] == "ALREADY_EXISTS"
    _, error = as_admin.rpc(SELF_SERVICE, "deactivate", cluster=moid)
    assert error is None
    settle()
    output, _ = as_admin.rpc(SELF_SERVICE, "list")
    assert [s["status"] for s in output] == ["DEACTIVATED"]
    output, _ = as_admin.rpc(TEMPLATES, "list_v2", supervisor=str(supervisor.supervisor_id))
    assert output == [{"supervisor": str(supervisor.supervisor_id), "template": "dev-template"}]


def test_a_developers_namespace_is_flagged_self_service(
    as_admin, client, supervisor, developers, namespace
):
    moid = supervisor.cluster.moid
    as_admin.rest("POST", f"{PATH}/{moid}?action=activateWithTemplate", template_body(supervisor))
    settle()
    dana = get_user_model().objects.create_user("dana@vsphere.local", password=PASSWORD)
    dana.groups.add(developers)
    services.namespace_self_service_create(name="dana-ns", user=dana)
    rows = as_admin.rest("GET", "/api/vcenter/namespaces/instances").json()
    assert {r["namespace"]: r["self_service_namespace"] for r in rows} == {
        "dana-ns": True,
        namespace.name: False,
    }
    info = Api(client, dana).rest("GET", "/api/vcenter/namespaces/instances/dana-ns").json()
    assert info["self_service_namespace"] is True
    assert info["creator"] == {"subject": "dana", "domain": "vsphere.local"}
    assert info["access_list"] == [
        {"subject_type": "USER", "subject": "dana", "domain": "vsphere.local", "role": "OWNER"}
    ]
    assert info["resource_spec"] == {"cpu_limit": 3000, "memory_limit": 4096}


@pytest.mark.parametrize(
    "change",
    [
        {"template": "x" * 5000},
        {"template": "Bad_Name"},
        {"resource_spec": {"cpu_limit": 2**70}},
        {"storage_specs": "gold"},
        {"storage_specs": [{"policy": "p" * 5000}]},
        {"permissions": [{"subject_type": "ROBOT", "subject": "r2", "domain": "vsphere.local"}]},
        {"permissions": [{"subject_type": "USER", "subject": "a" * 5000, "domain": "x" * 500}]},
        {"vm_service_spec": {"vm_classes": ["c" * 5000]}},
    ],
)
def test_hostile_templates_are_a_clear_400_and_change_nothing(
    as_admin, supervisor, developers, change
):
    moid = supervisor.cluster.moid
    answer = as_admin.rest(
        "POST", f"{PATH}/{moid}?action=activateWithTemplate", template_body(supervisor) | change
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["error_type"] == "INVALID_ARGUMENT"
    assert len(answer.json()["messages"][0]["default_message"]) < 1000
    assert not NamespaceSelfService.objects.exists()
