"""Enable, watch and disable a Supervisor through the service and the reconciler."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from inventory.models import Host, ResourcePool, Task, VirtualMachine
from workloads import reconcilers, services
from workloads.compatibility import compatibility, compatibility_list
from workloads.models import Supervisor
from workloads.specs import SpecError

pytestmark = pytest.mark.django_db


def converge(sup: Supervisor, now=None, limit: int = 100) -> list[str]:
    """Run passes as beat and countdowns would, moving a simulated clock; return the statuses."""
    now = now or timezone.now()
    seen = []
    for _ in range(limit):
        wait = reconcilers.supervisor_reconcile(sup.pk, now=now)
        current = Supervisor.objects.filter(pk=sup.pk).first()
        seen.append(current.config_status if current else "GONE")
        if wait is None:
            return seen
        now += timedelta(seconds=wait)
    raise AssertionError(f"did not converge: {seen[-5:]}")


def test_demo_has_one_compatible_cluster_and_one_not_with_reasons():
    verdicts = {c.cluster.name: c for c in compatibility_list()}
    assert verdicts["Workload-Cluster-01"].compatible
    management = verdicts["Management-Cluster"]
    assert not management.compatible
    assert any("Fully Automated" in r for r in management.reasons)


def test_fixing_drs_makes_a_cluster_compatible():
    from inventory.models import Cluster

    cluster = Cluster.objects.get(name="Management-Cluster")
    cluster.drs_automation_level = Cluster.DrsAutomation.FULLY
    cluster.save()
    assert compatibility(cluster).compatible


def test_enable_converges_to_running(admin, admin_client, raw_spec, cluster, settings):
    settings.VKS_SIM_SPEED = 1.0
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    assert sup.config_status == "CONFIGURING"
    statuses = converge(sup)
    assert statuses[-1] == "RUNNING"
    assert "CONFIGURING" in statuses
    sup.refresh_from_db()
    assert (sup.kubernetes_status, sup.observed_generation) == ("READY", sup.generation)
    vms = list(reconcilers.control_plane_vms(sup))
    assert [vm.name for vm in vms] == [f"SupervisorControlPlaneVM ({i})" for i in (1, 2, 3)]
    assert len({vm.host_id for vm in vms}) == 3, "on distinct hosts"
    assert all(vm.is_powered_on and vm.num_cpu == 2 and vm.memory_mib == 8192 for vm in vms)
    assert [vm.ip_address for vm in vms] == ["10.10.10.100", "10.10.10.101", "10.10.10.102"]
    assert sup.api_endpoint == "10.10.30.64"
    assert ResourcePool.objects.filter(cluster=cluster, name="Namespaces").count() == 1
    assert not Host.objects.filter(cluster=cluster, spherelet_version="").exists()
    host_page = admin_client.get(f"/ui/{cluster.hosts.first().moid}/summary/")
    assert b"Spherelet</dt><dd>Configured" in host_page.content
    task = sup.task
    task.refresh_from_db()
    assert (task.name, task.state, task.progress) == ("Enable Supervisor", "success", 100)
    assert all(c["status"] == "True" for c in sup.conditions)


def test_reconcile_twice_changes_nothing(admin, raw_spec):
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    converge(sup)
    vms = set(VirtualMachine.objects.values_list("moid", flat=True))
    assert reconcilers.supervisor_reconcile(sup.pk) is None
    assert set(VirtualMachine.objects.values_list("moid", flat=True)) == vms


def test_early_duplicate_pass_does_nothing(admin, raw_spec, settings):
    settings.VKS_SIM_SPEED = 1.0
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    now = timezone.now()
    wait = reconcilers.supervisor_reconcile(sup.pk, now=now)
    assert wait and wait > 0
    before = VirtualMachine.objects.count()
    assert reconcilers.supervisor_reconcile(sup.pk, now=now + timedelta(seconds=1)) is None
    assert VirtualMachine.objects.count() == before


def test_management_ip_collision_is_an_error_until_the_spec_changes(admin, raw_spec):
    VirtualMachine.objects.filter(name="web-01").update(ip_address="10.10.10.101")
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    now = timezone.now()  # an error keeps retrying, so pass by pass until it shows
    for _ in range(20):
        reconcilers.supervisor_reconcile(sup.pk, now=now)
        now += timedelta(hours=1)
        sup.refresh_from_db()
        if sup.config_status == "ERROR":
            break
    assert sup.config_status == "ERROR"
    failed = sup.condition("ControlPlaneVMsConfigured")
    assert failed["reason"] == "ManagementIPInUse"
    assert "10.10.10.101" in failed["message"] and "web-01" in failed["message"]
    task = Task.objects.get(pk=sup.task_id)
    assert task.state == "error" and "web-01" in task.error

    fixed = dict(raw_spec["management_network"], starting_address="10.10.10.110")
    sup = services.supervisor_update(
        supervisor=sup, section="management_network", values=fixed, user=admin
    )
    assert sup.generation == 2
    assert converge(sup, now=now)[-1] == "RUNNING"
    sup.refresh_from_db()
    assert sup.task.name == "Reconfigure Supervisor" and sup.task.state == "success"
    assert sup.control_plane_ips == ["10.10.10.110", "10.10.10.111", "10.10.10.112"]


def test_exhausted_load_balancer_range_fails_with_reason(admin, raw_spec):
    VirtualMachine.objects.filter(name="web-02").update(ip_address="10.10.30.64")
    raw_spec["load_balancer"]["address_ranges"] = "10.10.30.64-10.10.30.64"
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    now = timezone.now()
    for _ in range(30):
        reconcilers.supervisor_reconcile(sup.pk, now=now)
        now += timedelta(hours=1)
        sup.refresh_from_db()
        if sup.config_status == "ERROR":
            break
    assert sup.condition("LoadBalancerConfigured")["reason"] == "VirtualIPsExhausted"
    values = dict(raw_spec["load_balancer"], address_ranges="10.10.30.64-10.10.30.80")
    services.supervisor_update(supervisor=sup, section="load_balancer", values=values, user=admin)
    assert converge(sup, now=now)[-1] == "RUNNING"
    sup.refresh_from_db()
    assert sup.api_endpoint == "10.10.30.65"


def test_disable_removes_everything_and_cluster_is_compatible_again(admin, raw_spec, cluster):
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    converge(sup)
    assert not compatibility(cluster).compatible
    sup = services.supervisor_disable(supervisor=sup, user=admin)
    assert sup.config_status == "REMOVING"
    statuses = converge(sup)
    assert statuses[-1] == "GONE" and "REMOVING" in statuses
    assert not VirtualMachine.objects.filter(name__startswith="SupervisorControlPlaneVM").exists()
    assert not ResourcePool.objects.filter(cluster=cluster, name="Namespaces").exists()
    assert not Host.objects.filter(cluster=cluster).exclude(spherelet_version="").exists()
    assert compatibility(cluster).compatible
    assert Task.objects.get(name="Disable Supervisor").state == "success"


@pytest.mark.parametrize(
    ("section", "field", "value", "message"),
    [
        ("placement", "name", "Bad_Name", "at most 63 characters"),
        ("management_network", "address_count", "4", "at least 5 consecutive"),
        ("management_network", "starting_address", "10.10.11.5", "outside the subnet"),
        ("management_network", "starting_address", "10.10.10.300", "not a valid IPv4"),
        ("management_network", "gateway", "10.10.10.1x", "not a valid IPv4"),
        ("workload_network", "address_ranges", "10.10.20.50-10.10.20.10", "ends before it starts"),
        (
            "workload_network",
            "address_ranges",
            "10.10.20.10-10.10.20.50,10.10.20.40-10.10.20.60",
            "overlap",
        ),
        ("workload_network", "address_ranges", "10.10.20.1-10.10.20.9", "includes the gateway"),
        ("workload_network", "services_cidr", "10.10.20.0/24", "overlaps the workload network"),
        ("workload_network", "services_cidr", "10.96.0.1/23", "not a valid network"),
        ("load_balancer", "address_ranges", "10.10.20.100-10.10.20.120", "overlap the workload"),
        ("network_stack", "network_provider", "NSXT_CONTAINER_PLUGIN", "No NSX Manager"),
    ],
)
def test_bad_spec_names_the_field_and_creates_nothing(
    admin, raw_spec, section, field, value, message
):
    raw_spec[section][field] = value
    with pytest.raises(SpecError) as error:
        services.supervisor_enable(spec=raw_spec, user=admin)
    assert message in error.value.errors[f"{section}.{field}"]
    assert not Supervisor.objects.exists() and not Task.objects.exists()


def test_name_in_use_and_incompatible_cluster_are_refused(admin, raw_spec):
    services.supervisor_enable(spec=raw_spec, user=admin)
    with pytest.raises(SpecError) as error:
        services.supervisor_enable(spec=raw_spec, user=admin)
    assert "already exists" in error.value.errors["placement.name"]
    assert "already a Supervisor" in error.value.errors["placement.cluster"]


def test_only_administrators_may_enable(auditor, raw_spec):
    with pytest.raises(PermissionDenied):
        services.supervisor_enable(spec=raw_spec, user=auditor)
    assert not Supervisor.objects.exists()


def test_task_percent_climbs_within_stages(admin, raw_spec, settings):
    settings.VKS_SIM_SPEED = 1.0
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    now, seen = timezone.now(), []
    while (wait := reconcilers.supervisor_reconcile(sup.pk, now=now)) is not None:
        sup.task.refresh_from_db()
        seen.append(sup.task.progress)
        now += timedelta(seconds=wait)
    assert seen == sorted(seen)
    assert len(set(seen)) >= 8, f"a step moves the bar: {seen}"
