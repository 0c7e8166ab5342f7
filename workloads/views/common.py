"""What every Workload Management page shares: tabs, URLs and refusals."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import reswap, retarget

from inventory import dialogs
from inventory.permissions import DENIED
from workloads.models import Supervisor

HOME_TABS = (
    ("namespaces", "Namespaces"),
    ("supervisors", "Supervisors"),
    ("services", "Services"),
    ("updates", "Updates"),
)


def refuse(request, error: Exception, back: str) -> HttpResponse:
    """403 (no privilege) or 409 (wrong state) with the service's words: htmx shows them in the
    open dialog that posted, else in the alert bar; a plain 403 is the error page, a plain 409 a
    message on the page it came from."""
    denied = isinstance(error, PermissionDenied)
    message = str(error) or DENIED
    if request.htmx:
        response = render(
            request, "inventory/_alert.html", {"message": message}, status=403 if denied else 409
        )
        # Inside the open dialog that posted, at its top; else the page's alert bar.
        where = dialogs.ALERTS if dialogs.in_dialog(request) else "alerts"
        return reswap(retarget(response, f"#{where}"), "innerHTML")
    if denied:
        raise PermissionDenied(message)
    messages.error(request, message)
    return redirect(back)


def home_url(tab: str = "namespaces") -> str:
    if tab == "namespaces":
        return reverse("workloads:home")
    return reverse("workloads:home-tab", kwargs={"tab": tab})


def detail_url(sup: Supervisor, tab: str = "summary") -> str:
    return reverse(
        "workloads:supervisor-detail", kwargs={"supervisor_id": sup.supervisor_id, "tab": tab}
    )
