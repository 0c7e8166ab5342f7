"""VKS cluster pages: the cluster's own page (Summary, Nodes, YAML), the day-2 dialogs (scale,
add and remove node pools, upgrade, delete) and the kubeconfig and manifest downloads. The ways
in (the Create Cluster wizard and Apply YAML) are in `cluster_create`.

Every way in ends in one cluster service, which checks the role again and runs admission: the
views parse the form (or the manifest), show admission's messages at their fields with 400 and
store nothing. Every change form carries the `generation` it was made against; a stale one is
refused by the service (409) and the dialog comes back with the latest values and the message at
its top. Dialogs open as modals over the page (`inventory.dialogs`), the cluster's page or the
developer portal's My clusters (`?from=portal`, where success and Cancel go back to), and are
pages of their own without JavaScript, plain links and form posts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_htmx.http import (
    HttpResponseClientRedirect,
    push_url,
    reswap,
    retarget,
    trigger_client_event,
)

from inventory import dialogs
from inventory.forms import missing_errors
from inventory.permissions import Privilege, has
from inventory.views import partial
from vksportal.errors import FieldError
from workloads import selectors
from workloads.access import RANK, Role, namespace_role, require_role
from workloads.cluster_objects import export_manifest
from workloads.kubeconfig import kubeconfig
from workloads.models import Namespace, VksCluster
from workloads.selectors import navigator
from workloads.services.clusters import (
    ClusterStateError,
    ConflictError,
    cluster_delete,
    cluster_nodepool_add,
    cluster_nodepool_remove,
    cluster_scale,
    cluster_upgrade,
)
from workloads.specs import SpecError
from workloads.views import namespaces
from workloads.views.common import refuse

DETAIL_TEMPLATE = "workloads/cluster_detail.html"
DIALOG_TEMPLATE = "workloads/cluster_dialog.html"
CLUSTER_TABS = (("summary", "Summary"), ("nodes", "Nodes"), ("yaml", "YAML"))
LIVE = "cluster-live"  # the region that follows the reconciler while the cluster changes
REGIONS = ("main", LIVE)
FORM = "form"  # the error key of problems no field of the form owns
PORTAL_CLUSTERS = reverse_lazy("portal:clusters")


def cluster_url(namespace_name: str, name: str, tab: str = "summary") -> str:
    args = [namespace_name, name] if tab == "summary" else [namespace_name, name, tab]
    return reverse("workloads:cluster-detail", args=args)


def _may_edit(user, ns: Namespace) -> bool:
    role = namespace_role(user, ns)
    return role is not None and RANK[role] >= RANK[Role.EDIT]


def form_number(raw) -> int | str:
    """A count as typed: an integer if it is one, else the text for admission to refuse with
    the API server's words (`Invalid value: "x": must be an integer`)."""
    text = (raw or "").strip()
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def _generation(post) -> int | None:
    raw = (post.get("generation") or "").strip()
    return int(raw) if raw.isdigit() else None


def refused(request, render_page: Callable, message: str, status: int = 409) -> HttpResponse:
    """The page again (with the latest values) and the service's words in the alert bar: out
    of band for htmx, a message for a plain post."""
    if request.htmx:
        return render_page(status=status, alert=message)
    messages.error(request, message)
    return render_page(status=status)


# ---------------------------------------------------------------- the cluster page


def _detail_context(request, cluster: VksCluster, tab: str) -> dict:
    user, ns = request.user, cluster.namespace
    nodes = selectors.cluster_nodes(cluster)
    role = namespace_role(user, ns)
    context = {
        "cluster": cluster,
        "namespace": ns,
        "tab": tab,
        "tabs": [(s, label, cluster_url(ns.name, cluster.name, s)) for s, label in CLUSTER_TABS],
        "live_url": cluster_url(ns.name, cluster.name, tab),
        "unsettled": selectors.cluster_is_unsettled(cluster),
        "ready": selectors.ready_condition(cluster),
        "role_label": Role(role).label if role else "",
        "can_edit": _may_edit(user, ns) and not cluster.is_deleting and not ns.is_deleting,
        "can_view_inventory": has(user, Privilege.VIEW),
        "compute_url": namespaces.namespace_url(ns.name, "compute"),
        "nodes": nodes,
    }
    if context["can_view_inventory"]:  # the navigator opens at the pool of its node VMs
        context["reveal"] = navigator.cluster_node(cluster)
    if tab == "summary":
        context["summary"] = selectors.cluster_summary(cluster, nodes)
        context["conditions"] = selectors.cluster_conditions(cluster)
    elif tab == "yaml":
        context["manifest"] = export_manifest(cluster, nodes=nodes)
    return context


@require_GET
@login_required
def cluster_detail(request, name: str, cluster: str, tab: str = "summary"):
    if tab not in dict(CLUSTER_TABS):
        raise Http404(f"A VKS cluster has no {tab!r} tab")
    polling = bool(request.htmx) and request.htmx.target == LIVE
    try:
        found = selectors.cluster_get(request.user, name, cluster)
    except Http404:
        if polling:  # deleted (or access withdrawn) while the page was open: back to the list
            return HttpResponseClientRedirect(namespaces.namespace_url(name, "compute"))
        raise
    context = _detail_context(request, found, tab)
    return render(request, partial(request, DETAIL_TEMPLATE, REGIONS), context)


def page_after(request, ns: Namespace, name: str, message: str, *, portal: bool = False):
    """After a change: the cluster's page (the Namespace's Compute tab once it is gone), with
    the Recent Tasks pane nudged to fetch the new task at once. From the developer portal: back
    to My clusters, whose cards htmx refreshes on `tasks-changed` (204 closes the dialog)."""
    if portal:
        if request.htmx:
            return trigger_client_event(
                trigger_client_event(HttpResponse(status=204), "task-started"), "tasks-changed"
            )
        if message:
            messages.info(request, message)
        return redirect(PORTAL_CLUSTERS)
    try:
        cluster = selectors.cluster_get(request.user, ns.name, name)
    except Http404:
        return namespaces._page_after(request, ns.name, "compute", message)
    url = cluster_url(ns.name, name)
    if not request.htmx:
        if message:
            messages.info(request, message)
        return redirect(url)
    response = render(
        request, f"{DETAIL_TEMPLATE}#main", _detail_context(request, cluster, "summary")
    )
    response = reswap(retarget(response, "#main"), "outerHTML")  # the page under the dialog
    return trigger_client_event(push_url(response, url), "task-started")


@require_GET
@login_required
def cluster_manifest(request, name: str, cluster: str):
    """The YAML tab's Download: `kubectl get cluster <name> -o yaml`, as a file."""
    found = selectors.cluster_get(request.user, name, cluster)
    text = export_manifest(found, nodes=selectors.cluster_nodes(found))
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.name}.yaml"'
    return response


@require_GET
@never_cache  # credentials: no browser or proxy keeps a copy (Cache-Control: no-store)
@login_required
def cluster_kubeconfig(request, name: str, cluster: str):
    """DOWNLOAD KUBECONFIG: the admin kubeconfig, for Can edit (bound to cluster-admin inside
    the cluster, as on a real Supervisor); 409 until the cluster has an API endpoint."""
    found = selectors.cluster_get(request.user, name, cluster)
    require_role(request.user, found.namespace, Role.EDIT)
    if not found.api_endpoint or not found.certificate_authority:
        message = (
            f"VKS cluster {found.name} has no API endpoint yet; its kubeconfig is available "
            "once the load balancer serves it."
        )
        if request.htmx:
            return refuse(request, ClusterStateError(message), "")
        messages.error(request, message)  # the download link is plain: the page, and why
        context = _detail_context(request, found, "summary")
        return render(request, DETAIL_TEMPLATE, context, status=409)
    text = kubeconfig(found, user=request.user, request=request)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.name}-kubeconfig.yaml"'
    return response


# ---------------------------------------------------------------- day-2 dialogs


@dataclass(frozen=True)
class Dialog:
    title: str
    submit: str
    fields: str  # the form's fields fragment
    names: tuple[str, ...] = ()  # its inputs, each showing its own errors
    danger: bool = False


DIALOGS = {
    "scale": Dialog(
        "Scale Node Pool", "Scale", "workloads/_cluster_scale_form.html", ("pool", "replicas")
    ),
    "pool-add": Dialog(
        "Add Node Pool",
        "Add",
        "workloads/_cluster_pool_form.html",
        ("name", "replicas", "vm_class", "storage_class"),
    ),
    "pool-remove": Dialog(
        "Remove Node Pool", "Remove", "workloads/_cluster_confirm.html", danger=True
    ),
    "upgrade": Dialog(
        "Upgrade VKS Cluster", "Upgrade", "workloads/_cluster_upgrade_form.html", ("version",)
    ),
    "delete": Dialog(
        "Delete VKS Cluster", "Delete", "workloads/_cluster_confirm.html", danger=True
    ),
}


def _field_of(key: str) -> str:
    """The form field an admission error belongs to (by its field path), or FORM."""
    if key == "spec.topology.version":
        return "version"
    if key.endswith(".replicas"):
        return "replicas"
    if key.endswith(".vmClass"):
        return "vm_class"
    if key.endswith(".storageClass"):
        return "storage_class"
    if re.search(r"nodePools\[\d+\]\.name$", key):
        return "name"
    if key in ("nodePools", "spec.topology.nodePools"):
        return "pool"
    return FORM


def dialog_errors(
    errors: Iterable[FieldError], names: tuple[str, ...], limits_at: str = ""
) -> dict:
    """Admission's field errors as {field: message}, plus FORM: [messages no field shows]. A
    message shown beside its field needs no field path in front (`beside`)."""
    shown: dict = {FORM: []}
    for error in errors:
        key = error.path
        field = limits_at if limits_at and key.startswith("limits") else _field_of(key)
        if field in names and field not in shown:
            shown[field] = error.beside()
        else:
            shown[FORM].append(error.text())
    return shown


def _pool_names(cluster: VksCluster) -> list[str]:
    return [p["name"] for p in cluster.spec["topology"]["nodePools"]]


def _pool_named(cluster: VksCluster, pool: str | None) -> dict | None:
    return next((p for p in cluster.spec["topology"]["nodePools"] if p["name"] == pool), None)


def unused_name(taken: set[str], pattern: str) -> str:
    """The first name `pattern.format(n)` (n = 1, 2, ...) that `taken` does not hold."""
    names = (pattern.format(n) for n in range(1, len(taken) + 2))
    return next(name for name in names if name not in taken)


def _scale_fields(request, cluster, pool, posted) -> dict:
    pools = cluster.spec["topology"]["nodePools"]
    if posted is not None:
        values = {"pool": posted.get("pool", ""), "replicas": posted.get("replicas", "")}
    else:
        chosen = _pool_named(cluster, request.GET.get("pool")) or (pools[0] if pools else None)
        values = {
            "pool": chosen["name"] if chosen else "",
            "replicas": str(chosen["replicas"]) if chosen else "",
        }
    return {"values": values, "pools": pools}


def _pool_add_fields(request, cluster, pool, posted) -> dict:
    ns = cluster.namespace
    cp = cluster.spec["topology"]["controlPlane"]
    keys = ("name", "replicas", "vm_class", "storage_class")
    if posted is not None:
        values = {k: posted.get(k, "") for k in keys}
    else:
        values = {
            "name": unused_name(set(_pool_names(cluster)), "node-pool-{}"),
            "replicas": "1",
            "vm_class": cp["vmClass"],
            "storage_class": cp["storageClass"],
        }
    vm_classes = selectors.namespace_vm_classes(ns)
    return {
        "values": values,
        "vm_classes": vm_classes,
        "vm_class_names": [c.name for c in vm_classes],
        "storage_classes": selectors.namespace_storage_classes(ns),
    }


def _upgrade_fields(request, cluster, pool, posted) -> dict:
    release, updates = selectors.cluster_release(cluster)
    chosen = posted.get("version", "") if posted is not None else ""
    return {
        "release": release,
        "updates": updates,
        "values": {"version": chosen or (updates[0].name if updates else "")},
    }


def _confirm_fields(request, cluster, pool, posted) -> dict:
    return {"pool": _pool_named(cluster, pool)}


FIELDS: dict[str, Callable] = {
    "scale": _scale_fields,
    "pool-add": _pool_add_fields,
    "pool-remove": _confirm_fields,
    "upgrade": _upgrade_fields,
    "delete": _confirm_fields,
}


def _apply_scale(request, cluster, pool):
    post = request.POST
    return cluster_scale(
        cluster=cluster,
        pool=post.get("pool", ""),
        replicas=form_number(post.get("replicas")),
        generation=_generation(post),
        user=request.user,
    )


def _apply_pool_add(request, cluster, pool):
    post = request.POST
    new = {
        "name": post.get("name", "").strip(),
        "replicas": form_number(post.get("replicas")),
        "vmClass": post.get("vm_class", ""),
        "storageClass": post.get("storage_class", ""),
    }
    return cluster_nodepool_add(
        cluster=cluster, pool=new, generation=_generation(post), user=request.user
    )


def _apply_pool_remove(request, cluster, pool):
    return cluster_nodepool_remove(
        cluster=cluster, pool=pool, generation=_generation(request.POST), user=request.user
    )


def _apply_upgrade(request, cluster, pool):
    post = request.POST
    return cluster_upgrade(
        cluster=cluster,
        version=post.get("version", "").strip(),
        generation=_generation(post),
        user=request.user,
    )


def _apply_delete(request, cluster, pool):
    return cluster_delete(cluster=cluster, generation=_generation(request.POST), user=request.user)


APPLY: dict[str, Callable] = {
    "scale": _apply_scale,
    "pool-add": _apply_pool_add,
    "pool-remove": _apply_pool_remove,
    "upgrade": _apply_upgrade,
    "delete": _apply_delete,
}
LIMITS_AT = {"scale": "replicas", "pool-add": "replicas"}  # quota messages: the count asked for
MESSAGES = {
    "scale": "Scale VKS cluster task queued.",
    "pool-add": "Update VKS cluster task queued.",
    "pool-remove": "Update VKS cluster task queued.",
    "upgrade": "Upgrade VKS cluster task queued.",
    "delete": "Delete VKS cluster task queued.",
}


def _from_portal(request) -> bool:
    return request.GET.get("from") == "portal"


def _back(request, cluster: VksCluster) -> str:
    """Where a dialog's Cancel (and a plain refusal) goes: the page it was opened from."""
    return (
        PORTAL_CLUSTERS
        if _from_portal(request)
        else cluster_url(cluster.namespace.name, cluster.name)
    )


def _render_dialog(
    request, cluster, kind, *, pool, posted=None, errors=None, status=200, alert=""
) -> HttpResponse:
    ns = cluster.namespace
    dialog = DIALOGS[kind]
    errors = errors or {FORM: []}
    fields = FIELDS[kind](request, cluster, pool, posted)
    context = {
        "cluster": cluster,
        "namespace": ns,
        "kind": kind,
        "dialog": dialog,
        "action": request.get_full_path(),
        "back": _back(request, cluster),
        "errors": errors,
        # The version of the cluster this change is made against: a stale one is refused (409).
        "hidden": [("generation", cluster.generation)],
        "dialog_alerts": dialogs.summary(alert, errors),
        "focus": "cancel" if dialog.danger else "",
        "submit_disabled": kind == "upgrade" and not fields.get("updates"),
        **fields,
    }
    return render(
        request, dialogs.dialog_template(request, DIALOG_TEMPLATE), context, status=status
    )


def _cluster_dialog(request, name: str, cluster_name: str, kind: str, pool: str | None = None):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    cluster = selectors.cluster_get(request.user, name, cluster_name)  # 404 without a role
    ns = cluster.namespace
    back = _back(request, cluster)
    try:
        require_role(request.user, ns, Role.EDIT)  # the service checks again on POST
        if cluster.is_deleting:
            raise ClusterStateError(f"VKS cluster {cluster.name} is being deleted.")
        if pool is not None and _pool_named(cluster, pool) is None:
            raise Http404(f'Node pool "{pool}" does not exist in cluster {cluster.name}.')
    except (PermissionDenied, ClusterStateError) as error:
        return refuse(request, error, back)
    if request.method == "GET":
        return _render_dialog(request, cluster, kind, pool=pool)
    names = DIALOGS[kind].names
    # Every input of the dialog, and the generation it was opened at: without it the post
    # would skip the stale-write check, so a form that lacks it is refused like any other.
    missing = missing_errors(request.POST, (*names, "generation"))
    if missing:
        errors = {FORM: [m for k, m in missing.items() if k not in names]}
        errors |= {k: m for k, m in missing.items() if k in names}
        return _render_dialog(
            request, cluster, kind, pool=pool, posted=request.POST, errors=errors, status=400
        )
    try:
        after = APPLY[kind](request, cluster, pool)
    except PermissionDenied as error:
        return refuse(request, error, back)
    except (ConflictError, ClusterStateError) as error:
        fresh = selectors.cluster_get(request.user, name, cluster_name)

        def page(status: int, alert: str = ""):
            return _render_dialog(request, fresh, kind, pool=pool, status=status, alert=alert)

        return refused(request, page, str(error))
    except SpecError as error:
        errors = dialog_errors(error.fields, DIALOGS[kind].names, LIMITS_AT.get(kind, ""))
        return _render_dialog(
            request, cluster, kind, pool=pool, posted=request.POST, errors=errors, status=400
        )
    changed = after.generation != cluster.generation
    message = MESSAGES[kind] if changed else "No settings were changed."
    return page_after(request, ns, cluster.name, message, portal=_from_portal(request))


def _dialog_view(kind: str) -> Callable:
    """The view of one dialog kind; urls.py names it (`pool` for a node pool's own)."""

    @login_required
    def view(request, name: str, cluster: str, pool: str | None = None):
        return _cluster_dialog(request, name, cluster, kind, pool)

    return view


cluster_scale_view = _dialog_view("scale")
cluster_pool_add = _dialog_view("pool-add")
cluster_pool_remove = _dialog_view("pool-remove")
cluster_upgrade_view = _dialog_view("upgrade")
cluster_delete_view = _dialog_view("delete")
