"""The vSphere Client shell: navigator, object pages, search, Recent Tasks and inventory actions.

Views parse the request, call one selector or service, and render a page or, for htmx, the
region it asked for (HX-Target names a partial of the same template)."""

from __future__ import annotations

import hashlib
import time
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import reswap, retarget, trigger_client_event

from inventory import dialogs, menus, selectors, services
from inventory.auth import SsoLoginForm
from inventory.entities import TABS, object_path, type_label
from inventory.forms import missing_errors
from inventory.models import Cluster, Host, VirtualMachine
from inventory.permissions import (
    DENIED,
    Privilege,
    granted_elsewhere,
    has,
    may_log_in,
    require,
)
from inventory.tasklog import tasks_version

OBJECT_TEMPLATE = "inventory/object_page.html"


class SsoLoginView(LoginView):
    form_class = SsoLoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def privilege_view(privilege: Privilege):
    """A view decorator: logged in, and holding `privilege`; else 403 with vCenter's words."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has(request.user, privilege):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


inventory_view = privilege_view(Privilege.VIEW)  # may see the inventory


def partial(request, template: str, regions: tuple[str, ...]) -> str:
    """The template, or its partial when htmx targets one of `regions` (by element id)."""
    target = request.htmx.target if request.htmx else None
    return f"{template}#{target}" if target in regions else template


@require_GET
@login_required
def home(request):
    if not has(request.user, Privilege.VIEW):
        grant = granted_elsewhere(request.user)  # a developer: their namespaces
        if grant is None:
            raise PermissionDenied
        return redirect(grant.landing())
    vcenter = selectors.vcenter_get()
    if vcenter is None:
        return render(request, "inventory/empty.html")
    return redirect("inventory:object", moid=vcenter.moid, tab="summary")


@require_GET
@inventory_view
def object_page(request, moid: str, tab: str = "summary"):
    entity = selectors.entity_get(moid)
    context = _object_context(request, entity, tab)
    if request.htmx and request.htmx.target == CLUSTER_SETTINGS:
        return render(request, f"inventory/tabs/_configure.html#{CLUSTER_SETTINGS}", context)
    if request.htmx and request.htmx.target == "tab-body" and tab in ("summary", "monitor"):
        return _shared_tab_body(request, context)
    if not (request.htmx and request.htmx.target == "object-header"):
        context.update(_tab_context(request, entity, tab))
    regions = ("main", "object-header", "tab-body", "grid")
    return render(request, partial(request, OBJECT_TEMPLATE, regions), context)


def _shared_tab_body(request, context: dict) -> HttpResponse:
    """The Summary and Monitor bodies refresh on every `tasks-changed`, in every open tab. What
    they show follows from the tasks version (the tasks that change an object bump it) and holds
    no user's data (no CSRF token), so tabs with the same rights share one render per version.
    The short timeout bounds how long a change that bumps no version can go unseen."""
    flags = ("can_power", "can_maintain", "can_edit_cluster")
    rights = "".join(str(int(context[flag])) for flag in flags)
    where = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    key = f"tab-body:{tasks_version()}:{where}:{rights}"
    html = cache.get(key)
    if html is None:
        context.update(_tab_context(request, context["entity"], context["tab"]))
        html = render_to_string(f"{OBJECT_TEMPLATE}#tab-body", context, request)
        cache.set(key, html, timeout=10)
    return HttpResponse(html)


CLUSTER_SETTINGS = "cluster-settings"  # the Configure tab's DRS and HA cards, and their forms


def _object_context(request, entity, tab: str) -> dict:
    tabs = [(t.slug, t.label, object_path(entity.moid, t.slug)) for t in TABS[type(entity)]]
    if tab not in {slug for slug, _, _ in tabs}:
        raise Http404(f"{type_label(entity)} has no {tab!r} tab")
    return {
        "entity": entity,
        "kind": type(entity).__name__,
        "type_label": type_label(entity),
        "tabs": tabs,
        "tab": tab,
        "can_power": has(request.user, Privilege.VM_POWER),
        "can_maintain": has(request.user, Privilege.HOST_MAINTENANCE),
        "can_edit_cluster": has(request.user, Privilege.CLUSTER_EDIT),
        "actions": menus.object_actions(entity, request.user),
    }


def _tab_context(request, entity, tab: str) -> dict:
    params = request.GET
    if tab == "summary":
        return {"summary": selectors.summary_for(entity)}
    if tab == "monitor":
        sub = "events" if params.get("sub") == "events" else "tasks"
        pick = selectors.events_for if sub == "events" else selectors.tasks_for
        page = pick(entity, params.get("page"))
        return {"sub": sub, "page": page, "query_prefix": f"sub={sub}&"}
    if tab == "permissions":
        return {"permissions": selectors.permissions_for(entity)}
    if tab == "configure":
        return {}
    q = params.get("q", "").strip()
    page, columns, sort = selectors.list_page(
        tab, entity, q=q, sort=params.get("sort", "name"), page=params.get("page")
    )
    query_prefix = urlencode({"q": q, "sort": sort}) + "&"
    return {"page": page, "columns": columns, "sort": sort, "q": q, "query_prefix": query_prefix}


@require_GET
@inventory_view
def tree(request, view: str, moid: str | None = None):
    """Navigator: the root (vCenter) of a view, or one page of a node's children."""
    if view not in selectors.NAV_VIEWS:
        raise Http404(f"No navigator view {view!r}")
    if request.session.get("nav_view") != view:  # remembered for the next full page
        request.session["nav_view"] = view
    if moid is None:
        context = {
            "view": view,
            "views": selectors.NAV_VIEWS,
            "roots": selectors.tree_roots(),
            "expanded": _revealed(view, request.GET.get("reveal")),
        }
        return render(request, "inventory/_navigator.html", context)
    entity = selectors.entity_get(moid)
    page = selectors.tree_children(view, entity, _page_number(request.GET.get("page")))
    return render(
        request,
        "inventory/_tree_nodes.html",
        {"view": view, "parent": entity, "nodes": page.nodes, "next_page": page.next_page},
    )


def _revealed(view: str, moid: str | None) -> dict:
    """Children of the nodes to open so the object on the page shows in the tree."""
    entity = None
    if moid:
        try:
            entity = selectors.entity_get(moid)
        except Http404:
            pass  # a stale link: show the tree without it
    return selectors.tree_revealing(view, entity)


def _page_number(raw: str | None) -> int:
    try:
        return max(int(raw or 0), 0)
    except ValueError:
        return 0


# As the vSphere Client: a few suggestions of each type while typing, the first results of each
# type on the results page, and all of one type page by page from its "more" link.
SUGGESTIONS_PER_TYPE = 3
RESULTS_PER_TYPE = 10


def _search_term(request) -> str:
    return request.GET.get("q", "").strip()[:255]  # no object name is longer


def search_view(view):
    """Global search: for a vCenter role, or for access another app grants (a developer, who
    finds only their namespaces and clusters)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_log_in(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@search_view
def search(request):
    q, object_type = _search_term(request), request.GET.get("type", "")
    context = {"q": q, "object_type": object_type}
    if object_type and not has(request.user, Privilege.VIEW):
        raise Http404(f"Search has no object type {object_type!r}")  # inventory types only
    if object_type and q:
        found = selectors.search_type_page(q, object_type, _page_number(request.GET.get("page")))
        if found is None:
            raise Http404(f"Search has no object type {object_type!r}")
        context["found"] = found
        context["query_prefix"] = urlencode({"q": q, "type": object_type}) + "&"
    elif q:
        context["groups"] = selectors.search_for(request.user, q, per_type=RESULTS_PER_TYPE)
    template = partial(request, "inventory/search.html", ("main", "search-results"))
    return render(request, template, context)


@require_GET
@search_view
def search_suggestions(request):
    """The header search box's suggestions as one types (htmx swaps the list under it)."""
    q = _search_term(request)
    groups = selectors.search_for(request.user, q, per_type=SUGGESTIONS_PER_TYPE) if q else []
    return render(request, "inventory/_search_suggestions.html", {"q": q, "groups": groups})


PANE_SHARE_SECONDS = 0.5


# Recent Tasks' filter: the states each choice shows (None: all).
def _shared_pane(version: str, seen: str | None, mine, task_filter: str) -> str:
    """The pane, rendered at most once per PANE_SHARE_SECONDS for everyone who sees the same
    tasks. With tasks running, every poll finds the version moved, and tabs poll at moments of
    their own: a render keyed by the version would rarely serve a second tab. A shared render
    is at most that old and carries the version it was made at; a tab given one older than the
    version it polled with refreshes again at its next poll, and a tab is never given back the
    render it already shows."""
    slot = int(time.time() / PANE_SHARE_SECONDS)
    key = f"recent-tasks:{mine.pk if mine else 'all'}:{task_filter}:{slot}"
    shared = cache.get(key)
    if shared is not None and shared[0] != seen:
        return shared[1]
    vcenter = selectors.vcenter_get()
    context = {
        "tasks": selectors.recent_tasks(user=mine, states=selectors.TASK_FILTERS[task_filter]),
        "tasks_version": version,  # read before the tasks: never newer than what they show
        "vcenter_name": vcenter.name if vcenter else "",
        "task_filter": task_filter,
        "task_filters": selectors.TASK_FILTER_CHOICES,
    }
    html = render_to_string("inventory/_recent_tasks.html", context)
    cache.set(key, (version, html), timeout=5)
    return html


@require_GET
@login_required
def recent_tasks(request):
    """The Recent Tasks pane. A poll that carries the current version gets 204: no query for
    tasks, nothing to swap; a changed version gets the pane and tells the page to refresh.
    The pane's filter (All / Running / Failed) rides in its own poll URL; a choice the user
    makes is remembered in the session for the next page."""
    version = tasks_version()
    if request.htmx and request.GET.get("v") == version:
        # Before the role check on purpose: "nothing new" reveals nothing, and the idle poll
        # then costs two queries (the session and its user).
        return HttpResponse(status=204)
    task_filter = request.GET.get("filter") or request.session.get("tasks_filter", "all")
    if task_filter not in selectors.TASK_FILTERS:
        return HttpResponse(
            f"Unknown Recent Tasks filter {task_filter!r}: choose all, running or failed.",
            status=400,
            content_type="text/plain",
        )
    if "v" not in request.GET and request.session.get("tasks_filter", "all") != task_filter:
        request.session["tasks_filter"] = task_filter
    # Without a vCenter role (a developer) the pane lists the tasks the user started and those on
    # what other apps grant them (their namespaces and clusters), as vCenter shows only the tasks
    # of objects one may see. Everyone who sees all tasks sees the same pane.
    mine = None if has(request.user, Privilege.VIEW) else request.user
    html = _shared_pane(version, request.GET.get("v"), mine, task_filter)
    response = HttpResponse(html)
    if request.htmx and request.GET.get("v"):
        trigger_client_event(response, "tasks-changed")
    return response


def _flag(data, name: str, current: bool) -> bool:
    """A checkbox that follows a hidden input of the same name ("off"): the last value wins, and
    a form that does not carry the field at all keeps the current setting."""
    raw = data.get(name)
    return current if raw is None else raw == "on"


# The Configure tab's cards, each a form of its own posting to the same action: a post carries
# one or more whole cards; what it does not carry stays as it is.
SETTINGS_CARDS = (("drs_enabled", "drs_automation_level"), ("ha_enabled",))
FLAGS = ("drs_enabled", "ha_enabled")


def _whole_cards(data) -> None:
    """Refuse a post that carries no card, part of one, or a checkbox value other than "on" or
    "off" (read as "off", it would turn the service off)."""
    errors: dict[str, str] = {}
    sent = [card for card in SETTINGS_CARDS if any(name in data for name in card)]
    for card in sent or SETTINGS_CARDS[:1]:
        errors |= missing_errors(data, card)
    for name in FLAGS:
        if name in data and data[name] not in ("on", "off") and name not in errors:
            errors[name] = f'"{name}" must be on or off. Nothing was changed.'
    if errors:
        raise ValidationError(errors)


def _start(entity, name: str, request):
    user, data = request.user, request.POST
    match name, entity:
        case "reconfigure", Cluster():
            require(user, Privilege.CLUSTER_EDIT)  # a refusal before any word about the form
            _whole_cards(data)
            return services.cluster_reconfigure(
                cluster=entity,
                drs_enabled=_flag(data, "drs_enabled", entity.drs_enabled),
                drs_automation_level=data.get("drs_automation_level", entity.drs_automation_level),
                ha_enabled=_flag(data, "ha_enabled", entity.ha_enabled),
                user=user,
            )
        case "power-on" | "power-off" | "reset" | "suspend", VirtualMachine():
            return services.vm_power(vm=entity, action=name.replace("-", "_"), user=user)
        case "enter-maintenance", Host():
            evacuate = _checkbox(data, "evacuate_powered_off")
            return services.host_maintenance(
                host=entity, enter=True, user=user, evacuate_powered_off=evacuate
            )
        case "exit-maintenance", Host():
            return services.host_maintenance(host=entity, enter=False, user=user)
    raise Http404(f"No action {name!r} on {entity.moid}")


def _checkbox(data, name: str) -> bool:
    """An HTML checkbox: absent is off, "on" is on; anything else is refused, not guessed."""
    raw = data.get(name)
    if raw not in (None, "on"):
        raise ValidationError({name: f'"{name}" must be on or absent. Nothing was changed.'})
    return raw == "on"


CONFIRM_TEMPLATE = "inventory/confirm.html"


def _confirmation(request, entity, name: str, *, error: str = "", status: int = 200):
    """The confirmation of `name`: a <dialog> for htmx (opened as a modal over the page), the
    whole page without JavaScript. An entry the menu shows disabled opens with its reason and
    no way to confirm."""
    item = menus.item_for(entity, request.user, name)
    if item is None:  # not the user's to do (403, as the POST), or not this object's
        vm_action = name in VM_ACTIONS
        if isinstance(entity, VirtualMachine if vm_action else Host):
            require(request.user, Privilege.VM_POWER if vm_action else Privilege.HOST_MAINTENANCE)
        raise Http404(f"No action {name!r} on {entity.moid}")
    confirmation = menus.CONFIRMATIONS[name]
    context = {
        "entity": entity,
        "name": name,
        "kind": name,
        "confirm": confirmation,
        "dialog": {
            "title": confirmation.title,
            "submit": confirmation.submit,
            "cancel": confirmation.cancel,
            "fields": "inventory/_confirm_fields.html",
        },
        "describedby": "confirm-question",
        "focus": "submit",
        "question": confirmation.question.format(name=entity.name),
        "dialog_alerts": dialogs.summary(error or item.reason),
        "submit_disabled": not item.enabled,
        "action": reverse("inventory:action", args=[entity.moid, name]),
        "back": reverse("inventory:object", kwargs={"moid": entity.moid, "tab": "summary"}),
    }
    return render(
        request, dialogs.dialog_template(request, CONFIRM_TEMPLATE, ()), context, status=status
    )


VM_ACTIONS = ("power-off", "reset", "suspend")


@inventory_view
def action(request, moid: str, name: str):
    """Start an inventory operation. GET shows its confirmation, for the operations that ask for
    one (Power Off, Reset, Suspend, Enter Maintenance Mode). A POST from htmx gets 204 and a
    nudge for the Recent Tasks pane; a plain form post is redirected back to the object.
    Refusals carry the vCenter fault's message: inside the confirmation when one was shown."""
    entity = selectors.entity_get(moid)
    confirms = name in menus.CONFIRMATIONS
    if request.method == "GET" and confirms:
        return _confirmation(request, entity, name)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"] if confirms else ["POST"])
    tab = "configure" if name == "reconfigure" else "summary"
    back = reverse("inventory:object", kwargs={"moid": moid, "tab": tab})
    in_dialog = dialogs.in_dialog(request)
    try:
        task = _start(entity, name, request)
    except ValidationError as error:
        if confirms:
            message = " ".join(m for ms in error.message_dict.values() for m in ms)
            return _refused(request, entity, name, message, 400, in_dialog)
        return _invalid(request, entity, tab, error)
    except (services.InvalidState, PermissionDenied) as error:
        status = 403 if isinstance(error, PermissionDenied) else 409
        message = str(error) or DENIED
        if confirms:
            return _refused(request, entity, name, message, status, in_dialog)
        if request.htmx:
            response = render(request, "inventory/_alert.html", {"message": message}, status=status)
            return reswap(retarget(response, "#alerts"), "innerHTML")
        messages.error(request, message)
        return redirect(back)
    if task is None:  # nothing to change: no task
        if request.htmx:
            return HttpResponse(status=204)
        messages.info(request, "No settings were changed.")
        return redirect(back)
    if request.htmx:
        return trigger_client_event(HttpResponse(status=204), "task-started")
    messages.info(request, f"{task.name} task queued.")
    return redirect(back)


def _refused(request, entity, name: str, message: str, status: int, in_dialog: bool):
    """A confirmed operation refused: the confirmation again with the message, inside the dialog
    that asked (htmx) or as the page; a post from elsewhere gets the page's alert."""
    if request.htmx and not in_dialog:
        response = render(request, "inventory/_alert.html", {"message": message}, status=status)
        return reswap(retarget(response, "#alerts"), "innerHTML")
    if status == 403 and not in_dialog:
        raise PermissionDenied(message)
    return _confirmation(request, entity, name, error=message, status=status)


def _invalid(request, entity, tab: str, error: ValidationError):
    """400 with the messages beside their fields: the whole page for a plain post, the settings
    cards (swapped in place of the ones that posted) for htmx."""
    context = _object_context(request, entity, tab)
    context["errors"] = error.message_dict
    if request.htmx:
        template = f"inventory/tabs/_configure.html#{CLUSTER_SETTINGS}"
        response = render(request, template, context, status=400)
        return reswap(retarget(response, f"#{CLUSTER_SETTINGS}"), "outerHTML")
    context.update(_tab_context(request, entity, tab))
    return render(request, OBJECT_TEMPLATE, context, status=400)
