"""Admission of VKS cluster specs, as the Supervisor's validating webhooks do it: each rule with
its message, every problem at once, nothing refused that the product accepts, and the request
sizes the limits (and the reconciler) count."""

from __future__ import annotations

import copy

import pytest
from django.utils import timezone

from inventory.models import Host, StoragePolicy
from tests.workloads.conftest import settle
from tests.workloads.test_namespace_rules import vm_in
from vksportal.errors import ErrorKind
from workloads import services
from workloads.admission import DNS1123_LABEL, admit
from workloads.models import Namespace, NamespaceStorage, VirtualMachineClass, VksCluster
from workloads.quota import Request, cluster_request, cpu_mhz_per_core, node_request
from workloads.specs import SpecError

pytestmark = pytest.mark.django_db

RELEASE = "v1.32.7---vmware.3-fips-vkr.1"
GOLD = "k8s-gold"
SILVER = "k8s-silver"
CLASS = "builtin-generic-v3.4.0"
CLASSES = ["best-effort-small", "best-effort-medium", "guaranteed-large"]


@pytest.fixture
def ns(admin, namespace):
    """team-a with three VM classes and two storage policies bound, no limits."""
    policies = StoragePolicy.objects.filter(name__in=["k8s-gold", "k8s-silver"])
    services.namespace_storage_set(
        namespace=namespace, limits={str(p.policy_id): "" for p in policies}, user=admin
    )
    services.namespace_vm_classes_set(namespace=namespace, names=CLASSES, user=admin)
    settle(namespace)
    return Namespace.objects.select_related("supervisor", "kubernetes_library").get(pk=namespace.pk)


def spec(*, cp: int = 1, workers: int = 3, version: str = RELEASE, **network) -> dict:
    return {
        "topology": {
            "version": version,
            "controlPlane": {
                "replicas": cp,
                "vmClass": "best-effort-small",
                "storageClass": GOLD,
                "osImage": "photon",
            },
            "nodePools": [
                {
                    "name": "node-pool-1",
                    "replicas": workers,
                    "vmClass": "best-effort-small",
                    "storageClass": GOLD,
                }
            ],
        },
        "network": {
            "cni": "antrea",
            "pods": ["192.168.0.0/16"],
            "services": ["10.96.0.0/12"],
            "serviceDomain": "cluster.local",
            **network,
        },
    }


def errors_of(ns, s, *, name="web", kind="Cluster", cluster_class=CLASS, **kw):
    """Field -> the message the Kubernetes API gives (the console may word a rule for people)."""
    with pytest.raises(SpecError) as error:
        admit(namespace=ns, name=name, spec=s, kind=kind, cluster_class=cluster_class, **kw)
    said: dict[str, str] = {}
    for f in error.value.fields:
        said.setdefault(f.path, f.detail if f.plain else f.message())
    return said


def store(ns, name: str, s: dict, **fields) -> VksCluster:
    return VksCluster.objects.create(namespace=ns, name=name, spec=s, cluster_class=CLASS, **fields)


def with_(s: dict, path: str, value) -> dict:
    """A copy of spec `s` with the value at a dotted path (list indexes as numbers) replaced."""
    s = copy.deepcopy(s)
    *parents, last = path.split(".")
    target = s
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return s


# ---------------------------------------------------------------- what passes


def test_a_valid_spec_passes(ns):
    admit(
        namespace=ns,
        name="web",
        spec=spec(),
        kind="Cluster",
        cluster_class=CLASS,
    )


def test_a_valid_tkc_passes_with_three_control_plane_nodes_and_ubuntu(ns):
    s = with_(spec(cp=3), "topology.controlPlane.osImage", "ubuntu")

    admit(namespace=ns, name="web", spec=s, kind="TanzuKubernetesCluster", cluster_class="")


def test_defaults_pass_beside_the_supervisors_own_services_cidr(ns):
    """The Supervisor's services CIDR (10.96.0.0/23) lives inside its control plane, like a
    cluster's own: the product's defaults (10.96.0.0/12) overlap it and are accepted."""
    assert ns.supervisor.spec["workload_network"]["services_cidr"] == "10.96.0.0/23"

    admit(
        namespace=ns,
        name="web",
        spec=spec(),
        kind="Cluster",
        cluster_class="tanzukubernetescluster",
    )


def test_admission_reads_only(ns, django_assert_num_queries):
    # The namespace's clusters, its bound VM classes, its storage policies, and the release's
    # items in its library. No writes.
    with django_assert_num_queries(4):
        admit(namespace=ns, name="web", spec=spec(), kind="Cluster", cluster_class=CLASS)
    assert not VksCluster.objects.exists()


def test_limits_cost_three_queries_more(ns, django_assert_num_queries):
    store(ns, "db", spec())
    ns = limit(ns, cpu_limit_mhz=10**9)
    # As above, plus the slowest host's clock, the VM classes the specs name, and the VM
    # Service VMs of the namespace grouped by storage policy: however many clusters there are.
    with django_assert_num_queries(7):
        admit(namespace=ns, name="web", spec=spec(), kind="Cluster", cluster_class=CLASS)


# ---------------------------------------------------------------- name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("My_Cluster", f'metadata.name: Invalid value: "My_Cluster": {DNS1123_LABEL}'),
        ("-web", f'metadata.name: Invalid value: "-web": {DNS1123_LABEL}'),
        (
            "a" * 64,
            f'metadata.name: Invalid value: "{"a" * 64}": must be no more than 63 characters',
        ),
        ("", "metadata.name: Required value: name or generateName is required"),
    ],
)
def test_name_must_be_a_dns_label(ns, name, message):
    assert errors_of(ns, spec(), name=name)["metadata.name"] == message


def test_rfc_1123_message_is_the_api_servers():
    assert DNS1123_LABEL.startswith(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character"
    )


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("Cluster", 'clusters.cluster.x-k8s.io "web" already exists'),
        (
            "TanzuKubernetesCluster",
            'tanzukubernetesclusters.run.tanzu.vmware.com "web" already exists',
        ),
    ],
)
def test_name_must_be_unique_in_the_namespace(ns, kind, message):
    store(ns, "web", spec())

    errors = errors_of(ns, spec(), kind=kind, cluster_class="" if kind != "Cluster" else CLASS)

    assert errors == {"metadata.name": message}


def kind_of(ns, s, **kw) -> tuple[ErrorKind, str]:
    with pytest.raises(SpecError) as error:
        admit(namespace=ns, spec=s, kind="Cluster", cluster_class=CLASS, **kw)
    return error.value.kind, error.value.target


def test_a_name_taken_is_already_exists_whatever_else_is_wrong(ns):
    store(ns, "web", spec())

    assert kind_of(ns, spec(cp=2), name="web") == (ErrorKind.ALREADY_EXISTS, "web")
    assert kind_of(ns, spec(cp=2), name="db") == (ErrorKind.INVALID, "db")


def test_an_update_may_keep_its_own_name(ns):
    web = store(ns, "web", spec())

    admit(
        namespace=ns,
        name="web",
        spec=spec(workers=5),
        kind="Cluster",
        cluster_class=CLASS,
        existing=web,
    )


def test_no_new_cluster_in_a_namespace_being_deleted(ns):
    ns.deletion_requested_at = timezone.now()

    errors = errors_of(ns, spec())

    assert errors == {
        "metadata.namespace": "unable to create new content in namespace team-a because it "
        "is being terminated"
    }


def test_kind_and_class_must_be_known(ns):
    assert errors_of(ns, spec(), kind="Foo") == {
        "kind": 'kind: Unsupported value: "Foo": supported values: "Cluster", '
        '"TanzuKubernetesCluster"'
    }
    assert "spec.topology.class" in errors_of(ns, spec(), cluster_class="my-class")
    assert "spec.topology.class" in errors_of(
        ns, spec(), kind="TanzuKubernetesCluster", cluster_class=CLASS
    )


# ---------------------------------------------------------------- topology


@pytest.mark.parametrize(
    ("path", "value", "key", "message"),
    [
        (
            "topology.controlPlane.replicas",
            2,
            "spec.topology.controlPlane.replicas",
            "spec.topology.controlPlane.replicas: Invalid value: 2: control plane replicas "
            "must be an odd number (1 or 3)",
        ),
        (
            "topology.controlPlane.replicas",
            0,
            "spec.topology.controlPlane.replicas",
            "spec.topology.controlPlane.replicas: Invalid value: 0: control plane replicas "
            "must be an odd number (1 or 3)",
        ),
        (
            "topology.controlPlane.replicas",
            5,
            "spec.topology.controlPlane.replicas",
            "spec.topology.controlPlane.replicas: Invalid value: 5: control plane replicas "
            "must be 1 or 3",
        ),
        (
            "topology.controlPlane.replicas",
            "three",
            "spec.topology.controlPlane.replicas",
            'spec.topology.controlPlane.replicas: Invalid value: "three": must be an integer',
        ),
        (
            "topology.controlPlane.osImage",
            "windows",
            "spec.topology.controlPlane.osImage",
            'spec.topology.controlPlane.osImage: Unsupported value: "windows": supported '
            'values: "photon", "ubuntu"',
        ),
        (
            "topology.nodePools.0.replicas",
            -1,
            "spec.topology.nodePools[0].replicas",
            "spec.topology.nodePools[0].replicas: Invalid value: -1: must be greater than or "
            "equal to 0",
        ),
        (
            "topology.nodePools.0.replicas",
            151,
            "spec.topology.nodePools[0].replicas",
            "spec.topology.nodePools[0].replicas: Invalid value: 151: must be less than or "
            "equal to 150 (a limit of this simulator, VKS_MAX_NODES_PER_POOL)",
        ),
        (
            "topology.nodePools.0.name",
            "Pool_1",
            "spec.topology.nodePools[0].name",
            f'spec.topology.nodePools[0].name: Invalid value: "Pool_1": {DNS1123_LABEL}',
        ),
        (
            "topology.nodePools.0.name",
            "",
            "spec.topology.nodePools[0].name",
            "spec.topology.nodePools[0].name: Required value",
        ),
        (
            "topology.nodePools",
            [],
            "spec.topology.nodePools",
            "spec.topology.nodePools: Required value: a cluster needs at least one node pool",
        ),
        (
            "topology.controlPlane.vmClass",
            "best-effort-huge",
            "spec.topology.controlPlane.vmClass",
            'spec.topology.controlPlane.vmClass: Invalid value: "best-effort-huge": VM class '
            '"best-effort-huge" is not bound to namespace "team-a"',
        ),
        (
            "topology.nodePools.0.vmClass",
            "best-effort-xlarge",  # exists, but not bound to team-a
            "spec.topology.nodePools[0].vmClass",
            'spec.topology.nodePools[0].vmClass: Invalid value: "best-effort-xlarge": VM class '
            '"best-effort-xlarge" is not bound to namespace "team-a"',
        ),
        (
            "topology.controlPlane.vmClass",
            "",
            "spec.topology.controlPlane.vmClass",
            "spec.topology.controlPlane.vmClass: Required value",
        ),
        (
            "topology.nodePools.0.storageClass",
            "gold",
            "spec.topology.nodePools[0].storageClass",
            'spec.topology.nodePools[0].storageClass: Invalid value: "gold": storage class '
            '"gold" is not available in namespace "team-a"; available storage classes: '
            "k8s-gold, k8s-silver",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("topology") else None,
)
def test_topology_rules(ns, path, value, key, message):
    assert errors_of(ns, with_(spec(), path, value)) == {key: message}


def test_max_nodes_per_pool_is_a_setting(ns, settings):
    settings.VKS_MAX_NODES_PER_POOL = 4

    errors = errors_of(ns, spec(workers=5))

    assert "must be less than or equal to 4" in errors["spec.topology.nodePools[0].replicas"]


def test_node_pool_names_are_unique_in_the_cluster(ns):
    s = spec()
    s["topology"]["nodePools"].append(dict(s["topology"]["nodePools"][0], replicas=0))

    assert errors_of(ns, s) == {
        "spec.topology.nodePools[1].name": "spec.topology.nodePools[1].name: Duplicate value: "
        '"node-pool-1"'
    }


def test_a_pool_of_zero_nodes_is_allowed(ns):
    admit(
        namespace=ns,
        name="web",
        spec=spec(workers=0),
        kind="Cluster",
        cluster_class=CLASS,
    )


def test_storage_classes_come_from_the_namespaces_policies(ns):
    NamespaceStorage.objects.filter(namespace=ns).delete()

    errors = errors_of(ns, spec())

    assert errors["spec.topology.controlPlane.storageClass"].endswith(
        "available storage classes: none (add a storage policy to the namespace)"
    )


# ---------------------------------------------------------------- Kubernetes release


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (
            "v1.34.2---vmware.2-fips-vkr.1",
            'spec.topology.version: Invalid value: "v1.34.2---vmware.2-fips-vkr.1": Kubernetes '
            "release v1.34.2+vmware.2-fips-vkr.1 is not compatible with this Supervisor: "
            "Requires a Supervisor running Kubernetes 1.33 or later.",
        ),
        (
            "v1.25.7---vmware.3-fips.1-tkg.1",
            'spec.topology.version: Invalid value: "v1.25.7---vmware.3-fips.1-tkg.1": Kubernetes '
            "release v1.25.7+vmware.3-fips.1-tkg.1 is not compatible with this Supervisor: No "
            "longer supported by this Supervisor.",
        ),
        (
            "v1.99.1---vmware.1-vkr.1",
            'spec.topology.version: Invalid value: "v1.99.1---vmware.1-vkr.1": Kubernetes '
            'release "v1.99.1---vmware.1-vkr.1" is not available in namespace "team-a" '
            "(content library Kubernetes Service Content Library)",
        ),
        ("", "spec.topology.version: Required value: name a Kubernetes release of the namespace"),
    ],
)
def test_release_must_be_in_the_library_and_compatible(ns, version, message):
    assert errors_of(ns, spec(version=version)) == {"spec.topology.version": message}


def test_release_by_version_is_accepted(ns):
    admit(
        namespace=ns,
        name="web",
        spec=spec(version="v1.32.7+vmware.3-fips-vkr.1"),
        kind="Cluster",
        cluster_class=CLASS,
    )


def test_namespace_without_a_release_library(ns):
    ns.kubernetes_library = None

    assert errors_of(ns, spec())["spec.topology.version"].endswith(
        'namespace "team-a" has no content library for Kubernetes releases'
    )


def test_os_image_must_exist_for_the_release(ns):
    s = with_(
        spec(version="v1.33.3---vmware.1-fips-vkr.1"), "topology.controlPlane.osImage", "ubuntu"
    )

    assert errors_of(ns, s) == {
        "spec.topology.controlPlane.osImage": "spec.topology.controlPlane.osImage: Invalid "
        'value: "ubuntu": Kubernetes release v1.33.3+vmware.1-fips-vkr.1 has no ubuntu node '
        "image in content library Kubernetes Service Content Library (it has: photon-5)"
    }


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("v1.33.6---vmware.1-fips-vkr.2", None),
        (
            "v1.34.2---vmware.2-fips-vkr.1",
            "Upgrading from v1.32.7 to v1.34.2 skips minor version 1.33; upgrade one minor "
            "version at a time.",
        ),
        (
            "v1.31.4---vmware.1-fips-vkr.3",
            "Downgrading from v1.32.7 to v1.31.4 is not supported; a cluster's Kubernetes "
            "version can only go up.",
        ),
    ],
)
def test_an_update_follows_the_upgrade_rules(ns, target, message):
    web = store(ns, "web", spec())
    kwargs = dict(
        namespace=ns,
        name="web",
        kind="Cluster",
        cluster_class=CLASS,
        existing=web,
    )

    if message is None:
        admit(spec=spec(version=target), **kwargs)
        return
    with pytest.raises(SpecError) as error:
        admit(spec=spec(version=target), **kwargs)
    assert error.value.errors == {
        "spec.topology.version": f'spec.topology.version: Invalid value: "{target}": {message}'
    }


def test_an_update_on_a_release_since_removed_may_still_scale(ns):
    web = store(ns, "web", spec(version="v1.31.1---vmware.2-fips-vkr.9"))

    admit(
        namespace=ns,
        name="web",
        spec=spec(version="v1.31.1---vmware.2-fips-vkr.9", workers=1),
        kind="Cluster",
        cluster_class=CLASS,
        existing=web,
    )


# ---------------------------------------------------------------- network


@pytest.mark.parametrize(
    ("network", "key", "message"),
    [
        (
            {"pods": ["10.10.20.0/22"]},
            "spec.network.pods",
            'spec.network.pods: Invalid value: "10.10.20.0/22": the pods CIDR 10.10.20.0/22 '
            "overlaps the Supervisor's workload network 10.10.20.0/24",
        ),
        (
            {"services": ["10.10.0.0/16"]},
            "spec.network.services",
            'spec.network.services: Invalid value: "10.10.0.0/16": the services CIDR '
            "10.10.0.0/16 overlaps the Supervisor's management network 10.10.10.0/24",
        ),
        (
            {"pods": ["10.10.30.96/27"]},
            "spec.network.pods",
            'spec.network.pods: Invalid value: "10.10.30.96/27": the pods CIDR 10.10.30.96/27 '
            "overlaps the Supervisor's load balancer range 10.10.30.64-10.10.30.127",
        ),
        (
            {"pods": ["10.100.0.0/16"]},
            "spec.network.services",
            'spec.network.services: Invalid value: "10.96.0.0/12": the services CIDR '
            "10.96.0.0/12 overlaps the pods CIDR 10.100.0.0/16",
        ),
        (
            {"pods": ["10.96.0.0/33"]},
            "spec.network.pods",
            'spec.network.pods: Invalid value: "10.96.0.0/33": invalid CIDR address: 10.96.0.0/33',
        ),
        (
            {"pods": ["fd00::/64"]},
            "spec.network.pods",
            'spec.network.pods: Invalid value: "fd00::/64": only IPv4 CIDR blocks are supported',
        ),
        (
            {"pods": ["192.168.0.0/16", "172.16.0.0/16"]},
            "spec.network.pods",
            "spec.network.pods: Too many: 2: must have at most 1 item",
        ),
        ({"services": []}, "spec.network.services", "spec.network.services: Required value"),
        (
            {"cni": "flannel"},
            "spec.network.cni",
            'spec.network.cni: Unsupported value: "flannel": supported values: "antrea", "calico"',
        ),
        (
            {"serviceDomain": "Cluster.Local"},
            "spec.network.serviceDomain",
            'spec.network.serviceDomain: Invalid value: "Cluster.Local": a lowercase RFC 1123 '
            "subdomain must consist of",
        ),
    ],
)
def test_network_rules(ns, network, key, message):
    errors = errors_of(ns, spec(**network))

    assert list(errors) == [key]
    assert errors[key].startswith(message)


def test_network_is_immutable_once_created(ns):
    web = store(ns, "web", spec())

    errors = errors_of(ns, spec(pods=["172.20.0.0/16"]), existing=web)

    assert errors == {
        "spec.network.pods": 'spec.network.pods: Invalid value: ["172.20.0.0/16"]: field is '
        "immutable"
    }


# ---------------------------------------------------------------- limits


@pytest.fixture
def slow_hosts(ns):
    """Every host of the Supervisor's cluster at 2,000 MHz: a best-effort-small node (2 vCPUs,
    4 GiB) asks for 4,000 MHz, 4 GiB and a 20 GiB disk."""
    Host.objects.filter(cluster=ns.supervisor.cluster).update(cpu_mhz=2000)
    return ns


def limit(ns, **limits) -> Namespace:
    Namespace.objects.filter(pk=ns.pk).update(**limits)
    return Namespace.objects.select_related("supervisor", "kubernetes_library").get(pk=ns.pk)


def test_node_and_cluster_requests(slow_hosts):
    small = VirtualMachineClass.objects.get(name="best-effort-small")

    assert cpu_mhz_per_core(slow_hosts) == 2000
    assert node_request(small, cpu_mhz_per_core=2000) == Request(4000, 4096, 20480)
    assert cluster_request(spec(cp=3, workers=2), slow_hosts) == Request(20000, 20480, 102400)


def test_cpu_limit_counts_the_namespaces_other_clusters(slow_hosts):
    ns = limit(slow_hosts, cpu_limit_mhz=20000)
    store(ns, "db", spec())  # 4 nodes: 16,000 MHz

    assert errors_of(ns, spec()) == {
        "limits.cpu": "The cluster needs 16,000 MHz of CPU; namespace team-a has 4,000 MHz "
        "left of its 20,000 MHz limit (exceeds by 12,000 MHz)."
    }


def test_limits_alone_are_unable_to_allocate_resource(slow_hosts):
    ns = limit(slow_hosts, cpu_limit_mhz=20000)
    store(ns, "db", spec())

    assert kind_of(ns, spec(), name="web")[0] is ErrorKind.UNABLE_TO_ALLOCATE_RESOURCE
    # A field wrong as well: the spec is invalid first, as validation runs before admission.
    assert kind_of(ns, spec(cp=2), name="web")[0] is ErrorKind.INVALID


def test_memory_and_storage_limits(slow_hosts):
    ns = limit(slow_hosts, memory_limit_mib=24 * 1024, storage_limit_mib=100 * 1024)
    store(ns, "db", spec())  # 16 GiB of memory, 80 GiB of disk

    assert errors_of(ns, spec()) == {
        "limits.memory": "The cluster needs 16 GiB of memory; namespace team-a has 8 GiB left "
        "of its 24 GiB limit (exceeds by 8 GiB).",
        "limits.storage": "The cluster needs 80 GiB of storage; namespace team-a has 20 GiB "
        "left of its 100 GiB limit (exceeds by 60 GiB).",
    }


def test_limits_not_in_whole_gib_are_shown_in_mib(slow_hosts):
    ns = limit(slow_hosts, memory_limit_mib=10000)

    assert errors_of(ns, spec())["limits.memory"] == (
        "The cluster needs 16,384 MiB of memory; namespace team-a has 10,000 MiB left of its "
        "10,000 MiB limit (exceeds by 6,384 MiB)."
    )


def test_a_storage_policy_limit_counts_the_nodes_on_its_class(slow_hosts):
    gold = NamespaceStorage.objects.get(namespace=slow_hosts, policy__name="k8s-gold")
    gold.limit_mib = 100 * 1024
    gold.save()
    store(slow_hosts, "db", spec(workers=1))  # 2 nodes on k8s-gold: 40 GiB
    silver = with_(spec(), "topology.nodePools.0.storageClass", SILVER)  # 1 node on gold

    admit(
        namespace=slow_hosts,
        name="web",
        spec=silver,
        kind="Cluster",
        cluster_class=CLASS,
    )
    assert errors_of(slow_hosts, spec()) == {
        "limits.storage.k8s-gold": "The cluster needs 80 GiB of storage class k8s-gold; "
        "namespace team-a has 60 GiB left of its 100 GiB limit for storage policy k8s-gold "
        "(exceeds by 20 GiB)."
    }


def test_vm_service_vms_in_the_namespace_count_too(slow_hosts):
    gold = NamespaceStorage.objects.get(namespace=slow_hosts, policy__name="k8s-gold")
    gold.limit_mib = 100 * 1024
    gold.save()
    ns = limit(slow_hosts, cpu_limit_mhz=20000)
    vm_in(ns, disk_mib=20 * 1024, policy=gold.policy)  # 2 vCPUs: 4,000 MHz; 20 GiB on gold

    admit(namespace=ns, name="web", spec=spec(), kind="Cluster", cluster_class=CLASS)
    assert errors_of(ns, spec(workers=4)) == {
        "limits.cpu": "The cluster needs 20,000 MHz of CPU; namespace team-a has 16,000 MHz "
        "left of its 20,000 MHz limit (exceeds by 4,000 MHz).",
        "limits.storage.k8s-gold": "The cluster needs 100 GiB of storage class k8s-gold; "
        "namespace team-a has 80 GiB left of its 100 GiB limit for storage policy k8s-gold "
        "(exceeds by 20 GiB).",
    }


def test_an_update_counts_the_cluster_once_and_may_always_shrink(slow_hosts):
    ns = limit(slow_hosts, cpu_limit_mhz=16000)
    web = store(ns, "web", spec())  # 16,000 MHz: exactly the limit

    admit(
        namespace=ns,
        name="web",
        spec=spec(),
        kind="Cluster",
        cluster_class=CLASS,
        existing=web,
    )
    assert "limits.cpu" in errors_of(ns, spec(workers=4), existing=web)
    ns = limit(ns, cpu_limit_mhz=4000)  # lowered below what the cluster asks
    admit(
        namespace=ns,
        name="web",
        spec=spec(workers=2),
        kind="Cluster",
        cluster_class=CLASS,
        existing=web,
    )


# ---------------------------------------------------------------- everything at once


def test_every_problem_is_reported_at_once(slow_hosts):
    ns = limit(slow_hosts, cpu_limit_mhz=1000)
    store(ns, "web", spec())
    s = spec(cp=2, pods=["10.10.20.0/24"], version="v1.99.1---vmware.1-vkr.1")
    s = with_(s, "topology.nodePools.0.vmClass", "best-effort-huge")
    s = with_(s, "topology.nodePools.0.storageClass", "gold")

    errors = errors_of(ns, s, name="web")

    assert set(errors) == {
        "metadata.name",
        "spec.topology.controlPlane.replicas",
        "spec.topology.nodePools[0].vmClass",
        "spec.topology.nodePools[0].storageClass",
        "spec.topology.version",
        "spec.network.pods",
        "limits.cpu",
    }
    assert VksCluster.objects.filter(namespace=ns).count() == 1


def test_a_malformed_spec_is_reported_not_raised(ns):
    errors = errors_of(ns, {"topology": {"nodePools": "x"}, "network": None})

    assert {
        "spec.topology.controlPlane",
        "spec.topology.nodePools",
        "spec.topology.version",
        "spec.network",
    } <= set(errors)
