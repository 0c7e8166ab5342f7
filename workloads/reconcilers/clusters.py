"""The VKS cluster reconciler: Cluster API's topology controller, simulated.

Each pass compares the spec with the nodes that exist (VksNode rows, one VM each) and takes the
first missing step: the infrastructure (a child resource pool and VM folder in the namespace, an
API endpoint from the Supervisor's load balancer, the cluster CA), then the control plane, then
each node pool in spec order, then nodes of pools no longer in the spec. A node is created
powered off (one pass), then powered on with an address (the next pass): only then is it ready.

Scaling down removes the newest nodes. A node that is out of date (another release or VM class)
is replaced by a rolling update: a new node first, the oldest outdated one only once the group
has more nodes than its replicas and all of them are ready, so capacity never drops below the
spec. The control plane rolls before any worker. Deletion removes workers, then the control
plane, then the infrastructure; the row goes last. A spec changed mid-way is simply the spec the
next pass reads: the latest spec wins.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from inventory.models import Datastore, Folder, Host, ResourcePool, StoragePolicy, VirtualMachine
from inventory.operations import mark_running
from inventory.tasklog import event_log, task_finish, task_progress, tasks_changed
from workloads import cluster_status, pki
from workloads.cluster_status import node_current, node_ready
from workloads.models import NamespaceStorage, VirtualMachineClass, VksCluster, VksNode
from workloads.reconcilers.allocation import allocate, lock_hosts
from workloads.reconcilers.common import (
    StepFailed,
    create_pool,
    create_vm_folder,
    run_pass,
    sim,
)
from workloads.reconcilers.namespaces import namespace_folder, namespace_pool
from workloads.specs import addresses, storage_class_name
from workloads.targets import cluster_target

MANAGED_BY = "VMware vSphere Kubernetes Service"
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' generated-name alphabet
CONTROL_PLANE = VksNode.Role.CONTROL_PLANE
WORKER = VksNode.Role.WORKER


@dataclass(frozen=True)
class Group:
    """The nodes one part of the spec asks for: the control plane, or a node pool."""

    role: str
    pool: str  # "" for the control plane
    replicas: int
    vm_class: str
    storage_class: str

    @property
    def label(self) -> str:
        return "control plane" if self.role == CONTROL_PLANE else f"node pool {self.pool}"


def groups_of(cluster: VksCluster) -> list[Group]:
    topology = cluster.spec["topology"]
    cp = topology["controlPlane"]
    return [
        Group(CONTROL_PLANE, "", int(cp["replicas"]), cp["vmClass"], cp["storageClass"]),
        *(
            Group(WORKER, p["name"], int(p["replicas"]), p["vmClass"], p["storageClass"])
            for p in topology.get("nodePools", [])
        ),
    ]


def _suffix(*parts) -> str:
    """Five stable characters from the alphabet, as a controller's generated name part."""
    digest = hashlib.blake2s("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)] for b in digest[:5])


def _random_suffix() -> str:
    return "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(5))


def control_plane_name(cluster: VksCluster) -> str:
    """The KubeadmControlPlane's name, `<cluster>-<kcp>`: its machines' names begin with it."""
    return f"{cluster.name}-{_suffix(cluster.pk, 'kcp')}"


def deployment_name(cluster: VksCluster, pool: str) -> str:
    """A node pool's MachineDeployment, `<cluster>-<pool>-<md>`: its machines' names begin
    with it."""
    return f"{cluster.name}-{pool}-{_suffix(cluster.pk, pool)}"


def node_name(cluster: VksCluster, group: Group) -> str:
    """`<cluster>-<kcp>-<machine>` for the control plane; `<cluster>-<pool>-<md>-<ms>-<machine>`
    for workers, the machine set part changing with each rollout (release, VM class)."""
    release = cluster.spec["topology"]["version"]
    if group.role == CONTROL_PLANE:
        return f"{control_plane_name(cluster)}-{_random_suffix()}"
    ms = _suffix(cluster.pk, group.pool, release, group.vm_class)
    return f"{deployment_name(cluster, group.pool)}-{ms}-{_random_suffix()}"


# ---------------------------------------------------------------- what exists


def cluster_pool(cluster: VksCluster) -> ResourcePool | None:
    return ResourcePool.objects.filter(
        parent__name=cluster.namespace.name,
        parent__parent__name="Namespaces",
        cluster=cluster.namespace.supervisor.cluster_id,
        name=cluster.name,
    ).first()


def cluster_folder(cluster: VksCluster) -> Folder | None:
    return Folder.objects.filter(
        parent__name=cluster.namespace.name, parent__parent__name="Namespaces", name=cluster.name
    ).first()


def nodes_of(cluster: VksCluster) -> list[VksNode]:
    return list(
        VksNode.objects.filter(cluster=cluster).select_related("vm__host").order_by("created_at")
    )


# ---------------------------------------------------------------- infrastructure


def _endpoint(cluster: VksCluster) -> str:
    """The first free VIP of the Supervisor's load balancer ranges, now the cluster's."""
    sup = cluster.namespace.supervisor
    candidates = [str(a) for a in addresses(sup.spec["load_balancer"]["address_ranges"])]
    free = allocate(candidates, also_taken=[sup.api_endpoint], cluster=cluster)
    if free is None:
        raise StepFailed(
            "InfrastructureReady",
            "LoadBalancerCreationFailed",
            "The Supervisor's load balancer has no free virtual IP address for the cluster's "
            "API endpoint.",
        )
    return free


def _infrastructure(cluster: VksCluster, now: datetime) -> str | None:
    ns = cluster.namespace
    if cluster_pool(cluster) is None:
        parent = namespace_pool(ns)
        if parent is None:
            raise StepFailed(
                "InfrastructureReady",
                "WaitingForNamespace",
                f"Namespace {ns.name} has no resource pool yet.",
            )
        create_pool(parent, cluster.name)
        create_vm_folder(parent.cluster.datacenter_id, namespace_folder(ns), cluster.name)
        return f"Created resource pool and folder {cluster.name}."
    if not cluster.api_endpoint:
        cluster.api_endpoint = _endpoint(cluster)
        cluster.certificate_authority = cluster.certificate_authority or pki.new_ca(now=now)
        return f"Load balancer serves the API endpoint {cluster.api_endpoint}:6443."
    return None


# ---------------------------------------------------------------- nodes


def _policy_for(cluster: VksCluster, storage_class: str) -> StoragePolicy:
    for spec in NamespaceStorage.objects.filter(namespace=cluster.namespace).select_related(
        "policy"
    ):
        if storage_class_name(spec.policy.name) == storage_class:
            return spec.policy
    raise StepFailed(
        "InfrastructureReady",
        "StorageClassNotFound",
        f"Storage class {storage_class} is not a storage policy of namespace "
        f"{cluster.namespace.name}.",
    )


def _place(cluster: VksCluster, group: Group, memory_mib: int, policy: StoragePolicy):
    """The host with the most free memory that fits the node and reaches a datastore of the
    policy; control plane nodes prefer hosts without another node of theirs. A host's memory
    is never promised twice: its row stays locked until this pass commits the node's VM."""
    hosts = Host.objects.filter(
        cluster=cluster.namespace.supervisor.cluster_id,
        connection_state=Host.ConnectionState.CONNECTED,
        in_maintenance_mode=False,
        datastores__storage_policies=policy,
    ).distinct()
    locked = lock_hosts(hosts)
    spread = set()
    if group.role == CONTROL_PLANE:
        spread = set(
            VksNode.objects.filter(cluster=cluster, role=CONTROL_PLANE).values_list(
                "vm__host", flat=True
            )
        )
    candidates = sorted(
        (h for h in locked if h.memory_mib - h.held_mib >= memory_mib),
        key=lambda h: (h.pk in spread, h.held_mib - h.memory_mib, h.name),
    )
    if not candidates:
        raise StepFailed(
            "NodePoolsReady" if group.role == WORKER else "ControlPlaneReady",
            "InsufficientResources",
            f"No ESXi host of the Supervisor has room for a {group.vm_class} node of the "
            f"{group.label} on storage policy {policy.name}.",
        )
    host = candidates[0]
    datastore = Datastore.objects.filter(hosts=host, storage_policies=policy).first()
    return host, datastore


def _create_node(cluster: VksCluster, group: Group, now: datetime) -> str:
    vm_class = VirtualMachineClass.objects.filter(name=group.vm_class).first()
    if vm_class is None:
        raise StepFailed(
            "NodePoolsReady" if group.role == WORKER else "ControlPlaneReady",
            "VMClassNotFound",
            f"VM class {group.vm_class} does not exist.",
        )
    policy = _policy_for(cluster, group.storage_class)
    host, datastore = _place(cluster, group, vm_class.memory_mib, policy)
    release = cluster.spec["topology"]["version"]
    name = node_name(cluster, group)
    vm = VirtualMachine(
        name=name,
        host=host,
        resource_pool=cluster_pool(cluster),
        folder=cluster_folder(cluster),
        datastore=datastore,
        storage_policy=policy,
        num_cpu=vm_class.cpu_count,
        memory_mib=vm_class.memory_mib,
        disk_mib=settings.VKS_NODE_DISK_GIB * 1024,
        guest_os="VMware Photon OS (64-bit)"
        if cluster.spec["topology"]["controlPlane"].get("osImage", "photon") == "photon"
        else "Ubuntu Linux (64-bit)",
        guest_id="vmwarePhoton64Guest",
        managed_by=MANAGED_BY,
        annotation=f"{group.label.capitalize()} node of VKS cluster {cluster.name} "
        f"(namespace {cluster.namespace.name}), Kubernetes release {release}.",
        instance_uuid=uuid.uuid4(),
    )
    vm.assign_moid()
    vm.save()
    VksNode.objects.create(
        cluster=cluster,
        vm=vm,
        role=group.role,
        pool=group.pool,
        release=release,
        vm_class=group.vm_class,
    )
    event_log(event_type="VmCreatedEvent", message=f"Created virtual machine {name}", entity=vm)
    return f"Created {name} ({group.label})."


def _boot(cluster: VksCluster, node: VksNode, now: datetime) -> str:
    """Power the new node on and give it an address on the Supervisor's workload network."""
    vm = node.vm
    if not vm.ip_address:
        ranges = cluster.namespace.supervisor.spec["workload_network"]["address_ranges"]
        address = allocate([str(a) for a in addresses(ranges)], vm=vm)
        if address is None:
            raise StepFailed(
                "NodePoolsReady" if node.role == WORKER else "ControlPlaneReady",
                "WaitingForNetworkAddress",
                f"The Supervisor's workload network has no free address for node {vm.name}.",
            )
        vm.ip_address = address
    mark_running(vm, vm.host, now)
    vm.save()
    event_log(event_type="VmPoweredOnEvent", message=f"{vm.name} is powered on", entity=vm)
    return f"Node {vm.name} is ready at {vm.ip_address}."


def _remove_node(node: VksNode, why: str) -> str:
    vm = node.vm
    name = vm.name
    node.delete()
    vm.delete()
    return f"Deleted {name} ({why})."


def _converge_group(cluster: VksCluster, group: Group, nodes: list[VksNode], now) -> str | None:
    """One step toward `group.replicas` ready, current nodes."""
    booting = [n for n in nodes if not node_ready(n)]
    if booting:
        return _boot(cluster, booting[0], now)
    current = [n for n in nodes if node_current(cluster, group, n)]
    outdated = [n for n in nodes if not node_current(cluster, group, n)]
    if outdated:
        # Rolling update: surge one new node, then retire the oldest outdated one.
        if len(nodes) <= group.replicas and len(current) < group.replicas:
            return _create_node(cluster, group, now)
        return _remove_node(outdated[0], "rolling update")
    if len(current) < group.replicas:
        return _create_node(cluster, group, now)
    if len(current) > group.replicas:
        return _remove_node(current[-1], "scale down")
    return None


def _converge(cluster: VksCluster, now: datetime) -> str | None:
    done = _infrastructure(cluster, now)
    if done:
        return done
    nodes = nodes_of(cluster)
    groups = groups_of(cluster)
    for group in groups:
        mine = [n for n in nodes if n.role == group.role and n.pool == group.pool]
        done = _converge_group(cluster, group, mine, now)
        if done:
            return done
        if group.role == CONTROL_PLANE and not mine:
            return None  # a control plane of 0 replicas cannot happen: admission refuses it
    wanted = {(g.role, g.pool) for g in groups}
    orphans = [n for n in nodes if (n.role, n.pool) not in wanted]
    if orphans:
        return _remove_node(orphans[-1], f"node pool {orphans[-1].pool} removed")
    return None


def _delete_step(cluster: VksCluster) -> str | None:
    nodes = nodes_of(cluster)
    workers = [n for n in nodes if n.role == WORKER]
    if workers or nodes:
        return _remove_node((workers or nodes)[-1], "cluster deletion")
    pool, folder = cluster_pool(cluster), cluster_folder(cluster)
    if pool is not None:
        pool.delete()
        return f"Removed resource pool {cluster.name}."
    if folder is not None:
        folder.delete()
        return f"Removed folder {cluster.name}."
    return None


# ---------------------------------------------------------------- the pass


def cluster_reconcile(cluster_pk: int, *, now: datetime | None = None) -> float | None:
    """One pass (see `run_pass`): the next step toward the spec, or the next deletion step."""
    now = now or timezone.now()

    def finished(cluster: VksCluster, done: str | None) -> float | None:
        if cluster.is_deleting and done is None:
            return _removed(cluster, now)
        return _progressed(cluster, done, now)

    return run_pass(
        VksCluster.objects.select_related("namespace__supervisor__cluster", "task"),
        cluster_pk,
        now,
        step=lambda c: _delete_step(c) if c.is_deleting else _converge(c, now),
        failed=lambda c, error: _failed(c, error, now),
        finished=finished,
    )


def _status(cluster: VksCluster, now: datetime, error: StepFailed | None = None) -> None:
    nodes = [] if cluster.is_deleting and error is None else nodes_of(cluster)
    cluster.conditions, cluster.phase = cluster_status.derive(
        cluster, nodes, groups_of(cluster), now, error=error
    )


def _progressed(cluster: VksCluster, done: str | None, now: datetime) -> float | None:
    wait = None
    if done is not None:
        wait = sim("vks_node_delete" if "Deleted" in done or "Removed" in done else "vks_node")
    _status(cluster, now)
    cluster.attempts = 0
    cluster.next_reconcile_at = now + timedelta(seconds=wait) if wait is not None else None
    if done is None:
        cluster.observed_generation = cluster.generation
    cluster.save()
    if cluster.task and not cluster.task.is_finished:
        if done is None:
            task_finish(cluster.task, now=now)
        else:
            percent = cluster_status.progress(cluster, nodes_of(cluster), groups_of(cluster))
            task_progress(cluster.task, progress=percent, stage=done, now=now)
    else:
        tasks_changed()  # cluster pages poll the same stamp
    return wait


def _failed(cluster: VksCluster, failed: StepFailed, now: datetime) -> None:
    _status(cluster, now, error=failed)
    # Retried by beat once due (a host leaves maintenance, a VIP is freed): no message queued.
    cluster.next_reconcile_at = now + timedelta(seconds=sim("retry_after_error"))
    cluster.save()
    if cluster.task and not cluster.task.is_finished:
        task_finish(cluster.task, now=now, error=failed.message)
    else:
        tasks_changed()
    return None


def _removed(cluster: VksCluster, now: datetime) -> None:
    task, name, ns, target = cluster.task, cluster.name, cluster.namespace, cluster_target(cluster)
    cluster.delete()
    if task and not task.is_finished:
        task_finish(task, now=now)
    event_log(
        event_type="com.vmware.vks.ClusterDeleted",
        message=f"VKS cluster {name} in namespace {ns.name} was deleted.",
        entity=target,
    )
    return None


def clusters_due(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        VksCluster.objects.filter(next_reconcile_at__lte=now).values_list("pk", flat=True)[:500]
    )
