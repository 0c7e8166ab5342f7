"""Workload Management › Services: the VM Service's VM classes (list, create, edit, delete) and
the Kubernetes Service's releases.

Everyone who may see the inventory sees both pages; only administrators (Namespaces.Manage) get
the buttons, and the services refuse everyone else. Dialogs open as modals over the list
(`inventory.dialogs`) and are pages of their own without JavaScript; success shows the list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import push_url, reswap, retarget

from inventory import dialogs
from inventory.forms import missing_errors
from inventory.permissions import DENIED, Privilege, has
from inventory.views import inventory_view, partial
from workloads import selectors, services
from workloads.models import VirtualMachineClass
from workloads.specs import SpecError
from workloads.views.common import home_url, refuse

LIST_TEMPLATE = "workloads/vm_class_list.html"
DIALOG_TEMPLATE = "workloads/vm_class_dialog.html"
RELEASES_TEMPLATE = "workloads/kubernetes_releases.html"
UNITS = ("GB", "MB")
FIELDS = ("cpu_count", "cpu_reservation", "memory", "memory_unit", "memory_reservation")


def list_url() -> str:
    return reverse("workloads:vm-class-list")


def _context(request, **dialog) -> dict:
    context = {"services_url": home_url("services"), "units": UNITS, **dialog}
    if not dialog:  # the list; a dialog is shown alone (a modal, or a page of its own)
        context["classes"] = selectors.vm_class_rows()
        context["can_manage"] = has(request.user, Privilege.NAMESPACES_MANAGE)
    return context


def _form_values(vm_class: VirtualMachineClass | None) -> dict[str, str]:
    """What the dialog starts with: the class's values, memory in GB when it is whole GB."""
    if vm_class is None:
        return {"name": "", "cpu_count": "2", "memory": "4", "memory_unit": "GB"}
    memory, unit = vm_class.memory_mib, "MB"
    if memory % 1024 == 0:
        memory, unit = memory // 1024, "GB"

    def text(value) -> str:
        return "" if value is None else str(value)

    return {
        "name": vm_class.name,
        "cpu_count": str(vm_class.cpu_count),
        "cpu_reservation": text(vm_class.cpu_reservation),
        "memory": str(memory),
        "memory_unit": unit,
        "memory_reservation": text(vm_class.memory_reservation),
        "description": vm_class.description,
    }


def _posted(post) -> dict[str, str]:
    return {name: post.get(name, "").strip() for name in ("name", "description", *FIELDS)}


def _memory_mib(value: str, unit: str):
    """The memory field in MiB; what cannot be converted goes to the service as typed, for it
    to say what is wrong."""
    if unit != "GB":
        return value
    try:
        mib = Decimal(value) * 1024
    except InvalidOperation:
        return value
    return int(mib) if mib == mib.to_integral_value() else value


def _arguments(values: dict[str, str]) -> dict:
    return {
        "cpu_count": values["cpu_count"],
        "memory_mib": _memory_mib(values["memory"], values["memory_unit"]),
        "cpu_reservation": values["cpu_reservation"],
        "memory_reservation": values["memory_reservation"],
        "description": values["description"],
    }


def _errors(errors: dict[str, str]) -> dict[str, str]:
    """Service fields to form fields: memory_mib is typed into `memory`."""
    return {("memory" if k == "memory_mib" else k): v for k, v in errors.items()}


@dataclass(frozen=True)
class Dialog:
    title: str
    submit: str
    fields: str
    danger: bool = False


DIALOGS = {
    "create": Dialog("Create VM Class", "Create", "workloads/_vm_class_form.html"),
    "edit": Dialog("Edit VM Class", "Save", "workloads/_vm_class_form.html"),
    "delete": Dialog("Delete VM Class", "Delete", "workloads/_vm_class_confirm.html", True),
}
ACTIONS = {
    "create": "workloads:vm-class-create",
    "edit": "workloads:vm-class-edit",
    "delete": "workloads:vm-class-delete",
}


def _render(request, context: dict, status: int = 200):
    """The list, or one of its dialogs (`kind` in the context)."""
    kind = context.get("kind")
    if kind is None:
        return render(request, partial(request, LIST_TEMPLATE, ("main",)), context)
    vm_class = context.get("vm_class")
    errors = context.get("errors") or {}
    context |= {
        "dialog": DIALOGS[kind],
        "action": reverse(ACTIONS[kind], args=[vm_class.name] if vm_class else []),
        "back": list_url(),
        "dialog_alerts": dialogs.summary(errors),
        "focus": "cancel" if kind == "delete" else "",
        "submit_disabled": kind == "delete" and bool(context.get("namespaces")),
    }
    if kind == "edit":
        context["dialog"] = replace(DIALOGS[kind], title=f"Edit VM Class {vm_class.name}")
    template = dialogs.dialog_template(request, DIALOG_TEMPLATE)
    return render(request, template, context, status=status)


def _done(request, message: str):
    """Back to the list: htmx swaps `#main` (whatever the form targeted) and updates the
    address bar; a plain form post is redirected."""
    if request.htmx:
        response = render(request, f"{LIST_TEMPLATE}#main", _context(request))
        return push_url(reswap(retarget(response, "#main"), "outerHTML"), list_url())
    messages.info(request, message)
    return redirect(list_url())


def _dialog(view):
    """A dialog's view: GET and POST only, the class named in the URL (404) and then
    administrators only (403); the view gets the class, None for CREATE."""

    @inventory_view
    @wraps(view)
    def wrapper(request, name: str | None = None):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        vm_class = None if name is None else selectors.vm_class_get(name)
        if not has(request.user, Privilege.NAMESPACES_MANAGE):
            return refuse(request, PermissionDenied(DENIED), list_url())
        return view(request, vm_class)

    return wrapper


def _save(request, vm_class: VirtualMachineClass | None):
    """GET opens the CREATE or EDIT dialog; POST creates the class or saves its hardware,
    reservations and description (field errors in the dialog)."""
    dialog = "create" if vm_class is None else "edit"
    if request.method == "GET":
        values = _form_values(vm_class)
        return _render(request, _context(request, kind=dialog, vm_class=vm_class, values=values))
    values = _posted(request.POST)
    # Every input the dialog sends (EDIT shows the name but does not send it): one left out is
    # refused at its field, never saved as "no reservation" or an empty description.
    names = ("description", *FIELDS) if vm_class else ("name", "description", *FIELDS)
    try:
        missing = missing_errors(request.POST, names, at={"memory_unit": "memory"})
        if missing:
            raise SpecError(missing)
        if vm_class is None:
            vm_class = services.vm_class_create(
                name=values["name"], **_arguments(values), user=request.user
            )
            message = f"VM class {vm_class.name} created."
        else:
            values["name"] = vm_class.name
            services.vm_class_update(vm_class=vm_class, **_arguments(values), user=request.user)
            message = f"VM class {vm_class.name} updated."
    except PermissionDenied as error:
        return refuse(request, error, list_url())
    except SpecError as error:
        errors = _errors(error.errors)
        context = _context(request, kind=dialog, vm_class=vm_class, values=values, errors=errors)
        return _render(request, context, status=400)
    return _done(request, message)


# ---------------------------------------------------------------- VM classes


@require_GET
@inventory_view
def vm_class_list(request):
    return _render(request, _context(request))


@_dialog
def vm_class_create(request, vm_class: None):
    return _save(request, vm_class)


@_dialog
def vm_class_edit(request, vm_class: VirtualMachineClass):
    return _save(request, vm_class)


@_dialog
def vm_class_delete(request, vm_class: VirtualMachineClass):
    """GET asks for confirmation; POST deletes, or is refused (409) while the class is in use."""
    if request.method == "GET":
        namespaces = selectors.vm_class_namespaces(vm_class)
        context = _context(request, kind="delete", vm_class=vm_class, namespaces=namespaces)
        return _render(request, context)
    try:
        services.vm_class_delete(vm_class=vm_class, user=request.user)
    except (PermissionDenied, services.VmClassInUseError) as error:
        return refuse(request, error, list_url())
    return _done(request, f"VM class {vm_class.name} deleted.")


# ---------------------------------------------------------------- Kubernetes releases


@require_GET
@inventory_view
def kubernetes_releases(request):
    """`kubectl get tkr` for a content library (`?library=<id>`, default the Supervisor's)."""
    page = selectors.kubernetes_release_page(request.GET.get("library"))
    context = {"page": page, "services_url": home_url("services")}
    return render(request, partial(request, RELEASES_TEMPLATE, ("main",)), context)
