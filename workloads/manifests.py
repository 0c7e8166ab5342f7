"""VKS cluster manifests: the YAML people copy from VMware's docs, in and out.

`parse_manifest` reads a `run.tanzu.vmware.com/v1alpha3` TanzuKubernetesCluster or a
`cluster.x-k8s.io/v1beta1` Cluster built from a ClusterClass (`tanzukubernetescluster` or
`builtin-generic-v3.x.y`) into the one normalised spec a VksCluster stores (see its docstring),
filling the defaults the real product fills. It checks the manifest's shape and types only, with
the API server's messages (`<field path>: Invalid value: "x": must be an integer`); whether the
values are allowed in the namespace is admission's business (workloads.admission), which every
front door runs on the normalised spec.

`export_manifest` writes a cluster back in the form it was created with, with `metadata` and a
read-only `status`, as `kubectl get ... -o yaml` shows it. parse(export(x)) gives x's spec.

Fields the simulator does not model (volumes, labels, taints, proxy, trust, failureDomain...)
are accepted and ignored, as they would be accepted by the real API server. One convenience has
no counterpart in the real ClusterClasses: a Cluster may name its CNI in a `cni` variable
(`antrea`, the default, or `calico`); the real product selects it in a separate ClusterBootstrap.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from vksportal.errors import DomainError, ErrorKind, FieldError, FieldErrors, SpecError, value_text
from vksportal.untrusted import InputError, load_yaml
from workloads.models import Namespace
from workloads.releases import release_for, release_name, releases_in

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
    obj = _document(text)
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


# ---------------------------------------------------------------- export


def cluster_uid(cluster) -> str:
    """A stable UID for the cluster object, as `metadata.uid` shows it."""
    created = cluster.created_at.isoformat() if cluster.created_at else ""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"vks-cluster/{cluster.pk}/{created}"))


def _timestamp(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _conditions(cluster) -> list[dict]:
    conditions = []
    for c in cluster.conditions or []:
        entry: dict[str, Any] = {"type": c["type"], "status": c["status"]}
        if c.get("status") == "False" and c.get("severity"):
            entry["severity"] = c["severity"]
        if c.get("reason"):
            entry["reason"] = c["reason"]
        if c.get("message"):
            entry["message"] = c["message"]
        entry["lastTransitionTime"] = _timestamp(c.get("lastTransitionTime"))
        conditions.append(entry)
    return conditions


def _condition_true(cluster, type_: str) -> bool:
    c = cluster.condition(type_)
    return bool(c and c.get("status") == "True")


def kubelet_version(release: str) -> str:
    """`v1.32.7---vmware.3-fips-vkr.1` -> `v1.32.7+vmware.3-fips`: what nodes report."""
    version = release.replace("---", "+")
    return re.sub(r"[-.](?:tkg|vkr)\.\d+.*$", "", version)


def export_manifest(cluster, *, nodes=None) -> str:
    """The cluster as YAML in the form it was created with, `metadata` and a read-only `status`
    from its status fields. `nodes` (its VksNode rows) spares a query when the caller has them."""
    if nodes is None:
        nodes = list(cluster.nodes.all()) if cluster.pk else []
    spec = cluster.spec
    topology, network = spec["topology"], spec["network"]
    metadata: dict[str, Any] = {"name": cluster.name, "namespace": cluster.namespace.name}
    cp = topology["controlPlane"]
    os_image = cp.get("osImage") or DEFAULTS["osImage"]
    if cluster.kind == TKC_KIND and os_image != DEFAULTS["osImage"]:
        metadata["annotations"] = {OS_IMAGE_ANNOTATION: f"os-name={os_image}"}
    metadata.update(
        creationTimestamp=_timestamp(cluster.created_at),
        generation=cluster.generation,
        uid=cluster_uid(cluster),
    )
    if cluster.is_deleting:
        metadata["deletionTimestamp"] = _timestamp(cluster.deletion_requested_at)
    if cluster.kind == TKC_KIND:
        body = {"spec": _tkc_body(topology, network), "status": _tkc_status(cluster, nodes)}
    else:
        body = {
            "spec": _cluster_body(cluster, topology, network),
            "status": _cluster_status(cluster),
        }
    document = {
        "apiVersion": cluster.api_version or KINDS.get(cluster.kind, CLUSTER_API_VERSION),
        "kind": cluster.kind,
        "metadata": {k: v for k, v in metadata.items() if v is not None},
        **body,
    }
    # No line wrapping: kubectl prints long condition messages on one line, and so do we.
    return yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=2**31 - 1
    )


class _Dumper(yaml.SafeDumper):
    """kubectl's YAML: a value shared by two fields is written twice, never as an anchor."""

    def ignore_aliases(self, data) -> bool:
        return True


def _tkc_body(topology: dict, network: dict) -> dict:
    cp, tkr = topology["controlPlane"], {"reference": {"name": topology["version"]}}
    return {
        "topology": {
            "controlPlane": {
                "replicas": cp["replicas"],
                "vmClass": cp["vmClass"],
                "storageClass": cp["storageClass"],
                "tkr": tkr,
            },
            "nodePools": [
                {
                    "name": p["name"],
                    "replicas": p["replicas"],
                    "vmClass": p["vmClass"],
                    "storageClass": p["storageClass"],
                    "tkr": tkr,
                }
                for p in topology["nodePools"]
            ],
        },
        "settings": {
            "network": {
                "cni": {"name": network["cni"]},
                "services": {"cidrBlocks": list(network["services"])},
                "pods": {"cidrBlocks": list(network["pods"])},
                "serviceDomain": network["serviceDomain"],
            }
        },
    }


def _cluster_body(cluster, topology: dict, network: dict) -> dict:
    cp = topology["controlPlane"]
    os_image = cp.get("osImage") or DEFAULTS["osImage"]
    body: dict[str, Any] = {"class": cluster.cluster_class or DEFAULT_CLUSTER_CLASS}
    if body["class"] in BUILTIN_CLASSES:
        body["classNamespace"] = PUBLIC_CLASS_NAMESPACE
    body["version"] = topology["version"]
    body["controlPlane"] = {
        "replicas": cp["replicas"],
        "metadata": {"annotations": {OS_IMAGE_ANNOTATION: f"os-name={os_image}"}},
    }
    deployments = []
    for p in topology["nodePools"]:
        md: dict[str, Any] = {"class": WORKER_CLASS, "name": p["name"], "replicas": p["replicas"]}
        overrides = [
            {"name": key, "value": p[key]}
            for key in ("vmClass", "storageClass")
            if p[key] != cp[key]
        ]
        if overrides:
            md["variables"] = {"overrides": overrides}
        deployments.append(md)
    body["workers"] = {"machineDeployments": deployments}
    variables = [
        {"name": "vmClass", "value": cp["vmClass"]},
        {"name": "storageClass", "value": cp["storageClass"]},
    ]
    if network["cni"] != DEFAULTS["cni"]:
        variables.append({"name": "cni", "value": network["cni"]})
    body["variables"] = variables
    result: dict[str, Any] = {
        "clusterNetwork": {
            "apiServerPort": API_SERVER_PORT,
            "services": {"cidrBlocks": list(network["services"])},
            "pods": {"cidrBlocks": list(network["pods"])},
            "serviceDomain": network["serviceDomain"],
        },
    }
    if cluster.api_endpoint:
        # Cluster API's controllers copy the load balancer's VIP into the spec; parsing it back
        # ignores it, as the API server keeps it.
        result["controlPlaneEndpoint"] = {"host": cluster.api_endpoint, "port": API_SERVER_PORT}
    result["topology"] = body
    return result


def _cluster_status(cluster) -> dict:
    status: dict[str, Any] = {"phase": str(cluster.phase)}
    status["conditions"] = _conditions(cluster)
    status["controlPlaneReady"] = _condition_true(cluster, "ControlPlaneReady")
    status["infrastructureReady"] = _condition_true(cluster, "InfrastructureReady")
    status["observedGeneration"] = cluster.observed_generation
    return status


def _tkc_status(cluster, nodes) -> dict:
    status: dict[str, Any] = {}
    if cluster.api_endpoint:
        status["apiEndpoints"] = [{"host": cluster.api_endpoint, "port": API_SERVER_PORT}]
    status["conditions"] = _conditions(cluster)
    status["totalWorkerReplicas"] = sum(1 for n in nodes if n.role == "worker")
    # Mid-upgrade the cluster reports the oldest release its control plane still runs.
    control_plane = [n.release for n in nodes if n.role == "control-plane"]
    release = (
        min(control_plane, key=_release_order)
        if control_plane
        else cluster.spec["topology"]["version"]
    )
    status["version"] = kubelet_version(release)
    return status


def _release_order(name: str) -> tuple:
    release = release_for(name)
    return release.order if release else (0,)
