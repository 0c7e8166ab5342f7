"""Two namespace services the REST API needed: changing the description, and granting a role
only to a principal that holds none yet (the Automation API's Access.create)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from inventory.models import Task
from workloads import services
from workloads.models import Namespace, NamespaceAccess
from workloads.specs import SpecError

pytestmark = pytest.mark.django_db


def test_an_administrator_changes_the_description_and_the_namespace_reconfigures(
    admin, namespace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.namespace_description_set(
            namespace=namespace, description=" Payments ", user=admin
        )
    ns = Namespace.objects.get(pk=namespace.pk)
    assert (ns.description, ns.generation) == ("Payments", namespace.generation + 1)
    assert ns.config_status == "CONFIGURING"
    assert ns.task.name == "Update namespace"
    reconciles = [c for c in callbacks if "namespace_reconcile_task" in repr(c)]
    assert len(reconciles) == 1  # enqueued on commit, not before


def test_the_same_description_changes_nothing(admin, namespace):
    services.namespace_description_set(namespace=namespace, description="", user=admin)
    ns = Namespace.objects.get(pk=namespace.pk)
    assert ns.generation == namespace.generation
    assert not Task.objects.filter(name="Update namespace").exists()


def test_owners_and_viewers_may_not_change_the_description_and_strangers_get_404(
    namespace, owner, viewer, stranger
):
    for user in (owner, viewer):
        with pytest.raises(PermissionDenied):
            services.namespace_description_set(namespace=namespace, description="x", user=user)
    with pytest.raises(Http404):
        services.namespace_description_set(namespace=namespace, description="x", user=stranger)
    assert Namespace.objects.get(pk=namespace.pk).description == ""


def test_access_add_grants_a_role_to_a_new_principal(owner, editor, namespace):
    NamespaceAccess.objects.filter(subject="eddie").delete()
    entry = services.namespace_access_add(
        namespace=namespace,
        subject_type="USER",
        subject="Eddie@vsphere.local",
        role="VIEW",
        user=owner,
    )
    assert (entry.subject, entry.domain, entry.role) == ("eddie", "vsphere.local", "VIEW")


def test_access_add_never_overwrites_an_existing_role(admin, editor, viewer, namespace):
    with pytest.raises(SpecError) as refused:
        services.namespace_access_add(
            namespace=namespace, subject_type="USER", subject="EDDIE", role="OWNER", user=admin
        )
    assert refused.value.errors == {
        "subject": "A permission for user EDDIE@vsphere.local already exists in namespace team-a."
    }
    with pytest.raises(SpecError):
        services.namespace_access_add(
            namespace=namespace, subject_type="GROUP", subject="Viewers", role="EDIT", user=admin
        )
    assert NamespaceAccess.objects.get(subject="eddie").role == "EDIT"
    assert NamespaceAccess.objects.get(subject="Viewers").role == "VIEW"


def test_only_owners_add_access(editor, namespace):
    with pytest.raises(PermissionDenied):
        services.namespace_access_add(
            namespace=namespace, subject_type="USER", subject="eddie", role="OWNER", user=editor
        )
