"""Create Cluster's Namespace Quota in a real browser: a developer of `storefront` (14,400 MHz of
CPU left of its 30,000 MHz limit) types more workers than fit, and admission's refusal appears
and Create is disabled before anything is submitted; with fewer workers it fits, and Create
makes the cluster.

Celery is eager and simulated time instant in tests; the region's refresh is htmx's, 300 ms
after the last change, so each expectation waits for what the page shows, not for a time."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect

# The demo estate and Workload Management (`storefront`, its limits and `storefront-dev`).
from tests.browser.conftest import log_in
from tests.browser.test_cluster_lifecycle import _workload_management  # noqa: F401 (autouse)
from workloads.models import Namespace, VksCluster
from workloads.quota import cluster_quota

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEVELOPER = "carol@vsphere.local"  # a member of DevTeam-Storefront: Can edit in `storefront`


def test_the_wizard_refuses_too_many_workers_before_submit_and_creates_what_fits(
    page: Page, live_server, console_errors: list[str]
) -> None:
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    expect(page.locator("#main h1")).to_be_visible()
    page.goto(live_server.url + reverse("workloads:cluster-create", args=["storefront"]))

    wizard = page.locator("#main.cluster-wizard-view")
    preview = wizard.locator("#quota-preview")
    create = wizard.locator("#wizard-footer").get_by_role("button", name="Create")
    workers = wizard.locator("tr[data-pool-row='0'] input[name=pool_replicas]")
    cpu = preview.locator("tr[data-quota='limits.cpu']")
    # The defaults fit: one worker beside the control plane node (two would need 15,600 MHz).
    expect(workers).to_have_value("1")
    expect(preview).to_have_attribute("data-fits", "true")
    expect(cpu.locator("td[data-limit]")).to_have_text("30,000 MHz")
    expect(cpu.locator("td[data-used]")).to_have_text("15,600 MHz")
    page.evaluate("window.__marker = 1")  # gone if anything below reloads the page

    wizard.locator("#id_name").fill("shop")
    workers.fill("9")  # ten best-effort-small nodes: 52,000 MHz

    ns = Namespace.objects.get(name="storefront")
    spec = {
        "topology": {
            "controlPlane": {"replicas": 1, "vmClass": "best-effort-small"},
            "nodePools": [{"name": "node-pool-1", "replicas": 9, "vmClass": "best-effort-small"}],
        }
    }
    message = cluster_quota(namespace=ns, spec=spec).refusals[0].refusal
    assert message.startswith("The cluster needs 52,000 MHz of CPU; namespace storefront has")
    expect(preview).to_have_attribute("data-fits", "false")
    expect(preview.locator(".quota-refusal li[data-path='limits.cpu']")).to_have_text(message)
    expect(cpu.locator("td[data-takes]")).to_have_text("52,000 MHz")
    expect(cpu.locator("td[data-left-after]")).to_have_text("37,600 MHz over")
    expect(create).to_be_disabled()
    expect(wizard.locator("#create-blocked")).to_contain_text("does not fit")
    assert not VksCluster.objects.filter(name="shop").exists()

    workers.fill("1")
    expect(preview).to_have_attribute("data-fits", "true")
    expect(cpu.locator("td[data-left-after]")).to_have_text("4,000 MHz")
    expect(create).to_be_enabled()
    assert page.evaluate("window.__marker") == 1, "the page reloaded"

    create.click()
    cluster_view = page.locator("#main.cluster-view[data-cluster='shop']")
    expect(cluster_view.locator("h1")).to_have_text("shop")
    cluster = VksCluster.objects.get(namespace=ns, name="shop")
    assert cluster.spec["topology"]["nodePools"][0]["replicas"] == 1
    assert console_errors == []
