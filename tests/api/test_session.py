"""`/api/session` as vCenter: basic auth gives a token, the token authenticates, idle sessions end,
and users who may not log in to the vSphere Client get no token either."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.auth import NO_PERMISSION
from tests.api.conftest import NS, basic, error, open_session

pytestmark = pytest.mark.django_db

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_basic_auth_creates_a_session_whose_token_authenticates(admin):
    client = APIClient()
    response = client.post(
        "/api/session", HTTP_AUTHORIZATION=basic("Administrator@VSPHERE.local")
    )  # user names are case-insensitive, as on the login page
    assert response.status_code == 201
    token = response.json()
    assert isinstance(token, str) and len(token) >= 32
    client.credentials(HTTP_VMWARE_API_SESSION_ID=token)
    info = client.get("/api/session")
    assert info.status_code == 200
    body = info.json()
    assert body["user"] == "VSPHERE.LOCAL\\administrator"
    assert TIME.match(body["created_time"]) and TIME.match(body["last_accessed_time"])
    assert client.get(NS).status_code == 200


def test_bad_credentials_are_401_unauthenticated(admin):
    response = APIClient().post("/api/session", HTTP_AUTHORIZATION=basic(admin.username, "nope"))
    assert response.status_code == 401
    assert error(response) == ("UNAUTHENTICATED", ["Invalid username/password."])
    assert response["WWW-Authenticate"].startswith("Basic")


def test_no_credentials_is_401(db):
    response = APIClient().post("/api/session")
    assert response.status_code == 401
    assert error(response)[0] == "UNAUTHENTICATED"


def test_a_user_who_may_not_log_in_gets_no_session(outsider):
    response = APIClient().post("/api/session", HTTP_AUTHORIZATION=basic(outsider.username))
    assert response.status_code == 401
    assert error(response) == ("UNAUTHENTICATED", [NO_PERMISSION])


def test_a_developer_with_only_a_namespace_role_sees_only_that_namespace(
    api_as, viewer, stranger, namespace
):
    names = [row["namespace"] for row in api_as(viewer).get(NS).json()]
    assert names == ["team-a"]
    assert [row["namespace"] for row in api_as(stranger).get(NS).json()] == ["team-z"]


@pytest.mark.parametrize("token", [None, "", "not-a-session-token-at-all-0123456789"])
def test_a_missing_or_unknown_token_is_401(db, token):
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_VMWARE_API_SESSION_ID=token)
    response = client.get(NS)
    assert response.status_code == 401
    assert error(response)[0] == "UNAUTHENTICATED"
    assert "Basic" not in response["WWW-Authenticate"]  # no browser password prompt


def test_delete_ends_the_session(admin):
    client = APIClient()
    open_session(client, admin.username)
    assert client.delete("/api/session").status_code == 204
    assert client.get("/api/session").status_code == 401
    assert client.get(NS).status_code == 401


def test_a_session_ends_after_30_idle_minutes_and_each_call_resets_the_clock(admin):
    client = APIClient()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        open_session(client, admin.username)
        clock.shift(timedelta(minutes=29))
        assert client.get(NS).status_code == 200
        clock.shift(timedelta(minutes=29))
        assert client.get(NS).status_code == 200
        clock.shift(timedelta(minutes=31))
        assert client.get(NS).status_code == 401


def test_the_idle_timeout_is_a_setting(admin, settings):
    settings.VKS_API_SESSION_IDLE_SECONDS = 60
    client = APIClient()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        open_session(client, admin.username)
        clock.shift(timedelta(seconds=61))
        assert client.get("/api/session").status_code == 401


def test_a_password_change_ends_the_users_sessions(admin):
    client = APIClient()
    open_session(client, admin.username)
    admin.set_password("Another1!Password")
    admin.save()
    assert client.get(NS).status_code == 401


def test_session_info_needs_the_token_not_basic_auth(admin):
    response = APIClient().get("/api/session", HTTP_AUTHORIZATION=basic(admin.username))
    assert response.status_code == 401


def test_a_browser_session_reads_but_writes_need_the_csrf_token(admin, supervisor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.get(NS).status_code == 200
    response = client.post(NS, {"cluster": supervisor.cluster.moid, "namespace": "csrf"})
    assert response.status_code == 403
    assert error(response)[0] == "UNAUTHORIZED"
    assert "CSRF" in error(response)[1][0]


def test_a_browser_session_key_is_not_an_api_token(admin, client):
    client.force_login(admin)
    api = APIClient()
    api.credentials(HTTP_VMWARE_API_SESSION_ID=client.session.session_key)
    assert api.get(NS).status_code == 401
