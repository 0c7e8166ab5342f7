"""vSphere Namespace rules: who holds which role, and what access, storage, limits, VM classes
and deletion accept or refuse. A refused change writes nothing."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from inventory import sso
from inventory.auth import NO_PERMISSION, SsoLoginForm
from inventory.models import Datastore, Host, ResourcePool, StoragePolicy, Task, VirtualMachine
from tests.conftest import PASSWORD
from tests.workloads.conftest import settle
from workloads import reconcilers, selectors, services
from workloads.access import namespace_role, namespaces_visible_to
from workloads.models import Namespace, NamespaceAccess, NamespaceStorage, VksCluster
from workloads.specs import SpecError

pytestmark = pytest.mark.django_db


def fresh(user):
    """The same user without the per-request role memo."""
    return type(user).objects.get(pk=user.pk)


def vm_in(ns: Namespace, *, cpu_mhz=1200, memory_mib=4096, disk_mib=20480, policy=None):
    """A powered-on VM in the namespace's resource pool, as a VKS node will be."""
    host = Host.objects.filter(cluster=ns.supervisor.cluster).first()
    vm = VirtualMachine(
        name=f"node-{uuid.uuid4().hex[:5]}",
        host=host,
        resource_pool=reconcilers.namespace_pool(ns),
        folder=reconcilers.namespace_folder(ns),
        datastore=Datastore.objects.filter(hosts=host).first(),
        power_state=VirtualMachine.PowerState.ON,
        cpu_usage_mhz=cpu_mhz,
        memory_usage_mib=memory_mib,
        disk_mib=disk_mib,
        storage_policy=policy,
        instance_uuid=uuid.uuid4(),
    )
    vm.assign_moid()
    vm.save()
    return vm


def compatible_policy(ns: Namespace) -> StoragePolicy:
    return (
        StoragePolicy.objects.filter(datastores__hosts__cluster=ns.supervisor.cluster)
        .distinct()
        .order_by("name")
        .first()
    )


# ---------------------------------------------------------------- roles


def test_roles_of_the_cast(admin, auditor, owner, editor, viewer, stranger, namespace):
    roles = {
        "admin": namespace_role(admin, namespace),
        "auditor": namespace_role(auditor, namespace),
        "owner": namespace_role(owner, namespace),
        "editor": namespace_role(editor, namespace),
        "viewer (group)": namespace_role(viewer, namespace),
        "stranger": namespace_role(stranger, namespace),
    }
    assert roles == {
        "admin": "OWNER",
        "auditor": "VIEW",
        "owner": "OWNER",
        "editor": "EDIT",
        "viewer (group)": "VIEW",
        "stranger": None,
    }


def test_the_strongest_grant_wins_user_or_group(admin, namespace, viewer):
    services.namespace_access_set(
        namespace=namespace, subject_type="USER", subject="vera", role="EDIT", user=admin
    )
    assert namespace_role(fresh(viewer), namespace) == "EDIT"


def test_developers_see_only_their_namespaces(admin, namespace, viewer, stranger):
    assert [n.name for n in namespaces_visible_to(fresh(viewer))] == ["team-a"]
    assert [n.name for n in namespaces_visible_to(fresh(stranger))] == ["team-z"]
    assert namespaces_visible_to(fresh(admin)).count() == 2


def test_a_developer_with_a_namespace_may_log_in_and_one_without_may_not(viewer, outsider):
    assert SsoLoginForm(data={"username": "VERA@vsphere.local", "password": PASSWORD}).is_valid()
    form = SsoLoginForm(data={"username": "outsider@vsphere.local", "password": PASSWORD})
    assert not form.is_valid() and NO_PERMISSION in form.non_field_errors()
    assert authenticate(username="outsider@vsphere.local", password=PASSWORD) is not None


# ---------------------------------------------------------------- permissions


def test_owner_grants_a_role_and_the_namespace_reconfigures(owner, namespace):
    settle(namespace)
    namespace.refresh_from_db()
    before = namespace.generation
    services.namespace_access_set(
        namespace=namespace, subject_type="GROUP", subject="Administrators", role="VIEW", user=owner
    )
    namespace.refresh_from_db()
    assert namespace.generation == before + 1 and namespace.config_status == "CONFIGURING"
    assert Task.objects.filter(name="Update namespace").exists()
    settle(namespace)
    namespace.refresh_from_db()
    assert (namespace.config_status, namespace.observed_generation) == (
        "RUNNING",
        namespace.generation,
    )


def test_granting_again_changes_the_role_of_the_same_entry(admin, editor, namespace):
    services.namespace_access_set(
        namespace=namespace, subject_type="USER", subject="EDDIE", role="VIEW", user=admin
    )
    entry = NamespaceAccess.objects.get(namespace=namespace, subject__iexact="eddie")
    assert (entry.subject, entry.role, entry.principal) == ("eddie", "VIEW", "VSPHERE.LOCAL\\eddie")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"subject_type": "USER", "subject": "nobody"}, "subject", "was not found"),
        ({"subject_type": "GROUP", "subject": "NoSuchGroup"}, "subject", "was not found"),
        ({"subject_type": "ROBOT", "subject": "eddie"}, "subject_type", "User or Group"),
        ({"subject_type": "USER", "subject": ""}, "subject", "Enter a user or group"),
    ],
)
def test_bad_permission_input_names_the_field(admin, namespace, fields, field, message):
    with pytest.raises(SpecError) as refused:
        services.namespace_access_set(namespace=namespace, role="VIEW", user=admin, **fields)
    assert message in refused.value.errors[field]
    assert not NamespaceAccess.objects.filter(namespace=namespace).exists()


def test_a_bad_role_is_refused(admin, namespace, editor):
    with pytest.raises(SpecError) as refused:
        services.namespace_access_set(
            namespace=namespace, subject_type="USER", subject="eddie", role="ADMIN", user=admin
        )
    assert "Owner" in refused.value.errors["role"]


def test_editors_and_viewers_cannot_manage_permissions_and_strangers_do_not_see_it(
    namespace, editor, viewer, stranger
):
    for user in (editor, viewer):
        with pytest.raises(PermissionDenied):
            services.namespace_access_set(
                namespace=namespace, subject_type="USER", subject="sam", role="VIEW", user=user
            )
    with pytest.raises(Http404):
        services.namespace_access_set(
            namespace=namespace, subject_type="USER", subject="sam", role="VIEW", user=stranger
        )
    assert NamespaceAccess.objects.filter(namespace=namespace, subject="sam").count() == 0


def test_owner_removes_a_permission(owner, editor, namespace):
    entry = NamespaceAccess.objects.get(namespace=namespace, subject="eddie")
    services.namespace_access_remove(namespace=namespace, entry_id=entry.pk, user=owner)
    assert namespace_role(fresh(editor), namespace) is None


# ---------------------------------------------------------------- limits


def test_limits_are_applied_to_the_namespace_resource_pool(admin, namespace):
    services.namespace_limits_set(
        namespace=namespace,
        cpu_limit_mhz="10000",
        memory_limit_mib=16384,
        storage_limit_mib="",
        user=admin,
    )
    settle(namespace)
    pool = reconcilers.namespace_pool(namespace)
    assert (pool.cpu_limit_mhz, pool.memory_limit_mib) == (10000, 16384)
    namespace.refresh_from_db()
    assert namespace.storage_limit_mib is None and namespace.config_status == "RUNNING"
    services.namespace_limits_set(namespace=namespace, user=admin)  # all blank: unlimited
    settle(namespace)
    pool.refresh_from_db()
    assert (pool.cpu_limit_mhz, pool.memory_limit_mib) == (-1, -1)


def test_a_limit_below_usage_is_refused_and_says_the_usage(admin, namespace):
    vm_in(namespace, cpu_mhz=1200, memory_mib=4096, disk_mib=20480)
    with pytest.raises(SpecError) as refused:
        services.namespace_limits_set(
            namespace=namespace,
            cpu_limit_mhz=1000,
            memory_limit_mib=2048,
            storage_limit_mib=10240,
            user=admin,
        )
    assert refused.value.errors == {
        "cpu_limit_mhz": "The CPU limit cannot be less than current usage (1200 MHz).",
        "memory_limit_mib": "The memory limit cannot be less than current usage (4.00 GB).",
        "storage_limit_mib": "The storage limit cannot be less than current usage (20.00 GB).",
    }
    namespace.refresh_from_db()
    assert namespace.cpu_limit_mhz is None


@pytest.mark.parametrize("value", ["abc", "-5", "0", "1.5"])
def test_a_limit_must_be_a_positive_whole_number(admin, namespace, value):
    with pytest.raises(SpecError) as refused:
        services.namespace_limits_set(namespace=namespace, cpu_limit_mhz=value, user=admin)
    assert "cpu_limit_mhz" in refused.value.errors


def test_only_administrators_configure_limits_storage_and_vm_service(namespace, owner):
    with pytest.raises(PermissionDenied):
        services.namespace_limits_set(namespace=namespace, cpu_limit_mhz=100, user=owner)
    with pytest.raises(PermissionDenied):
        services.namespace_vm_classes_set(namespace=namespace, names=[], user=owner)
    with pytest.raises(PermissionDenied):
        services.namespace_storage_set(namespace=namespace, limits={}, user=owner)


# ---------------------------------------------------------------- storage


def test_storage_policies_with_limits(admin, namespace):
    policy = compatible_policy(namespace)
    services.namespace_storage_set(
        namespace=namespace, limits={str(policy.policy_id): "51200"}, user=admin
    )
    spec = NamespaceStorage.objects.get(namespace=namespace)
    assert (spec.policy, spec.limit_mib) == (policy, 51200)
    services.namespace_storage_set(namespace=namespace, limits={}, user=admin)
    assert not NamespaceStorage.objects.filter(namespace=namespace).exists()


def test_a_policy_the_supervisor_cluster_cannot_use_is_refused(admin, namespace):
    foreign = StoragePolicy.objects.create(policy_id=uuid.uuid4(), name="Elsewhere")
    with pytest.raises(SpecError, match="compatible"):
        services.namespace_storage_set(
            namespace=namespace, limits={str(foreign.policy_id): ""}, user=admin
        )


def test_a_policy_in_use_cannot_be_removed_nor_limited_below_use(admin, namespace):
    policy = compatible_policy(namespace)
    services.namespace_storage_set(
        namespace=namespace, limits={str(policy.policy_id): ""}, user=admin
    )
    vm = vm_in(namespace, disk_mib=30720, policy=policy)
    with pytest.raises(SpecError) as refused:
        services.namespace_storage_set(namespace=namespace, limits={}, user=admin)
    assert vm.name in refused.value.errors["policies"]
    with pytest.raises(SpecError) as refused:
        services.namespace_storage_set(
            namespace=namespace, limits={str(policy.policy_id): "1024"}, user=admin
        )
    assert "(30.00 GB)" in refused.value.errors[f"limit.{policy.policy_id}"]
    assert NamespaceStorage.objects.get(namespace=namespace).limit_mib is None


def test_a_policy_a_vks_cluster_uses_cannot_be_removed(admin, namespace):
    policy = compatible_policy(namespace)
    services.namespace_storage_set(
        namespace=namespace, limits={str(policy.policy_id): ""}, user=admin
    )
    storage_class = services.storage_class_name(policy.name)
    VksCluster.objects.create(
        name="web",
        namespace=namespace,
        spec={"topology": {"controlPlane": {"storageClass": storage_class}}},
    )
    with pytest.raises(SpecError, match="in use by web"):
        services.namespace_storage_set(namespace=namespace, limits={}, user=admin)


# ---------------------------------------------------------------- VM classes


def test_vm_classes_are_associated_and_a_class_in_use_stays(admin, namespace):
    services.namespace_vm_classes_set(
        namespace=namespace, names=["best-effort-small", "guaranteed-medium"], user=admin
    )
    assert sorted(namespace.vm_classes.values_list("name", flat=True)) == [
        "best-effort-small",
        "guaranteed-medium",
    ]
    VksCluster.objects.create(
        name="web",
        namespace=namespace,
        spec={"topology": {"nodePools": [{"name": "np", "vmClass": "best-effort-small"}]}},
    )
    with pytest.raises(SpecError, match="used by VKS cluster web"):
        services.namespace_vm_classes_set(
            namespace=namespace, names=["guaranteed-medium"], user=admin
        )
    with pytest.raises(SpecError, match="does not exist"):
        services.namespace_vm_classes_set(
            namespace=namespace, names=["best-effort-small", "huge"], user=admin
        )
    assert namespace.vm_classes.count() == 2


# ---------------------------------------------------------------- delete


def test_delete_is_refused_while_vks_clusters_exist_and_names_them(admin, namespace):
    for name in ("web", "api"):
        VksCluster.objects.create(name=name, namespace=namespace)
    with pytest.raises(services.NamespaceStateError, match="VKS clusters: api, web"):
        services.namespace_delete(namespace=namespace, user=admin)
    namespace.refresh_from_db()
    assert not namespace.is_deleting and namespace.config_status == "RUNNING"


def test_owners_may_delete_and_editors_may_not(namespace, owner, editor):
    with pytest.raises(PermissionDenied):
        services.namespace_delete(namespace=namespace, user=editor)
    services.namespace_delete(namespace=namespace, user=owner)
    settle(namespace)
    assert not Namespace.objects.filter(name="team-a").exists()


def test_changes_to_a_namespace_being_deleted_are_refused(admin, namespace):
    services.namespace_delete(namespace=namespace, user=admin)
    with pytest.raises(services.NamespaceStateError, match="being deleted"):
        services.namespace_limits_set(namespace=namespace, cpu_limit_mhz=100, user=admin)


def test_deleting_an_sso_user_drops_its_namespace_permissions(admin, editor, namespace):
    sso.sso_user_delete(target=editor, user=admin)
    assert not NamespaceAccess.objects.filter(subject="eddie").exists()
    assert namespace_role(fresh(admin), namespace) == "OWNER"


def test_a_huge_limit_is_refused_at_the_field(admin, namespace):
    with pytest.raises(SpecError) as refused:
        services.namespace_limits_set(namespace=namespace, memory_limit_mib="9" * 30, user=admin)
    assert "at most" in refused.value.errors["memory_limit_mib"]


def test_the_navigator_opens_a_namespace_pool_as_the_namespace_page(admin_client, namespace):
    pool = reconcilers.namespace_pool(namespace)
    response = admin_client.get(
        reverse("inventory:tree-children", args=["hosts", pool.parent.moid])
    )
    node = next(n for n in response.context["nodes"] if n.name == "team-a")
    assert node.icon == "namespaces"
    assert node.url == reverse("workloads:namespace-summary", args=["team-a"])


def test_usage_counts_vms_in_the_pools_of_its_vks_clusters(admin, namespace):
    vm_in(namespace, cpu_mhz=1000, memory_mib=1024, disk_mib=2048)
    parent = reconcilers.namespace_pool(namespace)
    pool = ResourcePool(cluster=parent.cluster, parent=parent, name="web")
    pool.assign_moid()
    pool.save()
    node = vm_in(namespace, cpu_mhz=500, memory_mib=2048, disk_mib=4096)
    VirtualMachine.objects.filter(pk=node.pk).update(resource_pool=pool)
    assert selectors.namespace_usage(namespace) == selectors.Usage(1500, 3072, 6144)
    row = next(n for n in selectors.namespace_page(admin) if n.name == "team-a")
    assert (row.cpu_used_mhz, row.memory_used_mib, row.storage_used_mib) == (1500, 3072, 6144)
