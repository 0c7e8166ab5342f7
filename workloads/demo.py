"""The demo's Workload Management, made through the same services a person would use: a running
Supervisor on Workload-Cluster-01 (Workload-Cluster-02 stays free for trying the wizard), two
vSphere Namespaces for the demo developer groups, and a VKS cluster running in each.

Reconcilers run in-process here with simulated time made instant, so everything has converged
when `make run` prints Ready. Safe to run again: what exists is left as it is, and once someone
has disabled the demo's Supervisor it is not brought back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from inventory.models import Cluster, ContentLibrary, Event, PortGroup, StoragePolicy
from workloads import reconcilers, services
from workloads.models import Namespace, Supervisor, VksCluster
from workloads.releases import releases_in
from workloads.services.clusters import cluster_create
from workloads.specs import storage_class_name

SUPERVISOR_CLUSTER = "Workload-Cluster-01"
STORAGE_POLICY = "vSAN Default Storage Policy"
VM_CLASSES = ["best-effort-xsmall", "best-effort-small", "best-effort-medium", "guaranteed-small"]


@dataclass(frozen=True)
class DemoNamespace:
    name: str
    description: str
    group: str  # the developer group that gets Can edit
    owner: str  # a developer who owns it
    cluster: str
    control_plane: int
    workers: int
    cpu_limit_mhz: int
    memory_limit_mib: int


NAMESPACES = (
    DemoNamespace(
        "payments",
        "Payments team: checkout and billing services",
        "DevTeam-Payments",
        "alice",
        "payments-prod",
        3,
        3,
        60_000,
        196_608,
    ),
    DemoNamespace(
        "storefront",
        "Storefront team: web shop front end",
        "DevTeam-Storefront",
        "carol",
        "storefront-dev",
        1,
        2,
        30_000,
        98_304,
    ),
)


def supervisor_raw_spec(cluster: Cluster, name: str = "supervisor-01") -> dict[str, dict]:
    """What the enable wizard posts for the demo estate: a Tiny Supervisor with static
    management addresses, the Workload-Network and an NSX Advanced Load Balancer."""
    return wizard_spec(
        cluster,
        name=name,
        policy=StoragePolicy.objects.get(name=STORAGE_POLICY),
        library=ContentLibrary.objects.get(type="SUBSCRIBED"),
        management=PortGroup.objects.get(name="Management"),
        workload=PortGroup.objects.get(name="Workload-Network"),
        domain="corp.vmbeans.com",
    )


def wizard_spec(
    cluster: Cluster,
    *,
    name: str,
    policy: StoragePolicy,
    library: ContentLibrary,
    management: PortGroup,
    workload: PortGroup,
    domain: str,
) -> dict[str, dict]:
    """The enable wizard's sections for a Tiny Supervisor on `cluster`: static management
    addresses on `management`, the workload network on `workload`, an NSX Advanced Load
    Balancer, one storage policy for everything (the addresses are the demo's; any estate
    whose networks do not use them may take them)."""
    policy_id = str(policy.policy_id)
    return {
        "network_stack": {"network_provider": "VSPHERE_NETWORK", "load_balancer": "AVI"},
        "placement": {"name": name, "cluster": cluster.moid},
        "storage": {
            "control_plane_policy": policy_id,
            "ephemeral_policy": policy_id,
            "image_cache_policy": policy_id,
        },
        "load_balancer": {
            "name": "avi-lb",
            "server": f"avi-controller.{domain}:443",
            "username": "admin",
            "password": "VMware1!",
            "address_ranges": "10.10.30.64-10.10.30.127",
        },
        "management_network": {
            "network": management.moid,
            "mode": "STATICRANGE",
            "starting_address": "10.10.10.100",
            "address_count": "5",
            "subnet_mask": "255.255.255.0",
            "gateway": "10.10.10.1",
            "dns_servers": "10.10.10.5",
            "dns_search_domains": domain,
            "ntp_servers": "pool.ntp.org",
        },
        "workload_network": {
            "network": workload.moid,
            "name": "primary",
            "gateway": "10.10.20.1",
            "subnet_mask": "255.255.255.0",
            "address_ranges": "10.10.20.10-10.10.20.200",
            "services_cidr": "10.96.0.0/23",
            "dns_servers": "10.10.10.5",
            "ntp_servers": "",
        },
        "size": {
            "size": "TINY",
            "api_server_dns_names": "",
            "content_library": str(library.library_id),
        },
    }


def _converge(pass_, pk: int) -> None:
    while pass_(pk) is not None:
        pass


def _admin():
    return get_user_model().objects.get(username="administrator@vsphere.local")


def _supervisor(admin) -> Supervisor:
    sup = Supervisor.objects.filter(cluster__name=SUPERVISOR_CLUSTER).first()
    if sup is None:
        cluster = Cluster.objects.get(name=SUPERVISOR_CLUSTER)
        with transaction.atomic():
            sup = services.supervisor_enable(spec=supervisor_raw_spec(cluster), user=admin)
    _converge(reconcilers.supervisor_reconcile, sup.pk)
    return Supervisor.objects.get(pk=sup.pk)


def _namespace(sup: Supervisor, demo: DemoNamespace, admin) -> Namespace:
    ns = Namespace.objects.filter(name=demo.name).first()
    if ns is not None:
        return ns
    ns = services.namespace_create(
        supervisor=sup, name=demo.name, description=demo.description, user=admin
    )
    _converge(reconcilers.namespace_reconcile, ns.pk)
    policy = StoragePolicy.objects.get(name=STORAGE_POLICY)
    services.namespace_storage_set(namespace=ns, limits={str(policy.policy_id): ""}, user=admin)
    services.namespace_vm_classes_set(namespace=ns, names=VM_CLASSES, user=admin)
    services.namespace_limits_set(
        namespace=ns,
        cpu_limit_mhz=demo.cpu_limit_mhz,
        memory_limit_mib=demo.memory_limit_mib,
        user=admin,
    )
    for subject_type, subject, role in (
        ("GROUP", demo.group, "EDIT"),
        ("USER", demo.owner, "OWNER"),
    ):
        services.namespace_access_set(
            namespace=ns, subject_type=subject_type, subject=subject, role=role, user=admin
        )
    _converge(reconcilers.namespace_reconcile, ns.pk)
    return Namespace.objects.get(pk=ns.pk)


def _cluster(ns: Namespace, demo: DemoNamespace) -> VksCluster:
    """Made by the namespace's owner, on the newest release of the minor before the newest (so an
    upgrade is there to try)."""
    cluster = VksCluster.objects.filter(namespace=ns, name=demo.cluster).first()
    if cluster is None:
        compatible = [
            r for r in releases_in(ns.kubernetes_library, supervisor=ns.supervisor) if r.compatible
        ]
        newest_minor = compatible[0].minor
        release = next((r for r in compatible if r.minor < newest_minor), compatible[0])
        storage = storage_class_name(STORAGE_POLICY)
        spec = {
            "topology": {
                "version": release.name,
                "controlPlane": {
                    "replicas": demo.control_plane,
                    "vmClass": "best-effort-small",
                    "storageClass": storage,
                    "osImage": "photon",
                },
                "nodePools": [
                    {
                        "name": "node-pool-1",
                        "replicas": demo.workers,
                        "vmClass": "best-effort-medium",
                        "storageClass": storage,
                    }
                ],
            },
            "network": {
                "cni": "antrea",
                "pods": ["192.168.0.0/16"],
                "services": ["10.96.0.0/12"],
                "serviceDomain": "cluster.local",
            },
        }
        owner = get_user_model().objects.get(username=f"{demo.owner}@vsphere.local")
        cluster = cluster_create(namespace=ns, name=demo.cluster, spec=spec, user=owner)
    _converge(reconcilers.cluster_reconcile, cluster.pk)
    return VksCluster.objects.get(pk=cluster.pk)


def load() -> list[str]:
    """Bring the demo's Workload Management up (or leave it as it is); lines for the log."""
    if (
        not Supervisor.objects.exists()
        and Event.objects.filter(event_type="com.vmware.wcp.SupervisorEnableRequested").exists()
    ):
        # Someone disabled the demo's Supervisor: their lab stays as they left it.
        return ["Workload Management was disabled here; the demo leaves it so."]
    speed = settings.VKS_SIM_SPEED
    settings.VKS_SIM_SPEED = float("inf")  # each pass is due at once: converge here and now
    try:
        admin = _admin()
        sup = _supervisor(admin)
        lines = [f"Supervisor {sup.name} on {sup.cluster.name}: {sup.config_status}"]
        for demo in NAMESPACES:
            ns = _namespace(sup, demo, admin)
            cluster = _cluster(ns, demo)
            lines.append(
                f"namespace {ns.name} ({demo.group} can edit, {demo.owner} owns it): "
                f"VKS cluster {cluster.name} {cluster.phase}, {cluster.nodes.count()} nodes"
            )
        return lines
    finally:
        settings.VKS_SIM_SPEED = speed
