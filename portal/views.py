"""The developer portal: a developer's clusters, namespaces, the commands to connect, and their
activity, on one simple layout. Every page follows the vCenter task stamp through one cheap
pulse (`pulse`): 204 while nothing changed; otherwise `tasks-changed`, which refreshes the page's
live region, and a notification for each of the user's clusters that became Ready or Failed.

Actions reuse the Workload Management dialogs and downloads (scale, upgrade, delete, kubeconfig,
create, Apply YAML), which check the role again."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from inventory.selectors import TASK_FILTER_CHOICES, TASK_FILTERS
from inventory.tasklog import tasks_version
from inventory.views import partial
from kubeapi import tokens
from portal import commands, selectors
from vksportal.errors import DomainError
from workloads.access import self_service_for
from workloads.self_service_forms import SelfServiceNamespaceForm
from workloads.services.self_service import namespace_self_service_create
from workloads.targets import CLUSTER_TYPE, NAMESPACE_TYPE

NOTICES_SHOWN = 3  # at once; more (a bulk change) are summed up in one line
STATES_SECONDS = 15 * 60  # a tab's last-seen cluster states live this long without a pulse
NAV = (
    ("clusters", "My clusters"),
    ("namespaces", "My namespaces"),
    ("connect", "Connect"),
    ("activity", "Activity"),
)


def _states_key(token: str) -> str:
    # Only a token this module made names a cache entry: anything else names none.
    return f"portal:states:{token}" if re.fullmatch(r"[0-9a-f]{32}", token) else "portal:states:-"


def _remember_states(user) -> str:
    """Store the user's cluster states for this tab; the token names them in the next pulse."""
    token = uuid.uuid4().hex
    cache.set(_states_key(token), selectors.cluster_states(user), STATES_SECONDS)
    return token


def _page(request, template: str, section: str, context: dict, regions=()) -> HttpResponse:
    """A portal page, or its live region when htmx asks for that region only."""
    chosen = partial(request, template, regions)
    if chosen == template:  # a whole page: the pulse starts from the state it shows
        context |= {
            "nav": NAV,
            "section": section,
            "tasks_version": tasks_version(),
            "states_token": _remember_states(request.user),
        }
    return render(request, chosen, context)


@require_GET
@login_required
def clusters(request):
    namespace = request.GET.get("namespace", "")
    if namespace:
        selectors.require_namespace(request.user, namespace)
    page, rows = selectors.cluster_page(
        request.user, namespace=namespace, page=request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": rows,
        "namespace": namespace,
        "namespace_query": f"{urlencode({'namespace': namespace})}&" if namespace else "",
    }
    return _page(request, "portal/clusters.html", "clusters", context, ("portal-clusters",))


@require_GET
@login_required
def namespaces(request):
    return _namespaces(request)


def _namespaces(request, new_namespace=None, status: int = 200) -> HttpResponse:
    page, cards = selectors.namespace_page(request.user, page=request.GET.get("page"))
    if new_namespace is None:
        templates = self_service_for(request.user)
        new_namespace = SelfServiceNamespaceForm(templates=templates) if templates else None
    context = {"page": page, "cards": cards, "new_namespace": new_namespace}
    response = _page(
        request, "portal/namespaces.html", "namespaces", context, ("portal-namespaces",)
    )
    response.status_code = status
    return response


@require_POST
@login_required
def namespace_create(request):
    """New Namespace (namespace self-service), from My namespaces: the namespace service's form
    and service; back on My namespaces with the new namespace, or with the form's errors."""
    templates = self_service_for(request.user)
    if not templates:
        raise Http404("No namespace service allows you to create namespaces.")
    form = SelfServiceNamespaceForm(request.POST, templates=templates)
    if form.is_valid():
        try:
            ns = namespace_self_service_create(
                name=form.cleaned_data["name"], supervisor=form.chosen, user=request.user
            )
        except DomainError as error:
            form.add_service_errors(error)
        else:
            messages.info(request, f"Namespace {ns.name} is being created; you are its Owner.")
            return redirect("portal:namespaces")
    return _namespaces(request, new_namespace=form, status=400)


@require_GET
@login_required
def connect(request):
    endpoint = commands.endpoint_for(request)
    page, blocks = selectors.connect_page(
        request.user, endpoint, request, page=request.GET.get("page")
    )
    context = {
        "page": page,
        "blocks": blocks,
        "supervisor": commands.supervisor_login(endpoint),
        "lifetime_hours": tokens.LIFETIME_SECONDS // 3600,
        "host": endpoint.host,
        "ca_url": endpoint.ca_url,
    }
    return _page(request, "portal/connect.html", "connect", context, ("portal-connect",))


@require_GET
@login_required
def activity(request):
    chosen = request.GET.get("filter", "all")
    if chosen not in TASK_FILTERS:
        return HttpResponse(
            f"Unknown activity filter {chosen!r}: choose all, running or failed.",
            status=400,
            content_type="text/plain",
        )
    states = TASK_FILTERS[chosen]
    context = {
        "filter": chosen,
        "filters": TASK_FILTER_CHOICES,
        "page": selectors.activity_tasks(request.user, states=states, page=request.GET.get("page")),
        "events": selectors.activity_events(request.user, states=states),
        "linked_targets": (NAMESPACE_TYPE, CLUSTER_TYPE),  # pages a namespace role opens
        "cluster_target": CLUSTER_TYPE,
    }
    return _page(request, "portal/activity.html", "activity", context, ("portal-activity",))


@require_GET
@login_required
def pulse(request):
    """204 while the task stamp is the one the page knows (no query beyond the session's);
    else a new pulse, `tasks-changed` for the live regions, and a notification for each of the
    user's clusters that became Ready or Failed since this tab last looked (one query)."""
    version = tasks_version()
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    before = cache.get(_states_key(request.GET.get("s", "")))
    token = uuid.uuid4().hex
    after = selectors.cluster_states(request.user)
    cache.set(_states_key(token), after, STATES_SECONDS)
    notices = selectors.state_changes(before, after) if before is not None else []
    context = {
        "tasks_version": version,
        "states_token": token,
        "notices": notices[:NOTICES_SHOWN],
        "more_notices": max(0, len(notices) - NOTICES_SHOWN),
    }
    response = render(request, "portal/_pulse.html", context)
    return trigger_client_event(response, "tasks-changed")
