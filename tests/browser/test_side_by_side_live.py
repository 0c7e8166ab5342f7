"""The side-by-side view is live for a change by anyone: an administrator watches `payments-prod`
beside its Supervisor in one browser while a developer (another browser context, another
session) scales it from the cluster's own page; the administrator's view shows the new worker
count within 2 s of the developer seeing it, without a reload.

Celery is eager and simulated time instant in tests, so the scale converges while the developer's
request commits; the administrator's page learns of it only through its own live region."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from inventory.estates import demo as estate
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.conftest import workload_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEVELOPER = "bob@vsphere.local"  # DevTeam-Payments: Can edit in `payments`
LIVE_WITHIN_MS = 2_000  # the bound for the administrator's view


@pytest.fixture(autouse=True)
def _workload_management(transactional_db) -> None:
    estate.load()
    workload_demo()


@pytest.fixture
def developer_page(browser: Browser, live_server) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, live_server.url, DEVELOPER, settings.VKS_DEMO_PASSWORD)
    expect(page.locator("#main h1")).to_have_text("My clusters")  # the developer portal
    yield page
    context.close()


def test_administrator_sees_a_developers_scale_without_reloading(
    admin_page: Page, developer_page: Page, live_server, console_errors: list[str]
) -> None:
    # The administrator: Workload Management, one click to the side-by-side view, the cluster.
    admin_page.goto(f"{live_server.url}/workload-management/")
    admin_page.locator("#main [data-link='side-by-side']").click()
    admin_page.locator("#sbs-cluster").select_option("payments/payments-prod")
    workers = admin_page.locator("#sbs-live [data-count='workers'] strong")
    expect(workers).to_have_text("3 / 3")
    admin_page.evaluate("window.__marker = 1")  # gone if anything below reloads the page

    # The developer scales node-pool-1 from 3 to 2 workers on the cluster's page.
    developer_page.goto(
        f"{live_server.url}/workload-management/namespaces/payments/clusters/payments-prod/"
    )
    cluster_view = developer_page.locator("#main.cluster-view[data-cluster='payments-prod']")
    cluster_view.get_by_role("button", name="Actions").click()
    cluster_view.get_by_role("menuitem", name="Scale", exact=True).click()
    dialog = developer_page.locator("#modal dialog[data-dialog='scale']")
    dialog.locator("#id_replicas").fill("2")
    dialog.get_by_role("button", name="Scale").click()
    pool = cluster_view.locator(".node-pools tr[data-pool='node-pool-1'] td[data-replicas]")
    expect(pool).to_have_text("2/2 ready")

    # The administrator's view follows on its own, in place.
    expect(workers).to_have_text("2 / 2", timeout=LIVE_WITHIN_MS)
    assert admin_page.evaluate("window.__marker") == 1
    assert console_errors == []
