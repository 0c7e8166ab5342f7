"""Browser sessions as the vSphere Client keeps them: in the database (they survive a Redis
outage), ended after 120 idle minutes with vCenter's message, and written at most once a minute
rather than on every request. Time moves with time-machine."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from vksportal.middleware import IDLE_MESSAGE

pytestmark = pytest.mark.django_db

HOME = "/workload-management/"
TASKS = "/ui/tasks/recent/"
BACKGROUND = {"HTTP_X_VKS_BACKGROUND": "1", "HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def browser(admin, clock) -> Client:
    """A client logged in through the login page, as a browser is."""
    client = Client()
    response = client.post(
        reverse("login"), {"username": "administrator@vsphere.local", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def goes_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_sessions_live_in_the_database_and_logins_work_without_the_cache(admin, settings):
    """Redis down (a cache nobody can reach): the login page still logs in and the session
    is a database row."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    client = Client()
    response = client.post(
        reverse("login"), {"username": "administrator@vsphere.local", "password": PASSWORD}
    )
    assert response.status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()


def test_a_session_ends_after_120_idle_minutes_and_each_request_resets_the_clock(browser, clock):
    clock.shift(timedelta(minutes=119))
    assert browser.get(HOME).status_code == 200
    clock.shift(timedelta(minutes=119))
    assert browser.get(HOME).status_code == 200
    clock.shift(timedelta(minutes=121))
    response = browser.get(HOME)
    assert goes_to_login(response)
    login_page = browser.get(response["Location"])
    assert IDLE_MESSAGE in login_page.content.decode()
    # Ended for good: logging in again is the only way back.
    assert goes_to_login(browser.get(HOME))


def test_the_idle_timeout_is_a_setting(browser, clock, settings):
    settings.VKS_SESSION_IDLE_SECONDS = 600
    clock.shift(timedelta(seconds=601))
    assert goes_to_login(browser.get(HOME))


def test_background_polls_keep_no_session_alive(browser, clock):
    """The Recent Tasks poll and refreshes on an event are not activity (client.js marks them)."""
    for _ in range(12):
        clock.shift(timedelta(minutes=10))
        assert browser.get(TASKS, **BACKGROUND).status_code == 200
    clock.shift(timedelta(minutes=1))  # 121 minutes after the login
    response = browser.get(TASKS, **BACKGROUND)
    # htmx is sent to the login page as a whole (not a login form swapped into a pane).
    assert response["HX-Redirect"] == f"{reverse('login')}?next=%2F"
    assert IDLE_MESSAGE in browser.get(reverse("login")).content.decode()


def test_an_htmx_request_after_expiry_redirects_the_page(browser, clock):
    clock.shift(timedelta(minutes=121))
    current = "http://testserver/ui/group-d1/"
    response = browser.get(HOME, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=current)
    # Back to the page it was on after logging in again.
    assert response["HX-Redirect"] == f"{reverse('login')}?next=%2Fui%2Fgroup-d1%2F"


def test_the_session_row_is_written_at_most_once_a_minute(browser, clock, settings):
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value

    def expiry():
        return Session.objects.get(session_key=key).expire_date

    written = expiry()
    for _ in range(5):
        clock.shift(timedelta(seconds=10))
        assert browser.get(HOME).status_code == 200
        assert expiry() == written  # no write within the minute
    clock.shift(timedelta(seconds=11))  # 61 s
    assert browser.get(HOME).status_code == 200
    assert expiry() == written + timedelta(seconds=61)


def test_a_session_that_is_gone_shows_the_message_on_the_login_page(browser):
    Session.objects.all().delete()  # expired and cleared, or ended elsewhere
    response = browser.get(HOME)
    assert goes_to_login(response)
    assert IDLE_MESSAGE in browser.get(response["Location"]).content.decode()


@pytest.mark.parametrize("path", ["/api/session", "/api", "/apis", "/openapi/v3"])
def test_an_api_call_after_expiry_is_the_apis_own_401(browser, clock, path):
    clock.shift(timedelta(minutes=121))
    response = browser.get(path)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    # The message is for a person at a page, not queued by a client's call.
    assert IDLE_MESSAGE not in browser.get(reverse("login")).content.decode()


def test_logging_out_shows_no_idle_message(browser):
    assert browser.post(reverse("logout")).status_code == 302
    assert IDLE_MESSAGE not in browser.get(reverse("login")).content.decode()


def test_api_sessions_are_written_at_most_once_a_minute_too(admin, clock, settings):
    from rest_framework.test import APIClient

    from tests.api.conftest import open_session

    client = APIClient()
    token = open_session(client, admin.username)
    opened = client.get("/api/session").json()["last_accessed_time"]
    clock.shift(timedelta(seconds=30))
    assert client.get("/api/session").json()["last_accessed_time"] == opened
    clock.shift(timedelta(seconds=31))
    assert client.get("/api/session").json()["last_accessed_time"] != opened
    assert Session.objects.filter(session_key=token).exists()
