"""A database that is busy or away (SQLite's write lock held past its timeout, PostgreSQL
gone) is no server bug: each front door answers 503 in its own wire format, so a client retries
instead of reporting an internal error."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from tests.api.conftest import open_session
from tests.vapi.test_jsonrpc import error_type, invoke, user_pass


def locked(*args, **kwargs):
    raise OperationalError("database is locked")


def test_rest_answers_service_unavailable(client, admin, monkeypatch):
    from rest_framework.test import APIClient

    api = APIClient()
    open_session(api, admin.username)
    monkeypatch.setattr("vapi.rest.session_touch", locked)
    response = api.get("/api/vcenter/datacenter")
    assert response.status_code == 503
    assert response.json()["error_type"] == "SERVICE_UNAVAILABLE"
    legacy = api.get("/rest/com/vmware/cis/session")
    assert legacy.status_code == 503
    assert legacy.json()["type"] == "com.vmware.vapi.std.errors.service_unavailable"


def test_json_rpc_answers_service_unavailable(client, admin, monkeypatch):
    monkeypatch.setattr("vapi.jsonrpc.session_touch", locked)
    token = invoke(client, "com.vmware.cis.session", "create", user_pass(admin.username))
    by_session = {
        "schemeId": "com.vmware.vapi.std.security.session_id",
        "sessionId": token["output"]["SECRET"],
    }
    busy = invoke(client, "com.vmware.cis.session", "get", by_session)
    assert error_type(busy) == "SERVICE_UNAVAILABLE"


@pytest.mark.django_db
def test_the_kubernetes_api_answers_a_status_to_retry(admin, monkeypatch):
    from django.test import Client

    from kubeapi import tokens

    kube = Client(
        HTTP_AUTHORIZATION=f"Bearer {tokens.issue(admin, audience=tokens.SUPERVISOR_AUDIENCE)}"
    )
    monkeypatch.setattr("kubeapi.views._dispatch", locked)
    response = kube.get("/api/v1/namespaces")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    status = response.json()
    assert (status["kind"], status["reason"], status["code"]) == (
        "Status",
        "ServiceUnavailable",
        503,
    )
    assert status["details"]["retryAfterSeconds"] == 1


def test_a_page_answers_service_unavailable(client, admin, monkeypatch):
    client.force_login(admin)
    monkeypatch.setattr("portal.views.selectors.cluster_page", locked)
    response = client.get("/portal/")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "busy" in response.content.decode()
