"""A page's query count does not grow with the inventory: the same pages are measured on the demo
estate and again after an estate ten times its size is added beside it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.estates import config_max
from inventory.models import Cluster, Datastore, Host, VirtualMachine

pytestmark = pytest.mark.django_db


def _pages(cluster: Cluster) -> dict[str, tuple[str, dict]]:
    host = cluster.hosts.order_by("name").first()
    vm = VirtualMachine.objects.filter(host=host).order_by("name").first()
    datastore = Datastore.objects.filter(hosts=host).order_by("name").first()

    def obj(moid, tab="summary", **params):
        return reverse("inventory:object", kwargs={"moid": moid, "tab": tab}), params

    return {
        "tree root": (reverse("inventory:tree-root", args=["hosts"]), {}),
        "tree revealing a VM": (
            reverse("inventory:tree-root", args=["hosts"]),
            {"reveal": vm.moid},
        ),
        "tree vCenter": (reverse("inventory:tree-children", args=["hosts", "group-d1"]), {}),
        "tree cluster": (reverse("inventory:tree-children", args=["hosts", cluster.moid]), {}),
        "tree cluster page 2": (
            reverse("inventory:tree-children", args=["hosts", cluster.moid]),
            {"page": 1},
        ),
        "tree host": (reverse("inventory:tree-children", args=["hosts", host.moid]), {}),
        "vCenter summary": obj("group-d1"),
        "vCenter VMs": obj("group-d1", "vms", sort="-cpu"),
        "vCenter hosts": obj("group-d1", "hosts", sort="memory"),
        "vCenter datastores": obj("group-d1", "datastores"),
        "vCenter networks": obj("group-d1", "networks"),
        "cluster summary": obj(cluster.moid),
        "cluster hosts": obj(cluster.moid, "hosts", q="a"),
        "cluster VMs": obj(cluster.moid, "vms", page=2),
        "cluster monitor": obj(cluster.moid, "monitor", sub="events"),
        "host summary": obj(host.moid),
        "host VMs": obj(host.moid, "vms"),
        "VM summary": obj(vm.moid),
        "VM networks": obj(vm.moid, "networks"),
        "datastore summary": obj(datastore.moid),
        "search": (reverse("inventory:search"), {"q": "0"}),
        # Three letters: names that start with them, then (folders have none) names with them.
        "search, infix": (reverse("inventory:search"), {"q": "esx"}),
        "search one type, page 2": (
            reverse("inventory:search"),
            {"q": "esx", "type": "Host", "page": 2},
        ),
        "search suggestions": (reverse("inventory:search-suggestions"), {"q": "esx"}),
        "tree revealing a VM in its folder": (
            reverse("inventory:tree-root", args=["vms"]),
            {"reveal": vm.moid},
        ),
        "tree revealing a port group": (
            reverse("inventory:tree-root", args=["networks"]),
            {"reveal": vm.networks.first().moid},
        ),
        "recent tasks": (reverse("inventory:recent-tasks"), {}),
        "recent tasks, failed": (reverse("inventory:recent-tasks"), {"filter": "failed"}),
    }


def _count(client, path: str, params: dict) -> int:
    # Each page as rendered for this request, never a render another request shared (the Recent
    # Tasks pane is shared for half a second): else a count would depend on the clock.
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, path
    return len(queries)


def test_query_counts_do_not_grow_with_the_estate(admin_client, settings):
    settings.VKS_TREE_PAGE_SIZE = 5  # so "page 2" of a cluster exists in both estates
    demo_cluster = Cluster.objects.get(name="Workload-Cluster-01")
    demo_pages = _pages(demo_cluster)
    for path, params in demo_pages.values():  # warm the session: nothing left to write
        admin_client.get(path, params)
    before = {name: _count(admin_client, *page) for name, page in demo_pages.items()}

    hosts, vms = Host.objects.count(), VirtualMachine.objects.count()
    config_max.load(
        hosts=10 * hosts,
        vms_per_host=vms // hosts + 1,
        hosts_per_cluster=64,
        first_cluster_hosts=70,
    )
    assert Host.objects.count() >= 10 * hosts and VirtualMachine.objects.count() >= 10 * vms

    after = {name: _count(admin_client, *page) for name, page in demo_pages.items()}
    assert after == before
    big_cluster = (
        Cluster.objects.filter(datacenter__name=config_max.DATACENTER).order_by("name").first()
    )
    big = {name: _count(admin_client, *page) for name, page in _pages(big_cluster).items()}
    assert big == before, "a 70-host cluster's pages cost what a 4-host cluster's do"


def test_vm_summary_query_budget(admin_client, vm_on, django_assert_num_queries):
    path = reverse("inventory:object", kwargs={"moid": vm_on.moid, "tab": "summary"})
    admin_client.get(path)
    # session, user, groups + role (2), the VM with host/cluster/datacenter/pool/folder/
    # datastore, its networks.
    with django_assert_num_queries(6):
        admin_client.get(path)


def test_tree_page_query_budget(admin_client, vm_on, django_assert_num_queries):
    path = reverse("inventory:tree-children", args=["hosts", vm_on.host.cluster.moid])
    admin_client.get(path)
    # session, user, groups + role (2), the cluster, one UNION ALL of hosts, pools and VMs; the
    # session write that remembers the navigator view is unchanged.
    with django_assert_num_queries(6):
        admin_client.get(path)


def test_search_query_budget(admin_client, django_assert_num_queries):
    path = reverse("inventory:search-suggestions")
    admin_client.get(path, {"q": "esx"})
    # session, user, groups + role (2), the names that start with the term (one UNION ALL over
    # every type), the names with it further in (one more, for the types left short).
    with django_assert_num_queries(6):
        admin_client.get(path, {"q": "esx"})
    # One or two letters: the start of names only.
    with django_assert_num_queries(5):
        admin_client.get(path, {"q": "es"})


def test_idle_recent_tasks_poll_touches_no_task_rows(admin_client, django_assert_num_queries):
    path = reverse("inventory:recent-tasks")
    version = admin_client.get(path, HTTP_HX_REQUEST="true").context["tasks_version"]
    # The session and its user; the version comes from the cache.
    with django_assert_num_queries(2):
        response = admin_client.get(path, {"v": version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
