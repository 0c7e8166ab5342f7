"""VKS clusters on the Supervisor's Kubernetes API: TKCs and Cluster API Clusters built straight
from the rows, stored as written (what a user wrote comes back, so `kubectl apply` twice finds
nothing to change), `kubectl get` columns, writes through the services, dry runs that leave
nothing, and a list whose query count does not grow with the clusters in it."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Event, Task
from kubeapi.clusters import CLUSTERS, TANZU_KUBERNETES_CLUSTERS, unknown_fields
from kubeapi.surface import Context
from tests.workloads.conftest import RELEASE, drive
from workloads.cluster_objects import export_manifest
from workloads.models import VksCluster
from workloads.services import clusters as services
from workloads.services.clusters import ClusterStateError, ConflictError
from workloads.specs import SpecError

pytestmark = pytest.mark.django_db

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
TKCS = TANZU_KUBERNETES_CLUSTERS


def ctx(user) -> Context:
    return Context(user=user, now=timezone.now())


def tkc_body(storage_class: str, name: str = "tkc") -> dict:
    """A TKC as VMware's docs write one, with fields the simulator keeps but does not model."""
    tkr = {"reference": {"name": RELEASE}}
    classes = {"vmClass": "best-effort-small", "storageClass": storage_class, "tkr": tkr}
    body = {
        "apiVersion": "run.tanzu.vmware.com/v1alpha3",
        "kind": "TanzuKubernetesCluster",
        "metadata": {"name": name, "namespace": "team-a", "labels": {"env": "prod"}},
        "spec": {
            "topology": {
                "controlPlane": {
                    "replicas": 1,
                    **classes,
                    "nodeDrainTimeout": "0s",
                    "volumes": [
                        {
                            "name": "etcd",
                            "mountPath": "/var/lib/etcd",
                            "capacity": {"storage": "4Gi"},
                        }
                    ],
                },
                "nodePools": [
                    {
                        "name": "workers",
                        "replicas": 2,
                        **classes,
                        "labels": {"tier": "web"},
                        "taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}],
                        "volumes": [
                            {
                                "name": "containerd",
                                "mountPath": "/var/lib/containerd",
                                "capacity": {"storage": "50Gi"},
                            }
                        ],
                    }
                ],
            },
            "settings": {
                "network": {
                    "cni": {"name": "antrea"},
                    "proxy": {"httpProxy": "http://proxy:3128", "noProxy": ["10.0.0.0/8"]},
                },
                "storage": {"defaultClass": storage_class},
            },
        },
    }
    # As `kubectl apply` sends it: the file itself in the last-applied annotation.
    body["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(body)}
    return body


def cluster_body(storage_class: str, name: str = "web", version: str = RELEASE) -> dict:
    return {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "metadata": {"name": name, "namespace": "team-a"},
        "spec": {
            "topology": {
                "class": "builtin-generic-v3.4.0",
                "classNamespace": "vmware-system-vks-public",
                "version": version,
                "controlPlane": {"replicas": 1, "nodeDrainTimeout": "5m"},
                "workers": {
                    "machineDeployments": [
                        {
                            "class": "node-pool",
                            "name": "node-pool-1",
                            "replicas": 2,
                            "failureDomain": "zone-a",
                            "metadata": {"labels": {"pool": "one"}},
                        }
                    ]
                },
                "variables": [
                    {"name": "vmClass", "value": "best-effort-small"},
                    {"name": "storageClass", "value": storage_class},
                    {"name": "ntp", "value": {"servers": ["time.example.com"]}},
                ],
            }
        },
    }


def assert_written(live, written, where: str = "") -> None:
    """Every field of `written` has the same value in `live`: kubectl's patch from the file to
    the live object is then empty (`unchanged`)."""
    if isinstance(written, dict):
        assert isinstance(live, dict), where
        for key, value in written.items():
            assert key in live, f"{where}.{key} is missing"
            assert_written(live[key], value, f"{where}.{key}")
    elif isinstance(written, list):
        assert isinstance(live, list) and len(live) == len(written), where
        for i, (a, b) in enumerate(zip(live, written, strict=True)):
            assert_written(a, b, f"{where}[{i}]")
    else:
        assert live == written, f"{where}: {live!r} != {written!r}"


def cells(resource, obj: dict, user) -> list:
    return [column.cell(obj, ctx(user)) for column in resource.columns]


# ---------------------------------------------------------------- objects and columns


def test_a_tkc_comes_back_as_written_with_its_columns(editor, storage_class):
    body = tkc_body(storage_class)
    created = TKCS.writer.create(ctx(editor), "team-a", copy.deepcopy(body), dry_run=False)

    live = TKCS.source.get(ctx(editor), "team-a", "tkc")
    assert live == created
    assert_written(live, {k: v for k, v in body.items() if k != "metadata"})
    assert live["metadata"]["labels"] == {"env": "prod"}
    assert live["metadata"]["annotations"] == body["metadata"]["annotations"]
    metadata = live["metadata"]
    assert metadata["uid"] and metadata["creationTimestamp"] and metadata["generation"] == 1
    assert metadata["resourceVersion"]
    # Defaults the real product fills are there too.
    assert live["spec"]["settings"]["network"]["services"] == {"cidrBlocks": ["10.96.0.0/12"]}
    # NAME aside: CONTROL PLANE, WORKER, TKR NAME, AGE, READY, TKR COMPATIBLE, UPDATES AVAILABLE
    age = cells(TKCS, live, editor)[3]
    assert cells(TKCS, live, editor) == [
        1,
        0,
        RELEASE,
        age,
        "",
        "True",
        "[v1.33.6+vmware.1-fips-vkr.2 v1.33.3+vmware.1-fips-vkr.1]",
    ]
    assert age.endswith("s")
    assert [c.name.upper() for c in TKCS.columns] == [
        "CONTROL PLANE",
        "WORKER",
        "TKR NAME",
        "AGE",
        "READY",
        "TKR COMPATIBLE",
        "UPDATES AVAILABLE",
    ]


def test_a_converged_tkc_counts_its_workers_and_is_ready(editor, storage_class):
    TKCS.writer.create(ctx(editor), "team-a", tkc_body(storage_class), dry_run=False)
    drive(VksCluster.objects.get(name="tkc"))

    live = TKCS.source.get(ctx(editor), "team-a", "tkc")
    assert cells(TKCS, live, editor)[:3] == [1, 2, RELEASE]
    assert cells(TKCS, live, editor)[4:6] == ["True", "True"]
    assert live["status"]["apiEndpoints"][0]["port"] == 6443


def test_a_tkc_is_also_a_cluster_owned_by_it_and_read_only_there(editor, storage_class):
    tkc = TKCS.writer.create(ctx(editor), "team-a", tkc_body(storage_class), dry_run=False)
    CLUSTERS.writer.create(ctx(editor), "team-a", cluster_body(storage_class), dry_run=False)

    by_name = {o["metadata"]["name"]: o for o in CLUSTERS.source.list(ctx(editor), "team-a")}
    assert set(by_name) == {"tkc", "web"}
    owned = by_name["tkc"]
    assert owned["kind"] == "Cluster" and owned["apiVersion"] == "cluster.x-k8s.io/v1beta1"
    assert owned["metadata"]["uid"] != tkc["metadata"]["uid"]
    assert owned["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "run.tanzu.vmware.com/v1alpha3",
            "kind": "TanzuKubernetesCluster",
            "name": "tkc",
            "uid": tkc["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    # CLUSTERCLASS, PHASE, AGE, VERSION
    assert cells(CLUSTERS, owned, editor)[:2] == ["tanzukubernetescluster", "Pending"]
    assert cells(CLUSTERS, owned, editor)[3] == RELEASE
    assert cells(CLUSTERS, by_name["web"], editor)[0] == "builtin-generic-v3.4.0"
    assert "ownerReferences" not in by_name["web"]["metadata"]
    # A Cluster made as a Cluster has no TKC.
    assert [o["metadata"]["name"] for o in TKCS.source.list(ctx(editor), "team-a")] == ["tkc"]
    assert TKCS.source.get(ctx(editor), "team-a", "web") is None
    # The TKC's controller owns its Cluster: changes go to the TKC.
    with pytest.raises(ClusterStateError, match="managed by TanzuKubernetesCluster"):
        CLUSTERS.writer.replace(ctx(editor), "team-a", "tkc", owned, dry_run=False)
    with pytest.raises(ClusterStateError):
        CLUSTERS.writer.delete(ctx(editor), "team-a", "tkc", {}, dry_run=False)


def test_only_namespaces_the_user_may_see_are_listed(editor, stranger, storage_class):
    CLUSTERS.writer.create(ctx(editor), "team-a", cluster_body(storage_class), dry_run=False)

    assert CLUSTERS.source.list(ctx(stranger), None) == []
    assert CLUSTERS.source.get(ctx(stranger), "team-a", "web") is None
    assert [o["metadata"]["name"] for o in CLUSTERS.source.list(ctx(editor), None)] == ["web"]


# ---------------------------------------------------------------- stored as written


def test_a_cluster_keeps_unmodelled_fields_and_its_version_as_written(editor, storage_class):
    body = cluster_body(storage_class, version="v1.32.7+vmware.3-fips")
    CLUSTERS.writer.create(ctx(editor), "team-a", copy.deepcopy(body), dry_run=False)

    live = CLUSTERS.source.get(ctx(editor), "team-a", "web")
    assert_written(live["spec"], body["spec"])
    # The simulation runs the release the version resolves to.
    assert VksCluster.objects.get(name="web").spec["topology"]["version"] == RELEASE


def test_changes_made_in_the_ui_are_carried_into_the_written_spec(editor, storage_class):
    body = cluster_body(storage_class, version="v1.32.7+vmware.3-fips")
    CLUSTERS.writer.create(ctx(editor), "team-a", copy.deepcopy(body), dry_run=False)
    web = VksCluster.objects.get(name="web")

    services.cluster_scale(cluster=web, pool="node-pool-1", replicas=3, generation=1, user=editor)

    live = CLUSTERS.source.get(ctx(editor), "team-a", "web")
    deployment = live["spec"]["topology"]["workers"]["machineDeployments"][0]
    assert deployment["replicas"] == 3 and live["metadata"]["generation"] == 2
    # What the scale did not touch stays as written.
    assert deployment["failureDomain"] == "zone-a"
    assert deployment["metadata"] == {"labels": {"pool": "one"}}
    assert live["spec"]["topology"]["version"] == "v1.32.7+vmware.3-fips"
    assert live["spec"]["topology"]["variables"][2] == body["spec"]["topology"]["variables"][2]
    # The YAML tab shows the same object (its resourceVersion aside).
    exported = yaml.safe_load(export_manifest(VksCluster.objects.get(name="web")))
    del live["metadata"]["resourceVersion"]
    assert exported == live


def test_replace_keeps_labels_and_annotations_and_only_a_spec_change_bumps_generation(
    editor, storage_class
):
    TKCS.writer.create(ctx(editor), "team-a", tkc_body(storage_class), dry_run=False)
    live = TKCS.source.get(ctx(editor), "team-a", "tkc")

    live["metadata"]["labels"] = {"env": "staging", "team": "a"}
    replaced = TKCS.writer.replace(ctx(editor), "team-a", "tkc", live, dry_run=False)
    assert replaced["metadata"]["labels"] == {"env": "staging", "team": "a"}
    assert replaced["metadata"]["generation"] == 1  # metadata is not spec
    assert LAST_APPLIED in replaced["metadata"]["annotations"]

    pool = replaced["spec"]["topology"]["nodePools"][0]
    pool["nodeDrainTimeout"] = "10m"  # unmodelled: a spec change, but no operation
    again = TKCS.writer.replace(ctx(editor), "team-a", "tkc", replaced, dry_run=False)
    assert again["spec"]["topology"]["nodePools"][0]["nodeDrainTimeout"] == "10m"
    assert again["metadata"]["generation"] == 2
    assert Task.objects.filter(name="Update VKS cluster").count() == 0


def test_a_replace_against_an_old_resource_version_is_a_conflict(editor, storage_class):
    TKCS.writer.create(ctx(editor), "team-a", tkc_body(storage_class), dry_run=False)
    stale = TKCS.source.get(ctx(editor), "team-a", "tkc")
    fresh = copy.deepcopy(stale)
    fresh["spec"]["topology"]["nodePools"][0]["replicas"] = 3
    TKCS.writer.replace(ctx(editor), "team-a", "tkc", fresh, dry_run=False)

    stale["spec"]["topology"]["nodePools"][0]["replicas"] = 1
    with pytest.raises(ConflictError, match='tanzukubernetesclusters.run.tanzu.vmware.com "tkc"'):
        TKCS.writer.replace(ctx(editor), "team-a", "tkc", stale, dry_run=False)
    assert VksCluster.objects.get(name="tkc").spec["topology"]["nodePools"][0]["replicas"] == 3


def test_writes_need_can_edit(viewer, stranger, storage_class):
    with pytest.raises(PermissionDenied):
        TKCS.writer.create(ctx(viewer), "team-a", tkc_body(storage_class), dry_run=False)
    with pytest.raises(Http404):
        TKCS.writer.create(ctx(stranger), "team-a", tkc_body(storage_class), dry_run=False)
    assert not VksCluster.objects.exists()


# ---------------------------------------------------------------- dry run


def test_a_dry_run_does_everything_and_leaves_nothing(
    editor, storage_class, django_capture_on_commit_callbacks
):
    tasks, events = Task.objects.count(), Event.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        made = TKCS.writer.create(ctx(editor), "team-a", tkc_body(storage_class), dry_run=True)
    assert made["metadata"]["name"] == "tkc" and made["spec"]["topology"]["nodePools"]
    assert callbacks == []  # no reconcile, no Recent Tasks stamp
    assert not VksCluster.objects.exists()
    assert (Task.objects.count(), Event.objects.count()) == (tasks, events)

    # Admission still runs: a dry run of a bad spec fails as the real one would.
    bad = tkc_body(storage_class)
    bad["spec"]["topology"]["controlPlane"]["replicas"] = 2
    with pytest.raises(Exception) as refused:
        TKCS.writer.create(ctx(editor), "team-a", bad, dry_run=True)
    assert "replicas" in str(refused.value)

    TKCS.writer.create(ctx(editor), "team-a", tkc_body(storage_class), dry_run=False)
    live = TKCS.source.get(ctx(editor), "team-a", "tkc")
    live["spec"]["topology"]["nodePools"][0]["replicas"] = 5
    with django_capture_on_commit_callbacks() as callbacks:
        scaled = TKCS.writer.replace(ctx(editor), "team-a", "tkc", live, dry_run=True)
        deleted = TKCS.writer.delete(ctx(editor), "team-a", "tkc", {}, dry_run=True)
    assert scaled["spec"]["topology"]["nodePools"][0]["replicas"] == 5
    assert deleted["metadata"]["deletionTimestamp"]
    assert callbacks == []
    stored = VksCluster.objects.get(name="tkc")
    assert stored.spec["topology"]["nodePools"][0]["replicas"] == 2
    assert not stored.is_deleting and stored.generation == 1


# ---------------------------------------------------------------- strict field validation


def test_unknown_fields_are_named_as_strict_decoding_names_them(storage_class):
    body = tkc_body(storage_class)
    assert unknown_fields("TanzuKubernetesCluster", body) == []
    assert unknown_fields("Cluster", cluster_body(storage_class)) == []

    body["spec"]["foo"] = 1
    body["spec"]["topology"]["nodePools"][0]["replica"] = 2
    body["metadata"]["labelz"] = {}
    body["status"] = {"totalWorkerReplicas": 2, "bogus": True}
    assert unknown_fields("TanzuKubernetesCluster", body) == [
        "metadata.labelz",
        "spec.topology.nodePools[0].replica",
        "spec.foo",
        "status.bogus",
    ]
    # A ClusterClass variable's value is any JSON.
    made = cluster_body(storage_class)
    made["spec"]["topology"]["variables"][2]["value"] = {"anything": [{"at": "all"}]}
    made["spec"]["topology"]["workers"]["machineDeployments"][0]["nodeDrain"] = "1m"
    assert unknown_fields("Cluster", made) == [
        "spec.topology.workers.machineDeployments[0].nodeDrain"
    ]


def test_the_schemas_explain_the_fields_kubectl_explain_asks_for():
    topology = TKCS.schema["properties"]["spec"]["properties"]["topology"]
    assert topology["description"]
    assert set(topology["properties"]) == {"controlPlane", "nodePools"}
    pool = topology["properties"]["nodePools"]["items"]
    assert {"name", "replicas", "vmClass", "storageClass", "tkr", "volumes"} <= set(
        pool["properties"]
    )
    assert all(field.get("description") for field in pool["properties"].values())


# ---------------------------------------------------------------- cost


def test_the_list_costs_the_same_queries_for_1_or_20_clusters(editor, storage_class):
    def queries(resource) -> int:
        with CaptureQueriesContext(connection) as captured:
            resource.source.list(ctx(editor), "team-a")
        return len(captured)

    TKCS.writer.create(ctx(editor), "team-a", tkc_body(storage_class, "c0"), dry_run=False)
    drive(VksCluster.objects.get(name="c0"))  # one with nodes
    # The clusters, their namespaces and Supervisors; for TKCs also their nodes and the
    # releases of their namespaces; the resourceVersions. (The user's groups are memoised on
    # the user by then.)
    one = {resource.plural: queries(resource) for resource in (TKCS, CLUSTERS)}
    for i in range(1, 20):
        if i % 2:
            body = tkc_body(storage_class, f"c{i}")
            TKCS.writer.create(ctx(editor), "team-a", body, dry_run=False)
        else:
            CLUSTERS.writer.create(
                ctx(editor), "team-a", cluster_body(storage_class, f"c{i}"), dry_run=False
            )
    twenty = {resource.plural: queries(resource) for resource in (TKCS, CLUSTERS)}
    assert twenty == one
    assert one == {"tanzukubernetesclusters": 6, "clusters": 4}
    assert len(CLUSTERS.source.list(ctx(editor), "team-a")) == 20


def test_malformed_labels_and_annotations_are_invalid(editor, storage_class):
    body = tkc_body(storage_class)
    body["metadata"]["labels"] = {"env": "not a label value!"}
    body["metadata"]["annotations"] = {"/bad": "x"}
    with pytest.raises(SpecError) as refused:
        TKCS.writer.create(ctx(editor), "team-a", body, dry_run=False)
    assert set(refused.value.errors) == {"metadata.labels", "metadata.annotations"}
    assert not VksCluster.objects.exists()
