# ruff: noqa: F811  (the fixtures imported below are parameters of the tests)
"""New Namespace in the portal (namespace self-service): a developer a namespace service allows
lands on My namespaces with the form, creates a namespace and owns it; a refused name comes back
at the form with nothing made; without a namespace service there is no form and no endpoint."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.workloads.test_self_service import (  # noqa: F401  (fixtures)
    activated,
    dana,
    developers,
    storage_policy,
)
from workloads.models import Namespace

NAMESPACES = reverse("portal:namespaces")
CREATE = reverse("portal:namespace-create")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_allowed_developer_without_namespaces_lands_on_new_namespace(activated, dana):
    client = logged_in(dana)
    landing = client.get("/")
    assert landing.status_code == 302 and landing.url == NAMESPACES
    page = client.get(NAMESPACES).content.decode()
    assert 'id="portal-new-namespace"' in page and f'action="{CREATE}"' in page


def test_a_developer_creates_a_namespace_and_owns_it(activated, dana):
    client = logged_in(dana)
    answer = client.post(
        CREATE, {"supervisor": str(activated.supervisor.supervisor_id), "name": "dana-web"}
    )
    assert answer.status_code == 302 and answer.url == NAMESPACES
    ns = Namespace.objects.get(name="dana-web")
    assert ns.self_service and ns.access.get().role == "OWNER"
    assert ns.cpu_limit_mhz == activated.cpu_limit_mhz  # the template's limits bind
    page = client.get(NAMESPACES).content.decode()
    assert "Namespace dana-web is being created" in page
    assert 'data-namespace="dana-web"' in page
    # With a namespace now, she lands on her clusters.
    assert client.get("/").url == reverse("portal:clusters")


def test_a_refused_name_comes_back_at_the_form_and_makes_nothing(activated, dana):
    client = logged_in(dana)
    supervisor = str(activated.supervisor.supervisor_id)
    answer = client.post(CREATE, {"supervisor": supervisor, "name": "Dana_Web"})
    assert answer.status_code == 400
    assert 'id="portal-new-namespace"' in answer.content.decode()
    assert answer.context["new_namespace"].errors["name"]
    assert not Namespace.objects.filter(name__iexact="dana_web").exists()


def test_without_a_namespace_service_there_is_no_form(editor, client):
    client.force_login(editor)
    assert 'id="portal-new-namespace"' not in client.get(NAMESPACES).content.decode()
    assert client.post(CREATE, {"name": "x"}).status_code == 404
    assert not Namespace.objects.filter(name="x").exists()
