"""The navigator reveals the object a Workload Management page is about, in a real browser: a
namespace opened from a Recent Tasks link (an htmx swap of the main pane) opens the tree down to
its resource pool, selected and in view; the Supervisor's page then selects its vSphere cluster."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import Page, expect

from inventory.estates import demo
from inventory.models import Cluster, ResourcePool
from tests.factories import supervisor_raw_spec
from tests.workloads.conftest import settle
from tests.workloads.test_supervisor import converge
from workloads import services
from workloads.models import Supervisor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _namespace(transactional_db) -> Supervisor:
    """A running Supervisor on Workload-Cluster-01 and a namespace `team-a` on it."""
    demo.load()  # an earlier transactional test may have flushed the database
    admin = get_user_model().objects.get(username="administrator@vsphere.local")
    cluster = Cluster.objects.select_related("datacenter").get(name=demo.WORKLOAD_01)
    sup = services.supervisor_enable(spec=supervisor_raw_spec(cluster), user=admin)
    converge(sup)
    settle(services.namespace_create(supervisor=sup, name="team-a", user=admin))
    return Supervisor.objects.get(pk=sup.pk)


def selected(page: Page, moid: str):
    return page.locator(f"#navigator .tree-node[data-moid='{moid}'] .tree-link.selected")


def test_a_namespace_and_its_supervisor_are_revealed_and_selected(
    admin_page: Page, live_server, console_errors: list[str], _namespace: Supervisor
) -> None:
    page = admin_page
    pool = ResourcePool.objects.get(name="team-a", parent__name="Namespaces")
    # Only the vCenter's children are open: the namespace's pool is not in the tree yet.
    expect(page.locator(f"#navigator .tree-node[data-moid='{pool.moid}']")).to_have_count(0)

    task = page.locator("#recent-tasks tr.task", has_text="Create namespace").first
    task.get_by_role("link", name="team-a").click()
    expect(page.locator("#main h1")).to_contain_text("team-a")
    expect(selected(page, pool.moid)).to_be_visible()
    expect(selected(page, pool.moid)).to_be_in_viewport()

    url = reverse("workloads:supervisor-detail", args=[_namespace.supervisor_id, "summary"])
    page.goto(f"{live_server.url}{url}")
    expect(selected(page, _namespace.cluster.moid)).to_be_visible()
    assert console_errors == []
