"""The two ways a VKS cluster comes in: the Create Cluster wizard and Apply YAML. Both end in
`cluster_create` (or, for a manifest naming an existing cluster,
`cluster_update_from_manifest`), whose admission messages are shown at their fields with 400;
nothing is stored until one succeeds."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.template.loader import render_to_string

from inventory.forms import MISSING, missing_errors
from inventory.views import partial
from vksportal.errors import FieldError
from workloads import selectors
from workloads.access import Role, require_role
from workloads.cluster_objects import export_manifest
from workloads.manifests import (
    CNIS,
    DEFAULT_CLUSTER_CLASS,
    DEFAULTS,
    OS_IMAGES,
    PUBLIC_CLASS_NAMESPACE,
    manifest_document,
    parse_manifest,
)
from workloads.models import Namespace
from workloads.quota import Fit, cluster_quota, cluster_that_fits
from workloads.services.clusters import (
    ClusterStateError,
    ConflictError,
    cluster_create,
    cluster_create_from_manifest,
    cluster_update_from_manifest,
)
from workloads.specs import SpecError
from workloads.views import namespaces
from workloads.views.clusters import (
    form_number,
    page_after,
    refused,
    unused_name,
)
from workloads.views.common import refuse

CREATE_TEMPLATE = "workloads/cluster_create.html"
APPLY_TEMPLATE = "workloads/cluster_apply.html"
APPLY_ECHO_LIMIT = 64 * 1024  # characters of a refused manifest shown back for correction


# ---------------------------------------------------------------- Create Cluster wizard


WIZARD_FIELDS = {  # admission's field paths -> the wizard's fields
    "metadata.name": "name",
    "spec.topology.version": "version",
    "spec.topology.controlPlane.replicas": "cp_replicas",
    "spec.topology.controlPlane.vmClass": "cp_vm_class",
    "spec.topology.controlPlane.storageClass": "cp_storage_class",
    "spec.topology.controlPlane.osImage": "os_image",
    "spec.topology.nodePools": "pools",
    "spec.network.cni": "cni",
    "spec.network.pods": "pods_cidr",
    "spec.network.services": "services_cidr",
    "spec.network.serviceDomain": "service_domain",
}
POOL_FIELD = re.compile(
    r"^spec\.topology\.nodePools\[(\d+)\]\.(name|replicas|vmClass|storageClass)$"
)
POOL_KEYS = {
    "name": "name",
    "replicas": "replicas",
    "vmClass": "vm_class",
    "storageClass": "storage_class",
}
SCALAR_FIELDS = (
    "name",
    "version",
    "os_image",
    "cp_replicas",
    "cp_vm_class",
    "cp_storage_class",
    "cni",
    "pods_cidr",
    "services_cidr",
    "service_domain",
)


PREFERRED_VM_CLASS = "best-effort-small"  # VMware's examples' class


def _os_image(releases) -> str:
    """The default node OS if the newest release has an image of it, else one it has."""
    images = releases[0].os_images if releases else ()
    offered = [
        o for o in (DEFAULTS["osImage"], *OS_IMAGES) if any(i.startswith(f"{o}-") for i in images)
    ]
    return offered[0] if offered else DEFAULTS["osImage"]


def _sample(ns: Namespace, vm_classes, storage_classes) -> tuple[Fit | None, str]:
    """The largest sample cluster (`cluster_that_fits`) on the namespace's first storage class,
    and that class."""
    storage_class = storage_classes[0] if storage_classes else ""
    fit = cluster_that_fits(
        ns, vm_classes=vm_classes, storage_class=storage_class, preferred=PREFERRED_VM_CLASS
    )
    return fit, storage_class


def _wizard_defaults(ns: Namespace, releases, vm_classes, storage_classes) -> dict:
    """VMware's sample cluster, with as many workers (up to three) and as small a VM class as
    it takes to fit what the namespace has left (when nothing does, the smallest such cluster,
    and the Namespace Quota region says why it does not fit)."""
    fit, storage_class = _sample(ns, vm_classes, storage_classes)
    vm_class, workers = (fit.vm_class, fit.workers) if fit is not None else ("", 3)
    return {
        "name": "",
        "version": releases[0].name if releases else "",
        "os_image": _os_image(releases),
        "cp_replicas": "1",
        "cp_vm_class": vm_class,
        "cp_storage_class": storage_class,
        "pools": [
            {
                "name": "node-pool-1",
                "replicas": str(workers),
                "vm_class": vm_class,
                "storage_class": storage_class,
            }
        ],
        "cni": DEFAULTS["cni"],
        "pods_cidr": DEFAULTS["pods"][0],
        "services_cidr": DEFAULTS["services"][0],
        "service_domain": DEFAULTS["serviceDomain"],
    }


def _wizard_posted(post) -> dict:
    values = {k: (post.get(k) or "").strip() for k in SCALAR_FIELDS}
    columns = [post.getlist(f"pool_{k}") for k in ("name", "replicas", "vm_class", "storage_class")]
    values["pools"] = [
        {"name": n.strip(), "replicas": r.strip(), "vm_class": v, "storage_class": s}
        for n, r, v, s in zip(*columns, strict=False)
    ]
    return values


def _incomplete(post) -> dict[str, str]:
    """Admission-style errors for a CREATE post that lacks a field of the page, or a column of
    a node pool row (a pool cut short must not become another pool): nothing is created."""
    at = {name: path for path, name in WIZARD_FIELDS.items()}
    errors = {at.get(k, k): m for k, m in missing_errors(post, SCALAR_FIELDS).items()}
    columns = {f"pool_{k}": len(post.getlist(f"pool_{k}")) for k in POOL_KEYS.values()}
    for name, count in columns.items():
        if count < max(columns.values()):
            errors.setdefault("spec.topology.nodePools", MISSING.format(name))
    return errors


def _wizard_spec(values: dict) -> dict:
    """The normalised spec (VksCluster's docstring) the wizard's fields describe."""
    return {
        "topology": {
            "version": values["version"],
            "controlPlane": {
                "replicas": form_number(values["cp_replicas"]),
                "vmClass": values["cp_vm_class"],
                "storageClass": values["cp_storage_class"],
                "osImage": values["os_image"],
            },
            "nodePools": [
                {
                    "name": p["name"],
                    "replicas": form_number(p["replicas"]),
                    "vmClass": p["vm_class"],
                    "storageClass": p["storage_class"],
                }
                for p in values["pools"]
            ],
        },
        "network": {
            "cni": values["cni"],
            "pods": [values["pods_cidr"]] if values["pods_cidr"] else [],
            "services": [values["services_cidr"]] if values["services_cidr"] else [],
            "serviceDomain": values["service_domain"],
        },
    }


def wizard_errors(errors: Iterable[FieldError]) -> tuple[dict, dict[int, dict], list[str]]:
    """Admission's field errors as (field messages, {pool row: field messages}, the rest);
    beside its field a message needs no path in front (`beside`)."""
    fields: dict[str, str] = {}
    rows: dict[int, dict] = {}
    rest: list[str] = []
    for error in errors:
        key = error.path
        pool = POOL_FIELD.match(key)
        if pool:
            row = rows.setdefault(int(pool[1]), {})
            row.setdefault(POOL_KEYS[pool[2]], error.beside())
        elif key in WIZARD_FIELDS:
            fields.setdefault(WIZARD_FIELDS[key], error.beside())
        else:
            rest.append(error.text())
    return fields, rows, rest


def _wizard_page(request, ns: Namespace, *, values=None, errors=None, status=200, alert=""):
    releases = selectors.namespace_releases(ns)
    vm_classes = selectors.namespace_vm_classes(ns)
    storage_classes = selectors.namespace_storage_classes(ns)
    if values is None:
        values = _wizard_defaults(ns, releases, vm_classes, storage_classes)
    fields, row_errors, rest = wizard_errors(errors or ())
    pools = [{**p, "errors": row_errors.get(i, {})} for i, p in enumerate(values["pools"])]
    context = {
        **_preview_context(request, ns, values),
        "values": values,
        "pools": pools,
        "errors": fields,
        "form_errors": rest,
        "alert": alert,
        "releases": releases,
        "release_names": [r.name for r in releases],
        "vm_classes": vm_classes,
        "vm_class_names": [c.name for c in vm_classes],
        "storage_classes": storage_classes,
        "os_images": OS_IMAGES,
        "cnis": CNIS,
        "cluster_class": DEFAULT_CLUSTER_CLASS,
    }
    return render(request, partial(request, CREATE_TEMPLATE, ("main",)), context, status=status)


def _preview_context(request, ns: Namespace, values: dict) -> dict:
    """The Namespace Quota region's: the cluster as typed against the namespace's limits, by
    admission's own computation. Create is disabled while it does not fit only where htmx
    refreshes the region as the fields change; without it the submit refuses with the same
    message."""
    quota = cluster_quota(namespace=ns, spec=_wizard_spec(values))
    return {
        "namespace": ns,
        "quota": quota,
        "create_blocked": bool(request.htmx) and not quota.fits,
        "action": request.get_full_path(),
        "back": namespaces.namespace_url(ns.name, "compute"),
    }


def _wizard_preview(request, ns: Namespace, values: dict):
    """The Namespace Quota region for the fields as typed, and the Create button (out of
    band): the wizard asks for it 300 ms after a change."""
    context = _preview_context(request, ns, values)
    return render(request, f"{CREATE_TEMPLATE}#quota-preview-response", context)


def _namespace_for_edit(request, name: str) -> tuple[Namespace, HttpResponse | None]:
    ns = selectors.namespace_get(request.user, name)  # 404 without a role
    try:
        require_role(request.user, ns, Role.EDIT)
    except PermissionDenied as error:
        return ns, refuse(request, error, namespaces.namespace_url(ns.name, "compute"))
    return ns, None


@login_required
def cluster_create_view(request, name: str):
    """CREATE CLUSTER: one page of sections. "Add node pool" and "Remove" post the form back
    to show one row more or less; Create builds the spec and calls `cluster_create`."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    ns, denied = _namespace_for_edit(request, name)
    if denied is not None:
        return denied
    if request.method == "GET":
        return _wizard_page(request, ns)
    values = _wizard_posted(request.POST)
    op = request.POST.get("op", "create")
    if op == "preview":
        return _wizard_preview(request, ns, values)
    if op == "add-pool":
        taken = {p["name"] for p in values["pools"]}
        last = values["pools"][-1] if values["pools"] else {}
        values["pools"].append(
            {
                "name": unused_name(taken, "node-pool-{}"),
                "replicas": "1",
                "vm_class": last.get("vm_class", values["cp_vm_class"]),
                "storage_class": last.get("storage_class", values["cp_storage_class"]),
            }
        )
        return _wizard_page(request, ns, values=values)
    if op.startswith("remove-pool-"):
        index = op.removeprefix("remove-pool-")
        if index.isdigit() and int(index) < len(values["pools"]):
            del values["pools"][int(index)]
        return _wizard_page(request, ns, values=values)
    if errors := _incomplete(request.POST):
        return _wizard_page(request, ns, values=values, errors=SpecError(errors).fields, status=400)
    try:
        cluster = cluster_create(
            namespace=ns,
            name=values["name"],
            spec=_wizard_spec(values),
            kind="Cluster",
            cluster_class=DEFAULT_CLUSTER_CLASS,
            user=request.user,
        )
    except PermissionDenied as error:
        return refuse(request, error, namespaces.namespace_url(ns.name, "compute"))
    except ClusterStateError as error:

        def page(status: int, alert: str = ""):
            return _wizard_page(request, ns, values=values, status=status, alert=alert)

        return refused(request, page, str(error))
    except SpecError as error:
        return _wizard_page(request, ns, values=values, errors=error.fields, status=400)
    return page_after(request, ns, cluster.name, "Create VKS cluster task queued.")


# ---------------------------------------------------------------- Apply YAML


EXAMPLES = {
    "example-tkc": "workloads/examples/tanzukubernetescluster.yaml",
    "example-cluster": "workloads/examples/cluster.yaml",
}


def example_manifest(ns: Namespace, which: str) -> tuple[str, str]:
    """(manifest, "") as VMware's docs write it, filled with what this namespace offers: its
    newest compatible release, a node image that release has, its first storage class, and the
    largest sample cluster its remaining quota admits (`cluster_that_fits`), under a name not
    taken yet. ("", why) when nothing the namespace offers would be admitted."""
    releases = selectors.namespace_releases(ns)
    vm_classes = selectors.namespace_vm_classes(ns)
    storage_classes = selectors.namespace_storage_classes(ns)
    if not releases:
        return "", (
            f"Namespace {ns.name} offers no Kubernetes release this Supervisor can run: ask an "
            "administrator to add a content library with one."
        )
    if not vm_classes or not storage_classes:
        missing = "VM class" if not vm_classes else "storage policy"
        return "", (
            f"Namespace {ns.name} has no {missing} for cluster nodes: ask an administrator to "
            f"add one to the namespace."
        )
    fit, storage_class = _sample(ns, vm_classes, storage_classes)
    if not fit.quota.fits:
        return "", (
            f"Even the smallest cluster (one control plane node and one worker of "
            f"{fit.vm_class}) does not fit in namespace {ns.name}: "
            + " ".join(line.refusal for line in fit.quota.refusals)
        )
    taken = selectors.namespace_cluster_names(ns)
    context = {
        "name": unused_name(taken, "tkc-{:02d}" if which == "example-tkc" else "cluster-{:02d}"),
        "namespace": ns.name,
        "release": releases[0].name,
        "os_image": _os_image(releases),
        "vm_class": fit.vm_class,
        "workers": fit.workers,
        "storage_class": storage_class,
        "cluster_class": DEFAULT_CLUSTER_CLASS,
        "class_namespace": PUBLIC_CLASS_NAMESPACE,
        "defaults": DEFAULTS,
    }
    return render_to_string(EXAMPLES[which], context), ""


def _manifest_generation(text: str) -> int | None:
    """`metadata.generation` of an applied manifest (an exported one carries it), if given: the
    version the change was made against. The manifest parsed already, so this does too."""
    document = manifest_document(text)
    metadata = document.get("metadata") if document is not None else None
    generation = metadata.get("generation") if isinstance(metadata, dict) else None
    return generation if isinstance(generation, int) and not isinstance(generation, bool) else None


def apply_errors(errors: Iterable[FieldError]) -> list[tuple[str, str]]:
    """(field path, message without the path) for each problem."""
    return [(error.path, error.beside()) for error in errors]


def _apply_page(
    request, ns: Namespace, *, text="", errors=None, status=200, alert="", no_example=""
):
    if len(text) > APPLY_ECHO_LIMIT:  # an error page stays small, whatever was posted
        text = ""
    context = {
        "namespace": ns,
        "text": text,
        "errors": apply_errors(errors or ()),
        "no_example": no_example,
        "alert": alert,
        "action": request.get_full_path(),
        "back": namespaces.namespace_url(ns.name, "compute"),
        "examples": (
            ("example-tkc", "TanzuKubernetesCluster (v1alpha3)"),
            ("example-cluster", f"Cluster (v1beta1, {DEFAULT_CLUSTER_CLASS})"),
        ),
    }
    return render(request, partial(request, APPLY_TEMPLATE, ("main",)), context, status=status)


def _uploaded_text(request) -> tuple[str | None, str]:
    """The uploaded file's text (None if no file), or an error message."""
    upload = request.FILES.get("file")
    if upload is None:
        return None, ""
    if upload.size > 1024 * 1024:
        return "", "The file is larger than 1 MB; a cluster manifest is a few kilobytes."
    try:
        return upload.read().decode("utf-8"), ""
    except UnicodeDecodeError:
        return "", f"{upload.name} is not a UTF-8 text file."


@login_required
def cluster_apply_view(request, name: str):
    """APPLY YAML: `kubectl apply -f` for one cluster manifest. A new name creates the cluster;
    an existing one of the same kind is updated (against `metadata.generation` if the manifest
    gives one)."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    ns, denied = _namespace_for_edit(request, name)
    if denied is not None:
        return denied
    if request.method == "GET":
        text = ""
        source = request.GET.get("cluster")
        if source:  # "Edit and apply" from a cluster's YAML tab
            existing = selectors.cluster_get(request.user, ns.name, source)
            text = export_manifest(existing, nodes=selectors.cluster_nodes(existing))
        return _apply_page(request, ns, text=text)
    op = request.POST.get("op", "apply")
    text = request.POST.get("manifest", "")
    if op in EXAMPLES:
        example, why_none = example_manifest(ns, op)
        return _apply_page(request, ns, text=example or text, no_example=why_none)
    uploaded, problem = _uploaded_text(request)
    if problem:
        errors = SpecError({"file": problem}).fields
        return _apply_page(request, ns, text=text, errors=errors, status=400)
    if uploaded is not None:
        text = uploaded
    try:
        manifest = parse_manifest(text, namespace_name=ns.name)
        existing = selectors.cluster_find(ns, manifest.name)
        if existing is not None and existing.kind == manifest.kind:
            before = existing.generation
            cluster = cluster_update_from_manifest(
                cluster=existing,
                manifest=manifest,
                generation=_manifest_generation(text),
                user=request.user,
            )
            changed = cluster.generation != before
            message = "Update VKS cluster task queued." if changed else "No settings were changed."
        else:  # a new name, or another kind's: admission says whether the name is free
            cluster = cluster_create_from_manifest(
                namespace=ns, manifest=manifest, user=request.user
            )
            message = "Create VKS cluster task queued."
    except PermissionDenied as error:
        return refuse(request, error, namespaces.namespace_url(ns.name, "compute"))
    except (ConflictError, ClusterStateError) as error:

        def page(status: int, alert: str = ""):
            return _apply_page(request, ns, text=text, status=status, alert=alert)

        return refused(request, page, str(error))
    except SpecError as error:
        return _apply_page(request, ns, text=text, errors=error.fields, status=400)
    return page_after(request, ns, cluster.name, message)
