"""`kubectl auth can-i` against the Supervisor: SelfSubjectAccessReview and SelfSubjectRulesReview
answered from the vSphere Namespace roles, as the requests themselves would be."""

from __future__ import annotations

import json

import pytest

BASE = "/apis/authorization.k8s.io/v1"
TKC = {"group": "run.tanzu.vmware.com", "resource": "tanzukubernetesclusters"}


def can_i(kube, **attributes) -> dict:
    """What kubectl sends for `auth can-i <verb> <resource> -n <namespace>`."""
    body = {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "spec": {"resourceAttributes": attributes},
        "status": {"allowed": False},
    }
    answer = kube.post(
        f"{BASE}/selfsubjectaccessreviews", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    return answer.json()["status"]


@pytest.mark.parametrize(
    ("who", "verb", "allowed"),
    [
        ("editor", "create", True),
        ("editor", "delete", True),
        ("viewer", "list", True),
        ("viewer", "create", False),
        ("stranger", "get", False),
    ],
)
def test_can_i_follows_the_role_in_the_namespace(request, kube_as, namespace, who, verb, allowed):
    status = can_i(kube_as(request.getfixturevalue(who)), verb=verb, namespace="team-a", **TKC)
    assert status["allowed"] is allowed
    if who == "stranger":  # no role: no reason that would tell the namespace exists
        assert "reason" not in status
    elif allowed:
        assert '"team-a"' in status["reason"]


def test_can_i_on_a_type_the_server_does_not_write_or_serve(kube_as, editor, namespace):
    kube = kube_as(editor)
    assert not can_i(kube, verb="create", resource="virtualmachineimages",
                     group="vmoperator.vmware.com", namespace="team-a")["allowed"]  # fmt: skip
    assert not can_i(kube, verb="get", resource="deployments", group="apps")["allowed"]
    assert can_i(kube, verb="list", resource="namespaces", group="")["allowed"]
    # the status subresource is read, never written through the API
    assert can_i(kube, verb="get", subresource="status", namespace="team-a", **TKC)["allowed"]
    assert not can_i(kube, verb="update", subresource="status", namespace="team-a", **TKC)[
        "allowed"
    ]


def test_a_view_role_may_not_read_secrets(kube_as, viewer, namespace):
    status = can_i(kube_as(viewer), verb="get", resource="secrets", group="", namespace="team-a")
    assert status["allowed"] is False and "Can view" in status["reason"]


def test_rules_review_lists_what_the_role_allows(kube_as, viewer, namespace):
    body = {"kind": "SelfSubjectRulesReview", "spec": {"namespace": "team-a"}}
    answer = kube_as(viewer).post(
        f"{BASE}/selfsubjectrulesreviews", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    rules = {r["resources"][0]: r["verbs"] for r in answer.json()["status"]["resourceRules"]}
    assert rules["tanzukubernetesclusters"] == ["get", "list", "watch"]
    assert "secrets" not in rules
    assert answer.json()["status"]["incomplete"] is False


def test_reviews_are_only_created(kube_as, editor, namespace):
    kube = kube_as(editor)
    discovery = kube.get(BASE).json()["resources"]
    assert {r["name"]: r["verbs"] for r in discovery} == {
        "selfsubjectaccessreviews": ["create"],
        "selfsubjectrulesreviews": ["create"],
    }
    for answer in (
        kube.get(f"{BASE}/selfsubjectaccessreviews"),
        kube.get(f"{BASE}/selfsubjectaccessreviews?watch=1"),
        kube.get(f"{BASE}/selfsubjectaccessreviews/mine"),
        kube.delete(f"{BASE}/selfsubjectaccessreviews/mine"),
        kube.put(f"{BASE}/selfsubjectrulesreviews/mine", "{}", content_type="application/json"),
    ):
        assert answer.status_code == 405 and answer.json()["reason"] == "MethodNotAllowed"


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"resourceAttributes": {"verb": "get"}, "nonResourceAttributes": {"path": "/api"}},
        {"resourceAttributes": ["get"]},
        {"resourceAttributes": {"verb": 7}},
        "everything",
    ],
)
def test_a_malformed_review_is_a_4xx_naming_the_field(kube_as, editor, namespace, spec):
    body = {"kind": "SelfSubjectAccessReview", "spec": spec}
    answer = kube_as(editor).post(
        f"{BASE}/selfsubjectaccessreviews", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code in (400, 422), answer.content
    assert "spec" in answer.json()["message"]


def test_discovery_urls_are_open(kube_as, editor, namespace):
    body = {"kind": "SelfSubjectAccessReview", "spec": {"nonResourceAttributes": {}}}
    kube = kube_as(editor)
    for path, allowed in (("/version", True), ("/apis/x", True), ("/metrics", False)):
        body["spec"]["nonResourceAttributes"] = {"path": path, "verb": "get"}
        answer = kube.post(
            f"{BASE}/selfsubjectaccessreviews", json.dumps(body), content_type="application/json"
        )
        assert answer.json()["status"]["allowed"] is allowed, path


# What kubectl 1.32 sends for `auth can-i create tkc -n payments` and `auth can-i --list -n
# payments`: protobuf, captured with -v=9.
CAN_I_CREATE_TKC = bytes.fromhex(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f763112"
    "1753656c665375626a6563744163636573735265766965771267"
    "0a100a0012001a0022002a0032003800420012490a470a087061796d656e7473120663726561"
    "74651a1472756e2e74616e7a752e766d776172652e636f6d22002a1774616e7a"
    "756b756265726e65746573636c757374657273320" + "03a001a0808001200" + "1a0020001a002200"
)
CAN_I_LIST = bytes.fromhex(
    "6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f763112"
    "1653656c665375626a65637452756c657352657669657712240a100a0012001a"
    "0022002a00320038004200120a0a087061796d656e74731a041800220" + "01a002200"
)
PROTOBUF = "application/vnd.kubernetes.protobuf"


@pytest.fixture
def payments(namespace):
    from workloads.models import Namespace, NamespaceAccess

    ns = Namespace.objects.create(name="payments", supervisor=namespace.supervisor)
    NamespaceAccess.objects.create(namespace=ns, subject_type="USER", subject="eddie", role="EDIT")
    return ns


def test_kubectl_sends_its_reviews_as_protobuf(kube_as, editor, viewer, payments):
    answer = kube_as(editor).post(
        f"{BASE}/selfsubjectaccessreviews", CAN_I_CREATE_TKC, content_type=PROTOBUF
    )
    assert answer.status_code == 201, answer.content
    review = answer.json()
    assert review["spec"]["resourceAttributes"] == {
        "namespace": "payments",
        "verb": "create",
        "group": "run.tanzu.vmware.com",
        "version": "",
        "resource": "tanzukubernetesclusters",
        "subresource": "",
        "name": "",
    }
    assert review["status"]["allowed"] is True
    # vera holds no role in payments: no, and nothing said of it
    answer = kube_as(viewer).post(
        f"{BASE}/selfsubjectaccessreviews", CAN_I_CREATE_TKC, content_type=PROTOBUF
    )
    assert answer.json()["status"] == {"allowed": False}
    rules = kube_as(editor).post(
        f"{BASE}/selfsubjectrulesreviews", CAN_I_LIST, content_type=PROTOBUF
    )
    assert rules.status_code == 201, rules.content
    allowed = {r["resources"][0]: r["verbs"] for r in rules.json()["status"]["resourceRules"]}
    assert "create" in allowed["tanzukubernetesclusters"]


@pytest.mark.parametrize(
    "body",
    [
        b"k8s",
        b"k8s\x00\x0a",
        b"k8s\x00\x0a\xff",
        b"k8s\x00\x12\x05ab",
        b"\x0a\x00",
        CAN_I_LIST[:-3] + b"\x8f",
    ],
)
def test_a_broken_protobuf_body_is_a_400(kube_as, editor, namespace, body):
    answer = kube_as(editor).post(f"{BASE}/selfsubjectaccessreviews", body, content_type=PROTOBUF)
    assert answer.status_code == 400, answer.content
    assert "protobuf" in answer.json()["message"]


def test_other_types_take_no_protobuf(kube_as, editor, namespace):
    answer = kube_as(editor).post(
        "/apis/run.tanzu.vmware.com/v1alpha3/namespaces/team-a/tanzukubernetesclusters",
        CAN_I_LIST,
        content_type=PROTOBUF,
    )
    assert answer.status_code == 415


# ---------------------------------------------------------------- kubectl auth whoami

WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
# What kubectl 1.32 sends for `auth whoami`: protobuf, captured from a server that recorded it.
WHOAMI_PROTOBUF = bytes.fromhex(
    "6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631"
    "121153656c665375626a656374526576696577121a0a100a0012001a0022002a"
    "0032003800420012060a040a0012001a002200"
)


def test_whoami_names_the_user_and_its_sso_groups(kube_as, editor, viewer, namespace):
    answer = kube_as(viewer).post(WHOAMI, WHOAMI_PROTOBUF, content_type=PROTOBUF)
    assert answer.status_code == 201, answer.content
    review = answer.json()
    assert review["kind"] == "SelfSubjectReview"
    assert review["apiVersion"] == "authentication.k8s.io/v1"
    assert review["status"]["userInfo"] == {
        "username": "sso:vera@vsphere.local",
        "groups": ["sso:Viewers@vsphere.local", "system:authenticated"],
    }
    body = {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"}
    answer = kube_as(editor).post(WHOAMI, json.dumps(body), content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"]["userInfo"] == {
        "username": "sso:eddie@vsphere.local",
        "groups": ["system:authenticated"],
    }
    # the name the Forbidden messages give the same user
    forbidden = kube_as(viewer).get("/api/v1/namespaces/team-a/secrets")
    assert (
        forbidden.status_code == 403
        and 'User "sso:vera@vsphere.local"' in forbidden.json()["message"]
    )


def test_whoami_is_only_created_and_open_to_everyone(kube_as, stranger, namespace):
    kube = kube_as(stranger)
    discovery = kube.get("/apis/authentication.k8s.io/v1").json()["resources"]
    assert [(r["name"], r["verbs"]) for r in discovery] == [("selfsubjectreviews", ["create"])]
    assert kube.get(WHOAMI).status_code == 405
    assert kube.post(WHOAMI, b"k8s\x00\x0a\xff", content_type=PROTOBUF).status_code == 400
    assert can_i(kube, verb="create", group="authentication.k8s.io",
                 resource="selfsubjectreviews")["allowed"]  # fmt: skip


def test_whoami_on_a_vks_clusters_api(kube_as, viewer, namespace, storage_class):
    from kubeapi import tokens
    from tests.kubeapi.test_guest import make

    web = make(namespace, storage_class)
    kube = kube_as(viewer, audience=tokens.cluster_audience(web))
    answer = kube.post(f"/vks/team-a/web{WHOAMI}", WHOAMI_PROTOBUF, content_type=PROTOBUF)
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"]["userInfo"]["username"] == "sso:vera@vsphere.local"
