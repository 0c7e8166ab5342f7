"""The Namespaces list and a namespace Summary cost a fixed number of queries, however many
namespaces, permissions and VM classes there are."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.conftest import PASSWORD
from workloads import services
from workloads.models import Namespace, NamespaceAccess, VirtualMachineClass

pytestmark = pytest.mark.django_db


def more_namespaces(supervisor, count: int) -> None:
    Namespace.objects.bulk_create(
        Namespace(name=f"bulk-{i}", supervisor=supervisor) for i in range(count)
    )


def fifty_permissions(namespace) -> None:
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"dev{i}@vsphere.local", password=PASSWORD) for i in range(50)
    )
    NamespaceAccess.objects.bulk_create(
        NamespaceAccess(
            namespace=namespace,
            subject_type="USER",
            subject=u.username.partition("@")[0],
            role="EDIT",
        )
        for u in users
    )


def test_namespaces_list_queries_do_not_grow(admin_client, namespace, django_assert_num_queries):
    url = reverse("workloads:home")
    admin_client.get(url)  # warm the session
    # session, user, its groups, its vCenter role, Supervisor count, namespace count, the page of
    # namespaces with usage and cluster counts as subqueries
    with django_assert_num_queries(7):
        admin_client.get(url)
    more_namespaces(namespace.supervisor, 60)
    with django_assert_num_queries(7):
        response = admin_client.get(url)
    assert len(response.context["page"]) == 50  # one page of VKS_PAGE_SIZE


def test_summary_with_50_permissions_and_16_vm_classes(
    admin, admin_client, namespace, django_assert_num_queries
):
    services.namespace_vm_classes_set(
        namespace=namespace,
        names=list(VirtualMachineClass.objects.values_list("name", flat=True)),
        user=admin,
    )
    url = reverse("workloads:namespace-summary", args=[namespace.name])
    admin_client.get(url)
    # session, user, the namespace (Supervisor, cluster, task, library joined), the user's
    # groups and vCenter role, usage, access list, storage used per policy, storage specs, the
    # counts of clusters / VM classes / libraries in one row, the library's release items, the
    # namespace's resource pool (the navigator reveals it)
    with django_assert_num_queries(12):
        admin_client.get(url)
    fifty_permissions(namespace)
    with django_assert_num_queries(12):
        response = admin_client.get(url)
    assert response.context["access_count"] == 50
    assert response.context["counts"].vm_classes == 16
