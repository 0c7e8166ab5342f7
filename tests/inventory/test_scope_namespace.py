# ruff: noqa: F811  (the fixtures imported below are parameters of the tests)
"""A task's and an event's `scope_namespace`: the vSphere Namespace they are about, written when
they are, filled by migration 0007 for the rows written before it, and what a namespace role's
view of tasks and events looks up through an index instead of an expression on every row."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from inventory import selectors
from inventory.models import Event, Task, VirtualMachine
from inventory.tasklog import task_open
from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    cluster,
    editor,
    namespace,
    raw_spec,
    supervisor,
)
from workloads.targets import CLUSTER_TYPE, NAMESPACE_TYPE, cluster_target, namespace_target

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("inventory.migrations.0007_task_event_scope_namespace")


def test_tasks_and_events_carry_the_namespace_they_are_about(admin, namespace):
    vm = VirtualMachine.objects.select_related("host__cluster__datacenter").first()
    on_vm = task_open(name="Power Off", description_id="x", operation="x", target=vm, user=admin)
    on_ns = task_open(
        name="Update",
        description_id="x",
        operation="x",
        target=namespace_target(namespace),
        user=admin,
    )
    web = namespace.clusters.model(name="web", namespace=namespace)
    on_cluster = task_open(
        name="Scale", description_id="x", operation="x", target=cluster_target(web), user=admin
    )
    assert [t.scope_namespace for t in (on_vm, on_ns, on_cluster)] == ["", "team-a", "team-a"]
    mine = Event.objects.filter(task__in=[on_vm, on_ns, on_cluster])
    events = dict(mine.values_list("task__key", "scope_namespace"))
    assert events == {on_vm.key: "", on_ns.key: "team-a", on_cluster.key: "team-a"}


def test_the_migration_fills_the_rows_written_before_it(admin):
    made = {
        (NAMESPACE_TYPE, "team-a"): "team-a",
        (CLUSTER_TYPE, "team-b/web"): "team-b",
        (CLUSTER_TYPE, "no-slash"): "",  # not a cluster id as written: left blank
        ("VirtualMachine", "vm-1"): "",
    }
    for i, (target_type, moid) in enumerate(made):
        task = Task.objects.create(
            key=f"task-old-{i}",
            name="Old",
            initiator="x",
            queued_at="2026-01-01T00:00Z",
            target_type=target_type,
            target_moid=moid,
            target_name=moid,
        )
        Event.objects.create(
            event_type="TaskEvent",
            message="Old",
            task=task,
            created_at=task.queued_at,
            target_type=target_type,
            target_moid=moid,
            target_name=moid,
        )
    MIGRATION.fill(apps, connection.schema_editor())
    for model in (Task, Event):
        found = {(r.target_type, r.target_moid): r.scope_namespace for r in model.objects.all()}
        assert found == made, model


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
def test_a_developers_tasks_are_an_index_lookup(editor, namespace):
    """Not a scan of every task: the user's own tasks and those of their namespaces, each
    through its index."""
    sql, params = selectors.tasks_visible_to(editor)[:20].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " / ".join(row[-1] for row in cursor.fetchall())
    assert "scope_namespace" in plan and "SCAN inventory_task " not in f"{plan} ", plan
