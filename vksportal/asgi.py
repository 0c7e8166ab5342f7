"""ASGI entry point: what `make run`'s web processes serve (vksportal.serve).

Django's handler gives every request a thread of its own for its sync code (middleware, views,
signals) and, at the end of the request, starts another thread only to join that one; its async
middleware chain then crosses between the event loop and that thread around every sync part.
Over HTTP a trivial view cost 1.8 ms on an idle machine and 3.8 ms on a busy one, against 0.2 ms
in-process. `Handler` keeps the isolation (one request at a time per thread, all of a request's
sync code on one thread) but hands finished threads to later requests, and runs the sync chain
in one crossing, as WSGI does. A kept thread also keeps its database connection (Django's
connections are per thread) for CONN_MAX_AGE seconds, so a request no longer opens the database
file and reads its schema again (SQLite: 1 ms; PostgreSQL keeps its pool).

Django's `handle` also crosses to the request's thread three times (request_started, the
response, its close(), which sends request_finished) and starts two tasks to watch for the
client going away meanwhile. `Handler.handle` does all three in one crossing when the body is in
memory: the sync chain cannot be stopped midway anyway, and a body in memory is sent at once.
Only a streaming response (static files, the Kubernetes API's watches) is worth stopping when
the client goes away: it is sent with Django's watch, then closed on the request's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")

import django  # noqa: E402
from asgiref.sync import ThreadSensitiveContext, sync_to_async  # noqa: E402
from django.core import signals  # noqa: E402
from django.core.exceptions import RequestAborted  # noqa: E402
from django.core.handlers.asgi import ASGIHandler, get_script_prefix  # noqa: E402
from django.db import connections  # noqa: E402
from django.http import FileResponse  # noqa: E402
from django.urls import set_script_prefix  # noqa: E402

# Idle request threads kept for later requests; more than this (after a burst) end.
KEEP_IDLE = 32
# asgiref 3.13 lets a context use an executor it does not own; older ones get Django's handler.
POOLED = "executor" in inspect.signature(ThreadSensitiveContext).parameters


class Handler(ASGIHandler):
    def __init__(self) -> None:
        self.idle: list[ThreadPoolExecutor] = []
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        """The sync chain, as under WSGI: every middleware and view here is sync, and the async
        chain would cross between the loop and the request's thread around each sync part (the
        middleware, then the view, and back), five crossings where one will do. An async view
        still works: the sync chain runs it on the loop and waits."""
        super().load_middleware(is_async=False)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            response = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
            if not response.streaming:
                await self.send_response(response, send)  # closed already
                return
            await self.stream(response, receive, send)
            await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def respond(self, scope, body_file):
        """On the request's thread, what Django's handle does there in three crossings."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # the server chunks it
        if not response.streaming:
            response.close()  # its body is in memory; sends request_finished
        return response

    async def stream(self, response, receive, send):
        """Send a streaming response until it ends or the client goes away, as Django does."""
        sending = asyncio.create_task(self.send_response(response, send))
        watching = asyncio.create_task(self.listen_for_disconnect(receive))
        tasks = (sending, watching)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()  # the other one (or both, when this one is cancelled)
        await asyncio.wait(tasks)
        for task in tasks:
            # The client leaving is no error; a failed send or an unexpected message is.
            if not task.cancelled() and not isinstance(task.exception(), RequestAborted):
                task.result()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.idle.pop() if self.idle else self._executor()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        except BaseException:
            # Cancelled from outside (shutdown): this request's code may still be running, so
            # the thread is handed on only after it, from the thread itself.
            with contextlib.suppress(RuntimeError):  # the interpreter is shutting down
                executor.submit(self._release, executor)
            raise
        # Returned: asgiref waited for every sync call of the request, even a cancelled one.
        self._release(executor, on_its_thread=False)

    @staticmethod
    def _executor() -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def _release(self, executor: ThreadPoolExecutor, on_its_thread: bool = True) -> None:
        """Back to the idle list, or ended (with its database connections) if enough are."""
        if len(self.idle) < KEEP_IDLE:
            self.idle.append(executor)  # one list operation: atomic under the GIL
        elif on_its_thread:
            connections.close_all()  # the connections of this thread, before it ends
            executor.shutdown(wait=False)
        else:
            executor.submit(self._release, executor)


def get_application() -> ASGIHandler:
    django.setup(set_prefix=False)
    return Handler() if POOLED else ASGIHandler()


application = get_application()
