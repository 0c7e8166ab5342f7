"""Callers of the Automation API for unit tests: REST with a session header, and vAPI JSON-RPC
(`POST /api`) with a session id security context, as the SDK sends them."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.api.conftest import open_session


class Caller:
    """One user's session, for both front doors."""

    def __init__(self, user):
        self.client = Client()
        self.token = open_session(APIClient(), user.username)

    def get(self, path: str, **query):
        return self.client.get(path, query, HTTP_VMWARE_API_SESSION_ID=self.token)

    def post(self, path: str, body=None):
        return self.client.post(
            path,
            body if body is not None else {},
            content_type="application/json",
            HTTP_VMWARE_API_SESSION_ID=self.token,
        )

    def invoke(self, service: str, operation: str, **fields) -> dict:
        """The JSON-RPC `result` ({"output": ...} or {"error": ...}); fields already typed."""
        envelope = {
            "jsonrpc": "2.0",
            "method": "invoke",
            "id": "1",
            "params": {
                "serviceId": service,
                "operationId": operation,
                "input": {"STRUCTURE": {"operation-input": fields}},
                "ctx": {
                    "appCtx": {},
                    "securityCtx": {
                        "schemeId": "com.vmware.vapi.std.security.session_id",
                        "sessionId": self.token,
                    },
                },
            },
        }
        response = self.client.post("/api", envelope, content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()["result"]


@pytest.fixture
def admin_api(admin):
    return Caller(admin)


def error(response) -> tuple[str, list[str]]:
    body = response.json()
    return body["error_type"], [m["default_message"] for m in body["messages"]]


def vapi_error(result: dict) -> tuple[str, dict]:
    """(canonical error name, its fields) of a JSON-RPC error result."""
    ((name, fields),) = result["error"]["ERROR"].items()
    return name, fields
