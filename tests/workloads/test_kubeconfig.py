"""Kubeconfigs point kubectl at this application: a VKS cluster's admin kubeconfig (Cluster API's
names) and a user's kubeconfig (what `kubectl vsphere login` writes), each trusting the local CA
and carrying a token for the user who asked. The real kubectl reads them back."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest
import yaml
from django.test import RequestFactory

from kubeapi import endpoints, tokens
from workloads.access import namespaces_visible_to
from workloads.kubeconfig import kubeconfig, user_kubeconfig
from workloads.models import Namespace

pytestmark = pytest.mark.django_db
KUBECTL = shutil.which("kubectl")


@pytest.fixture(autouse=True)
def _portal_host(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "portal.example.com"]


def request_to(host: str = "portal.example.com:8000"):
    return RequestFactory().get("/", HTTP_HOST=host)


def ca_data() -> str:
    return base64.b64encode(endpoints.ca_pem().encode()).decode()


def by_name(entries: list[dict]) -> dict:
    return {e["name"]: next(v for k, v in e.items() if k != "name") for e in entries}


def kubectl(text: str, tmp_path, *args: str) -> str:
    path = tmp_path / "config"
    path.write_text(text)
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(path), *args], capture_output=True, text=True, check=True
    ).stdout


def test_the_admin_kubeconfig_points_here_with_a_token_for_the_cluster(editor, web, settings):
    settings.VKS_HTTPS_PORT = 9443
    config = yaml.safe_load(kubeconfig(web, user=editor, request=request_to()))
    assert config["current-context"] == "web-admin@web"
    assert by_name(config["contexts"]) == {"web-admin@web": {"cluster": "web", "user": "web-admin"}}
    assert by_name(config["clusters"]) == {
        "web": {
            "certificate-authority-data": ca_data(),
            "server": "https://portal.example.com:9443/vks/team-a/web",
        }
    }
    token = by_name(config["users"])["web-admin"]["token"]
    assert tokens.user_of(token, audience=tokens.cluster_audience(web)) == editor
    claims = tokens.claims_of(token)
    assert claims["exp"] - claims["iat"] == tokens.LIFETIME_SECONDS


def test_without_a_request_the_configured_host_is_named(editor, web, settings):
    settings.VKS_HTTPS_HOST = "vks.example.com"
    config = yaml.safe_load(kubeconfig(web, user=editor))
    server = config["clusters"][0]["cluster"]["server"]
    assert server == f"https://vks.example.com:{settings.VKS_HTTPS_PORT}/vks/team-a/web"


def test_a_request_over_https_names_the_endpoint_it_came_in_on(editor, web):
    request = RequestFactory().get("/", secure=True, HTTP_HOST="127.0.0.1:8443")
    config = yaml.safe_load(kubeconfig(web, user=editor, request=request))
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:8443/vks/team-a/web"


def test_the_user_kubeconfig_has_the_contexts_kubectl_vsphere_login_writes(
    admin, editor, namespace, stranger, settings, tmp_path
):
    visible = list(namespaces_visible_to(editor).order_by("name"))
    assert [ns.name for ns in visible] == ["team-a"]
    text = user_kubeconfig(editor, namespaces=visible, request=request_to())
    config = yaml.safe_load(text)
    user = "wcp:portal.example.com:eddie@vsphere.local"
    assert config["current-context"] == "portal.example.com"
    assert by_name(config["contexts"]) == {
        "portal.example.com": {"cluster": "portal.example.com", "user": user},
        "team-a": {"cluster": "portal.example.com", "user": user, "namespace": "team-a"},
    }
    assert by_name(config["clusters"]) == {
        "portal.example.com": {
            "certificate-authority-data": ca_data(),
            "server": f"https://portal.example.com:{settings.VKS_HTTPS_PORT}",
        }
    }
    assert tokens.user_of(by_name(config["users"])[user]["token"]) == editor
    if KUBECTL:  # what `kubectl config get-contexts` shows after the plugin's login
        assert kubectl(text, tmp_path, "config", "get-contexts", "-o", "name").split() == [
            "portal.example.com",
            "team-a",
        ]


def test_a_cluster_login_adds_the_cluster_context_named_by_its_vip(editor, web, tmp_path):
    text = user_kubeconfig(editor, namespaces=[web.namespace], cluster=web, request=request_to())
    config = yaml.safe_load(text)
    vip, user = web.api_endpoint, f"wcp:{web.api_endpoint}:eddie@vsphere.local"
    assert config["current-context"] == "web"
    assert by_name(config["contexts"])["web"] == {"cluster": vip, "user": user}
    assert by_name(config["clusters"])[vip]["server"].endswith(":8443/vks/team-a/web")
    token = by_name(config["users"])[user]["token"]
    assert tokens.user_of(token, audience=tokens.cluster_audience(web)) == editor
    if KUBECTL:
        shown = kubectl(text, tmp_path, "config", "view", "-o", "jsonpath={.current-context}")
        assert shown == "web"


def test_every_namespace_an_administrator_sees_gets_a_context(admin, namespace):
    Namespace.objects.create(name="team-b", supervisor=namespace.supervisor)  # nobody's but theirs
    visible = list(namespaces_visible_to(admin).order_by("name"))
    config = yaml.safe_load(user_kubeconfig(admin, namespaces=visible, request=request_to()))
    names = [c["name"] for c in config["contexts"]]
    assert names == ["portal.example.com", *[ns.name for ns in visible]]
    assert {"team-a", "team-b"} <= set(names)
