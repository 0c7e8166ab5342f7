"""VM class operations (the VM Service's `virtual-machine-classes` API): create, edit, delete.

Administrators only (Namespaces.Manage). Each validates every field first, raising SpecError with
a message per field and writing nothing, then writes the class and logs an Event on the vCenter.
A VM class has no reconciler: namespaces read it as it is, and VMs already deployed keep the
hardware they were deployed with, as in vCenter.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict, Unpack

from django.db import IntegrityError, transaction

from inventory.models import VCenter
from inventory.permissions import Privilege, require
from inventory.tasklog import event_log
from vksportal.errors import DomainError, ErrorKind, FieldErrors
from workloads.models import VirtualMachineClass, VksCluster
from workloads.specs import DNS_LABEL

MAX_CPUS = 768  # vCenter 8 configuration maximum: virtual CPUs per VM
MIN_MEMORY_MIB = 4
MAX_MEMORY_MIB = 24 * 1024 * 1024  # 24 TB per VM
NAME_RULE = (
    "The name must be at most 63 characters: lowercase letters, digits and '-', starting and "
    "ending with a letter or digit."
)


class VmClassInUseError(DomainError):
    """The VM class is associated with namespaces or used by VKS clusters."""

    kind = ErrorKind.RESOURCE_IN_USE


def _whole(raw, field: str, errors: FieldErrors, message: str) -> int | None:
    if isinstance(raw, bool):
        errors[field] = message
        return None
    if isinstance(raw, int):
        return raw
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        errors[field] = message
        return None


def _reservation(raw, field: str, errors: FieldErrors) -> int | None:
    """A reservation as typed: blank is none (best effort); else a percent from 0 to 100."""
    if raw is None or str(raw).strip() == "":
        return None
    message = "Enter a percentage from 0 to 100, or leave it empty for no reservation."
    value = _whole(raw, field, errors, message)
    if value is not None and not 0 <= value <= 100:
        errors[field] = message
    return value


class VmClassFields(TypedDict):
    """A VM class's settings besides its name, as typed or sent (validated here, not by type)."""

    cpu_count: int | str
    memory_mib: int | str
    cpu_reservation: NotRequired[int | str | None]
    memory_reservation: NotRequired[int | str | None]
    description: NotRequired[str]


def _clean(
    errors: FieldErrors,
    *,
    cpu_count,
    memory_mib,
    cpu_reservation=None,
    memory_reservation=None,
    description="",
) -> dict:
    """The fields as the model stores them; raises SpecError with a message per wrong field,
    those already in `errors` included."""
    cpus = _whole(cpu_count, "cpu_count", errors, f"Enter a number of vCPUs from 1 to {MAX_CPUS}.")
    if cpus is not None and not 1 <= cpus <= MAX_CPUS:
        errors["cpu_count"] = f"Enter a number of vCPUs from 1 to {MAX_CPUS}."
    memory_message = "Enter memory from 4 MB to 24 TB, in whole MB."
    memory = _whole(memory_mib, "memory_mib", errors, memory_message)
    if memory is not None:
        if not MIN_MEMORY_MIB <= memory <= MAX_MEMORY_MIB:
            errors["memory_mib"] = memory_message
        elif memory % 4:
            errors["memory_mib"] = "Memory must be a multiple of 4 MB."
    values = {
        "cpu_count": cpus,
        "memory_mib": memory,
        "cpu_reservation": _reservation(cpu_reservation, "cpu_reservation", errors),
        "memory_reservation": _reservation(memory_reservation, "memory_reservation", errors),
        "description": (description or "").strip(),
    }
    errors.check()
    return values


def _log(message: str, event: str, user) -> None:
    vcenter = VCenter.objects.first()
    if vcenter is not None:
        event_log(
            event_type=f"com.vmware.wcp.VirtualMachineClass{event}",
            message=message,
            entity=vcenter,
            user=user,
        )


@transaction.atomic
def vm_class_create(*, name: str, user, **fields: Unpack[VmClassFields]) -> VirtualMachineClass:
    """Create a VM class, READY at once. Its name is the API's `id`: a DNS label, unique in
    the vCenter. Nothing is written when any field is wrong."""
    require(user, Privilege.NAMESPACES_MANAGE)
    errors = FieldErrors()
    name = (name or "").strip()
    taken = f"A VM class named '{name}' already exists."
    if not name:
        errors["name"] = "Enter a name for the VM class."
    elif len(name) > 63 or not DNS_LABEL.match(name):
        errors["name"] = NAME_RULE
    elif VirtualMachineClass.objects.filter(name=name).exists():
        errors.already_exists("name", taken, name=name)
    values = _clean(errors, **fields)
    try:
        with transaction.atomic():  # a savepoint: another admin may take the name meanwhile
            vm_class = VirtualMachineClass.objects.create(name=name, **values)
    except IntegrityError:
        errors.already_exists("name", taken, name=name)
        raise errors.error() from None
    _log(f"VM class {name} created ({_shape(vm_class)})", "Created", user)
    return vm_class


@transaction.atomic
def vm_class_update(
    *, vm_class: VirtualMachineClass, user, **fields: Unpack[VmClassFields]
) -> VirtualMachineClass:
    """Change a VM class's hardware, reservations and description (its name never changes).
    Default classes may be edited like any other. No-op if nothing changes."""
    require(user, Privilege.NAMESPACES_MANAGE)
    values = _clean(FieldErrors(), **fields)
    current = VirtualMachineClass.objects.select_for_update().get(pk=vm_class.pk)
    changed = [k for k, v in values.items() if getattr(current, k) != v]
    if not changed:
        return current
    for key in changed:
        setattr(current, key, values[key])
    current.save(update_fields=[*changed, "updated_at"])
    _log(f"VM class {current.name} updated ({_shape(current)})", "Updated", user)
    return current


@transaction.atomic
def vm_class_delete(*, vm_class: VirtualMachineClass, user) -> None:
    """Delete a VM class. Refused while namespaces offer it or a VKS cluster's spec asks for
    it, naming them. A deleted default comes back at the next migrate (post_migrate)."""
    require(user, Privilege.NAMESPACES_MANAGE)
    current = VirtualMachineClass.objects.select_for_update().filter(pk=vm_class.pk).first()
    if current is None:
        return
    namespaces = sorted(current.namespaces.values_list("name", flat=True))
    if namespaces:
        raise VmClassInUseError(
            f"VM class {current.name} is in use by namespaces: {', '.join(namespaces)}. "
            "Remove it from them first."
        )
    clusters = sorted(
        f"{c.namespace.name}/{c.name}"
        for c in VksCluster.objects.select_related("namespace")
        if current.name in c.vm_class_names
    )
    if clusters:
        raise VmClassInUseError(
            f"VM class {current.name} is in use by VKS clusters: {', '.join(clusters)}. "
            "Change their node pools first."
        )
    current.delete()
    _log(f"VM class {current.name} deleted", "Deleted", user)


def _shape(c: VirtualMachineClass) -> str:
    def pct(value):
        return "none" if value is None else f"{value}%"

    return (
        f"{c.cpu_count} vCPUs, {c.memory_mib} MB memory, CPU reservation "
        f"{pct(c.cpu_reservation)}, memory reservation {pct(c.memory_reservation)}"
    )
