# ruff: noqa: F811  (the fixtures imported below are parameters of the tests)
"""vSphere Namespaces' update (PATCH, UpdateSpec), set (PUT, SetSpec) and access entries, over
REST and over JSON-RPC with input encoded by the SDK 9.1.1 bindings' own converter (as
`Instances(config).update(...)` sends it), and `/api/session` served by com.vmware.cis.session."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import NS, basic
from tests.vapi.conftest import error, vapi_error
from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    cluster,
    editor,
    namespace,
    raw_spec,
    storage_class,
    supervisor,
    viewer,
)
from workloads.models import Namespace, NamespaceAccess

converter = pytest.importorskip("vmware.vapi.bindings.converter")
from com.vmware.vcenter.namespaces_client import (  # noqa: E402
    Access,
    Instances,
    ResourceQuotaOptionsV1,
    ResourceQuotaOptionsV1Update,
)
from vmware.vapi.data.serializers.jsonrpc import VAPIJsonEncoder  # noqa: E402

pytestmark = pytest.mark.django_db

INSTANCES = "com.vmware.vcenter.namespaces.instances"
ACCESS = "com.vmware.vcenter.namespaces.access"


def sdk(value, binding) -> dict:
    """`value` (an SDK structure) as the SDK puts it on the JSON-RPC wire."""
    data = converter.TypeConverter.convert_to_vapi(value, binding.get_binding_type())
    return json.loads(VAPIJsonEncoder().encode(data))


def send(admin_api, method: str, body: dict):
    """A REST write of `body` (JSON) to team-a with the caller's session."""
    return getattr(admin_api.client, method)(
        f"{NS}/team-a",
        body,
        content_type="application/json",
        HTTP_VMWARE_API_SESSION_ID=admin_api.token,
    )


def first_message(fields: dict) -> str:
    """The text of a JSON-RPC error's first message."""
    return fields["messages"][0]["STRUCTURE"]["com.vmware.vapi.std.localizable_message"][
        "default_message"
    ]


def limits(ns: Namespace) -> tuple:
    ns.refresh_from_db()
    return ns.cpu_limit_mhz, ns.memory_limit_mib, ns.storage_limit_mib


@pytest.fixture
def limited(namespace, editor) -> Namespace:
    """team-a with two limits, a description, and eddie (EDIT) on its access list."""
    namespace.cpu_limit_mhz, namespace.memory_limit_mib = 4000, 8192
    namespace.description = "Payments"
    namespace.save()
    return namespace


# ---------------------------------------------------------------- update: only what is sent


def test_an_update_changes_only_what_it_sends(admin_api, limited):
    response = send(admin_api, "patch", {"resource_spec": {"cpu_limit": 5000}})
    assert response.status_code == 204, response.content
    assert limits(limited) == (5000, 8192, None)
    assert limited.description == "Payments"
    assert NamespaceAccess.objects.get(namespace=limited, subject="eddie").role == "EDIT"


def test_an_update_over_json_rpc_as_the_sdk_encodes_it(admin_api, limited):
    """The SDK sends every field of UpdateSpec and of ResourceQuotaOptionsV1Update (the
    dynamic structure), unset ones as null: null is unchanged, `memory_limit_unset` removes."""
    spec = Instances.UpdateSpec(
        resource_spec=ResourceQuotaOptionsV1Update(cpu_limit=6000, memory_limit_unset=True)
    )
    result = admin_api.invoke(
        INSTANCES, "update", namespace="team-a", spec=sdk(spec, Instances.UpdateSpec)
    )
    assert result == {"output": None}
    assert limits(limited) == (6000, None, None)
    assert limited.description == "Payments"


def test_unset_wins_over_a_value_sent_beside_it(admin_api, limited):
    body = {"resource_spec": {"cpu_limit": 7000, "cpu_limit_unset": True}}
    response = send(admin_api, "patch", body)
    assert response.status_code == 204
    assert limits(limited) == (None, 8192, None)  # vCenter: the value is ignored when unset


def test_a_limit_not_simulated_is_refused_by_name(admin_api, limited):
    response = send(admin_api, "patch", {"resource_spec": {"pod_count": 10}})
    assert response.status_code == 400
    error_type, (message,) = error(response)
    assert error_type == "UNSUPPORTED" and "pod_count" in message
    assert limits(limited) == (4000, 8192, None)


# ---------------------------------------------------------------- set: the whole spec


def test_a_set_replaces_everything_and_clears_what_it_leaves_out(admin_api, limited):
    body = {
        "resource_spec": {"memory_limit": 1024},
        "access_list": [
            {"subject_type": "USER", "subject": "eddie", "domain": "vsphere.local", "role": "VIEW"}
        ],
    }
    response = send(admin_api, "put", body)
    assert response.status_code == 204, response.content
    assert limits(limited) == (None, 1024, None)
    assert limited.description == ""  # SetSpec: an unset description is cleared
    rows = NamespaceAccess.objects.filter(namespace=limited)
    assert [(a.subject, a.role) for a in rows] == [("eddie", "VIEW")]


def test_a_set_over_json_rpc_as_the_sdk_encodes_it(admin_api, limited):
    spec = Instances.SetSpec(
        description="Ledger",
        resource_spec=ResourceQuotaOptionsV1(cpu_limit=3000),
        access_list=[
            Instances.Access(
                subject_type=Access.SubjectType.USER,
                subject="eddie",
                domain="vsphere.local",
                role=Access.Role.OWNER,
            )
        ],
    )
    result = admin_api.invoke(
        INSTANCES, "set", namespace="team-a", spec=sdk(spec, Instances.SetSpec)
    )
    assert result == {"output": None}
    assert limits(limited) == (3000, None, None)
    assert limited.description == "Ledger"
    rows = NamespaceAccess.objects.filter(namespace=limited)
    assert [(a.subject, a.role) for a in rows] == [("eddie", "OWNER")]


def test_a_refused_set_changes_nothing(admin_api, limited):
    body = {"description": "x", "vm_service_spec": {"vm_classes": ["no-such-class"]}}
    response = send(admin_api, "put", body)
    assert response.status_code == 400
    assert error(response)[1][0].startswith("vm_service_spec.vm_classes:")
    assert limits(limited) == (4000, 8192, None) and limited.description == "Payments"


def test_vcenter_has_no_update_or_delete_at_v2(admin_api, namespace):
    for method in ("patch", "put", "delete"):
        response = getattr(admin_api.client, method)(
            f"{NS}/v2/team-a", HTTP_VMWARE_API_SESSION_ID=admin_api.token
        )
        assert response.status_code == 405
    assert Namespace.objects.get(pk=namespace.pk).config_status == "RUNNING"


# ---------------------------------------------------------------- access over JSON-RPC


def who(subject: str = "eddie", kind: str = "USER") -> dict:
    return {"namespace": "team-a", "domain": "vsphere.local", "subject": subject, "type": kind}


def test_access_over_json_rpc_sets_reads_and_removes_an_entry(admin_api, editor, namespace):
    assert admin_api.invoke(ACCESS, "get", **who())["output"] == {
        "STRUCTURE": {
            "com.vmware.vcenter.namespaces.access.info": {
                "role": "EDIT",
                "identity_provider": {"OPTIONAL": None},
                "inherited": {"OPTIONAL": False},
            }
        }
    }
    spec = sdk(Access.SetSpec(role=Access.Role.VIEW), Access.SetSpec)
    assert admin_api.invoke(ACCESS, "set", **who(), spec=spec) == {"output": None}
    assert NamespaceAccess.objects.get(subject="eddie").role == "VIEW"
    assert admin_api.invoke(ACCESS, "delete", **who()) == {"output": None}
    name, _ = vapi_error(admin_api.invoke(ACCESS, "get", **who()))
    assert name == "com.vmware.vapi.std.errors.not_found"


def test_access_create_over_json_rpc_refuses_an_existing_entry(admin_api, editor, namespace):
    spec = sdk(Access.CreateSpec(role=Access.Role.OWNER), Access.CreateSpec)
    name, fields = vapi_error(admin_api.invoke(ACCESS, "create", **who(), spec=spec))
    assert name == "com.vmware.vapi.std.errors.already_exists"
    assert first_message(fields) == (
        "subject: A permission for user eddie@vsphere.local already exists in namespace team-a."
    )
    assert NamespaceAccess.objects.get(subject="eddie").role == "EDIT"


def test_a_type_error_over_json_rpc_names_the_type(admin_api, editor, namespace):
    name, fields = vapi_error(admin_api.invoke(ACCESS, "get", **who(kind="ROBOT")))
    assert name == "com.vmware.vapi.std.errors.invalid_argument"
    assert first_message(fields).startswith("type: ")


# ---------------------------------------------------------------- /api/session


def test_api_session_is_the_registrys_session_for_both_wire_forms(admin, client):
    """A token from POST /api/session (201, a bare string) is a session id for JSON-RPC too,
    and DELETE /api/session (204) ends it there as well."""
    response = client.post("/api/session", HTTP_AUTHORIZATION=basic(admin.username))
    assert response.status_code == 201 and response["Content-Type"] == "application/json"
    token = response.json()
    envelope = {
        "jsonrpc": "2.0",
        "method": "invoke",
        "id": "1",
        "params": {
            "serviceId": "com.vmware.cis.session",
            "operationId": "get",
            "input": {"STRUCTURE": {"operation-input": {}}},
            "ctx": {
                "securityCtx": {
                    "schemeId": "com.vmware.vapi.std.security.session_id",
                    "sessionId": token,
                }
            },
        },
    }
    answer = client.post("/api", envelope, content_type="application/json").json()["result"]
    info = answer["output"]["STRUCTURE"]["com.vmware.cis.session.info"]
    assert info["user"] == "VSPHERE.LOCAL\\administrator"
    ended = client.delete("/api/session", HTTP_VMWARE_API_SESSION_ID=token)
    assert ended.status_code == 204 and not ended.content
    answer = client.post("/api", envelope, content_type="application/json").json()["result"]
    assert vapi_error(answer)[0] == "com.vmware.vapi.std.errors.unauthenticated"


def test_a_browser_session_may_not_read_or_end_an_api_session(admin, client):
    client.force_login(admin)
    assert client.get("/api/session").status_code == 401
    assert client.get(NS).status_code == 200  # but reads the API
