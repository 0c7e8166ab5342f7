"""Hostile input is refused cleanly at every front door (vksportal.untrusted and the middleware
in front of everything): a 4xx in that door's own error format that names the problem, a small
body whatever the input, and nothing changed."""

from __future__ import annotations

import json

import pytest
import yaml
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from rest_framework.test import APIClient

from inventory.models import Event, Task
from kubeapi import views as kube_views
from tests.api.conftest import NS, error
from tests.kubeapi.test_cluster_api import CLUSTERS, TKCS, cluster_manifest
from vapi import urls as vapi_urls
from vksportal.middleware import KUBERNETES_PATH
from workloads.models import Namespace, NamespaceAccess, VksCluster

pytestmark = pytest.mark.django_db

SMALL = 64 * 1024  # an error body stays under this, however large or deep the input


def alias_bomb() -> str:
    """The "billion laughs" in YAML: 9 levels of 9 aliases each, about 340 bytes of text that
    a naive loader expands to 9**9 strings (and an error message quoting it to gigabytes)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def bomb_manifest() -> str:
    """A Cluster manifest whose replicas is the bomb's last level."""
    return alias_bomb() + (
        "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\n"
        "metadata: {name: boom, namespace: team-a}\n"
        "spec: {topology: {class: builtin-generic-v3.4.0, version: v1.32.7, "
        "controlPlane: {replicas: *i}}}\n"
    )


def deep_json(levels: int = 5000) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture
def snapshot(namespace):
    """What a refused request must leave as it was: the namespace's settings and how many
    clusters, grants, Tasks and Events there are."""

    def take():
        ns = Namespace.objects.get(pk=namespace.pk)
        return {
            "namespace": (
                ns.description,
                ns.generation,
                ns.cpu_limit_mhz,
                ns.memory_limit_mib,
                ns.storage_limit_mib,
                sorted(ns.storage.values_list("policy_id", "limit_mib")),
            ),
            "clusters": VksCluster.objects.count(),
            "grants": NamespaceAccess.objects.count(),
            "tasks": Task.objects.count(),
            "events": Event.objects.count(),
        }

    before = take()
    yield before
    assert take() == before, "a refused request changed something"


def status_refusal(response, code: int, *words: str) -> dict:
    """A Kubernetes Status body of `code`, small, whose message holds each of `words`."""
    assert response.status_code == code, response.content[:500]
    assert len(response.content) < SMALL
    body = response.json()
    assert (body["kind"], body["status"], body["code"]) == ("Status", "Failure", code)
    for word in words:
        assert word in body["message"]
    return body


def vapi_refusal(response, code: int, *words: str) -> list[str]:
    """A vAPI error body of `code`, small, whose messages hold each of `words`."""
    assert response.status_code == code, response.content[:500]
    assert len(response.content) < SMALL
    _, messages = error(response)
    for word in words:
        assert any(word in m for m in messages), messages
    return messages


@pytest.fixture
def editor_api(api_as, editor):
    return api_as(editor)


# ---------------------------------------------------------------- YAML: the alias bomb, depth


@pytest.mark.parametrize("url", [CLUSTERS, TKCS])
def test_an_alias_bomb_from_a_can_edit_user_is_refused_before_it_expands(
    editor_api, storage_class, snapshot, url
):
    text = bomb_manifest()
    assert len(text.encode()) < 600
    response = editor_api.post(url, text, content_type="application/yaml")
    body = status_refusal(response, 400, "aliases expanded", "10000 values")
    assert body["reason"] == "BadRequest"
    assert body["message"].startswith("line ")  # where the bomb went off


def test_an_alias_bomb_on_the_apply_yaml_page_is_a_form_error(
    editor, storage_class, snapshot, client
):
    client.force_login(editor)
    url = reverse("workloads:cluster-apply", args=["team-a"])
    response = client.post(url, {"op": "apply", "manifest": bomb_manifest()})
    assert response.status_code == 400
    assert len(response.content) < SMALL
    assert "aliases expanded" in response.content.decode()


def test_a_huge_manifest_on_the_apply_yaml_page_is_refused_with_a_small_page(
    editor, storage_class, snapshot, client
):
    client.force_login(editor)
    url = reverse("workloads:cluster-apply", args=["team-a"])
    manifest = "a:\n" + "".join(f"  k{i}: v\n" for i in range(80_000))  # about 900 KB
    response = client.post(url, {"op": "apply", "manifest": manifest})
    assert response.status_code == 400
    assert len(response.content) < SMALL
    assert "more than 10000 values" in response.content.decode()


def test_aliases_that_expand_a_little_still_work(editor_api, storage_class):
    """PyYAML writes an anchor and an alias for any list used twice: that is no bomb."""
    manifest = cluster_manifest(storage_class, name="shared")
    labels = {"team": "a"}
    manifest["metadata"]["labels"] = labels
    manifest["spec"]["topology"]["controlPlane"]["metadata"] = {"labels": labels}
    text = yaml.safe_dump(manifest)
    assert "&id001" in text and "*id001" in text
    response = editor_api.post(CLUSTERS, text, content_type="application/yaml")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("as_type", ["application/yaml", "application/json"])
def test_a_manifest_5000_levels_deep_is_refused(editor_api, storage_class, snapshot, as_type):
    response = editor_api.post(CLUSTERS, deep_json(), content_type=as_type)
    status_refusal(response, 400, "nested more than 64 levels deep")


def test_a_manifest_nul_in_a_string_is_refused_naming_the_field(
    editor_api, storage_class, snapshot
):
    text = 'apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {name: "a\\0b"}\n'
    response = editor_api.post(CLUSTERS, text, content_type="application/yaml")
    status_refusal(response, 400, "metadata.name", "NUL")


def test_a_manifest_over_1_mib_is_413(editor_api, storage_class, snapshot):
    text = "# " + "x" * (1024 * 1024) + "\n"
    response = editor_api.post(CLUSTERS, text, content_type="application/yaml")
    status_refusal(response, 413, "larger than")


def test_a_long_value_is_quoted_back_cut_short(editor_api, storage_class, snapshot):
    manifest = cluster_manifest(storage_class, name="long")
    manifest["spec"]["topology"]["controlPlane"]["replicas"] = "x" * 100_000
    response = editor_api.post(CLUSTERS, json.dumps(manifest), content_type="application/json")
    body = status_refusal(response, 422, "replicas")
    assert '"' + "x" * 100 + '..."' in body["message"]
    assert "x" * 101 not in body["message"]


def test_a_megabyte_name_is_quoted_short(editor_api, storage_class, snapshot):
    manifest = cluster_manifest(storage_class, name="x" * 1_000_000)
    response = editor_api.post(CLUSTERS, json.dumps(manifest), content_type="application/json")
    body = status_refusal(response, 422, "metadata.name")
    assert body["details"]["name"] == "x" * 100 + "..."


# ---------------------------------------------------------------- JSON bodies (the vAPI half)


def test_json_5000_levels_deep_is_a_400_not_a_recursion_error(admin_api, snapshot):
    body = '{"description": ' + deep_json() + "}"
    response = admin_api.patch(f"{NS}/team-a", body, content_type="application/json")
    vapi_refusal(response, 400, "nested more than 64 levels deep")


def test_a_lone_surrogate_in_json_is_refused_naming_the_field(admin_api, snapshot):
    body = '{"description": "caf\\ud800"}'
    response = admin_api.patch(f"{NS}/team-a", body, content_type="application/json")
    messages = vapi_refusal(response, 400, "description", "surrogate")
    assert "\ud800" not in "".join(messages)


def test_a_nul_in_json_is_refused_naming_the_field(admin_api, snapshot):
    body = json.dumps({"access_list": [{"subject_type": "USER", "subject": "a\x00b"}]})
    response = admin_api.patch(f"{NS}/team-a", body, content_type="application/json")
    vapi_refusal(response, 400, "access_list[0].subject", "NUL")


def test_storage_specs_holding_null_is_a_400(admin_api, snapshot):
    response = admin_api.patch(f"{NS}/team-a", {"storage_specs": [None]}, format="json")
    vapi_refusal(response, 400, "storage_specs[0]")


@pytest.mark.parametrize(
    "body",
    [
        {"storage_specs": "x"},
        {"storage_specs": [1]},
        {"storage_specs": [{"policy": None}]},
        {"storage_specs": [{"policy": ["x"]}]},
        {"resource_spec": []},
        {"resource_spec": {"cpu_limit": "abc"}},
        {"resource_spec": {"cpu_limit": 10**30}},
        {"access_list": [None]},
        {"access_list": {"subject": "x"}},
        {"vm_service_spec": {"vm_classes": [None]}},
        {"vm_service_spec": {"vm_classes": "best-effort-small"}},
        {"description": 5},
        {"resource_spec": {"memory_limit": "1024"}},
        {"resource_spec": {"storage_request_limit": True}},
        [],
        "text",
        None,
    ],
)
def test_malformed_values_in_a_namespace_patch_are_a_400_and_change_nothing(
    admin_api, snapshot, body
):
    response = admin_api.patch(f"{NS}/team-a", json.dumps(body), content_type="application/json")
    vapi_refusal(response, 400)


def test_a_body_over_1_mib_is_413(admin_api, snapshot):
    body = json.dumps({"description": "x" * (1024 * 1024)})
    response = admin_api.patch(f"{NS}/team-a", body, content_type="application/json")
    vapi_refusal(response, 413, "larger than 1 MiB")


def test_thousands_of_wrong_items_give_a_small_error_body(admin_api, snapshot):
    """As vCenter, the first wrong value is named (not one message per item)."""
    body = json.dumps({"access_list": [{"role": "x" * 100} for _ in range(3000)]})
    response = admin_api.patch(f"{NS}/team-a", body, content_type="application/json")
    (message,) = vapi_refusal(response, 400, "access_list[0].")


def test_a_long_value_in_a_choice_is_not_echoed_whole(admin_api, snapshot):
    body = json.dumps({"role": "x" * 500_000})
    url = f"{NS}/team-a/access/vsphere.local/eddie?type=USER"
    response = admin_api.post(url, body, content_type="application/json")
    messages = vapi_refusal(response, 400, "role")
    assert all(len(m) <= 303 for m in messages)


# ---------------------------------------------------------------- NUL in paths, queries, headers


@pytest.mark.parametrize(
    "path",
    [
        f"{NS}/team%00a",
        f"{NS}/v2/team%00a",
        "/api/vcenter/namespace-management/virtual-machine-classes/best%00effort",
        f"{NS}/team-a/access/vsphere.local/ed%00die?type=USER",
    ],
)
def test_a_nul_in_an_api_path_is_a_vapi_400(admin_api, snapshot, path):
    vapi_refusal(admin_api.get(path), 400, "the path", "NUL")


@pytest.mark.parametrize(
    "path",
    [
        "/apis/cluster.x-k8s.io/v1beta1/namespaces/team%00a/clusters",
        "/apis/run.tanzu.vmware.com/v1alpha3/namespaces/team-a/tanzukubernetesclusters/w%00",
        "/apis/%00",
        "/api/v1/namespaces/team-a/secrets/web%00-kubeconfig",
        "/api/v1/%00",
        "/openapi/v3/apis/cluster.x-k8s.io/v1beta%00",
        "/version/%00",
        "/healthz/%00",
        "/vks/team-a/web/api/v1/no%00des",
        "/vks/team-a/we%00b",
    ],
)
def test_a_nul_in_a_kubernetes_path_is_a_status_400(admin_api, snapshot, path):
    status_refusal(admin_api.get(path), 400, "the path", "NUL")


@pytest.mark.parametrize("path", ["/api", "/api/", "/apis", "/version", "/vks/team-a/web"])
def test_a_nul_in_a_query_on_a_kubernetes_path_is_a_status_400(admin_api, snapshot, path):
    status_refusal(admin_api.get(f"{path}?watch=%00"), 400, "query parameter 'watch'", "NUL")


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/api/",
        "/api/v1",
        "/api/v1/namespaces/team-a/pods",
        "/apis",
        "/apis/cluster.x-k8s.io/v1beta1",
        "/openapi/v3",
        "/version",
        "/healthz",
        "/livez",
        "/readyz",
        "/vks/team-a/web",
        "/vks/team-a/web/api/v1/nodes",
        "/api/session",
        "/api/v10",
        "/api/vcenter/namespaces/instances",
        "/apisx",
        "/vks/team-a",
        "/ui/",
    ],
)
def test_the_middleware_knows_every_kubernetes_path_the_urls_route(path):
    """A refusal in the middleware takes the body of the front door the path leads to."""
    try:
        # `/api` itself is the Kubernetes API's discovery too (POST is the vAPI's JSON-RPC)
        kubernetes = (kube_views.supervisor_api, kube_views.guest_api, vapi_urls.api_root)
        routed = resolve(path).func in kubernetes
    except Resolver404:
        routed = False
    assert bool(KUBERNETES_PATH.fullmatch(path)) == routed


def test_a_nul_in_a_query_parameter_is_a_400(admin_api, snapshot):
    url = f"{NS}/team-a/access/vsphere.local/eddie?type=US%00ER"
    vapi_refusal(admin_api.get(url), 400, "query parameter 'type'", "NUL")


def test_a_nul_in_a_header_is_a_400(snapshot):
    response = APIClient().get(NS, HTTP_VMWARE_API_SESSION_ID="abc\x00def")
    vapi_refusal(response, 400, "header Vmware-Api-Session-Id", "NUL")


@pytest.mark.parametrize("path", ["/ui/vm%00-1/", "/ui/search/?q=a%00b", "/login/?next=%00"])
def test_a_nul_in_a_page_url_is_a_plain_400(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_before_login_is_refused_too():
    response = Client().get("/api/session", HTTP_AUTHORIZATION="Basic \x00")
    vapi_refusal(response, 400, "header Authorization", "NUL")


def test_a_nul_in_a_page_form_field_is_a_400_and_changes_nothing(admin_client, snapshot):
    url = reverse("workloads:namespace-limits-edit", args=["team-a"])
    response = admin_client.post(url, {"cpu_limit_mhz": "1\x00", "cpu_unit": "MHz"})
    assert response.status_code == 400
    assert "form field 'cpu_limit_mhz': NUL" in response.content.decode()
