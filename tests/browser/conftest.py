"""Headless Chromium through Playwright's sync API, against pytest-django's live server.

Uses Debian's /usr/bin/chromium (never `playwright install`). Without it the browser tests skip,
except on CI (`CI=true`), where a missing browser is a failure: a green run must have run them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
MISSING = "Debian chromium not installed: apt-get install -y chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 5_000  # one page or swap; generous for a loaded 2-core machine, ~100 ms in practice


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per module. Playwright's sync API keeps an asyncio loop running in this
    thread while it is alive, so Django would refuse the tests' own ORM calls with
    SynchronousOnlyOperation; the loop is Playwright's, not ours, and no ORM call runs inside it,
    so the check is switched off for exactly as long as Playwright runs."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of the test's page; tests assert it stays empty."""
    return []


@pytest.fixture
def page(browser: Browser, console_errors: list[str]) -> Iterator[Page]:
    """A fresh browser context (no cookies, no storage) and page, recording console errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.append(f"pageerror: {error}"))
    yield page
    context.close()


def log_in(page: Page, url: str, username: str, password: str) -> None:
    """Through the login form, as a person does; on once the landing page shows its heading."""
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    expect(page.locator("#main h1")).to_be_visible()


@pytest.fixture
def admin_page(page: Page, live_server) -> Page:
    """The page, logged in as administrator@vsphere.local through the login form."""
    log_in(page, live_server.url, "administrator@vsphere.local", PASSWORD)
    # Home redirects to the vCenter's Summary; the navigator loads its root beside it.
    expect(page.locator("#navigator .tree-node").first).to_be_visible()
    return page
