"""/api/openapi.json describes the registry's REST routes from their declarations (vapi/openapi.py)
(the only routes now): paths, filter and `action` query parameters, bodies, the vAPI error body, and
structures as components named by their canonical names."""

from __future__ import annotations

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

NM = "/api/vcenter/namespace-management"


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        found = Client().get("/api/openapi.json").json()
    validate_schema(found)
    return found


def test_the_registry_routes_are_described(schema):
    assert {
        "/api/session",
        "/api/vcenter/vm",
        "/api/vcenter/vm/{vm}/power",
        "/api/cis/tasks/{task}",
        f"{NM}/clusters/{{cluster}}",
        f"{NM}/supervisors/{{cluster}}",
        "/rest/com/vmware/cis/session",
    } <= set(schema["paths"])


def test_a_list_filter_is_repeated_query_parameters(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/vcenter/vm"]["get"]["parameters"]}
    assert parameters["names"] == {
        "name": "names",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": True,
    }
    power = parameters["power_states"]["schema"]["items"]
    states = schema["components"]["schemas"][power["$ref"].rsplit("/", 1)[1]]
    assert states["enum"] == ["POWERED_OFF", "POWERED_ON", "SUSPENDED"]


def test_actions_at_one_path_are_one_operation_with_an_action_enum(schema):
    post = schema["paths"]["/api/vcenter/vm/{vm}/power"]["post"]
    action = next(p for p in post["parameters"] if p["name"] == "action")
    assert action["required"] and action["schema"]["enum"] == ["start", "stop", "suspend", "reset"]
    assert "204" in post["responses"] and "requestBody" not in post
    enable = schema["paths"][f"{NM}/clusters/{{cluster}}"]["post"]
    assert enable["requestBody"]["required"] is False  # `disable` has none
    supervisor = schema["paths"][f"{NM}/supervisors/{{cluster}}"]["post"]
    cluster = next(p for p in supervisor["parameters"] if p["name"] == "cluster")
    assert cluster["schema"]["pattern"] == "^domain-c[0-9]+$"
    assert supervisor["requestBody"]["required"] is True


def test_structures_and_errors_are_described_once(schema):
    components = schema["components"]["schemas"]
    summary = components["com.vmware.vcenter.VM.summary"]
    assert summary["required"] == ["vm", "name", "power_state"]
    assert {"cpu_count", "memory_size_MiB"} <= set(summary["properties"])
    answers = schema["paths"]["/api/vcenter/vm/{vm}"]["get"]["responses"]
    error = answers["404"]["content"]["application/json"]["schema"]["$ref"]
    assert error.endswith("/com.vmware.vapi.std.errors.rest_error")
    body = components["com.vmware.vapi.std.errors.rest_error"]
    assert body["required"] == ["error_type", "messages"]
    legacy = schema["paths"]["/rest/com/vmware/cis/session"]["post"]
    assert legacy["security"] == [{"basicAuth": []}]
    assert legacy["responses"]["200"]["content"]["application/json"]["schema"]["required"] == [
        "value"
    ]
