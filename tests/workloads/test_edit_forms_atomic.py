"""Every Workload Management dialog applies a whole valid change or nothing.

One table row per form: the post a browser sends (every input, some of them changed), the
object's observable state, and invalid values. The test drops each input in turn, then sends
each invalid value: every such post gets the dialog again with the message at the field (naming
the input that is missing), and the object exactly as it was. Last, the whole post is sent and
succeeds, which shows the row's form really is whole (else the refusals would prove nothing).
The Edit Limits dialog once cleared every limit of a namespace on `cpu_limit=abc`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from django.urls import reverse

from inventory.models import ContentLibrary, StoragePolicy
from tests.atomic_forms import FORM, Case, assert_atomic, field_error, logged_in
from tests.workloads.conftest import NEXT, drive, spec
from tests.workloads.test_cluster_views import wizard_form
from workloads import forms, services
from workloads.cluster_objects import export_manifest
from workloads.models import Namespace, NamespaceAccess, Supervisor, VirtualMachineClass, VksCluster
from workloads.services import clusters
from workloads.specs import section_raw
from workloads.views.supervisors import WIZARD_KEY

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- a namespace's dialogs


def ns_dialog(kind: str) -> Callable[[dict], str]:
    return lambda w: reverse(f"workloads:namespace-{kind}", args=["team-a"])


def ns_state(w: dict) -> tuple:
    """All that the namespace's dialogs may change."""
    ns = Namespace.objects.get(pk=w["namespace"].pk)
    return (
        ns.generation,
        ns.description,
        (ns.cpu_limit_mhz, ns.memory_limit_mib, ns.storage_limit_mib),
        sorted((str(s.policy.policy_id), s.limit_mib) for s in ns.storage.all()),
        sorted(ns.vm_classes.values_list("name", flat=True)),
        sorted(str(i) for i in ns.content_libraries.values_list("library_id", flat=True)),
        ns.kubernetes_library_id,
        sorted(ns.access.values_list("subject_type", "subject", "domain", "role")),
    )


NAMESPACE_CASES = {
    "limits": Case(
        ns_dialog("limits-edit"),
        lambda w: {
            "cpu_limit_mhz": "6",
            "cpu_unit": "GHz",
            "memory_limit_mib": "16",
            "memory_unit": "GB",
            "storage_limit_mib": "",  # sent empty: no limit, a choice
            "storage_unit": "GB",
        },
        ns_state,
        invalid=(
            ("cpu_limit_mhz", "abc", "cpu_limit_mhz"),
            ("memory_limit_mib", "-1", "memory_limit_mib"),
            ("memory_unit", "PB", "memory_limit_mib"),
        ),
        at={
            "cpu_unit": "cpu_limit_mhz",
            "memory_unit": "memory_limit_mib",
            "storage_unit": "storage_limit_mib",
        },
    ),
    "storage": Case(
        ns_dialog("storage-edit"),
        lambda w: {
            "policy": ["", w["kept"], w["added"]],
            f"limit.{w['kept']}": "10",
            f"unit.{w['kept']}": "GB",
            f"limit.{w['added']}": "20",
            f"unit.{w['added']}": "GB",
        },
        ns_state,
        invalid=(
            ("limit.{added}", "lots", "limit.{added}"),
            ("policy", ["", "nope"], "policies"),
        ),
        at={
            "policy": "policies",
            "limit.{kept}": "policies",
            "unit.{kept}": "policies",
            "limit.{added}": "policies",
            "unit.{added}": "policies",
        },
    ),
    "vm-classes": Case(
        ns_dialog("vm-classes-edit"),
        lambda w: {"vm_class": ["", "best-effort-small", "guaranteed-small"]},
        ns_state,
        invalid=(("vm_class", ["", "no-such-class"], "vm_class"),),
    ),
    "libraries": Case(
        ns_dialog("libraries-edit"),
        lambda w: {"library": ["", w["library"]]},
        ns_state,
        invalid=(("library", ["", "not-a-library"], "library"),),
    ),
    "kubernetes-library": Case(
        ns_dialog("kubernetes-library-edit"),
        lambda w: {"library": w["library"]},
        ns_state,
        invalid=(("library", "nope", "library"),),
    ),
    "permission-add": Case(
        ns_dialog("permission-add"),
        lambda w: {
            "domain": "vsphere.local",
            "subject_type": "USER",
            "subject": "outsider",
            "role": "VIEW",
        },
        ns_state,
        invalid=(("role", "ROOT", "role"), ("subject", "nobody", "subject")),
        at={"domain": "subject"},
        radios=("subject_type",),
    ),
    "permission-edit": Case(
        lambda w: reverse("workloads:namespace-permission-edit", args=["team-a", w["entry"]]),
        lambda w: {"role": "OWNER"},
        ns_state,
        invalid=(("role", "ROOT", "role"),),
    ),
}


def configure(admin, namespace: Namespace) -> dict:
    """Something in every setting a dialog or an UpdateSpec edits, so that clearing one shows:
    limits, a storage policy with a limit, a VM class, a library. The world the rows read."""
    policies = StoragePolicy.objects.filter(
        datastores__hosts__cluster=namespace.supervisor.cluster
    ).distinct()
    kept, added = policies.order_by("name")[:2]
    libraries = [str(lib.library_id) for lib in ContentLibrary.objects.order_by("name")]
    services.namespace_limits_set(
        namespace=namespace,
        cpu_limit_mhz=5000,
        memory_limit_mib=8192,
        storage_limit_mib=102400,
        user=admin,
    )
    services.namespace_storage_set(
        namespace=namespace, limits={str(kept.policy_id): 10240}, user=admin
    )
    services.namespace_vm_classes_set(namespace=namespace, names=["best-effort-small"], user=admin)
    services.namespace_libraries_set(namespace=namespace, library_ids=libraries[:1], user=admin)
    services.namespace_kubernetes_library_set(
        namespace=namespace, library_id=libraries[0], user=admin
    )
    return {
        "namespace": namespace,
        "kept": str(kept.policy_id),
        "added": str(added.policy_id),
        "library": libraries[-1],
    }


@pytest.fixture
def configured(admin, namespace, editor, outsider) -> dict:
    """team-a configured, eddie (the editor) holding a permission to edit, the outsider none."""
    entry = NamespaceAccess.objects.get(namespace=namespace, subject="eddie").pk
    return configure(admin, namespace) | {"entry": entry}


@pytest.mark.parametrize("kind", NAMESPACE_CASES)
def test_namespace_dialogs_change_all_or_nothing(admin_client, configured, kind):
    assert_atomic(admin_client, NAMESPACE_CASES[kind], configured)


def test_the_limits_post_of_the_report_changes_nothing(admin_client, configured):
    """`cpu_limit=abc` alone (no field of the form) once answered 302 and cleared every limit."""
    url = reverse("workloads:namespace-limits-edit", args=["team-a"])
    before = ns_state(configured)
    response = admin_client.post(url, {"cpu_limit": "abc"})
    assert response.status_code == 400
    assert 'did not send "cpu_limit_mhz"' in field_error(response.content.decode(), "cpu_limit_mhz")
    assert ns_state(configured) == before
    ns = Namespace.objects.get(pk=configured["namespace"].pk)
    assert (ns.cpu_limit_mhz, ns.memory_limit_mib, ns.storage_limit_mib) == (5000, 8192, 102400)


def test_create_namespace_creates_all_or_nothing(admin_client, supervisor):
    case = Case(
        lambda w: reverse("workloads:namespace-create"),
        lambda w: (
            {"supervisor": str(supervisor.supervisor_id), "name": "team-b"}
            | {"description": "B team"}
        ),
        lambda w: sorted(Namespace.objects.values_list("name", "description")),
        invalid=(("name", "Team_B", "name"), ("supervisor", "nope", "supervisor")),
    )
    assert_atomic(admin_client, case, {})


# ---------------------------------------------------------------- a VKS cluster's dialogs


def cluster_state(w: dict) -> tuple:
    cluster = VksCluster.objects.get(pk=w["cluster"].pk)
    return (cluster.generation, cluster.spec, cluster.is_deleting)


def cluster_dialog(kind: str, *pool: str) -> Callable[[dict], str]:
    return lambda w: reverse(f"workloads:cluster-{kind}", args=["team-a", "web", *pool])


def generation(w: dict) -> str:
    return str(w["cluster"].generation)


CLUSTER_CASES = {
    "scale": Case(
        cluster_dialog("scale"),
        lambda w: {"pool": "node-pool-1", "replicas": "3", "generation": generation(w)},
        cluster_state,
        invalid=(("replicas", "abc", "replicas"), ("replicas", "-1", "replicas")),
        at={"generation": FORM},
    ),
    "pool-add": Case(
        cluster_dialog("pool-add"),
        lambda w: {
            "name": "gpu",
            "replicas": "1",
            "vm_class": "best-effort-medium",
            "storage_class": w["storage_class"],
            "generation": generation(w),
        },
        cluster_state,
        invalid=(("replicas", "x", "replicas"), ("vm_class", "guaranteed-8xlarge", "vm_class")),
        at={"generation": FORM},
    ),
    "pool-remove": Case(
        cluster_dialog("pool-remove", "gpu"),
        lambda w: {"generation": generation(w)},
        cluster_state,
        at={"generation": FORM},
    ),
    "upgrade": Case(
        cluster_dialog("upgrade"),
        lambda w: {"version": NEXT, "generation": generation(w)},
        cluster_state,
        invalid=(("version", "v0.1.0", "version"),),
        at={"generation": FORM},
    ),
    "delete": Case(
        cluster_dialog("delete"),
        lambda w: {"generation": generation(w)},
        cluster_state,
        at={"generation": FORM},
    ),
}


@pytest.mark.parametrize("kind", CLUSTER_CASES)
def test_cluster_dialogs_change_all_or_nothing(editor, namespace, storage_class, kind):
    cluster = clusters.cluster_create(
        namespace=namespace, name="web", spec=spec(storage_class), user=editor
    )
    if kind == "pool-remove":
        pool = {"name": "gpu", "replicas": 0}
        pool |= {"vmClass": "best-effort-small", "storageClass": storage_class}
        clusters.cluster_nodepool_add(cluster=cluster, pool=pool, generation=None, user=editor)
    drive(cluster)
    cluster.refresh_from_db()
    world = {"cluster": cluster, "storage_class": storage_class}
    assert_atomic(logged_in(editor), CLUSTER_CASES[kind], world)


# ---------------------------------------------------------------- VM classes


def vm_class_state(w: dict) -> list[tuple]:
    return sorted(
        VirtualMachineClass.objects.values_list(
            "name",
            "cpu_count",
            "memory_mib",
            "cpu_reservation",
            "memory_reservation",
            "description",
        )
    )


VM_CLASS_FORM = {
    "cpu_count": "2",
    "cpu_reservation": "50",
    "memory": "4",
    "memory_unit": "GB",
    "memory_reservation": "100",
    "description": "changed",
}
VM_CLASS_CASES = {
    "edit": Case(
        lambda w: reverse("workloads:vm-class-edit", args=["guaranteed-small"]),
        lambda w: VM_CLASS_FORM,
        vm_class_state,
        invalid=(
            ("cpu_count", "0", "cpu_count"),
            ("memory", "lots", "memory"),
            ("cpu_reservation", "150", "cpu_reservation"),
        ),
        at={"memory_unit": "memory"},
    ),
    "create": Case(
        lambda w: reverse("workloads:vm-class-create"),
        lambda w: {"name": "web-small", **VM_CLASS_FORM},
        vm_class_state,
        invalid=(("name", "Web", "name"), ("memory_reservation", "-5", "memory_reservation")),
        at={"memory_unit": "memory"},
    ),
}


@pytest.mark.parametrize("kind", VM_CLASS_CASES)
def test_vm_class_dialogs_change_all_or_nothing(admin_client, kind):
    assert_atomic(admin_client, VM_CLASS_CASES[kind], {})


# ---------------------------------------------------------------- the Supervisor


def supervisor_state(w: dict) -> tuple:
    sup = Supervisor.objects.get(pk=w["supervisor"].pk)
    return (sup.generation, sup.spec)


def configure_form(section: str, **changes) -> Callable[[dict], dict]:
    """The section's Edit form as shown (its network mode's fields), with `changes`."""

    def post(w: dict) -> dict:
        sup = w["supervisor"]
        shown = section_raw(sup.spec[section])
        names = [f.name for f in forms.edit_fields(sup.spec, section)]
        return {name: shown.get(name, "") for name in names} | changes

    return post


SUPERVISOR_CASES = {
    section: Case(
        lambda w, section=section: reverse(
            "workloads:supervisor-edit", args=[w["supervisor"].supervisor_id, section]
        ),
        configure_form(section, **change),
        supervisor_state,
        invalid=((bad, "not-an-address", bad),),
        refused=200,
    )
    for section, change, bad in (
        ("management_network", {"ntp_servers": "time.example.com"}, "gateway"),
        ("workload_network", {"dns_servers": "10.10.10.6"}, "gateway"),
        ("load_balancer", {"address_ranges": "10.10.30.64-10.10.30.100"}, "address_ranges"),
    )
}


@pytest.mark.parametrize("section", SUPERVISOR_CASES)
def test_supervisor_configure_forms_change_all_or_nothing(admin_client, supervisor, section):
    assert_atomic(admin_client, SUPERVISOR_CASES[section], {"supervisor": supervisor})


def test_a_wizard_step_without_a_field_keeps_what_the_step_held(admin_client, raw_spec):
    """The enable wizard keeps its steps in the session: a truncated NEXT or BACK must not
    empty a value typed earlier, nor move on."""
    url = reverse("workloads:supervisor-enable")
    order = [step.section for step in forms.STEPS]
    for section in order[:5]:  # up to Management Network, each step as a browser sends it
        whole = dict.fromkeys(forms.sent_always(forms.step_fields(section)), "")
        data = whole | raw_spec[section] | {"step": order.index(section), "action": "next"}
        assert admin_client.post(url, data).status_code == 302, section
    held = admin_client.session[WIZARD_KEY]["raw"]
    whole = dict.fromkeys(forms.sent_always(forms.step_fields("management_network")), "")
    for action in ("next", "back"):
        data = whole | raw_spec["management_network"] | {"step": "4", "action": action}
        del data["gateway"]
        response = admin_client.post(url, data)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-step="management_network"' in html
        assert 'did not send "gateway"' in field_error(html, "gateway")
        state = admin_client.session[WIZARD_KEY]
        assert state["raw"] == held and state["step"] == 4


def test_create_cluster_creates_all_or_nothing(editor, namespace, storage_class):
    """CREATE CLUSTER: a field or a node pool column left out is refused, never defaulted (its
    submit button's `op` may be absent: Enter in a field posts the first button, CREATE)."""
    form = wizard_form(storage_class)  # and a second pool: rows must stay rows
    del form["op"]
    form["pool_name"] += ["gpu"]
    form["pool_replicas"] += ["1"]
    form["pool_vm_class"] += ["best-effort-medium"]
    form["pool_storage_class"] += [storage_class]
    case = Case(
        lambda w: reverse("workloads:cluster-create", args=["team-a"]),
        lambda w: form,
        lambda w: sorted(VksCluster.objects.values_list("name", "spec")),
        invalid=(("cp_replicas", "two", "cp_replicas"), ("pool_replicas", ["2", "x"], "pools")),
        at={
            "pool_name": "pools",
            "pool_replicas": "pools",
            "pool_vm_class": "pools",
            "pool_storage_class": "pools",
        },
    )
    assert_atomic(logged_in(editor), case, {})


def test_apply_yaml_of_a_broken_manifest_changes_nothing(editor, namespace, storage_class):
    cluster = clusters.cluster_create(
        namespace=namespace, name="web", spec=spec(storage_class), user=editor
    )
    before = (cluster.generation, cluster.spec)
    url = reverse("workloads:cluster-apply", args=["team-a"])
    manifest = export_manifest(cluster, nodes=[])
    client = logged_in(editor)
    for broken in (
        manifest.replace("replicas: 2", 'replicas: "three"'),
        manifest.split("\nspec:")[0],  # no spec at all
        "",
    ):
        response = client.post(url, {"op": "apply", "manifest": broken})
        assert response.status_code == 400, broken
        cluster.refresh_from_db()
        assert (cluster.generation, cluster.spec) == before
    whole = manifest.replace("replicas: 2", "replicas: 3")
    assert client.post(url, {"op": "apply", "manifest": whole}).status_code == 302
    cluster.refresh_from_db()
    assert cluster.spec["topology"]["nodePools"][0]["replicas"] == 3


def test_apply_yaml_without_counts_keeps_the_running_ones(editor, namespace, storage_class):
    cluster = clusters.cluster_create(
        namespace=namespace, name="web", spec=spec(storage_class, workers=3), user=editor
    )
    document = yaml.safe_load(export_manifest(cluster, nodes=[]))
    del document["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"]
    url = reverse("workloads:cluster-apply", args=["team-a"])
    response = logged_in(editor).post(url, {"op": "apply", "manifest": yaml.safe_dump(document)})
    assert response.status_code == 302
    cluster.refresh_from_db()
    assert cluster.spec["topology"]["nodePools"][0]["replicas"] == 3
