"""The vsphere.local lockout policy on every way in (the login page, `POST /api/session`), its
Event, and an administrator's unlock in Users and Groups. Time moves with time-machine."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from inventory import lockout, sso
from inventory.models import Event, LoginLockout
from tests.api.conftest import basic
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "User account is locked. Please contact your administrator."
INVALID = "Invalid credentials"
AUDITOR = "auditor@vsphere.local"  # an ordinary vsphere.local account that may log in


def login(username: str, password: str) -> tuple[int, str]:
    """The login page's answer: (status, page text)."""
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code, response.content.decode()


def api_login(username: str, password: str) -> tuple[int, list[str]]:
    response = APIClient().post("/api/session", HTTP_AUTHORIZATION=basic(username, password))
    body = response.json()
    return response.status_code, [] if response.status_code == 201 else body["messages"]


def api_messages(messages: list) -> list[str]:
    return [m["default_message"] for m in messages]


def fail(username: str, times: int) -> None:
    for _ in range(times):
        status, html = login(username, "wrong")
        assert status == 200 and (INVALID in html or LOCKED in html)


def lockout_events():
    return Event.objects.filter(event_type=lockout.EVENT_TYPE)


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_five_failures_within_180_seconds_lock_the_account_for_300(auditor, clock):
    fail(AUDITOR, 4)
    clock.shift(timedelta(seconds=170))
    status, html = login(AUDITOR, "wrong")
    assert LOCKED in html and INVALID not in html  # the fifth failure locks
    # Locked: the right password is refused too, with vCenter's words, on every way in.
    status, html = login(AUDITOR, PASSWORD)
    assert status == 200 and LOCKED in html
    status, messages = api_login(AUDITOR, PASSWORD)
    assert status == 401 and api_messages(messages) == [LOCKED]
    assert authenticate(username=AUDITOR, password=PASSWORD) is None
    clock.shift(timedelta(seconds=299))
    assert LOCKED in login(AUDITOR, PASSWORD)[1]
    clock.shift(timedelta(seconds=2))  # 301 s after the lock
    status, _ = login(AUDITOR, PASSWORD)
    assert status == 302
    assert not LoginLockout.objects.exists()  # a success forgets the failures


def test_each_lockout_is_an_event_on_the_vcenter(auditor, clock):
    fail(AUDITOR, 7)  # failures while locked neither count nor log again
    event = lockout_events().get()
    assert event.severity == Event.Severity.WARNING
    assert event.user_name == "VSPHERE.LOCAL\\auditor" and event.target_moid == "group-d1"
    assert event.message == (
        "User account auditor@vsphere.local locked after 5 failed login attempts within "
        "180 seconds, for 300 seconds"
    )
    clock.shift(timedelta(seconds=301))
    fail(AUDITOR, 5)
    assert lockout_events().count() == 2


def test_failures_spread_over_more_than_the_interval_do_not_lock(auditor, clock):
    fail(AUDITOR, 4)
    clock.shift(timedelta(seconds=181))
    fail(AUDITOR, 4)  # a new window: 4 of 5
    assert login(AUDITOR, PASSWORD)[0] == 302


def test_a_success_resets_the_count(auditor, clock):
    fail(AUDITOR, 4)
    assert login(AUDITOR, PASSWORD)[0] == 302
    fail(AUDITOR, 4)
    assert login(AUDITOR, PASSWORD)[0] == 302


def test_api_failures_and_page_failures_count_together(auditor, clock):
    for _ in range(3):
        status, messages = api_login(AUDITOR, "wrong")
        assert status == 401 and api_messages(messages) == ["Invalid username/password."]
    fail(AUDITOR, 2)
    assert LOCKED in login(AUDITOR, PASSWORD)[1]


def test_user_names_are_counted_case_insensitively(auditor, clock):
    fail("Auditor@VSPHERE.local", 3)
    fail(" auditor@vsphere.local", 2)
    assert LOCKED in login(AUDITOR, PASSWORD)[1]


def test_the_administrator_system_account_is_never_locked(admin, clock):
    """vSphere Authentication, "Edit the Lockout Policy": the policy does not apply to system
    accounts such as administrator@vsphere.local."""
    fail("administrator@vsphere.local", 10)
    assert login("Administrator@vsphere.local", PASSWORD)[0] == 302
    assert not LoginLockout.objects.exists() and not lockout_events().exists()


def test_an_unknown_user_name_locks_like_an_account(db, clock):
    """Same answers for a name that is no account, so a lock does not reveal which exist."""
    status, html = login("nobody@vsphere.local", "wrong")
    assert INVALID in html
    fail("nobody@vsphere.local", 4)
    assert LOCKED in login("nobody@vsphere.local", "wrong")[1]


def test_policy_comes_from_settings(auditor, clock, settings):
    settings.VKS_SSO_LOCKOUT_MAX_FAILURES = 3
    settings.VKS_SSO_LOCKOUT_UNLOCK_SECONDS = 0  # until an administrator unlocks
    fail(AUDITOR, 3)
    clock.shift(timedelta(days=2))
    assert LOCKED in login(AUDITOR, PASSWORD)[1]
    settings.VKS_SSO_LOCKOUT_MAX_FAILURES = 0  # off
    fail("auditor2@vsphere.local", 20)
    assert not LoginLockout.objects.filter(username="auditor2@vsphere.local").exists()


# ---------------------------------------------------------------- Users and Groups


def users_row(client: Client, name: str) -> str:
    html = client.get(reverse("inventory:sso-users"), {"q": name}).content.decode()
    return html[html.index(f'data-user="{name}@vsphere.local"') :].split("</tr>")[0]


def test_an_administrator_sees_the_lock_and_unlocks_the_account(admin_client, auditor, clock):
    unlock_url = reverse("inventory:sso-user-unlock", kwargs={"name": "auditor"})
    assert "<td>No</td>" in users_row(admin_client, "auditor")
    assert unlock_url not in users_row(admin_client, "auditor")
    fail(AUDITOR, 5)
    row = users_row(admin_client, "auditor")
    assert '<td class="locked">Yes</td>' in row and unlock_url in row
    confirm = admin_client.get(unlock_url).content.decode()
    assert "Unlock the user auditor@vsphere.local?" in confirm
    response = admin_client.post(unlock_url)
    assert response.status_code == 302 and response["Location"] == reverse("inventory:sso-users")
    assert "<td>No</td>" in users_row(admin_client, "auditor")
    event = Event.objects.get(message="User auditor@vsphere.local unlocked")
    assert event.user_name == "VSPHERE.LOCAL\\administrator"
    assert login(AUDITOR, PASSWORD)[0] == 302


def test_unlocking_a_user_that_is_not_locked_changes_nothing(admin_client, auditor):
    url = reverse("inventory:sso-user-unlock", kwargs={"name": "auditor"})
    assert admin_client.post(url).status_code == 302
    assert not Event.objects.filter(message__endswith="unlocked").exists()


def test_a_deleted_users_lock_does_not_pass_to_a_new_user_of_the_name(admin, clock):
    fail("carol@vsphere.local", 5)
    sso.sso_user_delete(target=sso.sso_user_get(name="carol"), user=admin)
    assert not lockout.login_locked("carol@vsphere.local")


def test_only_sso_administrators_may_unlock(client, auditor, clock):
    fail("alice@vsphere.local", 5)
    client.force_login(auditor)
    url = reverse("inventory:sso-user-unlock", kwargs={"name": "alice"})
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert lockout.login_locked("alice@vsphere.local")


def test_the_users_list_stays_two_queries_with_locks(admin_client, django_assert_max_num_queries):
    for name in ("alice", "bob", "carol"):
        fail(f"{name}@vsphere.local", 5)
    admin_client.get(reverse("inventory:sso-users"))  # warm the session and the user
    with django_assert_max_num_queries(6):  # session, user, groups + count and rows
        response = admin_client.get(reverse("inventory:sso-users"))
    assert response.content.decode().count('<td class="locked">Yes</td>') == 3


# ---------------------------------------------------------------- concurrency


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_each_count_once(settings):
    """Eight processes' worth of failures at once: each is counted, the lock happens once."""
    settings.VKS_SSO_LOCKOUT_MAX_FAILURES = 8
    start = threading.Barrier(8)

    def attempt():
        start.wait()
        try:
            lockout.login_failure_record("racer@vsphere.local")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lockout.login_locked("racer@vsphere.local")
    assert LoginLockout.objects.get().locked_at is not None
