"""The vAPI wire forms from one declaration, the JSON-RPC envelope as the SDK's runtime sends
and reads it, and the legacy REST session Ansible logs in with."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from tests.conftest import PASSWORD
from vapi.bindings import (
    DATE_TIME,
    INTEGER,
    SECRET,
    STRING,
    Enum,
    InputError,
    List,
    Map,
    Optional,
    Struct,
    error_vapi,
)

SUMMARY = Struct(
    "com.example.thing.summary",
    {
        "thing": STRING,
        "size": Optional(INTEGER),
        "state": Enum("com.example.thing.state", ("ON", "OFF")),
        "tags": Map(STRING, List(STRING)),
    },
)


def test_one_declaration_two_wire_forms():
    value = {"thing": "t-1", "size": None, "state": "ON", "tags": {"a": ["x"]}}
    assert SUMMARY.rest(value) == {"thing": "t-1", "state": "ON", "tags": {"a": ["x"]}}
    assert SUMMARY.vapi(value) == {
        "STRUCTURE": {
            "com.example.thing.summary": {
                "thing": "t-1",
                "size": {"OPTIONAL": None},
                "state": "ON",
                "tags": [{"STRUCTURE": {"map-entry": {"key": "a", "value": ["x"]}}}],
            }
        }
    }
    assert SUMMARY.from_vapi(SUMMARY.vapi(value)) == value
    assert SUMMARY.from_rest(SUMMARY.rest(value)) == value
    assert SECRET.vapi("s3cret") == {"SECRET": "s3cret"} and SECRET.rest("s3cret") == "s3cret"
    when = datetime(2026, 11, 30, 10, 0, 1, 234000, tzinfo=UTC)
    assert DATE_TIME.rest(when) == "2026-11-30T10:00:01.234Z"


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"thing": 5, "state": "ON", "tags": {}}, "thing"),
        ({"thing": "t", "state": "DIM", "tags": {}}, "state"),
        ({"thing": "t", "state": "ON", "tags": {"a": "x"}}, "tags.a"),
        ({"state": "ON", "tags": {}}, "thing"),
    ],
)
def test_input_of_the_wrong_type_names_the_field(data, where):
    with pytest.raises(InputError) as refused:
        SUMMARY.from_rest(data)
    assert refused.value.path == where


def test_an_error_value_as_the_runtime_reads_it():
    message = {"id": "x.y", "default_message": "No.", "args": []}
    assert error_vapi("NOT_FOUND", [message]) == {
        "ERROR": {
            "com.vmware.vapi.std.errors.not_found": {
                "messages": [
                    {
                        "STRUCTURE": {
                            "com.vmware.vapi.std.localizable_message": {
                                "id": "x.y",
                                "default_message": "No.",
                                "args": [],
                                "params": {"OPTIONAL": None},
                                "localized": {"OPTIONAL": None},
                            }
                        }
                    }
                ],
                "data": {"OPTIONAL": None},
                "error_type": {"OPTIONAL": "NOT_FOUND"},
            }
        }
    }


def invoke(client, service: str, operation: str, security: dict | None, *, input_=None):
    body = {
        "jsonrpc": "2.0",
        "method": "invoke",
        "id": "7",
        "params": {
            "serviceId": service,
            "operationId": operation,
            "input": input_ or {"STRUCTURE": {"operation-input": {}}},
            "ctx": {"appCtx": {}, "securityCtx": security or {}},
        },
    }
    response = client.post("/api", json.dumps(body), content_type="application/json")
    assert response.status_code == 200  # errors too: they are in the body
    answer = response.json()
    assert (answer["jsonrpc"], answer["id"]) == ("2.0", "7")
    return answer["result"]


def user_pass(user: str, password: str = PASSWORD) -> dict:
    return {
        "schemeId": "com.vmware.vapi.std.security.user_pass",
        "userName": user,
        "password": password,
    }


def error_type(result: dict) -> str:
    ((name, fields),) = result["error"]["ERROR"].items()
    return fields["error_type"]["OPTIONAL"]


def test_a_session_by_json_rpc(client, admin):
    created = invoke(client, "com.vmware.cis.session", "create", user_pass(admin.username))
    token = created["output"]["SECRET"]
    by_session = {"schemeId": "com.vmware.vapi.std.security.session_id", "sessionId": token}
    info = invoke(client, "com.vmware.cis.session", "get", by_session)["output"]
    fields = info["STRUCTURE"]["com.vmware.cis.session.info"]
    assert fields["user"] == "VSPHERE.LOCAL\\administrator"
    assert invoke(client, "com.vmware.cis.session", "delete", by_session) == {"output": None}
    gone = invoke(client, "com.vmware.cis.session", "get", by_session)
    assert error_type(gone) == "UNAUTHENTICATED"


def test_refusals_in_the_body(client, admin):
    wrong = invoke(client, "com.vmware.cis.session", "create", user_pass(admin.username, "no"))
    assert error_type(wrong) == "UNAUTHENTICATED"
    unknown = invoke(client, "com.vmware.no.such", "thing", user_pass(admin.username))
    assert error_type(unknown) == "OPERATION_NOT_FOUND"
    anonymous = invoke(client, "com.vmware.cis.session", "get", None)
    assert error_type(anonymous) == "UNAUTHENTICATED"


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"method": "other", "id": 1}'])
def test_a_broken_envelope_is_a_json_rpc_error(client, body):
    answer = client.post("/api", body, content_type="application/json").json()
    assert answer["jsonrpc"] == "2.0" and answer["error"]["code"] in (-32700, -32600, -32601)


def test_the_legacy_rest_session_answers_its_value(client, admin):
    basic = base64.b64encode(f"{admin.username}:{PASSWORD}".encode()).decode()
    response = client.post("/rest/com/vmware/cis/session", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200  # vmware_rest refuses anything else
    token = response.json()["value"]
    info = client.get("/rest/com/vmware/cis/session", HTTP_VMWARE_API_SESSION_ID=token)
    assert info.json()["value"]["user"] == "VSPHERE.LOCAL\\administrator"
    wrong = base64.b64encode(f"{admin.username}:nope".encode()).decode()
    refused = client.post("/rest/com/vmware/cis/session", HTTP_AUTHORIZATION=f"Basic {wrong}")
    assert refused.status_code == 401
    assert refused.json()["type"] == "com.vmware.vapi.std.errors.unauthenticated"


def test_get_api_is_still_the_kubernetes_discovery(client, admin):
    client.force_login(admin)
    assert client.get("/api").json()["kind"] == "APIVersions"
