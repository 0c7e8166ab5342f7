"""The Supervisor's resource types other than clusters (kubeapi.supervisor): the objects and
table cells kubectl shows for a namespace with a converged VKS cluster, who sees what, and
lists whose query count does not grow with their length."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Event, VirtualMachine
from inventory.tasklog import event_log, task_open
from kubeapi.supervisor import PREFERRED, TYPES, secrets_forbidden
from kubeapi.surface import Context, Surface, object_uid
from tests.snapshots import snapshots
from tests.workloads import conftest as cast
from tests.workloads.conftest import RELEASE, drive, spec
from workloads import services
from workloads.manifests import cluster_uid
from workloads.models import Namespace, NamespaceAccess, VksCluster, VksNode
from workloads.targets import cluster_target, namespace_target

pytestmark = pytest.mark.django_db

# The Workload Management cast (tests/workloads/conftest.py), shared as fixtures here.
cluster, raw_spec, supervisor, namespace = (
    cast.cluster,
    cast.raw_spec,
    cast.supervisor,
    cast.namespace,
)
editor, viewer, stranger, storage_class = (
    cast.editor,
    cast.viewer,
    cast.stranger,
    cast.storage_class,
)


def rtype(plural: str, version: str | None = None):
    return next(t for t in TYPES if t.plural == plural and version in (None, t.version))


def ctx_of(user) -> Context:
    return Context(user=user, now=timezone.now())


def listed(user, plural: str, namespace: str | None = "team-a", version=None) -> list[dict]:
    t = rtype(plural, version)
    return list(t.source.list(ctx_of(user), namespace if t.namespaced else None))


def cells(plural: str, obj: dict, *, version=None, wide: bool = False) -> dict:
    """The row kubectl prints: column header -> cell (NAME comes from the dispatcher)."""
    t = rtype(plural, version)
    ctx = ctx_of(None)
    return {c.name.upper(): c.cell(obj, ctx) for c in t.columns if wide or c.priority == 0}


@pytest.fixture
def web(namespace, storage_class):
    """A converged cluster `web` in team-a: one control plane node and one worker."""

    def build():
        vks = VksCluster.objects.create(
            name="web",
            namespace=namespace,
            spec=spec(storage_class, workers=1),
            creator="VSPHERE.LOCAL\\eddie",
            next_reconcile_at=timezone.now(),
        )
        vks.task = task_open(
            name="Create VKS cluster",
            description_id="com.vmware.vks.CreateVksCluster",
            operation="cluster.reconcile",
            target=namespace.supervisor.cluster,
            user=None,
        )
        vks.save()
        drive(vks)
        return VksCluster.objects.get(pk=vks.pk)

    return snapshots("kubeapi.supervisor.web", build)


def nodes(cluster) -> list[VksNode]:
    return list(cluster.nodes.select_related("vm").order_by("role"))


# ---------------------------------------------------------------- discovery


def test_types_are_discoverable_with_short_names_and_vmoperator_prefers_v1alpha3():
    surface = Surface(name="supervisor", git_version="v1.30.1", preferred=PREFERRED)
    surface.add(*TYPES)
    short = {t.qualified: t.short_names for t in TYPES}
    assert short["virtualmachines.vmoperator.vmware.com"] == ("vm",)
    assert short["virtualmachineimages.vmoperator.vmware.com"] == ("vmi", "vmimage")
    assert short["tanzukubernetesreleases.run.tanzu.vmware.com"] == ("tkr",)
    assert short["machines.cluster.x-k8s.io"] == ("ma",)
    assert short["machinedeployments.cluster.x-k8s.io"] == ("md",)
    assert short["storageclasses.storage.k8s.io"] == ("sc",)
    assert surface.group_versions()["vmoperator.vmware.com"] == ["v1alpha3", "v1alpha2"]
    machines = surface.resource_list("cluster.x-k8s.io", "v1beta1")["resources"]
    assert machines[0]["categories"] == ["cluster-api"]
    # Namespaces are created and deleted through namespace self-service; the rest is read-only.
    assert all(t.verbs == ("get", "list", "watch") for t in TYPES if t.plural != "namespaces")
    assert TYPES[0].plural == "namespaces" and "create" in TYPES[0].verbs
    for t in TYPES:  # kubectl explain walks these
        assert t.schema["properties"]["metadata"] and t.schema["description"]
        gvk = t.schema["x-kubernetes-group-version-kind"][0]
        assert (gvk["group"], gvk["version"], gvk["kind"]) == (t.group, t.version, t.kind)


# ---------------------------------------------------------------- namespaces


def test_namespaces_are_those_the_user_holds_a_role_in(editor, stranger):
    (ns,) = listed(editor, "namespaces")
    assert ns["metadata"]["name"] == "team-a" and ns["status"]["phase"] == "Active"
    assert cells("namespaces", ns) == {"STATUS": "Active", "AGE": cells("namespaces", ns)["AGE"]}
    assert [n["metadata"]["name"] for n in listed(stranger, "namespaces")] == ["team-z"]
    assert rtype("namespaces").source.get(ctx_of(stranger), None, "team-a") is None


def test_a_namespace_being_removed_is_terminating(editor, namespace):
    Namespace.objects.filter(pk=namespace.pk).update(deletion_requested_at=timezone.now())
    (ns,) = listed(editor, "namespaces")
    assert ns["status"]["phase"] == "Terminating" and ns["metadata"]["deletionTimestamp"]


# ---------------------------------------------------------------- VM Operator


def test_virtual_machines_are_the_cluster_nodes_with_capv_labels(editor, web):
    cp, worker = nodes(web)
    vms = {v["metadata"]["name"]: v for v in listed(editor, "virtualmachines")}
    assert set(vms) == {cp.vm.name, worker.vm.name}
    vm = vms[worker.vm.name]
    assert vm["apiVersion"] == "vmoperator.vmware.com/v1alpha3"
    assert vm["metadata"]["labels"]["capv.vmware.com/cluster.name"] == "web"
    assert vm["metadata"]["labels"]["capv.vmware.com/cluster.role"] == "node"
    assert vms[cp.vm.name]["metadata"]["labels"]["capv.vmware.com/cluster.role"] == "controlplane"
    assert vm["metadata"]["ownerReferences"][0]["kind"] == "VSphereMachine"
    assert vm["spec"]["className"] == "best-effort-small"
    assert vm["spec"]["image"]["name"].startswith("vmi-")
    assert vm["spec"]["storageClass"] == web.spec["topology"]["controlPlane"]["storageClass"]
    assert vm["status"]["powerState"] == "PoweredOn"
    assert vm["status"]["uniqueID"] == worker.vm.moid
    assert vm["status"]["host"] == worker.vm.host.name
    assert cells("virtualmachines", vm, wide=True) == {
        "POWER-STATE": "PoweredOn",
        "AGE": cells("virtualmachines", vm)["AGE"],
        "CLASS": "best-effort-small",
        "IMAGE": vm["spec"]["image"]["name"],
        "PRIMARY-IP4": worker.vm.ip_address,
    }


def test_v1alpha2_names_the_image_in_image_name(editor, web):
    vm = listed(editor, "virtualmachines", version="v1alpha2")[0]
    assert vm["apiVersion"] == "vmoperator.vmware.com/v1alpha2" and "image" not in vm["spec"]
    assert cells("virtualmachines", vm, version="v1alpha2", wide=True)["IMAGE"].startswith("vmi-")


def test_the_vm_image_is_the_node_image_of_its_release(editor, web):
    vm = listed(editor, "virtualmachines")[0]
    images = {i["metadata"]["name"]: i for i in listed(editor, "virtualmachineimages")}
    image = images[vm["spec"]["image"]["name"]]
    assert RELEASE in image["status"]["name"] and "photon" in image["status"]["name"]
    row = cells("virtualmachineimages", image)
    assert row["DISPLAY NAME"] == image["status"]["name"]
    assert row["TYPE"] == "OVF" and row["OS NAME"] == "vmwarePhoton64Guest"
    assert row["IMAGE VERSION"] == "v1.32.7+vmware.3-fips"


def test_vm_classes_are_those_bound_to_the_namespace(admin, editor, storage_class, namespace):
    services.namespace_vm_classes_set(
        namespace=namespace,
        names=["best-effort-small", "best-effort-medium", "guaranteed-large"],
        user=admin,
    )
    classes = {c["metadata"]["name"]: c for c in listed(editor, "virtualmachineclasses")}
    assert set(classes) == {"best-effort-small", "best-effort-medium", "guaranteed-large"}
    small, large = classes["best-effort-small"], classes["guaranteed-large"]
    assert cells("virtualmachineclasses", small) == {"CPU": 2, "MEMORY": "4Gi"}
    assert "policies" not in small["spec"] and small["status"]["ready"] is True
    assert large["spec"]["policies"]["resources"]["requests"] == {"cpu": "4000m", "memory": "16Gi"}


# ---------------------------------------------------------------- releases, storage


def test_releases_show_version_ready_and_compatible(editor, namespace):
    releases = {r["metadata"]["name"]: r for r in listed(editor, "tanzukubernetesreleases")}
    row = cells("tanzukubernetesreleases", releases[RELEASE])
    assert row["VERSION"] == "v1.32.7+vmware.3-fips-vkr.1"
    assert (row["READY"], row["COMPATIBLE"]) == ("True", "True")
    assert row["CREATED"] not in ("", "<unknown>")
    incompatible = [
        r for r in releases.values() if r["status"]["conditions"][1]["status"] != "True"
    ]
    assert incompatible, "the demo library holds releases too old for the Supervisor"
    assert cells("tanzukubernetesreleases", incompatible[0])["READY"] == "False"


def test_storage_classes_are_the_policies_of_visible_namespaces(editor, stranger, storage_class):
    (sc,) = listed(editor, "storageclasses")
    assert sc["metadata"]["name"] == storage_class
    assert cells("storageclasses", sc) == {
        "PROVISIONER": "csi.vsphere.vmware.com",
        "RECLAIMPOLICY": "Delete",
        "VOLUMEBINDINGMODE": "Immediate",
        "ALLOWVOLUMEEXPANSION": True,
        "AGE": cells("storageclasses", sc)["AGE"],
    }
    assert sc["parameters"]["storagePolicyID"]
    assert listed(stranger, "storageclasses") == []


# ---------------------------------------------------------------- Cluster API


def test_machines_are_the_nodes_running(editor, web):
    cp, worker = nodes(web)
    machines = {m["metadata"]["name"]: m for m in listed(editor, "machines")}
    machine = machines[worker.vm.name]
    assert machine["metadata"]["labels"]["cluster.x-k8s.io/deployment-name"].startswith(
        "web-node-pool-1-"
    )
    assert "cluster.x-k8s.io/control-plane" in machines[cp.vm.name]["metadata"]["labels"]
    assert machines[cp.vm.name]["metadata"]["ownerReferences"][0]["kind"] == "KubeadmControlPlane"
    assert machine["metadata"]["ownerReferences"][0]["kind"] == "MachineSet"
    assert machine["status"]["addresses"] == [
        {"type": "InternalIP", "address": worker.vm.ip_address}
    ]
    assert cells("machines", machine) == {
        "CLUSTER": "web",
        "NODENAME": worker.vm.name,
        "PROVIDERID": f"vsphere://{worker.vm.instance_uuid}",
        "PHASE": "Running",
        "AGE": cells("machines", machine)["AGE"],
        "VERSION": "v1.32.7+vmware.3-fips",
    }


def test_a_machine_whose_vm_is_off_is_provisioning(editor, web):
    worker = nodes(web)[1]
    VirtualMachine.objects.filter(pk=worker.vm_id).update(power_state="poweredOff", ip_address=None)
    machine = rtype("machines").source.get(ctx_of(editor), "team-a", worker.vm.name)
    assert machine["status"]["phase"] == "Provisioning" and "nodeRef" not in machine["status"]


def test_machine_deployments_count_the_pool_nodes(editor, web):
    (md,) = listed(editor, "machinedeployments")
    assert md["metadata"]["ownerReferences"][0]["kind"] == "Cluster"
    assert cells("machinedeployments", md, wide=True) == {
        "CLUSTER": "web",
        "DESIRED": 1,
        "REPLICAS": 1,
        "READY": 1,
        "UPDATED": 1,
        "UNAVAILABLE": 0,
        "PHASE": "Running",
        "AGE": cells("machinedeployments", md)["AGE"],
        "VERSION": "v1.32.7+vmware.3-fips",
    }
    web.spec["topology"]["nodePools"][0]["replicas"] = 3  # asked, not yet reconciled
    web.save()
    md = rtype("machinedeployments").source.get(ctx_of(editor), "team-a", md["metadata"]["name"])
    assert (md["status"]["phase"], md["status"]["unavailableReplicas"]) == ("ScalingUp", 2)


# ---------------------------------------------------------------- events and secrets


def test_events_are_the_vcenter_events_of_the_namespace_vms_and_cluster_task(editor, web):
    worker = nodes(web)[1]
    events = listed(editor, "events")
    on = next(
        e
        for e in events
        if e["reason"] == "VmPoweredOn" and e["involvedObject"]["name"] == worker.vm.name
    )
    assert on["involvedObject"]["kind"] == "VirtualMachine" and on["type"] == "Normal"
    assert on["source"] == {"component": "vcenter"} and on["count"] == 1
    row = cells("events", on)
    assert (row["TYPE"], row["REASON"], row["OBJECT"]) == (
        "Normal",
        "VmPoweredOn",
        f"virtualmachine/{worker.vm.name}",
    )
    assert row["MESSAGE"] == f"{worker.vm.name} is powered on"
    task = next(e for e in events if e["involvedObject"]["kind"] == "Cluster")
    assert task["message"] == "Task: Create VKS cluster"
    got = rtype("events").source.get(ctx_of(editor), "team-a", on["metadata"]["name"])
    assert got == on


def test_events_about_the_namespace_and_its_clusters_are_listed_to_its_users(editor, stranger, web):
    """Not only the current tasks': every event about the namespace and its VKS clusters (one
    since deleted too), as Kubernetes Events of a Namespace and of a Cluster API Cluster."""
    ns = web.namespace
    gone = VksCluster(name="gone", namespace=ns)  # deleted: only its events remain
    other = Namespace.objects.get(name="team-z")  # the stranger's namespace
    logged = [
        event_log(
            event_type="com.vmware.wcp.NamespacePermissionsUpdated",
            message="Permissions of namespace team-a updated",
            entity=namespace_target(ns),
        ),
        event_log(
            event_type="com.vmware.vks.ClusterDeleted",
            message="VKS cluster gone deleted",
            entity=cluster_target(gone),
        ),
        event_log(
            event_type="com.vmware.vks.ClusterUnhealthy",
            message="VKS cluster web: a control plane node is not ready",
            entity=cluster_target(web),
            severity=Event.Severity.WARNING,
        ),
        event_log(
            event_type="com.vmware.wcp.NamespaceUpdated",
            message="Namespace team-z updated",
            entity=namespace_target(other),
        ),
    ]
    found = {e["message"]: e for e in listed(editor, "events")}
    permissions, deleted, unhealthy = (found[e.message] for e in logged[:3])
    assert logged[3].message not in found, "a namespace the editor holds no role in"
    assert permissions["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "name": "team-a",
        "uid": object_uid("Namespace", ns.pk, ns.created_at),
    }
    assert (permissions["reason"], permissions["type"]) == ("NamespacePermissionsUpdated", "Normal")
    assert permissions["metadata"]["namespace"] == "team-a"
    assert permissions["firstTimestamp"] == permissions["lastTimestamp"] is not None
    assert unhealthy["involvedObject"] == {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "name": "web",
        "namespace": "team-a",
        "uid": cluster_uid(web),
    }
    assert (unhealthy["reason"], unhealthy["type"]) == ("ClusterUnhealthy", "Warning")
    assert cells("events", unhealthy)["OBJECT"] == "cluster/web"
    assert deleted["involvedObject"]["name"] == "gone"
    assert deleted["involvedObject"]["uid"] != cluster_uid(web)
    # Those of the stranger's namespace are the stranger's, and none of team-a's.
    theirs = {e["message"] for e in listed(stranger, "events", None)}
    assert logged[3].message in theirs and not theirs & set(found)


def test_kubeconfig_secret_for_editors_forbidden_for_viewers(editor, viewer, stranger, web):
    (secret,) = listed(editor, "secrets")
    assert secret["metadata"]["name"] == "web-kubeconfig"
    config = yaml.safe_load(base64.b64decode(secret["data"]["value"]))
    assert config["current-context"] == "web-admin@web"
    assert cells("secrets", secret) == {
        "TYPE": "cluster.x-k8s.io/secret",
        "DATA": 1,
        "AGE": cells("secrets", secret)["AGE"],
    }
    assert not secrets_forbidden(ctx_of(editor), "team-a")
    assert secrets_forbidden(ctx_of(viewer), "team-a")
    assert listed(viewer, "secrets") == [] and listed(viewer, "secrets", None) == []
    assert not secrets_forbidden(ctx_of(stranger), "team-a")  # not even there: a 404


# ---------------------------------------------------------------- permissions


NAMESPACED = sorted({t.plural for t in TYPES if t.namespaced})


@pytest.mark.parametrize("plural", NAMESPACED)
def test_a_user_with_no_role_sees_nothing_of_the_namespace(plural, stranger, editor, web):
    assert listed(editor, plural), "the namespace has some"
    assert listed(stranger, plural) == []
    assert all(o["metadata"]["namespace"] != "team-a" for o in listed(stranger, plural, None))


@pytest.mark.parametrize("t", TYPES, ids=lambda t: f"{t.plural}.{t.version}")
def test_objects_are_json_with_identity_and_version(t, editor, web):
    found = list(t.source.list(ctx_of(editor), None))
    assert found, "the editor sees some"
    for o in found:
        json.dumps(o)  # no dates or UUIDs left as Python objects
        assert (o["apiVersion"], o["kind"]) == (t.api_version, t.kind)
        meta = o["metadata"]
        assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"]
        assert ("namespace" in meta) == t.namespaced


def test_an_outsider_sees_no_cluster_scoped_objects(outsider, web):
    for t in TYPES:
        if not t.namespaced:
            assert list(t.source.list(ctx_of(outsider), None)) == [], t.plural


# ---------------------------------------------------------------- query counts


def more_vms(cluster, count: int) -> None:
    """`count` more worker nodes of `cluster`, copies of its worker, made as rows."""
    worker = nodes(cluster)[1]
    for i in range(count):
        vm = VirtualMachine.objects.get(pk=worker.vm_id)
        vm.pk, vm.moid, vm.name = None, "", f"{worker.vm.name}-{i}"
        vm.instance_uuid, vm.ip_address = uuid.uuid4(), None
        vm.assign_moid()
        vm.save()
        VksNode.objects.create(
            cluster=cluster,
            vm=vm,
            role="worker",
            pool=worker.pool,
            release=worker.release,
            vm_class=worker.vm_class,
        )
        Event.objects.create(
            event_type="VmCreatedEvent",
            message=f"Created virtual machine {vm.name}",
            target_moid=vm.moid,
            target_name=vm.name,
            target_type="VirtualMachine",
            created_at=timezone.now(),
        )


def more_pools(cluster, count: int) -> None:
    pool = cluster.spec["topology"]["nodePools"][0]
    cluster.spec["topology"]["nodePools"] += [{**pool, "name": f"pool-{i}"} for i in range(count)]
    cluster.save()


def more_everything(admin, cluster, count: int) -> None:
    more_vms(cluster, count)
    more_pools(cluster, count)
    services.namespace_vm_classes_set(
        namespace=cluster.namespace,
        names=[f"best-effort-{s}" for s in ("small", "medium", "large", "xlarge")]
        + [f"guaranteed-{s}" for s in ("small", "medium", "large", "xlarge")],
        user=admin,
    )
    for i in range(count):
        ns = Namespace.objects.create(name=f"more-{i}", supervisor=cluster.namespace.supervisor)
        NamespaceAccess.objects.create(
            namespace=ns, subject_type="USER", subject="eddie", role="EDIT"
        )
        VksCluster.objects.create(
            name=f"c{i}",
            namespace=cluster.namespace,
            spec=cluster.spec,
            api_endpoint=f"10.99.0.{i + 1}",
            certificate_authority=cluster.certificate_authority,
        )


# Queries per list (one of them the objects' resourceVersions), besides the user's vCenter
# role (memoised for the request):
QUERIES = {
    "namespaces": 2,  # the namespaces
    "events": 5,  # namespaces, their VMs, their clusters, events
    "secrets": 2,  # clusters of the editable namespaces
    "storageclasses": 2,  # policies with their first grant
    "virtualmachines": 5,  # namespaces and VMs with nodes; their libraries; items
    "virtualmachineclasses": 2,  # the bindings with class and namespace
    "virtualmachineimages": 4,  # namespaces, bound libraries, items
    "tanzukubernetesreleases": 3,  # namespaces, library items
    "machines": 2,  # nodes with VM, cluster, namespace
    "machinedeployments": 3,  # clusters, their nodes with VMs
    "services": 2,  # clusters with namespace and Supervisor
}


@pytest.mark.parametrize("plural", sorted(QUERIES))
def test_list_queries_do_not_grow_with_the_objects(
    plural, admin, editor, web, django_assert_num_queries
):
    ctx = ctx_of(editor)
    t = rtype(plural)
    list(t.source.list(ctx, None))  # the user's role, memoised from here on
    with CaptureQueriesContext(connection) as few:
        before = list(t.source.list(ctx, None))
    more_everything(admin, web, 9)
    with django_assert_num_queries(QUERIES[plural]):
        after = list(t.source.list(ctx, None))
    assert len(few) == QUERIES[plural]
    if plural not in ("tanzukubernetesreleases", "storageclasses", "virtualmachineimages"):
        assert len(after) >= len(before) + 3, "more objects, same queries"
