"""The Supervisor vs VKS cluster side-by-side page: what each one is, and what each is doing now.

`?supervisor=<Supervisor ID>&cluster=<namespace>/<cluster name>` picks the two (either may be
left out: the first the user may see stands in). The live region (`#sbs-live`) asks again every
second with the tasks' stamp it was drawn at, whoever changes either side (a developer scaling
the cluster with kubectl, a reconciler's pass): the same stamp gets a 204 at the cost of a cache
read, a new one a refresh of a fixed handful of queries and no pickers."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from inventory.permissions import Privilege, has
from inventory.tasklog import tasks_version
from workloads import selectors
from workloads.access import has_any_namespace

TEMPLATE = "workloads/side_by_side.html"
LIVE = "sbs-live"


def side_by_side_url(supervisor=None, cluster=None) -> str:
    """The page for a Supervisor (and one of its clusters), as the pickers and links build it."""
    query = {}
    if supervisor is not None:
        query["supervisor"] = str(supervisor.supervisor_id)
    if cluster is not None:
        query["cluster"] = selectors.cluster_ref(cluster)
    url = reverse("workloads:side-by-side")
    return f"{url}?{urlencode(query, safe='/')}" if query else url


def _supervisor_id(raw: str | None) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Http404(f"No Supervisor {raw!r}") from None


@require_GET
@login_required
def side_by_side(request):
    user = request.user
    if not has(user, Privilege.VIEW) and not has_any_namespace(user):
        raise PermissionDenied
    supervisor_id = _supervisor_id(request.GET.get("supervisor"))
    cluster = request.GET.get("cluster", "").strip()
    live = bool(request.htmx) and request.htmx.target == LIVE
    version = tasks_version()
    if live and request.GET.get("v") == version:
        return HttpResponse(status=204)  # nothing changed since it was drawn
    try:
        page = selectors.side_by_side_for(
            user, supervisor_id=supervisor_id, cluster=cluster, live_only=live
        )
    except Http404:
        if not live:
            raise
        # Removed (or access withdrawn) while the page was open: back to what is left.
        sup = selectors.supervisor_find(supervisor_id) if supervisor_id else None
        return HttpResponseClientRedirect(side_by_side_url(sup))
    context = {
        "sbs": page,
        "live_url": side_by_side_url(page.supervisor, page.cluster) if page.cluster else "",
        "version": version,
    }
    return render(request, f"{TEMPLATE}#{LIVE}" if live else TEMPLATE, context)
