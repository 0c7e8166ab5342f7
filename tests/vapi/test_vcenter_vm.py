"""`com.vmware.vcenter.VM` and `com.vmware.vcenter.vm.power` over REST and JSON-RPC: filters, the
VM.Info the SDK decodes, power operations as the pages' vCenter Tasks, and vCenter's refusals."""

from __future__ import annotations

import pytest
from django.utils import timezone

from inventory import operations
from inventory.models import Task, VirtualMachine
from tests.api.conftest import warmed
from tests.vapi.conftest import Caller, error, vapi_error

pytestmark = pytest.mark.django_db

VM_LIST = "/api/vcenter/vm"


def power(vm: VirtualMachine) -> str:
    return f"/api/vcenter/vm/{vm.moid}/power"


def test_the_vm_list_filters_in_sql(admin_api, vm_on):
    cluster = vm_on.host.cluster
    rows = admin_api.get(VM_LIST, clusters=cluster.moid, power_states="POWERED_ON").json()
    expected = VirtualMachine.objects.filter(host__cluster=cluster, power_state="poweredOn")
    assert {r["vm"] for r in rows} == set(expected.values_list("moid", flat=True))
    (row,) = admin_api.get(VM_LIST, names=vm_on.name).json()
    assert row == {
        "vm": vm_on.moid,
        "name": vm_on.name,
        "power_state": "POWERED_ON",
        "cpu_count": vm_on.num_cpu,
        "memory_size_MiB": vm_on.memory_mib,
    }
    for field, value in [
        ("hosts", vm_on.host.moid),
        ("folders", vm_on.folder.moid),
        ("resource_pools", vm_on.resource_pool.moid),
        ("datacenters", cluster.datacenter.moid),
        ("vms", vm_on.moid),
    ]:
        assert vm_on.moid in {r["vm"] for r in admin_api.get(VM_LIST, **{field: value}).json()}
    off = admin_api.get(VM_LIST, vms=vm_on.moid, power_states="POWERED_OFF").json()
    assert off == []


def test_filters_of_one_shape_each_get_their_own_answer(admin_api):
    """The list's SQL is compiled once per shape of filter and run with each call's values:
    every call of one shape still answers for its own values, not the first call's."""
    hosts = list(
        VirtualMachine.objects.values_list("host__moid", flat=True).distinct().order_by("host")
    )
    assert len(hosts) >= 3

    def on(*moids):
        return {r["vm"] for r in admin_api.get(VM_LIST, hosts=list(moids)).json()}

    for moids in [hosts[:1], hosts[1:2], hosts[:2], hosts[1:3]]:
        expected = VirtualMachine.objects.filter(host__moid__in=moids).values_list("moid")
        assert on(*moids) == {moid for (moid,) in expected}
    states = {"POWERED_ON": "poweredOn", "POWERED_OFF": "poweredOff", "SUSPENDED": "suspended"}
    for api, model in states.items():
        rows = admin_api.get(VM_LIST, power_states=api).json()
        assert {r["vm"] for r in rows} == set(
            VirtualMachine.objects.filter(power_state=model).values_list("moid", flat=True)
        )
    # An unknown enum value is refused before any SQL; a filter of only those would have
    # matched nothing.
    assert admin_api.get(VM_LIST, power_states="OFF").status_code == 400


def test_the_vm_list_costs_the_same_for_any_number_of_vms(
    admin_api, vm_on, django_assert_num_queries
):
    warmed(admin_api)
    with django_assert_num_queries(2):  # the session and its user with its role; the VMs
        few = admin_api.get(VM_LIST, power_states="POWERED_ON").json()
    VirtualMachine.objects.filter(power_state="poweredOff").update(power_state="poweredOn")
    with django_assert_num_queries(2):
        assert len(admin_api.get(VM_LIST, power_states="POWERED_ON").json()) > len(few)


def test_vm_info_carries_every_required_field(admin_api, vm_on):
    info = admin_api.get(f"/api/vcenter/vm/{vm_on.moid}").json()
    assert info["name"] == vm_on.name and info["power_state"] == "POWERED_ON"
    assert info["cpu"]["count"] == vm_on.num_cpu
    assert info["memory"]["size_MiB"] == vm_on.memory_mib
    assert info["identity"]["instance_uuid"] == str(vm_on.instance_uuid)
    assert info["disks"]["2000"]["capacity"] == vm_on.disk_mib * 1024 * 1024
    networks = set(vm_on.networks.values_list("moid", flat=True))
    assert {n["backing"]["network"] for n in info["nics"].values()} == networks
    assert info["cdroms"] == {} and info["serial_ports"] == {}
    assert info["hardware"]["version"].startswith("VMX_")
    assert info["guest_OS"] != "OTHER_64"


def test_vm_info_over_json_rpc_is_typed(admin_api, vm_on):
    result = admin_api.invoke("com.vmware.vcenter.VM", "get", vm=vm_on.moid)
    info = result["output"]["STRUCTURE"]["com.vmware.vcenter.VM.info"]
    assert info["name"] == vm_on.name
    disk = info["disks"][0]["STRUCTURE"]["map-entry"]
    assert disk["key"] == "2000"
    assert "com.vmware.vcenter.vm.hardware.disk.info" in disk["value"]["STRUCTURE"]
    assert info["cdroms"] == [] and info["nvme_adapters"] == {"OPTIONAL": []}


def test_an_unknown_vm_is_not_found_as_vcenter_words_it(admin_api):
    response = admin_api.get("/api/vcenter/vm/vm-0")
    assert response.status_code == 404
    message = response.json()["messages"][0]
    assert message["id"] == "com.vmware.api.vcenter.vm.not_found"
    assert message["default_message"].startswith("Virtual machine with identifier 'vm-0:")
    assert admin_api.get("/api/vcenter/vm/vm-0/power").status_code == 404


def test_power_get(admin_api, vm_on, vm_off):
    assert admin_api.get(power(vm_on)).json() == {"state": "POWERED_ON"}
    assert admin_api.get(power(vm_off)).json() == {
        "state": "POWERED_OFF",
        "clean_power_off": True,
    }


def test_stop_opens_the_pages_power_off_task(admin_api, vm_on):
    response = admin_api.post(power(vm_on) + "?action=stop")
    assert response.status_code == 204 and response.content == b""
    task = Task.objects.get(target_moid=vm_on.moid, state="queued")
    assert (task.name, task.operation) == ("Power Off virtual machine", "vm.power_off")
    assert task.user.username == "administrator@vsphere.local"
    # the engine works it off as it does the page's
    later = timezone.now() + timezone.timedelta(minutes=1)
    operations.task_step(task.pk, now=later)
    operations.task_step(task.pk, now=later + timezone.timedelta(minutes=1))
    assert admin_api.get(power(vm_on)).json()["state"] == "POWERED_OFF"


@pytest.mark.parametrize(
    ("action", "operation"),
    [("start", "vm.power_on"), ("stop", "vm.power_off"), ("suspend", None), ("reset", None)],
)
def test_a_suspended_vm_starts_and_stops_but_does_not_reset(admin_api, vm_on, action, operation):
    VirtualMachine.objects.filter(pk=vm_on.pk).update(power_state="suspended")
    response = admin_api.post(power(vm_on) + f"?action={action}")
    if operation:
        assert response.status_code == 204
        assert Task.objects.get(target_moid=vm_on.moid).operation == operation
        return
    expected = "ALREADY_IN_DESIRED_STATE" if action == "suspend" else "NOT_ALLOWED_IN_CURRENT_STATE"
    assert error(response)[0] == expected
    assert not Task.objects.filter(target_moid=vm_on.moid).exists()


def test_suspend_runs_as_a_task(admin_api, vm_on):
    assert admin_api.post(power(vm_on) + "?action=suspend").status_code == 204
    task = Task.objects.get(target_moid=vm_on.moid)
    assert task.name == "Suspend virtual machine"
    later = timezone.now() + timezone.timedelta(minutes=1)
    operations.task_step(task.pk, now=later)
    operations.task_step(task.pk, now=later + timezone.timedelta(minutes=1))
    assert admin_api.get(power(vm_on)).json() == {"state": "SUSPENDED"}


def test_stop_of_a_powered_off_vm_is_already_in_desired_state(admin_api, vm_off):
    response = admin_api.post(power(vm_off) + "?action=stop")
    assert response.status_code == 400
    assert response.json() == {
        "error_type": "ALREADY_IN_DESIRED_STATE",
        "messages": [
            {
                "id": "com.vmware.api.vcenter.vm.power.already_powered_off",
                "default_message": "Virtual machine is already powered off.",
                "args": [],
            },
            {
                "id": "vmsg.InvalidPowerState.summary",
                "default_message": "The attempted operation cannot be performed in the current "
                "state (Powered off).",
                "args": [],
            },
        ],
    }


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("start", "ALREADY_IN_DESIRED_STATE"),
        ("suspend", None),
        ("reset", None),
    ],
)
def test_refusals_for_a_powered_on_vm(admin_api, vm_on, action, expected):
    response = admin_api.post(power(vm_on) + f"?action={action}")
    if expected is None:
        assert response.status_code == 204
    else:
        assert error(response)[0] == expected
        assert response.json()["messages"][0]["id"].endswith("already_powered_on")


@pytest.mark.parametrize("action", ["suspend", "reset"])
def test_suspend_and_reset_of_a_powered_off_vm_are_not_allowed(admin_api, vm_off, action):
    response = admin_api.post(power(vm_off) + f"?action={action}")
    assert response.status_code == 400
    error_type, texts = error(response)
    assert error_type == "NOT_ALLOWED_IN_CURRENT_STATE"
    assert texts == [
        "The attempted operation cannot be performed in the current state (Powered off)."
    ]


def test_a_second_power_call_while_a_task_runs_is_resource_busy(admin_api, vm_on):
    assert admin_api.post(power(vm_on) + "?action=reset").status_code == 204
    response = admin_api.post(power(vm_on) + "?action=stop")
    assert error(response)[0] == "RESOURCE_BUSY"


def test_an_unknown_action_is_invalid(admin_api, vm_on):
    response = admin_api.post(power(vm_on) + "?action=explode")
    assert response.status_code == 400 and error(response)[0] == "INVALID_ARGUMENT"


def test_a_read_only_user_reads_power_but_may_not_change_it(auditor, vm_on):
    caller = Caller(auditor)
    assert caller.get(power(vm_on)).json()["state"] == "POWERED_ON"
    response = caller.post(power(vm_on) + "?action=stop")
    assert response.status_code == 403 and error(response)[0] == "UNAUTHORIZED"
    assert not Task.objects.filter(target_moid=vm_on.moid).exists()


def test_power_over_json_rpc(admin_api, vm_off):
    result = admin_api.invoke("com.vmware.vcenter.vm.power", "stop", vm=vm_off.moid)
    name, fields = vapi_error(result)
    assert name == "com.vmware.vapi.std.errors.already_in_desired_state"
    ids = [
        m["STRUCTURE"]["com.vmware.vapi.std.localizable_message"]["id"] for m in fields["messages"]
    ]
    assert ids == [
        "com.vmware.api.vcenter.vm.power.already_powered_off",
        "vmsg.InvalidPowerState.summary",
    ]
    assert admin_api.invoke("com.vmware.vcenter.vm.power", "start", vm=vm_off.moid) == {
        "output": None
    }
    state = admin_api.invoke("com.vmware.vcenter.vm.power", "get", vm=vm_off.moid)
    assert state["output"] == {
        "STRUCTURE": {
            "com.vmware.vcenter.vm.power.info": {
                "state": "POWERED_OFF",
                "clean_power_off": {"OPTIONAL": True},
            }
        }
    }


def test_a_template_cannot_be_powered(admin_api):
    template = VirtualMachine.objects.filter(is_template=True).first()
    response = admin_api.post(power(template) + "?action=start")
    assert error(response)[0] == "UNSUPPORTED"
