"""`com.vmware.vcenter.VM` (list, get) and `com.vmware.vcenter.vm.power` (get, start, stop,
suspend, reset).

VM.Info carries every field the SDK requires: what the model holds (name, guest, power, CPU,
memory, its disk, its network adapters, identity) and the rest as a new VM of the same hardware
version has it; device collections the simulator does not model are empty maps.

Power operations run as the pages' do: the same service opens a vCenter Task and the engine
works it off. Like vCenter's, the call returns once the task has finished (bounded; a task still
running then goes on, and the VM's power state tells when it is done).
"""

from __future__ import annotations

import hashlib
import time
import uuid

from django.db import connection, transaction

from inventory import services
from inventory.models import Task, VCenter, VirtualMachine
from inventory.operations import sim_seconds
from inventory.permissions import Privilege, require
from vapi.bindings import (
    BOOLEAN,
    INTEGER,
    STRING,
    Dynamic,
    Enum,
    Id,
    List,
    Map,
    Optional,
    Set,
    Struct,
)
from vapi.operations import ApiError, Call, Rest, message, operation
from vapi.vcenter.common import (
    Match,
    ids,
    names,
    not_found,
    require_visible,
    summaries,
    visible,
)

MIB = 1024 * 1024
VM = "com.vmware.vcenter.VM"
POWER = "com.vmware.vcenter.vm.power"
HW = "com.vmware.vcenter.vm.hardware"

OFF, ON, SUSPENDED = (
    VirtualMachine.PowerState.OFF,
    VirtualMachine.PowerState.ON,
    VirtualMachine.PowerState.SUSPENDED,
)
POWER_STATE = Enum(f"{POWER}.state", ("POWERED_OFF", "POWERED_ON", "SUSPENDED"))
POWER_STATES = {"POWERED_OFF": OFF, "POWERED_ON": ON, "SUSPENDED": SUSPENDED}
API_POWER_STATES = {v: k for k, v in POWER_STATES.items()}

# vim guest ids of the estates -> com.vmware.vcenter.vm.guest_OS
GUEST_OS = {
    "ubuntu64Guest": "UBUNTU_64",
    "windows2019srvNext_64Guest": "WINDOWS_SERVER_2021",
    "windows2019srv_64Guest": "WINDOWS_SERVER_2019",
    "vmwarePhoton64Guest": "VMWARE_PHOTON_64",
    "rhel9_64Guest": "RHEL_9_64",
    "rhel8_64Guest": "RHEL_8_64",
    "centos8_64Guest": "CENTOS_8_64",
    "debian12_64Guest": "DEBIAN_12_64",
    "otherLinux64Guest": "OTHER_LINUX_64",
    "otherGuest64": "OTHER_64",
}
GUEST = Enum("com.vmware.vcenter.vm.guest_OS", tuple(sorted(set(GUEST_OS.values()))))

VM_FILTER = Struct(
    f"{VM}.filter_spec",
    {
        "vms": ids(),
        "names": names(),
        "folders": ids(),
        "datacenters": ids(),
        "hosts": ids(),
        "clusters": ids(),
        "resource_pools": ids(),
        "power_states": Optional(Set(POWER_STATE)),
    },
)
VM_SUMMARY = Struct(
    f"{VM}.summary",
    {
        "vm": Id("VirtualMachine"),
        "name": STRING,
        "power_state": POWER_STATE,
        "cpu_count": Optional(INTEGER),
        "memory_size_MiB": Optional(INTEGER),
    },
)

HARDWARE_VERSIONS = tuple(f"VMX_{n:02d}" for n in (3, 4, *range(6, 23)))
SCSI_ADDRESS = Struct(f"{HW}.scsi_address_info", {"bus": INTEGER, "unit": INTEGER})
CONNECTION = Enum(
    f"{HW}.connection_state",
    ("CONNECTED", "RECOVERABLE_ERROR", "UNRECOVERABLE_ERROR", "NOT_CONNECTED", "UNKNOWN"),
)
NOT_MODELLED = Dynamic()  # a device kind the simulator has none of: its map is always empty
VM_INFO = Struct(
    f"{VM}.info",
    {
        "guest_OS": GUEST,
        "name": STRING,
        "identity": Optional(
            Struct(
                "com.vmware.vcenter.vm.identity.info",
                {"name": STRING, "bios_uuid": STRING, "instance_uuid": STRING},
            )
        ),
        "power_state": POWER_STATE,
        "instant_clone_frozen": Optional(BOOLEAN),
        "hardware": Struct(
            f"{HW}.info",
            {
                "version": Enum(f"{HW}.version", HARDWARE_VERSIONS),
                "upgrade_policy": Enum(
                    f"{HW}.upgrade_policy", ("NEVER", "AFTER_CLEAN_SHUTDOWN", "ALWAYS")
                ),
                "upgrade_version": Optional(Enum(f"{HW}.version", HARDWARE_VERSIONS)),
                "upgrade_status": Enum(
                    f"{HW}.upgrade_status", ("NONE", "PENDING", "SUCCESS", "FAILED")
                ),
                "upgrade_error": Optional(Dynamic()),
            },
        ),
        "boot": Struct(
            f"{HW}.boot.info",
            {
                "type": Enum(f"{HW}.boot.type", ("BIOS", "EFI")),
                "efi_legacy_boot": Optional(BOOLEAN),
                "network_protocol": Optional(Enum(f"{HW}.boot.network_protocol", ("IPV4", "IPV6"))),
                "delay": INTEGER,
                "retry": BOOLEAN,
                "retry_delay": INTEGER,
                "enter_setup_mode": BOOLEAN,
            },
        ),
        "boot_devices": List(NOT_MODELLED),  # empty: the default boot order
        "cpu": Struct(
            f"{HW}.cpu.info",
            {
                "count": INTEGER,
                "cores_per_socket": INTEGER,
                "hot_add_enabled": BOOLEAN,
                "hot_remove_enabled": BOOLEAN,
            },
        ),
        "memory": Struct(
            f"{HW}.memory.info",
            {
                "size_MiB": INTEGER,
                "hot_add_enabled": BOOLEAN,
                "hot_add_increment_size_MiB": Optional(INTEGER),
                "hot_add_limit_MiB": Optional(INTEGER),
            },
        ),
        "disks": Map(
            Id("com.vmware.vcenter.vm.hardware.Disk"),
            Struct(
                f"{HW}.disk.info",
                {
                    "label": STRING,
                    "type": Enum(
                        f"{HW}.disk.host_bus_adapter_type", ("IDE", "SCSI", "SATA", "NVME")
                    ),
                    "ide": Optional(NOT_MODELLED),
                    "scsi": Optional(SCSI_ADDRESS),
                    "sata": Optional(NOT_MODELLED),
                    "nvme": Optional(NOT_MODELLED),
                    "backing": Struct(
                        f"{HW}.disk.backing_info",
                        {
                            "type": Enum(f"{HW}.disk.backing_type", ("VMDK_FILE",)),
                            "vmdk_file": Optional(STRING),
                        },
                    ),
                    "capacity": Optional(INTEGER),  # bytes
                },
            ),
        ),
        "nics": Map(
            Id("com.vmware.vcenter.vm.hardware.Ethernet"),
            Struct(
                f"{HW}.ethernet.info",
                {
                    "label": STRING,
                    "type": Enum(
                        f"{HW}.ethernet.emulation_type",
                        ("E1000", "E1000E", "PCNET32", "VMXNET", "VMXNET2", "VMXNET3"),
                    ),
                    "upt_compatibility_enabled": Optional(BOOLEAN),
                    "upt_v2_compatibility_enabled": Optional(BOOLEAN),
                    "mac_type": Enum(
                        f"{HW}.ethernet.mac_address_type", ("MANUAL", "GENERATED", "ASSIGNED")
                    ),
                    "mac_address": Optional(STRING),
                    "pci_slot_number": Optional(INTEGER),
                    "wake_on_lan_enabled": BOOLEAN,
                    "backing": Struct(
                        f"{HW}.ethernet.backing_info",
                        {
                            "type": Enum(
                                f"{HW}.ethernet.backing_type",
                                (
                                    "STANDARD_PORTGROUP",
                                    "HOST_DEVICE",
                                    "DISTRIBUTED_PORTGROUP",
                                    "OPAQUE_NETWORK",
                                ),
                            ),
                            "network": Optional(Id("Network")),
                            "network_name": Optional(STRING),
                            "host_device": Optional(STRING),
                            "distributed_switch_uuid": Optional(STRING),
                            "distributed_port": Optional(STRING),
                            "connection_cookie": Optional(INTEGER),
                            "opaque_network_type": Optional(STRING),
                            "opaque_network_id": Optional(STRING),
                        },
                    ),
                    "state": CONNECTION,
                    "start_connected": BOOLEAN,
                    "allow_guest_control": BOOLEAN,
                },
            ),
        ),
        "cdroms": Map(Id(), NOT_MODELLED),
        "floppies": Map(Id(), NOT_MODELLED),
        "parallel_ports": Map(Id(), NOT_MODELLED),
        "serial_ports": Map(Id(), NOT_MODELLED),
        "sata_adapters": Map(Id(), NOT_MODELLED),
        "scsi_adapters": Map(
            Id("com.vmware.vcenter.vm.hardware.ScsiAdapter"),
            Struct(
                f"{HW}.adapter.scsi.info",
                {
                    "label": STRING,
                    "type": Enum(
                        f"{HW}.adapter.scsi.type", ("BUSLOGIC", "LSILOGIC", "LSILOGICSAS", "PVSCSI")
                    ),
                    "scsi": SCSI_ADDRESS,
                    "pci_slot_number": Optional(INTEGER),
                    "sharing": Enum(f"{HW}.adapter.scsi.sharing", ("NONE", "VIRTUAL", "PHYSICAL")),
                },
            ),
        ),
        "nvme_adapters": Optional(Map(Id(), NOT_MODELLED)),
    },
)
POWER_INFO = Struct(
    f"{POWER}.info",
    {"state": POWER_STATE, "clean_power_off": Optional(BOOLEAN)},  # only when powered off
)


# ---------------------------------------------------------------- VM list and get


@operation(
    VM,
    "list",
    params={"filter": Optional(VM_FILTER)},
    output=List(VM_SUMMARY),
    rest=[Rest("GET", "/api/vcenter/vm", filter="filter")],
)
def vm_list(call: Call, filter: dict | None) -> list[dict]:
    if not visible(call):
        return []
    matches = {
        "vms": Match("moid"),
        "names": Match("name"),
        "folders": Match("folder__moid"),
        "datacenters": Match("folder__datacenter__moid"),
        "hosts": Match("host__moid"),
        "clusters": Match("host__cluster__moid"),
        "resource_pools": Match("resource_pool__moid"),
        "power_states": Match("power_state", POWER_STATES),
    }
    values = {
        "vm": "moid",
        "name": "name",
        "power_state": "power_state",
        "cpu_count": "num_cpu",
        "memory_size_MiB": "memory_mib",
    }
    translate = {"power_state": API_POWER_STATES}
    qs = VirtualMachine.objects.all()
    return summaries(
        qs, "vm", VM_SUMMARY, values, translate, filter=filter, matches=matches, wire=call.wire
    )


def _vm(call: Call, vm: str, *, for_update: bool = False) -> VirtualMachine:
    """The VM the caller may see, or NOT_FOUND worded as vCenter's (its id and the vCenter's
    instance UUID)."""
    require_visible(call)
    qs = VirtualMachine.objects.select_related("host", "datastore")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(moid=vm).first()
    if found is None:
        vcenter = VCenter.objects.values_list("instance_uuid", flat=True).first()
        raise not_found("vm", "Virtual machine", f"{vm}:{vcenter}" if vcenter else vm)
    return found


def _mac(vm: VirtualMachine, index: int) -> str:
    digest = hashlib.blake2s(f"{vm.moid}/{index}".encode(), digest_size=3).digest()
    return "00:50:56:" + ":".join(f"{b:02x}" for b in digest)


def _switch_uuid(moid: str) -> str:
    """A distributed switch's UUID as vCenter writes it: `50 36 2e 8f 0b 0e 8b 4e-9c 9c ...`."""
    octets = [f"{b:02x}" for b in hashlib.blake2s(moid.encode(), digest_size=16).digest()]
    return " ".join(octets[:8]) + "-" + " ".join(octets[8:])


def _hardware_version(vm: VirtualMachine) -> str:
    number = vm.hardware_version.removeprefix("vmx-")
    version = f"VMX_{number.zfill(2)}" if number.isdigit() else "VMX_21"
    return version if version in HARDWARE_VERSIONS else "VMX_21"


def _nic(vm: VirtualMachine, index: int, network) -> dict:
    return {
        "label": f"Network adapter {index + 1}",
        "type": "VMXNET3",
        "upt_compatibility_enabled": False,
        "mac_type": "GENERATED",
        "mac_address": _mac(vm, index),
        "pci_slot_number": 192 + 32 * index,
        "wake_on_lan_enabled": False,
        "backing": {
            "type": "DISTRIBUTED_PORTGROUP",
            "network": network.moid,
            "distributed_switch_uuid": _switch_uuid(network.switch.moid),
        },
        "state": "CONNECTED" if vm.is_powered_on else "NOT_CONNECTED",
        "start_connected": True,
        "allow_guest_control": True,
    }


@operation(
    VM,
    "get",
    params={"vm": Id("VirtualMachine")},
    output=VM_INFO,
    rest=[Rest("GET", "/api/vcenter/vm/{vm}")],
)
def vm_get(call: Call, vm: str) -> dict:
    found = _vm(call, vm)
    networks = list(found.networks.select_related("switch").order_by("name"))
    efi = "windows" in found.guest_id
    return {
        "guest_OS": GUEST_OS.get(found.guest_id, "OTHER_64"),
        "name": found.name,
        "identity": {
            "name": found.name,
            "bios_uuid": str(uuid.uuid5(found.instance_uuid, "bios")),
            "instance_uuid": str(found.instance_uuid),
        },
        "power_state": API_POWER_STATES[found.power_state],
        "instant_clone_frozen": False,
        "hardware": {
            "version": _hardware_version(found),
            "upgrade_policy": "NEVER",
            "upgrade_status": "NONE",
        },
        "boot": {
            "type": "EFI" if efi else "BIOS",
            "efi_legacy_boot": False if efi else None,  # both set for EFI, as the SDK checks
            "network_protocol": "IPV4" if efi else None,
            "delay": 0,
            "retry": False,
            "retry_delay": 10000,
            "enter_setup_mode": False,
        },
        "boot_devices": [],
        "cpu": {
            "count": found.num_cpu,
            "cores_per_socket": 1,
            "hot_add_enabled": False,
            "hot_remove_enabled": False,
        },
        "memory": {"size_MiB": found.memory_mib, "hot_add_enabled": False},
        "disks": {
            "2000": {
                "label": "Hard disk 1",
                "type": "SCSI",
                "scsi": {"bus": 0, "unit": 0},
                "backing": {
                    "type": "VMDK_FILE",
                    "vmdk_file": f"[{found.datastore.name}] {found.name}/{found.name}.vmdk",
                },
                "capacity": found.disk_mib * MIB,
            }
        },
        "nics": {str(4000 + i): _nic(found, i, n) for i, n in enumerate(networks)},
        "cdroms": {},
        "floppies": {},
        "parallel_ports": {},
        "serial_ports": {},
        "sata_adapters": {},
        "scsi_adapters": {
            "1000": {
                "label": "SCSI controller 0",
                "type": "PVSCSI",
                "scsi": {"bus": 0, "unit": 7},
                "pci_slot_number": 160,
                "sharing": "NONE",
            }
        },
        "nvme_adapters": {},
    }


# ---------------------------------------------------------------- power

VM_PARAM = {"vm": Id("VirtualMachine")}
POWER_PATH = "/api/vcenter/vm/{vm}/power"
MESSAGES = "com.vmware.api.vcenter.vm.power"  # the ids of its messages
STATE_LABELS = {OFF: "Powered off", ON: "Powered on", SUSPENDED: "Suspended"}
# (operation, state the VM is in) -> the refusal's type and first message; every refusal then
# says the state, as vim's InvalidPowerState does.
REFUSED = {
    ("start", ON): (
        "ALREADY_IN_DESIRED_STATE",
        message(f"{MESSAGES}.already_powered_on", "Virtual machine is already powered on."),
    ),
    ("stop", OFF): (
        "ALREADY_IN_DESIRED_STATE",
        message(f"{MESSAGES}.already_powered_off", "Virtual machine is already powered off."),
    ),
    ("suspend", SUSPENDED): (
        "ALREADY_IN_DESIRED_STATE",
        message(f"{MESSAGES}.already_suspended", "Virtual machine is already suspended."),
    ),
    ("suspend", OFF): ("NOT_ALLOWED_IN_CURRENT_STATE", None),
    ("reset", OFF): ("NOT_ALLOWED_IN_CURRENT_STATE", None),
    ("reset", SUSPENDED): ("NOT_ALLOWED_IN_CURRENT_STATE", None),
}
ACTIONS = {"start": "power_on", "stop": "power_off", "suspend": "suspend", "reset": "reset"}
WAIT_AT_MOST = 60.0  # seconds a power call waits for its task


def _invalid_state(vm: VirtualMachine) -> dict:
    label = STATE_LABELS[vm.power_state]
    return message(
        "vmsg.InvalidPowerState.summary",
        f"The attempted operation cannot be performed in the current state ({label}).",
    )


def _task_wait(task: Task) -> None:
    """Until the task finishes (bounded), as vCenter answers a power call when it is done. Not
    inside a transaction that has not committed: the engine cannot see the task yet."""
    if connection.in_atomic_block:
        return
    until = time.monotonic() + min(WAIT_AT_MOST, 10 + 3 * sim_seconds(task.operation))
    pause = 0.02
    while time.monotonic() < until:
        state, error = Task.objects.values_list("state", "error").get(pk=task.pk)
        if state == Task.State.SUCCESS:
            return
        if state == Task.State.ERROR:
            raise ApiError("ERROR", message(f"{MESSAGES}.failed", error))
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _power(call: Call, vm: str, operation: str) -> None:
    with transaction.atomic():
        found = _vm(call, vm, for_update=True)
        require(call.user, Privilege.VM_POWER)
        if found.is_template:
            raise ApiError(
                "UNSUPPORTED",
                message(
                    "vmsg.NotSupported.summary", "The operation is not supported on a template."
                ),
            )
        refused = REFUSED.get((operation, found.power_state))
        if refused:
            error_type, first = refused
            raise ApiError(error_type, *filter(None, [first, _invalid_state(found)]))
        try:
            task = services.vm_power(vm=found, action=ACTIONS[operation], user=call.user)
        except services.TaskInProgress as busy:
            raise ApiError("RESOURCE_BUSY", message(f"{MESSAGES}.busy", str(busy))) from None
        except services.InvalidState as invalid:
            raise ApiError(
                "NOT_ALLOWED_IN_CURRENT_STATE", message("vmsg.InvalidState.summary", str(invalid))
            ) from None
    _task_wait(task)


@operation(POWER, "get", params=VM_PARAM, output=POWER_INFO, rest=[Rest("GET", POWER_PATH)])
def power_get(call: Call, vm: str) -> dict:
    found = _vm(call, vm)
    off = found.power_state == OFF
    return {"state": API_POWER_STATES[found.power_state], "clean_power_off": True if off else None}


@operation(POWER, "start", params=VM_PARAM, rest=[Rest("POST", POWER_PATH, "start", status=204)])
def power_start(call: Call, vm: str) -> None:
    """Power on a VM that is off or suspended."""
    _power(call, vm, "start")


@operation(POWER, "stop", params=VM_PARAM, rest=[Rest("POST", POWER_PATH, "stop", status=204)])
def power_stop(call: Call, vm: str) -> None:
    """Power off a VM that is on or suspended (a hard stop, not a guest shutdown)."""
    _power(call, vm, "stop")


@operation(
    POWER, "suspend", params=VM_PARAM, rest=[Rest("POST", POWER_PATH, "suspend", status=204)]
)
def power_suspend(call: Call, vm: str) -> None:
    _power(call, vm, "suspend")


@operation(POWER, "reset", params=VM_PARAM, rest=[Rest("POST", POWER_PATH, "reset", status=204)])
def power_reset(call: Call, vm: str) -> None:
    _power(call, vm, "reset")
