"""`com.vmware.vcenter.namespace_management.virtual_machine_classes`: list, get, create, update
and delete, over JSON-RPC and REST (`/api/vcenter/namespace-management/virtual-machine-classes`)
from one declaration. Create, update and delete need Namespaces.Manage (the services check it);
a class in use is not deleted."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

from inventory.permissions import Privilege, require
from vapi.bindings import (
    INTEGER,
    LOCALIZABLE_MESSAGE,
    STRING,
    Enum,
    Id,
    InputError,
    List,
    Optional,
    Set,
    Struct,
)
from vapi.errors import std_message
from vapi.namespace_management import NM, SEVERITY
from vapi.operations import ApiError, Call, Rest, operation
from vksportal.errors import DomainError
from workloads import selectors, services
from workloads.selectors import api as api_selectors

VMC = f"{NM}.virtual_machine_classes"
VM_CLASS_ID = Id(f"{NM}.VirtualMachineClass")
PATH = "/api/vcenter/namespace-management/virtual-machine-classes"
VIRTUAL_DEVICES = Struct(
    f"{VMC}.virtual_devices",
    {
        "vgpu_devices": Optional(List(Struct(f"{VMC}.VGPU_device", {"profile_name": STRING}))),
        "dynamic_direct_path_IO_devices": Optional(
            List(
                Struct(
                    f"{VMC}.dynamic_direct_path_IO_device",
                    {"vendor_id": INTEGER, "device_id": INTEGER, "custom_label": Optional(STRING)},
                )
            )
        ),
    },
)
VM_CLASS_INFO = Struct(
    f"{VMC}.info",
    {
        "id": VM_CLASS_ID,
        "cpu_count": INTEGER,
        "cpu_reservation": Optional(INTEGER, null_shown=True),
        "memory_MB": INTEGER,
        "memory_reservation": Optional(INTEGER, null_shown=True),
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
        "devices": Optional(VIRTUAL_DEVICES),
    },
)


class Body(Struct):
    """A spec that is the whole REST body: its fields named as the body names them
    (`memory_MB: ...`, not `spec.memory_MB: ...`)."""

    def from_rest(self, data, path=""):
        return super().from_rest(data, "")


class Given(Body):
    """An UpdateSpec: only the fields given change. In REST a field absent is unchanged and a
    field sent as null is null (a reservation cleared); in JSON-RPC every field is sent and an
    unset one is unchanged."""

    def from_rest(self, data, path=""):
        found = super().from_rest(data, path)
        return {k: v for k, v in found.items() if k in data}

    def from_vapi(self, data, path=""):
        return {k: v for k, v in super().from_vapi(data, path).items() if v is not None}


SETTINGS = {
    "cpu_count": Optional(INTEGER),
    "cpu_reservation": Optional(INTEGER),
    "memory_MB": Optional(INTEGER),
    "memory_reservation": Optional(INTEGER),
    "description": Optional(STRING),
    "devices": Optional(VIRTUAL_DEVICES),
}
CREATE_SPEC = Body(
    f"{VMC}.create_spec",
    {"id": VM_CLASS_ID} | SETTINGS | {"cpu_count": INTEGER, "memory_MB": INTEGER},
)
UPDATE_SPEC = Given(f"{VMC}.update_spec", SETTINGS)
# The services' field names as the API names them.
FIELDS = {"name": "id", "memory_mib": "memory_MB"}

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
        "devices": {"vgpu_devices": [], "dynamic_direct_path_IO_devices": []},
    }


@contextmanager
def _api_fields():
    """The services' field errors named as the spec names them (`memory_mib` is `memory_MB`)."""
    try:
        yield
    except DomainError as error:
        if not error.fields:
            raise
        renamed = [replace(f, path=FIELDS.get(f.path, f.path)) for f in error.fields]
        raise DomainError(kind=error.kind, fields=renamed) from error


def _no_devices(spec: dict) -> None:
    devices = spec.get("devices") or {}
    if any(devices.values()):
        text = "devices: vGPU and direct path I/O devices are not simulated."
        raise ApiError("INVALID_ARGUMENT", std_message(text, "INVALID_ARGUMENT"))


@operation(VMC, "list", output=List(VM_CLASS_INFO), rest=[Rest("GET", PATH)])
def vm_classes_list(call: Call) -> list[dict]:
    require(call.user, Privilege.VIEW)
    return [_vm_class(c) for c in api_selectors.vm_class_infos()]


@operation(
    VMC,
    "get",
    params={"vm_class": VM_CLASS_ID},
    output=VM_CLASS_INFO,
    rest=[Rest("GET", f"{PATH}/{{vm_class}}")],
)
def vm_classes_get(call: Call, vm_class: str) -> dict:
    require(call.user, Privilege.VIEW)
    return _vm_class(api_selectors.vm_class_info(vm_class))


@operation(
    VMC,
    "create",
    params={"spec": CREATE_SPEC},
    rest=[Rest("POST", PATH, body="spec", status=204)],
)
def vm_classes_create(call: Call, spec: dict) -> None:
    require(call.user, Privilege.VIEW)
    _no_devices(spec)
    with _api_fields():
        services.vm_class_create(
            name=spec["id"],
            cpu_count=spec["cpu_count"],
            memory_mib=spec["memory_MB"],
            cpu_reservation=spec["cpu_reservation"],
            memory_reservation=spec["memory_reservation"],
            description=spec["description"] or "",
            user=call.user,
        )


@operation(
    VMC,
    "update",
    params={"vm_class": VM_CLASS_ID, "spec": UPDATE_SPEC},
    rest=[Rest("PATCH", f"{PATH}/{{vm_class}}", body="spec", status=204)],
)
def vm_classes_update(call: Call, vm_class: str, spec: dict) -> None:
    require(call.user, Privilege.VIEW)
    current = selectors.vm_class_get(vm_class)
    _no_devices(spec)
    for name in ("cpu_count", "memory_MB"):
        if name in spec and spec[name] is None:
            raise InputError(name, "long", None)
    description = spec.get("description")
    with _api_fields():
        services.vm_class_update(  # only the fields given change
            vm_class=current,
            cpu_count=spec.get("cpu_count", current.cpu_count),
            memory_mib=spec.get("memory_MB", current.memory_mib),
            cpu_reservation=spec.get("cpu_reservation", current.cpu_reservation),
            memory_reservation=spec.get("memory_reservation", current.memory_reservation),
            description=current.description if description is None else description,
            user=call.user,
        )


@operation(
    VMC,
    "delete",
    params={"vm_class": VM_CLASS_ID},
    rest=[Rest("DELETE", f"{PATH}/{{vm_class}}", status=204)],
)
def vm_classes_delete(call: Call, vm_class: str) -> None:
    require(call.user, Privilege.VIEW)
    with _api_fields():
        services.vm_class_delete(vm_class=selectors.vm_class_get(vm_class), user=call.user)
