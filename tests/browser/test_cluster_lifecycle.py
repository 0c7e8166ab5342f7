"""A VKS cluster's whole life in a real browser: a developer with Can edit in `payments` creates
one through the Create Cluster wizard (one invalid name fixed on the way), watches it become
Provisioned and Ready, scales its node pool, upgrades it one minor, downloads its kubeconfig,
compares it with the Supervisor side by side and deletes it.

Celery is eager and simulated time instant in tests, so each change converges while its request
commits; the pages still have to show every result in place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from inventory.estates import demo as estate
from tests.browser.conftest import log_in
from tests.conftest import workload_demo
from workloads.models import VksCluster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEVELOPER = "bob@vsphere.local"  # a member of DevTeam-Payments: Can edit in `payments`
OLDER = "v1.32.7---vmware.3-fips-vkr.1"  # a minor below the newest, so an upgrade is offered


@pytest.fixture(autouse=True)
def _workload_management(transactional_db) -> None:
    """The demo estate (an earlier transactional test may have flushed it) and the demo's
    Workload Management: a running Supervisor, `payments` and `storefront`, a cluster in each."""
    estate.load()
    workload_demo()


def test_developer_creates_scales_upgrades_and_deletes_a_cluster(
    page: Page, live_server, console_errors: list[str]
) -> None:
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    expect(page.locator("#main h1")).to_have_text("My clusters")  # the developer portal
    page.get_by_role("link", name="Workload Management").click()
    expect(page.locator("#main h1")).to_have_text("Workload Management")

    # payments › Compute › CREATE CLUSTER.
    page.locator("#namespace-grid tr[data-namespace='payments']").get_by_role(
        "link", name="payments"
    ).click()
    ns_view = page.locator("#main.namespace-view[data-namespace='payments']")
    expect(ns_view.locator("h1")).to_have_text("payments")
    ns_view.get_by_role("tab", name="Compute").click()
    expect(ns_view.get_by_role("tab", name="Compute")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#cluster-grid tr[data-cluster='payments-prod']")).to_be_visible()
    page.get_by_role("link", name="Create Cluster").click()

    # The wizard: a bad name comes back at its field, the rest as typed, and nothing is stored.
    wizard = page.locator("#main.cluster-wizard-view")
    expect(wizard.locator(".object-subtitle")).to_contain_text("Create VKS Cluster")
    page.evaluate("window.__marker = 1")  # gone if anything below reloads the page
    wizard.locator("#id_name").fill("Web_1")
    wizard.locator("#id_version").select_option(OLDER)
    wizard.locator("input[name=cp_replicas][value='1']").check()
    wizard.locator("tr[data-pool-row='0'] input[name=pool_replicas]").fill("1")
    wizard.locator(".form-footer").get_by_role("button", name="Create").click()
    name_error = page.locator("#main.cluster-wizard-view [data-field='name'] .field-error")
    expect(name_error).to_contain_text("lowercase letters, digits and hyphens (-)")
    expect(page.locator("#id_name")).to_have_value("Web_1")
    expect(page.locator("#id_version")).to_have_value(OLDER)
    expect(page.locator("tr[data-pool-row='0'] input[name=pool_replicas]")).to_have_value("1")
    expect(page.locator("#main [data-field='name']")).to_have_class("field has-error")
    assert not VksCluster.objects.filter(name__iexact="web_1").exists()
    # Field errors come back with 400, which Chromium logs as a failed resource: expected once.
    create_url = live_server.url + reverse("workloads:cluster-create", args=["payments"])
    assert len(console_errors) == 1, console_errors
    assert "status of 400" in console_errors[0], console_errors
    assert f"({create_url})" in console_errors[0], console_errors
    console_errors.clear()

    page.fill("#id_name", "web")
    page.locator("#main .form-footer").get_by_role("button", name="Create").click()

    # The cluster's page, in place: Provisioned and Ready once the reconciler has converged.
    cluster_view = page.locator("#main.cluster-view[data-cluster='web']:not(.dialog-page)")
    expect(cluster_view.locator("h1")).to_have_text("web")
    cluster_url = reverse("workloads:cluster-detail", args=["payments", "web"])
    expect(page).to_have_url(live_server.url + cluster_url)
    live = cluster_view.locator("#cluster-live")
    expect(live).to_have_attribute("data-phase", "Provisioned")
    expect(live.locator(".object-title .cluster-phase")).to_have_text("Provisioned")
    expect(live.locator(".object-subtitle .cluster-ready")).to_have_attribute("data-ready", "True")
    expect(live.locator(".kubernetes-card [data-release]")).to_have_attribute("data-release", OLDER)

    # Nodes: one control plane node and one worker.
    nodes = cluster_view.locator("table.cluster-nodes tbody tr[data-node]")
    cluster_view.get_by_role("tab", name="Nodes").click()
    expect(cluster_view.get_by_role("tab", name="Nodes")).to_have_attribute("aria-selected", "true")
    expect(nodes).to_have_count(2)
    expect(nodes.and_(page.locator("[data-role='control-plane']"))).to_have_count(1)
    expect(nodes.and_(page.locator("[data-role='worker']"))).to_have_count(1)

    # Scale node-pool-1 to 2: three nodes.
    cluster_view.get_by_role("button", name="Actions").click()
    cluster_view.get_by_role("menuitem", name="Scale", exact=True).click()
    dialog = page.locator("#modal dialog[data-dialog='scale']")
    expect(dialog.locator("#dialog-title")).to_have_text("Scale Node Pool")
    expect(dialog.locator("#id_pool")).to_have_value("node-pool-1")
    dialog.locator("#id_replicas").fill("2")
    dialog.get_by_role("button", name="Scale").click()
    pool_row = cluster_view.locator(".node-pools tr[data-pool='node-pool-1'] td[data-replicas]")
    expect(pool_row).to_have_text("2/2 ready")
    cluster_view.get_by_role("tab", name="Nodes").click()
    expect(nodes).to_have_count(3)

    # Upgrade to the offered next minor: every node on the new release.
    cluster_view.get_by_role("button", name="Actions").click()
    cluster_view.get_by_role("menuitem", name="Upgrade", exact=True).click()
    dialog = page.locator("#modal dialog[data-dialog='upgrade']")
    expect(dialog.locator("#dialog-title")).to_have_text("Upgrade VKS Cluster")
    target = dialog.locator("#id_version option:checked")
    expect(target).to_contain_text("v1.33.")
    new_release = target.inner_text().strip()
    dialog.get_by_role("button", name="Upgrade").click()
    expect(live.locator(".kubernetes-card [data-release]")).to_contain_text(new_release)
    expect(live).to_have_attribute("data-phase", "Provisioned")
    cluster_view.get_by_role("tab", name="Nodes").click()
    expect(nodes).to_have_count(3)
    expect(nodes.filter(has_text=new_release)).to_have_count(3)

    assert page.evaluate("window.__marker") == 1, "the page reloaded"

    # DOWNLOAD KUBECONFIG: the admin kubeconfig of `web`.
    cluster_view.get_by_role("button", name="Actions").click()
    with page.expect_download() as download_info:
        cluster_view.get_by_role("menuitem", name="Download Kubeconfig").click()
    download = download_info.value
    assert download.suggested_filename == "web-kubeconfig.yaml"
    text = Path(download.path()).read_text()
    assert "current-context: web-admin@web" in text, text

    # Side by Side: the Supervisor and `web`, one column each.
    cluster_view.get_by_role("link", name="Side by Side").click()
    sbs = page.locator("#main.sbs-view table.sbs")
    expect(sbs).to_have_attribute("data-cluster", "payments/web")
    expect(sbs.locator("th[data-column='supervisor']")).to_contain_text("supervisor-01")
    expect(sbs.locator("th[data-column='cluster']")).to_contain_text("web")
    counts = sbs.locator("#sbs-live [data-row='nodes'] td").nth(1)
    expect(counts.locator("[data-count='control-plane']")).to_contain_text("1 / 1")
    expect(counts.locator("[data-count='workers']")).to_contain_text("2 / 2")

    # Back to the cluster, and DELETE it: gone from the Compute grid.
    # The whole page again, not the htmx fragment its URL was pushed with (Vary: HX-Request).
    page.go_back()
    expect(page).to_have_title(re.compile(r"^web - Nodes - "))
    expect(cluster_view.locator("h1")).to_have_text("web")
    cluster_view.get_by_role("button", name="Actions").click()
    cluster_view.get_by_role("menuitem", name="Delete", exact=True).click()
    dialog = page.locator("#modal dialog[data-dialog='delete']")
    expect(dialog.locator("#dialog-title")).to_have_text("Delete VKS Cluster")
    dialog.get_by_role("button", name="Delete").click()
    grid = page.locator("#main[data-namespace='payments'] #cluster-grid")
    expect(grid.locator("tr[data-cluster='payments-prod']")).to_be_visible()
    expect(grid.locator("tr[data-cluster='web']")).to_have_count(0)
    assert not VksCluster.objects.filter(name="web").exists()
    assert console_errors == []
