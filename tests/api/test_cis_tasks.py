# ruff: noqa: F811  (the fixtures imported below are parameters of the tests)
"""`com.vmware.cis.tasks` get over REST and JSON-RPC: a task is readable by whoever sees it in
Recent Tasks. A namespace's Owner follows a task an Editor started on a cluster in it; a user
holding no role on that namespace gets NOT_FOUND, as for a task that does not exist."""

from __future__ import annotations

import pytest

from tests.vapi.test_namespace_management import Api, kind
from tests.workloads.conftest import web  # noqa: F401  (a fixture; the cast is in conftest.py)

pytestmark = pytest.mark.django_db


def test_a_namespace_owner_reads_a_task_an_editor_started_in_it(client, owner, editor, web):
    task = web.task
    assert task.user_id == editor.pk and task.target_moid == "team-a/web"
    api = Api(client, owner)
    info = api.rest("GET", f"/api/cis/tasks/{task.key}")
    assert info.status_code == 200, info.content
    assert info.json()["target"] == {"type": "cluster.x-k8s.io.Cluster", "id": "team-a/web"}
    assert info.json()["user"] == task.initiator
    output, failure = api.rpc("com.vmware.cis.tasks", "get", task=task.key)
    assert failure is None and output["description"]["default_message"] == task.name


def test_a_user_without_a_role_on_the_namespace_gets_not_found(client, stranger, web):
    api = Api(client, stranger)
    assert kind(api.rest("GET", f"/api/cis/tasks/{web.task.key}"))[:2] == (404, "NOT_FOUND")
    _, (error_type, _) = api.rpc("com.vmware.cis.tasks", "get", task=web.task.key)
    assert error_type == "NOT_FOUND"
