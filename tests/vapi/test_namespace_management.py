# ruff: noqa: F811  (the fixtures imported below are parameters of the tests)
"""Workload Management over the Automation API (vapi.namespace_management, vapi.namespaces,
vapi.tasks): REST at /api/vcenter/namespace-management/... and vAPI JSON-RPC at POST /api, the
same services, validation, permissions and Tasks as the pages. The declared structures are
checked against the SDK 9.1.1 bindings' own (canonical names, field names, enum values)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Cluster, Task
from tests.api.conftest import NM, basic
from tests.vapi.specs import FREE_CLUSTER, compute_cluster_spec, enable_spec
from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    cluster,
    namespace,
    raw_spec,
    stranger,
    supervisor,
    viewer,
)
from vapi import bindings as b
from vapi.operations import registry
from workloads.models import Namespace, Supervisor

pytestmark = pytest.mark.django_db

SESSION_ID = "com.vmware.vapi.std.security.session_id"


def login(client, user) -> str:
    response = client.post("/api/session", HTTP_AUTHORIZATION=basic(user.username))
    assert response.status_code == 201, response.content
    return response.json()


class Api:
    """One user's session through both front doors."""

    def __init__(self, client, user):
        self.client, self.token = client, login(client, user)

    def rest(self, method: str, path: str, body=None):
        send = getattr(self.client, method.lower())
        kwargs = {"HTTP_VMWARE_API_SESSION_ID": self.token}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return send(path, **kwargs)

    def rpc(self, service: str, name: str, **args):
        """(output, error) of an invoke; input encoded and output decoded by the declaration."""
        op = registry()[(service, name)]
        envelope = {
            "jsonrpc": "2.0",
            "method": "invoke",
            "id": "7",
            "params": {
                "serviceId": service,
                "operationId": name,
                "input": op.input.vapi(args),
                "ctx": {"securityCtx": {"schemeId": SESSION_ID, "sessionId": self.token}},
            },
        }
        response = self.client.post("/api", envelope, content_type="application/json")
        assert response.status_code == 200
        result = response.json()["result"]
        if "error" in result:
            ((canonical, fields),) = result["error"]["ERROR"].items()
            error_type = fields["error_type"]["OPTIONAL"]
            assert canonical == f"com.vmware.vapi.std.errors.{error_type.lower()}"
            error = b.error_struct(error_type).from_vapi({"STRUCTURE": {canonical: fields}})
            return None, (error_type, error["messages"])
        return op.output.from_vapi(result["output"]), None


@pytest.fixture
def as_admin(client, admin):
    return Api(client, admin)


@pytest.fixture
def free_cluster(db):
    return Cluster.objects.get(name=FREE_CLUSTER)


def kind(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error_type"], body["messages"][0]["default_message"]


# ---------------------------------------------------------------- the SDK's own declarations


def _sdk_types():
    pytest.importorskip("com.vmware.vcenter.namespace_management_client")
    from com.vmware.cis_client import Tasks
    from com.vmware.vcenter import namespace_management_client as nm
    from com.vmware.vcenter import namespaces_client as ns
    from com.vmware.vcenter.namespace_management import supervisors_client as sup

    return {
        ("com.vmware.vcenter.namespace_management.clusters", "list"): nm._ClustersStub,
        ("com.vmware.vcenter.namespace_management.cluster_compatibility", "list"): (
            nm._ClusterCompatibilityStub
        ),
        ("com.vmware.vcenter.namespace_management.supervisors", "enable_on_compute_cluster"): (
            nm._SupervisorsStub
        ),
        ("com.vmware.vcenter.namespace_management.supervisors.summary", "list"): sup._SummaryStub,
        ("com.vmware.vcenter.namespace_management.virtual_machine_classes", "list"): (
            nm._VirtualMachineClassesStub
        ),
        ("com.vmware.vcenter.namespaces.instances", "list"): ns._InstancesStub,
        ("com.vmware.vcenter.namespaces.access", "get"): ns._AccessStub,
        ("com.vmware.vcenter.namespaces.namespace_self_service", "get"): (
            ns._NamespaceSelfServiceStub
        ),
        ("com.vmware.vcenter.namespaces.namespace_templates", "get"): ns._NamespaceTemplatesStub,
        ("com.vmware.cis.tasks", "get"): Tasks.__init__.__globals__["_TasksStub"],
    }


def _compare(ours: b.Type, theirs, path: str) -> None:
    from vmware.vapi.bindings import type as t

    if isinstance(theirs, t.ReferenceType):
        theirs = theirs.resolved_type
    if isinstance(ours, b.Dynamic):
        return  # a field the simulator refuses when given
    if isinstance(theirs, t.OptionalType):
        assert isinstance(ours, b.Optional), f"{path}: optional in the SDK"
        return _compare(ours.of, theirs.element_type, path)
    assert not isinstance(ours, b.Optional), f"{path}: required in the SDK"
    if isinstance(theirs, t.ListType | t.SetType):
        assert isinstance(ours, b.List), path
        return _compare(ours.of, theirs.element_type, f"{path}[]")
    if isinstance(theirs, t.DynamicStructType):
        assert isinstance(ours, b.Struct), path
        return
    if isinstance(theirs, t.StructType):
        assert isinstance(ours, b.Struct) and ours.name == theirs.name, (path, theirs.name)
        sdk_fields = set(theirs.get_field_names())
        assert set(ours.fields) <= sdk_fields, (path, set(ours.fields) - sdk_fields)
        for name in sdk_fields:
            field = theirs.get_field(name)
            if name not in ours.fields:
                assert isinstance(field, t.OptionalType), f"{path}.{name} is required"
                continue
            _compare(ours.fields[name], field, f"{path}.{name}")
        return
    if isinstance(theirs, t.EnumType):
        assert isinstance(ours, b.Enum) and ours.name == theirs.name, path
        sdk_values = {v for v in dir(theirs.binding_class) if v.isupper()}
        assert set(ours.values) <= sdk_values, path
        return
    simple = {
        t.StringType: (b.STRING,),
        t.IntegerType: (b.INTEGER,),
        t.BooleanType: (b.BOOLEAN,),
        t.DateTimeType: (b.DATE_TIME,),
        t.SecretType: (b.SECRET,),
    }
    for sdk_type, allowed in simple.items():
        if isinstance(theirs, sdk_type):
            assert ours in allowed, f"{path}: {sdk_type.__name__}"
            return
    if isinstance(theirs, t.IdType):
        assert isinstance(ours, b.Id) or ours is b.STRING, path


def _sdk_operations(stub_class) -> dict:
    """The operations a stub of the SDK declares (its input and output types), read by
    building it without a connection."""
    from vmware.vapi.bindings.stub import ApiInterfaceStub

    captured: dict = {}

    def keep(self, iface_name, operations, **kwargs):
        captured.update(operations)

    original = ApiInterfaceStub.__init__
    ApiInterfaceStub.__init__ = keep
    try:
        stub_class(None)
    finally:
        ApiInterfaceStub.__init__ = original
    return captured


def test_every_operation_is_declared_as_the_sdk_declares_it():
    stubs = _sdk_types()
    checked = 0
    for (service, name), op in registry().items():
        if not service.startswith(("com.vmware.vcenter.namespace", "com.vmware.cis.tasks")):
            continue
        stub_class = next(
            s for (svc, _), s in stubs.items() if svc == service
        )  # one stub per service
        sdk = _sdk_operations(stub_class)[name]
        _compare(op.input, sdk["input_type"], f"{service}.{name}(input)")
        from vmware.vapi.bindings import type as t

        if not isinstance(sdk["output_type"], t.VoidType):
            _compare(op.output, sdk["output_type"], f"{service}.{name}(output)")
        checked += 1
    assert checked >= 32


# ---------------------------------------------------------------- clusters


def test_clusters_list_and_get_the_supervisor_cluster(as_admin, supervisor):
    (item,) = as_admin.rest("GET", f"{NM}/clusters").json()
    assert item["cluster"] == supervisor.cluster.moid
    assert item["cluster_name"] == "Workload-Cluster-01"
    assert (item["config_status"], item["kubernetes_status"]) == ("RUNNING", "READY")
    assert item["stats"]["cpu_capacity"] > 0

    info = as_admin.rest("GET", f"{NM}/clusters/{supervisor.cluster.moid}").json()
    assert info["size_hint"] == "TINY"
    assert info["network_provider"] == "VSPHERE_NETWORK"
    assert info["service_cidr"] == {"address": "10.96.0.0", "prefix": 23}
    assert info["master_management_network"]["address_range"]["starting_address"] == (
        "10.10.10.100"
    )
    assert info["api_servers"] and info["api_server_cluster_endpoint"]

    output, failure = as_admin.rpc(
        "com.vmware.vcenter.namespace_management.clusters", "get", cluster=supervisor.cluster.moid
    )
    assert failure is None and output["size_hint"] == "TINY"


def test_a_cluster_without_a_supervisor_is_unsupported_and_an_unknown_one_not_found(
    as_admin, supervisor, free_cluster
):
    status, error_type, text = kind(as_admin.rest("GET", f"{NM}/clusters/{free_cluster.moid}"))
    assert (status, error_type) == (400, "UNSUPPORTED")
    assert "does not have vSphere Namespaces enabled" in text
    assert kind(as_admin.rest("GET", f"{NM}/clusters/domain-c999999"))[:2] == (404, "NOT_FOUND")


def test_enable_on_the_free_cluster_opens_the_task_a_client_can_follow(
    as_admin, supervisor, free_cluster
):
    path = f"{NM}/clusters/{free_cluster.moid}?action=enable"
    response = as_admin.rest("POST", path, enable_spec(free_cluster))
    assert response.status_code == 204, response.content
    sup = Supervisor.objects.select_related("task").get(cluster=free_cluster)
    assert sup.name == "workload-cluster-02" and sup.config_status == "CONFIGURING"
    assert sup.spec["management_network"]["starting_address"] == "10.10.10.110"

    task = as_admin.rest("GET", f"/api/cis/tasks/{sup.task.key}").json()
    assert task["status"] in ("PENDING", "RUNNING")
    assert (task["service"], task["operation"]) == ("com.vmware.wcp", "EnableSupervisor")
    assert task["target"] == {"type": "ClusterComputeResource", "id": free_cluster.moid}
    output, failure = as_admin.rpc("com.vmware.cis.tasks", "get", task=sup.task.key)
    assert failure is None and output["description"]["default_message"] == "Enable Supervisor"
    assert kind(as_admin.rest("GET", "/api/cis/tasks/task-0"))[:2] == (404, "NOT_FOUND")

    listed = {c["cluster"] for c in as_admin.rest("GET", f"{NM}/clusters").json()}
    assert listed == {supervisor.cluster.moid, free_cluster.moid}

    again = as_admin.rest("POST", path, enable_spec(free_cluster))
    status, error_type, text = kind(again)
    assert (status, error_type) == (400, "UNSUPPORTED") and "already a Supervisor" in text


def test_an_enable_spec_is_checked_as_the_wizard_checks_it(as_admin, supervisor, free_cluster):
    path = f"{NM}/clusters/{free_cluster.moid}?action=enable"
    spec = enable_spec(free_cluster)
    spec["master_management_network"]["address_range"]["gateway"] = "10.10.10.999"
    status, error_type, text = kind(as_admin.rest("POST", path, spec))
    assert (status, error_type) == (400, "INVALID_ARGUMENT")
    assert text.startswith("spec.master_management_network.address_range.gateway: ")
    assert "10.10.10.999" in text

    spec = enable_spec(free_cluster)
    spec["size_hint"] = "HUGE"
    status, error_type, text = kind(as_admin.rest("POST", path, spec))
    assert (status, error_type) == (400, "INVALID_ARGUMENT") and "spec.size_hint" in text

    spec = enable_spec(free_cluster)
    spec["cluster_proxy_config"] = {"proxy_settings_source": "VC_INHERITED"}
    status, error_type, text = kind(as_admin.rest("POST", path, spec))
    assert (status, error_type) == (400, "UNSUPPORTED") and "cluster_proxy_config" in text

    for hostile in ("[1, 2]", '"x"', "{", '{"size_hint": 5}'):
        response = as_admin.client.post(
            path,
            hostile,
            content_type="application/json",
            HTTP_VMWARE_API_SESSION_ID=as_admin.token,
        )
        assert kind(response)[:2] == (400, "INVALID_ARGUMENT"), hostile
    envelope = {
        "jsonrpc": "2.0",
        "method": "invoke",
        "id": "1",
        "params": {
            "serviceId": "com.vmware.vcenter.namespace_management.clusters",
            "operationId": "enable",
            "input": {
                "STRUCTURE": {"operation-input": {"cluster": free_cluster.moid, "spec": "x"}}
            },
            "ctx": {"securityCtx": {"schemeId": SESSION_ID, "sessionId": as_admin.token}},
        },
    }
    answer = as_admin.client.post("/api", envelope, content_type="application/json").json()
    ((canonical, fields),) = answer["result"]["error"]["ERROR"].items()
    assert canonical == "com.vmware.vapi.std.errors.invalid_argument"
    assert not Supervisor.objects.filter(cluster=free_cluster).exists()


def test_enable_needs_namespaces_manage(client, auditor, supervisor, free_cluster):
    api = Api(client, auditor)
    assert api.rest("GET", f"{NM}/clusters").status_code == 200
    path = f"{NM}/clusters/{free_cluster.moid}?action=enable"
    assert kind(api.rest("POST", path, enable_spec(free_cluster)))[:2] == (403, "UNAUTHORIZED")
    path = f"{NM}/clusters/{supervisor.cluster.moid}?action=disable"
    assert kind(api.rest("POST", path))[:2] == (403, "UNAUTHORIZED")


def test_developers_see_no_clusters(client, viewer):
    assert kind(Api(client, viewer).rest("GET", f"{NM}/clusters"))[:2] == (403, "UNAUTHORIZED")


def test_disable_is_refused_while_namespaces_exist_then_starts_removal(
    as_admin, supervisor, namespace
):
    path = f"{NM}/clusters/{supervisor.cluster.moid}?action=disable"
    status, error_type, text = kind(as_admin.rest("POST", path))
    assert (status, error_type) == (400, "NOT_ALLOWED_IN_CURRENT_STATE") and "team-a" in text
    Namespace.objects.all().delete()
    assert as_admin.rest("POST", path).status_code == 204
    assert Supervisor.objects.get(pk=supervisor.pk).config_status == "REMOVING"


def test_enable_on_compute_cluster_answers_the_supervisor_id(as_admin, supervisor, free_cluster):
    path = f"{NM}/supervisors/{free_cluster.moid}?action=enable_on_compute_cluster"
    response = as_admin.rest("POST", path, compute_cluster_spec(free_cluster))
    assert response.status_code == 200, response.content
    sup = Supervisor.objects.get(cluster=free_cluster)
    assert response.json() == str(sup.supervisor_id)
    assert sup.name == "supervisor-02"
    assert sup.spec["workload_network"]["services_cidr"] == "10.96.0.0/23"
    assert sup.spec["management_network"]["subnet_mask"] == "255.255.255.0"
    assert sup.spec["load_balancer"]["provider"] == "AVI"
    assert Task.objects.filter(pk=sup.task_id, target_moid=free_cluster.moid).exists()

    spec = compute_cluster_spec(free_cluster, name="supervisor-01")  # the demo's, taken
    spec["workloads"]["edge"]["nsx_advanced"]["username"] = ""
    response = as_admin.rest("POST", path.replace(free_cluster.moid, "domain-c999999"), spec)
    assert kind(response)[:2] == (404, "NOT_FOUND")
    Supervisor.objects.filter(pk=sup.pk).delete()
    body = as_admin.rest("POST", path, spec).json()
    assert body["error_type"] == "ALREADY_EXISTS"
    assert body["messages"][0]["default_message"].startswith("spec.name: ")
    spec["name"] = "supervisor-03"
    body = as_admin.rest("POST", path, spec).json()
    assert body["error_type"] == "INVALID_ARGUMENT"
    texts = [m["default_message"] for m in body["messages"]]
    assert texts[0].startswith("spec.workloads.edge.nsx_advanced.username: "), texts
    assert not Supervisor.objects.filter(cluster=free_cluster).exists()


def test_cluster_compatibility_with_its_filter(as_admin, supervisor, free_cluster):
    rows = as_admin.rest("GET", f"{NM}/cluster-compatibility").json()
    verdicts = {r["cluster"]: r for r in rows}
    assert verdicts[free_cluster.moid]["compatible"] is True
    taken = verdicts[supervisor.cluster.moid]
    assert taken["compatible"] is False
    assert "already a Supervisor" in taken["incompatibility_reasons"][0]["default_message"]
    only = as_admin.rest("GET", f"{NM}/cluster-compatibility?compatible=true").json()
    assert free_cluster.moid in {r["cluster"] for r in only}
    assert all(r["compatible"] for r in only)
    response = as_admin.rest("GET", f"{NM}/cluster-compatibility?compatible=maybe")
    assert kind(response)[:2] == (400, "INVALID_ARGUMENT")


def test_the_clusters_list_makes_the_same_queries_for_more_supervisors(
    as_admin, supervisor, free_cluster
):
    with CaptureQueriesContext(connection) as one:
        assert len(as_admin.rest("GET", f"{NM}/clusters").json()) == 1
    path = f"{NM}/clusters/{free_cluster.moid}?action=enable"
    assert as_admin.rest("POST", path, enable_spec(free_cluster)).status_code == 204
    with CaptureQueriesContext(connection) as two:
        assert len(as_admin.rest("GET", f"{NM}/clusters").json()) == 2
    assert len(two) == len(one)


# ---------------------------------------------------------------- namespaces over JSON-RPC

INSTANCES = "com.vmware.vcenter.namespaces.instances"


def test_namespaces_over_json_rpc(as_admin, supervisor, namespace):
    summaries, failure = as_admin.rpc(INSTANCES, "list")
    assert failure is None
    assert [(s["namespace"], s["cluster"]) for s in summaries] == [
        ("team-a", supervisor.cluster.moid)
    ]
    spec = {
        "cluster": supervisor.cluster.moid,
        "namespace": "team-b",
        "description": "B team",
        "resource_spec": {"cpu_limit": 2000, "memory_limit": None, "storage_request_limit": None},
        "access_list": None,
        "storage_specs": None,
        "vm_service_spec": {"vm_classes": ["best-effort-small"], "content_libraries": None},
    }
    assert as_admin.rpc(INSTANCES, "create", spec=spec) == (None, None)
    _, (error_type, messages) = as_admin.rpc(INSTANCES, "create", spec=spec)
    assert error_type == "ALREADY_EXISTS" and "team-b" in messages[0]["default_message"]

    info, failure = as_admin.rpc(INSTANCES, "get", namespace="team-b")
    assert failure is None
    assert info["description"] == "B team" and info["resource_spec"]["cpu_limit"] == 2000
    assert info["vm_service_spec"]["vm_classes"] == ["best-effort-small"]
    info, _ = as_admin.rpc(INSTANCES, "get_v2", namespace="team-b")
    assert info["supervisor"] == str(supervisor.supervisor_id)
    v2, _ = as_admin.rpc(INSTANCES, "list_v2")
    assert {s["supervisor"] for s in v2} == {str(supervisor.supervisor_id)}

    _, (error_type, _) = as_admin.rpc(INSTANCES, "get", namespace="nope")
    assert error_type == "NOT_FOUND"
    bad = {**spec, "namespace": "Not A Label"}
    _, (error_type, _) = as_admin.rpc(INSTANCES, "create", spec=bad)
    assert error_type == "INVALID_ARGUMENT"
    assert as_admin.rpc(INSTANCES, "delete", namespace="team-b") == (None, None)
    assert Namespace.objects.get(name="team-b").config_status == "REMOVING"


def test_namespaces_create_v2_and_a_stranger_sees_none(client, as_admin, supervisor, stranger):
    spec = {"supervisor": str(supervisor.supervisor_id), "namespace": "team-c"}
    assert as_admin.rpc(INSTANCES, "create_v2", spec=spec) == (None, None)
    _, (error_type, _) = as_admin.rpc(INSTANCES, "create_v2", spec={**spec, "supervisor": "x"})
    assert error_type == "NOT_FOUND"
    api = Api(client, stranger)
    listed, _ = api.rpc(INSTANCES, "list")
    assert "team-c" not in {s["namespace"] for s in listed}
    _, (error_type, _) = api.rpc(INSTANCES, "get", namespace="team-c")
    assert error_type == "NOT_FOUND"
    _, (error_type, _) = api.rpc(INSTANCES, "create", spec={**spec, "namespace": "mine"})
    assert error_type in ("NOT_FOUND", "INVALID_ARGUMENT")


def test_summaries_and_vm_classes_over_json_rpc(as_admin, supervisor, namespace):
    summaries = "com.vmware.vcenter.namespace_management.supervisors.summary"
    listed, _ = as_admin.rpc(summaries, "list")
    (item,) = listed["items"]
    assert item["supervisor"] == str(supervisor.supervisor_id)
    assert item["info"]["name"] == "supervisor-01"
    one, _ = as_admin.rpc(summaries, "get", supervisor=str(supervisor.supervisor_id))
    assert one == item["info"]
    _, (error_type, _) = as_admin.rpc(summaries, "get", supervisor=str(uuid.uuid4()))
    assert error_type == "NOT_FOUND"

    classes = "com.vmware.vcenter.namespace_management.virtual_machine_classes"
    listed, _ = as_admin.rpc(classes, "list")
    rest = as_admin.rest("GET", f"{NM}/virtual-machine-classes").json()
    assert [c["id"] for c in listed] == [c["id"] for c in rest]
    small, _ = as_admin.rpc(classes, "get", vm_class="best-effort-small")
    assert (
        small["memory_MB"] == next(c for c in rest if c["id"] == "best-effort-small")["memory_MB"]
    )


def test_a_failed_task_carries_its_error_and_others_tasks_are_not_found(
    client, as_admin, supervisor, viewer
):
    task = Task.objects.get(pk=supervisor.task_id)
    Task.objects.filter(pk=task.pk).update(state=Task.State.ERROR, error="No hosts answered.")
    info = as_admin.rest("GET", f"/api/cis/tasks/{task.key}?return_all=true").json()
    assert info["status"] == "FAILED"
    assert info["error"]["error_type"] == "ERROR"
    assert info["error"]["messages"][0]["default_message"] == "No hosts answered."
    output, _ = as_admin.rpc("com.vmware.cis.tasks", "get", task=task.key)
    assert output["status"] == "FAILED"
    response = Api(client, viewer).rest("GET", f"/api/cis/tasks/{task.key}")
    assert kind(response)[:2] == (404, "NOT_FOUND")


def test_vm_class_create_update_delete_over_json_rpc(as_admin):
    """One declaration for both wires; in JSON-RPC an unset UpdateSpec field is unchanged."""
    classes = "com.vmware.vcenter.namespace_management.virtual_machine_classes"
    spec = {"id": "rpc-made", "cpu_count": 4, "memory_MB": 8192, "cpu_reservation": 50}
    assert as_admin.rpc(classes, "create", spec=spec) == (None, None)
    made, _ = as_admin.rpc(classes, "get", vm_class="rpc-made")
    assert (made["cpu_count"], made["memory_MB"], made["cpu_reservation"]) == (4, 8192, 50)
    assert as_admin.rpc(classes, "update", vm_class="rpc-made", spec={"memory_MB": 16384}) == (
        None,
        None,
    )
    made, _ = as_admin.rpc(classes, "get", vm_class="rpc-made")
    assert (made["cpu_count"], made["memory_MB"], made["cpu_reservation"]) == (4, 16384, 50)
    _, (error_type, messages) = as_admin.rpc(
        classes, "update", vm_class="rpc-made", spec={"memory_MB": 4097}
    )
    assert error_type == "INVALID_ARGUMENT"
    assert messages[0]["default_message"].startswith("memory_MB: ")
    assert as_admin.rpc(classes, "delete", vm_class="rpc-made") == (None, None)
    _, (error_type, _) = as_admin.rpc(classes, "get", vm_class="rpc-made")
    assert error_type == "NOT_FOUND"
