"""The vCenter inventory over the Automation API: `/api/vcenter/<kind>` with vCenter's filter
query parameters and result limits, get by managed object ID, the same through `POST /api`,
who sees what, and lists that cost the same whatever the estate's size."""

from __future__ import annotations

import pytest

from inventory.models import (
    Cluster,
    Datacenter,
    Datastore,
    Folder,
    Host,
    PortGroup,
    ResourcePool,
    VirtualMachine,
)
from tests.api.conftest import warmed
from tests.vapi.conftest import Caller, error, vapi_error
from vapi.operations import registry
from vapi.vcenter import common

pytestmark = pytest.mark.django_db

KINDS = ["datacenter", "folder", "cluster", "host", "network", "datastore", "resource-pool", "vm"]


@pytest.fixture
def workload():
    return Cluster.objects.get(name="Workload-Cluster-01")


@pytest.mark.parametrize("kind", KINDS)
def test_every_list_answers_bare_json_summaries(admin_api, kind):
    response = admin_api.get(f"/api/vcenter/{kind}")
    assert response.status_code == 200
    rows = response.json()
    assert rows and isinstance(rows, list)
    key = kind.replace("-", "_")
    assert all(isinstance(r[key], str) and r["name"] for r in rows)


def test_lists_hold_the_whole_estate(admin_api):
    assert {r["cluster"] for r in admin_api.get("/api/vcenter/cluster").json()} == set(
        Cluster.objects.values_list("moid", flat=True)
    )
    hosts = admin_api.get("/api/vcenter/host").json()
    assert len(hosts) == Host.objects.count()
    assert {h["connection_state"] for h in hosts} <= {"CONNECTED", "DISCONNECTED", "NOT_RESPONDING"}
    networks = admin_api.get("/api/vcenter/network").json()
    assert len(networks) == PortGroup.objects.count()
    assert {n["type"] for n in networks} == {"DISTRIBUTED_PORTGROUP"}


def test_a_host_list_gives_the_power_state_of_connected_hosts_only(admin_api, workload):
    host, standby, gone = Host.objects.filter(cluster=workload).order_by("name")[:3]
    Host.objects.filter(pk=standby.pk).update(power_state=Host.PowerState.STANDBY)
    Host.objects.filter(pk=gone.pk).update(connection_state=Host.ConnectionState.DISCONNECTED)
    rows = admin_api.get("/api/vcenter/host", hosts=[host.moid, standby.moid, gone.moid]).json()
    assert sorted(rows, key=lambda r: r["host"]) == sorted(
        [
            {"host": host.moid, "name": host.name, "connection_state": "CONNECTED"}
            | {"power_state": "POWERED_ON"},
            {"host": standby.moid, "name": standby.name, "connection_state": "CONNECTED"}
            | {"power_state": "STANDBY"},
            {"host": gone.moid, "name": gone.name, "connection_state": "DISCONNECTED"},
        ],
        key=lambda r: r["host"],
    )


def test_filters_are_repeated_query_parameters(admin_api, workload):
    other = Cluster.objects.exclude(pk=workload.pk).first()
    both = admin_api.get("/api/vcenter/cluster", names=[workload.name, other.name]).json()
    assert {c["name"] for c in both} == {workload.name, other.name}
    assert admin_api.get("/api/vcenter/cluster", clusters=workload.moid).json() == [
        {
            "cluster": workload.moid,
            "name": workload.name,
            "ha_enabled": workload.ha_enabled,
            "drs_enabled": workload.drs_enabled,
        }
    ]
    hosts = admin_api.get("/api/vcenter/host", clusters=workload.moid).json()
    assert {h["host"] for h in hosts} == set(workload.hosts.values_list("moid", flat=True))
    pools = admin_api.get("/api/vcenter/resource-pool", clusters=workload.moid).json()
    assert {p["resource_pool"] for p in pools} == set(
        workload.resource_pools.values_list("moid", flat=True)
    )
    host = workload.hosts.first()
    on_host = admin_api.get("/api/vcenter/resource-pool", hosts=host.moid).json()
    assert on_host == pools


def test_filters_combine_and_unknown_values_match_nothing(admin_api, workload):
    dc = workload.datacenter
    assert admin_api.get("/api/vcenter/cluster", names="nope").json() == []
    assert admin_api.get("/api/vcenter/cluster", datacenters=dc.moid, names="nope").json() == []
    assert admin_api.get("/api/vcenter/host", standalone="true").json() == []
    assert (
        len(admin_api.get("/api/vcenter/host", standalone="false").json()) == Host.objects.count()
    )
    connected = admin_api.get("/api/vcenter/host", connection_states="CONNECTED").json()
    assert len(connected) == Host.objects.filter(connection_state="connected").count()
    assert admin_api.get("/api/vcenter/network", types="STANDARD_PORTGROUP").json() == []


def test_folders_filter_by_the_datacenters_root_folders(admin_api, workload):
    dc = workload.datacenter
    roots = dict(Folder.objects.filter(datacenter=dc, parent=None).values_list("kind", "moid"))
    in_host_folder = admin_api.get("/api/vcenter/cluster", folders=roots["host"]).json()
    assert len(in_host_folder) == Cluster.objects.filter(datacenter=dc).count()
    assert admin_api.get("/api/vcenter/cluster", folders=roots["vm"]).json() == []
    stores = admin_api.get("/api/vcenter/datastore", folders=roots["datastore"]).json()
    assert len(stores) == Datastore.objects.filter(datacenter=dc).count()
    vm_folders = admin_api.get("/api/vcenter/folder", type="VIRTUAL_MACHINE").json()
    assert {f["type"] for f in vm_folders} == {"VIRTUAL_MACHINE"}
    assert len(vm_folders) == Folder.objects.filter(kind="vm").count()
    root = admin_api.get("/api/vcenter/folder", type="DATACENTER").json()
    assert root == [{"folder": "group-d1", "name": "Datacenters", "type": "DATACENTER"}]
    children = admin_api.get("/api/vcenter/folder", parent_folders=roots["vm"]).json()
    assert {f["folder"] for f in children} == set(
        Folder.objects.filter(parent__moid=roots["vm"]).values_list("moid", flat=True)
    )
    in_root = admin_api.get("/api/vcenter/datacenter", folders="group-d1").json()
    assert len(in_root) == Datacenter.objects.count()


def test_datastore_sizes_are_bytes(admin_api):
    store = Datastore.objects.order_by("name").first()
    (row,) = admin_api.get("/api/vcenter/datastore", datastores=store.moid).json()
    assert row["capacity"] == store.capacity_mib * 1024 * 1024
    assert 0 <= row["free_space"] <= row["capacity"]
    info = admin_api.get(f"/api/vcenter/datastore/{store.moid}").json()
    assert info["free_space"] == row["free_space"] and info["name"] == store.name
    assert set(info) == {
        "name",
        "type",
        "accessible",
        "free_space",
        "multiple_host_access",
        "thin_provisioning_supported",
    }


def test_gets_by_managed_object_id(admin_api, workload):
    dc = workload.datacenter
    info = admin_api.get(f"/api/vcenter/datacenter/{dc.moid}").json()
    assert info["name"] == dc.name
    assert info["vm_folder"] == Folder.objects.get(datacenter=dc, parent=None, kind="vm").moid
    root = ResourcePool.objects.get(cluster=workload, parent=None)
    assert admin_api.get(f"/api/vcenter/cluster/{workload.moid}").json() == {
        "name": workload.name,
        "resource_pool": root.moid,
    }
    pool = admin_api.get(f"/api/vcenter/resource-pool/{root.moid}").json()
    assert set(pool["resource_pools"]) == set(root.children.values_list("moid", flat=True))
    assert pool["cpu_allocation"]["shares"]["level"] in ("LOW", "NORMAL", "HIGH")


@pytest.mark.parametrize("kind", ["datacenter", "cluster", "datastore", "resource-pool", "vm"])
def test_an_unknown_id_is_not_found(admin_api, kind):
    response = admin_api.get(f"/api/vcenter/{kind}/nope-1")
    assert response.status_code == 404
    error_type, texts = error(response)
    assert error_type == "NOT_FOUND" and "'nope-1" in texts[0]


def test_past_the_limit_a_list_is_refused(admin_api, monkeypatch):
    monkeypatch.setitem(common.LIMITS, "vm", 3)
    monkeypatch.setitem(common.LIMITS, "host", 2)
    response = admin_api.get("/api/vcenter/vm")
    assert response.status_code == 400
    assert response.json() == {
        "error_type": "UNABLE_TO_ALLOCATE_RESOURCE",
        "messages": [
            {
                "id": "com.vmware.api.vcenter.vm.too_many_matches",
                "default_message": "Too many virtual machines. Add more filter criteria to "
                "reduce the number.",
                "args": [],
            }
        ],
    }
    assert admin_api.get("/api/vcenter/host").json()["error_type"] == "UNABLE_TO_ALLOCATE_RESOURCE"
    # filtered down to the limit, it answers
    three = admin_api.get("/api/vcenter/vm", names=["app-01", "app-02", "app-03"])
    assert three.status_code == 200 and len(three.json()) == 3
    result = admin_api.invoke("com.vmware.vcenter.VM", "list", filter={"OPTIONAL": None})
    name, fields = vapi_error(result)
    assert name == "com.vmware.vapi.std.errors.unable_to_allocate_resource"
    assert fields["messages"][0]["STRUCTURE"]["com.vmware.vapi.std.localizable_message"]["id"] == (
        "com.vmware.api.vcenter.vm.too_many_matches"
    )


@pytest.mark.parametrize(
    ("path", "query", "named"),
    [
        ("/api/vcenter/host", {"standalone": "maybe"}, "standalone"),
        ("/api/vcenter/host", {"connection_states": "UP"}, "connection_states"),
        ("/api/vcenter/folder", {"type": "BOXES"}, "type"),
        ("/api/vcenter/datastore", {"types": "ZFS"}, "types"),
    ],
)
def test_a_bad_filter_value_is_invalid_argument_naming_it(admin_api, path, query, named):
    response = admin_api.get(path, **query)
    assert response.status_code == 400
    error_type, texts = error(response)
    assert error_type == "INVALID_ARGUMENT" and named in texts[0]


def cluster_names(wanted: list[str]) -> dict:
    """A cluster FilterSpec of names, as the SDK encodes it (every field, unset ones null)."""
    spec = {"clusters": None, "names": wanted, "folders": None, "datacenters": None}
    fields = {name: {"OPTIONAL": value} for name, value in spec.items()}
    return {"OPTIONAL": {"STRUCTURE": {"com.vmware.vcenter.cluster.filter_spec": fields}}}


def test_too_many_filter_values_are_refused(admin_api):
    result = admin_api.invoke(
        "com.vmware.vcenter.cluster",
        "list",
        filter=cluster_names([f"c{i}" for i in range(1001)]),
    )
    name, _ = vapi_error(result)
    assert name == "com.vmware.vapi.std.errors.invalid_argument"


def test_json_rpc_lists_are_typed_summaries(admin_api, workload):
    result = admin_api.invoke(
        "com.vmware.vcenter.cluster",
        "list",
        filter=cluster_names([workload.name]),
    )
    assert result["output"] == [
        {
            "STRUCTURE": {
                "com.vmware.vcenter.cluster.summary": {
                    "cluster": workload.moid,
                    "name": workload.name,
                    "ha_enabled": workload.ha_enabled,
                    "drs_enabled": workload.drs_enabled,
                }
            }
        }
    ]
    hosts = admin_api.invoke("com.vmware.vcenter.host", "list", filter={"OPTIONAL": None})
    first = hosts["output"][0]["STRUCTURE"]["com.vmware.vcenter.host.summary"]
    assert first["host_uuid"] == {"OPTIONAL": None}
    assert first["power_state"] in ({"OPTIONAL": "POWERED_ON"}, {"OPTIONAL": "STANDBY"})


@pytest.mark.parametrize("kind", KINDS)
def test_json_rpc_lists_are_the_rest_lists_typed(admin_api, kind):
    """Both encodings of each list, written by the database from one declaration, agree."""
    operation = registry()[(SERVICES[kind], "list")]
    rest = admin_api.get(f"/api/vcenter/{kind}").json()
    typed = admin_api.invoke(operation.service, "list", filter={"OPTIONAL": None})["output"]
    assert len(rest) > 0
    assert typed == operation.output.vapi(rest)


SERVICES = {
    kind: f"com.vmware.vcenter.{kind.replace('-', '_')}" for kind in KINDS if kind != "vm"
} | {"vm": "com.vmware.vcenter.VM"}


def test_a_json_rpc_get_of_an_unknown_id_is_not_found(admin_api):
    result = admin_api.invoke("com.vmware.vcenter.datacenter", "get", datacenter="datacenter-0")
    name, fields = vapi_error(result)
    assert name == "com.vmware.vapi.std.errors.not_found"
    assert fields["error_type"] == {"OPTIONAL": "NOT_FOUND"}


def test_a_user_without_a_vcenter_role_sees_empty_lists_and_gets_are_unauthorized(outsider):
    from django.contrib.auth.models import Group

    # an SSO user who may log in to the API, holding no vCenter role
    outsider.groups.add(Group.objects.get_or_create(name="NoRole")[0])
    from inventory.permissions import ACCESS_GRANTS, AccessGrant

    ACCESS_GRANTS.append(AccessGrant(lambda u: u.pk == outsider.pk, lambda: "/"))
    try:
        caller = Caller(outsider)
        for kind in KINDS:
            assert caller.get(f"/api/vcenter/{kind}").json() == [], kind
        dc = Datacenter.objects.first()
        response = caller.get(f"/api/vcenter/datacenter/{dc.moid}")
        assert response.status_code == 403 and error(response)[0] == "UNAUTHORIZED"
    finally:
        ACCESS_GRANTS.pop()


def test_a_read_only_user_sees_the_inventory(auditor, workload):
    caller = Caller(auditor)
    assert len(caller.get("/api/vcenter/cluster").json()) == Cluster.objects.count()
    assert caller.get(f"/api/vcenter/cluster/{workload.moid}").status_code == 200


# After the client's first call: its session and user with the user's vCenter role, one statement.
SESSION = 1


@pytest.mark.parametrize(
    ("kind", "queries"),
    [
        ("datacenter", 1),
        ("folder", 2),  # + the vCenter root folder
        ("cluster", 1),
        ("host", 1),
        ("network", 1),
        ("datastore", 1),
        ("resource-pool", 1),
    ],
)
def test_lists_cost_the_same_however_big_the_estate(
    admin_api, kind, queries, django_assert_num_queries, workload
):
    warmed(admin_api)
    with django_assert_num_queries(SESSION + queries):
        before = len(admin_api.get(f"/api/vcenter/{kind}").json())
    bigger(workload)
    with django_assert_num_queries(SESSION + queries):
        assert len(admin_api.get(f"/api/vcenter/{kind}").json()) > before


MODELS = {
    "datacenter": Datacenter,
    "folder": Folder,
    "cluster": Cluster,
    "host": Host,
    "network": PortGroup,
    "datastore": Datastore,
    "resource-pool": ResourcePool,
    "vm": VirtualMachine,
}


@pytest.mark.parametrize("kind", KINDS)
def test_lists_are_in_name_order(admin_api, kind):
    model = MODELS[kind]
    first = model.objects.order_by("pk").first()
    model.objects.filter(pk=first.pk).update(name="zz-first-made")  # stored first, named last
    names = [r["name"] for r in admin_api.get(f"/api/vcenter/{kind}").json()]
    if kind == "folder":
        assert names[0] == "Datacenters"  # the vCenter root folder, then the others
        names = names[1:]
    assert names[-1] == "zz-first-made" and names == sorted(names)


def bigger(cluster: Cluster) -> None:
    """Twenty more of everything in the cluster's datacenter."""
    dc = cluster.datacenter
    n = 20
    Datacenter.objects.bulk_create(
        Datacenter(moid=f"datacenter-9{i}", name=f"dc-{i}", vcenter=dc.vcenter) for i in range(n)
    )
    root = Folder.objects.get(datacenter=dc, parent=None, kind="vm")
    Folder.objects.bulk_create(
        Folder(moid=f"group-v9{i}", name=f"f-{i}", kind="vm", datacenter=dc, parent=root)
        for i in range(n)
    )
    Cluster.objects.bulk_create(
        Cluster(moid=f"domain-c9{i}", name=f"c-{i}", datacenter=dc) for i in range(n)
    )
    host = cluster.hosts.first()
    Host.objects.bulk_create(
        Host(
            moid=f"host-9{i}",
            name=f"h-{i}",
            cluster=cluster,
            cpu_model=host.cpu_model,
            cpu_cores=host.cpu_cores,
            cpu_mhz=host.cpu_mhz,
            memory_mib=host.memory_mib,
        )
        for i in range(n)
    )
    switch = PortGroup.objects.first().switch
    PortGroup.objects.bulk_create(
        PortGroup(moid=f"dvportgroup-9{i}", name=f"pg-{i}", switch=switch) for i in range(n)
    )
    Datastore.objects.bulk_create(
        Datastore(
            moid=f"datastore-9{i}", name=f"ds-{i}", datacenter=dc, type="VMFS", capacity_mib=1
        )
        for i in range(n)
    )
    ResourcePool.objects.bulk_create(
        ResourcePool(moid=f"resgroup-9{i}", name=f"rp-{i}", cluster=cluster) for i in range(n)
    )


def test_a_query_string_of_thousands_of_values_is_a_client_error(admin_api):
    names = "&".join(f"names=n{i}" for i in range(3000))
    response = admin_api.client.get(
        f"/api/vcenter/vm?{names}", HTTP_VMWARE_API_SESSION_ID=admin_api.token
    )
    assert response.status_code == 400
    assert error(response)[0] == "INVALID_ARGUMENT"
