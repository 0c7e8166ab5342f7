"""Each portal page costs a fixed number of queries, however many namespaces and clusters the
developer may see (one page of them is shown)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from inventory.models import Event, Task
from workloads.models import Namespace, NamespaceAccess, VksCluster
from workloads.targets import CLUSTER_TYPE, NAMESPACE_TYPE

pytestmark = pytest.mark.django_db


def more_of_everything(web, count: int) -> None:
    """`count` namespaces the editor holds Can edit in, and `count` clusters in team-a, each
    with a task and an event that someone else started."""
    made = Namespace.objects.bulk_create(
        Namespace(
            name=f"bulk-{i}",
            supervisor=web.namespace.supervisor,
            kubernetes_library=web.namespace.kubernetes_library,
        )
        for i in range(count)
    )
    NamespaceAccess.objects.bulk_create(
        NamespaceAccess(namespace=ns, subject_type="USER", subject="eddie", role="EDIT")
        for ns in made
    )
    VksCluster.objects.bulk_create(
        VksCluster(name=f"c-{i}", namespace=web.namespace, spec=web.spec, conditions=web.conditions)
        for i in range(count)
    )
    targets = [(NAMESPACE_TYPE, ns.name) for ns in made]
    targets += [(CLUSTER_TYPE, f"team-a/c-{i}") for i in range(count)]
    now = timezone.now()
    tasks = Task.objects.bulk_create(
        Task(
            key=f"task-bulk-{i}",
            name="Create VKS cluster" if kind == CLUSTER_TYPE else "Create namespace",
            initiator="VSPHERE.LOCAL\\olivia",
            queued_at=now,
            target_type=kind,
            target_moid=moid,
            target_name=moid.rpartition("/")[2],
            scope_namespace=moid.partition("/")[0],  # as workloads.targets writes it
        )
        for i, (kind, moid) in enumerate(targets)
    )
    Event.objects.bulk_create(
        Event(
            event_type="TaskEvent",
            message=f"Task: {task.name}",
            task=task,
            created_at=now,
            target_type=task.target_type,
            target_moid=task.target_moid,
            target_name=task.target_name,
            scope_namespace=task.scope_namespace,
        )
        for task in tasks
    )


# Every page: the session, the user, its groups, its vCenter role (none), then its own reads,
# then the tasks stamp (cache, no query) and the cluster states the pulse starts from (one).
PAGES = [
    # count, the page of clusters (namespace joined), ready nodes per cluster and role,
    # the user's roles in those namespaces
    ("portal:clusters", 4 + 4 + 1),
    # count, the page (cluster counts), VM classes, usage, storage specs, storage used per
    # policy, the release items of their Kubernetes libraries, roles, the running namespace
    # services (New namespace)
    ("portal:namespaces", 4 + 9 + 1),
    # count, the page of namespaces, their clusters
    ("portal:connect", 4 + 3 + 1),
    # the names of the namespaces they may see (read once for tasks and events), count and
    # page of the tasks on those namespaces and their clusters, the events
    ("portal:activity", 4 + 4 + 1),
]


@pytest.mark.parametrize(("name", "queries"), PAGES)
def test_portal_pages_do_not_grow(client, editor, web, name, queries, django_assert_num_queries):
    client.force_login(editor)
    url = reverse(name)
    client.get(url)  # warm the session
    with django_assert_num_queries(queries):
        client.get(url)
    more_of_everything(web, 60)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert len(response.context["page"]) == 25  # one page of the 61 (or 120 tasks) there are


def test_the_idle_pulse_costs_the_session_and_the_user(client, editor, django_assert_num_queries):
    client.force_login(editor)
    page = client.get(reverse("portal:clusters"))
    params = {"v": page.context["tasks_version"], "s": page.context["states_token"]}
    with django_assert_num_queries(2):  # session, user
        response = client.get(reverse("portal:pulse"), params)
    assert response.status_code == 204


def test_a_pulse_after_a_change_does_not_grow(client, editor, web, django_assert_num_queries):
    client.force_login(editor)
    token = client.get(reverse("portal:clusters")).context["states_token"]
    # session, user, its groups, its vCenter role, the states of every cluster it may see
    with django_assert_num_queries(5):
        response = client.get(reverse("portal:pulse"), {"v": "old", "s": token})
    more_of_everything(web, 60)
    with django_assert_num_queries(5):
        again = client.get(reverse("portal:pulse"), {"v": "old", "s": token})
    assert response.status_code == again.status_code == 200
    text = again.content.decode()  # each new cluster is Ready: three told, the rest summed up
    assert text.count('data-state="Ready"') == 3
    assert "57 more VKS clusters have become Ready or failed" in text


def test_recent_tasks_of_a_developer_do_not_grow(client, editor, web, django_assert_num_queries):
    """The pane lists the tasks on the developer's namespaces and clusters, in one query
    whatever number of them there are."""
    client.force_login(editor)
    url = reverse("inventory:recent-tasks")
    client.get(url)  # warm the session
    # session, user, its groups, its vCenter role (none), the vCenter, the names of the
    # namespaces it may see, the tasks on them (an index lookup); each time rendered anew, not
    # the pane shared for half a second
    cache.clear()
    with django_assert_num_queries(7):
        client.get(url)
    more_of_everything(web, 60)
    cache.clear()
    with django_assert_num_queries(7):
        response = client.get(url)
    assert len(response.context["tasks"]) == 20  # the newest of the 120 on their targets
