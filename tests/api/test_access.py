"""`.../instances/{namespace}/access/{domain}/{subject}?type=USER|GROUP`: one entry of the access
list, Owners and administrators only for changes."""

from __future__ import annotations

import pytest

from tests.api.conftest import NS, error
from workloads.models import NamespaceAccess

pytestmark = pytest.mark.django_db

EDDIE = f"{NS}/team-a/access/vsphere.local/eddie"


def test_set_get_and_delete_a_users_role(admin_api, editor, namespace):
    assert admin_api.get(EDDIE, {"type": "USER"}).json() == {"role": "EDIT", "inherited": False}
    assert admin_api.put(f"{EDDIE}?type=USER", {"role": "VIEW"}).status_code == 204
    assert admin_api.get(EDDIE, {"type": "USER"}).json()["role"] == "VIEW"
    assert admin_api.delete(f"{EDDIE}?type=USER").status_code == 204
    response = admin_api.get(EDDIE, {"type": "USER"})
    assert response.status_code == 404
    assert error(response)[0] == "NOT_FOUND"
    assert not NamespaceAccess.objects.filter(subject="eddie").exists()


def test_create_grants_a_new_role_and_refuses_an_existing_one(api_as, owner, editor, namespace):
    client = api_as(owner)
    response = client.post(f"{EDDIE}?type=USER", {"role": "OWNER"})
    assert response.status_code == 400
    assert error(response) == (
        "ALREADY_EXISTS",
        ["subject: A permission for user eddie@vsphere.local already exists in namespace team-a."],
    )
    assert NamespaceAccess.objects.get(subject="eddie").role == "EDIT"
    client.delete(f"{EDDIE}?type=USER")
    assert client.post(f"{EDDIE}?type=USER", {"role": "VIEW"}).status_code == 204
    assert client.get(EDDIE, {"type": "USER"}).json()["role"] == "VIEW"


def test_a_groups_role_is_read_with_type_group(api_as, viewer, namespace):
    url = f"{NS}/team-a/access/vsphere.local/Viewers"
    assert api_as(viewer).get(url, {"type": "GROUP"}).json() == {"role": "VIEW", "inherited": False}
    assert api_as(viewer).get(url, {"type": "USER"}).status_code == 404


@pytest.mark.parametrize("query", ["", "?type=ROBOT"])
def test_the_type_is_required_and_checked(admin_api, editor, namespace, query):
    response = admin_api.put(f"{EDDIE}{query}", {"role": "VIEW"})
    assert response.status_code == 400
    error_type, (message,) = error(response)
    assert error_type == "INVALID_ARGUMENT" and message.startswith("type: ")


def test_an_unknown_role_or_subject_is_400(admin_api, namespace):
    response = admin_api.put(f"{EDDIE}?type=USER", {"role": "ADMIN"})
    assert error(response) == (
        "INVALID_ARGUMENT",
        ["role: expected one of OWNER, EDIT, VIEW, got 'ADMIN'"],
    )
    response = admin_api.put(f"{NS}/team-a/access/vsphere.local/nobody?type=USER", {"role": "VIEW"})
    assert response.status_code == 400
    assert error(response) == (
        "INVALID_ARGUMENT",
        ["subject: User nobody@vsphere.local was not found in the identity source."],
    )


def test_editors_may_not_change_permissions_and_strangers_do_not_see_them(
    api_as, editor, stranger, namespace
):
    response = api_as(editor).put(f"{EDDIE}?type=USER", {"role": "OWNER"})
    assert response.status_code == 403
    assert error(response)[0] == "UNAUTHORIZED"
    assert api_as(stranger).get(EDDIE, {"type": "USER"}).status_code == 404
    assert NamespaceAccess.objects.get(subject="eddie").role == "EDIT"
