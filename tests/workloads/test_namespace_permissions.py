"""The permissions matrix: every namespace page and dialog, for each member of the cast.

Can view sees the namespace; Owner also manages its permissions and may delete it;
administrators alone configure storage, limits and the VM Service; a user without a role gets
404 (the namespace's name does not leak), and one with a weaker role 403 with nothing changed.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from workloads.models import Namespace, NamespaceAccess

pytestmark = pytest.mark.django_db

CAST = ("admin", "auditor", "owner", "editor", "viewer", "stranger", "outsider")
PAGES = ("summary", "permissions", "storage", "compute")
CONFIGURE = ("storage-edit", "limits-edit", "vm-classes-edit", "libraries-edit")


def expected(role: str, need: str) -> int:
    """What `role` gets for an operation needing `need` (view, owner or configure)."""
    if role in ("stranger", "outsider"):
        return 404
    allowed = {
        "view": {"admin", "auditor", "owner", "editor", "viewer"},
        "owner": {"admin", "owner"},
        "configure": {"admin"},
    }[need]
    return 200 if role in allowed else 403


def urls(ns: Namespace) -> list[tuple[str, str]]:
    """(url, need) for every namespace view."""
    entry = NamespaceAccess.objects.filter(namespace=ns).first()
    name = ns.name
    rows = [(reverse("workloads:namespace-detail", args=[name, tab]), "view") for tab in PAGES]
    rows += [
        (reverse("workloads:namespace-permission-add", args=[name]), "owner"),
        (reverse("workloads:namespace-permission-edit", args=[name, entry.pk]), "owner"),
        (reverse("workloads:namespace-permission-remove", args=[name, entry.pk]), "owner"),
        (reverse("workloads:namespace-delete", args=[name]), "owner"),
        (reverse("workloads:namespace-kubernetes-library-edit", args=[name]), "configure"),
    ]
    rows += [
        (reverse(f"workloads:namespace-{kind}", args=[name]), "configure") for kind in CONFIGURE
    ]
    return rows


@pytest.fixture
def cast(request, admin, auditor, owner, editor, viewer, stranger, outsider):
    return {role: request.getfixturevalue(role) for role in CAST}


@pytest.mark.parametrize("role", CAST)
def test_every_namespace_view_answers_each_role_as_its_permission_says(
    client, cast, namespace, role
):
    client.force_login(cast[role])
    namespace.refresh_from_db()
    generation = namespace.generation
    for url, need in urls(namespace):
        assert client.get(url).status_code == expected(role, need), (role, "GET", url)
        if need != "view" and expected(role, need) != 200:  # pages are GET only (405)
            assert client.post(url).status_code == expected(role, need), (role, "POST", url)
    namespace.refresh_from_db()
    assert namespace.generation == generation and not namespace.is_deleting, "nothing changed"


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("auditor", 403), ("owner", 403), ("editor", 403), ("viewer", 403)],
)
def test_only_administrators_create_namespaces(client, cast, role, status):
    client.force_login(cast[role])
    url = reverse("workloads:namespace-create")
    assert client.get(url).status_code == status
    if status == 403:
        client.post(url, {"name": "sneaky"})
        assert not Namespace.objects.filter(name="sneaky").exists()


@pytest.mark.parametrize(
    ("role", "listed"),
    [
        ("admin", ["team-a", "team-z"]),
        ("auditor", ["team-a", "team-z"]),
        ("owner", ["team-a"]),
        ("viewer", ["team-a"]),
        ("stranger", ["team-z"]),
    ],
)
def test_the_namespaces_tab_lists_what_each_role_may_see(client, cast, role, listed):
    client.force_login(cast[role])
    response = client.get(reverse("workloads:home"))
    assert response.status_code == 200
    assert [ns.name for ns in response.context["page"]] == listed


def test_an_outsider_gets_403_on_workload_management(client, cast):
    client.force_login(cast["outsider"])
    assert client.get(reverse("workloads:home")).status_code == 403


def test_a_developer_lands_on_the_developer_portal_without_navigator(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("inventory:home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:clusters")
    assert b'id="navigator"' not in response.content
    assert client.get(reverse("inventory:tree-root", args=["hosts"])).status_code == 403
    assert client.get(reverse("inventory:recent-tasks")).status_code == 200
