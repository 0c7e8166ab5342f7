"""The web process's ASGI handler (vksportal.asgi): a request's sync code runs on a thread that
later requests reuse, one request at a time per thread, and keeps its database connection; a
response in memory costs one crossing to that thread, a streaming one is sent as Django does."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import signals
from django.db import connection, connections
from django.http import HttpResponse, StreamingHttpResponse
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


# What a test's requests did, in order: the signals, the messages sent, responses closed.
events: list[str] = []
client_gone: asyncio.Event  # per request: an event belongs to one loop


class Closing:
    def close(self):
        events.append(f"closed on {'loop' if threading.get_ident() == LOOP else 'request'}")
        super().close()


class Recorded(Closing, HttpResponse):
    pass


class RecordedStream(Closing, StreamingHttpResponse):
    pass


def plain(request):
    return Recorded("plain")


async def lines(count: int, *, leave_after: int | None = None):
    try:
        for n in range(count):
            if n == leave_after:
                client_gone.set()
                await asyncio.sleep(10)  # the client goes away meanwhile
            yield f"{n}\n"
    finally:
        events.append("stream ended")


def streamed(request):
    return RecordedStream(lines(3))


def left(request):
    return RecordedStream(lines(3, leave_after=1))


urlpatterns = [
    path("where/", where),
    path("together/", together),
    path("async/", waiting),
    path("plain/", plain),
    path("streamed/", streamed),
    path("left/", left),
]
LOOP = 0  # the test's event loop thread, set by `serve`


async def serve(app: Handler, url: str, receive=None, query: bytes = b"") -> list[dict]:
    """One GET through the ASGI interface, as uvicorn calls it: the messages sent."""
    global LOOP, client_gone
    LOOP = threading.get_ident()
    client_gone = asyncio.Event()
    sent = []
    body_read = False

    async def connected():
        nonlocal body_read
        if not body_read:
            body_read = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await client_gone.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        events.append(message["type"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive or connected, send)
    return sent


async def get(app: Handler, url: str) -> tuple[int, str]:
    start, *body = await serve(app, url)
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


@pytest.fixture
def recorded():
    """`events`, with the request signals in it."""

    def started(**kwargs):
        events.append("request_started")

    def finished(**kwargs):
        events.append("request_finished")

    events.clear()
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield events
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


@pytest.fixture
def bodies(app, monkeypatch):
    """The request bodies the handler reads, to see them closed."""
    read = app.read_body
    files = []

    async def read_body(receive):
        files.append(await read(receive))
        return files[-1]

    monkeypatch.setattr(app, "read_body", read_body)
    return files


class Crossings(ThreadPoolExecutor):
    """A request thread that counts the calls sent to it from the event loop."""

    count = 0

    def submit(self, *args, **kwargs):
        Crossings.count += 1
        return super().submit(*args, **kwargs)


def test_a_response_in_memory_costs_one_crossing_and_is_closed_once_before_sending(
    app, recorded, bodies, monkeypatch
):
    monkeypatch.setattr(app, "_executor", lambda: Crossings(max_workers=1))
    Crossings.count = 0
    assert asyncio.run(get(app, "/plain/")) == (200, "plain")
    assert Crossings.count == 1
    assert recorded == [
        "request_started",
        "closed on request",
        "request_finished",
        "http.response.start",
        "http.response.body",
    ]
    assert bodies[0].closed


def test_a_streaming_response_is_sent_whole_then_closed_on_the_request_thread(
    app, recorded, bodies
):
    assert asyncio.run(get(app, "/streamed/")) == (200, "0\n1\n2\n")
    assert recorded == [
        "request_started",
        "http.response.start",
        *["http.response.body"] * 3,
        "stream ended",
        "http.response.body",  # the last, empty
        "closed on request",
        "request_finished",
    ]
    assert bodies[0].closed


def test_a_client_that_goes_away_stops_the_stream(app, recorded):
    sent = asyncio.run(serve(app, "/left/"))
    assert b"".join(m.get("body", b"") for m in sent) == b"0\n", "nothing after it left"
    assert recorded[-3:] == ["stream ended", "closed on request", "request_finished"]
    assert recorded.count("request_started") == 1


def test_a_client_that_goes_away_while_sending_its_body_gets_nothing(app, recorded):
    async def leaving():
        return {"type": "http.disconnect"}

    assert asyncio.run(serve(app, "/plain/", leaving)) == []
    assert recorded == [], "no request was started"


def test_a_request_django_cannot_read_gets_its_error_and_the_signals_once(app, recorded):
    start, body = asyncio.run(serve(app, "/plain/", query=b"\xff"))  # not UTF-8
    assert (start["status"], body["body"]) == (400, b"")
    assert "closed on request" not in recorded, "not the view's"
    assert recorded.count("request_started") == recorded.count("request_finished") == 1
