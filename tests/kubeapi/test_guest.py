"""A VKS cluster's own read-only API surface (kubeapi.guest): nodes as the kubelet registers
them, the system pods per CNI, the services `kubectl cluster-info` reads, and what a scale, a
powered-off VM or an upgrade changes; each list from one query whatever the node count."""

from __future__ import annotations

import ipaddress
import re

import pytest
from django.utils import timezone

from inventory.models import VirtualMachine
from kubeapi.guest import WRITE_FORBIDDEN_MESSAGE, guest_may_access, surface_for
from kubeapi.surface import NAME_COLUMN, Context
from tests.workloads.conftest import NEXT, change, drive, spec
from workloads import reconcilers
from workloads.models import VksCluster, VksNode

pytestmark = pytest.mark.django_db

OLD_VERSION = "v1.32.7+vmware.3-fips"
NEW_VERSION = "v1.33.6+vmware.1-fips"


def make(namespace, storage_class, *, name="web", cp=1, workers=2, cni="antrea", services=None):
    body = spec(storage_class, cp=cp, workers=workers)
    body["network"]["cni"] = cni
    if services:
        body["network"]["services"] = services
    vks = VksCluster.objects.create(
        name=name, namespace=namespace, spec=body, next_reconcile_at=timezone.now()
    )
    drive(vks)
    return reload(vks)


def reload(vks) -> VksCluster:
    """As the dispatcher loads it: with its namespace."""
    return VksCluster.objects.select_related("namespace").get(pk=vks.pk)


class Api:
    """The cluster's surface, asked the way the dispatcher asks it."""

    def __init__(self, vks, user=None) -> None:
        self.surface = surface_for(vks)
        self.ctx = Context(user=user, now=timezone.now(), cluster=vks)

    def type(self, plural: str):
        return self.surface.find("", "v1", plural)

    def list(self, plural: str, namespace=None) -> list[dict]:
        return list(self.type(plural).source.list(self.ctx, namespace))

    def get(self, plural: str, name: str, namespace=None):
        return self.type(plural).source.get(self.ctx, namespace, name)

    def row(self, plural: str, obj: dict, *, wide=False) -> list:
        """The cells `kubectl get` (-o wide) prints for `obj`."""
        columns = [c for c in self.type(plural).columns if wide or c.priority == 0]
        return [NAME_COLUMN.cell(obj, self.ctx)] + [c.cell(obj, self.ctx) for c in columns]

    def headers(self, plural: str, *, wide=False) -> list[str]:
        columns = [c for c in self.type(plural).columns if wide or c.priority == 0]
        return ["NAME"] + [c.name.upper() for c in columns]

    def by_name(self, plural: str, namespace=None) -> dict[str, dict]:
        return {o["metadata"]["name"]: o for o in self.list(plural, namespace)}


def condition(obj: dict, type_: str) -> dict:
    return next(c for c in obj["status"]["conditions"] if c["type"] == type_)


@pytest.fixture
def web(namespace, storage_class):
    return make(namespace, storage_class)


# ---------------------------------------------------------------- nodes


def test_nodes_are_the_clusters_vms_as_kubectl_shows_them(web, admin):
    api = Api(web, admin)
    rows = {n.vm.name: n for n in VksNode.objects.filter(cluster=web).select_related("vm")}
    nodes = api.by_name("nodes")
    assert set(nodes) == set(rows) and len(nodes) == 3
    assert api.headers("nodes", wide=True) == [
        "NAME",
        "STATUS",
        "ROLES",
        "AGE",
        "VERSION",
        "INTERNAL-IP",
        "EXTERNAL-IP",
        "OS-IMAGE",
        "KERNEL-VERSION",
        "CONTAINER-RUNTIME",
    ]
    for name, node in nodes.items():
        row, vm = rows[name], rows[name].vm
        control_plane = row.role == "control-plane"
        cells = api.row("nodes", node, wide=True)
        assert cells[:3] == [name, "Ready", "control-plane" if control_plane else "<none>"]
        assert cells[4:8] == [OLD_VERSION, vm.ip_address, "<none>", "VMware Photon OS/Linux"]
        assert cells[9].startswith("containerd://1.7.")
        labels = node["metadata"]["labels"]
        assert labels["kubernetes.io/hostname"] == name
        assert labels["node.kubernetes.io/instance-type"] == "best-effort-small"
        assert labels["run.tanzu.vmware.com/tkr"] == "v1.32.7---vmware.3-fips-vkr.1"
        assert ("node-role.kubernetes.io/control-plane" in labels) == control_plane
        assert node["spec"]["providerID"] == f"vsphere://{vm.instance_uuid}"
        taints = node["spec"].get("taints", [])
        assert taints == (
            [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
            if control_plane
            else []
        )
        ready = condition(node, "Ready")
        assert (ready["status"], ready["reason"], ready["message"]) == (
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        )
        assert {c["type"]: c["status"] for c in node["status"]["conditions"]} == {
            "MemoryPressure": "False",
            "DiskPressure": "False",
            "PIDPressure": "False",
            "Ready": "True",
        }
        assert node["status"]["addresses"] == [
            {"type": "Hostname", "address": name},
            {"type": "InternalIP", "address": vm.ip_address},
        ]
        info = node["status"]["nodeInfo"]
        assert (info["kubeletVersion"], info["architecture"], info["operatingSystem"]) == (
            OLD_VERSION,
            "amd64",
            "linux",
        )
        capacity = node["status"]["capacity"]
        assert (capacity["cpu"], capacity["pods"]) == ("2", "110")  # best-effort-small: 2 vCPU
        memory = int(capacity["memory"].removesuffix("Ki"))
        assert 0.9 * 4 * 1024 * 1024 < memory <= 4 * 1024 * 1024  # 4 GiB VM
        assert ipaddress.ip_network(node["spec"]["podCIDR"]).subnet_of(
            ipaddress.ip_network("192.168.0.0/16")
        )
    cidrs = [n["spec"]["podCIDR"] for n in nodes.values()]
    assert len(set(cidrs)) == 3, "each node its own pod range"
    some = next(iter(nodes))
    assert api.get("nodes", some) == nodes[some], "get agrees with list"
    assert api.get("nodes", "no-such-node") is None
    assert api.list("nodes") == api.list("nodes"), "stable between reads"


def test_a_powered_off_node_is_not_ready_and_its_pods_are_not_ready(web, admin):
    worker = VksNode.objects.select_related("vm").filter(cluster=web, role="worker").first()
    worker.vm.power_state = VirtualMachine.PowerState.OFF
    worker.vm.save()
    api = Api(web, admin)
    node = api.get("nodes", worker.vm.name)
    ready = condition(node, "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    assert api.row("nodes", node)[1] == "NotReady"
    assert {t["key"] for t in node["spec"]["taints"]} == {"node.kubernetes.io/unreachable"}
    on_it = [p for p in api.list("pods") if p["spec"]["nodeName"] == worker.vm.name]
    kube_proxy = next(p for p in on_it if p["metadata"]["name"].startswith("kube-proxy-"))
    assert api.row("pods", kube_proxy)[1:3] == ["0/1", "Running"]
    assert all(not p["metadata"]["name"].startswith("coredns-") for p in on_it), (
        "Deployment replicas go to ready nodes"
    )


def test_a_scale_shows_the_new_node_once_its_vm_boots(web, admin):
    before = Api(web, admin).by_name("nodes")
    change(web, lambda t: t["nodePools"][0].update(replicas=3))
    reconcilers.cluster_reconcile(web.pk)  # creates the VM, powered off
    assert VksNode.objects.filter(cluster=web).count() == 4
    assert set(Api(web, admin).by_name("nodes")) == set(before), "not registered yet"
    reconcilers.cluster_reconcile(web.pk, now=timezone.now() + timezone.timedelta(hours=1))
    api = Api(web, admin)
    after = api.by_name("nodes")
    (new,) = set(after) - set(before)
    assert api.row("nodes", after[new])[1:3] == ["Ready", "<none>"]
    on_new = {
        p["metadata"]["name"].rsplit("-", 1)[0]
        for p in api.list("pods")
        if p["spec"]["nodeName"] == new
    }
    assert {"kube-proxy", "antrea-agent", "vsphere-csi-node"} <= on_new


def test_an_upgrade_replaces_nodes_and_their_versions_roll(web, admin):
    before = Api(web, admin)
    assert before.surface.version_info()["gitVersion"] == OLD_VERSION
    old_names = set(before.by_name("nodes"))
    old_coredns = {n for n in before.by_name("pods", "kube-system") if n.startswith("coredns-")}
    change(web, lambda t: t.update(version=NEXT))
    seen = []

    def versions(vks):
        api = Api(reload(vks), admin)
        seen.append({api.row("nodes", n)[4] for n in api.list("nodes")})

    drive(web, watch=versions)
    assert {OLD_VERSION, NEW_VERSION} in seen, "mixed versions while rolling"
    after = Api(reload(web), admin)
    nodes = after.by_name("nodes")
    assert {after.row("nodes", n)[4] for n in nodes.values()} == {NEW_VERSION}
    assert not set(nodes) & old_names, "rolling update makes new nodes"
    assert after.surface.version_info()["gitVersion"] == NEW_VERSION
    pods = after.by_name("pods", "kube-system")
    coredns = {n for n in pods if n.startswith("coredns-")}
    assert len(coredns) == 2 and not coredns & old_coredns, "a new ReplicaSet"
    apiserver = next(p for n, p in pods.items() if n.startswith("kube-apiserver-"))
    assert apiserver["spec"]["containers"][0]["image"].endswith(":v1.33.6_vmware.1-fips")


# ---------------------------------------------------------------- pods


@pytest.mark.parametrize(
    ("cni", "agent", "controller", "absent"),
    [
        ("antrea", "antrea-agent", "antrea-controller", "calico"),
        ("calico", "calico-node", "calico-kube-controllers", "antrea"),
    ],
)
def test_system_pods_follow_nodes_and_cni(
    namespace, storage_class, admin, cni, agent, controller, absent
):
    vks = make(namespace, storage_class, name=f"c-{cni}", cni=cni)
    api = Api(vks, admin)
    nodes = {n["metadata"]["name"]: n for n in api.list("nodes")}
    node_ip = {name: n["status"]["addresses"][1]["address"] for name, n in nodes.items()}
    (cp,) = [
        n
        for n, o in nodes.items()
        if "node-role.kubernetes.io/control-plane" in o["metadata"]["labels"]
    ]
    pods = api.list("pods")
    names = [p["metadata"]["name"] for p in pods]
    assert names == [p["metadata"]["name"] for p in api.list("pods")], "stable names"

    def named(prefix):
        return [p for p in pods if re.fullmatch(rf"{prefix}-[a-z2-9]{{5}}", p["metadata"]["name"])]

    def replicas(prefix):
        return [
            p
            for p in pods
            if re.fullmatch(rf"{prefix}-[a-z2-9]{{10}}-[a-z2-9]{{5}}", p["metadata"]["name"])
        ]

    for ds in (agent, "kube-proxy", "vsphere-csi-node"):
        on = sorted(p["spec"]["nodeName"] for p in named(ds))
        assert on == sorted(nodes), f"one {ds} pod per node"
        assert all(p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet" for p in named(ds))
    for static in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        pod = next(p for p in pods if p["metadata"]["name"] == f"{static}-{cp}")
        assert pod["metadata"]["ownerReferences"][0] == {
            "apiVersion": "v1",
            "kind": "Node",
            "name": cp,
            "uid": nodes[cp]["metadata"]["uid"],
            "controller": True,
        }
        assert pod["status"]["podIP"] == node_ip[cp], "host network"
    assert len(replicas("coredns")) == 2 and len(replicas(controller)) == 1
    assert len(replicas("vsphere-csi-controller")) == 1
    assert len(replicas("guest-cluster-cloud-provider")) == 1
    assert all(
        p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet" for p in replicas("coredns")
    )
    assert not [n for n in names if n.startswith(absent)]
    for pod in replicas("coredns"):
        assert ipaddress.ip_address(pod["status"]["podIP"]) in ipaddress.ip_network(
            nodes[pod["spec"]["nodeName"]]["spec"]["podCIDR"]
        )
    cluster_ips = [p["status"]["podIP"] for p in pods if not p["spec"].get("hostNetwork")]
    assert len(set(cluster_ips)) == len(cluster_ips), "pod addresses are unique"
    csi = next(iter(replicas("vsphere-csi-controller")))
    assert api.row("pods", csi, wide=True)[1:4] == ["6/6", "Running", "0"]
    assert api.headers("pods", wide=True) == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ]
    in_csi = api.list("pods", "vmware-system-csi")
    assert {p["metadata"]["namespace"] for p in in_csi} == {"vmware-system-csi"}
    assert len(in_csi) == len(nodes) + 1
    assert api.get("pods", csi["metadata"]["name"], "vmware-system-csi") == csi
    assert api.get("pods", csi["metadata"]["name"], "kube-system") is None


# ---------------------------------------------------------------- services and namespaces


def test_services_are_kubernetes_and_kube_dns_from_the_service_cidr(
    namespace, storage_class, admin
):
    body = spec(storage_class)
    body["network"]["services"] = ["10.100.0.0/16"]
    vks = reload(VksCluster.objects.create(name="svc", namespace=namespace, spec=body))
    api = Api(vks, admin)
    services = {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s for s in api.list("services")
    }
    assert set(services) == {("default", "kubernetes"), ("kube-system", "kube-dns")}
    assert api.headers("services", wide=True) == [
        "NAME",
        "TYPE",
        "CLUSTER-IP",
        "EXTERNAL-IP",
        "PORT(S)",
        "AGE",
        "SELECTOR",
    ]
    kubernetes = api.row("services", services["default", "kubernetes"], wide=True)
    assert kubernetes[:5] + kubernetes[6:] == [
        "kubernetes",
        "ClusterIP",
        "10.100.0.1",
        "<none>",
        "443/TCP",
        "<none>",
    ]
    dns = services["kube-system", "kube-dns"]
    cells = api.row("services", dns, wide=True)
    assert cells[:5] + cells[6:] == [
        "kube-dns",
        "ClusterIP",
        "10.100.0.10",
        "<none>",
        "53/UDP,53/TCP,9153/TCP",
        "k8s-app=kube-dns",
    ]
    # kubectl cluster-info: services labelled cluster-service, named by kubernetes.io/name,
    # linked through their first port's name.
    assert dns["metadata"]["labels"]["kubernetes.io/cluster-service"] == "true"
    assert dns["metadata"]["labels"]["kubernetes.io/name"] == "CoreDNS"
    assert dns["spec"]["ports"][0]["name"] == "dns"
    assert api.list("services", "kube-system") == [dns]
    assert api.get("services", "kube-dns", "default") is None


def test_namespaces_are_the_vks_system_namespaces(web, admin):
    api = Api(web, admin)
    namespaces = api.by_name("namespaces")
    assert {
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
        "vmware-system-auth",
        "vmware-system-cloud-provider",
        "vmware-system-csi",
        "tkg-system",
        "secretgen-controller",
    } <= set(namespaces)
    assert api.row("namespaces", namespaces["kube-system"])[1] == "Active"
    assert {p["metadata"]["namespace"] for p in api.list("pods")} <= set(namespaces)


# ---------------------------------------------------------------- the surface, access, queries


def test_surface_serves_core_types_read_only(web, admin):
    api = Api(web, admin)
    listed = api.surface.resource_list("", "v1")
    resources = {r["name"]: r for r in listed["resources"]}
    assert set(resources) == {"namespaces", "nodes", "pods", "services"}
    assert all(r["verbs"] == ["get", "list", "watch"] for r in resources.values())
    assert (resources["nodes"]["namespaced"], resources["pods"]["namespaced"]) == (False, True)
    assert api.surface.group_list()["groups"] == []
    assert all(t.schema["properties"]["kind"] for t in api.surface.types)
    assert "read-only" in WRITE_FORBIDDEN_MESSAGE and "no workloads" in WRITE_FORBIDDEN_MESSAGE


def test_only_people_holding_a_role_in_its_namespace_may_use_it(
    web, editor, viewer, stranger, outsider
):
    assert guest_may_access(editor, web)
    assert guest_may_access(viewer, web)
    assert not guest_may_access(stranger, web)
    assert not guest_may_access(outsider, web)


def test_each_list_is_two_queries_whatever_the_node_count(
    namespace, storage_class, admin, django_assert_num_queries
):
    small = make(namespace, storage_class, name="small", workers=0)
    large = make(namespace, storage_class, name="large", workers=4)
    counts = {}
    for vks in (small, large):
        api = Api(vks, admin)
        for plural in ("nodes", "pods", "services", "namespaces"):
            # the cluster's nodes with their VMs, the resourceVersions; nothing per node
            with django_assert_num_queries(2):
                found = api.list(plural)
            counts[vks.name, plural] = len(found)
    assert (counts["small", "nodes"], counts["large", "nodes"]) == (1, 5)
    assert counts["large", "pods"] > counts["small", "pods"]


def test_the_kubernetes_client_reads_every_object(web, admin):
    """The Python client's models (kubernetes 32) accept each object: required fields present,
    types right, as when it deserializes a list answer."""
    from kubernetes.client import ApiClient

    client, api = ApiClient(), Api(web, admin)
    for plural, model in (
        ("nodes", "V1NodeList"),
        ("pods", "V1PodList"),
        ("services", "V1ServiceList"),
        ("namespaces", "V1NamespaceList"),
    ):
        answer = {"kind": model[2:], "apiVersion": "v1", "metadata": {}, "items": api.list(plural)}
        read = client._ApiClient__deserialize(answer, model)
        assert len(read.items) == len(answer["items"]) > 0
    node = client._ApiClient__deserialize(api.list("nodes")[0], "V1Node")
    assert node.status.node_info.kubelet_version == OLD_VERSION
    assert node.metadata.creation_timestamp is not None
