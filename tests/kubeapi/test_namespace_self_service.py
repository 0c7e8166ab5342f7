"""`kubectl create namespace` and `kubectl delete namespace` on the Supervisor: namespace
self-service for the developers its template allows (201 with the Namespace), Forbidden in the
API server's words for anyone else; deletion is the Owner's."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory.auth import NO_PERMISSION
from tests.conftest import PASSWORD
from tests.kubeapi.test_wcp import login, refusal
from tests.workloads.test_self_service import run, template_spec
from workloads import services
from workloads.models import Namespace

pytestmark = pytest.mark.django_db

NAMESPACES = "/api/v1/namespaces"


def namespace_body(name: str) -> str:
    # What `kubectl create namespace <name>` sends.
    return json.dumps(
        {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {"name": name, "creationTimestamp": None},
            "spec": {},
            "status": {},
        }
    )


@pytest.fixture
def dana(db):
    user = get_user_model().objects.create_user("dana@vsphere.local", password=PASSWORD)
    user.groups.add(Group.objects.create(name="Developers"))
    return user


@pytest.fixture
def activated(admin, supervisor, dana):
    return run(
        services.namespace_self_service_activate(
            supervisor=supervisor, user=admin, template="dev", spec=template_spec(supervisor)
        )
    )


def create(client, name: str):
    return client.post(NAMESPACES, namespace_body(name), content_type="application/json")


def test_an_allowed_developer_creates_a_namespace_with_kubectl(kube_as, activated, dana):
    client = kube_as(dana)
    answer = create(client, "dana-ns")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["kind"], body["metadata"]["name"], body["status"]["phase"]) == (
        "Namespace",
        "dana-ns",
        "Active",
    )
    ns = Namespace.objects.get(name="dana-ns")
    assert ns.self_service and ns.cpu_limit_mhz == 4000
    assert client.get(f"{NAMESPACES}/dana-ns").status_code == 200


def test_a_dry_run_creates_nothing(kube_as, activated, dana):
    answer = kube_as(dana).post(
        f"{NAMESPACES}?dryRun=All", namespace_body("dry"), content_type="application/json"
    )
    assert answer.status_code == 201
    assert not Namespace.objects.filter(name="dry").exists()


def test_a_developer_the_template_does_not_allow_is_forbidden(kube_as, activated, stranger):
    answer = create(kube_as(stranger), "sam-ns")
    assert answer.status_code == 403
    assert answer.json()["reason"] == "Forbidden"
    assert answer.json()["message"] == (
        'namespaces is forbidden: User "sso:sam@vsphere.local" cannot create resource "namespaces" '
        'in API group "" at the cluster scope'
    )
    assert not Namespace.objects.filter(name="sam-ns").exists()


def test_without_an_active_service_creating_is_forbidden(kube_as, supervisor, dana, viewer):
    assert create(kube_as(viewer), "vera-ns").status_code == 403


def test_a_bad_or_taken_name_is_answered_as_the_api_server_does(
    kube_as, activated, dana, namespace
):
    client = kube_as(dana)
    answer = create(client, "Bad_Name")
    assert answer.status_code == 422
    assert answer.json()["message"].startswith(
        'Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
        "a lowercase RFC 1123 label"
    )
    answer = create(client, namespace.name)
    assert answer.status_code == 409
    assert answer.json()["message"] == f'namespaces "{namespace.name}" already exists'


def test_the_owner_deletes_it_and_an_editor_may_not(kube_as, admin, activated, dana, editor):
    assert create(kube_as(dana), "dana-ns").status_code == 201
    ns = Namespace.objects.get(name="dana-ns")
    services.namespace_access_set(
        namespace=ns, subject_type="USER", subject="eddie", role="EDIT", user=dana
    )
    answer = kube_as(editor).delete(f"{NAMESPACES}/dana-ns")
    assert answer.status_code == 403
    assert kube_as(dana).delete(f"{NAMESPACES}/dana-ns").status_code == 200
    ns.refresh_from_db()
    assert ns.is_deleting
    assert kube_as(dana).delete(f"{NAMESPACES}/team-a").status_code == 404


def test_replacing_a_namespace_is_forbidden(kube_as, activated, dana):
    client = kube_as(dana)
    assert create(client, "dana-ns").status_code == 201
    answer = client.put(
        f"{NAMESPACES}/dana-ns", namespace_body("dana-ns"), content_type="application/json"
    )
    assert answer.status_code == 403


def test_a_developer_with_no_namespace_yet_logs_in_and_creates_one(activated, dana, client):
    """`kubectl vsphere login` lets in a developer the template allows, before any namespace;
    the token then creates one."""
    answer = login("dana@vsphere.local")
    assert answer.status_code == 200, answer.content
    token = answer.json()["session_id"]
    created = client.post(
        NAMESPACES,
        namespace_body("first-ns"),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert created.status_code == 201
    assert Namespace.objects.get(name="first-ns").creator == "VSPHERE.LOCAL\\dana"


def test_a_developer_the_template_no_longer_allows_may_not_log_in(admin, activated, dana):
    run(services.namespace_self_service_deactivate(supervisor=activated.supervisor, user=admin))
    assert refusal(login("dana@vsphere.local"), 401) == NO_PERMISSION
