"""`/api/vcenter/namespaces/instances[/v2]`: Summary, Info, CreateSpec, UpdateSpec and delete,
through the same services as the pages and with their permission rules."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from inventory.models import ContentLibrary, Task
from tests.api.conftest import NS, error
from tests.conftest import PASSWORD
from tests.workloads.test_namespace_rules import compatible_policy, vm_in
from workloads.models import Namespace, NamespaceAccess, VksCluster

pytestmark = pytest.mark.django_db


def test_the_list_is_the_automation_api_summary(admin_api, namespace):
    rows = admin_api.get(NS).json()
    row = next(r for r in rows if r["namespace"] == "team-a")
    assert row == {
        "cluster": namespace.supervisor.cluster.moid,
        "namespace": "team-a",
        "description": "",
        "config_status": "RUNNING",
        "stats": {"cpu_used": 0, "memory_used": 0, "storage_used": 0},
        "self_service_namespace": False,
    }
    v2 = next(r for r in admin_api.get(f"{NS}/v2").json() if r["namespace"] == "team-a")
    assert "cluster" not in v2
    assert v2["supervisor"] == str(namespace.supervisor.supervisor_id)


def test_the_list_counts_usage(admin_api, namespace):
    vm_in(namespace, cpu_mhz=1200, memory_mib=4096, disk_mib=20480)
    row = admin_api.get(NS).json()[0]
    assert row["stats"] == {"cpu_used": 1200, "memory_used": 4096, "storage_used": 20480}


def test_the_list_sums_usage_per_namespace_in_queries_constant_in_namespaces(
    admin_api, admin, namespace, django_assert_max_num_queries
):
    """One grouped sum for every namespace (not three correlated sums each); a VM in a child
    pool (a VKS cluster's) counts for its namespace, another namespace's VMs do not."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory.models import ResourcePool
    from tests.workloads.conftest import settle
    from workloads import reconcilers, services

    vm_in(namespace, cpu_mhz=1000, memory_mib=1024, disk_mib=10)
    child = ResourcePool.objects.create(
        name="tkc-1",
        cluster=namespace.supervisor.cluster,
        parent=reconcilers.namespace_pool(namespace),
    )
    node = vm_in(namespace, cpu_mhz=200, memory_mib=512, disk_mib=5)
    node.resource_pool = child
    node.save()
    with CaptureQueriesContext(connection) as one:
        admin_api.get(NS)
    for name in ("team-b", "team-c", "team-d"):
        ns = services.namespace_create(supervisor=namespace.supervisor, name=name, user=admin)
        settle(ns)
    vm_in(Namespace.objects.get(name="team-c"), cpu_mhz=7, memory_mib=8, disk_mib=9)
    with django_assert_max_num_queries(len(one.captured_queries)):
        rows = {r["namespace"]: r["stats"] for r in admin_api.get(NS).json()}
    assert rows["team-a"] == {"cpu_used": 1200, "memory_used": 1536, "storage_used": 15}
    assert rows["team-c"] == {"cpu_used": 7, "memory_used": 8, "storage_used": 9}
    assert rows["team-b"] == rows["team-d"] == {"cpu_used": 0, "memory_used": 0, "storage_used": 0}
    info = admin_api.get(f"{NS}/team-a").json()
    assert info["stats"] == rows["team-a"]


def test_create_answers_204_and_the_namespace_appears_with_its_task(admin_api, supervisor):
    response = admin_api.post(
        NS, {"cluster": supervisor.cluster.moid, "namespace": "team-b", "description": "B"}
    )
    assert response.status_code == 204
    assert response.content == b""
    ns = Namespace.objects.get(name="team-b")
    assert (ns.description, ns.config_status) == ("B", "CONFIGURING")
    assert Task.objects.filter(name="Create namespace", key=ns.task.key).exists()
    assert "team-b" in [r["namespace"] for r in admin_api.get(NS).json()]


def test_create_applies_every_part_of_the_spec(admin_api, supervisor):
    get_user_model().objects.create_user("eddie@vsphere.local", password=PASSWORD)
    policy = compatible_policy(Namespace(supervisor=supervisor))
    library = ContentLibrary.objects.first()
    spec = {
        "supervisor": str(supervisor.supervisor_id),
        "namespace": "team-c",
        "resource_spec": {"cpu_limit": 5000, "memory_limit": 8192},
        "access_list": [
            {"subject_type": "USER", "subject": "Eddie", "domain": "vsphere.local", "role": "EDIT"}
        ],
        "storage_specs": [{"policy": str(policy.policy_id), "limit": 10240}],
        "vm_service_spec": {
            "vm_classes": ["best-effort-small", "guaranteed-large"],
            "content_libraries": [str(library.library_id)],
        },
    }
    assert admin_api.post(f"{NS}/v2", spec).status_code == 204
    info = admin_api.get(f"{NS}/team-c").json()
    assert info["resource_spec"] == {"cpu_limit": 5000, "memory_limit": 8192}
    assert info["access_list"] == [
        {"subject_type": "USER", "subject": "eddie", "domain": "vsphere.local", "role": "EDIT"}
    ]
    assert info["storage_specs"] == [{"policy": str(policy.policy_id), "limit": 10240}]
    assert info["vm_service_spec"] == {
        "vm_classes": ["best-effort-small", "guaranteed-large"],
        "content_libraries": [str(library.library_id)],
    }
    assert info["creator"] == {"subject": "administrator", "domain": "vsphere.local"}
    # one task for the whole spec: later parts join the running "Create namespace"
    assert Task.objects.filter(name="Update namespace").count() == 0


def test_a_bad_part_of_the_spec_leaves_nothing_created(admin_api, supervisor):
    spec = {
        "cluster": supervisor.cluster.moid,
        "namespace": "team-d",
        "vm_service_spec": {"vm_classes": ["no-such-class"]},
    }
    response = admin_api.post(NS, spec)
    assert response.status_code == 400
    assert error(response) == (
        "INVALID_ARGUMENT",
        ["vm_service_spec.vm_classes: VM class no-such-class does not exist."],
    )
    assert not Namespace.objects.filter(name="team-d").exists()
    assert not Task.objects.filter(name="Create namespace", target_name="team-d").exists()


def test_a_taken_name_is_400_already_exists(admin_api, namespace):
    response = admin_api.post(
        NS, {"cluster": namespace.supervisor.cluster.moid, "namespace": "team-a"}
    )
    assert response.status_code == 400
    assert error(response) == (
        "ALREADY_EXISTS",
        ["namespace: A namespace named 'team-a' already exists in this vCenter Server."],
    )


def test_an_invalid_name_is_400_invalid_argument(admin_api, supervisor):
    response = admin_api.post(NS, {"cluster": supervisor.cluster.moid, "namespace": "Team_A"})
    assert response.status_code == 400
    error_type, messages = error(response)
    assert error_type == "INVALID_ARGUMENT"
    assert messages[0].startswith("namespace: The name must be at most 63 characters")


@pytest.mark.parametrize(
    "body, message",
    [
        ({"cluster": None}, "cluster: expected string, got None"),
        ({"resource_spec": {"cpu_limit": "lots"}}, "resource_spec.cpu_limit: expected long"),
        ({"access_list": [{"subject_type": "ROBOT"}]}, "access_list[0].subject_type: expected"),
        ({"vm_service_spec": {"vm_classes": "small"}}, "vm_service_spec.vm_classes: expected"),
        ({"storage_specs": {"policy": "x"}}, "storage_specs: expected list"),
    ],
)
def test_wrong_types_and_unknown_enum_values_are_400(admin_api, supervisor, body, message):
    spec = {"cluster": supervisor.cluster.moid, "namespace": "team-e", **body}
    response = admin_api.post(NS, spec)
    assert response.status_code == 400
    error_type, messages = error(response)
    assert error_type == "INVALID_ARGUMENT"
    assert any(m.startswith(message) for m in messages), messages


def test_a_missing_field_is_named(admin_api, supervisor):
    response = admin_api.post(f"{NS}/v2", {"namespace": "team-e"})
    assert response.status_code == 400
    assert error(response) == ("INVALID_ARGUMENT", ["supervisor: expected id, got None"])


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"team-a"', "null"])
def test_malformed_json_is_400_never_500(admin_api, supervisor, body):
    response = admin_api.generic("POST", NS, body, content_type="application/json")
    assert response.status_code == 400
    assert error(response)[0] == "INVALID_ARGUMENT"


def test_an_unknown_cluster_is_404(admin_api, db):
    response = admin_api.post(NS, {"cluster": "domain-c999", "namespace": "team-f"})
    assert response.status_code == 404
    assert error(response)[0] == "NOT_FOUND"


def test_only_administrators_create_namespaces(api_as, editor, namespace):
    response = api_as(editor).post(
        NS, {"cluster": namespace.supervisor.cluster.moid, "namespace": "team-g"}
    )
    assert response.status_code == 403
    assert error(response) == (
        "UNAUTHORIZED",
        ["Permission to perform this operation was denied."],
    )


def test_info_has_the_automation_api_fields(api_as, viewer, namespace):
    info = api_as(viewer).get(f"{NS}/team-a").json()
    assert set(info) == {
        "cluster",
        "config_status",
        "messages",
        "stats",
        "description",
        "resource_spec",
        "access_list",
        "storage_specs",
        "vm_service_spec",
        "self_service_namespace",
        "creator",
    }
    assert info["cluster"] == namespace.supervisor.cluster.moid
    assert info["resource_spec"] == {}  # unlimited, as a new namespace starts
    assert info["messages"] == []
    assert {
        "subject_type": "GROUP",
        "subject": "Viewers",
        "domain": "vsphere.local",
        "role": "VIEW",
    } in info["access_list"]
    v2 = api_as(viewer).get(f"{NS}/v2/team-a").json()
    assert v2["supervisor"] == str(namespace.supervisor.supervisor_id) and "cluster" not in v2


def test_a_namespace_without_a_role_in_it_is_404(api_as, stranger, namespace):
    client = api_as(stranger)
    for method in ("get", "patch", "put", "delete"):
        response = getattr(client, method)(f"{NS}/team-a", {})
        assert response.status_code == 404
        assert error(response) == ("NOT_FOUND", ["Namespace team-a was not found."])


def test_a_viewer_patching_is_403_unauthorized(api_as, viewer, namespace):
    response = api_as(viewer).patch(f"{NS}/team-a", {"description": "mine now"})
    assert response.status_code == 403
    assert error(response)[0] == "UNAUTHORIZED"
    namespace.refresh_from_db()
    assert namespace.description == ""


def test_patch_changes_only_the_parts_given(admin_api, namespace):
    namespace.memory_limit_mib = 8192
    namespace.save()
    response = admin_api.patch(
        f"{NS}/team-a", {"description": "Payments", "resource_spec": {"cpu_limit": 3000}}
    )
    assert response.status_code == 204
    namespace.refresh_from_db()
    assert (namespace.description, namespace.cpu_limit_mhz, namespace.memory_limit_mib) == (
        "Payments",
        3000,
        8192,
    )
    assert namespace.config_status == "CONFIGURING"
    # ResourceQuotaOptionsV1Update: a limit sent as null is unchanged; `_unset` removes it.
    admin_api.patch(f"{NS}/team-a", {"resource_spec": {"cpu_limit": None}})
    namespace.refresh_from_db()
    assert (namespace.cpu_limit_mhz, namespace.memory_limit_mib) == (3000, 8192)
    admin_api.patch(f"{NS}/team-a", {"resource_spec": {"memory_limit_unset": True}})
    namespace.refresh_from_db()
    assert (namespace.cpu_limit_mhz, namespace.memory_limit_mib) == (3000, None)


def test_a_limit_below_usage_is_400_with_the_usage(admin_api, namespace):
    vm_in(namespace, cpu_mhz=1200, memory_mib=4096, disk_mib=20480)
    response = admin_api.patch(
        f"{NS}/team-a", {"resource_spec": {"cpu_limit": 1000, "storage_request_limit": 10240}}
    )
    assert response.status_code == 400
    assert error(response) == (
        "INVALID_ARGUMENT",
        [
            "resource_spec.cpu_limit: The CPU limit cannot be less than current usage (1200 MHz).",
            "resource_spec.storage_request_limit: The storage limit cannot be less than current "
            "usage (20.00 GB).",
        ],
    )


def test_a_storage_limit_below_use_names_the_policy(admin_api, namespace):
    policy = compatible_policy(namespace)
    vm_in(namespace, disk_mib=20480, policy=policy)
    spec = {"storage_specs": [{"policy": str(policy.policy_id), "limit": 1024}]}
    response = admin_api.patch(f"{NS}/team-a", spec)
    assert response.status_code == 400
    (message,) = error(response)[1]
    assert message.startswith(f"storage_specs[{policy.policy_id}].limit: The limit cannot be")


def test_an_owner_replaces_the_access_list(api_as, owner, editor, viewer, namespace):
    spec = {
        "access_list": [
            {
                "subject_type": "USER",
                "subject": "olivia",
                "domain": "vsphere.local",
                "role": "OWNER",
            },
            {"subject_type": "USER", "subject": "eddie", "domain": "vsphere.local", "role": "VIEW"},
        ]
    }
    assert api_as(owner).patch(f"{NS}/team-a", spec).status_code == 204
    rows = NamespaceAccess.objects.filter(namespace=namespace)
    assert sorted((a.subject, a.role) for a in rows) == [("eddie", "VIEW"), ("olivia", "OWNER")]


def test_a_refused_part_of_an_update_changes_nothing(admin_api, namespace):
    spec = {"description": "changed", "vm_service_spec": {"vm_classes": ["no-such-class"]}}
    assert admin_api.patch(f"{NS}/team-a", spec).status_code == 400
    namespace.refresh_from_db()
    assert namespace.description == ""


def test_delete_answers_204_and_the_namespace_is_removing(admin_api, namespace):
    assert admin_api.delete(f"{NS}/team-a").status_code == 204
    assert admin_api.get(f"{NS}/team-a").json()["config_status"] == "REMOVING"
    assert Task.objects.filter(name="Delete namespace").exists()


def test_delete_is_refused_while_vks_clusters_exist(admin_api, namespace):
    VksCluster.objects.create(name="tkc-01", namespace=namespace)
    response = admin_api.delete(f"{NS}/team-a")
    assert response.status_code == 400
    assert error(response) == (
        "NOT_ALLOWED_IN_CURRENT_STATE",
        ["Namespace team-a still has VKS clusters: tkc-01. Delete them first."],
    )


def test_changes_to_a_namespace_being_deleted_are_refused(admin_api, namespace):
    admin_api.delete(f"{NS}/team-a")
    response = admin_api.patch(f"{NS}/team-a", {"description": "late"})
    assert response.status_code == 400
    assert error(response)[0] == "NOT_ALLOWED_IN_CURRENT_STATE"
