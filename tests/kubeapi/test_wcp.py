"""`/wcp/loginbanner` and `/wcp/login` as `kubectl vsphere login` calls them: HTTP Basic
credentials of an SSO user (the lockout policy included) for a bearer token of 10 hours, for the
Supervisor or, with the guest cluster fields, for one VKS cluster with its server and CA."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from inventory.auth import NO_PERMISSION
from inventory.lockout import ACCOUNT_LOCKED
from kubeapi import endpoints, tokens
from tests.conftest import PASSWORD
from tests.workloads.conftest import *  # noqa: F403  (fixtures: the Supervisor, team-a, its cast)
from tests.workloads.conftest import spec
from workloads.models import Namespace, VksCluster
from workloads.services import clusters

pytestmark = pytest.mark.django_db
LOGIN = "/wcp/login"
GUEST = {"guest_cluster_name": "web", "guest_cluster_namespace": "team-a"}


def basic(username: str, password: str = PASSWORD) -> dict:
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {pair}"}


def login(username: str, password: str = PASSWORD, body: dict | str | None = None, **extra):
    data = json.dumps(body) if isinstance(body, dict) else (body or "")
    client = Client(enforce_csrf_checks=True)  # as curl: no CSRF token, no cookie
    return client.post(
        LOGIN, data, content_type="application/json", **basic(username, password), **extra
    )


def refusal(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["message"]


def test_the_login_banner_says_this_is_a_supervisor_to_anyone():
    response = Client().get("/wcp/loginbanner")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Supervisor" in response.content.decode()


def test_login_answers_a_token_for_the_supervisor_for_ten_hours(editor):
    response = login("eddie@vsphere.local")
    assert response.status_code == 200
    assert set(response.json()) == {"session_id"}
    token = response.json()["session_id"]
    assert tokens.user_of(token) == editor
    claims = tokens.claims_of(token)
    assert claims["sub"] == "eddie@vsphere.local" and claims["aud"] == "supervisor"
    assert claims["exp"] - claims["iat"] == 10 * 3600
    assert "no-store" in response["Cache-Control"]  # a credential
    assert not response.cookies  # Basic auth each time: no session is made


def test_the_user_name_is_case_insensitive_as_sso(editor):
    response = login("EDDIE@vsphere.local")
    assert tokens.user_of(response.json()["session_id"]) == editor


def test_a_wrong_password_is_a_401_with_a_json_body(editor):
    message = refusal(login("eddie@vsphere.local", "wrong"), 401)
    assert message == "Invalid credentials"
    assert login("eddie@vsphere.local", "wrong")["WWW-Authenticate"].startswith("Basic")
    assert refusal(login("nobody@vsphere.local"), 401) == "Invalid credentials"


def test_a_locked_account_is_refused_even_with_the_right_password(editor, settings):
    settings.VKS_SSO_LOCKOUT_MAX_FAILURES = 2
    for _ in range(2):
        refusal(login("eddie@vsphere.local", "wrong"), 401)
    assert refusal(login("eddie@vsphere.local"), 401) == ACCOUNT_LOCKED


def test_a_user_with_no_role_anywhere_may_not_log_in(outsider):
    assert refusal(login("outsider@vsphere.local"), 401) == NO_PERMISSION


def test_without_basic_credentials_it_is_a_401(editor):
    client = Client()
    assert client.post(LOGIN).status_code == 401
    assert client.post(LOGIN, HTTP_AUTHORIZATION="Bearer x").status_code == 401
    assert client.post(LOGIN, HTTP_AUTHORIZATION="Basic !!!").status_code == 401
    colonless = base64.b64encode(b"eddie@vsphere.local").decode()
    assert client.post(LOGIN, HTTP_AUTHORIZATION=f"Basic {colonless}").status_code == 401
    assert client.get(LOGIN).status_code == 405


def test_malformed_bodies_are_a_400_and_huge_ones_a_413(editor):
    assert refusal(login("eddie@vsphere.local", body="{nope"), 400).startswith("JSON parse")
    assert refusal(login("eddie@vsphere.local", body="[]"), 400) == (
        "The request body must be a JSON object."
    )
    bad = {"guest_cluster_name": ["web"]}
    assert refusal(login("eddie@vsphere.local", body=bad), 400) == (
        "guest_cluster_name must be a string."
    )
    huge = {"guest_cluster_name": "x" * 20_000}
    assert refusal(login("eddie@vsphere.local", body=huge), 413)
    # `{}` and an empty name are a Supervisor login, as clients send them.
    for body in ({}, {"guest_cluster_name": ""}):
        token = login("eddie@vsphere.local", body=body).json()["session_id"]
        assert tokens.claims_of(token)["aud"] == "supervisor"


# ---------------------------------------------------------------- a VKS cluster


def test_a_guest_cluster_login_answers_its_server_ca_and_a_token_for_it_alone(editor, web):
    response = login("eddie@vsphere.local", body=GUEST)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"session_id", "guest_cluster_server", "guest_cluster_ca"}
    # The full URL of the cluster's API here (a real Supervisor answers its bare VIP).
    assert body["guest_cluster_server"] == "https://testserver:8443/vks/team-a/web"
    assert base64.b64decode(body["guest_cluster_ca"]).decode() == endpoints.ca_pem()
    assert endpoints.ca_pem().startswith("-----BEGIN CERTIFICATE-----")
    token = body["session_id"]
    assert tokens.user_of(token, audience=tokens.cluster_audience(web)) == editor
    with pytest.raises(tokens.TokenError):
        tokens.user_of(token)  # not a Supervisor token


def test_a_cluster_is_found_without_its_namespace_unless_two_hold_the_name(admin, editor, web):
    body = login("eddie@vsphere.local", body={"guest_cluster_name": "web"}).json()
    assert body["guest_cluster_server"].endswith("/vks/team-a/web")
    team_b = Namespace.objects.create(name="team-b", supervisor=web.namespace.supervisor)
    VksCluster.objects.create(name="web", namespace=team_b, spec=web.spec)
    # eddie sees only team-a: still one.
    assert login("eddie@vsphere.local", body={"guest_cluster_name": "web"}).status_code == 200
    admin_login = login(admin.username, body={"guest_cluster_name": "web"})
    assert "give guest_cluster_namespace" in refusal(admin_login, 400)


def test_an_unknown_cluster_and_one_the_user_may_not_see_are_the_same_404(stranger, web):
    unknown = refusal(
        login("eddie@vsphere.local", body={**GUEST, "guest_cluster_name": "nope"}), 404
    )
    assert unknown == "VKS cluster nope in namespace team-a was not found."
    hidden = refusal(login("sam@vsphere.local", body=GUEST), 404)
    assert hidden == "VKS cluster web in namespace team-a was not found."


def test_a_viewer_may_log_in_to_a_cluster(viewer, web):
    token = login("vera@vsphere.local", body=GUEST).json()["session_id"]
    assert tokens.user_of(token, audience=tokens.cluster_audience(web)) == viewer


def test_a_cluster_without_an_api_endpoint_yet_is_a_409(editor, namespace, storage_class):
    clusters.cluster_create(namespace=namespace, name="web", spec=spec(storage_class), user=editor)
    assert "no API endpoint yet" in refusal(login("eddie@vsphere.local", body=GUEST), 409)


def test_a_token_for_a_cluster_made_again_under_the_same_name_opens_nothing(editor, web):
    token = login("eddie@vsphere.local", body=GUEST).json()["session_id"]
    old_audience = tokens.cluster_audience(web)
    web.created_at = web.created_at.replace(year=web.created_at.year + 1)  # as a new row's
    assert tokens.cluster_audience(web) != old_audience
    with pytest.raises(tokens.TokenError):
        tokens.user_of(token, audience=tokens.cluster_audience(web))
