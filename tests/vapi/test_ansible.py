"""Ansible's vmware.vmware_rest 4.11 (bundled by ansible 14.5.0), unmodified, against `make run`'s
stack over HTTPS with certificate checks on (the modules' aiohttp trusts SSL_CERT_FILE: the
stack's CA). One playbook: the datacenter, cluster, host and VM info modules (list, filters,
get-one by id), VM power info and power stop/start, and a login refused. The modules log in at
the legacy POST /rest/com/vmware/cis/session and read the /api/vcenter/... REST forms."""

from __future__ import annotations

import time

import pytest

from inventory.models import Cluster, Datacenter, Host, ResourcePool, VirtualMachine
from tests.integration.stack import running_stack
from tests.kubeapi.live import PASSWORD, ca_file, demo_lab
from tests.vapi.ansible_env import ansible_venv, results, run_playbook

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

USER = "administrator@vsphere.local"
REST = "vmware.vmware_rest"
UNKNOWN_VM = "vm-987654321"

HOST_CONNECTION = {"connected": "CONNECTED", "disconnected": "DISCONNECTED"}
HOST_CONNECTION["notResponding"] = "NOT_RESPONDING"
HOST_POWER = {"poweredOn": "POWERED_ON", "poweredOff": "POWERED_OFF", "standBy": "STANDBY"}
VM_POWER = {"poweredOn": "POWERED_ON", "poweredOff": "POWERED_OFF", "suspended": "SUSPENDED"}
VM_INFO_FIELDS = {
    "guest_OS", "name", "power_state", "hardware", "boot", "boot_devices", "cpu", "memory",
    "disks", "nics", "cdroms", "floppies", "parallel_ports", "serial_ports", "sata_adapters",
    "scsi_adapters",
}  # fmt: skip


def task(name: str, module: str, **args) -> dict:
    """One task; it may fail without stopping the play (each result is asserted below)."""
    return {"name": name, f"{REST}.{module}": args, "register": "out", "ignore_errors": True}


def until(name: str, vm: str, state: str) -> dict:
    """vcenter_vm_power_info again until the Task that changes the power has run."""
    polled = task(name, "vcenter_vm_power_info", vm=vm)
    polled |= {"until": f"out.value.state is defined and out.value.state == '{state}'"}
    return polled | {"retries": 20, "delay": 1}


def playbook(host: str, dc: Datacenter, cluster: Cluster, names: list[str], vm: str) -> list:
    login = {
        "vcenter_hostname": host,
        "vcenter_username": USER,
        "vcenter_password": PASSWORD,
        "vcenter_validate_certs": True,
    }
    tasks = [
        task("datacenters", "vcenter_datacenter_info"),
        task("datacenter by name", "vcenter_datacenter_info", names=[dc.name]),
        task("datacenter", "vcenter_datacenter_info", datacenter=dc.moid),
        task("clusters", "vcenter_cluster_info"),
        task("clusters by name", "vcenter_cluster_info", names=[cluster.name]),
        task("cluster", "vcenter_cluster_info", cluster=cluster.moid),
        task("hosts", "vcenter_host_info"),
        task("hosts of a cluster", "vcenter_host_info", clusters=[cluster.moid]),
        task("vms", "vcenter_vm_info"),
        task("vms by name", "vcenter_vm_info", names=names),
        task("vm", "vcenter_vm_info", vm=vm),
        task("unknown vm", "vcenter_vm_info", vm=UNKNOWN_VM),
        task("power", "vcenter_vm_power_info", vm=vm),
        task("stop", "vcenter_vm_power", vm=vm, state="stop"),
        until("stopped", vm, "POWERED_OFF"),
        task("stop again", "vcenter_vm_power", vm=vm, state="stop"),
        task("start", "vcenter_vm_power", vm=vm, state="start"),
        until("started", vm, "POWERED_ON"),
        task("wrong password", "vcenter_datacenter_info", vcenter_password="wrong"),
    ]
    return [
        {
            "name": "vmware.vmware_rest against the portal",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "module_defaults": {f"group/{REST}.vmware_rest": login},
            "tasks": tasks,
        }
    ]


def test_vmware_rest_reads_the_inventory_and_powers_a_vm(tmp_path):
    venv, built = ansible_venv()
    demo_lab("administrator")
    dc = Datacenter.objects.get()
    clusters = {c.moid: c for c in Cluster.objects.all()}
    cluster = next(iter(sorted(clusters.values(), key=lambda c: c.moid)))
    hosts = {h.moid: h for h in Host.objects.all()}
    vms = VirtualMachine.objects.filter(is_template=False)
    on = vms.filter(power_state=VirtualMachine.PowerState.ON, managed_by="").order_by("moid")
    vm = on.first()
    named = [v.name for v in on[1:3]]

    started = time.monotonic()
    with running_stack(tmp_path) as stack:
        host = stack.https_url.removeprefix("https://")
        env = {"SSL_CERT_FILE": ca_file(stack)}
        report = run_playbook(venv, playbook(host, dc, cluster, named, vm.moid), tmp_path, env)
    took = time.monotonic() - started
    print(f"ansible venv built in {built:.1f}s; stack + playbook {took:.1f}s")
    out = results(report)

    def ok(name: str):
        result = out[name]
        assert not result.get("failed"), f"{name}: {result}"
        assert not result.get("changed"), f"{name}: {result}"
        return result["value"]

    # The login: the legacy session, then the session header; a wrong password is refused.
    assert out["wrong password"]["failed"]
    assert "Authentication failure. code: 401" in out["wrong password"]["msg"]

    assert ok("datacenters") == [{"datacenter": dc.moid, "name": dc.name}]
    assert ok("datacenter by name") == [{"datacenter": dc.moid, "name": dc.name}]
    info = ok("datacenter")
    assert out["datacenter"]["id"] == dc.moid
    assert info["name"] == dc.name
    for field, prefix in [("vm", "v"), ("host", "h"), ("datastore", "s"), ("network", "n")]:
        assert info[f"{field}_folder"].startswith(f"group-{prefix}"), info

    expected = {
        c.moid: {"cluster": c.moid, "name": c.name}
        | {"ha_enabled": c.ha_enabled, "drs_enabled": c.drs_enabled}
        for c in clusters.values()
    }
    assert {c["cluster"]: c for c in ok("clusters")} == expected
    assert [c["cluster"] for c in ok("clusters by name")] == [cluster.moid]
    root = ResourcePool.objects.get(cluster=cluster, parent=None)
    assert ok("cluster") == {"name": cluster.name, "resource_pool": root.moid}
    assert out["cluster"]["id"] == cluster.moid

    listed = {h["host"]: h for h in ok("hosts")}
    assert set(listed) == set(hosts)
    for moid, h in hosts.items():
        assert listed[moid]["name"] == h.name
        assert listed[moid]["connection_state"] == HOST_CONNECTION[h.connection_state]
        assert listed[moid]["power_state"] == HOST_POWER[h.power_state]
    in_cluster = {h.moid for h in hosts.values() if h.cluster_id == cluster.pk}
    assert {h["host"] for h in ok("hosts of a cluster")} == in_cluster

    listed = {v["vm"]: v for v in ok("vms")}
    assert set(vms.values_list("moid", flat=True)) <= set(listed)
    for v in vms:
        assert listed[v.moid] == {
            "vm": v.moid,
            "name": v.name,
            "power_state": VM_POWER[v.power_state],
            "cpu_count": v.num_cpu,
            "memory_size_MiB": v.memory_mib,
        }
    assert sorted(v["name"] for v in ok("vms by name")) == sorted(named)

    info = ok("vm")
    assert out["vm"]["id"] == vm.moid
    assert VM_INFO_FIELDS <= set(info), sorted(info)
    assert info["name"] == vm.name
    assert info["power_state"] == "POWERED_ON"
    assert info["cpu"]["count"] == vm.num_cpu
    assert info["memory"]["size_MiB"] == vm.memory_mib
    unknown = out["unknown vm"]
    assert unknown["failed"] and unknown["value"]["error_type"] == "NOT_FOUND", unknown

    # Power: GET .../power, POST .../power?action=stop|start (204, no body); stopping a VM that
    # is off is ALREADY_IN_DESIRED_STATE, which the module reports as neither failed nor changed.
    assert ok("power") == {"state": "POWERED_ON"}
    ok("stop")
    assert ok("stopped")["state"] == "POWERED_OFF"
    again = ok("stop again")
    assert again["error_type"] == "ALREADY_IN_DESIRED_STATE", again
    ok("start")
    assert ok("started") == {"state": "POWERED_ON"}
    assert report["returncode"] == 0, report["stderr"]
