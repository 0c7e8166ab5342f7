"""The Workload Management cast: a Supervisor spec the demo estate can satisfy (as the wizard
would post it), a running Supervisor, a namespace, and people holding each role in it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory.models import Cluster
from tests.conftest import PASSWORD
from tests.factories import supervisor_raw_spec
from tests.workloads.test_supervisor import converge
from workloads import reconcilers, services
from workloads.models import Namespace, NamespaceAccess, Supervisor


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

    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    converge(sup)
    return Supervisor.objects.get(pk=sup.pk)


def settle(ns) -> None:
    """Run the namespace's reconciler until it asks for no further pass."""

    while reconcilers.namespace_reconcile(ns.pk) is not None:
        pass


@pytest.fixture
def namespace(admin, supervisor):

    ns = services.namespace_create(supervisor=supervisor, name="team-a", user=admin)
    settle(ns)
    ns.refresh_from_db()
    return ns


def _developer(name: str):
    return get_user_model().objects.create_user(f"{name}@vsphere.local", password=PASSWORD)


@pytest.fixture
def owner(admin, namespace):

    user = _developer("olivia")
    services.namespace_access_set(
        namespace=namespace, subject_type="USER", subject="olivia", role="OWNER", user=admin
    )
    return user


@pytest.fixture
def editor(admin, namespace):

    user = _developer("eddie")
    services.namespace_access_set(
        namespace=namespace, subject_type="USER", subject="eddie", role="EDIT", user=admin
    )
    return user


@pytest.fixture
def viewer(admin, namespace):
    """Can view through the SSO group `Viewers`."""

    user = _developer("vera")
    group = Group.objects.create(name="Viewers")
    user.groups.add(group)
    services.namespace_access_set(
        namespace=namespace, subject_type="GROUP", subject="Viewers", role="VIEW", user=admin
    )
    return user


@pytest.fixture
def stranger(namespace):
    """A developer who logs in (holds a role elsewhere) but none in `namespace`."""
    user = _developer("sam")
    other = Namespace.objects.create(name="team-z", supervisor=namespace.supervisor)
    NamespaceAccess.objects.create(namespace=other, subject_type="USER", subject="sam", role="EDIT")
    return user
