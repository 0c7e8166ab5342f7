"""Workload Management pages: the Workload Management page, the enable wizard and the
Supervisor's own page (Summary, Monitor, Configure, Namespaces, Disable).

Views parse the request, call selectors and one service, and render the page or, for htmx, the
region it asked for. The wizard keeps what has been typed in the session, never in the
database: nothing exists until FINISH calls `supervisor_enable`."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
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
from inventory import selectors as inventory_selectors
from inventory.forms import missing_errors
from inventory.permissions import DENIED, Privilege, has, require
from inventory.views import inventory_view, partial
from vksportal.errors import DomainError
from workloads import forms, selectors, services
from workloads.access import has_any_namespace, may_self_serve
from workloads.models import Supervisor
from workloads.selectors import api as api_selectors
from workloads.selectors import navigator
from workloads.self_service_forms import TemplateForm
from workloads.specs import (
    LOAD_BALANCERS,
    NETWORK_PROVIDERS,
    SECTIONS,
    SIZES,
    SpecError,
    section_raw,
)
from workloads.views import namespaces
from workloads.views.common import HOME_TABS, detail_url, home_url, refuse

HOME_TEMPLATE = "workloads/workload_management.html"
WIZARD_TEMPLATE = "workloads/supervisor_enable.html"
DETAIL_TEMPLATE = "workloads/supervisor_detail.html"
CONFIRM_TEMPLATE = "workloads/supervisor_confirm.html"
SERVICE_TEMPLATE = "workloads/namespace_service_dialog.html"
# The Namespace Service's dialog, by whether the service is active (edit) or not (activate).
SERVICE_DIALOGS = {
    True: namespaces.Dialog(
        "Edit Namespace Template", "Save", "", "workloads/_namespace_service_form.html"
    ),
    False: namespaces.Dialog(
        "Activate Namespace Service", "Activate", "", "workloads/_namespace_service_form.html"
    ),
}
# A Supervisor's confirmations, in the vSphere Client's words.
CONFIRMS = {
    "disable": namespaces.Dialog(
        "Disable Supervisor", "Disable", "", "workloads/_supervisor_confirm.html", danger=True
    ),
    "deactivate": namespaces.Dialog(
        "Deactivate Namespace Service",
        "Deactivate",
        "",
        "workloads/_supervisor_confirm.html",
        danger=True,
    ),
}
WIZARD_KEY = "supervisor_wizard"  # the session is the user's: one wizard per login

SUPERVISOR_TABS = (
    ("summary", "Summary"),
    ("monitor", "Monitor"),
    ("configure", "Configure"),
    ("namespaces", "Namespaces"),
)


# ---------------------------------------------------------------- Workload Management page


@require_GET
@login_required
def home(request, tab: str = "namespaces"):
    if tab not in dict(HOME_TABS):
        raise Http404(f"Workload Management has no {tab!r} tab")
    # Developers holding only namespace permissions see the Namespaces tab (their namespaces);
    # the other tabs show the vCenter's Supervisors and need System.View.
    can_view = has(request.user, Privilege.VIEW)
    # So do developers a namespace service allows, to create their first namespace.
    if not can_view and (tab != "namespaces" or not _developer(request.user)):
        raise PermissionDenied
    namespaces_tab = tab == "namespaces"
    page = selectors.supervisor_page(None if namespaces_tab else request.GET.get("page"))
    has_supervisor = not can_view or page.paginator.count > 0
    tabs = HOME_TABS if can_view else HOME_TABS[:1]
    context = {
        "tabs": [(slug, label, home_url(slug)) for slug, label in tabs],
        "tab": tab,
        "page": page,
        "has_supervisor": has_supervisor,
        "can_manage": has(request.user, Privilege.NAMESPACES_MANAGE),
        "query_prefix": "",
    }
    if namespaces_tab and has_supervisor:
        context.update(namespaces.namespaces_tab_context(request))
        template = namespaces.namespaces_template(request, HOME_TEMPLATE, ("main", "tab-body"))
        return render(request, template, context)
    if namespaces_tab:
        context["compatibility"] = selectors.clusters_compatibility()
    if tab == "supervisors":
        # The grid refreshes with the tasks while one of its Supervisors is still changing.
        context["unsettled"] = any(selectors.is_unsettled(s) for s in page)
    if tab == "services":
        context["services"] = selectors.services_summary()
    return render(request, partial(request, HOME_TEMPLATE, ("main", "tab-body")), context)


def _developer(user) -> bool:
    return has_any_namespace(user) or may_self_serve(user)


# ---------------------------------------------------------------- enable wizard


def _wizard_state(request) -> dict:
    state = request.session.get(WIZARD_KEY)
    if not isinstance(state, dict) or "raw" not in state:
        state = {"step": 0, "reached": 0, "raw": {}}
    return state


def _wizard_save(request, state: dict) -> None:
    request.session[WIZARD_KEY] = state
    request.session.modified = True


def _step_number(raw: str | None, state: dict) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return state["step"]
    return min(max(number, 0), state["reached"], len(forms.STEPS) - 1)


def _value(raw: dict, section: str, name: str, defaults: dict | None = None) -> str:
    stored = raw.get(section, {})
    if name in stored:
        return stored[name]
    return (defaults or {}).get(name) or forms.DEFAULTS.get(section, {}).get(name, "")


def _estate_defaults(section: str) -> dict[str, str]:
    """Choices the estate makes obvious: the only subscribed content library."""
    if section == "size":
        libraries = [lib for lib in selectors.content_libraries() if lib.type == "SUBSCRIBED"]
        if len(libraries) == 1:
            return {"content_library": str(libraries[0].library_id)}
    return {}


def _posted(post, section: str, before: dict) -> dict:
    values = {}
    for field in forms.step_fields(section):
        value = post.get(field.name, "")
        if field.kind == "password" and not value:
            value = before.get(field.name, "")  # kept from an earlier NEXT; never echoed back
        values[field.name] = value.strip() if isinstance(value, str) else value
    return values


def _clean_step(section: str, raw: dict) -> None:
    """The step's own cleaner, with what it needs from earlier steps (cluster, provider)."""
    data = raw.get(section, {})
    if section == "load_balancer":
        provider = raw.get("network_stack", {}).get("load_balancer") or "AVI"
        SECTIONS[section](data, provider=provider)
    elif section in ("storage", "management_network", "workload_network"):
        cluster = selectors.cluster_named(raw.get("placement", {}).get("cluster", ""))
        if cluster is None:
            raise SpecError({"placement.cluster": "Select a compatible vSphere cluster."})
        SECTIONS[section](data, cluster)
    else:
        SECTIONS[section](data)


def _first_step_with_error(errors: dict[str, str]) -> int:
    last = len(forms.STEPS) - 1
    return min(forms.SECTION_INDEX.get(key.partition(".")[0], last) for key in errors)


def _choices(section: str, raw: dict) -> dict[str, list]:
    cluster = raw.get("placement", {}).get("cluster", "")
    if section == "network_stack":
        return {
            "network_provider": list(NETWORK_PROVIDERS.items()),
            "load_balancer": list(LOAD_BALANCERS.items()),
        }
    if section == "storage":
        options = [(str(p.policy_id), p.name) for p in selectors.storage_policies_for(cluster)]
        return {f.name: options for f in forms.step_fields(section)}
    if section in ("management_network", "workload_network"):
        options = [
            (pg.moid, f"{pg.name} ({pg.switch.name})") for pg in selectors.portgroups_for(cluster)
        ]
        return {"network": options, "mode": [("STATICRANGE", "Static"), ("DHCP", "DHCP")]}
    if section == "size":
        return {
            "content_library": [
                (str(lib.library_id), f"{lib.name} ({lib.get_type_display()})")
                for lib in selectors.content_libraries()
            ],
        }
    return {}


def _bound(
    section: str, raw: dict, errors: dict[str, str], fields=None, defaults=None
) -> list[dict]:
    choices = _choices(section, raw)
    bound = []
    for field in fields if fields is not None else forms.step_fields(section):
        value = _value(raw, section, field.name, defaults)
        bound.append(
            {
                "field": field,
                "value": "" if field.kind == "password" else value,
                "has_value": bool(value),
                "error": errors.get(field.name, ""),
                "choices": choices.get(field.name, []),
            }
        )
    return bound


def _wizard_context(request, state: dict, step: int, errors: dict[str, str]) -> dict:
    current = forms.STEPS[step]
    raw = state["raw"]
    mine, other = forms.field_errors(errors, current.section)
    context = {
        "steps": [
            {"number": i + 1, "index": i, "title": s.title, "reachable": i <= state["reached"]}
            for i, s in enumerate(forms.STEPS)
        ],
        "step": step,
        "current": current,
        "last": step == len(forms.STEPS) - 1,
        "fields": _bound(current.section, raw, mine, defaults=_estate_defaults(current.section)),
        "other_errors": other,
        "wizard_url": reverse("workloads:supervisor-enable"),
        "mode": _value(raw, "management_network", "mode"),
    }
    if current.section == "network_stack":
        context["provider_help"] = LOAD_BALANCERS
    if current.section == "placement":
        context["compatibility"] = selectors.clusters_compatibility()
        context["cluster_value"] = _value(raw, "placement", "cluster")
        if not context["cluster_value"]:
            compatible = [c for c in context["compatibility"] if c.compatible]
            if len(compatible) == 1:  # the obvious choice, as the wizard preselects it
                context["cluster_value"] = compatible[0].cluster.moid
    if current.section == "load_balancer":
        provider = raw.get("network_stack", {}).get("load_balancer") or "AVI"
        context["provider_label"] = LOAD_BALANCERS.get(provider, "")
    if current.section == "size":
        context["sizes"] = list(SIZES.values())
        context["review"] = selectors.spec_sections(raw)[:-1]
    return context


def _render_wizard(request, state: dict, step: int, errors: dict[str, str] | None = None):
    context = _wizard_context(request, state, step, errors or {})
    return render(request, partial(request, WIZARD_TEMPLATE, ("main", "wizard")), context)


@inventory_view
def enable(request):
    """GET shows the wizard's current (or a reached, `?step=`) step; POST takes its values:
    NEXT validates the step, BACK keeps them unvalidated, FINISH enables, CANCEL forgets."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        require(request.user, Privilege.NAMESPACES_MANAGE)
    except PermissionDenied as error:
        return refuse(request, error, home_url())
    state = _wizard_state(request)
    if request.method == "GET":
        state["step"] = _step_number(request.GET.get("step"), state)
        _wizard_save(request, state)
        return _render_wizard(request, state, state["step"])

    action = request.POST.get("action", "next")
    if action == "cancel":
        request.session.pop(WIZARD_KEY, None)
        if request.htmx:
            return HttpResponseClientRedirect(home_url())
        return redirect(home_url())
    step = _step_number(request.POST.get("step"), state)
    section = forms.STEPS[step].section
    missing = missing_errors(request.POST, forms.sent_always(forms.step_fields(section)))
    if missing:  # a truncated post: the step again, what it held before kept
        state["step"] = step
        _wizard_save(request, state)
        errors = {f"{section}.{name}": message for name, message in missing.items()}
        return _render_wizard(request, state, step, errors)
    state["raw"][section] = _posted(request.POST, section, state["raw"].get(section, {}))
    if action == "back":
        return _go(request, state, max(step - 1, 0))
    try:
        _clean_step(section, state["raw"])
    except SpecError as error:
        state["step"] = min(step, _first_step_with_error(error.errors))
        _wizard_save(request, state)
        return _render_wizard(request, state, state["step"], error.errors)
    if step < len(forms.STEPS) - 1:
        state["reached"] = max(state["reached"], step + 1)
        return _go(request, state, step + 1)

    try:
        sup = services.supervisor_enable(spec=state["raw"], user=request.user)
    except PermissionDenied as error:
        return refuse(request, error, home_url())
    except SpecError as error:  # a rule across steps, or the estate changed meanwhile
        state["step"] = _first_step_with_error(error.errors)
        _wizard_save(request, state)
        return _render_wizard(request, state, state["step"], error.errors)
    request.session.pop(WIZARD_KEY, None)
    url = detail_url(sup)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    messages.info(request, "Enable Supervisor task queued.")
    return redirect(url)


def _go(request, state: dict, step: int):
    """Move to `step`: htmx swaps it in place (and updates the address bar), a plain form post
    is redirected to it."""
    state["step"] = step
    _wizard_save(request, state)
    url = f"{reverse('workloads:supervisor-enable')}?step={step}"
    if request.htmx:
        return push_url(_render_wizard(request, state, step), url)
    return redirect(url)


# ---------------------------------------------------------------- Supervisor page


def _supervisor_context(
    request,
    sup: Supervisor,
    tab: str,
    *,
    edit: str = "",
    posted=None,
    errors: dict[str, str] | None = None,
) -> dict:
    can_manage = has(request.user, Privilege.NAMESPACES_MANAGE)
    context = {
        "supervisor": sup,
        "tab": tab,
        "tabs": [(slug, label, detail_url(sup, slug)) for slug, label in SUPERVISOR_TABS],
        "unsettled": selectors.is_unsettled(sup),
        "can_manage": can_manage,
        "size": SIZES.get(sup.spec.get("size", {}).get("size", "")),
        "reveal": navigator.supervisor_node(sup),  # its vSphere cluster, in the navigator
    }
    if tab == "summary":
        context["conditions"] = selectors.conditions_tree(sup)
        context["summary"] = inventory_selectors.summary_for(sup.cluster)
    elif tab == "monitor":
        sub = "events" if request.GET.get("sub") == "events" else "tasks"
        pick = inventory_selectors.events_for if sub == "events" else inventory_selectors.tasks_for
        context.update(
            sub=sub, page=pick(sup.cluster, request.GET.get("page")), query_prefix=f"sub={sub}&"
        )
    elif tab == "namespaces":
        context.update(namespaces.namespaces_tab_context(request, supervisor=sup))
    elif tab == "configure":
        edit = edit or request.GET.get("edit", "")
        if edit not in services.EDITABLE or not can_manage or sup.is_deleting:
            edit = ""
        context["self_service"] = api_selectors.namespace_template(sup)
        context["can_self_service"] = (
            has(request.user, Privilege.NAMESPACES_SELF_SERVICE_MANAGE) and not sup.is_deleting
        )
        context["sections"] = selectors.spec_sections(sup.spec)
        context["editable"] = services.EDITABLE
        context["edit"] = edit
        if edit:
            mine, other = forms.field_errors(errors or {}, edit)
            raw = {"placement": {"cluster": sup.cluster.moid}}
            raw[edit] = section_raw(sup.spec[edit])
            if posted is not None:
                raw[edit] |= {n: posted.get(n, "") for n in forms.EDIT_FIELDS[edit] if n in posted}
            fields = forms.edit_fields(sup.spec, edit)
            context["edit_fields"] = _bound(edit, raw, mine, fields)
            context["edit_errors"] = other
            context["edit_title"] = forms.STEPS[forms.SECTION_INDEX[edit]].title
    return context


@require_GET
@inventory_view
def supervisor_detail(request, supervisor_id: uuid.UUID, tab: str = "summary"):
    if tab not in dict(SUPERVISOR_TABS):
        raise Http404(f"A Supervisor has no {tab!r} tab")
    sup = selectors.supervisor_find(supervisor_id)
    if sup is None:
        if request.htmx:  # removed while the page was open: back to the list, as vSphere does
            return HttpResponseClientRedirect(home_url("supervisors"))
        raise Http404(f"No Supervisor {supervisor_id}")
    context = _supervisor_context(request, sup, tab)
    regions = ("main", "supervisor-status", "tab-body")
    return render(
        request, namespaces.namespaces_template(request, DETAIL_TEMPLATE, regions), context
    )


@inventory_view
def supervisor_edit(request, supervisor_id: uuid.UUID, section: str):
    """Change one editable section (Configure tab). Field errors come back at the fields."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if section not in services.EDITABLE:
        raise Http404(f"{section!r} cannot be edited")
    sup = selectors.supervisor_get(supervisor_id)
    back = detail_url(sup, "configure")
    values = forms.edit_values(sup.spec, section, request.POST)
    try:
        require(request.user, Privilege.NAMESPACES_MANAGE)  # refused before the form is judged
        # A field the form shows but the post lacks is refused, not kept or cleared.
        names = forms.sent_always(forms.edit_fields(sup.spec, section))
        missing = missing_errors(request.POST, names)
        if missing:
            raise SpecError({f"{section}.{name}": m for name, m in missing.items()})
        services.supervisor_update(
            supervisor=sup, section=section, values=values, user=request.user
        )
    except (PermissionDenied, services.SupervisorStateError) as error:
        return refuse(request, error, back)
    except SpecError as error:
        context = _supervisor_context(
            request, sup, "configure", edit=section, posted=request.POST, errors=error.errors
        )
        template = f"{DETAIL_TEMPLATE}#main" if request.htmx else DETAIL_TEMPLATE
        return render(request, template, context)
    if request.htmx:
        sup = selectors.supervisor_get(supervisor_id)
        response = render(
            request, f"{DETAIL_TEMPLATE}#main", _supervisor_context(request, sup, "configure")
        )
        response = reswap(retarget(response, "#main"), "outerHTML")  # the dialog closes
        return trigger_client_event(push_url(response, back), "task-started")
    messages.info(request, "Reconfigure Supervisor task queued.")
    return redirect(back)


def _confirm(request, sup: Supervisor, kind: str, *, action: str, back: str):
    """A Supervisor's confirmation: the dialog for htmx (a modal over the page), the page with
    the dialog open in it without JavaScript. Cancel is the focused button, as for every
    confirmation of something that cannot be undone."""
    context = {
        "supervisor": sup,
        "kind": kind,
        "dialog": CONFIRMS[kind],
        "action": action,
        "back": back,
        "describedby": "confirm-question",
        "focus": "cancel",
    }
    return render(request, dialogs.dialog_template(request, CONFIRM_TEMPLATE), context)


@inventory_view
def supervisor_disable(request, supervisor_id: uuid.UUID):
    """GET asks for confirmation; POST disables (409 with the reason if it cannot)."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    sup = selectors.supervisor_get(supervisor_id)
    back = detail_url(sup)
    if request.method == "GET":
        if not has(request.user, Privilege.NAMESPACES_MANAGE):
            return refuse(request, PermissionDenied(DENIED), back)
        action = reverse("workloads:supervisor-disable", args=[sup.supervisor_id])
        return _confirm(request, sup, "disable", action=action, back=back)
    try:
        services.supervisor_disable(supervisor=sup, user=request.user)
    except (PermissionDenied, services.SupervisorStateError) as error:
        return refuse(request, error, back)
    if request.htmx:
        sup = selectors.supervisor_find(supervisor_id)
        if sup is None:  # a worker already finished the removal
            return HttpResponseClientRedirect(home_url("supervisors"))
        response = render(
            request, f"{DETAIL_TEMPLATE}#main", _supervisor_context(request, sup, "summary")
        )
        response = reswap(retarget(response, "#main"), "outerHTML")  # the dialog closes
        return trigger_client_event(push_url(response, back), "task-started")
    messages.info(request, "Disable Supervisor task queued.")
    return redirect(back)


# ---------------------------------------------------------------- Namespace Service


def _template_choices(sup: Supervisor) -> dict[str, list]:
    return {
        "storage_policies": [
            (str(p.policy_id), p.name) for p in selectors.storage_policies_for(sup.cluster.moid)
        ],
        "vm_classes": [(c.name, c.name) for c in selectors.namespace_vm_class_choices()],
        "content_libraries": [
            (str(lib.library_id), lib.name) for lib in selectors.content_libraries()
        ],
    }


def _configured(request, sup: Supervisor, message: str):
    """Back on the Configure tab after a Namespace Service change."""
    back = detail_url(sup, "configure")
    if request.htmx:
        response = render(
            request, f"{DETAIL_TEMPLATE}#main", _supervisor_context(request, sup, "configure")
        )
        response = reswap(retarget(response, "#main"), "outerHTML")  # the dialog closes
        return trigger_client_event(push_url(response, back), "task-started")
    messages.info(request, message)
    return redirect(back)


@inventory_view
def namespace_service(request, supervisor_id: uuid.UUID):
    """The Namespace Service's template dialog. GET shows it (the template's settings, or a
    new template's name); POST activates the service with it, or saves the template of an
    active service. The services' errors come back at the fields."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    sup = selectors.supervisor_get(supervisor_id)
    back = detail_url(sup, "configure")
    if not has(request.user, Privilege.NAMESPACES_SELF_SERVICE_MANAGE):
        return refuse(request, PermissionDenied(DENIED), back)
    template = api_selectors.namespace_template(sup)
    form = TemplateForm(
        request.POST if request.method == "POST" else None,
        choices=_template_choices(sup),
        editing=template is not None,
        initial=TemplateForm.initial_for(template, sup),
    )
    active = template is not None and template.activated
    if request.method == "POST" and form.is_valid():
        try:
            if active:
                services.namespace_template_update(
                    supervisor=sup, name=template.template, spec=form.spec(), user=request.user
                )
            else:
                services.namespace_self_service_activate(
                    supervisor=sup,
                    user=request.user,
                    template=form.cleaned_data["template"],
                    spec=form.spec(),
                )
        except (
            PermissionDenied,
            services.SupervisorStateError,
            services.SelfServiceStateError,
        ) as error:
            return refuse(request, error, back)
        except DomainError as error:
            form.add_service_errors(error)
        else:
            verb = "Update namespace template" if active else "Activate namespace self-service"
            return _configured(request, sup, f"{verb} task queued.")
    context = {
        "supervisor": sup,
        "form": form,
        "active": active,
        "back": back,
        "kind": "namespace-service",
        "dialog": SERVICE_DIALOGS[active],
        "action": reverse("workloads:namespace-service", args=[sup.supervisor_id]),
        "dialog_alerts": dialogs.summary(form.errors),
    }
    status = 400 if request.method == "POST" else 200
    template = dialogs.dialog_template(request, SERVICE_TEMPLATE)
    return render(request, template, context, status=status)


@inventory_view
def namespace_service_deactivate(request, supervisor_id: uuid.UUID):
    """GET asks for confirmation; POST deactivates namespace self-service (the template stays
    for the next activation)."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    sup = selectors.supervisor_get(supervisor_id)
    if request.method == "GET":
        back = detail_url(sup, "configure")
        if not has(request.user, Privilege.NAMESPACES_SELF_SERVICE_MANAGE):
            return refuse(request, PermissionDenied(DENIED), back)
        action = reverse("workloads:namespace-service-deactivate", args=[sup.supervisor_id])
        return _confirm(request, sup, "deactivate", action=action, back=back)
    try:
        services.namespace_self_service_deactivate(supervisor=sup, user=request.user)
    except (PermissionDenied, services.SelfServiceStateError) as error:
        return refuse(request, error, detail_url(sup, "configure"))
    return _configured(request, sup, "Deactivate namespace self-service task queued.")
