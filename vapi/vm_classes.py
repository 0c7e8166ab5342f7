"""`com.vmware.vcenter.namespace_management.virtual_machine_classes` list/get over JSON-RPC;
DRF serves their REST (workloads.api), from the same selectors."""

from __future__ import annotations

from inventory.permissions import Privilege, require
from vapi.bindings import (
    INTEGER,
    LOCALIZABLE_MESSAGE,
    STRING,
    Enum,
    Id,
    List,
    Optional,
    Set,
    Struct,
)
from vapi.namespace_management import NM, SEVERITY
from vapi.operations import Call, operation
from workloads.selectors import api as api_selectors

VMC = f"{NM}.virtual_machine_classes"
VM_CLASS_INFO = Struct(
    f"{VMC}.info",
    {
        "id": Id(f"{NM}.VirtualMachineClass"),
        "cpu_count": INTEGER,
        "cpu_reservation": Optional(INTEGER),
        "memory_MB": INTEGER,
        "memory_reservation": Optional(INTEGER),
        "description": STRING,
        "namespaces": Set(Id()),
        "vms": Set(Id()),
        "config_status": Enum(f"{VMC}.config_status", ("READY", "REMOVING")),
        "messages": List(
            Struct(
                f"{VMC}.message",
                {
                    "severity": Enum(f"{VMC}.message.message_severity", SEVERITY),
                    "details": Optional(LOCALIZABLE_MESSAGE),
                },
            )
        ),
    },
)

# ---------------------------------------------------------------- VM classes


def _vm_class(vm_class) -> dict:
    return {
        "id": vm_class.name,
        "cpu_count": vm_class.cpu_count,
        "cpu_reservation": vm_class.cpu_reservation,
        "memory_MB": vm_class.memory_mib,
        "memory_reservation": vm_class.memory_reservation,
        "description": vm_class.description,
        "namespaces": [ns.name for ns in vm_class.namespaces.all()],
        "vms": [],  # VM Service VMs are not simulated
        "config_status": vm_class.config_status,
        "messages": [],
    }


@operation(VMC, "list", output=List(VM_CLASS_INFO))
def vm_classes_list(call: Call) -> list[dict]:
    require(call.user, Privilege.VIEW)
    return [_vm_class(c) for c in api_selectors.vm_class_infos()]


@operation(VMC, "get", params={"vm_class": Id(f"{NM}.VirtualMachineClass")}, output=VM_CLASS_INFO)
def vm_classes_get(call: Call, vm_class: str) -> dict:
    require(call.user, Privilege.VIEW)
    return _vm_class(api_selectors.vm_class_info(vm_class))
