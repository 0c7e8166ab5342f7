"""Namespace and VKS cluster tasks are about the namespace or the cluster, as the APIs name them,
and their links in Recent Tasks open pages the namespace's users may see: not the vSphere
cluster behind them (403 for a developer)."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from workloads.models import VksCluster
from workloads.services import clusters


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def task_links(client: Client) -> dict[str, str]:
    """Recent Tasks as the user sees it: target name -> the link's address."""
    pane = client.get(reverse("inventory:recent-tasks")).content.decode()
    rows = re.findall(r'<td>[^<]*</td>\s*<td><a href="([^"]+)"[^>]*>([^<]+)</a>', pane)
    return {name: href for href, name in rows}


def test_owner_opens_the_task_link_of_their_cluster(owner, web):
    updated = clusters.cluster_scale(
        cluster=VksCluster.objects.get(pk=web.pk),
        pool=web.spec["topology"]["nodePools"][0]["name"],
        replicas=3,
        generation=None,
        user=owner,
    )
    task = updated.task
    assert (task.target_type, task.target_moid, task.target_name) == (
        "cluster.x-k8s.io.Cluster",
        "team-a/web",
        "web",
    )
    # The vSphere cluster's Monitor tab still lists it.
    assert task.cluster_moid == web.namespace.supervisor.cluster.moid
    client = logged_in(owner)
    link = task_links(client)["web"]
    assert link == reverse("workloads:cluster-detail", args=["team-a", "web"])
    assert client.get(link).status_code == 200


def test_namespace_tasks_open_the_namespace_page(admin, admin_client, namespace, owner):
    task = namespace.task
    assert (task.target_type, task.target_moid, task.target_name) == (
        "com.vmware.vcenter.namespaces.Instance",
        "team-a",
        "team-a",
    )
    link = task_links(admin_client)["team-a"]
    assert link == reverse("workloads:namespace-summary", args=["team-a"])
    assert logged_in(owner).get(link).status_code == 200
    assert admin_client.get(link).status_code == 200


def test_vsphere_cluster_monitor_lists_namespace_tasks_linked_to_the_namespace(
    admin_client, namespace
):
    cluster = namespace.supervisor.cluster
    page = admin_client.get(
        reverse("inventory:object", args=[cluster.moid, "monitor"]), {"sub": "events"}
    ).content.decode()
    namespace_page = reverse("workloads:namespace-summary", args=["team-a"])
    assert f'<a href="{namespace_page}">team-a</a>' in page
