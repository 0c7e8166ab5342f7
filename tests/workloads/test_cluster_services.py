"""VKS cluster services: who may create and change clusters, admission before anything is
stored, stale writes refused, and the tasks each change opens."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from inventory.models import Task
from tests.workloads.conftest import NEXT, RELEASE, drive, spec
from workloads import reconcilers
from workloads.models import VksCluster
from workloads.services import clusters
from workloads.specs import SpecError

pytestmark = pytest.mark.django_db

SKIPPING = "v1.34.2---vmware.2-fips-vkr.1"


@pytest.fixture
def web(editor, namespace, storage_class, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = clusters.cluster_create(
            namespace=namespace, name="web", spec=spec(storage_class), user=editor
        )
    drive(created)
    created.refresh_from_db()
    return created


def test_an_editor_creates_a_cluster_and_it_comes_up(web):
    assert web.phase == "Provisioned" and web.creator == "VSPHERE.LOCAL\\eddie"
    task = Task.objects.get(name="Create VKS cluster")
    assert (task.state, task.progress) == ("success", 100)
    assert len(reconcilers.nodes_of(web)) == 3


def test_viewers_may_not_create_and_strangers_do_not_see_the_namespace(
    namespace, storage_class, viewer, stranger
):
    with pytest.raises(PermissionDenied):
        clusters.cluster_create(
            namespace=namespace, name="web", spec=spec(storage_class), user=viewer
        )
    with pytest.raises(Http404):
        clusters.cluster_create(
            namespace=namespace, name="web", spec=spec(storage_class), user=stranger
        )
    assert not VksCluster.objects.exists()


def test_admission_failure_stores_nothing(editor, namespace, storage_class):
    bad = spec(storage_class, cp=2)
    bad["topology"]["nodePools"][0]["vmClass"] = "guaranteed-8xlarge"
    with pytest.raises(SpecError) as refused:
        clusters.cluster_create(namespace=namespace, name="Web_1", spec=bad, user=editor)
    assert len(refused.value.errors) >= 3  # name, replicas, VM class: all reported at once
    assert not VksCluster.objects.exists() and not Task.objects.filter(name__contains="VKS")


def test_scale_opens_a_scale_task_and_the_reconciler_follows(web, editor):
    scaled = clusters.cluster_scale(
        cluster=web, pool="node-pool-1", replicas=3, generation=web.generation, user=editor
    )
    assert scaled.generation == web.generation + 1
    assert Task.objects.filter(name="Scale VKS cluster").exists()
    drive(scaled)
    assert sum(1 for n in reconcilers.nodes_of(scaled) if n.role == "worker") == 3


def test_a_stale_change_is_refused_and_the_newer_one_kept(web, editor):
    clusters.cluster_scale(
        cluster=web, pool="node-pool-1", replicas=3, generation=web.generation, user=editor
    )
    with pytest.raises(clusters.ConflictError, match="the object has been modified"):
        clusters.cluster_scale(
            cluster=web, pool="node-pool-1", replicas=1, generation=web.generation, user=editor
        )
    web.refresh_from_db()
    assert web.spec["topology"]["nodePools"][0]["replicas"] == 3


def test_upgrade_one_minor_at_a_time(web, editor):
    with pytest.raises(SpecError) as refused:
        clusters.cluster_upgrade(
            cluster=web, version=SKIPPING, generation=web.generation, user=editor
        )
    assert "1.33" in " ".join(refused.value.errors.values())
    upgraded = clusters.cluster_upgrade(
        cluster=web, version=NEXT, generation=web.generation, user=editor
    )
    assert Task.objects.filter(name="Upgrade VKS cluster").exists()
    drive(upgraded)
    assert {n.release for n in reconcilers.nodes_of(upgraded)} == {NEXT}
    with pytest.raises(SpecError):
        clusters.cluster_upgrade(
            cluster=upgraded, version=RELEASE, generation=upgraded.generation, user=editor
        )


def test_node_pools_are_added_and_removed(web, editor, storage_class):
    pool = {
        "name": "gpu",
        "replicas": 1,
        "vmClass": "best-effort-medium",
        "storageClass": storage_class,
    }
    web = clusters.cluster_nodepool_add(
        cluster=web, pool=pool, generation=web.generation, user=editor
    )
    drive(web)
    assert {n.pool for n in reconcilers.nodes_of(web)} == {"", "node-pool-1", "gpu"}
    with pytest.raises(SpecError, match="does not exist"):
        clusters.cluster_nodepool_remove(
            cluster=web, pool="nope", generation=web.generation, user=editor
        )
    web = clusters.cluster_nodepool_remove(
        cluster=web, pool="gpu", generation=web.generation, user=editor
    )
    drive(web)
    assert {n.pool for n in reconcilers.nodes_of(web)} == {"", "node-pool-1"}


def test_delete_frees_the_namespace(web, editor, namespace):
    deleted = clusters.cluster_delete(cluster=web, user=editor)
    assert deleted.phase == "Deleting"
    with pytest.raises(clusters.ClusterStateError):
        clusters.cluster_scale(
            cluster=web, pool="node-pool-1", replicas=1, generation=deleted.generation, user=editor
        )
    assert drive(deleted)[-1] == "GONE"
    assert Task.objects.get(name="Delete VKS cluster").state == "success"
