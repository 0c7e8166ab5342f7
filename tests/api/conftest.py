"""API clients holding a session token for any member of the cast (tests/workloads/conftest.py)."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD
from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    cluster,
    editor,
    namespace,
    owner,
    raw_spec,
    storage_class,
    stranger,
    supervisor,
    viewer,
)

NS = "/api/vcenter/namespaces/instances"
NM = "/api/vcenter/namespace-management"


def basic(username: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def open_session(client: APIClient, username: str, password: str = PASSWORD) -> str:
    """POST /api/session with basic auth; the client then sends the token on every call."""
    response = client.post("/api/session", HTTP_AUTHORIZATION=basic(username, password))
    assert response.status_code == 201, response.content
    token = response.json()
    client.credentials(HTTP_VMWARE_API_SESSION_ID=token)
    return token


def warmed(client: APIClient) -> APIClient:
    """The client after a first call: from then on each call reads its session and user (with
    the user's vCenter role) in one statement; the first reads the session, then the user."""
    assert client.get("/api/session").status_code == 200
    return client


@pytest.fixture
def api_as(db):
    """`api_as(user)`: an APIClient with a live session of that user."""

    def make(user) -> APIClient:
        client = APIClient()
        open_session(client, user.username)
        return client

    return make


@pytest.fixture
def admin_api(api_as, admin):
    return api_as(admin)


def error(response) -> tuple[str, list[str]]:
    """(error_type, default messages) of a vAPI error body, checking its shape on the way."""
    body = response.json()
    assert set(body) == {"error_type", "messages"}
    for m in body["messages"]:
        assert set(m) == {"id", "default_message", "args"}
        if body["error_type"] == "UNAUTHENTICATED":  # the vAPI runtime's own message
            assert m["id"] == "vapi.method.authentication.required"
        else:
            assert m["id"] == f"com.vmware.vapi.std.errors.{body['error_type'].lower()}"
    return body["error_type"], [m["default_message"] for m in body["messages"]]
