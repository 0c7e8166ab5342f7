"""The Supervisor reconciler: level-triggered, one bounded step per pass.

Each pass reads the spec and what exists in the inventory now (the Namespaces pool, the control
plane VMs, their addresses, the hosts' Spherelet), takes the first step still missing, and asks
for the next pass after that step's simulated duration. Nothing is remembered between passes
but the status it writes, so a killed worker, a lost or duplicated message only delays
convergence: the row lock makes duplicates take turns, and the second finds the work done.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import IPv4Address

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from inventory.models import (
    Datastore,
    Folder,
    Host,
    PortGroup,
    ResourcePool,
    VirtualMachine,
)
from inventory.operations import mark_running
from inventory.tasklog import event_log, task_finish, task_progress, tasks_changed
from workloads import status
from workloads.models import Supervisor
from workloads.reconcilers.allocation import allocate, claim, holder, lock_hosts, taken_among
from workloads.reconcilers.common import (
    NAMESPACES,
    StepFailed,
    create_pool,
    create_vm_folder,
    run_pass,
    sim,
)
from workloads.specs import SIZES, addresses, range_text

logger = logging.getLogger(__name__)

CP_NAME = "SupervisorControlPlaneVM ({})"
CP_PREFIX = "SupervisorControlPlaneVM ("
MANAGED_BY = "vSphere Supervisor"
SPHERELET_VERSION = "8.0.3-24280767"


@dataclass
class Step:
    stage: str  # the condition this step works on
    message: str  # what it is doing, for the condition and the task's stage text
    wait: str  # DURATION key: how long the step takes
    done: float = 0.0  # share of its stage finished after this step, for the task's percent


# ---------------------------------------------------------------- what exists


def namespaces_pool(sup: Supervisor) -> ResourcePool | None:
    return ResourcePool.objects.filter(
        cluster=sup.cluster_id, parent__parent__isnull=True, parent__isnull=False, name=NAMESPACES
    ).first()


def namespaces_folder(sup: Supervisor) -> Folder | None:
    return Folder.objects.filter(
        datacenter=sup.cluster.datacenter_id,
        kind=Folder.Kind.VM,
        parent__parent__isnull=True,
        parent__isnull=False,
        name=NAMESPACES,
    ).first()


def control_plane_vms(sup: Supervisor):
    return (
        VirtualMachine.objects.filter(
            resource_pool__cluster=sup.cluster_id,
            resource_pool__name=NAMESPACES,
            name__startswith=CP_PREFIX,
            managed_by=MANAGED_BY,
        )
        .select_related("host")
        .order_by("name")
    )


def management_addresses(sup: Supervisor) -> list[str]:
    """Addresses for control plane VMs 1..n, then the floating IP (static mode)."""
    mgmt = sup.spec["management_network"]
    if mgmt["mode"] != "STATICRANGE":
        return []
    block = [{"address": mgmt["starting_address"], "count": mgmt["address_count"]}]
    return [str(a) for a in addresses(block)]


def control_plane_count(sup: Supervisor) -> int:
    return int(sup.spec.get("control_plane_count", 3))


# ---------------------------------------------------------------- stages


def _infrastructure(sup: Supervisor, now: datetime) -> Step | None:
    cluster = sup.cluster
    created = False
    if namespaces_pool(sup) is None:
        root = ResourcePool.objects.get(cluster=cluster, parent__isnull=True)
        create_pool(root, NAMESPACES)
        created = True
    if namespaces_folder(sup) is None:
        root = Folder.objects.get(
            datacenter=cluster.datacenter_id, kind=Folder.Kind.VM, parent=None
        )
        create_vm_folder(cluster.datacenter_id, root, NAMESPACES)
        created = True
    if created:
        return Step(
            "InfrastructureInitialized",
            "Created the Namespaces resource pool and folder.",
            "infrastructure",
        )
    return None


def _deploy(sup: Supervisor, now: datetime) -> Step | None:
    existing = {vm.name: vm for vm in control_plane_vms(sup)}
    wanted = [CP_NAME.format(i) for i in range(1, control_plane_count(sup) + 1)]
    missing = [name for name in wanted if name not in existing]
    if not missing:
        return None
    name = missing[0]
    size = SIZES[sup.spec["size"]["size"]]
    hosts = Host.objects.filter(
        cluster=sup.cluster_id,
        connection_state=Host.ConnectionState.CONNECTED,
        in_maintenance_mode=False,
    ).exclude(pk__in=[vm.host_id for vm in existing.values()])
    # Under the hosts' row locks, as VKS nodes are placed: the VM holds its memory from now on.
    room = [h.pk for h in lock_hosts(hosts) if h.memory_mib - h.held_mib >= size.memory_gib * 1024]
    host = (
        hosts.filter(pk__in=room)
        .annotate(memory_used=Sum("vms__memory_usage_mib", filter=Q(vms__power_state="poweredOn")))
        .order_by("memory_used", "name")
        .first()
    )
    if host is None:
        raise StepFailed(
            "ControlPlaneVMsDeployed",
            "InsufficientHostsFailed",
            f"No host is left to place {name} on: control plane VMs run on distinct hosts, "
            "each with room for the VM's memory.",
        )
    policy = sup.spec["storage"]["control_plane_policy"]
    datastore = Datastore.objects.filter(hosts=host, storage_policies__policy_id=policy).first()
    if datastore is None:
        raise StepFailed(
            "ControlPlaneVMsDeployed",
            "StoragePlacementFailed",
            f"No datastore on {host.name} satisfies the control plane storage policy.",
        )
    vm = VirtualMachine(
        name=name,
        host=host,
        resource_pool=namespaces_pool(sup),
        folder=namespaces_folder(sup),
        datastore=datastore,
        num_cpu=size.cpus,
        memory_mib=size.memory_gib * 1024,
        disk_mib=size.disk_gib * 1024,
        guest_os="VMware Photon OS (64-bit)",
        guest_id="vmwarePhoton64Guest",
        managed_by=MANAGED_BY,
        annotation=f"Supervisor control plane VM of {sup.name}. Do not modify.",
        instance_uuid=uuid.uuid4(),
    )
    vm.assign_moid()
    vm.save()
    networks = [sup.spec["management_network"]["network"], sup.spec["workload_network"]["network"]]
    vm.networks.set(PortGroup.objects.filter(moid__in=networks))
    event_log(event_type="VmDeployedEvent", message=f"{name} on {host.name} is deployed", entity=vm)
    return Step(
        "ControlPlaneVMsDeployed",
        f"Deployed {name} on {host.name}.",
        "deploy_vm",
        (len(existing) + 1) / len(wanted),
    )


def _configure(sup: Supervisor, now: datetime) -> Step | None:
    vms = list(control_plane_vms(sup))
    ips = management_addresses(sup)
    for index, vm in enumerate(vms):
        wanted_ip = ips[index] if ips else vm.ip_address or _dhcp_address(sup, index)
        if vm.is_powered_on and vm.ip_address == wanted_ip:
            continue
        clash = VirtualMachine.objects.filter(ip_address=wanted_ip).exclude(pk=vm.pk).first()
        if clash is not None or not claim(wanted_ip, vm=vm):
            who = f"virtual machine {clash.name}" if clash else holder(wanted_ip)
            raise StepFailed(
                "ControlPlaneVMsConfigured",
                "ManagementIPInUse",
                f"IP address {wanted_ip} of the management network range is already in use by "
                f"{who}. Choose a free range.",
            )
        vm.ip_address = wanted_ip
        if not vm.is_powered_on:
            mark_running(vm, vm.host, now)
        vm.save()
        sup.control_plane_ips = [v.ip_address for v in vms if v.ip_address]
        sup.kubernetes_version = settings.VKS_SUPERVISOR_K8S_VERSION
        return Step(
            "ControlPlaneVMsConfigured",
            f"Configured {vm.name} at {wanted_ip}.",
            "configure_vm",
            (index + 1) / len(vms),
        )
    sup.control_plane_ips = [v.ip_address for v in vms]
    return None


def _dhcp_address(sup: Supervisor, index: int) -> str:
    portgroup = PortGroup.objects.get(moid=sup.spec["management_network"]["network"])
    subnet = portgroup.subnet or "10.99.0.0/24"
    base = IPv4Address(subnet.split("/")[0])
    return str(base + 200 + index)  # what the DHCP server would lease: stable per VM


def _load_balancer(sup: Supervisor, now: datetime) -> Step | None:
    ranges = sup.spec["load_balancer"]["address_ranges"]
    if sup.api_endpoint and IPv4Address(sup.api_endpoint) in set(addresses(ranges)):
        return None
    free = allocate([str(a) for a in addresses(ranges)], supervisor=sup)
    if free is None:
        raise StepFailed(
            "LoadBalancerConfigured",
            "VirtualIPsExhausted",
            "The load balancer has no free virtual IP address for the Supervisor API endpoint: "
            f"every address of {range_text(ranges)} is in use. Add or widen a range.",
        )
    sup.api_endpoint = free
    return Step(
        "LoadBalancerConfigured", f"Kubernetes API endpoint {free}:6443 is served.", "load_balancer"
    )


def _workload_network(sup: Supervisor, now: datetime) -> Step | None:
    """A check, not an action: the workload ranges must hold an address per control plane VM."""
    wl = sup.spec["workload_network"]
    candidates = [str(a) for a in addresses(wl["address_ranges"])]
    if len(set(candidates) - taken_among(candidates)) < control_plane_count(sup):
        raise StepFailed(
            "WorkloadNetworkConfigured",
            "WorkloadIPsExhausted",
            f"The workload network {wl['name']} has fewer free addresses than control plane VMs.",
        )
    return None


def _hosts(sup: Supervisor, now: datetime) -> Step | None:
    host = (
        Host.objects.filter(cluster=sup.cluster_id, connection_state=Host.ConnectionState.CONNECTED)
        .exclude(spherelet_version=SPHERELET_VERSION)
        .order_by("name")
        .first()
    )
    if host is None:
        return None
    host.spherelet_version = SPHERELET_VERSION
    host.save(update_fields=["spherelet_version"])
    hosts = Host.objects.filter(cluster=sup.cluster_id)
    done = hosts.filter(spherelet_version=SPHERELET_VERSION).count() / hosts.count()
    return Step("HostsConfigured", f"Configured Spherelet on {host.name}.", "host", done)


STAGES = (
    ("InfrastructureInitialized", _infrastructure),
    ("ControlPlaneVMsDeployed", _deploy),
    ("ControlPlaneVMsConfigured", _configure),
    ("LoadBalancerConfigured", _load_balancer),
    ("WorkloadNetworkConfigured", _workload_network),
    ("HostsConfigured", _hosts),
)


def _remove(sup: Supervisor, now: datetime) -> Step | None:
    """Disable, one piece per pass: power off, delete the control plane VMs, unconfigure the
    hosts, then the pool and folder. None when nothing is left (the row goes last)."""
    vms = list(control_plane_vms(sup))
    running = [vm for vm in vms if vm.is_powered_on]
    if running:
        vm = running[-1]
        vm.power_state, vm.cpu_usage_mhz, vm.memory_usage_mib = "poweredOff", 0, 0
        vm.save()
        return Step("Removing", f"Powered off {vm.name}.", "remove_step")
    if vms:
        vm = vms[-1]
        event_log(
            event_type="VmRemovedEvent", message=f"Removed {vm.name} on {vm.host.name}", entity=vm
        )
        vm.networks.clear()
        vm.delete()
        return Step("Removing", f"Deleted {vm.name}.", "remove_step")
    hosts = Host.objects.filter(cluster=sup.cluster_id).exclude(spherelet_version="")
    if hosts.exists():
        hosts.update(spherelet_version="")
        return Step("Removing", "Removed Spherelet from the hosts.", "remove_step")
    pool, folder = namespaces_pool(sup), namespaces_folder(sup)
    if pool is not None or folder is not None:
        for obj in (pool, folder):
            if obj is not None:
                obj.delete()
        return Step("Removing", "Removed the Namespaces resource pool and folder.", "remove_step")
    return None


# ---------------------------------------------------------------- the pass


def supervisor_reconcile(supervisor_pk: int, *, now: datetime | None = None) -> float | None:
    """One pass (see `run_pass`): the next missing stage, or the next removal step."""
    now = now or timezone.now()

    def finished(sup: Supervisor, step: Step | None) -> float | None:
        if sup.is_deleting and step is None:
            return _removed(sup, now)
        return _progressed(sup, step, now)

    return run_pass(
        Supervisor.objects.select_related("cluster__datacenter", "task"),
        supervisor_pk,
        now,
        step=lambda sup: _remove(sup, now) if sup.is_deleting else _next_step(sup, now),
        failed=lambda sup, error: _failed(sup, error, now),
        finished=finished,
    )


def _next_step(sup: Supervisor, now: datetime) -> Step | None:
    for stage, work in STAGES:
        step = work(sup, now)
        if step is not None:
            return step
        done = sup.condition(stage)
        if not done or done["status"] != status.TRUE:
            sup.conditions = status.set_condition(
                sup.conditions,
                status.condition(
                    stage, status.TRUE, "Configured", f"{status.STAGE_TITLES[stage]}.", now
                ),
            )
    return None


def _progressed(sup: Supervisor, step: Step | None, now: datetime) -> float | None:
    if step is not None and not sup.is_deleting:
        sup.conditions = status.set_condition(
            sup.conditions,
            status.condition(step.stage, status.FALSE, "InProgress", step.message, now),
        )
    sup.config_status = status.config_status(sup.conditions, deleting=sup.is_deleting)
    sup.kubernetes_status = status.kubernetes_status(sup.conditions) if not sup.is_deleting else ""
    sup.attempts = 0
    wait = sim(step.wait) if step is not None else None
    sup.next_reconcile_at = now + timedelta(seconds=wait) if wait is not None else None
    if step is None:
        sup.observed_generation = sup.generation  # only after an error-free pass
    sup.save()
    if sup.task and not sup.task.is_finished:
        if step is None:
            task_finish(sup.task, now=now)
            event_log(
                event_type="com.vmware.wcp.SupervisorRunning",
                message=f"Supervisor {sup.name} is running on {sup.cluster.name}.",
                entity=sup.cluster,
            )
        else:
            percent = status.progress(sup.conditions, partial=step.done)
            task_progress(sup.task, progress=percent, stage=step.message, now=now)
    else:
        tasks_changed()  # live pages poll the same stamp for Supervisor status
    return wait


def _failed(sup: Supervisor, failed: StepFailed, now: datetime) -> None:
    sup.conditions = status.set_condition(
        sup.conditions,
        status.condition(failed.stage, status.FALSE, failed.reason, failed.message, now, "Error"),
    )
    sup.config_status = status.config_status(sup.conditions, deleting=sup.is_deleting)
    sup.kubernetes_status = status.kubernetes_status(sup.conditions)
    # The world may change (a VM frees the address): beat retries once this is due. No message
    # is queued here, so a lasting error never spins a worker (or recurses in eager mode).
    sup.next_reconcile_at = now + timedelta(seconds=sim("retry_after_error"))
    sup.save()
    if sup.task and not sup.task.is_finished:
        task_finish(sup.task, now=now, error=failed.message)
    else:
        tasks_changed()
    return None


def _removed(sup: Supervisor, now: datetime) -> None:
    cluster, task, name = sup.cluster, sup.task, sup.name
    sup.delete()
    if task and not task.is_finished:
        task_finish(task, now=now)
    event_log(
        event_type="com.vmware.wcp.SupervisorRemoved",
        message=f"Supervisor {name} was removed from {cluster.name}.",
        entity=cluster,
    )
    return None


def supervisors_due(now: datetime | None = None) -> list[int]:
    """Supervisors whose next pass is overdue: beat re-enqueues them (lost message, dead worker)."""
    now = now or timezone.now()
    return list(
        Supervisor.objects.filter(next_reconcile_at__lte=now).values_list("pk", flat=True)[:500]
    )
