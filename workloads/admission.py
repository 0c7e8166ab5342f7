"""Admission of a VKS cluster spec: the Supervisor's validating webhooks, simulated.

`admit` runs every rule on a normalised spec (VksCluster's docstring) for a namespace and raises
SpecError with every problem found, keyed by field path (`metadata.name`,
`spec.topology.controlPlane.replicas`, `spec.topology.nodePools[0].vmClass`, `spec.network.pods`,
`limits.cpu`...), each message in the API server's words. Every front door (wizard, REST,
manifest, kubectl) calls it before anything is stored, and again for every update with the
cluster as it is (`existing`). The error's kind is decided here: a name taken is AlreadyExists
(whatever else is wrong, as `kubectl create` twice answers), limits exceeded and nothing else
UnableToAllocateResource, anything else Invalid.

What a cluster asks of its namespace's limits, and what is left, is `workloads.quota`'s: the
wizard's preview and the Apply YAML examples weigh a spec with the same computation, so a
refusal reads the same there as here.
"""

from __future__ import annotations

import ipaddress
import re
from ipaddress import IPv4Address, IPv4Network

from django.conf import settings

from vksportal.errors import CauseType
from workloads.manifests import (
    BUILTIN_CLASSES,
    CLUSTER_CLASSES,
    CLUSTER_KIND,
    CNIS,
    OS_IMAGES,
    RESOURCES,
    TKC_KIND,
    FieldErrors,
)
from workloads.models import Namespace, NamespaceStorage, VksCluster
from workloads.quota import namespace_headroom
from workloads.quota import whole_number as _int
from workloads.releases import release_for, release_named, upgrade_error
from workloads.specs import DNS_LABEL, storage_class_name

DNS1123_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1123_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
# The same rules as the console words them: no regular expression for a person to decode.
LABEL_WORDS = (
    "Use at most 63 lowercase letters, digits and hyphens (-), starting and ending with a "
    "letter or digit, e.g. my-cluster."
)
SUBDOMAIN_WORDS = (
    "Use lowercase letters, digits, hyphens (-) and dots (.), starting and ending with a "
    "letter or digit, e.g. cluster.local."
)
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
CONTROL_PLANE_REPLICAS = (1, 3)
NETWORK_KEYS = ("cni", "pods", "services", "serviceDomain")


# ---------------------------------------------------------------- admission


def admit(
    *,
    namespace: Namespace,
    name: str,
    spec: dict,
    kind: str,
    cluster_class: str,
    existing: VksCluster | None = None,
) -> None:
    """Accept the cluster `name` with `spec` in `namespace` (a new one, or `existing` updated),
    or raise SpecError with every problem found. Reads only; stores nothing."""
    errors = FieldErrors()
    ns = namespace
    if existing is None and ns.is_deleting:
        errors.add(
            "metadata.namespace",
            f"unable to create new content in namespace {ns.name} because it is being terminated",
            CauseType.FORBIDDEN,
        )
    clusters = list(VksCluster.objects.filter(namespace=ns).only("pk", "name", "spec", "kind"))
    _check_kind(errors, kind, cluster_class, existing)
    _check_name(errors, ns, name, kind, existing, clusters)
    if not isinstance(spec, dict):
        errors.invalid("spec", spec, "must be an object")
        errors.check(target=name)
    topology = spec.get("topology")
    if not isinstance(topology, dict):
        errors.required("spec.topology")
        topology = {}
    storage = list(NamespaceStorage.objects.filter(namespace=ns).select_related("policy"))
    _check_topology(errors, ns, topology, existing, storage)
    _check_network(errors, ns, spec.get("network"), existing)
    others = [c for c in clusters if existing is None or c.pk != existing.pk]
    _check_limits(errors, ns, spec, others, existing, storage)
    errors.check(target=name)


def _check_kind(errors: FieldErrors, kind: str, cluster_class: str, existing) -> None:
    if not isinstance(kind, str) or kind not in RESOURCES:
        errors.unsupported("kind", kind, (CLUSTER_KIND, TKC_KIND))
    elif existing is not None and existing.kind != kind:
        errors.invalid(
            "kind",
            kind,
            f"cluster {existing.name} was created as a {existing.kind}; field is immutable",
        )
    if kind == CLUSTER_KIND and cluster_class not in CLUSTER_CLASSES:
        errors.unsupported("spec.topology.class", cluster_class, CLUSTER_CLASSES)
    elif kind == CLUSTER_KIND and existing is not None and existing.cluster_class != cluster_class:
        # A cluster may be rebased onto a newer builtin class, never onto another family.
        if not (existing.cluster_class in BUILTIN_CLASSES and cluster_class in BUILTIN_CLASSES):
            errors.invalid(
                "spec.topology.class",
                cluster_class,
                f"cannot rebase from ClusterClass {existing.cluster_class} to {cluster_class}",
            )
    if kind == TKC_KIND and cluster_class:
        errors.invalid(
            "spec.topology.class", cluster_class, "a TanzuKubernetesCluster has no ClusterClass"
        )


def _label_problems(value: str) -> list[str]:
    problems = []
    if len(value) > 63:
        problems.append("must be no more than 63 characters")
    if not DNS_LABEL.match(value):
        problems.append(DNS1123_LABEL)
    return problems


def _check_name(errors, ns, name, kind, existing, clusters) -> None:
    path = "metadata.name"
    if not isinstance(name, str) or not name:
        errors.required(path, "name or generateName is required")
        return
    if existing is not None and name != existing.name:
        errors.invalid(path, name, "field is immutable")
        return
    problems = _label_problems(name)
    if problems:
        errors.invalid(path, name, "; ".join(problems), LABEL_WORDS)
        return
    taken = next(
        (c for c in clusters if c.name == name and (existing is None or c.pk != existing.pk)),
        None,
    )
    if taken is not None:
        resource = RESOURCES.get(kind, RESOURCES[CLUSTER_KIND])
        errors.already_exists(path, f'{resource} "{name}" already exists', name=name)


# ---------------------------------------------------------------- topology


def _check_topology(
    errors: FieldErrors, ns: Namespace, topology: dict, existing, storage: list[NamespaceStorage]
) -> None:
    t = "spec.topology"
    bound = set(ns.vm_classes.values_list("name", flat=True))
    classes = {storage_class_name(s.policy.name) for s in storage}
    cp = topology.get("controlPlane")
    if not isinstance(cp, dict):
        errors.required(f"{t}.controlPlane")
        cp = {}
    replicas = cp.get("replicas")
    p = f"{t}.controlPlane.replicas"
    if not _int(replicas):
        errors.invalid(p, replicas, "must be an integer")
    elif replicas % 2 == 0:
        errors.invalid(p, replicas, "control plane replicas must be an odd number (1 or 3)")
    elif replicas not in CONTROL_PLANE_REPLICAS:
        errors.invalid(p, replicas, "control plane replicas must be 1 or 3")
    _check_classes(errors, ns, cp, f"{t}.controlPlane", bound, classes)
    os_image = cp.get("osImage")
    if os_image not in OS_IMAGES:
        errors.unsupported(f"{t}.controlPlane.osImage", os_image, OS_IMAGES)

    pools = topology.get("nodePools")
    if pools is None or pools == []:
        errors.required(f"{t}.nodePools", "a cluster needs at least one node pool")
        pools = []
    elif not isinstance(pools, list):
        errors.invalid(f"{t}.nodePools", pools, "must be a list")
        pools = []
    seen: set[str] = set()
    for i, pool in enumerate(pools):
        pp = f"{t}.nodePools[{i}]"
        if not isinstance(pool, dict):
            errors.invalid(pp, pool, "must be an object")
            continue
        name = pool.get("name")
        if not isinstance(name, str) or not name:
            errors.required(f"{pp}.name")
        elif problems := _label_problems(name):
            errors.invalid(f"{pp}.name", name, "; ".join(problems), LABEL_WORDS)
        elif name in seen:
            errors.duplicate(f"{pp}.name", name)
        else:
            seen.add(name)
        replicas = pool.get("replicas")
        most = settings.VKS_MAX_NODES_PER_POOL
        if not _int(replicas):
            errors.invalid(f"{pp}.replicas", replicas, "must be an integer")
        elif replicas < 0:
            errors.invalid(f"{pp}.replicas", replicas, "must be greater than or equal to 0")
        elif replicas > most:
            errors.invalid(
                f"{pp}.replicas",
                replicas,
                f"must be less than or equal to {most} (a limit of this simulator, "
                "VKS_MAX_NODES_PER_POOL)",
            )
        _check_classes(errors, ns, pool, pp, bound, classes)
    _check_release(errors, ns, topology, cp, existing)


def _check_classes(errors, ns, part: dict, path: str, bound: set[str], storage: set[str]) -> None:
    vm_class = part.get("vmClass")
    if not isinstance(vm_class, str) or not vm_class:
        errors.required(f"{path}.vmClass")
    elif vm_class not in bound:
        errors.invalid(
            f"{path}.vmClass",
            vm_class,
            f'VM class "{vm_class}" is not bound to namespace "{ns.name}"',
        )
    storage_class = part.get("storageClass")
    if not isinstance(storage_class, str) or not storage_class:
        errors.required(f"{path}.storageClass")
    elif storage_class not in storage:
        available = ", ".join(sorted(storage)) or "none (add a storage policy to the namespace)"
        errors.invalid(
            f"{path}.storageClass",
            storage_class,
            f'storage class "{storage_class}" is not available in namespace "{ns.name}"; '
            f"available storage classes: {available}",
        )


def _check_release(errors, ns: Namespace, topology: dict, cp: dict, existing) -> None:
    path = "spec.topology.version"
    version = topology.get("version")
    if not isinstance(version, str) or not version:
        errors.required(path, "name a Kubernetes release of the namespace")
        return
    current = existing.spec.get("topology", {}) if existing is not None else {}
    current_version = current.get("version")
    current_os = current.get("controlPlane", {}).get("osImage")
    if version == current_version and cp.get("osImage") == current_os:
        return  # nothing about the release changes: a scale or a class change
    library = ns.kubernetes_library
    if library is None:
        errors.invalid(
            path, version, f'namespace "{ns.name}" has no content library for Kubernetes releases'
        )
        return
    target = release_named(library, version, supervisor=ns.supervisor)
    if target is None:
        errors.invalid(
            path,
            version,
            f'Kubernetes release "{version}" is not available in namespace "{ns.name}" '
            f"(content library {library.name})",
        )
        return
    if version != current_version:
        if existing is None:
            problem = (
                None
                if target.compatible
                else f"Kubernetes release {target.version} is not compatible with this "
                f"Supervisor: {target.reason}"
            )
        else:
            now = release_named(library, current_version, supervisor=ns.supervisor) or (
                release_for(current_version, supervisor=ns.supervisor)
            )
            problem = upgrade_error(now, target) if now is not None else None
        if problem:
            errors.invalid(path, version, problem)
    os_image = cp.get("osImage")
    if os_image in OS_IMAGES and not any(i.startswith(f"{os_image}-") for i in target.os_images):
        errors.invalid(
            "spec.topology.controlPlane.osImage",
            os_image,
            f"Kubernetes release {target.version} has no {os_image} node image in content "
            f"library {library.name} (it has: {', '.join(target.os_images)})",
        )


# ---------------------------------------------------------------- network


def _supervisor_networks(ns: Namespace) -> list[tuple[str, object]]:
    """(label, IPv4Network or (first, last) address range) of what the Supervisor uses."""
    spec = ns.supervisor.spec or {}
    found: list[tuple[str, object]] = []
    for key, label in (
        ("management_network", "the Supervisor's management network"),
        ("workload_network", "the Supervisor's workload network"),
    ):
        section = spec.get(key) or {}
        if section.get("gateway") and section.get("subnet_mask"):
            try:
                net = IPv4Network(f"{section['gateway']}/{section['subnet_mask']}", strict=False)
            except ValueError:
                continue
            found.append((label, net))
        elif section.get("floating_ip"):
            found.append((f"{label}'s floating IP", IPv4Network(section["floating_ip"])))
    for r in (spec.get("load_balancer") or {}).get("address_ranges") or []:
        first = IPv4Address(r["address"])
        last = first + r["count"] - 1
        found.append((f"the Supervisor's load balancer range {first}-{last}", (first, last)))
    # Not the Supervisor's own services CIDR: like a cluster's, it lives only inside its
    # control plane, so the two may overlap (the defaults, 10.96.0.0/23 and 10.96.0.0/12, do).
    return found


def _overlaps(net: IPv4Network, other) -> bool:
    if isinstance(other, tuple):
        first, last = other
        return first <= net.broadcast_address and last >= net.network_address
    return net.overlaps(other)


def _cidrs(errors: FieldErrors, network: dict, key: str) -> list[IPv4Network]:
    path = f"spec.network.{key}"
    values = network.get(key)
    if values is None or values == []:
        errors.required(path)
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        errors.invalid(path, values, "must be a list of CIDR blocks")
        return []
    if len(values) > 1:
        errors.too_many(path, len(values), 1)
        return []
    nets = []
    for value in values:
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            errors.invalid(path, value, f"invalid CIDR address: {value}")
            continue
        if net.version != 4:
            errors.invalid(path, value, "only IPv4 CIDR blocks are supported")
            continue
        nets.append(net)
    return nets


def _check_network(errors: FieldErrors, ns: Namespace, network, existing) -> None:
    if not isinstance(network, dict):
        errors.required("spec.network")
        return
    if existing is not None:
        # Pods and services CIDRs, CNI and domain are fixed at creation, as the webhooks hold.
        before = existing.spec.get("network", {})
        for key in NETWORK_KEYS:
            if network.get(key) != before.get(key):
                errors.invalid(f"spec.network.{key}", network.get(key), "field is immutable")
        return
    cni = network.get("cni")
    if cni not in CNIS:
        errors.unsupported("spec.network.cni", cni, CNIS)
    domain = network.get("serviceDomain")
    if not isinstance(domain, str) or not domain:
        errors.required("spec.network.serviceDomain")
    elif len(domain) > 253 or not DNS_SUBDOMAIN.match(domain):
        errors.invalid("spec.network.serviceDomain", domain, DNS1123_SUBDOMAIN, SUBDOMAIN_WORDS)
    pods = _cidrs(errors, network, "pods")
    services = _cidrs(errors, network, "services")
    for svc in services:
        for pod in pods:
            if svc.overlaps(pod):
                errors.invalid(
                    "spec.network.services",
                    str(svc),
                    f"the services CIDR {svc} overlaps the pods CIDR {pod}",
                )
    supervisor = _supervisor_networks(ns)
    for key, nets in (("pods", pods), ("services", services)):
        for net in nets:
            for label, other in supervisor:
                if _overlaps(net, other):
                    shown = label if isinstance(other, tuple) else f"{label} {other}"
                    errors.invalid(
                        f"spec.network.{key}", str(net), f"the {key} CIDR {net} overlaps {shown}"
                    )


# ---------------------------------------------------------------- limits


def _check_limits(
    errors: FieldErrors, ns: Namespace, spec: dict, others, existing, storage
) -> None:
    """The cluster's nodes, with what the namespace's other clusters and VMs already ask for,
    must fit its CPU, memory and storage limits and each storage policy's limit (`quota`).
    An update that asks for no more than before passes, so a cluster can always scale down."""
    if ns.cpu_limit_mhz is None and ns.memory_limit_mib is None and ns.storage_limit_mib is None:
        if all(s.limit_mib is None for s in storage):
            return
    before = existing.spec if existing is not None else {}
    headroom = namespace_headroom(ns, others=others, storage=storage, specs=(spec, before))
    for line in headroom.quota(spec, before=before).refusals:
        errors.exceeds(line.key, line.refusal)
