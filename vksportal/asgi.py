"""ASGI entry point: what `make run`'s web processes serve (vksportal.serve).

Django's handler gives every request a thread of its own for its sync code (middleware, views,
signals) and, at the end of the request, starts another thread only to join that one. On a busy
machine the two thread starts, each waited for by the event loop, were most of a request's time
(3.5 ms of a trivial view's 3.8 ms over HTTP). `Handler` keeps that isolation (one request at a
time per thread, all of a request's sync code on one thread) but hands finished threads to later
requests. A kept thread also keeps its database connection (Django's connections are
per thread) for CONN_MAX_AGE seconds, so a request no longer opens the database file and reads
its schema again (SQLite: 1 ms; PostgreSQL keeps its pool).
"""

from __future__ import annotations

import contextlib
import inspect
import os
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")

import django  # noqa: E402
from asgiref.sync import ThreadSensitiveContext  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.db import connections  # noqa: E402

# Idle request threads kept for later requests; more than this (after a burst) end.
KEEP_IDLE = 32
# asgiref 3.13 lets a context use an executor it does not own; older ones get Django's handler.
POOLED = "executor" in inspect.signature(ThreadSensitiveContext).parameters


class Handler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.idle: list[ThreadPoolExecutor] = []

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
