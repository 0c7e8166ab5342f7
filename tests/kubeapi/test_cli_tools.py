"""The Kubernetes CLI Tools page: commands that work against this application, filled with the
names the user may see; the CA certificate and the user's kubeconfig as downloads."""

from __future__ import annotations

import re
from html import unescape

import pytest
import yaml
from django.test import Client

from kubeapi import endpoints, tokens
from tests.workloads.conftest import *  # noqa: F403  (fixtures: the Supervisor, team-a, its cast)

pytestmark = pytest.mark.django_db
PAGE = "/wcp/cli-tools/"
KUBECONFIG = "/wcp/cli-tools/kubeconfig"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def commands(html: str, which: str) -> str:
    found = re.search(
        rf'<pre class="manifest"[^>]* data-commands="{which}"[^>]*>(.*?)</pre>', html, re.S
    )
    return unescape(found.group(1)) if found else ""


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}">(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]+)"', select.group(1)) if select else []


def test_a_developer_sees_only_their_namespaces(editor, stranger):
    html = logged_in(editor).get(PAGE).content.decode()
    assert options(html, "namespace") == ["team-a"]
    script = commands(html, "supervisor")
    assert "-X POST https://testserver:8443/wcp/login | jq -r .session_id" in script
    assert "kubectl config set-cluster testserver --server=https://testserver:8443" in script
    assert "set-credentials wcp:testserver:eddie@vsphere.local" in script
    assert "team-z" not in html
    assert script.rstrip().endswith("kubectl get ns")
    # sam holds team-z only.
    assert options(logged_in(stranger).get(PAGE).content.decode(), "namespace") == ["team-z"]


def test_a_namespace_the_user_may_not_see_is_a_404(editor, stranger):
    assert logged_in(editor).get(PAGE, {"namespace": "team-z"}).status_code == 404
    assert logged_in(editor).get(PAGE, {"namespace": "nope"}).status_code == 404


def test_the_namespace_and_cluster_fill_the_cluster_login(editor, web):
    html = logged_in(editor).get(PAGE, {"namespace": "team-a", "cluster": "web"}).content.decode()
    assert options(html, "cluster") == ["web"]
    assert "kubectl config use-context team-a" in commands(html, "namespace")
    script = commands(html, "cluster")
    assert """-d '{"guest_cluster_name": "web", "guest_cluster_namespace": "team-a"}'""" in script
    vip = web.api_endpoint
    assert f"kubectl config set-context web --cluster={vip} --user=wcp:{vip}:eddie" in script
    assert "https://testserver:8443/vks/team-a/web" in html
    assert logged_in(editor).get(PAGE, {"namespace": "team-a", "cluster": "x"}).status_code == 404


def test_the_page_is_for_logged_in_users_and_the_ca_for_everyone():
    assert Client().get(PAGE).status_code == 302
    assert Client().get(KUBECONFIG).status_code == 302
    response = Client().get("/wcp/cli-tools/ca.crt")
    assert response.status_code == 200
    assert b"".join(response).decode() == endpoints.ca_pem()
    assert 'filename="vks-portal-ca.crt"' in response["Content-Disposition"]


def test_the_kubeconfig_download_holds_the_users_contexts_and_a_fresh_token(editor, web):
    response = logged_in(editor).get(KUBECONFIG, {"namespace": "team-a", "cluster": "web"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    config = yaml.safe_load(response.content)
    assert [c["name"] for c in config["contexts"]] == ["testserver", "team-a", "web"]
    assert config["current-context"] == "web"
    user = config["users"][0]
    assert user["name"] == "wcp:testserver:eddie@vsphere.local"
    assert tokens.user_of(user["user"]["token"]) == editor
    plain = yaml.safe_load(logged_in(editor).get(KUBECONFIG).content)
    assert [c["name"] for c in plain["contexts"]] == ["testserver", "team-a"]


def test_over_https_the_commands_carry_the_ca(editor, web):
    """curl cannot download the CA from an HTTPS address it does not trust yet: over HTTPS
    the page writes the CA from the page itself; over HTTP it downloads it."""
    client = logged_in(editor)
    query = {"namespace": "team-a", "cluster": "web"}
    secure = commands(client.get(PAGE, query, secure=True).content.decode(), "supervisor")
    assert secure.startswith("cat > vks-portal-ca.crt <<'EOF'\n-----BEGIN CERTIFICATE-----")
    assert endpoints.ca_pem().strip() in secure and "curl -fsS -o" not in secure
    plain = commands(client.get(PAGE, query).content.decode(), "supervisor")
    assert plain.startswith(
        "curl -fsS -o vks-portal-ca.crt http://testserver/wcp/cli-tools/ca.crt\n"
    )


@pytest.mark.parametrize("secure", [False, True])
def test_the_page_gives_the_connect_pages_commands(editor, web, secure):
    client = logged_in(editor)
    page = client.get(PAGE, {"namespace": "team-a", "cluster": "web"}, secure=secure)
    connect = client.get("/portal/connect/", secure=secure).content.decode()
    html = page.content.decode()
    for mine, theirs in (
        ("supervisor", "commands-supervisor"),
        ("namespace", "commands-team-a"),
        ("cluster", "commands-team-a-web"),
    ):
        found = re.search(rf'<pre class="manifest" id="{theirs}"[^>]*>(.*?)</pre>', connect, re.S)
        assert commands(html, mine) == unescape(found.group(1)) != ""
