"""Who sees which tasks and events: as vCenter shows a user the tasks and events on the objects
they may read, a namespace role shows those of the namespace and its VKS clusters, whoever
started them (Recent Tasks, the portal's Activity); a vCenter role shows all of them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import Event, Task
from tests.workloads.conftest import drive
from workloads.services import clusters
from workloads.targets import CLUSTER_TYPE, NAMESPACE_TYPE

pytestmark = pytest.mark.django_db


def _scale(web, editor) -> Task:
    clusters.cluster_scale(
        cluster=web, pool="node-pool-1", replicas=3, generation=web.generation, user=editor
    )
    return Task.objects.get(name="Scale VKS cluster")


def _pane(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("inventory:recent-tasks"), {"filter": "all"}).content.decode()


def _activity(client, user, **params) -> str:
    client.force_login(user)
    return client.get(reverse("portal:activity"), params).content.decode()


def test_the_owner_sees_the_task_an_editor_started_on_a_cluster_in_their_namespace(
    client, owner, editor, viewer, stranger, web
):
    task = _scale(web, editor)
    row = f'data-task="{task.key}"'
    assert row in _pane(client, owner)
    assert row in _pane(client, viewer)  # Can view, through a group
    assert row not in _pane(client, stranger)  # a role in another namespace only
    activity = _activity(client, owner)
    assert row in activity
    # The cluster's page, which the owner may open, as namespace/cluster.
    page = reverse("workloads:cluster-detail", args=["team-a", "web"])
    assert f'<a class="activity-target" href="{page}">team-a/web</a>' in activity
    assert row not in _activity(client, stranger)


def test_activity_filters_keep_to_the_tasks_the_user_may_see(client, owner, editor, stranger, web):
    task = _scale(web, editor)
    task.state, task.error = Task.State.ERROR, "Not enough capacity on the hosts."
    task.save()
    failed = _activity(client, owner, filter="failed")
    assert f'data-task="{task.key}"' in failed and "Not enough capacity on the hosts." in failed
    assert f'data-task="{task.key}"' not in _activity(client, owner, filter="running")
    assert "Not enough capacity" not in _activity(client, stranger, filter="failed")


def test_the_owner_sees_a_deleted_clusters_task_and_events(client, owner, editor, stranger, web):
    deleting = clusters.cluster_delete(cluster=web, user=editor)
    assert drive(deleting)[-1] == "GONE"
    task = Task.objects.get(name="Delete VKS cluster")
    gone = Event.objects.get(event_type="com.vmware.vks.ClusterDeleted")
    assert (gone.target_type, gone.target_moid) == (CLUSTER_TYPE, "team-a/web")
    text = _activity(client, owner)
    assert f'data-task="{task.key}"' in text and f'data-event="{gone.pk}"' in text
    assert f'data-task="{task.key}"' in _pane(client, owner)
    assert f'data-event="{gone.pk}"' not in _activity(client, stranger)


def test_namespace_events_are_about_the_namespace(client, admin, owner, stranger, namespace):
    """Its lifecycle events name the namespace (its Owner sees them) and still belong to the
    vSphere cluster behind the Supervisor (its Monitor › Events lists them)."""
    created = Event.objects.get(event_type="com.vmware.wcp.NamespaceCreated")
    assert (created.target_type, created.target_moid) == (NAMESPACE_TYPE, "team-a")
    assert created.cluster_moid == namespace.supervisor.cluster.moid
    text = _activity(client, owner)
    page = reverse("workloads:namespace-summary", args=["team-a"])
    assert f'data-event="{created.pk}"' in text
    assert f'<a class="activity-target" href="{page}">team-a</a>' in text
    assert f'data-event="{created.pk}"' not in _activity(client, stranger)
    client.force_login(admin)
    monitor = reverse(
        "inventory:object", kwargs={"moid": namespace.supervisor.cluster.moid, "tab": "monitor"}
    )
    assert (
        "Namespace team-a created on Supervisor"
        in client.get(monitor, {"sub": "events"}).content.decode()
    )


def test_an_administrator_sees_every_task(client, admin, editor, web):
    task = _scale(web, editor)
    assert f'data-task="{task.key}"' in _pane(client, admin)
    assert f'data-task="{task.key}"' in _activity(client, admin)
