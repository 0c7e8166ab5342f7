"""vSphere Namespace pages: the namespace's own page (Summary, Permissions, Storage, Compute), the
Create Namespace dialog and the namespace's dialogs (permissions, storage, limits, VM Service,
Kubernetes release library, delete).

A dialog opens as a modal over the page (`inventory.dialogs`) and is a page of its own without
JavaScript, a plain link and form post: GET shows it to those allowed (403 for a weaker role, 404
for none), POST parses the form and calls one service, which checks the role again. Field errors
come back at their fields (and summed up at the top) with 400 and change nothing; success is a
redirect for a plain post and, for htmx, the namespace page in place of `#main` (address bar
updated, Recent Tasks nudged), which closes the dialog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import (
    HttpResponseClientRedirect,
    push_url,
    reswap,
    retarget,
    trigger_client_event,
)

from inventory import dialogs
from inventory.forms import empty_dropped, missing_errors
from inventory.permissions import DENIED, Privilege, has
from inventory.tasklog import SSO_DOMAIN
from inventory.views import partial
from vksportal.errors import DomainError
from workloads import selectors, services
from workloads.access import RANK, Role, namespace_role, self_service_for
from workloads.models import Namespace, NamespaceAccess
from workloads.selectors import navigator
from workloads.self_service_forms import SelfServiceNamespaceForm
from workloads.specs import SpecError
from workloads.views.common import detail_url, home_url, refuse

DETAIL_TEMPLATE = "workloads/namespace_detail.html"
DIALOG_TEMPLATE = "workloads/namespace_dialog.html"
NAMESPACE_TABS = (
    ("summary", "Summary"),
    ("permissions", "Permissions"),
    ("storage", "Storage"),
    ("compute", "Compute"),
)
REGIONS = ("main", "tab-body", "namespace-status", "cluster-grid")
SUMMARY_PERMISSIONS = 5  # entries the Permissions card lists before "and n more"

# Units the limit fields offer, as multiples of what the services take (MHz, MiB).
CPU_UNITS = {"MHz": 1, "GHz": 1000}
MEMORY_UNITS = {"MB": 1, "GB": 1024}
STORAGE_UNITS = {"MB": 1, "GB": 1024, "TB": 1024 * 1024}
LIMIT_MAX = 2**53  # far above any estate; keeps a typed number inside a 64-bit column
ROLE_CHOICES = [(Role.VIEW, "Can view"), (Role.EDIT, "Can edit"), (Role.OWNER, "Owner")]


def namespace_url(name: str, tab: str = "summary") -> str:
    if tab == "summary":
        return reverse("workloads:namespace-summary", kwargs={"name": name})
    return reverse("workloads:namespace-detail", kwargs={"name": name, "tab": tab})


def _from_tab(request) -> str:
    """The tab a dialog was opened from (`?from=`), where Cancel and success go back to."""
    tab = request.GET.get("from", "")
    return tab if tab in dict(NAMESPACE_TABS) else "summary"


# ---------------------------------------------------------------- Namespaces tabs


GRID_TEMPLATE = "workloads/_namespace_grid.html"


def namespaces_tab_context(request, *, supervisor=None) -> dict:
    """The Namespaces tab (of Workload Management, or of one Supervisor): the namespaces the
    user may see, filtered and paged in SQL, and NEW NAMESPACE for administrators."""
    q = request.GET.get("q", "").strip()
    page = selectors.namespace_page(
        request.user, supervisor=supervisor, q=q, page=request.GET.get("page")
    )
    new_url = reverse("workloads:namespace-create")
    if supervisor is not None:
        new_url += f"?supervisor={supervisor.supervisor_id}"
    can_manage = has(request.user, Privilege.NAMESPACES_MANAGE)
    return {
        "page": page,
        "q": q,
        "query_prefix": f"{urlencode({'q': q})}&" if q else "",
        "grid_unsettled": any(selectors.is_unsettled(ns) for ns in page),
        "can_manage": can_manage,
        # NEW NAMESPACE: administrators, and developers a namespace service allows.
        "can_create": can_manage or bool(self_service_for(request.user)),
        "can_view_inventory": has(request.user, Privilege.VIEW),
        "new_namespace_url": new_url,
    }


def namespaces_template(request, template: str, regions: tuple[str, ...]) -> str:
    """The page's template or region, or just the grid when the filter or pager asks for it."""
    if request.htmx and request.htmx.target == "namespace-grid":
        return GRID_TEMPLATE
    return partial(request, template, regions)


# ---------------------------------------------------------------- the namespace page


def _meter(label: str, used: int, limit: int | None, unit: str) -> dict:
    percent = min(100, round(used * 100 / limit)) if limit else 0
    return {"label": label, "used": used, "limit": limit, "unit": unit, "percent": percent}


def _cluster_grid_context(ns: Namespace) -> dict:
    """The Compute tab's VKS clusters, `kubectl get cluster` style; the grid polls while one of
    them is still changing."""
    rows = selectors.cluster_rows(ns)
    return {
        "namespace": ns,
        "clusters": rows,
        "clusters_unsettled": any(r.unsettled for r in rows),
    }


def _cli_tools_url(request, ns: Namespace) -> str:
    """The Kubernetes CLI Tools page for this namespace. A real Supervisor serves it at its own
    address; the simulated one serves nothing, so the link is to this application's page."""
    query = urlencode({"namespace": ns.name})
    return request.build_absolute_uri(f"{reverse('wcp:cli-tools')}?{query}")


def _detail_context(request, ns: Namespace, tab: str, *, status_only: bool = False) -> dict:
    user = request.user
    role = namespace_role(user, ns)
    sup = ns.supervisor
    context = {
        "namespace": ns,
        "tab": tab,
        "unsettled": selectors.is_unsettled(ns),
        "can_view_inventory": has(user, Privilege.VIEW),
        "cli_url": _cli_tools_url(request, ns) if sup.api_endpoint else "",
        "summary_url": namespace_url(ns.name),
    }
    if status_only:
        return context
    context.update(
        tabs=[(slug, label, namespace_url(ns.name, slug)) for slug, label in NAMESPACE_TABS],
        role=role,
        role_label=Role(role).label if role else "",
        can_own=role == Role.OWNER and not ns.is_deleting,
        can_configure=has(user, Privilege.NAMESPACES_CONFIGURE) and not ns.is_deleting,
        # The navigator (for a vCenter role) opens at the namespace's resource pool.
        reveal=navigator.namespace_node(ns) if context["can_view_inventory"] else "",
    )
    if tab == "summary":
        usage = selectors.namespace_usage(ns)
        access = selectors.namespace_access_rows(ns)
        context.update(
            access=access[:SUMMARY_PERMISSIONS],
            access_count=len(access),
            access_more=max(0, len(access) - SUMMARY_PERMISSIONS),
            storage_rows=selectors.namespace_storage_rows(ns),
            counts=selectors.namespace_counts(ns),
            releases=selectors.namespace_releases(ns),
            meters=[
                _meter("CPU", usage.cpu_mhz, ns.cpu_limit_mhz, "mhz"),
                _meter("Memory", usage.memory_mib, ns.memory_limit_mib, "mib"),
                _meter("Storage", usage.storage_mib, ns.storage_limit_mib, "mib"),
            ],
        )
    elif tab == "permissions":
        context["access"] = selectors.namespace_access_rows(ns)
    elif tab == "storage":
        rows = selectors.namespace_storage_rows(ns)
        context["storage_rows"] = rows
        context["storage_classes"] = {
            r.spec.policy_id: services.storage_class_name(r.spec.policy.name) for r in rows
        }
        context["storage_limit"] = ns.storage_limit_mib
    elif tab == "compute":
        context.update(_cluster_grid_context(ns))
        context["can_edit_clusters"] = (
            role is not None and RANK[role] >= RANK[Role.EDIT] and not ns.is_deleting
        )
        context["vm_classes"] = selectors.namespace_vm_classes(ns)
        context["libraries"] = selectors.namespace_libraries(ns)
    return context


@require_GET
@login_required
def namespace_detail(request, name: str, tab: str = "summary"):
    if tab not in dict(NAMESPACE_TABS):
        raise Http404(f"A namespace has no {tab!r} tab")
    target = request.htmx.target if request.htmx else None
    polling = target in ("namespace-status", "cluster-grid")
    try:
        ns = selectors.namespace_get(request.user, name)
    except Http404:
        if polling:  # removed (or access withdrawn) while the page was open: back to the list
            return HttpResponseClientRedirect(home_url())
        raise
    if target == "cluster-grid":
        context = _cluster_grid_context(ns)
    else:
        context = _detail_context(request, ns, tab, status_only=polling)
    return render(request, partial(request, DETAIL_TEMPLATE, REGIONS), context)


def _page_after(request, name: str, tab: str, message: str):
    """After a dialog's change: the namespace page at `tab`, or the Namespaces list when the
    namespace is already gone (a fast removal)."""
    try:
        ns = selectors.namespace_get(request.user, name)
    except Http404:
        ns = None
    url = namespace_url(name, tab) if ns is not None else home_url()
    if not request.htmx:
        if message:
            messages.info(request, message)
        return redirect(url)
    if ns is None:
        return HttpResponseClientRedirect(url)
    response = render(request, f"{DETAIL_TEMPLATE}#main", _detail_context(request, ns, tab))
    # In place of the page under the dialog, which closes. The Recent Tasks pane fetches at once;
    # seeing a new task version it fires `tasks-changed`, which the live regions follow.
    response = reswap(retarget(response, "#main"), "outerHTML")
    return trigger_client_event(push_url(response, url), "task-started")


# ---------------------------------------------------------------- limits in units


def _in_base(posted, field: str, unit_field: str, units: dict[str, int], errors: dict) -> str:
    """A limit as typed with its unit, in the service's unit (MHz or MiB) as text; blank stays
    blank (no limit). Bad input is a message at the field, never an exception."""
    raw = (posted.get(field) or "").strip()
    if not raw:
        return ""
    factor = units.get(posted.get(unit_field, ""))
    if factor is None:
        errors[field] = f"Select a unit: {', '.join(units)}."
        return ""
    try:
        value = Decimal(raw) * factor
    except InvalidOperation:
        errors[field] = "Enter a number, or leave it empty for no limit."
        return ""
    if not value.is_finite() or value > LIMIT_MAX:
        errors[field] = "Enter a smaller number, or leave it empty for no limit."
        return ""
    return str(int(value.to_integral_value(rounding=ROUND_HALF_UP)))


def _in_units(value: int | None, units: dict[str, int]) -> tuple[str, str]:
    """A stored limit as the form shows it: in the largest unit that divides it."""
    if value is None:
        return "", next(iter(units))
    for unit, factor in reversed(units.items()):
        if value % factor == 0:
            return str(value // factor), unit
    return str(value), next(iter(units))


# ---------------------------------------------------------------- dialogs


OWNER, CONFIGURE = "owner", "configure"


@dataclass(frozen=True)
class Dialog:
    title: str
    submit: str
    need: str  # OWNER (owners and administrators) or CONFIGURE (administrators)
    fields: str  # the form's fields fragment
    lands: str | None = None  # the tab success goes to; None is the tab it came from
    danger: bool = False


DIALOGS = {
    "permission-add": Dialog(
        "Add Permissions", "OK", OWNER, "workloads/_namespace_permission_form.html"
    ),
    "permission-edit": Dialog(
        "Edit Permission", "OK", OWNER, "workloads/_namespace_permission_form.html"
    ),
    "permission-remove": Dialog(
        "Remove Permission", "Remove", OWNER, "workloads/_namespace_confirm.html", danger=True
    ),
    "storage": Dialog("Edit Storage", "OK", CONFIGURE, "workloads/_namespace_storage_form.html"),
    "limits": Dialog("Edit Limits", "OK", CONFIGURE, "workloads/_namespace_limits_form.html"),
    "vm-classes": Dialog(
        "Manage VM Classes", "OK", CONFIGURE, "workloads/_namespace_vm_classes_form.html"
    ),
    "libraries": Dialog(
        "Manage Content Libraries", "OK", CONFIGURE, "workloads/_namespace_libraries_form.html"
    ),
    "kubernetes-library": Dialog(
        "Edit Kubernetes Service Content Library",
        "OK",
        CONFIGURE,
        "workloads/_namespace_kubernetes_library_form.html",
    ),
    "delete": Dialog(
        "Delete Namespace",
        "Delete",
        OWNER,
        "workloads/_namespace_confirm.html",
        lands="summary",
        danger=True,
    ),
}


def _may(user, ns: Namespace, need: str) -> None:
    """Who may open or post a dialog; on POST the service checks again."""
    if need == OWNER and namespace_role(user, ns) != Role.OWNER:
        raise PermissionDenied(DENIED)
    if need == CONFIGURE and not has(user, Privilege.NAMESPACES_CONFIGURE):
        raise PermissionDenied(DENIED)
    if ns.is_deleting:
        raise services.NamespaceStateError(f"Namespace {ns.name} is being deleted.")


def _entry(ns: Namespace, entry_id: int | None) -> NamespaceAccess | None:
    if entry_id is None:
        return None
    entry = next((e for e in selectors.namespace_access_rows(ns) if e.pk == entry_id), None)
    if entry is None:
        raise Http404("That permission no longer exists.")
    return entry


# Each dialog's fields: the values and choices to show, from the namespace or as posted.


def _permission_fields(ns, entry, posted) -> dict:
    if posted is not None:
        values = {k: posted.get(k, "") for k in ("subject_type", "subject", "role")}
    elif entry is not None:
        values = {"subject_type": entry.subject_type, "subject": entry.subject, "role": entry.role}
    else:
        values = {"subject_type": NamespaceAccess.SubjectType.USER, "subject": "", "role": "VIEW"}
    return {
        "values": values,
        "domain": SSO_DOMAIN,
        "roles": ROLE_CHOICES,
        "subject_types": NamespaceAccess.SubjectType.choices,
        "subjects": selectors.namespace_subject_choices() if entry is None else [],
    }


def _confirm_fields(ns, entry, posted) -> dict:
    return {}


def _storage_fields(ns, entry, posted) -> dict:
    current = {str(r.spec.policy.policy_id): r for r in selectors.namespace_storage_rows(ns)}
    used = selectors.namespace_storage_used(ns)
    rows = []
    for policy in selectors.namespace_storage_choices(ns):
        pid = str(policy.policy_id)
        if posted is not None:
            checked = pid in posted.getlist("policy")
            limit, unit = posted.get(f"limit.{pid}", ""), posted.get(f"unit.{pid}", "GB")
        else:
            checked = pid in current
            limit, unit = _in_units(current[pid].spec.limit_mib if checked else None, STORAGE_UNITS)
            unit = unit if limit else "GB"
        rows.append(
            {
                "policy": policy,
                "id": pid,
                "checked": checked,
                "limit": limit,
                "unit": unit,
                "used": used.get(policy.pk, 0),
            }
        )
    return {"rows": rows, "units": list(STORAGE_UNITS)}


LIMIT_FIELDS = (  # (field, label, unit field, units)
    ("cpu_limit_mhz", "CPU", "cpu_unit", CPU_UNITS),
    ("memory_limit_mib", "Memory", "memory_unit", MEMORY_UNITS),
    ("storage_limit_mib", "Storage", "storage_unit", STORAGE_UNITS),
)


def _limits_fields(ns, entry, posted) -> dict:
    usage = selectors.namespace_usage(ns)
    used = {
        "cpu_limit_mhz": usage.cpu_mhz,
        "memory_limit_mib": usage.memory_mib,
        "storage_limit_mib": usage.storage_mib,
    }
    rows = []
    for field, label, unit_field, units in LIMIT_FIELDS:
        if posted is not None:
            value, unit = posted.get(field, ""), posted.get(unit_field, "")
        else:
            value, unit = _in_units(getattr(ns, field), units)
            if not value and len(units) > 1:
                unit = list(units)[1]  # GHz, GB: what people type limits in
        rows.append(
            {
                "name": field,
                "label": label,
                "unit_name": unit_field,
                "units": list(units),
                "value": value,
                "unit": unit,
                "used": used[field],
                "kind": "mhz" if field == "cpu_limit_mhz" else "mib",
            }
        )
    return {"rows": rows}


def _vm_classes_fields(ns, entry, posted) -> dict:
    if posted is not None:
        chosen = set(posted.getlist("vm_class"))
    else:
        chosen = {c.name for c in selectors.namespace_vm_classes(ns)}
    return {"classes": selectors.namespace_vm_class_choices(), "chosen": chosen}


def _libraries_fields(ns, entry, posted) -> dict:
    if posted is not None:
        chosen = set(posted.getlist("library"))
    else:
        chosen = {str(lib.library_id) for lib in selectors.namespace_libraries(ns)}
    return {"libraries": selectors.content_libraries(), "chosen": chosen}


def _kubernetes_library_fields(ns, entry, posted) -> dict:
    if posted is not None:
        chosen = posted.get("library", "")
    else:
        chosen = str(ns.kubernetes_library.library_id) if ns.kubernetes_library else ""
    return {"libraries": selectors.content_libraries(), "chosen": chosen}


FIELDS: dict[str, Callable] = {
    "permission-add": _permission_fields,
    "permission-edit": _permission_fields,
    "permission-remove": _confirm_fields,
    "storage": _storage_fields,
    "limits": _limits_fields,
    "vm-classes": _vm_classes_fields,
    "libraries": _libraries_fields,
    "kubernetes-library": _kubernetes_library_fields,
    "delete": _confirm_fields,
}


# Each dialog's POST: check that the form is whole, parse it, call one service. Returns the
# namespace as the service left it (None when the change always happens), for "changed or not".


def _whole(post, names, *, at: dict[str, str] | None = None) -> None:
    """Refuse a post that lacks an input its form always sends (inventory.forms), before
    anything is parsed: a missing limit is not "no limit"."""
    errors = missing_errors(post, names, at=at)
    if errors:
        raise SpecError(errors)


def _apply_permission(request, ns, entry):
    post = request.POST
    if entry is not None:  # Edit role: the same user or group
        _whole(post, ("role",))
        subject_type, subject, domain = entry.subject_type, entry.subject, entry.domain
    else:
        # Nothing chosen in the Type radios sends no subject_type: the service says "select".
        _whole(post, ("subject", "domain", "role"), at={"domain": "subject"})
        subject_type, subject = post.get("subject_type", ""), post["subject"]
        domain = post["domain"]
    services.namespace_access_set(
        namespace=ns,
        subject_type=subject_type,
        subject=subject,
        domain=domain,
        role=post.get("role", ""),
        user=request.user,
    )


def _apply_permission_remove(request, ns, entry):
    services.namespace_access_remove(namespace=ns, entry_id=entry.pk, user=request.user)


def _apply_storage(request, ns, entry):
    post, errors, limits = request.POST, {}, {}
    chosen = empty_dropped(post.getlist("policy"))
    inputs = [name for pid in chosen for name in (f"limit.{pid}", f"unit.{pid}")]
    # At the grid's own message: a row may be missing because its policy is not offered.
    _whole(post, ("policy", *inputs), at=dict.fromkeys(("policy", *inputs), "policies"))
    for pid in chosen:
        limits[pid] = _in_base(post, f"limit.{pid}", f"unit.{pid}", STORAGE_UNITS, errors)
    if errors:
        raise SpecError(errors)
    return services.namespace_storage_set(namespace=ns, limits=limits, user=request.user)


def _apply_limits(request, ns, entry):
    # Every value and unit: a limit left out of the post is refused, never read as "no limit".
    _whole(
        request.POST,
        [name for field, _label, unit, _units in LIMIT_FIELDS for name in (field, unit)],
        at={unit: field for field, _label, unit, _units in LIMIT_FIELDS},
    )
    errors: dict[str, str] = {}
    values = {
        field: _in_base(request.POST, field, unit_field, units, errors)
        for field, _label, unit_field, units in LIMIT_FIELDS
    }
    if errors:
        raise SpecError(errors)
    return services.namespace_limits_set(namespace=ns, user=request.user, **values)


def _apply_vm_classes(request, ns, entry):
    _whole(request.POST, ("vm_class",))
    names = empty_dropped(request.POST.getlist("vm_class"))
    return services.namespace_vm_classes_set(namespace=ns, names=names, user=request.user)


def _apply_libraries(request, ns, entry):
    _whole(request.POST, ("library",))
    ids = empty_dropped(request.POST.getlist("library"))
    return services.namespace_libraries_set(namespace=ns, library_ids=ids, user=request.user)


def _apply_kubernetes_library(request, ns, entry):
    _whole(request.POST, ("library",))
    library_id = request.POST["library"]
    return services.namespace_kubernetes_library_set(
        namespace=ns, library_id=library_id, user=request.user
    )


def _apply_delete(request, ns, entry):
    services.namespace_delete(namespace=ns, user=request.user)


APPLY: dict[str, Callable] = {
    "permission-add": _apply_permission,
    "permission-edit": _apply_permission,
    "permission-remove": _apply_permission_remove,
    "storage": _apply_storage,
    "limits": _apply_limits,
    "vm-classes": _apply_vm_classes,
    "libraries": _apply_libraries,
    "kubernetes-library": _apply_kubernetes_library,
    "delete": _apply_delete,
}

# Where a field error shows when the service names a key the form has no field for.
ERROR_FIELD = {"content_libraries": "library", "vm_classes": "vm_class"}


def _render_dialog(request, ns, kind, *, entry, back, posted=None, errors=None, status=200):
    dialog = DIALOGS[kind]
    errors = {ERROR_FIELD.get(k, k): v for k, v in (errors or {}).items()}
    context = {
        "namespace": ns,
        "kind": kind,
        "dialog": dialog,
        "entry": entry,
        "action": request.get_full_path(),
        "back": back,
        "errors": errors,
        "dialog_alerts": dialogs.summary(errors),
        "focus": "cancel" if dialog.danger else "",
        **FIELDS[kind](ns, entry, posted),
    }
    return render(
        request, dialogs.dialog_template(request, DIALOG_TEMPLATE), context, status=status
    )


def _dialog(request, name: str, kind: str, entry_id: int | None = None):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    dialog = DIALOGS[kind]
    ns = selectors.namespace_get(request.user, name)  # 404 without a role
    came_from = _from_tab(request)
    back = namespace_url(ns.name, came_from)
    if request.method == "GET":
        try:
            _may(request.user, ns, dialog.need)
        except (PermissionDenied, services.NamespaceStateError) as error:
            return refuse(request, error, back)
        entry = _entry(ns, entry_id)
        return _render_dialog(request, ns, kind, entry=entry, back=back)
    entry = _entry(ns, entry_id)
    generation = ns.generation
    try:
        _may(request.user, ns, dialog.need)  # a refusal before any word about the form
        after = APPLY[kind](request, ns, entry)
    except (
        PermissionDenied,
        services.NamespaceStateError,
        services.SupervisorStateError,
    ) as error:
        return refuse(request, error, back)
    except SpecError as error:
        return _render_dialog(
            request,
            ns,
            kind,
            entry=entry,
            back=back,
            posted=request.POST,
            errors=error.errors,
            status=400,
        )
    if kind == "delete":
        message = "Delete namespace task queued."
    elif after is None or after.generation != generation:
        message = "Update namespace task queued."
    else:
        message = "No settings were changed."
    return _page_after(request, ns.name, dialog.lands or came_from, message)


def _dialog_view(kind: str) -> Callable:
    """The view of one dialog kind; urls.py names it (`entry_id` for a permission's own)."""

    @login_required
    def view(request, name: str, entry_id: int | None = None):
        return _dialog(request, name, kind, entry_id)

    return view


permission_add = _dialog_view("permission-add")
permission_edit = _dialog_view("permission-edit")
permission_remove = _dialog_view("permission-remove")
storage_edit = _dialog_view("storage")
limits_edit = _dialog_view("limits")
vm_classes_edit = _dialog_view("vm-classes")
libraries_edit = _dialog_view("libraries")
kubernetes_library_edit = _dialog_view("kubernetes-library")
namespace_delete = _dialog_view("delete")


# ---------------------------------------------------------------- Create Namespace


CREATE = Dialog("Create Namespace", "Create", "manage", "workloads/_namespace_create_form.html")


def _supervisor(choices, supervisor_id: str):
    """The Supervisor among `choices` with that id as a form sends it, or None."""
    return next((s for s in choices if str(s.supervisor_id) == supervisor_id), None)


def _create_page(request, *, values: dict, errors: dict | None = None, status: int = 200):
    choices = selectors.namespace_supervisor_choices()
    origin = _supervisor(choices, request.GET.get("supervisor", ""))
    context = {
        "namespace": None,
        "kind": "create",
        "dialog": CREATE,
        "action": request.get_full_path(),
        "back": detail_url(origin, "namespaces") if origin else home_url(),
        "errors": errors or {},
        "dialog_alerts": dialogs.summary(errors),
        "values": values,
        "supervisors": choices,
    }
    return render(
        request, dialogs.dialog_template(request, DIALOG_TEMPLATE), context, status=status
    )


@login_required
def namespace_create(request):
    """GET shows the Create Namespace dialog (a Supervisor preselected with `?supervisor=`);
    POST creates the namespace and goes to its page. A developer a namespace service allows
    gets New Namespace, made from the Supervisor's template."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if not has(request.user, Privilege.NAMESPACES_MANAGE):
        templates = self_service_for(request.user)
        if templates:
            return _self_service_create(request, templates)
        return refuse(request, PermissionDenied(DENIED), home_url())
    if request.method == "GET":
        choices = selectors.namespace_supervisor_choices()
        wanted = request.GET.get("supervisor", "")
        if _supervisor(choices, wanted) is None and len(choices) == 1:
            wanted = str(choices[0].supervisor_id)  # the only one: preselected, as vSphere does
        return _create_page(request, values={"supervisor": wanted, "name": "", "description": ""})
    names = ("supervisor", "name", "description")
    values = {k: request.POST.get(k, "").strip() for k in names}
    sup = _supervisor(selectors.namespace_supervisor_choices(), values["supervisor"])
    try:
        _whole(request.POST, names)
        if sup is None:
            raise SpecError({"supervisor": "Select a running Supervisor."})
        ns = services.namespace_create(
            supervisor=sup,
            name=values["name"],
            description=values["description"],
            user=request.user,
        )
    except (PermissionDenied, services.SupervisorStateError) as error:
        return refuse(request, error, home_url())
    except SpecError as error:
        return _create_page(request, values=values, errors=error.errors, status=400)
    return _page_after(request, ns.name, "summary", "Create namespace task queued.")


# ---------------------------------------------------------------- New Namespace (self-service)

SELF_SERVICE = Dialog(
    "New Namespace", "Create", OWNER, "workloads/_namespace_self_service_form.html"
)


def _self_service_create(request, templates):
    """A developer's New Namespace: the form (`_namespace_self_service_form.html`, which the
    developer portal embeds) posts a name and, when several allow them, a Supervisor."""
    form = SelfServiceNamespaceForm(
        request.POST if request.method == "POST" else None, templates=templates
    )
    if request.method == "POST" and form.is_valid():
        try:
            ns = services.namespace_self_service_create(
                name=form.cleaned_data["name"], supervisor=form.chosen, user=request.user
            )
        except PermissionDenied as error:
            return refuse(request, error, home_url())
        except DomainError as error:
            form.add_service_errors(error)
        else:
            return _page_after(request, ns.name, "summary", "Create namespace task queued.")
    context = {
        "namespace": None,
        "kind": "self-service",
        "dialog": SELF_SERVICE,
        "action": reverse("workloads:namespace-create"),
        "back": home_url(),
        "form": form,
        # The form shows its own non-field errors (the developer portal embeds it).
        "dialog_alerts": dialogs.summary(
            {k: v for k, v in form.errors.items() if k != NON_FIELD_ERRORS}
        ),
    }
    status = 400 if request.method == "POST" else 200
    return render(
        request, dialogs.dialog_template(request, DIALOG_TEMPLATE), context, status=status
    )
