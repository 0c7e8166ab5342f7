"""The OpenAPI schema is generated and valid; every /api/ answer, even a wrong path, is JSON."""

from __future__ import annotations

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.api.conftest import NM, NS, error

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_valid_json_with_the_paths(db):
    response = APIClient().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert {
        "/api/session",
        NS,
        f"{NS}/v2",
        f"{NS}/{{namespace}}",
        f"{NS}/{{namespace}}/access/{{domain}}/{{subject}}",
        f"{NM}/supervisors/summaries",
        f"{NM}/supervisors/{{supervisor}}/summary",
        f"{NM}/virtual-machine-classes",
        f"{NM}/virtual-machine-classes/{{vm_class}}",
    } <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["vmwareApiSession"] == {
        "type": "apiKey",
        "in": "header",
        "name": "vmware-api-session-id",
    }
    create_spec = "com.vmware.vcenter.namespaces.instances.create_spec"
    create = schema["components"]["schemas"][create_spec]["properties"]
    assert {"cluster", "namespace", "resource_spec", "access_list", "storage_specs"} <= set(create)
    vm_class = "com.vmware.vcenter.namespace_management.virtual_machine_classes.info"
    assert "memory_MB" in schema["components"]["schemas"][vm_class]["properties"]


def test_an_unknown_api_path_is_a_vapi_404(admin_api):
    response = admin_api.get("/api/vcenter/no-such-thing")
    assert response.status_code == 404
    assert error(response) == ("NOT_FOUND", ["No API operation at /api/vcenter/no-such-thing."])


def test_an_unknown_method_is_405_operation_not_found(admin_api):
    response = admin_api.put(NS, {})
    assert response.status_code == 405
    assert error(response)[0] == "OPERATION_NOT_FOUND"


def test_a_body_that_is_not_json_is_refused_cleanly(admin_api, supervisor):
    response = admin_api.post(NS, "cluster=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error(response)[0] == "INVALID_REQUEST"
