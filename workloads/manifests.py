"""VKS cluster manifests: the YAML people copy from VMware's docs, in and out.

`parse_manifest` reads a `run.tanzu.vmware.com/v1alpha3` TanzuKubernetesCluster or a
`cluster.x-k8s.io/v1beta1` Cluster built from a ClusterClass (`tanzukubernetescluster` or
`builtin-generic-v3.x.y`) into the one normalised spec a VksCluster stores (see its docstring),
filling the defaults the real product fills. It checks the manifest's shape and types only, with
the API server's messages (`<field path>: Invalid value: "x": must be an integer`); whether the
values are allowed in the namespace is admission's business (workloads.admission), which every
front door runs on the normalised spec.

The way back out, a cluster as `kubectl get ... -o yaml` shows it, is workloads.cluster_objects;
parse(export(x)) gives x's spec.

Fields the simulator does not model (volumes, labels, taints, proxy, trust, failureDomain...)
are accepted as the real API server accepts them: the manifest's `spec` is kept as written
(`ClusterManifest.written`), so they come back unchanged, and play no part in the simulation.
Labels and annotations are kept likewise. One convenience has
no counterpart in the real ClusterClasses: a Cluster may name its CNI in a `cni` variable
(`antrea`, the default, or `calico`); the real product selects it in a separate ClusterBootstrap.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import yaml

from vksportal.errors import DomainError, ErrorKind, FieldError, FieldErrors, SpecError, value_text
from vksportal.untrusted import InputError, load_yaml
from workloads.models import Namespace
from workloads.releases import release_name, releases_in

__all__ = ["FieldErrors", "value_text"]  # with the parser: how its field errors are worded

TKC_API_VERSION = "run.tanzu.vmware.com/v1alpha3"
TKC_KIND = "TanzuKubernetesCluster"
CLUSTER_API_VERSION = "cluster.x-k8s.io/v1beta1"
CLUSTER_KIND = "Cluster"
KINDS = {CLUSTER_KIND: CLUSTER_API_VERSION, TKC_KIND: TKC_API_VERSION}
RESOURCES = {  # what `kubectl` calls them in messages: <plural>.<group>
    CLUSTER_KIND: "clusters.cluster.x-k8s.io",
    TKC_KIND: "tanzukubernetesclusters.run.tanzu.vmware.com",
}

# The ClusterClasses a Supervisor offers: the TKG Service 2.x/3.0 class, present in every user
# namespace, and the VKS 3.x classes in vmware-system-vks-public (VKS-REFERENCE §2.2).
TKC_CLASS = "tanzukubernetescluster"
PUBLIC_CLASS_NAMESPACE = "vmware-system-vks-public"
BUILTIN_CLASSES = tuple(f"builtin-generic-v3.{minor}.0" for minor in range(1, 8))
CLUSTER_CLASSES = (TKC_CLASS, *BUILTIN_CLASSES)
DEFAULT_CLUSTER_CLASS = "builtin-generic-v3.4.0"  # the docs' example, and the wizard's
WORKER_CLASS = "node-pool"  # the one MachineDeploymentClass of every VKS ClusterClass

OS_IMAGE_ANNOTATION = "run.tanzu.vmware.com/resolve-os-image"
OS_IMAGES = ("photon", "ubuntu")
CNIS = ("antrea", "calico")
API_SERVER_PORT = 6443
DEFAULTS = {  # as the real product fills them (VKS-REFERENCE §2.1)
    "cni": "antrea",
    "pods": ["192.168.0.0/16"],
    "services": ["10.96.0.0/12"],
    "serviceDomain": "cluster.local",
    "controlPlaneReplicas": 1,
    "nodePoolReplicas": 1,  # replicas left out: the MachineDeployment starts with one
    "osImage": "photon",
}


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True)
class ClusterManifest:
    name: str
    api_version: str
    kind: str
    cluster_class: str  # topology.class of a Cluster; "" for a TanzuKubernetesCluster
    spec: dict = field(hash=False)  # normalised (VksCluster's docstring)
    # The node pools (by name) and CONTROL_PLANE whose replicas the manifest leaves out: the
    # spec holds the starting count, an update keeps the running one (`spec_for_update`).
    replicas_unset: frozenset[str] = frozenset()
    # What the API server stores besides: metadata's labels and annotations (kubectl's
    # last-applied-configuration among them) and the `spec` as written, unmodelled fields too.
    labels: dict = field(default_factory=dict, hash=False)
    annotations: dict = field(default_factory=dict, hash=False)
    written: dict = field(default_factory=dict, hash=False)


# Where a path of the normalised spec (admission's) is in a manifest of each kind, so an error
# names the field as the manifest writes it: (pattern, replacement), the first that matches.
_AS_WRITTEN = {
    TKC_KIND: (
        (r"^spec\.network\.(services|pods)\b", r"spec.settings.network.\1.cidrBlocks"),
        (r"^spec\.network\.cni\b", "spec.settings.network.cni.name"),
        (r"^spec\.network\b", "spec.settings.network"),
        (r"^spec\.topology\.version\b", "spec.topology.controlPlane.tkr.reference.name"),
        (
            r"^spec\.topology\.controlPlane\.osImage\b",
            f"metadata.annotations[{OS_IMAGE_ANNOTATION}]",
        ),
    ),
    CLUSTER_KIND: (
        (r"^spec\.network\.(services|pods)\b", r"spec.clusterNetwork.\1.cidrBlocks"),
        (r"^spec\.network\.cni\b", "spec.topology.variables[cni].value"),
        (r"^spec\.network\b", "spec.clusterNetwork"),
        (
            r"^spec\.topology\.nodePools(\[\d+\])\.(vmClass|storageClass)\b",
            r"spec.topology.workers.machineDeployments\1.variables.overrides[\2]",
        ),
        (r"^spec\.topology\.nodePools\b", "spec.topology.workers.machineDeployments"),
        (
            r"^spec\.topology\.controlPlane\.(vmClass|storageClass)\b",
            r"spec.topology.variables[\1].value",
        ),
        (
            r"^spec\.topology\.controlPlane\.osImage\b",
            f"spec.topology.controlPlane.metadata.annotations[{OS_IMAGE_ANNOTATION}]",
        ),
    ),
}


def as_written(error: SpecError, kind: str) -> SpecError:
    """The error with each field named as a manifest of `kind` writes it (admission checks the
    normalised spec: `spec.network.services` is a TKC's `spec.settings.network.services.
    cidrBlocks`)."""
    rules = _AS_WRITTEN.get(kind, ())

    def written(path: str) -> str:
        for pattern, replacement in rules:
            renamed, count = re.subn(pattern, replacement, path, count=1)
            if count:
                return renamed
        return path

    fields = [dataclasses.replace(f, path=written(f.path)) for f in error.fields]
    if fields == list(error.fields):
        return error
    return SpecError(fields, kind=error.kind, target=error.target)


MANIFEST = "manifest"  # where problems with the document itself are shown
CONTROL_PLANE = "controlPlane"  # in replicas_unset; no pool has the name (not a DNS label)
POOL_PATHS = {  # where a kind lists its node pools
    CLUSTER_KIND: "spec.topology.workers.machineDeployments",
    TKC_KIND: "spec.topology.nodePools",
}


class _Reader:
    """Typed reads of a decoded manifest that note a field error and return a fallback."""

    def __init__(self) -> None:
        self.errors = FieldErrors()
        self.defaulted: set[str] = set()  # paths of the integers left out (or null)

    def get(self, obj: dict, key: str, path: str, kind: type | tuple, *, required=False):
        if not isinstance(obj, dict) or key not in obj or obj[key] is None:
            if required and not self._parent_failed(path):
                self.errors.required(path)
            return None
        value = obj[key]
        if not _is(value, kind):
            self.errors.invalid(path, value, _must_be(kind))
            return None
        return value

    def _parent_failed(self, path: str) -> bool:
        """A missing or mistyped parent was reported already: its children go unmentioned."""
        return any(path.startswith((f"{k}.", f"{k}[")) for k in self.errors)

    def mapping(self, obj: dict, key: str, path: str, *, required=False) -> dict:
        return self.get(obj, key, path, dict, required=required) or {}

    def items(self, obj: dict, key: str, path: str, *, required=False) -> list:
        return self.get(obj, key, path, list, required=required) or []

    def text(self, obj: dict, key: str, path: str, *, required=False) -> str:
        return self.get(obj, key, path, str, required=required) or ""

    def integer(self, obj: dict, key: str, path: str, default: int) -> int:
        value = self.get(obj, key, path, int)
        if value is None and path not in self.errors:
            self.defaulted.add(path)
        return default if value is None else value

    def strings(self, obj: dict, key: str, path: str) -> list[str] | None:
        values = self.get(obj, key, path, list)
        if values is None:
            return None
        for value in values:
            if not isinstance(value, str):
                self.errors.invalid(path, values, "must be a list of strings")
                return None
        return values


def _is(value, kind) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):  # YAML's `yes`/`true` are not integers, whatever Python says
        return bool in kinds
    return isinstance(value, kinds)


def _must_be(kind) -> str:
    return {
        int: "must be an integer",
        str: "must be a string",
        list: "must be a list",
        dict: "must be an object",
    }.get(kind, "has the wrong type")


def parse_manifest(text: str, *, namespace_name: str) -> ClusterManifest:
    """The cluster a YAML manifest asks for, applied in `namespace_name`, with the real
    defaults filled in. A version given as a Kubernetes version (`v1.32.7+vmware.3-fips`, even
    `v1.32`) resolves to the newest matching release of the namespace's library, as the TKr
    resolver does. Raises SpecError keyed by the manifest's field paths (`manifest` for
    problems with the document itself)."""
    return parse_document(_document(text), namespace_name=namespace_name)


def parse_document(obj: dict, *, namespace_name: str) -> ClusterManifest:
    """`parse_manifest` of a manifest already decoded (a Kubernetes API request's body)."""
    if not isinstance(obj, dict):
        raise SpecError({"manifest": "the object is not a map (apiVersion, kind, metadata, spec)"})
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not kind:
        raise SpecError({"kind": "Object 'Kind' is missing in the manifest"})
    if not api_version:
        raise SpecError({"apiVersion": "Object 'apiVersion' is missing in the manifest"})
    if not isinstance(kind, str) or KINDS.get(kind) != api_version:
        raise SpecError(
            {
                "kind": f"no matches for kind {value_text(str(kind))} in version "
                f"{value_text(str(api_version))}"
            }
        )
    r = _Reader()
    metadata = r.mapping(obj, "metadata", "metadata", required=True)
    name = r.text(metadata, "name", "metadata.name")
    if "metadata.name" not in r.errors and not name:
        r.errors.required("metadata.name", "name or generateName is required")
    namespace = r.text(metadata, "namespace", "metadata.namespace")
    if namespace and namespace != namespace_name:
        r.errors.add(
            "metadata.namespace",
            f'the namespace from the provided object "{namespace}" does not match the '
            f"namespace \"{namespace_name}\". You must pass '--namespace={namespace}' to "
            "perform this operation.",
        )
    labels = _string_map(r, metadata, "labels", label_values=True)
    annotations = _string_map(r, metadata, "annotations")
    spec_obj = r.mapping(obj, "spec", "spec", required=True)
    if kind == TKC_KIND:
        spec, cluster_class = _tkc_spec(r, metadata, spec_obj), ""
    else:
        spec, cluster_class = _cluster_spec(r, metadata, spec_obj, namespace_name)
    r.errors.check()
    spec["topology"]["version"] = resolve_version(
        spec["topology"]["version"], namespace_name=namespace_name
    )
    pools = enumerate(spec["topology"]["nodePools"])  # in the manifest's order, every one
    unset = {p["name"] for i, p in pools if f"{POOL_PATHS[kind]}[{i}].replicas" in r.defaulted}
    if "spec.topology.controlPlane.replicas" in r.defaulted:
        unset.add(CONTROL_PLANE)
    return ClusterManifest(
        name=name,
        api_version=api_version,
        kind=kind,
        cluster_class=cluster_class,
        spec=spec,
        replicas_unset=frozenset(unset),
        labels=labels,
        annotations=annotations,
        written=copy.deepcopy(spec_obj),
    )


def spec_for_update(manifest: ClusterManifest, current: dict) -> dict:
    """The manifest's spec as a replacement of `current`: where it leaves a count of replicas
    out, the running count stays. Cluster API reads an unset count as managed elsewhere (the
    autoscaler) and leaves the MachineDeployment alone; only a new pool starts with one. So a
    manifest without counts never scales a cluster down, while an explicit 0 still does."""
    spec = copy.deepcopy(manifest.spec)
    topology, running = spec["topology"], current["topology"]
    if CONTROL_PLANE in manifest.replicas_unset:
        topology["controlPlane"]["replicas"] = running["controlPlane"]["replicas"]
    counts = {p["name"]: p["replicas"] for p in running["nodePools"]}
    for pool in topology["nodePools"]:
        if pool["name"] in manifest.replicas_unset and pool["name"] in counts:
            pool["replicas"] = counts[pool["name"]]
    return spec


def _unreadable(text: str) -> SpecError:
    """The body is not one object to validate (a bad request), shown at the manifest."""
    return SpecError([FieldError.worded(MANIFEST, text)], kind=ErrorKind.BAD_REQUEST, message=text)


def _document(text: str) -> dict:
    try:
        documents = load_yaml(text or "")
    except yaml.YAMLError as error:
        raise _unreadable(_yaml_message(error)) from None
    except InputError as error:  # an alias, too deep, too big, a NUL: refused before reading
        raise _unreadable(f"error parsing YAML: {error.message}") from None
    if not documents:
        raise _unreadable("error: no objects passed to apply")
    if len(documents) > 1:
        raise _unreadable(
            f"The manifest holds {len(documents)} documents; apply one cluster at a time."
        )
    if not isinstance(documents[0], dict):
        raise _unreadable(
            "error parsing YAML: the document is not an object (apiVersion, kind, metadata, spec)"
        )
    return documents[0]


def manifest_document(text: str) -> dict | None:
    """The manifest's one object, for a first look (names, versions) before `parse_manifest`,
    or None: `parse_manifest` then says what is wrong with it."""
    try:
        return _document(text)
    except DomainError:
        return None


def _yaml_message(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return f"error parsing YAML: error converting YAML to JSON: yaml: {where}{problem}"


# ObjectMeta's rules (apimachinery's ValidateLabels / ValidateAnnotations), in their words.
_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
ANNOTATIONS_MAX_BYTES = 256 * 1024


def _key_problem(key: str) -> str:
    prefix, slash, name = key.rpartition("/")
    if "/" in prefix:
        return "a qualified name must consist of an optional DNS subdomain prefix and a name"
    if slash and not prefix:
        return "prefix part must be non-empty"
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return "prefix part must be a lowercase RFC 1123 subdomain"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _NAME_PART.match(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character"
        )
    return ""


def _string_map(r: _Reader, metadata: dict, key: str, *, label_values: bool = False) -> dict:
    """metadata.labels or metadata.annotations: a map of strings with well-formed keys (and,
    for labels, values). Kept as given; the API returns them as they were written."""
    path = f"metadata.{key}"
    found = r.mapping(metadata, key, path)
    for name, value in found.items():
        if not isinstance(value, str):
            r.errors.invalid(path, value, "must be a string")
        elif problem := _key_problem(name):
            r.errors.invalid(path, name, problem)
        elif label_values and (len(value) > 63 or not _LABEL_VALUE.match(value)):
            r.errors.invalid(
                path,
                value,
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character, and "
                "be no more than 63 characters",
            )
    if not label_values and found:
        size = sum(len(k) + len(v) for k, v in found.items() if isinstance(v, str))
        if size > ANNOTATIONS_MAX_BYTES:
            r.errors.invalid(path, "", f"may not be more than {ANNOTATIONS_MAX_BYTES} bytes")
    return dict(found) if path not in r.errors else {}


def _os_image(r: _Reader, annotations: dict, path: str) -> str | None:
    value = annotations.get(OS_IMAGE_ANNOTATION) if isinstance(annotations, dict) else None
    if value is None:
        return None
    key, _, os_name = str(value).partition("=")
    if key.strip() != "os-name" or os_name.strip() not in OS_IMAGES:
        r.errors.unsupported(
            f"{path}[{OS_IMAGE_ANNOTATION}]", value, tuple(f"os-name={o}" for o in OS_IMAGES)
        )
        return None
    return os_name.strip()


def _cidr_blocks(r: _Reader, network: dict, key: str, path: str) -> list[str] | None:
    section = r.mapping(network, key, f"{path}.{key}")
    return r.strings(section, "cidrBlocks", f"{path}.{key}.cidrBlocks")


def _network(
    cni: str, pods: list[str] | None, services: list[str] | None, domain: str
) -> dict[str, Any]:
    return {
        "cni": cni or DEFAULTS["cni"],
        "pods": list(DEFAULTS["pods"]) if pods is None else pods,
        "services": list(DEFAULTS["services"]) if services is None else services,
        "serviceDomain": domain or DEFAULTS["serviceDomain"],
    }


def _tkc_spec(r: _Reader, metadata: dict, spec: dict) -> dict:
    topology = r.mapping(spec, "topology", "spec.topology", required=True)
    p = "spec.topology.controlPlane"
    cp = r.mapping(topology, "controlPlane", p, required=True)
    version = _tkr(r, cp, p, required=isinstance(topology.get("controlPlane"), dict))
    control_plane = {
        "replicas": r.integer(cp, "replicas", f"{p}.replicas", DEFAULTS["controlPlaneReplicas"]),
        "vmClass": r.text(cp, "vmClass", f"{p}.vmClass", required=True),
        "storageClass": r.text(cp, "storageClass", f"{p}.storageClass", required=True),
        "osImage": _os_image(
            r, r.mapping(metadata, "annotations", "metadata.annotations"), "metadata.annotations"
        )
        or DEFAULTS["osImage"],
    }
    pools = []
    for i, pool in enumerate(
        r.items(topology, "nodePools", "spec.topology.nodePools", required=True)
    ):
        pp = f"spec.topology.nodePools[{i}]"
        if not isinstance(pool, dict):
            r.errors.invalid(pp, pool, "must be an object")
            continue
        pool_version = _tkr(r, pool, pp)
        if pool_version and version and release_name(pool_version) != release_name(version):
            r.errors.invalid(
                f"{pp}.tkr.reference.name",
                pool_version,
                f"node pools must run the control plane's Kubernetes release {version}",
            )
        pools.append(
            {
                "name": r.text(pool, "name", f"{pp}.name", required=True),
                "replicas": r.integer(
                    pool, "replicas", f"{pp}.replicas", DEFAULTS["nodePoolReplicas"]
                ),
                "vmClass": r.text(pool, "vmClass", f"{pp}.vmClass", required=True),
                "storageClass": r.text(pool, "storageClass", f"{pp}.storageClass", required=True),
            }
        )
    n = "spec.settings.network"
    network = r.mapping(r.mapping(spec, "settings", "spec.settings"), "network", n)
    cni = r.text(r.mapping(network, "cni", f"{n}.cni"), "name", f"{n}.cni.name")
    if cni and cni not in CNIS:
        r.errors.unsupported(f"{n}.cni.name", cni, CNIS)
    return {
        "topology": {
            "version": release_name(version),
            "controlPlane": control_plane,
            "nodePools": pools,
        },
        "network": _network(
            cni,
            _cidr_blocks(r, network, "pods", n),
            _cidr_blocks(r, network, "services", n),
            r.text(network, "serviceDomain", f"{n}.serviceDomain"),
        ),
    }


def _tkr(r: _Reader, obj: dict, path: str, *, required: bool = False) -> str:
    name_path = f"{path}.tkr.reference.name"
    tkr = r.mapping(obj, "tkr", f"{path}.tkr")
    reference = r.mapping(tkr, "reference", f"{path}.tkr.reference")
    name = r.text(reference, "name", name_path)
    if required and not name and not any(k.startswith(f"{path}.tkr") for k in r.errors):
        r.errors.required(name_path, "name the Kubernetes release (kubectl get tkr)")
    return name


def _cluster_spec(r: _Reader, metadata: dict, spec: dict, namespace_name: str) -> tuple[dict, str]:
    t = "spec.topology"
    topology = r.mapping(spec, "topology", t)
    has_topology = isinstance(spec.get("topology"), dict)
    if spec.get("topology") is None and "spec" not in r.errors:
        r.errors.required(
            t,
            f"VKS clusters are created from a ClusterClass ({TKC_CLASS} or "
            f"{DEFAULT_CLUSTER_CLASS})",
        )
    cluster_class = r.text(topology, "class", f"{t}.class", required=has_topology)
    class_namespace = r.text(topology, "classNamespace", f"{t}.classNamespace")
    if cluster_class:
        expected = PUBLIC_CLASS_NAMESPACE if cluster_class in BUILTIN_CLASSES else namespace_name
        where = class_namespace or (
            namespace_name if cluster_class == TKC_CLASS else PUBLIC_CLASS_NAMESPACE
        )
        if cluster_class not in CLUSTER_CLASSES or where != expected:
            r.errors.invalid(
                f"{t}.class",
                cluster_class,
                f'ClusterClass "{cluster_class}" not found in namespace "{where}"',
            )
    version = r.text(topology, "version", f"{t}.version", required=has_topology)

    variables = _variables(r, topology, f"{t}.variables")
    missing = [v for v in ("vmClass", "storageClass") if v not in variables]
    if has_topology and missing and f"{t}.variables" not in r.errors:
        r.errors.required(
            f"{t}.variables",
            "; ".join(f'required variable with name "{v}" must be defined' for v in missing),
        )
    cp = r.mapping(topology, "controlPlane", f"{t}.controlPlane")
    cp_meta = r.mapping(cp, "metadata", f"{t}.controlPlane.metadata")
    os_image = _os_image(
        r,
        r.mapping(cp_meta, "annotations", f"{t}.controlPlane.metadata.annotations"),
        f"{t}.controlPlane.metadata.annotations",
    ) or _os_image(
        r, r.mapping(metadata, "annotations", "metadata.annotations"), "metadata.annotations"
    )
    control_plane = {
        "replicas": r.integer(
            cp, "replicas", f"{t}.controlPlane.replicas", DEFAULTS["controlPlaneReplicas"]
        ),
        "vmClass": _variable_text(r, variables, "vmClass", f"{t}.variables"),
        "storageClass": _variable_text(r, variables, "storageClass", f"{t}.variables"),
        "osImage": os_image or DEFAULTS["osImage"],
    }
    pools = []
    workers = r.mapping(topology, "workers", f"{t}.workers")
    m = f"{t}.workers.machineDeployments"
    for i, md in enumerate(r.items(workers, "machineDeployments", m)):
        mp = f"{m}[{i}]"
        if not isinstance(md, dict):
            r.errors.invalid(mp, md, "must be an object")
            continue
        worker_class = r.text(md, "class", f"{mp}.class", required=True)
        if worker_class and worker_class != WORKER_CLASS:
            r.errors.invalid(
                f"{mp}.class",
                worker_class,
                f'MachineDeploymentClass with name "{worker_class}" does not exist in '
                f'ClusterClass "{cluster_class}"',
            )
        md_meta = r.mapping(md, "metadata", f"{mp}.metadata")
        md_os = _os_image(
            r,
            r.mapping(md_meta, "annotations", f"{mp}.metadata.annotations"),
            f"{mp}.metadata.annotations",
        )
        if md_os and md_os != control_plane["osImage"]:
            r.errors.invalid(
                f"{mp}.metadata.annotations[{OS_IMAGE_ANNOTATION}]",
                f"os-name={md_os}",
                f"node pools use the control plane's OS image "
                f"(os-name={control_plane['osImage']}) in this simulator",
            )
        overrides = _variables(
            r,
            r.mapping(md, "variables", f"{mp}.variables"),
            f"{mp}.variables.overrides",
            "overrides",
        )
        pools.append(
            {
                "name": r.text(md, "name", f"{mp}.name", required=True),
                "replicas": r.integer(
                    md, "replicas", f"{mp}.replicas", DEFAULTS["nodePoolReplicas"]
                ),
                "vmClass": _variable_text(r, overrides, "vmClass", f"{mp}.variables.overrides")
                or control_plane["vmClass"],
                "storageClass": _variable_text(
                    r, overrides, "storageClass", f"{mp}.variables.overrides"
                )
                or control_plane["storageClass"],
            }
        )
    n = "spec.clusterNetwork"
    network = r.mapping(spec, "clusterNetwork", n)
    port = r.get(network, "apiServerPort", f"{n}.apiServerPort", int)
    if port is not None and port != API_SERVER_PORT:
        r.errors.invalid(
            f"{n}.apiServerPort",
            port,
            f"the Supervisor's load balancer serves cluster API servers on port {API_SERVER_PORT}",
        )
    cni = _cni_variable(r, variables, f"{t}.variables")
    return (
        {
            "topology": {
                "version": release_name(version),
                "controlPlane": control_plane,
                "nodePools": pools,
            },
            "network": _network(
                cni,
                _cidr_blocks(r, network, "pods", n),
                _cidr_blocks(r, network, "services", n),
                r.text(network, "serviceDomain", f"{n}.serviceDomain"),
            ),
        },
        cluster_class,
    )


def _variables(r: _Reader, obj: dict, path: str, key: str = "variables") -> dict[str, Any]:
    """A ClusterClass variable list (`[{name, value}]`) as name -> value."""
    found: dict[str, Any] = {}
    for i, variable in enumerate(r.items(obj, key, path)):
        if not isinstance(variable, dict):
            r.errors.invalid(f"{path}[{i}]", variable, "must be an object")
            continue
        name = r.text(variable, "name", f"{path}[{i}].name", required=True)
        if not name:
            continue
        if name in found:
            r.errors.duplicate(f"{path}[{i}].name", name)
            continue
        found[name] = variable.get("value")
    return found


def _variable_text(r: _Reader, variables: dict, name: str, path: str) -> str:
    value = variables.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        r.errors.invalid(f"{path}[{name}].value", value, "must be a string")
        return ""
    return value


def _cni_variable(r: _Reader, variables: dict, path: str) -> str:
    value = variables.get("cni")
    if isinstance(value, dict):
        value = value.get("name")
    if value is None:
        return ""
    if value not in CNIS:
        r.errors.unsupported(f"{path}[cni].value", value, CNIS)
        return ""
    return value


def resolve_version(text: str, *, namespace_name: str) -> str:
    """The release name a version asks for in the namespace: the name itself (`---` or `+`
    form) if its library holds it, else the newest release whose version starts with it, as
    the TKr resolver matches `v1.32.7+vmware.3-fips` to `v1.32.7+vmware.3-fips-vkr.1`. A
    version nothing matches comes back as a name, for admission to refuse. Two queries."""
    name = release_name(text)
    ns = (
        Namespace.objects.select_related("supervisor", "kubernetes_library")
        .filter(name=namespace_name)
        .first()
    )
    if not name or ns is None or ns.kubernetes_library is None:
        return name
    releases = releases_in(ns.kubernetes_library, supervisor=ns.supervisor)
    if any(r.name == name for r in releases):
        return name
    version = name.replace("---", "+")
    matches = [
        r
        for r in releases  # newest first
        if r.version.startswith(version) and r.version[len(version) : len(version) + 1] in "-.+"
    ]
    best = next((r for r in matches if r.compatible), matches[0] if matches else None)
    return best.name if best else name


# ---------------------------------------------------------------- names the objects use


def cluster_uid(cluster) -> str:
    """A stable UID for the cluster object, as `metadata.uid` shows it."""
    created = cluster.created_at.isoformat() if cluster.created_at else ""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"vks-cluster/{cluster.pk}/{created}"))


def kubelet_version(release: str) -> str:
    """`v1.32.7---vmware.3-fips-vkr.1` -> `v1.32.7+vmware.3-fips`: what nodes report."""
    version = release.replace("---", "+")
    return re.sub(r"[-.](?:tkg|vkr)\.\d+.*$", "", version)
