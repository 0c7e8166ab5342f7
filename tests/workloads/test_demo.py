"""The demo's Workload Management: a running Supervisor, two namespaces with the developer groups'
permissions and a VKS cluster in each, made through the services; a rerun changes nothing."""

from __future__ import annotations

import pytest

from tests.workloads.conftest import drive, settle
from tests.workloads.test_supervisor import converge
from workloads import demo, services
from workloads.access import namespace_role
from workloads.models import Namespace, Supervisor, VksCluster
from workloads.services.clusters import cluster_delete

pytestmark = pytest.mark.django_db


def test_demo_brings_up_supervisor_namespaces_and_clusters(django_user_model):
    demo.load()
    sup = Supervisor.objects.get()
    assert (sup.cluster.name, sup.config_status) == ("Workload-Cluster-01", "RUNNING")
    assert sorted(Namespace.objects.values_list("name", flat=True)) == ["payments", "storefront"]
    assert {c.name: (c.phase, c.nodes.count()) for c in VksCluster.objects.all()} == {
        "payments-prod": ("Provisioned", 6),
        "storefront-dev": ("Provisioned", 3),
    }
    bob = django_user_model.objects.get(username="bob@vsphere.local")
    assert namespace_role(bob, Namespace.objects.get(name="payments")) == "EDIT"
    assert namespace_role(bob, Namespace.objects.get(name="storefront")) is None
    demo.load()
    assert VksCluster.objects.count() == 2 and Supervisor.objects.count() == 1


def test_a_disabled_demo_supervisor_is_not_brought_back(admin):
    demo.load()
    for cluster in VksCluster.objects.all():
        drive(cluster_delete(cluster=cluster, user=admin))
    for ns in Namespace.objects.all():
        settle(services.namespace_delete(namespace=ns, user=admin))
    sup = services.supervisor_disable(supervisor=Supervisor.objects.get(), user=admin)
    assert converge(sup)[-1] == "GONE"
    assert demo.load() == ["Workload Management was disabled here; the demo leaves it so."]
    assert not Supervisor.objects.exists()
