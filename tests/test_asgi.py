"""The web process's ASGI handler (vksportal.asgi): a request's sync code runs on a thread that
later requests reuse, one request at a time per thread, and keeps its database connection."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.db import connection, connections
from django.http import HttpResponse
from django.urls import path

from vksportal.asgi import POOLED, Handler

pytestmark = [
    pytest.mark.skipif(not POOLED, reason="asgiref without executor-owned contexts"),
    pytest.mark.django_db(transaction=True),  # the views run on other threads
    pytest.mark.urls(__name__),
]
both_in = threading.Barrier(2, timeout=10)


def where(request):
    """Which thread serves the request, and which database connection it uses."""
    connection.ensure_connection()
    return HttpResponse(f"{threading.get_ident()} {id(connection.connection)}")


def together(request):
    both_in.wait()  # breaks (a 500) unless another request is in a view at the same time
    return where(request)


async def waiting(request):
    await asyncio.sleep(0)
    return HttpResponse("async")


urlpatterns = [path("where/", where), path("together/", together), path("async/", waiting)]


async def get(app: Handler, url: str) -> tuple[int, str]:
    """One GET through the ASGI interface, as uvicorn calls it."""
    sent = []
    body_read = False

    async def receive():
        nonlocal body_read
        if not body_read:
            body_read = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    start, *body = sent
    return start["status"], b"".join(m.get("body", b"") for m in body).decode()


@pytest.fixture
def app():
    handler = Handler()
    yield handler
    for executor in handler.idle:  # the kept threads' connections, then the threads
        executor.submit(connections.close_all).result()
        executor.shutdown()


def test_later_requests_reuse_the_thread_and_its_database_connection(app):
    async def three():
        return [await get(app, "/where/") for _ in range(3)]

    answers = asyncio.run(three())
    assert [status for status, _ in answers] == [200, 200, 200]
    threads = {body.split()[0] for _, body in answers}
    assert len(threads) == 1, "one kept thread"
    assert threads != {str(threading.get_ident())}, "not the event loop's thread"
    if connection.vendor == "sqlite":  # PostgreSQL hands pooled connections around instead
        assert len({body.split()[1] for _, body in answers}) == 1, "one connection"


def test_concurrent_requests_each_get_a_thread_of_their_own(app):
    async def two_at_once():
        return await asyncio.gather(get(app, "/together/"), get(app, "/together/"))

    (first, one), (second, other) = asyncio.run(two_at_once())
    assert (first, second) == (200, 200), "both were in a view at once"
    assert one.split()[0] != other.split()[0]
    assert len(app.idle) == 2, "both threads kept for later requests"


def test_an_async_view_is_served_through_the_sync_chain(app):
    assert asyncio.run(get(app, "/async/")) == (200, "async")
