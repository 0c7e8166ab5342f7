"""vSphere Namespaces: created and removed by the reconciler; a Supervisor holding them cannot
be disabled."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from inventory.models import Folder, ResourcePool, Task
from tests.workloads.conftest import settle
from tests.workloads.test_supervisor import converge
from workloads import reconcilers, services
from workloads.models import Namespace
from workloads.specs import SpecError

pytestmark = pytest.mark.django_db


def test_create_namespace_configures_its_pool_and_folder(admin, supervisor, cluster):
    ns = services.namespace_create(supervisor=supervisor, name="team-a", user=admin)
    assert ns.config_status == "CONFIGURING"
    settle(ns)
    ns.refresh_from_db()
    assert (ns.config_status, ns.observed_generation) == ("RUNNING", ns.generation)
    pool = ResourcePool.objects.get(cluster=cluster, name="team-a")
    assert pool.parent.name == "Namespaces"
    assert Folder.objects.get(name="team-a").parent.name == "Namespaces"
    assert Task.objects.get(name="Create namespace").state == "success"
    assert reconcilers.namespace_reconcile(ns.pk) is None, "converged: twice = once"
    assert ResourcePool.objects.filter(name="team-a").count() == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [("Team_A", "at most 63 characters"), ("a" * 64, "at most 63 characters"), ("-a", "starting")],
)
def test_bad_namespace_name_is_refused(admin, supervisor, name, message):
    with pytest.raises(SpecError, match=message):
        services.namespace_create(supervisor=supervisor, name=name, user=admin)
    assert not Namespace.objects.exists()


def test_namespace_names_are_unique_across_the_vcenter(admin, supervisor):
    services.namespace_create(supervisor=supervisor, name="team-a", user=admin)
    with pytest.raises(SpecError, match="already exists in this vCenter Server"):
        services.namespace_create(supervisor=supervisor, name="team-a", user=admin)


def test_only_administrators_create_namespaces(auditor, supervisor):
    with pytest.raises(PermissionDenied):
        services.namespace_create(supervisor=supervisor, name="team-a", user=auditor)


def test_disable_is_refused_while_namespaces_exist_and_names_them(admin, supervisor):
    for name in ("team-b", "team-a"):
        settle(services.namespace_create(supervisor=supervisor, name=name, user=admin))
    with pytest.raises(services.SupervisorStateError, match="team-a, team-b"):
        services.supervisor_disable(supervisor=supervisor, user=admin)
    supervisor.refresh_from_db()
    assert not supervisor.is_deleting and supervisor.config_status == "RUNNING"


def test_disable_page_shows_the_refusal(admin_client, admin, supervisor):
    settle(services.namespace_create(supervisor=supervisor, name="team-a", user=admin))
    url = reverse("workloads:supervisor-disable", args=[supervisor.supervisor_id])
    response = admin_client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert b"team-a" in response.content


def test_deleted_namespace_goes_and_then_the_supervisor_can_be_disabled(admin, supervisor):
    ns = services.namespace_create(supervisor=supervisor, name="team-a", user=admin)
    settle(ns)
    ns = services.namespace_delete(namespace=ns, user=admin)
    assert ns.config_status == "REMOVING"
    settle(ns)
    assert not Namespace.objects.exists()
    assert not ResourcePool.objects.filter(name="team-a").exists()
    assert not Folder.objects.filter(name="team-a").exists()
    services.supervisor_disable(supervisor=supervisor, user=admin)
    assert converge(supervisor)[-1] == "GONE"


def test_supervisors_list_counts_namespaces(admin_client, admin, supervisor):
    services.namespace_create(supervisor=supervisor, name="team-a", user=admin)
    response = admin_client.get(reverse("workloads:home-tab", args=["supervisors"]))
    assert response.context["page"][0].namespace_count == 1
