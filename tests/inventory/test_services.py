"""Inventory operations through the service layer, run by the engine (eager, instant time)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inventory import services
from inventory.models import Cluster, Event, Host, Permission, Task, VirtualMachine
from inventory.permissions import ROLE_PRIVILEGES, Privilege

pytestmark = pytest.mark.django_db


def test_power_off_queues_task_and_runs_it_after_commit(
    admin, vm_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task = services.vm_power(vm=vm_on, action="power_off", user=admin)
    task.refresh_from_db()
    assert (task.name, task.state, task.target_moid) == (
        "Power Off virtual machine",
        "queued",
        vm_on.moid,
    )
    assert task.initiator == "VSPHERE.LOCAL\\administrator"
    vm_on.refresh_from_db()
    assert vm_on.power_state == "poweredOn", "nothing changes before the engine runs"

    for callback in callbacks:  # commit: the engine runs (eagerly in tests)
        callback()
    task.refresh_from_db()
    vm_on.refresh_from_db()
    assert (task.state, task.progress) == ("success", 100)
    assert vm_on.power_state == "poweredOff"
    assert (vm_on.cpu_usage_mhz, vm_on.memory_usage_mib) == (0, 0)
    messages = list(Event.objects.filter(target_moid=vm_on.moid).values_list("message", flat=True))
    assert "Task: Power Off virtual machine" in messages
    where = f"{vm_on.name} on {vm_on.host.name} in {vm_on.host.cluster.datacenter.name}"
    assert f"{where} is powered off" in messages


def test_power_on_sets_usage_and_boot_time(admin, vm_off, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.vm_power(vm=vm_off, action="power_on", user=admin)
    vm_off.refresh_from_db()
    assert vm_off.power_state == "poweredOn"
    assert vm_off.boot_time is not None
    assert 0 < vm_off.cpu_usage_mhz <= vm_off.num_cpu * vm_off.host.cpu_mhz
    assert 0 < vm_off.memory_usage_mib <= vm_off.memory_mib


@pytest.mark.parametrize(
    ("action", "fixture", "message"),
    [
        ("power_on", "vm_on", "cannot be performed in the current state (Powered On)"),
        ("power_off", "vm_off", "cannot be performed in the current state (Powered Off)"),
        ("reset", "vm_off", "cannot be performed in the current state (Powered Off)"),
    ],
)
def test_power_operation_in_wrong_state_is_refused(admin, request, action, fixture, message):
    vm = request.getfixturevalue(fixture)
    with pytest.raises(services.InvalidState, match=re.escape(message)):
        services.vm_power(vm=vm, action=action, user=admin)
    assert not Task.objects.filter(target_moid=vm.moid).exists()


def test_second_operation_while_one_runs_is_refused(admin, vm_on):
    services.vm_power(vm=vm_on, action="power_off", user=admin)  # not committed: stays queued
    with pytest.raises(services.InvalidState, match="Another task is already in progress."):
        services.vm_power(vm=vm_on, action="reset", user=admin)
    assert Task.objects.filter(target_moid=vm_on.moid).count() == 1


def test_read_only_user_is_denied_and_nothing_changes(auditor, vm_on, workload_host):
    with pytest.raises(PermissionDenied, match="Permission to perform this operation was denied."):
        services.vm_power(vm=vm_on, action="power_off", user=auditor)
    with pytest.raises(PermissionDenied):
        services.host_maintenance(host=workload_host, enter=True, user=auditor)
    assert not Task.objects.exists()


def test_outsider_is_denied(outsider, vm_on):
    with pytest.raises(PermissionDenied):
        services.vm_power(vm=vm_on, action="power_off", user=outsider)


def test_template_cannot_be_powered_on(admin):
    template = VirtualMachine.objects.filter(is_template=True).first()
    assert template is not None, "the demo estate has a template"
    with pytest.raises(services.InvalidState, match="not supported on a template"):
        services.vm_power(vm=template, action="power_on", user=admin)


def test_enter_maintenance_evacuates_powered_on_vms_to_peers(
    admin, workload_host, django_capture_on_commit_callbacks
):
    running = set(workload_host.vms.filter(power_state="poweredOn").values_list("moid", flat=True))
    stopped = set(workload_host.vms.exclude(power_state="poweredOn").values_list("moid", flat=True))
    assert running, "the demo host runs VMs"
    with django_capture_on_commit_callbacks(execute=True):
        task = services.host_maintenance(host=workload_host, enter=True, user=admin)
    task.refresh_from_db()
    workload_host.refresh_from_db()
    assert task.state == "success", task.error
    assert workload_host.in_maintenance_mode
    moved = VirtualMachine.objects.filter(moid__in=running)
    assert all(vm.host.cluster_id == workload_host.cluster_id for vm in moved)
    assert not moved.filter(host=workload_host).exists()
    # Powered-off VMs stay registered where they are, as in vCenter.
    assert set(workload_host.vms.values_list("moid", flat=True)) == stopped
    assert Event.objects.filter(event_type="DrsVmMigratedEvent").count() == len(running)
    assert Event.objects.filter(
        event_type="EnteredMaintenanceModeEvent", target_moid=workload_host.moid
    ).exists()


def test_enter_maintenance_moving_powered_off_vms_leaves_the_host_empty(
    admin, workload_host, django_capture_on_commit_callbacks
):
    stopped = set(workload_host.vms.exclude(power_state="poweredOn").values_list("moid", flat=True))
    assert stopped, "the demo host has powered-off VMs"
    with django_capture_on_commit_callbacks(execute=True):
        task = services.host_maintenance(
            host=workload_host, enter=True, user=admin, evacuate_powered_off=True
        )
    task.refresh_from_db()
    workload_host.refresh_from_db()
    assert task.state == "success", task.error
    assert workload_host.in_maintenance_mode
    assert not workload_host.vms.exists()
    moved = VirtualMachine.objects.filter(moid__in=stopped)
    assert all(vm.host.cluster_id == workload_host.cluster_id for vm in moved)
    assert all(vm.power_state != "poweredOn" for vm in moved), "moved as they were, not started"


def test_supervisor_control_plane_vm_power_is_disabled(admin):
    vm = VirtualMachine.objects.filter(is_template=False).first()
    VirtualMachine.objects.filter(pk=vm.pk).update(managed_by="vSphere Supervisor")
    vm.refresh_from_db()
    action = "power_off" if vm.is_powered_on else "power_on"
    with pytest.raises(services.MethodDisabled, match="disabled by 'com.vmware.vim.eam'"):
        services.vm_power(vm=vm, action=action, user=admin)
    assert not Task.objects.exists()


def test_power_on_is_refused_on_a_host_in_maintenance(admin, vm_off):
    Host.objects.filter(pk=vm_off.host_id).update(in_maintenance_mode=True)
    vm_off.host.refresh_from_db()
    with pytest.raises(services.InvalidState, match="current state of the host"):
        services.vm_power(vm=vm_off, action="power_on", user=admin)


def test_exit_maintenance(admin, workload_host, django_capture_on_commit_callbacks):
    Host.objects.filter(pk=workload_host.pk).update(in_maintenance_mode=True)
    workload_host.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.host_maintenance(host=workload_host, enter=False, user=admin)
    workload_host.refresh_from_db()
    assert not workload_host.in_maintenance_mode
    with pytest.raises(services.InvalidState, match="not allowed in the current state"):
        services.host_maintenance(host=workload_host, enter=False, user=admin)


def test_maintenance_without_full_drs_fails_with_reason(admin, django_capture_on_commit_callbacks):
    host = (
        Host.objects.select_related("cluster__datacenter")
        .filter(cluster__name="Management-Cluster", vms__power_state="poweredOn")
        .first()
    )
    with django_capture_on_commit_callbacks(execute=True):
        task = services.host_maintenance(host=host, enter=True, user=admin)
    task.refresh_from_db()
    host.refresh_from_db()
    assert task.state == "error"
    assert "DRS on the cluster is not fully automated" in task.error
    assert not host.in_maintenance_mode
    assert Event.objects.filter(task=task, severity="error").exists()


# ---------------------------------------------------------------- cluster settings (DRS, HA)

FULLY, MANUAL = Cluster.DrsAutomation.FULLY, Cluster.DrsAutomation.MANUAL


@pytest.fixture
def management_cluster(db):
    """DRS on but Partially Automated, HA on (the demo estate)."""
    return Cluster.objects.select_related("datacenter").get(name="Management-Cluster")


def _settings(cluster):
    cluster.refresh_from_db()
    return (cluster.drs_enabled, cluster.drs_automation_level, cluster.ha_enabled)


def test_only_the_admin_role_may_edit_clusters():
    assert Privilege.CLUSTER_EDIT in ROLE_PRIVILEGES[Permission.Role.ADMIN]
    assert Privilege.CLUSTER_EDIT not in ROLE_PRIVILEGES[Permission.Role.READ_ONLY]


def test_reconfigure_cluster_queues_a_task_and_the_engine_applies_it(
    admin, management_cluster, django_capture_on_commit_callbacks
):
    before = _settings(management_cluster)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task = services.cluster_reconfigure(
            cluster=management_cluster,
            drs_enabled=True,
            drs_automation_level=FULLY,
            ha_enabled=False,
            user=admin,
        )
    task.refresh_from_db()
    assert (task.name, task.description_id, task.state, task.target_moid) == (
        "Reconfigure cluster",
        "ClusterComputeResource.reconfigureEx",
        "queued",
        management_cluster.moid,
    )
    assert task.params == {"drs_enabled": True, "drs_automation_level": FULLY, "ha_enabled": False}
    assert _settings(management_cluster) == before, "nothing changes before the engine runs"

    for callback in callbacks:  # commit: the engine runs (eagerly, instant time)
        callback()
    task.refresh_from_db()
    assert (task.state, task.progress) == ("success", 100)
    assert _settings(management_cluster) == (True, FULLY, False)
    event = Event.objects.get(event_type="ClusterReconfiguredEvent")
    dc = management_cluster.datacenter.name
    assert event.message == f"Reconfigured cluster Management-Cluster in datacenter {dc}"
    assert (event.target_moid, event.user_name) == (
        management_cluster.moid,
        "VSPHERE.LOCAL\\administrator",
    )


def test_read_only_user_may_not_reconfigure_a_cluster(auditor, management_cluster):
    with pytest.raises(PermissionDenied, match="Permission to perform this operation was denied."):
        services.cluster_reconfigure(
            cluster=management_cluster,
            drs_enabled=True,
            drs_automation_level=FULLY,
            ha_enabled=True,
            user=auditor,
        )
    assert not Task.objects.exists()


@pytest.mark.parametrize("level", ["", "automatic", "FullyAutomated", None])
def test_unknown_automation_level_is_refused_at_its_field(admin, management_cluster, level):
    before = _settings(management_cluster)
    with pytest.raises(ValidationError) as raised:
        services.cluster_reconfigure(
            cluster=management_cluster,
            drs_enabled=True,
            drs_automation_level=level,
            ha_enabled=True,
            user=admin,
        )
    assert raised.value.message_dict == {
        "drs_automation_level": [
            "Choose a DRS automation level: Manual, Partially Automated, Fully Automated."
        ]
    }
    assert _settings(management_cluster) == before
    assert not Task.objects.exists()


def test_reconfigure_without_a_change_opens_no_task(admin, management_cluster):
    current = _settings(management_cluster)
    task = services.cluster_reconfigure(
        cluster=management_cluster,
        drs_enabled=current[0],
        drs_automation_level=current[1],
        ha_enabled=current[2],
        user=admin,
    )
    assert task is None
    assert not Task.objects.exists()
    assert not Event.objects.filter(target_moid=management_cluster.moid).exists()


def test_reconfigure_is_refused_while_another_task_runs(admin, management_cluster):
    args = {"cluster": management_cluster, "drs_automation_level": MANUAL, "user": admin}
    services.cluster_reconfigure(drs_enabled=False, ha_enabled=True, **args)  # stays queued
    with pytest.raises(services.InvalidState, match="Another task is already in progress."):
        # Even asking for today's settings: the queued task is about to change them.
        services.cluster_reconfigure(drs_enabled=True, ha_enabled=True, **args)
    assert Task.objects.filter(target_moid=management_cluster.moid).count() == 1
