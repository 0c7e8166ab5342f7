"""The pages keep to their Content-Security-Policy in a real browser: clicking through the main
flows logs no violation (Chromium reports each as a console error), and an inline script is
refused, so the policy is really in force."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from inventory.estates import demo
from inventory.models import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _demo_estate(transactional_db) -> None:
    demo.load()  # idempotent; an earlier transactional test may have flushed it


def refreshes_on_task_change(page: Page) -> int:
    """Requests the cluster settings start when a task changes (htmx issues them within the
    event's dispatch, so counting right after it is exact: no waiting)."""
    return page.evaluate(
        """() => {
            let started = 0;
            const count = (event) => {
                if (event.detail.elt.id === "cluster-settings") started += 1;
            };
            document.body.addEventListener("htmx:beforeRequest", count);
            htmx.trigger(document.body, "tasks-changed");
            document.body.removeEventListener("htmx:beforeRequest", count);
            return started;
        }"""
    )


def test_main_flows_cause_no_policy_violation(
    admin_page: Page, live_server, console_errors: list[str]
) -> None:
    page = admin_page
    response = page.goto(f"{live_server.url}/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy

    # The navigator's view tabs send the object the main pane shows (client.js, not hx-vals js:).
    main_moid = page.locator("#main").get_attribute("data-moid")
    with page.expect_request(lambda r: f"reveal={main_moid}" in r.url):
        page.get_by_role("tab", name="VMs and Templates").click()
    expect(page.locator("#navigator .tree-node").first).to_be_visible()

    # A cluster's Configure tab: its settings refresh on a task change unless the form is open.
    cluster = Cluster.objects.get(name=demo.WORKLOAD_01)
    page.goto(f"{live_server.url}/ui/{cluster.moid}/configure/")
    drs = page.locator("#cluster-settings details.edit-settings").first
    drs.locator("> summary").click()
    drs.locator("select[name=drs_automation_level]").select_option(index=0)
    assert refreshes_on_task_change(page) == 0
    expect(drs).to_have_attribute("open", "")
    drs.locator("> summary").click()  # closed: refreshes again
    assert refreshes_on_task_change(page) == 1

    # Users and Groups: filter as you type, open a dialog and go back.
    page.goto(f"{live_server.url}/administration/sso/users/")
    page.get_by_role("searchbox", name="Filter users").fill("alice")
    expect(page.locator("#grid tbody tr")).to_have_count(1)
    page.locator("#grid tr[data-user='alice@vsphere.local'] a", has_text="Edit").click()
    expect(page.locator("#dialog-title")).to_have_text("Edit User alice@vsphere.local")

    # Workload Management and its tabs.
    page.goto(f"{live_server.url}/workload-management/")
    expect(page.locator("#main")).to_be_visible()
    assert console_errors == []

    # The policy is in force: an inline script is refused, and says so.
    page.evaluate(
        "document.head.appendChild(Object.assign(document.createElement('script'),"
        " {textContent: 'window.__inline = 1'}))"
    )
    assert page.evaluate("window.__inline") is None
    assert len(console_errors) == 1 and "Content Security Policy" in console_errors[0]
