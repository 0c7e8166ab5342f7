"""The harness of the all-or-nothing form tests (tests/*/test_edit_forms_atomic.py): a table row
per form, and one check that drops each input in turn, sends each invalid value, then the whole
post. A form is whole when a browser sends all of its inputs: text, select, textarea, hidden
(checkbox lists carry a hidden empty input of their name), every one even when empty."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape

from django.test import Client

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "main"}
FORM = "form"  # the messages no field owns (the cluster dialogs' alerts)


@dataclass(frozen=True)
class Case:
    """A dialog: its URL, the whole post, the state it may change, and its bad values. Names in
    `invalid` and `at` may hold `{key}`s of the world the fixture built (a policy id)."""

    url: Callable[[dict], str]
    post: Callable[[dict], dict]
    state: Callable[[dict], object]
    invalid: tuple[tuple[str, object, str], ...] = ()  # (input, value, field showing it)
    at: dict[str, str] = field(default_factory=dict)  # input -> the field showing its absence
    radios: tuple[str, ...] = ()  # absent when nothing is chosen: "select one", not "missing"
    refused: int = 400  # the Supervisor forms answer 200 with the errors


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html).strip())


def field_error(html: str, name: str) -> str:
    """The first message at or after the field `name` (its data-field); for FORM, the
    messages of the form's alerts."""
    if name == FORM:
        alerts = re.findall(r'class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', html, re.S)
        return " ".join(text(a) for a in alerts)
    start = html.find(f'data-field="{name}"')
    assert start >= 0, f"no field {name!r} on the page"
    error = re.search(r'class="field-error"[^>]*>(.*?)</(div|p)>', html[start:], re.S)
    return text(error.group(1)) if error else ""


def assert_atomic(client: Client, case: Case, world: dict) -> None:
    """Each input dropped (plain and htmx) and each invalid value: refused at the field, the
    state unchanged. Then the whole post: done (302), the state changed."""
    url, whole, before = case.url(world), case.post(world), case.state(world)
    at = {k.format_map(world): v.format_map(world) for k, v in case.at.items()}
    for name in whole:
        partial = {k: v for k, v in whole.items() if k != name}
        for headers in ({}, HTMX):
            response = client.post(url, partial, **headers)
            assert response.status_code == case.refused, (name, response.status_code)
            message = field_error(response.content.decode(), at.get(name, name))
            expected = "Select" if name in case.radios else f'did not send "{name}"'
            assert expected in message, (name, message)
            assert case.state(world) == before, f"a post without {name!r} changed the object"
    for name, value, shown_at in case.invalid:
        name, shown_at = name.format_map(world), shown_at.format_map(world)
        response = client.post(url, {**whole, name: value})
        assert response.status_code == case.refused, (name, value, response.status_code)
        assert field_error(response.content.decode(), shown_at), (name, value)
        assert case.state(world) == before, f"{name}={value!r} changed the object"
    response = client.post(url, whole)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert case.state(world) != before, "the whole post must change something"
