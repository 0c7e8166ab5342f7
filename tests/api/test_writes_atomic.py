"""Every API write applies a whole valid body or nothing: a body with a missing or invalid part
is a 4xx naming the field, and the object stays exactly as it was, however many valid parts came
before the bad one (a spec is applied in one transaction). Table tests, one row per body."""

from __future__ import annotations

import copy
import json

import pytest

from tests.api.conftest import NM, NS, error
from tests.workloads.conftest import spec
from tests.workloads.test_edit_forms_atomic import configure, ns_state, vm_class_state
from workloads.models import Namespace, VksCluster
from workloads.services import clusters

pytestmark = pytest.mark.django_db
NOBODY = {"subject_type": "USER", "subject": "nobody", "domain": "vsphere.local", "role": "VIEW"}
CAPI = "/apis/cluster.x-k8s.io/v1beta1/namespaces/team-a/clusters"


@pytest.fixture
def configured(admin, namespace, editor) -> dict:
    """team-a with limits, a storage policy, a VM class and a library: a clear shows."""
    return configure(admin, namespace)


# Each: a body whose last part is wrong (a valid part first where it can be), the field named.
PATCHES = [
    ({"description": "x", "resource_spec": {"cpu_limit": "abc"}}, "resource_spec.cpu_limit"),
    ({"resource_spec": {"memory_limit": -1}}, "resource_spec.memory_limit"),
    ({"resource_spec": "lots"}, "resource_spec"),
    ({"description": ["x"]}, "description"),
    (
        {"resource_spec": {"cpu_limit": 6000}, "storage_specs": [{"policy": "nope"}]},
        "storage_specs",
    ),
    (
        {"resource_spec": {"cpu_limit": 6000}, "storage_specs": [{"limit": 5}]},
        "storage_specs[0].policy",
    ),
    (
        {"description": "x", "resource_spec": {"cpu_limit": 6000}}
        | {"vm_service_spec": {"vm_classes": ["no-such-class"]}},
        "vm_service_spec.vm_classes",
    ),
    (
        {"vm_service_spec": {"vm_classes": ["guaranteed-small"], "content_libraries": ["nope"]}},
        "vm_service_spec.content_libraries",
    ),
    ({"resource_spec": {"cpu_limit": 6000}, "access_list": [NOBODY]}, "access_list.subject"),
    (
        {"description": "x"}
        | {
            "access_list": [{"subject_type": "USER", "subject": "eddie", "domain": "vsphere.local"}]
        },
        "access_list[0].role",
    ),
]


def test_a_namespace_patch_with_a_bad_part_changes_nothing(admin_api, configured):
    before = ns_state(configured)
    for body, field in PATCHES:  # one namespace for the table: each row must change nothing
        response = admin_api.patch(f"{NS}/team-a", body, format="json")
        assert response.status_code == 400, (body, response.content)
        error_type, messages = error(response)
        assert error_type == "INVALID_ARGUMENT"
        assert any(m.startswith(f"{field}:") for m in messages), (body, messages)
        assert ns_state(configured) == before, body


def test_a_whole_patch_changes_every_part(admin_api, configured):
    """The control: the same parts, all valid, go through together."""
    before = ns_state(configured)
    body = {
        "description": "x",
        "resource_spec": {"cpu_limit": 6000, "memory_limit_unset": True},
        "vm_service_spec": {"vm_classes": ["guaranteed-small"]},
    }
    assert admin_api.patch(f"{NS}/team-a", body, format="json").status_code == 204
    after = ns_state(configured)
    assert after[1:3] == ("x", (6000, None, 102400)) and after[4] == ["guaranteed-small"]
    assert after[3] == before[3] and after[5:] == before[5:]  # the parts not given: unchanged


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"resource_spec": {"cpu_limit": 5000}, "storage_specs": [{"policy": "nope"}]},
            "storage_specs",
        ),
        ({"resource_spec": {"cpu_limit": 5000}, "access_list": [NOBODY]}, "access_list.subject"),
    ],
)
def test_a_create_with_a_bad_part_creates_nothing(admin_api, supervisor, body, field):
    spec = {"cluster": supervisor.cluster.moid, "namespace": "team-x", **body}
    response = admin_api.post(NS, spec, format="json")
    assert response.status_code == 400
    assert any(m.startswith(f"{field}:") for m in error(response)[1])
    assert not Namespace.objects.filter(name="team-x").exists()


# ---------------------------------------------------------------- access


EDDIE = f"{NS}/team-a/access/vsphere.local/eddie"


ACCESS_WRITES = [  # (query, body, the field named)
    ("?type=USER", {}, "role"),
    ("?type=USER", {"role": "ROOT"}, "role"),
    ("?type=USER", {"role": None}, "role"),
    ("", {"role": "OWNER"}, "type"),
    ("?type=ROBOT", {"role": "OWNER"}, "type"),
]


def test_an_access_write_without_a_valid_role_or_type_changes_nothing(admin_api, configured):
    before = ns_state(configured)
    for method in (admin_api.put, admin_api.post):
        for query, body, field in ACCESS_WRITES:
            response = method(f"{EDDIE}{query}", body, format="json")
            assert response.status_code == 400, (query, body)
            messages = error(response)[1]
            assert any(m.startswith(f"{field}:") for m in messages), (query, body, messages)
            assert ns_state(configured) == before, (query, body)


# ---------------------------------------------------------------- VM classes


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cpu_count": 4, "memory_MB": "abc"}, "memory_MB"),
        ({"cpu_count": 4, "memory_MB": None}, "memory_MB"),
        ({"description": "x", "cpu_count": 0}, "cpu_count"),
        ({"description": "x", "cpu_reservation": 150}, "cpu_reservation"),
        ({"memory_MB": 4098}, "memory_MB"),
    ],
)
def test_a_vm_class_patch_with_a_bad_field_changes_nothing(admin_api, body, field):
    before = vm_class_state({})
    url = f"{NM}/virtual-machine-classes/guaranteed-small"
    response = admin_api.patch(url, body, format="json")
    assert response.status_code == 400, response.content
    assert any(m.startswith(f"{field}:") for m in error(response)[1]), error(response)
    assert vm_class_state({}) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "web", "cpu_count": 2}, "memory_MB"),
        ({"id": "web", "memory_MB": 4096}, "cpu_count"),
        ({"cpu_count": 2, "memory_MB": 4096}, "id"),
        (
            {"id": "web", "cpu_count": 2, "memory_MB": 4096, "memory_reservation": -1},
            "memory_reservation",
        ),
    ],
)
def test_a_vm_class_create_missing_or_bad_creates_nothing(admin_api, body, field):
    before = vm_class_state({})
    response = admin_api.post(f"{NM}/virtual-machine-classes", body, format="json")
    assert response.status_code == 400, response.content
    assert any(m.startswith(f"{field}:") for m in error(response)[1]), error(response)
    assert vm_class_state({}) == before


# ---------------------------------------------------------------- Kubernetes-style replace


def topology(document: dict) -> dict:
    return document["spec"]["topology"]


def _replicas(document):
    topology(document)["workers"]["machineDeployments"][0]["replicas"] = "three"


def _vm_class(document):
    topology(document)["variables"] = [
        {"name": "vmClass", "value": "guaranteed-8xlarge"} if v["name"] == "vmClass" else v
        for v in topology(document)["variables"]
    ]


def _no_spec(document):
    del document["spec"]


def _no_topology(document):
    document["spec"] = {}


def _no_version(document):
    del topology(document)["version"]


BREAKS = [(_replicas, 422), (_vm_class, 422), (_no_spec, 422), (_no_topology, 422)]
BREAKS += [(_no_version, 422)]


def test_a_replace_with_a_bad_or_missing_part_changes_nothing(
    api_as, editor, namespace, storage_class
):
    cluster = clusters.cluster_create(
        namespace=namespace, name="web", spec=spec(storage_class), user=editor
    )
    client = api_as(editor)
    document = client.get(f"{CAPI}/web").json()
    before = VksCluster.objects.filter(pk=cluster.pk).values_list("generation", "spec").get()
    for break_it, code in BREAKS:
        broken = copy.deepcopy(document)
        topology(broken)["workers"]["machineDeployments"][0]["replicas"] = 4  # a valid change
        break_it(broken)
        response = client.put(f"{CAPI}/web", json.dumps(broken), content_type="application/json")
        assert response.status_code == code, (break_it.__name__, response.content)
        assert response.json()["kind"] == "Status"
        after = VksCluster.objects.filter(pk=cluster.pk).values_list("generation", "spec").get()
        assert after == before, break_it.__name__


def test_a_replace_that_leaves_counts_out_keeps_the_running_ones(
    api_as, editor, namespace, storage_class
):
    """Cluster API: an unset count is someone else's (the autoscaler's) to manage, so a replace
    without counts scales nothing down; a new pool starts with one, an explicit count applies."""
    cluster = clusters.cluster_create(
        namespace=namespace, name="web", spec=spec(storage_class, cp=3, workers=2), user=editor
    )
    client = api_as(editor)
    document = client.get(f"{CAPI}/web").json()
    del topology(document)["controlPlane"]["replicas"]
    pools = topology(document)["workers"]["machineDeployments"]
    pools[0]["replicas"] = None  # null: unset too
    pools.append({"class": "node-pool", "name": "gpu"})
    response = client.put(f"{CAPI}/web", json.dumps(document), content_type="application/json")
    assert response.status_code == 200, response.content
    cluster.refresh_from_db()
    counts = [(p["name"], p["replicas"]) for p in cluster.spec["topology"]["nodePools"]]
    assert cluster.spec["topology"]["controlPlane"]["replicas"] == 3
    assert counts == [("node-pool-1", 2), ("gpu", 1)]
    pools[0]["replicas"] = 0
    del document["metadata"]["resourceVersion"], document["metadata"]["generation"]
    response = client.put(f"{CAPI}/web", json.dumps(document), content_type="application/json")
    assert response.status_code == 200, response.content
    cluster.refresh_from_db()
    assert cluster.spec["topology"]["nodePools"][0]["replicas"] == 0  # given: applied
