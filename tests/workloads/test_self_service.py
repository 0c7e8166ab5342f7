"""Namespace self-service: the template, activate and deactivate as Tasks, and a developer's
namespace made from the template (allowed users and groups, the template's limits binding, the
creator its Owner)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from inventory.models import ContentLibrary, StoragePolicy, Task
from tests.conftest import PASSWORD
from tests.workloads.conftest import settle, spec
from vksportal.errors import DomainError, ErrorKind
from workloads import reconcilers, services
from workloads.access import namespace_role, self_service_for
from workloads.models import Namespace, NamespaceSelfService
from workloads.services import clusters
from workloads.specs import SpecError, storage_class_name

Status = NamespaceSelfService.Status


def storage_policy(supervisor) -> StoragePolicy:
    return (
        StoragePolicy.objects.filter(datastores__hosts__cluster=supervisor.cluster)
        .distinct()
        .order_by("name")
        .first()
    )


def template_spec(supervisor, **extra) -> dict:
    return {
        "resource_spec": {"cpu_limit": 4000, "memory_limit": 8192},
        "storage_specs": [{"policy": str(storage_policy(supervisor).policy_id), "limit": None}],
        "permissions": [{"subject_type": "GROUP", "subject": "Developers", "domain": ""}],
        "vm_service_spec": {
            "vm_classes": ["best-effort-small"],
            "content_libraries": [str(ContentLibrary.objects.order_by("name")[0].library_id)],
        },
    } | extra


@pytest.fixture
def developers(db):
    return Group.objects.create(name="Developers")


@pytest.fixture
def dana(developers):
    """A developer in the allowed group, holding no role anywhere."""
    user = get_user_model().objects.create_user("dana@vsphere.local", password=PASSWORD)
    user.groups.add(developers)
    return user


def run(service: NamespaceSelfService) -> NamespaceSelfService:
    """The reconciler's passes until it asks for no further one."""
    while reconcilers.self_service_reconcile(service.pk) is not None:
        pass
    service.refresh_from_db()
    return service


@pytest.fixture
def activated(admin, supervisor, developers):
    return run(
        services.namespace_self_service_activate(
            supervisor=supervisor,
            user=admin,
            template="dev-template",
            spec=template_spec(supervisor),
        )
    )


def test_activation_reconciles_on_commit(
    admin, supervisor, developers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        service = services.namespace_self_service_activate(
            supervisor=supervisor,
            user=admin,
            template="dev-template",
            spec=template_spec(supervisor),
        )
    assert service.status == Status.CONFIGURING
    queued = [c for c in callbacks if getattr(c, "func", None)]
    assert [c.args for c in queued] == [(service.pk,)]  # the reconcile, once committed


def test_activate_with_template_is_a_task_that_ends_running(activated):
    assert activated.status == Status.RUNNING
    assert activated.template == "dev-template"
    assert activated.task.name == "Activate namespace self-service"
    assert activated.task.state == Task.State.SUCCESS
    assert activated.observed_generation == activated.generation


def test_activate_needs_self_service_manage(supervisor, viewer):
    with pytest.raises(PermissionDenied):
        services.namespace_self_service_activate(
            supervisor=supervisor, user=viewer, template="t", spec=template_spec(supervisor)
        )
    assert not NamespaceSelfService.objects.exists()


def test_activate_without_a_template_is_not_found(admin, supervisor):
    with pytest.raises(DomainError) as error:
        services.namespace_self_service_activate(supervisor=supervisor, user=admin)
    assert error.value.kind == ErrorKind.NOT_FOUND


def test_activate_twice_is_already_exists(admin, activated):
    with pytest.raises(DomainError) as error:
        services.namespace_self_service_activate(supervisor=activated.supervisor, user=admin)
    assert error.value.kind == ErrorKind.ALREADY_EXISTS


def test_a_second_template_on_the_supervisor_is_refused(admin, activated):
    with pytest.raises(DomainError) as error:
        services.namespace_template_create(
            supervisor=activated.supervisor, name="other", spec={}, user=admin
        )
    assert error.value.kind == ErrorKind.ALREADY_EXISTS


def test_a_bad_template_changes_nothing(admin, supervisor, developers):
    bad = template_spec(
        supervisor,
        resource_spec={"cpu_limit": -1},
        permissions=[{"subject_type": "USER", "subject": "nobody", "domain": "vsphere.local"}],
        vm_service_spec={"vm_classes": ["no-such-class"]},
    )
    with pytest.raises(SpecError) as error:
        services.namespace_self_service_activate(
            supervisor=supervisor, user=admin, template="dev", spec=bad
        )
    assert set(error.value.errors) == {
        "resource_spec.cpu_limit",
        "permissions[0].subject",
        "vm_service_spec.vm_classes",
    }
    assert not NamespaceSelfService.objects.exists()
    assert not Task.objects.filter(name="Activate namespace self-service").exists()


def test_deactivate_is_a_task_and_keeps_the_template(admin, activated, dana):
    run(services.namespace_self_service_deactivate(supervisor=activated.supervisor, user=admin))
    activated.refresh_from_db()
    assert activated.status == Status.DEACTIVATED
    assert activated.task.name == "Deactivate namespace self-service"
    assert self_service_for(dana) == []
    with pytest.raises(DomainError) as error:
        services.namespace_self_service_deactivate(supervisor=activated.supervisor, user=admin)
    assert error.value.kind == ErrorKind.NOT_ALLOWED_IN_CURRENT_STATE


def test_update_of_a_running_template_is_a_task(admin, activated):
    # A resource_spec replaces the template's quota: a limit left out is unlimited.
    activated = run(
        services.namespace_template_update(
            supervisor=activated.supervisor,
            name="dev-template",
            spec={"resource_spec": {"cpu_limit": 2000}},
            user=admin,
        )
    )
    assert (activated.cpu_limit_mhz, activated.memory_limit_mib) == (2000, None)
    assert activated.task.name == "Update namespace template"
    assert activated.status == Status.RUNNING


# ---------------------------------------------------------------- a developer's namespace


def test_an_allowed_developer_creates_a_namespace_and_owns_it(activated, dana):
    ns = services.namespace_self_service_create(name="dana-ns", user=dana)
    settle(ns)
    ns = Namespace.objects.get(pk=ns.pk)
    assert ns.self_service and ns.creator == "VSPHERE.LOCAL\\dana"
    assert ns.config_status == Namespace.ConfigStatus.RUNNING
    assert namespace_role(dana, ns) == "OWNER"
    assert (ns.cpu_limit_mhz, ns.memory_limit_mib, ns.storage_limit_mib) == (4000, 8192, None)
    assert [s.policy_id for s in ns.storage.all()] == [storage_policy(activated.supervisor).pk]
    assert [c.name for c in ns.vm_classes.all()] == ["best-effort-small"]
    assert ns.content_libraries.count() == 1


def test_a_user_the_template_allows_by_name_may_create(admin, activated, outsider):
    assert outsider.get_username().endswith("@vsphere.local")
    update = services.namespace_template_update(
        supervisor=activated.supervisor,
        name="dev-template",
        spec={
            "permissions": [
                {"subject_type": "USER", "subject": outsider.get_username(), "domain": ""}
            ]
        },
        user=admin,
    )
    run(update)
    ns = services.namespace_self_service_create(name="own-ns", user=outsider)
    assert namespace_role(outsider, ns) == "OWNER"


def test_a_developer_the_template_does_not_name_is_refused(activated, stranger):
    with pytest.raises(PermissionDenied):
        services.namespace_self_service_create(name="sam-ns", user=stranger)
    assert not Namespace.objects.filter(name="sam-ns").exists()


def test_nobody_creates_while_the_service_is_deactivated(admin, activated, dana):
    run(services.namespace_self_service_deactivate(supervisor=activated.supervisor, user=admin))
    with pytest.raises(PermissionDenied):
        services.namespace_self_service_create(name="late", user=dana)


def test_namespace_name_rules_apply(activated, dana, namespace):
    with pytest.raises(SpecError) as error:
        services.namespace_self_service_create(name="Bad_Name", user=dana)
    assert "name" in error.value.errors
    with pytest.raises(DomainError) as taken:
        services.namespace_self_service_create(name=namespace.name, user=dana)
    assert taken.value.kind == ErrorKind.ALREADY_EXISTS


def test_the_owner_deletes_their_namespace(activated, dana):
    ns = services.namespace_self_service_create(name="dana-ns", user=dana)
    settle(ns)
    services.namespace_delete(namespace=ns, user=dana)
    settle(ns)
    assert not Namespace.objects.filter(name="dana-ns").exists()


def test_the_templates_limits_bind_a_vks_cluster(admin, activated, dana):
    update = services.namespace_template_update(
        supervisor=activated.supervisor,
        name="dev-template",
        spec={"resource_spec": {"cpu_limit": 100, "memory_limit": 512}},
        user=admin,
    )
    run(update)
    ns = services.namespace_self_service_create(name="tiny", user=dana)
    settle(ns)
    storage = storage_class_name(storage_policy(activated.supervisor).name)
    with pytest.raises(DomainError) as error:
        clusters.cluster_create(namespace=ns, name="big", spec=spec(storage), user=dana)
    assert error.value.kind == ErrorKind.UNABLE_TO_ALLOCATE_RESOURCE
