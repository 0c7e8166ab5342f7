"""What a VKS cluster takes from its vSphere Namespace, and what the namespace has left.

A node VM gets its VM class's vCPUs and memory and a boot disk of settings.VKS_NODE_DISK_GIB; its
CPU counts at the clock of the slowest host of the Supervisor's cluster, as vSphere counts a VM's
CPU limit in MHz. What a namespace has "used" is what its other clusters ask for by their specs
and what its VM Service VMs hold: reservations, not live usage.

One computation serves admission's limits rule (`admission._check_limits` reports the refusals
of `Headroom.quota`), the Create Cluster wizard's preview (`cluster_quota`) and the Apply YAML
examples (`cluster_that_fits`), so a refusal reads the same wherever it is met.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Min, Sum

from inventory.models import Host
from workloads.models import Namespace, NamespaceStorage, VirtualMachineClass, VksCluster
from workloads.selectors.namespaces import namespace_vms
from workloads.specs import storage_class_name

EXAMPLE_WORKERS = 3  # VMware's examples: one control plane node and a pool of three workers


@dataclass(frozen=True)
class Request:
    """What nodes ask of a namespace: CPU at the hosts' clock, memory, and disk."""

    cpu_mhz: int = 0
    memory_mib: int = 0
    storage_mib: int = 0

    def __add__(self, other: Request) -> Request:
        return Request(
            self.cpu_mhz + other.cpu_mhz,
            self.memory_mib + other.memory_mib,
            self.storage_mib + other.storage_mib,
        )

    def __mul__(self, count: int) -> Request:
        return Request(self.cpu_mhz * count, self.memory_mib * count, self.storage_mib * count)


def node_disk_mib() -> int:
    return settings.VKS_NODE_DISK_GIB * 1024


def node_request(vm_class: VirtualMachineClass, *, cpu_mhz_per_core: int) -> Request:
    """One node of `vm_class`: its vCPUs at `cpu_mhz_per_core`, its memory, one boot disk."""
    return Request(
        cpu_mhz=vm_class.cpu_count * cpu_mhz_per_core,
        memory_mib=vm_class.memory_mib,
        storage_mib=node_disk_mib(),
    )


def cpu_mhz_per_core(namespace: Namespace) -> int:
    """The clock of the slowest host of the Supervisor's cluster: what one vCPU may cost. One
    query."""
    slowest = Host.objects.filter(cluster=namespace.supervisor.cluster_id).aggregate(
        mhz=Min("cpu_mhz")
    )["mhz"]
    return slowest or 0


def whole_number(value) -> bool:
    """An int as JSON and YAML give one (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _groups(spec: dict) -> list[tuple[str, str, int]]:
    """(VM class, storage class, replicas) of the control plane and each node pool; parts of a
    malformed spec count as nothing (admission reports them)."""
    topology = spec.get("topology") if isinstance(spec, dict) else None
    if not isinstance(topology, dict):
        return []
    cp = topology.get("controlPlane")
    pools = topology.get("nodePools")
    parts = [cp] + (pools if isinstance(pools, list) else [])
    groups = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        replicas = part.get("replicas")
        groups.append(
            (
                str(part.get("vmClass") or ""),
                str(part.get("storageClass") or ""),
                replicas if whole_number(replicas) and replicas > 0 else 0,
            )
        )
    return groups


@dataclass
class _Demand:
    total: Request = field(default_factory=Request)
    by_storage_class: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _demand(spec: dict, classes: dict[str, VirtualMachineClass], mhz: int) -> _Demand:
    demand = _Demand()
    for vm_class, storage_class, replicas in _groups(spec):
        found = classes.get(vm_class)
        if found is None:  # unknown class: admission says so; it asks for nothing meanwhile
            continue
        demand.total += node_request(found, cpu_mhz_per_core=mhz) * replicas
        demand.by_storage_class[storage_class] += node_disk_mib() * replicas
    return demand


def _classes_for(*specs: dict, known: Iterable[VirtualMachineClass] = ()) -> dict:
    """The VM classes the specs name, by name; `known` ones are not read again."""
    classes = {c.name: c for c in known}
    names = {g[0] for spec in specs for g in _groups(spec)} - set(classes)
    if names:
        classes.update({c.name: c for c in VirtualMachineClass.objects.filter(name__in=names)})
    return classes


def cluster_request(spec: dict, namespace: Namespace) -> Request:
    """Everything the cluster's nodes ask of the namespace, by `node_request`. Two queries."""
    return _demand(spec, _classes_for(spec), cpu_mhz_per_core(namespace)).total


def _vm_service_usage(ns: Namespace, mhz: int) -> tuple[Request, dict[int, int]]:
    """What the namespace's VMs that are not VKS nodes (VM Service VMs) hold, in total and as
    disk per storage policy pk. One query."""
    rows = (
        namespace_vms(ns)
        .filter(vks_node__isnull=True)
        .order_by()
        .values("storage_policy")
        .annotate(cpus=Sum("num_cpu"), memory=Sum("memory_mib"), disk=Sum("disk_mib"))
    )
    total, by_policy = Request(), {}
    for row in rows:
        total += Request((row["cpus"] or 0) * mhz, row["memory"] or 0, row["disk"] or 0)
        if row["storage_policy"] is not None:
            by_policy[row["storage_policy"]] = row["disk"] or 0
    return total, by_policy


def _exceeds(
    what: str, ns: Namespace, need: int, used: int, limit: int, *, cpu: bool = False, of: str = ""
) -> str:
    left = max(limit - used, 0)
    if cpu:
        unit = "MHz"
    elif all(v % 1024 == 0 for v in (need, left, limit)):
        unit = "GiB"
    else:
        unit = "MiB"

    def amount(value: int) -> str:
        return f"{value // 1024:,} GiB" if unit == "GiB" else f"{value:,} {unit}"

    return (
        f"The cluster needs {amount(need)} of {what}; namespace {ns.name} has {amount(left)} "
        f"left of its {amount(limit)} limit{of} (exceeds by {amount(need - left)})."
    )


# ---------------------------------------------------------------- what is left


@dataclass(frozen=True)
class QuotaLine:
    """One limit of the namespace against one cluster: CPU (MHz), memory, storage, or a storage
    policy's storage (MiB)."""

    key: str  # admission's field path: limits.cpu, limits.memory, limits.storage[.<class>]
    label: str  # for people: "CPU", "Memory", "Storage", "Storage policy <name>"
    unit: str  # "MHz" or "MiB"
    limit: int | None  # None: no limit
    used: int  # the namespace's other clusters and VM Service VMs
    takes: int  # this cluster
    refusal: str = ""  # admission's message when the cluster does not fit

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)

    @property
    def left_after(self) -> int | None:
        return None if self.limit is None else self.limit - self.used - self.takes

    def percent(self, amount: int) -> int:
        """`amount` as a whole percentage of the limit, capped at 100, for a bar."""
        if not self.limit:
            return 0
        return min(100, round(100 * amount / self.limit))

    def shown(self, amount: int) -> str:
        """An amount as admission's messages write it: MHz, or whole GiB, else MiB."""
        if self.unit == "MiB" and amount % 1024 == 0:
            return f"{amount // 1024:,} GiB"
        return f"{amount:,} {self.unit}"

    @property
    def amounts(self) -> dict[str, str]:
        """Limit, used now, this cluster takes, and left after (or the excess), as shown."""
        after = self.left_after
        return {
            "limit": "No limit" if self.limit is None else self.shown(self.limit),
            "used": self.shown(self.used),
            "takes": self.shown(self.takes),
            "left_after": (
                "No limit"
                if after is None
                else self.shown(after)
                if after >= 0
                else f"{self.shown(-after)} over"
            ),
        }

    @property
    def used_percent(self) -> int:
        return self.percent(self.used)

    @property
    def takes_percent(self) -> int:
        return min(self.percent(self.used + self.takes), 100) - self.used_percent


@dataclass(frozen=True)
class Quota:
    """A cluster against every limit of its namespace."""

    namespace: Namespace
    lines: tuple[QuotaLine, ...]

    @property
    def refusals(self) -> list[QuotaLine]:
        return [line for line in self.lines if line.refusal]

    @property
    def fits(self) -> bool:
        return not self.refusals


@dataclass
class Headroom:
    """A namespace's limits and what is held against them, read once; `quota` weighs any number
    of specs against it without another query (classes the specs name must be in `classes`)."""

    namespace: Namespace
    mhz: int
    classes: dict[str, VirtualMachineClass]
    used: _Demand
    vm_by_policy: dict[int, int]
    storage: list[NamespaceStorage]

    def quota(self, spec: dict, *, before: dict | None = None) -> Quota:
        """`spec` against the limits; `before`, the cluster's current spec when it is updated,
        is not counted twice, and an update that asks for no more than before always fits (a
        cluster can always scale down)."""
        ns = self.namespace
        need = _demand(spec, self.classes, self.mhz)
        had = _demand(before or {}, self.classes, self.mhz)
        lines = []
        for key, label, limit, attr in (
            ("limits.cpu", "CPU", ns.cpu_limit_mhz, "cpu_mhz"),
            ("limits.memory", "Memory", ns.memory_limit_mib, "memory_mib"),
            ("limits.storage", "Storage", ns.storage_limit_mib, "storage_mib"),
        ):
            wanted, in_use = getattr(need.total, attr), getattr(self.used.total, attr)
            cpu = attr == "cpu_mhz"
            refusal = ""
            if limit is not None and wanted > getattr(had.total, attr) and in_use + wanted > limit:
                what = label if cpu else label.lower()
                refusal = _exceeds(what, ns, wanted, in_use, limit, cpu=cpu)
            lines.append(
                QuotaLine(key, label, "MHz" if cpu else "MiB", limit, in_use, wanted, refusal)
            )
        for s in self.storage:
            name = storage_class_name(s.policy.name)
            wanted = need.by_storage_class.get(name, 0)
            in_use = self.used.by_storage_class.get(name, 0) + self.vm_by_policy.get(s.policy_id, 0)
            refusal = ""
            if (
                s.limit_mib is not None
                and wanted > had.by_storage_class.get(name, 0)
                and in_use + wanted > s.limit_mib
            ):
                refusal = _exceeds(
                    f"storage class {name}",
                    ns,
                    wanted,
                    in_use,
                    s.limit_mib,
                    of=f" for storage policy {s.policy.name}",
                )
            lines.append(
                QuotaLine(
                    f"limits.storage.{name}",
                    f"Storage policy {s.policy.name}",
                    "MiB",
                    s.limit_mib,
                    in_use,
                    wanted,
                    refusal,
                )
            )
        return Quota(ns, tuple(lines))


def namespace_headroom(
    namespace: Namespace,
    *,
    others: Iterable[VksCluster],
    storage: list[NamespaceStorage],
    specs: Iterable[dict] = (),
    vm_classes: Iterable[VirtualMachineClass] = (),
) -> Headroom:
    """What `others` (the namespace's clusters but the one weighed) and its VM Service VMs hold
    against its limits, with the VM classes they, `specs` and `vm_classes` name. Three queries:
    the slowest host's clock, the VM classes not given, the VM Service VMs by storage policy."""
    others = list(others)
    mhz = cpu_mhz_per_core(namespace)
    classes = _classes_for(*specs, *(c.spec for c in others), known=vm_classes)
    used = _Demand()
    for other in others:
        d = _demand(other.spec, classes, mhz)
        used.total += d.total
        for key, mib in d.by_storage_class.items():
            used.by_storage_class[key] += mib
    vm_total, vm_by_policy = _vm_service_usage(namespace, mhz)
    used.total += vm_total
    return Headroom(namespace, mhz, classes, used, vm_by_policy, storage)


def _namespace_headroom(namespace: Namespace, **kwargs) -> Headroom:
    """`namespace_headroom` over all its clusters and storage policies: five queries."""
    clusters = VksCluster.objects.filter(namespace=namespace).only("pk", "spec")
    storage = list(NamespaceStorage.objects.filter(namespace=namespace).select_related("policy"))
    return namespace_headroom(namespace, others=clusters, storage=storage, **kwargs)


def cluster_quota(*, namespace: Namespace, spec: dict) -> Quota:
    """A new cluster of `spec` against the namespace's limits, as admission weighs it: the
    numbers and, for each limit it would exceed, admission's message. Five queries."""
    return _namespace_headroom(namespace, specs=(spec,)).quota(spec)


# ---------------------------------------------------------------- a cluster that fits


def sample_topology(*, vm_class: str, storage_class: str, workers: int) -> dict:
    """The nodes of a sample cluster: one control plane node and one pool of `workers`, all of
    `vm_class` on `storage_class` (the parts of a spec that `quota` weighs)."""
    part = {"vmClass": vm_class, "storageClass": storage_class}
    return {
        "topology": {
            "controlPlane": {"replicas": 1, **part},
            "nodePools": [{"name": "node-pool-1", "replicas": workers, **part}],
        }
    }


@dataclass(frozen=True)
class Fit:
    vm_class: str
    workers: int
    quota: Quota  # of this sample; when nothing fits, of the smallest one tried


def cluster_that_fits(
    namespace: Namespace,
    *,
    vm_classes: list[VirtualMachineClass],
    storage_class: str,
    preferred: str,
) -> Fit | None:
    """The largest sample cluster the namespace's remaining quota admits: one control plane
    node and up to EXAMPLE_WORKERS workers of the `preferred` VM class, else of its other
    classes, smallest first. None without a VM class; a Fit that does not fit when nothing
    does. Five queries, however many samples are weighed."""
    if not vm_classes:
        return None
    headroom = _namespace_headroom(namespace, vm_classes=vm_classes)
    order = sorted(
        vm_classes, key=lambda c: (c.name != preferred, c.cpu_count, c.memory_mib, c.name)
    )
    for vm_class in order:
        for workers in range(EXAMPLE_WORKERS, 0, -1):
            sample = sample_topology(
                vm_class=vm_class.name, storage_class=storage_class, workers=workers
            )
            quota = headroom.quota(sample)
            if quota.fits:
                return Fit(vm_class.name, workers, quota)
    smallest = min(order, key=lambda c: (c.cpu_count, c.memory_mib, c.name))
    sample = sample_topology(vm_class=smallest.name, storage_class=storage_class, workers=1)
    return Fit(smallest.name, 1, headroom.quota(sample))
