"""VKS clusters through the Supervisor's Kubernetes API as a client sees them (`/apis/...`, the
kubeconfig Secret under `/api/v1/`): create from JSON or YAML manifests of both kinds, read,
replace against a resourceVersion, delete; the API server's Status bodies for every refusal; the
pages' permissions; each way in (a `/wcp/login` bearer token, an Automation API session, a
logged-in browser); the operation ids of /openapi/v3; a list's fixed query count."""

from __future__ import annotations

import base64
import copy
import json

import pytest
import yaml
from django.test import Client
from rest_framework.test import APIClient

from kubeapi import tokens
from tests.api.conftest import open_session
from tests.workloads.conftest import RELEASE, drive, spec
from workloads.cluster_objects import export_manifest
from workloads.models import Namespace, NamespaceAccess, VksCluster
from workloads.services import clusters

pytestmark = pytest.mark.django_db

CAPI = "/apis/cluster.x-k8s.io/v1beta1"
TKC = "/apis/run.tanzu.vmware.com/v1alpha3"
CLUSTERS = f"{CAPI}/namespaces/team-a/clusters"
TKCS = f"{TKC}/namespaces/team-a/tanzukubernetesclusters"
SECRETS = "/api/v1/namespaces/team-a/secrets"
STATUS_KEYS = {"kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"}


def status_of(response, code: int, reason: str) -> dict:
    """The Status body of a refusal, its shape and code checked on the way."""
    assert response.status_code == code, response.content
    body = response.json()
    assert set(body) == STATUS_KEYS
    assert (body["kind"], body["apiVersion"], body["status"]) == ("Status", "v1", "Failure")
    assert (body["reason"], body["code"], body["metadata"]) == (reason, code, {})
    return body


def cluster_manifest(storage_class: str, name: str = "web", *, workers: int = 2) -> dict:
    """A Cluster on a VKS 3.x ClusterClass, as VMware's docs write one."""
    return {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": {
            "topology": {
                "class": "builtin-generic-v3.4.0",
                "classNamespace": "vmware-system-vks-public",
                "version": RELEASE,
                "controlPlane": {"replicas": 1},
                "workers": {
                    "machineDeployments": [
                        {"class": "node-pool", "name": "node-pool-1", "replicas": workers}
                    ]
                },
                "variables": [
                    {"name": "vmClass", "value": "best-effort-small"},
                    {"name": "storageClass", "value": storage_class},
                ],
            }
        },
    }


def tkc_manifest(storage_class: str, name: str = "tkc") -> dict:
    tkr = {"reference": {"name": RELEASE}}
    classes = {"vmClass": "best-effort-small", "storageClass": storage_class, "tkr": tkr}
    return {
        "apiVersion": "run.tanzu.vmware.com/v1alpha3",
        "kind": "TanzuKubernetesCluster",
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": {
            "topology": {
                "controlPlane": {"replicas": 1, **classes},
                "nodePools": [{"name": "worker", "replicas": 2, **classes}],
            }
        },
    }


def post(client, url: str, manifest: dict, *, as_yaml: bool = False):
    if as_yaml:
        body = yaml.safe_dump(manifest, sort_keys=False)
        return client.post(url, body, content_type="application/yaml")
    return client.post(url, json.dumps(manifest), content_type="application/json")


def put(client, url: str, document: dict):
    return client.put(url, json.dumps(document), content_type="application/json")


def version(document: dict) -> int:
    """metadata.resourceVersion: the API's one counter, moved by every change to what it serves."""
    text = document["metadata"]["resourceVersion"]
    assert text.isdigit(), text
    return int(text)


@pytest.fixture
def editor_api(kube_as, editor):
    """The editor's client, with the bearer token `/wcp/login` gives (kubectl's way in)."""
    return kube_as(editor)


@pytest.fixture
def web(editor, namespace, storage_class):
    """A Cluster `web` made through the service (not converged)."""
    return clusters.cluster_create(
        namespace=namespace, name="web", spec=spec(storage_class), user=editor
    )


# ---------------------------------------------------------------- create


@pytest.mark.parametrize("as_yaml", [False, True], ids=["json", "yaml"])
@pytest.mark.parametrize(
    ("url", "make", "kind"),
    [
        (CLUSTERS, cluster_manifest, "Cluster"),
        (TKCS, tkc_manifest, "TanzuKubernetesCluster"),
    ],
    ids=["cluster", "tkc"],
)
def test_post_creates_a_cluster_of_either_kind_from_json_or_yaml(
    editor_api,
    storage_class,
    url,
    make,
    kind,
    as_yaml,
):
    manifest = make(storage_class, name="shop")
    response = post(editor_api, url, manifest, as_yaml=as_yaml)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"apiVersion", "kind", "metadata", "spec", "status"} <= set(body)
    assert (body["apiVersion"], body["kind"]) == (manifest["apiVersion"], kind)
    assert body["metadata"]["name"] == "shop" and body["metadata"]["namespace"] == "team-a"
    assert body["metadata"]["generation"] == 1
    assert body["metadata"]["uid"] and body["metadata"]["creationTimestamp"]
    created = version(body)
    cluster = VksCluster.objects.get(name="shop")
    assert cluster.kind == kind and cluster.spec["topology"]["version"] == RELEASE
    # The same document the YAML tab shows, resourceVersion aside.
    exported = yaml.safe_load(export_manifest(cluster))
    del body["metadata"]["resourceVersion"]
    assert body == exported
    read = editor_api.get(f"{url}/shop").json()
    assert read["metadata"]["uid"] == exported["metadata"]["uid"]
    assert version(read) == created  # nothing changed it since
    if url == CLUSTERS:  # a Cluster is no TanzuKubernetesCluster
        status_of(editor_api.get(f"{TKCS}/shop"), 404, "NotFound")
    else:  # a TKC is also the Cluster its controller makes, owned by it
        as_cluster = editor_api.get(f"{CLUSTERS}/shop").json()
        assert as_cluster["kind"] == "Cluster"
        assert [(o["kind"], o["name"]) for o in as_cluster["metadata"]["ownerReferences"]] == [
            ("TanzuKubernetesCluster", "shop")
        ]


def test_apiversion_and_kind_left_out_come_from_the_url(editor_api, storage_class):
    manifest = cluster_manifest(storage_class)
    del manifest["apiVersion"], manifest["kind"]
    response = post(editor_api, CLUSTERS, manifest)
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "Cluster"


def test_a_manifest_of_the_other_kind_is_a_bad_request(editor_api, storage_class):
    body = status_of(post(editor_api, CLUSTERS, tkc_manifest(storage_class)), 400, "BadRequest")
    assert "does not match the expected API version (cluster.x-k8s.io/v1beta1)" in body["message"]
    assert not VksCluster.objects.exists()


def test_another_namespace_in_the_body_is_a_bad_request(editor_api, storage_class):
    manifest = cluster_manifest(storage_class)
    manifest["metadata"]["namespace"] = "team-b"
    body = status_of(post(editor_api, CLUSTERS, manifest), 400, "BadRequest")
    assert body["message"] == (
        "the namespace of the provided object does not match the namespace sent on the request"
    )


def test_an_invalid_manifest_is_422_invalid_with_a_cause_per_field(
    editor_api,
    storage_class,
):
    manifest = cluster_manifest(storage_class)
    manifest["spec"]["topology"]["controlPlane"]["replicas"] = "three"
    manifest["spec"]["topology"]["variables"] = [{"name": "storageClass", "value": storage_class}]
    body = status_of(post(editor_api, CLUSTERS, manifest, as_yaml=True), 422, "Invalid")
    causes = {c["field"]: c for c in body["details"]["causes"]}
    assert set(causes) == {"spec.topology.controlPlane.replicas", "spec.topology.variables"}
    assert causes["spec.topology.controlPlane.replicas"] == {
        "reason": "FieldValueInvalid",
        "message": 'Invalid value: "three": must be an integer',
        "field": "spec.topology.controlPlane.replicas",
    }
    assert causes["spec.topology.variables"]["reason"] == "FieldValueRequired"
    assert body["details"]["name"] == "web"
    assert body["details"]["group"] == "cluster.x-k8s.io"
    assert body["details"]["kind"] == "Cluster"
    assert body["message"].startswith('Cluster.cluster.x-k8s.io "web" is invalid: [')
    assert not VksCluster.objects.exists()


def test_admission_refusals_are_invalid_too(editor_api, storage_class):
    manifest = cluster_manifest(storage_class)
    manifest["spec"]["topology"]["controlPlane"]["replicas"] = 2
    body = status_of(post(editor_api, CLUSTERS, manifest), 422, "Invalid")
    assert [c["field"] for c in body["details"]["causes"]] == [
        "spec.topology.controlPlane.replicas"
    ]
    assert "odd number" in body["message"]


def test_limits_exceeded_are_403_forbidden_as_admission_denies_them(
    editor_api, namespace, storage_class
):
    Namespace.objects.filter(pk=namespace.pk).update(memory_limit_mib=1024)
    body = status_of(post(editor_api, CLUSTERS, cluster_manifest(storage_class)), 403, "Forbidden")
    assert body["message"].startswith(
        'clusters.cluster.x-k8s.io "web" is forbidden: The cluster needs '
    )
    assert "namespace team-a has 1 GiB left of its 1 GiB limit" in body["message"]
    assert body["details"] == {"name": "web", "group": "cluster.x-k8s.io", "kind": "clusters"}
    assert not VksCluster.objects.exists()


def test_a_body_that_is_not_yaml_is_a_bad_request(editor_api, namespace):
    response = editor_api.post(CLUSTERS, "kind: [Cluster", content_type="application/yaml")
    body = status_of(response, 400, "BadRequest")
    assert body["message"].startswith("error converting YAML to JSON: ")


def test_a_body_of_another_media_type_is_415(editor_api, namespace):
    response = editor_api.post(CLUSTERS, "name=web", content_type="text/plain")
    status_of(response, 415, "UnsupportedMediaType")


def test_a_name_taken_is_409_already_exists(editor_api, web, storage_class):
    body = status_of(
        post(editor_api, CLUSTERS, cluster_manifest(storage_class)), 409, "AlreadyExists"
    )
    assert body["message"] == 'clusters.cluster.x-k8s.io "web" already exists'
    assert body["details"] == {"name": "web", "group": "cluster.x-k8s.io", "kind": "clusters"}
    # The name decides, whatever else admission finds (kubectl create twice).
    manifest = cluster_manifest(storage_class)
    manifest["spec"]["topology"]["controlPlane"]["replicas"] = 2
    status_of(post(editor_api, CLUSTERS, manifest), 409, "AlreadyExists")
    # Also by a cluster of the other kind: one name per namespace.
    manifest = tkc_manifest(storage_class, name="web")
    body = status_of(post(editor_api, TKCS, manifest), 409, "AlreadyExists")
    assert body["message"] == 'tanzukubernetesclusters.run.tanzu.vmware.com "web" already exists'


# ---------------------------------------------------------------- who sees what


def test_a_viewer_reads_but_may_not_create(kube_as, viewer, web, storage_class):
    client = kube_as(viewer)
    listed = client.get(CLUSTERS)
    assert listed.status_code == 200
    body = listed.json()
    assert (body["apiVersion"], body["kind"]) == ("cluster.x-k8s.io/v1beta1", "ClusterList")
    assert body["metadata"]["resourceVersion"]
    assert [i["metadata"]["name"] for i in body["items"]] == ["web"]
    assert client.get(f"{CLUSTERS}/web").status_code == 200
    refused = status_of(
        post(client, CLUSTERS, cluster_manifest(storage_class, "x")), 403, "Forbidden"
    )
    assert refused["message"] == (
        'clusters.cluster.x-k8s.io is forbidden: User "sso:vera@vsphere.local" cannot create '
        'resource "clusters" in API group "cluster.x-k8s.io" in the namespace "team-a"'
    )
    refused = status_of(client.delete(f"{CLUSTERS}/web"), 403, "Forbidden")
    assert 'cannot delete resource "clusters"' in refused["message"]
    assert not VksCluster.objects.get(name="web").is_deleting


def test_a_stranger_finds_no_namespace(kube_as, stranger, web):
    client = kube_as(stranger)
    body = status_of(client.get(CLUSTERS), 404, "NotFound")
    assert body["message"] == 'namespaces "team-a" not found'
    assert body["details"] == {"name": "team-a", "kind": "namespaces"}
    status_of(client.get(f"{CLUSTERS}/web"), 404, "NotFound")
    status_of(client.delete(f"{CLUSTERS}/web"), 404, "NotFound")
    status_of(client.get(f"{SECRETS}/web-kubeconfig"), 404, "NotFound")


def test_the_list_of_all_namespaces_holds_what_the_caller_may_see(
    kube_as,
    admin,
    viewer,
    stranger,
    web,
    storage_class,
):
    team_b = Namespace.objects.create(name="team-b", supervisor=web.namespace.supervisor)
    VksCluster.objects.create(name="other", namespace=team_b, spec=web.spec)
    NamespaceAccess.objects.create(
        namespace=team_b, subject_type="USER", subject="sam", role="VIEW"
    )

    def names(user) -> list[str]:
        body = kube_as(user).get(f"{CAPI}/clusters").json()
        assert body["kind"] == "ClusterList"
        return [f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in body["items"]]

    assert names(admin) == ["team-a/web", "team-b/other"]
    assert names(viewer) == ["team-a/web"]
    assert names(stranger) == ["team-b/other"]
    assert kube_as(admin).get(f"{TKC}/tanzukubernetesclusters").json()["items"] == []


def test_a_logged_in_browser_reads_and_writes_with_the_csrf_token(editor, web, storage_class):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert [i["metadata"]["name"] for i in client.get(CLUSTERS).json()["items"]] == ["web"]
    manifest = cluster_manifest(storage_class, "shop")
    body = status_of(post(client, CLUSTERS, manifest), 403, "Forbidden")
    assert "CSRF" in body["message"]
    assert not VksCluster.objects.filter(name="shop").exists()
    client.get("/workload-management/")  # a page sets the CSRF cookie, as in a browser
    token = client.cookies["csrftoken"].value
    response = client.post(
        CLUSTERS, json.dumps(manifest), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.content
    assert VksCluster.objects.filter(name="shop").exists()


def test_an_automation_api_session_reads_and_writes(editor, web, storage_class):
    client = APIClient()
    open_session(client, editor.username)  # then sends vmware-api-session-id on every call
    assert [i["metadata"]["name"] for i in client.get(CLUSTERS).json()["items"]] == ["web"]
    response = post(client, CLUSTERS, cluster_manifest(storage_class, "shop"))
    assert response.status_code == 201, response.content
    assert response.json()["metadata"]["name"] == "shop"


def test_no_credentials_is_401_unauthorized(kube_as, web, editor):
    body = status_of(Client().get(CLUSTERS), 401, "Unauthorized")
    assert body["message"]
    client = Client(HTTP_VMWARE_API_SESSION_ID="not-a-token")
    status_of(client.get(f"{CAPI}/clusters"), 401, "Unauthorized")
    status_of(client.get(f"{SECRETS}/web-kubeconfig"), 401, "Unauthorized")
    client = Client(HTTP_AUTHORIZATION="Bearer not-a-token")
    status_of(client.get(CLUSTERS), 401, "Unauthorized")
    # A token for a VKS cluster's API is not one for the Supervisor's.
    client = kube_as(editor, audience=tokens.cluster_audience(web))
    status_of(client.get(CLUSTERS), 401, "Unauthorized")


def test_an_unknown_path_is_a_404_status(editor_api):
    body = status_of(editor_api.get(f"{CAPI}/widgets"), 404, "NotFound")
    assert body["message"] == "the server could not find the requested resource"
    status_of(editor_api.get("/apis/no.such.group/v1/things"), 404, "NotFound")
    status_of(editor_api.get("/api/v1/namespaces/team-a/configmaps"), 404, "NotFound")


# ---------------------------------------------------------------- replace


def test_put_scaling_a_node_pool_bumps_the_generation_and_the_version(editor_api, web):
    document = editor_api.get(f"{CLUSTERS}/web").json()
    before = version(document)
    document["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] = 4
    response = put(editor_api, f"{CLUSTERS}/web", document)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["metadata"]["generation"] == 2 and version(body) > before
    assert version(editor_api.get(f"{CLUSTERS}/web").json()) == version(body)
    assert body["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] == 4
    web.refresh_from_db()
    assert web.generation == 2 and web.spec["topology"]["nodePools"][0]["replicas"] == 4


def test_put_of_a_tkc_in_yaml(editor_api, storage_class):
    assert post(editor_api, TKCS, tkc_manifest(storage_class)).status_code == 201
    document = editor_api.get(f"{TKCS}/tkc").json()
    document["spec"]["topology"]["nodePools"][0]["replicas"] = 3
    response = editor_api.put(
        f"{TKCS}/tkc", yaml.safe_dump(document), content_type="application/yaml"
    )
    assert response.status_code == 200, response.content
    assert response.json()["metadata"]["generation"] == 2
    assert version(response.json()) > version(document)


def test_a_tkcs_cluster_is_read_only_as_a_cluster(editor_api, storage_class):
    assert post(editor_api, TKCS, tkc_manifest(storage_class)).status_code == 201
    document = editor_api.get(f"{CLUSTERS}/tkc").json()
    document["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] = 5
    body = status_of(put(editor_api, f"{CLUSTERS}/tkc", document), 409, "Conflict")
    assert 'managed by TanzuKubernetesCluster "tkc"' in body["message"]
    status_of(editor_api.delete(f"{CLUSTERS}/tkc"), 409, "Conflict")
    tkc = VksCluster.objects.get(name="tkc")
    assert tkc.generation == 1 and not tkc.is_deleting


def test_put_with_a_stale_resource_version_is_409_and_changes_nothing(editor, editor_api, web):
    stale = editor_api.get(f"{CLUSTERS}/web").json()
    clusters.cluster_scale(
        cluster=web, pool="node-pool-1", replicas=3, generation=1, user=editor
    )  # someone else's change: generation 2
    stale["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] = 5
    body = status_of(put(editor_api, f"{CLUSTERS}/web", stale), 409, "Conflict")
    assert body["message"] == (
        'Operation cannot be fulfilled on clusters.cluster.x-k8s.io "web": the object has been '
        "modified; please apply your changes to the latest version and try again."
    )
    assert body["details"] == {"name": "web", "group": "cluster.x-k8s.io", "kind": "clusters"}
    web.refresh_from_db()
    assert web.generation == 2 and web.spec["topology"]["nodePools"][0]["replicas"] == 3


def test_a_stale_tkc_names_its_own_resource(editor, editor_api, storage_class):
    assert post(editor_api, TKCS, tkc_manifest(storage_class)).status_code == 201
    stale = editor_api.get(f"{TKCS}/tkc").json()
    tkc = VksCluster.objects.get(name="tkc")
    clusters.cluster_scale(cluster=tkc, pool="worker", replicas=3, generation=1, user=editor)
    body = status_of(put(editor_api, f"{TKCS}/tkc", stale), 409, "Conflict")
    assert body["message"].startswith(
        'Operation cannot be fulfilled on tanzukubernetesclusters.run.tanzu.vmware.com "tkc": '
    )
    assert body["details"]["kind"] == "tanzukubernetesclusters"


@pytest.mark.parametrize("given", ["stale", "one", "-1"])
def test_a_stale_or_malformed_resource_version_is_409_on_put_and_delete(
    editor, editor_api, web, given
):
    stale = editor_api.get(f"{CLUSTERS}/web").json()["metadata"]["resourceVersion"]
    clusters.cluster_scale(cluster=web, pool="node-pool-1", replicas=3, generation=1, user=editor)
    document = editor_api.get(f"{CLUSTERS}/web").json()
    document["metadata"]["resourceVersion"] = stale if given == "stale" else given
    status_of(put(editor_api, f"{CLUSTERS}/web", document), 409, "Conflict")
    options = {"kind": "DeleteOptions", "preconditions": {"resourceVersion": given}}
    response = editor_api.delete(
        f"{CLUSTERS}/web", json.dumps(options), content_type="application/json"
    )
    status_of(response, 409, "Conflict")
    web.refresh_from_db()
    assert web.generation == 2 and not web.is_deleting


def test_metadata_generation_in_a_body_is_no_precondition(editor, editor_api, web):
    """The API server sets `generation` itself and ignores the one a client sends."""
    clusters.cluster_scale(cluster=web, pool="node-pool-1", replicas=3, generation=1, user=editor)
    document = editor_api.get(f"{CLUSTERS}/web").json()
    del document["metadata"]["resourceVersion"]
    document["metadata"]["generation"] = 1  # stale
    document["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] = 4
    response = put(editor_api, f"{CLUSTERS}/web", document)
    assert response.status_code == 200, response.content
    assert response.json()["metadata"]["generation"] == 3


def test_put_without_a_version_replaces_unconditionally(editor_api, web, storage_class):
    response = put(editor_api, f"{CLUSTERS}/web", cluster_manifest(storage_class, workers=3))
    assert response.status_code == 200, response.content
    assert response.json()["metadata"]["generation"] == 2


def test_put_of_another_name_is_a_bad_request(editor_api, web, storage_class):
    body = status_of(
        put(editor_api, f"{CLUSTERS}/web", cluster_manifest(storage_class, "shop")),
        400,
        "BadRequest",
    )
    assert (
        body["message"] == "the name of the object (shop) does not match the name on the URL (web)"
    )


def test_put_of_a_missing_cluster_is_404(editor_api, namespace, storage_class):
    body = status_of(
        put(editor_api, f"{CLUSTERS}/web", cluster_manifest(storage_class)), 404, "NotFound"
    )
    assert body["message"] == 'clusters.cluster.x-k8s.io "web" not found'


def test_a_viewer_may_not_replace(kube_as, viewer, web):
    client = kube_as(viewer)
    document = client.get(f"{CLUSTERS}/web").json()
    body = status_of(put(client, f"{CLUSTERS}/web", document), 403, "Forbidden")
    assert 'cannot update resource "clusters"' in body["message"]


# ---------------------------------------------------------------- delete


def test_delete_answers_the_object_being_deleted(editor_api, web):
    response = editor_api.delete(f"{CLUSTERS}/web")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["metadata"]["deletionTimestamp"]
    assert body["status"]["phase"] == "Deleting"
    web.refresh_from_db()
    assert web.is_deleting
    # Twice is once; a change to a cluster being deleted is refused.
    assert editor_api.delete(f"{CLUSTERS}/web").status_code == 200
    status_of(put(editor_api, f"{CLUSTERS}/web", body), 409, "Conflict")


def test_delete_with_a_stale_precondition_is_409(editor, editor_api, web):
    clusters.cluster_scale(cluster=web, pool="node-pool-1", replicas=3, generation=1, user=editor)
    options = {"kind": "DeleteOptions", "preconditions": {"resourceVersion": "1"}}
    response = editor_api.delete(
        f"{CLUSTERS}/web", json.dumps(options), content_type="application/json"
    )
    status_of(response, 409, "Conflict")
    web.refresh_from_db()
    assert not web.is_deleting


# ---------------------------------------------------------------- the kubeconfig Secret


def test_the_kubeconfig_secret_for_can_edit(editor_api, kube_as, viewer, web):
    drive(web)
    web.refresh_from_db()
    response = editor_api.get(f"{SECRETS}/web-kubeconfig")
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]  # credentials: never kept by a cache
    secret = response.json()
    assert (secret["apiVersion"], secret["kind"]) == ("v1", "Secret")
    assert secret["type"] == "cluster.x-k8s.io/secret"
    assert secret["metadata"]["name"] == "web-kubeconfig"
    assert secret["metadata"]["labels"] == {"cluster.x-k8s.io/cluster-name": "web"}
    config = yaml.safe_load(base64.b64decode(secret["data"]["value"]))
    assert config["current-context"] == "web-admin@web"
    assert config["clusters"][0]["cluster"]["server"] == "https://testserver:8443/vks/team-a/web"
    assert config["users"][0]["user"]["token"]  # for the reader: workloads.kubeconfig's tests
    body = status_of(kube_as(viewer).get(f"{SECRETS}/web-kubeconfig"), 403, "Forbidden")
    assert body["message"] == (
        'secrets "web-kubeconfig" is forbidden: User "sso:vera@vsphere.local" cannot get '
        'resource "secrets" in API group "" in the namespace "team-a"'
    )


def test_no_kubeconfig_secret_before_the_api_endpoint(editor_api, web):
    body = status_of(editor_api.get(f"{SECRETS}/web-kubeconfig"), 404, "NotFound")
    assert body["message"] == 'secrets "web-kubeconfig" not found'
    status_of(editor_api.get(f"{SECRETS}/web"), 404, "NotFound")
    status_of(editor_api.get(f"{SECRETS}/nothing-kubeconfig"), 404, "NotFound")


# ---------------------------------------------------------------- schema and cost


def test_openapi_v3_names_operations_as_the_api_server_does(editor_api):
    def document(group_version: str) -> dict:
        root = editor_api.get("/openapi/v3").json()["paths"]
        return editor_api.get(root[f"apis/{group_version}"]["serverRelativeURL"]).json()

    paths = document("cluster.x-k8s.io/v1beta1")["paths"]
    assert paths[f"{CAPI}/namespaces/{{namespace}}/clusters"]["post"]["operationId"] == (
        "createClusterXK8sIoV1beta1NamespacedCluster"
    )
    paths = document("run.tanzu.vmware.com/v1alpha3")["paths"]
    assert paths[f"{TKC}/namespaces/{{namespace}}/tanzukubernetesclusters/{{name}}"]["put"][
        "operationId"
    ] == ("replaceRunTanzuVmwareComV1alpha3NamespacedTanzuKubernetesCluster")
    # The REST front door's schema describes the vSphere Automation API alone.
    rest = Client().get("/api/openapi.json").json()["paths"]
    assert "/api/session" in rest
    assert not [p for p in rest if p.startswith(("/apis/", "/api/v1/"))]


def test_the_list_costs_the_same_for_1_or_5_clusters(
    editor,
    editor_api,
    web,
    storage_class,
    django_assert_num_queries,
):
    def count() -> int:
        return len(editor_api.get(CLUSTERS).json()["items"])

    # The token's user; the namespace, the user's groups, vCenter role and the role its
    # access entries grant there (may the user see it); the list's resourceVersion; the
    # clusters, their namespaces and Supervisors (two prefetches); the objects'
    # resourceVersions (one query for all).
    queries = 10
    with django_assert_num_queries(queries):
        assert count() == 1
    for i in range(4):
        manifest = copy.deepcopy(spec(storage_class, workers=1))
        clusters.cluster_create(namespace=web.namespace, name=f"c{i}", spec=manifest, user=editor)
    drive(VksCluster.objects.get(name="c0"))  # one with nodes
    with django_assert_num_queries(queries):
        assert count() == 5


@pytest.mark.parametrize(
    ("url", "make", "network", "field"),
    [
        (
            TKCS,
            tkc_manifest,
            lambda m: m["spec"].setdefault("settings", {}).setdefault("network", {}),
            "spec.settings.network.services.cidrBlocks",
        ),
        (
            CLUSTERS,
            cluster_manifest,
            lambda m: m["spec"].setdefault("clusterNetwork", {}),
            "spec.clusterNetwork.services.cidrBlocks",
        ),
    ],
    ids=["tkc", "cluster"],
)
def test_an_admission_refusal_names_the_field_as_the_manifest_writes_it(
    editor_api, storage_class, url, make, network, field
):
    """Admission checks the portal's one spec; the Status names the manifest's own field."""
    manifest = make(storage_class)
    network(manifest)["services"] = {"cidrBlocks": ["10.96.0.0/33"]}
    body = status_of(post(editor_api, url, manifest), 422, "Invalid")
    assert [c["field"] for c in body["details"]["causes"]] == [field]
    assert f"{field}: Invalid value: " in body["message"]
