"""The Workload Management cast: a Supervisor spec the demo estate can satisfy (as the wizard
would post it), a running Supervisor, a namespace, and people holding each role in it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from inventory.models import Cluster, StoragePolicy
from tests.conftest import PASSWORD
from tests.factories import supervisor_raw_spec
from tests.snapshots import snapshots
from tests.workloads.test_supervisor import converge
from workloads import reconcilers, services
from workloads.models import Namespace, NamespaceAccess, Supervisor, VksCluster
from workloads.services import clusters
from workloads.specs import storage_class_name


@pytest.fixture
def cluster(db):
    return Cluster.objects.select_related("datacenter").get(name="Workload-Cluster-01")


@pytest.fixture
def raw_spec(cluster):
    return supervisor_raw_spec(cluster)


# ---------------------------------------------------------------- a running Supervisor, a namespace
# and its cast: an owner, an editor and a viewer (the viewer through a group), and a developer
# holding no role in it.


@pytest.fixture
def supervisor(admin, raw_spec):
    """Enabled through the service and converged by the reconciler; recorded by the first test
    that asks, replayed as rows for the others (tests/snapshots.py)."""

    def build():
        sup = services.supervisor_enable(spec=raw_spec, user=admin)
        converge(sup)
        return Supervisor.objects.get(pk=sup.pk)

    return snapshots("supervisor", build)


def settle(ns) -> None:
    """Run the namespace's reconciler until it asks for no further pass."""
    while reconcilers.namespace_reconcile(ns.pk) is not None:
        pass


@pytest.fixture
def namespace(admin, supervisor):
    def build():
        ns = services.namespace_create(supervisor=supervisor, name="team-a", user=admin)
        settle(ns)
        return Namespace.objects.get(pk=ns.pk)

    return snapshots("namespace", build)


def _developer(name: str):
    return get_user_model().objects.create_user(f"{name}@vsphere.local", password=PASSWORD)


def _member(admin, namespace, name: str, role: str):
    """`name`@vsphere.local holding `role` in `namespace`, recorded and replayed like the rest:
    later recordings (a cluster made by the editor) build on these very rows."""

    def build():
        user = _developer(name)
        services.namespace_access_set(
            namespace=namespace, subject_type="USER", subject=name, role=role, user=admin
        )
        return user

    return snapshots(f"member:{name}", build)


@pytest.fixture
def owner(admin, namespace):
    return _member(admin, namespace, "olivia", "OWNER")


@pytest.fixture
def editor(admin, namespace):
    return _member(admin, namespace, "eddie", "EDIT")


@pytest.fixture
def viewer(admin, namespace):
    """Can view through the SSO group `Viewers`."""

    def build():
        user = _developer("vera")
        group = Group.objects.create(name="Viewers")
        user.groups.add(group)
        services.namespace_access_set(
            namespace=namespace, subject_type="GROUP", subject="Viewers", role="VIEW", user=admin
        )
        return user

    return snapshots("member:vera", build)


@pytest.fixture
def stranger(namespace):
    """A developer who logs in (holds a role elsewhere) but none in `namespace`."""

    def build():
        user = _developer("sam")
        other = Namespace.objects.create(name="team-z", supervisor=namespace.supervisor)
        NamespaceAccess.objects.create(
            namespace=other, subject_type="USER", subject="sam", role="EDIT"
        )
        return user

    return snapshots("member:sam", build)


# ---------------------------------------------------------------- VKS clusters: a namespace with
# a storage policy and two VM classes bound, a spec in the normalised shape, and a driver that
# runs the reconciler pass after pass on simulated time.

RELEASE = "v1.32.7---vmware.3-fips-vkr.1"
NEXT = "v1.33.6---vmware.1-fips-vkr.2"


@pytest.fixture
def storage_class(admin, namespace):
    def build():
        policy = (
            StoragePolicy.objects.filter(datastores__hosts__cluster=namespace.supervisor.cluster)
            .distinct()
            .order_by("name")
            .first()
        )
        services.namespace_storage_set(
            namespace=namespace, limits={str(policy.policy_id): ""}, user=admin
        )
        services.namespace_vm_classes_set(
            namespace=namespace, names=["best-effort-small", "best-effort-medium"], user=admin
        )
        settle(namespace)
        return storage_class_name(policy.name)

    return snapshots("storage_class", build)


def spec(storage_class: str, *, cp: int = 1, workers: int = 2, version: str = RELEASE) -> dict:
    return {
        "topology": {
            "version": version,
            "controlPlane": {
                "replicas": cp,
                "vmClass": "best-effort-small",
                "storageClass": storage_class,
                "osImage": "photon",
            },
            "nodePools": [
                {
                    "name": "node-pool-1",
                    "replicas": workers,
                    "vmClass": "best-effort-small",
                    "storageClass": storage_class,
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


def drive(cluster: VksCluster, watch=None) -> list[str]:
    """Run passes until converged; `watch(cluster)` runs after each pass. Returns phases seen."""
    phases, now = [], timezone.now()
    for _ in range(200):
        wait = reconcilers.cluster_reconcile(cluster.pk, now=now)
        if not VksCluster.objects.filter(pk=cluster.pk).exists():
            return [*phases, "GONE"]
        cluster.refresh_from_db()
        phases.append(cluster.phase)
        if watch:
            watch(cluster)
        if wait is None:
            return phases
        now = cluster.next_reconcile_at
    raise AssertionError("did not converge")


@pytest.fixture
def web(editor, namespace, storage_class):
    """A converged cluster `web` made by the editor: one control plane node and two workers,
    and its API VIP (tests/snapshots.py)."""

    def build():
        made = clusters.cluster_create(
            namespace=namespace, name="web", spec=spec(storage_class), user=editor
        )
        drive(made)
        return VksCluster.objects.get(pk=made.pk)

    return snapshots("web", build)


def change(cluster: VksCluster, mutate) -> None:
    """What a service does: a new spec, a new generation, a pass due now."""
    cluster.refresh_from_db()
    mutate(cluster.spec["topology"])
    cluster.generation += 1
    cluster.next_reconcile_at = timezone.now()
    cluster.save()
