"""The change log: one resourceVersion across every kind, recorded by the writes the API's
objects come from (reconciler passes included), pruned without losing an object's version, a
410 Gone beyond its horizon, and the wake-up a watch sleeps on."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from inventory.models import ContentLibrary, ContentLibraryItem, VirtualMachine
from kubeapi import changes, tracking
from kubeapi.changes import ADDED, DELETED, MODIFIED, Gone
from kubeapi.models import ObjectVersion, ResourceChange
from tests.workloads.conftest import drive, spec
from workloads import services
from workloads.models import VirtualMachineClass, VksCluster, VksNode
from workloads.services.clusters import cluster_update

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's concurrent writers; SQLite commits one transaction at a time",
)


def seen_since(rv: int) -> list[tuple[str, str, str, str]]:
    """(type, resource, namespace, name) of every change after `rv`, oldest first."""
    rows = ResourceChange.objects.filter(id__gt=rv).order_by("id")
    return list(rows.values_list("type", "resource", "namespace", "name"))


# ---------------------------------------------------------------- the counter and versions


def test_versions_grow_across_every_kind_and_each_object_keeps_its_latest(db):
    start = changes.current()
    a = changes.record("namespaces", "", "alpha", ADDED)
    b = changes.record("events", "alpha", "x.1", ADDED)
    c = changes.record("namespaces", "", "alpha", MODIFIED)
    assert start < a < b < c == changes.current()
    assert changes.versions("namespaces")[("", "alpha")] == c
    assert changes.version_of("events", "alpha", "x.1") == b
    assert changes.version_of("events", "alpha", "nope") is None
    assert changes.versions("events", namespace="other") == {}


def test_changes_since_filters_by_resource_and_namespace_and_pages(db):
    start = changes.current()
    changes.record_many(
        [
            ("events", "a", "e1", ADDED, "", None),
            ("events", "b", "e2", ADDED, "", None),
            ("namespaces", "", "a", MODIFIED, "", None),
            ("events", "a", "e3", ADDED, "", None),
        ]
    )
    found = changes.changes_since(start, resources={"events"}, namespace="a")
    assert [c.name for c in found] == ["e1", "e3"]
    first = changes.changes_since(start, resources={"events", "namespaces"}, limit=2)
    assert [c.name for c in first] == ["e1", "e2"]
    rest = changes.changes_since(first.cursor, resources={"events", "namespaces"})
    assert [c.name for c in rest] == ["a", "e3"]
    assert rest.cursor.rv == changes.current()


def test_a_deleted_objects_last_state_carries_its_deletion_version(db):
    start = changes.current()
    obj = {"metadata": {"name": "gone", "namespace": "ns1", "uid": "u-1"}}
    rv = changes.record("secrets", "ns1", "gone", DELETED, uid="u-1", obj=obj)
    (found,) = changes.changes_since(start, resources={"secrets"})
    assert (found.type, found.uid, found.object["metadata"]["resourceVersion"]) == (
        DELETED,
        "u-1",
        str(rv),
    )


# ---------------------------------------------------------------- pruning and Gone


def test_prune_keeps_every_objects_version_and_forgets_deleted_ones(db):
    changes.record("namespaces", "", "kept", ADDED)
    kept = changes.record("namespaces", "", "kept", MODIFIED)
    changes.record("namespaces", "", "dropped", ADDED)
    dropped = changes.record("namespaces", "", "dropped", DELETED)
    newest = changes.record("events", "kept", "e.1", ADDED)
    before = changes.versions("namespaces")

    pruned = changes.prune(keep_seconds=0, keep_rows=1, now=timezone.now())

    assert pruned > 0 and changes.current() == newest  # the newest row stays
    assert changes.versions("namespaces") == {k: v for k, v in before.items() if v != dropped}
    assert changes.version_of("namespaces", "", "kept") == kept
    assert not ObjectVersion.objects.filter(name="dropped").exists()
    with pytest.raises(Gone) as gone:
        changes.changes_since(kept, resources={"namespaces"})
    assert gone.value.oldest == newest - 1
    assert str(gone.value) == f"too old resource version: {kept} ({newest - 1})"
    assert changes.changes_since(newest - 1, resources={"events"})[0].rv == newest


def test_prune_leaves_the_recent_log_alone(db):
    rv = changes.record("namespaces", "", "fresh", ADDED)
    changes.record("namespaces", "", "fresh", MODIFIED)
    changes.prune()  # 15 minutes, 100k rows
    assert changes.changes_since(rv - 1, resources={"namespaces"})[0].rv == rv


# ---------------------------------------------------------------- what writes record


@pytest.fixture
def vks(namespace, storage_class):
    return VksCluster.objects.create(
        name="web",
        namespace=namespace,
        kind="TanzuKubernetesCluster",
        spec=spec(storage_class, workers=1),
        next_reconcile_at=timezone.now(),
    )


def test_a_cluster_coming_up_records_every_object_it_shows_in(vks):
    start = changes.current()
    drive(vks)
    seen = seen_since(start)
    node = VksNode.objects.select_related("vm").filter(pool="node-pool-1").get()
    ns, name = vks.namespace.name, node.vm.name
    for expected in [
        (MODIFIED, tracking.TKC, ns, "web"),
        (MODIFIED, tracking.CLUSTER, ns, "web"),
        (ADDED, tracking.SECRETS, ns, "web-kubeconfig"),
        (ADDED, tracking.MACHINE, ns, name),
        (ADDED, tracking.VM, ns, name),
        (ADDED, f"vks/{vks.pk}/nodes", "", name),
        (ADDED, f"vks/{vks.pk}/pods", "", name),
        (MODIFIED, tracking.MACHINE_DEPLOYMENT, ns, "web-node-pool-1"),
        (MODIFIED, tracking.VM, ns, name),  # powered on with an address
        (MODIFIED, f"vks/{vks.pk}/nodes", "", name),
        (ADDED, tracking.EVENTS, ns, f"{name}.{_event_pk(name, 'VmCreatedEvent'):x}"),
    ]:
        assert expected in seen
    assert changes.version_of(tracking.CLUSTER, ns, "web") == max(
        c.rv for c in changes.changes_since(start, resources={tracking.CLUSTER})
    )


def _event_pk(vm_name: str, event_type: str) -> int:
    from inventory.models import Event

    return Event.objects.get(target_name=vm_name, event_type=event_type).pk


def test_a_new_cluster_and_its_pools_are_added(namespace, storage_class):
    start = changes.current()
    VksCluster.objects.create(name="api", namespace=namespace, spec=spec(storage_class))
    assert seen_since(start) == [
        (ADDED, tracking.CLUSTER, namespace.name, "api"),  # a Cluster: no TKC
        (ADDED, tracking.MACHINE_DEPLOYMENT, namespace.name, "api-node-pool-1"),
    ]


def test_a_pass_that_changes_nothing_shown_records_nothing(vks):
    drive(vks)
    start = changes.current()
    cluster = VksCluster.objects.get(pk=vks.pk)
    cluster.next_reconcile_at = timezone.now()
    cluster.attempts = 3
    cluster.save()
    assert seen_since(start) == []


def test_a_spec_changed_in_place_is_recorded(vks):
    start = changes.current()
    cluster = VksCluster.objects.get(pk=vks.pk)
    cluster.spec["topology"]["nodePools"].append({**cluster.spec["topology"]["nodePools"][0]})
    cluster.spec["topology"]["nodePools"][-1]["name"] = "np2"
    cluster.save()
    assert (ADDED, tracking.MACHINE_DEPLOYMENT, vks.namespace.name, "web-np2") in seen_since(start)


def test_relabelling_a_cluster_modifies_it_without_a_new_generation(vks, admin):
    # What `kubectl label tkc web team=payments` does through the service.
    start = changes.current()
    cluster_update(
        cluster=vks, spec=vks.spec, generation=None, user=admin, labels={"team": "payments"}
    )
    ns = vks.namespace.name
    assert seen_since(start) == [
        (MODIFIED, tracking.CLUSTER, ns, "web"),
        (MODIFIED, tracking.TKC, ns, "web"),
    ]
    assert VksCluster.objects.get(pk=vks.pk).generation == vks.generation


def test_powering_a_node_off_modifies_its_machine_and_cluster(vks):
    drive(vks)
    vm = VirtualMachine.objects.get(vks_node__pool="node-pool-1")
    start = changes.current()
    vm.power_state = VirtualMachine.PowerState.OFF
    vm.save()
    ns = vks.namespace.name
    assert set(seen_since(start)) >= {
        (MODIFIED, tracking.VM, ns, vm.name),
        (MODIFIED, tracking.MACHINE, ns, vm.name),
        (MODIFIED, tracking.CLUSTER, ns, "web"),
        (MODIFIED, tracking.TKC, ns, "web"),
        (MODIFIED, f"vks/{vks.pk}/nodes", "", vm.name),
        (MODIFIED, f"vks/{vks.pk}/pods", "", vm.name),
    }


def test_deleting_a_cluster_deletes_everything_it_showed(vks):
    drive(vks)
    names = list(VksNode.objects.values_list("vm__name", flat=True))
    start = changes.current()
    VksCluster.objects.filter(pk=vks.pk).update(
        deletion_requested_at=timezone.now(), next_reconcile_at=timezone.now()
    )
    assert drive(vks)[-1] == "GONE"
    seen = seen_since(start)
    ns = vks.namespace.name
    for name in names:
        assert (DELETED, tracking.MACHINE, ns, name) in seen
        assert (DELETED, f"vks/{vks.pk}/nodes", "", name) in seen
    for resource, name in [
        (tracking.CLUSTER, "web"),
        (tracking.TKC, "web"),
        (tracking.SECRETS, "web-kubeconfig"),
        (tracking.MACHINE_DEPLOYMENT, "web-node-pool-1"),
    ]:
        assert (DELETED, resource, ns, name) in seen
    deleted = changes.changes_since(start, resources={tracking.CLUSTER})[-1]
    assert deleted.object["metadata"]["name"] == "web" and deleted.uid


def test_namespace_classes_and_storage_classes_come_and_go(admin, supervisor):
    from inventory.models import StoragePolicy

    start = changes.current()
    ns = services.namespace_create(supervisor=supervisor, name="watched", user=admin)
    services.namespace_vm_classes_set(namespace=ns, names=["best-effort-small"], user=admin)
    policy = StoragePolicy.objects.filter(datastores__hosts__cluster=supervisor.cluster).first()
    fresh = not ResourceChange.objects.filter(resource=tracking.STORAGE_CLASS).exists() and (
        not policy.namespaces.exists()
    )
    services.namespace_storage_set(namespace=ns, limits={str(policy.policy_id): ""}, user=admin)
    services.namespace_vm_classes_set(namespace=ns, names=[], user=admin)
    seen = seen_since(start)
    assert (ADDED, "namespaces", "", "watched") in seen
    assert (ADDED, tracking.VM_CLASS, "watched", "best-effort-small") in seen
    assert (DELETED, tracking.VM_CLASS, "watched", "best-effort-small") in seen
    if fresh:
        assert (ADDED, tracking.STORAGE_CLASS, "", tracking_storage_name(policy)) in seen


def tracking_storage_name(policy) -> str:
    from workloads.specs import storage_class_name

    return storage_class_name(policy.name)


def test_editing_a_vm_class_modifies_it_in_every_namespace_that_binds_it(namespace, storage_class):
    vm_class = VirtualMachineClass.objects.get(name="best-effort-small")
    start = changes.current()
    vm_class.description = "Smaller than it looks"
    vm_class.save()
    assert seen_since(start) == [(MODIFIED, tracking.VM_CLASS, namespace.name, vm_class.name)]


def test_node_images_make_releases_appear_change_and_go(db):
    library = ContentLibrary.objects.first()
    release = "v1.35.1---vmware.1-fips-vkr.1"
    start = changes.current()
    images = [
        ContentLibraryItem.objects.create(
            item_id=uuid.uuid4(), library=library, name=f"ob-1-{os}-amd64-{release}"
        )
        for os in ("photon-5", "ubuntu-2404")
    ]
    for item in images:
        item.delete()
    assert seen_since(start) == [
        (ADDED, tracking.TKR, "", release),
        (MODIFIED, tracking.TKR, "", release),
        (MODIFIED, tracking.TKR, "", release),
        (DELETED, tracking.TKR, "", release),
    ]


def test_a_deleted_objects_registered_snapshot_is_its_last_state(namespace, storage_class):
    cluster = VksCluster.objects.create(name="snap", namespace=namespace, spec=spec(storage_class))
    tracking.snapshots[tracking.CLUSTER] = lambda c: {
        "kind": "Cluster",
        "metadata": {"name": c.name},
    }
    try:
        start = changes.current()
        cluster.delete()
    finally:
        del tracking.snapshots[tracking.CLUSTER]
    (deleted,) = changes.changes_since(start, resources={tracking.CLUSTER})
    assert deleted.object["kind"] == "Cluster"


# ---------------------------------------------------------------- waiting


def _commit_in_another_thread(name: str) -> threading.Thread:
    def write():
        try:
            with transaction.atomic():
                changes.record("namespaces", "", name, ADDED)
        finally:
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_wait_wakes_when_another_connection_commits():
    after = changes.current()

    async def scenario() -> float:
        started = time.monotonic()
        waiting = asyncio.create_task(changes.wait(after, timeout=20))
        await asyncio.sleep(0)  # the waiter is registered before the write
        thread = await asyncio.to_thread(_commit_in_another_thread, "woken")
        await waiting
        await asyncio.to_thread(thread.join)
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 10  # woken by the commit, well before the timeout
    assert changes.version_of("namespaces", "", "woken") > after


def test_wait_returns_at_its_timeout_when_nothing_changes(db):
    async def scenario():
        await changes.wait(changes.Cursor(10**15), timeout=0.05)

    asyncio.run(scenario())  # returns: nothing will ever be newer


def test_a_hundred_waiters_share_one_wakeup_task(db):
    async def scenario():
        waiters = [asyncio.create_task(changes.wait(10**15, timeout=5)) for _ in range(100)]
        await asyncio.sleep(0)
        hub = changes.hub()
        tasks = [t for t in asyncio.all_tasks() if t.get_name() == "kubeapi-changes"]
        assert len(hub.waiters) == 100 and len(tasks) == 1
        hub.wake(10**15 + 1)
        await asyncio.gather(*waiters)
        assert not hub.waiters

    asyncio.run(scenario())


def test_a_change_wakes_only_the_watches_of_its_resources(db):
    """A hundred watches of clusters sleep on while a namespace changes: only a wake-up that
    says it changed clusters (or does not say what it changed) is news to them."""

    async def scenario():
        clusters = {"clusters.cluster.x-k8s.io"}
        waiters = [
            asyncio.create_task(changes.wait(10**15, timeout=5, resources=clusters))
            for _ in range(100)
        ]
        await asyncio.sleep(0)
        hub = changes.hub()
        hub.wake(10**15 + 1, changed=frozenset({"namespaces"}))
        await asyncio.sleep(0)
        assert not any(w.done() for w in waiters)
        hub.wake(10**15 + 2, changed=frozenset({"namespaces", "clusters.cluster.x-k8s.io"}))
        await asyncio.gather(*waiters)

    asyncio.run(scenario())


@pytest.mark.django_db(transaction=True)
def test_the_poller_says_which_resources_changed():
    """Without Redis the shared poller reads which resources the new rows name (SQLite commits
    in id order), so a watch of another resource is not woken."""
    from kubeapi.changes import _newest

    before = changes.record("namespaces", "", "a", ADDED)
    changes.record("clusters.cluster.x-k8s.io", "team-a", "web", ADDED)
    now, changed = _newest(before)
    if connection.vendor == "postgresql":
        assert changed is None  # a transaction still running may add an older id
    else:
        assert changed == {"clusters.cluster.x-k8s.io"}


# ---------------------------------------------------------------- PostgreSQL: commit order


def _late_then_early() -> tuple[threading.Thread, threading.Event]:
    """Transaction "late" records (taking id n) and holds; "early" records (n+1) and commits.
    Set the event to let "late" commit; join the thread to know it has."""
    recorded, may_commit = threading.Event(), threading.Event()

    def late():
        try:
            with transaction.atomic():
                changes.record("namespaces", "", "late", ADDED)
                recorded.set()
                assert may_commit.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=late)
    thread.start()
    assert recorded.wait(20)
    _commit_in_another_thread("early").join()
    return thread, may_commit


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_row_committed_after_a_higher_one_is_not_missed():
    """A reader that saw n+1 still gets n when its transaction commits, and nothing twice."""
    start = changes.current_cursor()
    thread, may_commit = _late_then_early()

    first = changes.changes_since(start, resources={"namespaces"})
    assert [c.name for c in first] == ["early"]
    late_rv = first[0].rv - 1
    assert first.cursor.rv > late_rv  # the reader is past the id the late row holds

    may_commit.set()
    thread.join()
    second = changes.changes_since(first.cursor, resources={"namespaces"})
    assert [(c.name, c.rv) for c in second] == [("late", late_rv)]
    assert list(changes.changes_since(second.cursor, resources={"namespaces"})) == []


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_late_commit_wakes_a_waiter_whose_read_could_not_see_it():
    start = changes.current_cursor()
    thread, a_may_commit = _late_then_early()
    read = changes.changes_since(start, resources={"namespaces"})
    assert [c.name for c in read] == ["early"] and read.cursor.xip  # "late" was in flight

    async def scenario():
        waiting = asyncio.create_task(changes.wait(read.cursor, timeout=20))
        await asyncio.sleep(0)
        a_may_commit.set()
        await asyncio.to_thread(thread.join)
        started = time.monotonic()
        await waiting
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 10
    names = [c.name for c in changes.changes_since(read.cursor, resources={"namespaces"})]
    assert names == ["late"]


def test_beat_prunes_the_log_every_minute(db, settings):
    from kubeapi.tasks import changes_prune_task

    entry = settings.CELERY_BEAT_SCHEDULE["prune-resource-changes"]
    assert (entry["task"], entry["schedule"]) == ("kubeapi.tasks.changes_prune_task", 60.0)
    changes.record("namespaces", "", "old", ADDED)
    newest = changes.record("namespaces", "", "old", MODIFIED)
    ResourceChange.objects.update(created_at=timezone.now() - timezone.timedelta(hours=1))
    assert changes_prune_task() >= 1
    assert changes.horizon() == newest - 1
