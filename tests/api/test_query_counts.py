"""API lists cost a fixed number of queries, however many namespaces or classes there are."""

from __future__ import annotations

import pytest

from tests.api.conftest import NM, NS, warmed
from workloads.models import Namespace, NamespaceAccess

pytestmark = pytest.mark.django_db


def more_namespaces(supervisor, count: int, *, grant: str | None = None) -> None:
    start = Namespace.objects.filter(name__startswith="bulk-").count()
    rows = Namespace.objects.bulk_create(
        Namespace(name=f"bulk-{start + i}", supervisor=supervisor) for i in range(count)
    )
    if grant:
        NamespaceAccess.objects.bulk_create(
            NamespaceAccess(namespace=ns, subject_type="USER", subject=grant, role="VIEW")
            for ns in rows
        )


# After a client's first call (warmed): its session and user with the user's vCenter role, one
# statement. The idle clock is written at most once a minute (VKS_SESSION_TOUCH_SECONDS), not
# by these calls right after it opened.
SESSION = 1


def test_the_namespace_list_costs_the_same_for_2_or_30(
    admin_api, namespace, django_assert_num_queries
):
    warmed(admin_api)
    more_namespaces(namespace.supervisor, 1)
    # + the namespaces with their Supervisors' ids (one join), one grouped usage sum
    with django_assert_num_queries(SESSION + 2):
        assert len(admin_api.get(NS).json()) == 2
    more_namespaces(namespace.supervisor, 28)
    with django_assert_num_queries(SESSION + 2):
        assert len(admin_api.get(NS).json()) == 30


def test_a_developers_namespace_list_costs_the_same_for_1_or_30(
    api_as, viewer, namespace, django_assert_num_queries
):
    client = warmed(api_as(viewer))
    # + the user's groups (for the access entries), the namespaces with their Supervisors' ids,
    # one grouped usage sum
    with django_assert_num_queries(SESSION + 3):
        assert len(client.get(NS).json()) == 1
    more_namespaces(namespace.supervisor, 29, grant="vera")
    with django_assert_num_queries(SESSION + 3):
        assert len(client.get(NS).json()) == 30


def test_the_vm_class_list_costs_the_same_however_many_namespaces_use_them(
    admin, admin_api, namespace, django_assert_num_queries
):
    warmed(admin_api)
    # + the classes, their namespaces (one prefetch)
    with django_assert_num_queries(SESSION + 2):
        admin_api.get(f"{NM}/virtual-machine-classes")
    more_namespaces(namespace.supervisor, 10)
    for ns in Namespace.objects.all():
        ns.vm_classes.set(ns.vm_classes.model.objects.all())
    with django_assert_num_queries(SESSION + 2):
        rows = admin_api.get(f"{NM}/virtual-machine-classes").json()
    assert len(rows[0]["namespaces"]) == 11


def test_the_supervisor_lists_are_one_query(admin_api, supervisor, django_assert_num_queries):
    warmed(admin_api)
    # + the Supervisors with their clusters and every capacity and usage sum (one statement)
    with django_assert_num_queries(SESSION + 1):
        rows = admin_api.get(f"{NM}/clusters").json()
    assert [r["cluster"] for r in rows] == [supervisor.cluster.moid]
    with django_assert_num_queries(SESSION + 1):
        assert len(admin_api.get(f"{NM}/supervisors/summaries").json()["items"]) == 1
