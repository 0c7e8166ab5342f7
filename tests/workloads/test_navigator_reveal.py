"""The navigator reveals the object a Workload Management page is about, as it does for an
inventory object's page: a Supervisor's vSphere cluster, a namespace's resource pool, a VKS
cluster's pool of node VMs (the Hosts and Clusters tree's view of them)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from inventory.models import ResourcePool
from tests.workloads.test_cluster_views import editor_client  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def revealed(html: str) -> str:
    """The node the page asks the navigator to open, and the one its main pane names."""
    tree = re.search(r'id="navigator"\s+hx-get="[^"?]*\?reveal=([^"]+)"', html)
    main = re.search(r'<main id="main"[^>]* data-moid="([^"]+)"', html)
    assert tree and main, "the page reveals nothing"
    assert tree.group(1) == main.group(1)
    return main.group(1)


def tree_shows(client, moid: str) -> bool:
    html = client.get(reverse("inventory:tree-root", args=["hosts"]), {"reveal": moid})
    return f'class="tree-node" role="treeitem" data-moid="{moid}"' in html.content.decode()


def test_a_namespace_page_reveals_its_resource_pool(admin_client, namespace):
    pool = ResourcePool.objects.get(name="team-a", parent__name="Namespaces")
    for tab in ("namespace-summary", "namespace-detail"):
        args = [namespace.name] if tab == "namespace-summary" else [namespace.name, "compute"]
        page = admin_client.get(reverse(f"workloads:{tab}", args=args)).content.decode()
        assert revealed(page) == pool.moid
    assert tree_shows(admin_client, pool.moid)


def test_a_vks_cluster_page_reveals_the_pool_of_its_node_vms(admin_client, web):
    pool = ResourcePool.objects.get(name="web", parent__name="team-a")
    assert pool.vms.exists()
    page = admin_client.get(reverse("workloads:cluster-detail", args=["team-a", "web"]))
    assert revealed(page.content.decode()) == pool.moid
    assert tree_shows(admin_client, pool.moid)


def test_a_page_whose_pool_is_not_there_reveals_the_nearest(admin_client, web):
    ResourcePool.objects.filter(name="web", parent__name="team-a").update(name="elsewhere")
    page = admin_client.get(reverse("workloads:cluster-detail", args=["team-a", "web"]))
    namespace_pool = ResourcePool.objects.get(name="team-a", parent__name="Namespaces")
    assert revealed(page.content.decode()) == namespace_pool.moid


def test_a_supervisor_page_reveals_its_vsphere_cluster(admin_client, supervisor):
    url = reverse("workloads:supervisor-detail", args=[supervisor.supervisor_id, "summary"])
    assert revealed(admin_client.get(url).content.decode()) == supervisor.cluster.moid
    assert tree_shows(admin_client, supervisor.cluster.moid)


def test_a_developer_has_no_navigator_to_reveal_in(editor_client, web):  # noqa: F811
    page = editor_client.get(reverse("workloads:cluster-detail", args=["team-a", "web"]))
    text = page.content.decode()
    assert 'id="navigator"' not in text and "data-moid" not in text
