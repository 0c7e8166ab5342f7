"""The fixed cast and estate every test starts from.

The demo estate is loaded once per session (per xdist worker) into the test database; each test
runs in a transaction that is rolled back, so tests may change it freely. A transactional test
empties every table at its end; the estate is then written back as it was (tests/snapshots.py).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import TransactionTestCase

from inventory.estates import demo
from inventory.models import Host, VirtualMachine
from tests.snapshots import baseline, snapshots
from workloads import demo as workloads_demo
from workloads.models import Supervisor

PASSWORD = "VMware1!VMware1!"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        demo.load()
        baseline.take()


def workload_demo() -> None:
    """The demo's Workload Management on the demo estate (`workloads.demo.load()`: a Supervisor,
    two namespaces, a cluster in each, converged by their reconcilers): built once per process,
    replayed as rows after (tests/snapshots.py). Where a Supervisor exists already, the real
    load, which leaves it as it is: a recording made there would hold only what was missing."""
    if Supervisor.objects.exists():
        workloads_demo.load()
    else:
        snapshots("workloads demo", workloads_demo.load)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield


def _restore_the_baseline(test_case: TransactionTestCase) -> None:
    """A transactional test's end, in place of Django's flush (TRUNCATE of every table, then
    post_migrate's content types, permissions and VM classes anew: 1.5-2 s a test on PostgreSQL,
    and the demo estate to load again after): every table emptied and the rows the session's
    setup left written back, keys and all, in one transaction (tests/snapshots.py). Whatever runs
    next in this process (under xdist any test) starts from the demo estate, and the recorded
    starting states still apply."""
    baseline.restore()


@pytest.fixture(scope="session", autouse=True)
def _transactional_tests_end_on_the_baseline():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", _restore_the_baseline)
        yield


@pytest.fixture
def admin(db):
    """administrator@vsphere.local: member of Administrators, which holds Admin on the root."""
    return get_user_model().objects.get(username="administrator@vsphere.local")


@pytest.fixture
def auditor(db):
    """A read-only user: sees the whole inventory, may change nothing."""
    return get_user_model().objects.get(username="auditor@vsphere.local")


@pytest.fixture
def outsider(db):
    """An SSO user with no role anywhere."""
    return get_user_model().objects.create_user("outsider@vsphere.local", password=PASSWORD)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def vm_on(db):
    """A powered-on VM on a workload-cluster host."""
    return (
        VirtualMachine.objects.select_related("host__cluster__datacenter")
        .filter(
            power_state="poweredOn", is_template=False, host__cluster__name="Workload-Cluster-01"
        )
        .order_by("name")
        .first()
    )


@pytest.fixture
def vm_off(db):
    return (
        VirtualMachine.objects.select_related("host__cluster__datacenter")
        .filter(power_state="poweredOff", is_template=False)
        .order_by("name")
        .first()
    )


@pytest.fixture
def workload_host(db):
    """The workload-cluster host running the most powered-on VMs."""
    return (
        Host.objects.select_related("cluster__datacenter")
        .filter(cluster__name="Workload-Cluster-01")
        .order_by("name")
        .first()
    )
