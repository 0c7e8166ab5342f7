# ruff: noqa: F811  (the fixtures imported below are parameters of the tests)
"""The pages of namespace self-service: the Namespace Service on the Supervisor's Configure tab
(Activate with the template dialog, Edit, Deactivate) and a developer's New Namespace."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.workloads.test_self_service import (  # noqa: F401  (fixtures)
    activated,
    dana,
    developers,
    run,
    storage_policy,
)
from workloads import services
from workloads.models import Namespace, NamespaceSelfService

Status = NamespaceSelfService.Status


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def configure_url(supervisor) -> str:
    return reverse("workloads:supervisor-detail", args=[supervisor.supervisor_id, "configure"])


def service_url(supervisor) -> str:
    return reverse("workloads:namespace-service", args=[supervisor.supervisor_id])


def template_post(supervisor, **extra) -> dict:
    return {
        "template": "dev-template",
        "cpu_limit": "4000",
        "memory_limit": "",
        "storage_limit": "",
        "storage_policies": [str(storage_policy(supervisor).policy_id)],
        "vm_classes": ["best-effort-small"],
        "users": "",
        "groups": "Developers",
    } | extra


def test_configure_shows_the_namespace_service_deactivated_with_activate(admin_client, supervisor):
    page = admin_client.get(configure_url(supervisor)).content.decode()
    assert 'data-section="namespace-service" data-status="DEACTIVATED"' in page
    assert service_url(supervisor) in page and ">Activate</a>" in page


def test_activate_from_the_dialog_queues_the_task(admin_client, supervisor, developers):
    assert (
        "Activate Namespace Service" in admin_client.get(service_url(supervisor)).content.decode()
    )
    answer = admin_client.post(service_url(supervisor), template_post(supervisor))
    assert answer.status_code == 302 and answer.url == configure_url(supervisor)
    service = run(NamespaceSelfService.objects.get(supervisor=supervisor))
    assert service.status == Status.RUNNING and service.cpu_limit_mhz == 4000
    assert service.task.name == "Activate namespace self-service"
    page = admin_client.get(configure_url(supervisor)).content.decode()
    assert 'data-status="RUNNING"' in page and ">Deactivate</a>" in page


def test_the_dialog_shows_the_services_errors_at_their_fields(admin_client, supervisor, developers):
    answer = admin_client.post(
        service_url(supervisor), template_post(supervisor, cpu_limit="-3", groups="Nobody")
    )
    assert answer.status_code == 400
    form = answer.context["form"]
    assert set(form.errors) == {"cpu_limit", "groups"}
    assert "Group Nobody@vsphere.local was not found" in form.errors["groups"][0]
    assert not NamespaceSelfService.objects.exists()


def test_edit_and_deactivate(admin_client, activated):
    sup = activated.supervisor
    form = admin_client.get(service_url(sup)).context["form"]
    assert form.initial["groups"] == "Developers" and form.fields["template"].disabled
    answer = admin_client.post(service_url(sup), template_post(sup, cpu_limit="1000"))
    assert answer.status_code == 302
    assert run(activated).cpu_limit_mhz == 1000
    deactivate = reverse("workloads:namespace-service-deactivate", args=[sup.supervisor_id])
    asked = admin_client.get(deactivate)  # the confirmation; nothing changes yet
    assert asked.status_code == 200 and "Deactivate the Namespace Service" in asked.content.decode()
    assert run(activated).status == Status.RUNNING
    assert admin_client.post(deactivate).status_code == 302
    assert run(activated).status == Status.DEACTIVATED


def test_deactivate_from_its_dialog_replaces_the_configure_tab(admin_client, activated):
    deactivate = reverse(
        "workloads:namespace-service-deactivate", args=[activated.supervisor.supervisor_id]
    )
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dialog-form"}
    answer = admin_client.post(deactivate, **htmx)
    assert answer.status_code == 200 and answer["HX-Retarget"] == "#main"
    assert 'data-status="REMOVING"' in answer.content.decode()
    assert run(activated).status == Status.DEACTIVATED


def test_a_viewer_may_not_open_the_deactivate_confirmation(activated, auditor):
    deactivate = reverse(
        "workloads:namespace-service-deactivate", args=[activated.supervisor.supervisor_id]
    )
    client = logged_in(auditor)
    assert client.get(deactivate).status_code == 403
    assert client.post(deactivate).status_code == 403
    assert run(activated).status == Status.RUNNING


def test_a_viewer_may_not_open_or_post_the_dialog(viewer, supervisor, auditor):
    client = logged_in(auditor)
    assert client.get(service_url(supervisor)).status_code == 403
    assert client.post(service_url(supervisor), template_post(supervisor)).status_code == 403
    assert not NamespaceSelfService.objects.exists()


# ---------------------------------------------------------------- a developer's New Namespace


def test_an_allowed_developer_lands_on_namespaces_with_new_namespace(activated, dana):
    client = logged_in(dana)
    page = client.get(reverse("workloads:home")).content.decode()
    assert reverse("workloads:namespace-create") in page and "New Namespace" in page
    form = client.get(reverse("workloads:namespace-create"))
    assert form.status_code == 200
    assert 'class="fields self-service-fields"' in form.content.decode()


def test_a_developer_creates_a_namespace_from_the_form(activated, dana):
    client = logged_in(dana)
    answer = client.post(
        reverse("workloads:namespace-create"),
        {"supervisor": str(activated.supervisor.supervisor_id), "name": "dana-web"},
    )
    assert answer.status_code == 302
    assert answer.url == reverse("workloads:namespace-summary", args=["dana-web"])
    ns = Namespace.objects.get(name="dana-web")
    assert ns.self_service and ns.access.get().role == "OWNER"
    taken = client.post(
        reverse("workloads:namespace-create"),
        {"supervisor": str(activated.supervisor.supervisor_id), "name": "dana-web"},
    )
    assert taken.status_code == 400
    assert "already exists" in taken.context["form"].errors["name"][0]


def test_a_developer_no_template_allows_gets_no_form(activated, stranger):
    client = logged_in(stranger)
    assert "New Namespace" not in client.get(reverse("workloads:home")).content.decode()
    assert client.get(reverse("workloads:namespace-create")).status_code == 403


def test_a_developers_namespaces_page_queries_do_not_grow(
    activated, dana, django_assert_num_queries
):
    client = logged_in(dana)
    services.namespace_self_service_create(name="dana-1", user=dana)
    url = reverse("workloads:home")
    client.get(url)  # warm the session
    # session, user, its groups, its vCenter role (none), has_any_namespace, Supervisor count,
    # namespace count, the page of namespaces, the running namespace services (New Namespace)
    with django_assert_num_queries(9):
        client.get(url)
    for i in range(2, 7):
        services.namespace_self_service_create(name=f"dana-{i}", user=dana)
    with django_assert_num_queries(9):
        response = client.get(url)
    assert len(response.context["page"]) == 6
