"""Confirmations in a real browser: the Supervisor's Disable (its ACTIONS menu) and Deactivate
the Namespace Service (Configure), and Single Sign On's Delete User, open as modals over their
page with Cancel focused; Cancel changes nothing and gives focus back; confirming does it and
the page under the dialog shows it.

Celery is eager and simulated time instant in tests: each change converges while its request
commits."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import log_in
from tests.browser.test_namespace_flow import (  # noqa: F401  (fixture)
    _running_supervisor,
)
from tests.conftest import PASSWORD
from tests.workloads.test_self_service import run, template_spec
from workloads import services
from workloads.models import NamespaceSelfService, Supervisor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "administrator@vsphere.local"


def confirmation(page: Page, name: str) -> Locator:
    """The confirmation `name`, a modal over the page, with Cancel focused (nothing is done by
    an Enter pressed by habit)."""
    dialog = page.get_by_role("dialog", name=name)
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.matches(':modal') && d.parentElement.id === 'modal'")
    expect(dialog.get_by_role("link", name="Cancel")).to_be_focused()
    return dialog


def asked_then_dismissed(page: Page, opener: Locator, name: str, question: str) -> None:
    """Open the confirmation `name`, read its question, and close it with Escape: focus goes
    back to what opened it."""
    opener.click()
    dialog = confirmation(page, name)
    expect(dialog).to_contain_text(question)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()


def test_disable_supervisor_asks_in_a_modal_and_cancel_changes_nothing(
    page: Page, live_server, console_errors: list[str]
) -> None:
    sup = Supervisor.objects.get()
    detail = reverse("workloads:supervisor-detail", args=[sup.supervisor_id, "summary"])
    log_in(page, live_server.url, ADMIN, PASSWORD)
    page.goto(live_server.url + detail)
    actions = page.locator("#main .actions-menu summary")

    actions.click()
    page.get_by_role("menuitem", name="Disable").click()
    dialog = confirmation(page, "Disable Supervisor")
    expect(dialog).to_contain_text(f"Disable the Supervisor {sup.name}")
    expect(page).to_have_url(live_server.url + detail)  # over the page, not instead of it
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(actions).to_be_focused()
    sup.refresh_from_db()
    assert not sup.is_deleting

    actions.click()
    page.get_by_role("menuitem", name="Disable").click()
    dialog = confirmation(page, "Disable Supervisor")
    dialog.get_by_role("button", name="Disable").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#recent-tasks tr", has_text="Disable Supervisor")).to_be_visible()
    assert not Supervisor.objects.filter(config_status="RUNNING").exists()
    assert console_errors == []


def test_deactivate_namespace_service_asks_in_a_modal(
    page: Page, live_server, console_errors: list[str]
) -> None:
    sup = Supervisor.objects.get()
    admin = get_user_model().objects.get(username=ADMIN)
    Group.objects.get_or_create(name="Developers")
    run(
        services.namespace_self_service_activate(
            supervisor=sup, user=admin, template="dev-template", spec=template_spec(sup)
        )
    )
    configure = reverse("workloads:supervisor-detail", args=[sup.supervisor_id, "configure"])
    log_in(page, live_server.url, ADMIN, PASSWORD)
    page.goto(live_server.url + configure)
    card = page.locator("#namespace-service")
    expect(card.locator(".namespace-service-status")).to_have_text("Running")

    deactivate = card.get_by_role("link", name="Deactivate")
    question = "Developers can no longer create namespaces"
    asked_then_dismissed(page, deactivate, "Deactivate Namespace Service", question)
    assert NamespaceSelfService.objects.get().activated

    deactivate.click()
    confirmation(page, "Deactivate Namespace Service").get_by_role(
        "button", name="Deactivate"
    ).click()
    expect(card.locator(".namespace-service-status")).to_have_text("Deactivated")
    expect(page).to_have_url(live_server.url + configure)
    assert not NamespaceSelfService.objects.get().activated
    assert console_errors == []


def test_delete_sso_user_asks_in_a_modal_over_users_and_groups(
    page: Page, live_server, console_errors: list[str]
) -> None:
    get_user_model().objects.create_user("erin@vsphere.local", password=PASSWORD)
    users = reverse("inventory:sso-users")
    log_in(page, live_server.url, ADMIN, PASSWORD)
    page.goto(live_server.url + users)
    row = page.locator("#grid tr[data-user='erin@vsphere.local']")
    delete = row.get_by_role("link", name="Delete")

    asked_then_dismissed(page, delete, "Delete User", "Delete the user erin@vsphere.local?")
    assert get_user_model().objects.filter(username="erin@vsphere.local").exists()

    delete.click()
    confirmation(page, "Delete User").get_by_role("button", name="Delete").click()
    expect(page.locator("#main")).to_contain_text("User erin@vsphere.local deleted.")
    expect(row).to_have_count(0)
    expect(page).to_have_url(live_server.url + users)
    assert not get_user_model().objects.filter(username="erin@vsphere.local").exists()
    assert console_errors == []
