"""Project-wide middleware."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.core.exceptions import TooManyFieldsSent
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from inventory.api.errors import INVALID_ARGUMENT, message
from kubeapi.status import status_body
from vksportal.untrusted import clip, text_problem

# Every path kubeapi.urls routes to the Kubernetes API, so a refusal there is a Status too:
# /api and /api/ exactly (any other /api/... is vCenter's), /api/v1/..., /apis, /openapi,
# /version and the health checks with what follows, and a VKS cluster's /vks/<ns>/<name>/....
KUBERNETES_PATH = re.compile(
    r"/(?:api/?|api/v1(?:/.*)?|(?:apis|openapi|version|healthz|livez|readyz)(?:/.*)?"
    r"|vks/[^/]+/[^/]+(?:/.*)?)",
    re.DOTALL,
)


def vary_on_htmx(get_response: Callable[[HttpRequest], HttpResponse]):
    """`Vary: HX-Request` on every response: a URL answers htmx with a fragment and a browser
    with the whole page, so neither may be served from the HTTP cache for the other (Back to an
    htmx-pushed URL after leaving the app would otherwise show the bare fragment, unstyled and
    without htmx)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response

    return middleware


def content_security_policy(get_response: Callable[[HttpRequest], HttpResponse]):
    """`Content-Security-Policy: settings.VKS_CONTENT_SECURITY_POLICY` on every response that
    sets none of its own (Django 5.2 has no CSP support; 6.0 brings it)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if settings.VKS_CONTENT_SECURITY_POLICY:
            response.headers.setdefault(
                "Content-Security-Policy", settings.VKS_CONTENT_SECURITY_POLICY
            )
        return response

    return middleware


SEEN_KEY = "_vks_seen"  # epoch seconds of the session's last user activity (to the minute)
IDLE_MESSAGE = "Your vSphere Client session is no longer authenticated. Please login again."
# Sent by static/js/client.js on requests no person asked for (polls, refreshes on an event): they
# keep nobody's session alive, as the vSphere Client's own polling does not.
BACKGROUND_HEADER = "HTTP_X_VKS_BACKGROUND"


def session_idle(get_response: Callable[[HttpRequest], HttpResponse]):
    """The vSphere Client's idle timeout for browser sessions: after `VKS_SESSION_IDLE_SECONDS`
    (120 minutes) without a request from its user, a session ends and the next request goes to
    the login page with vCenter's message.

    The session row is written at most once every `VKS_SESSION_TOUCH_SECONDS`, not on every
    request: activity is stamped to that precision, and each stamp also pushes the row's expiry
    (SESSION_COOKIE_AGE, the idle time plus one stamp interval) along. A request whose cookie
    names a session that is gone (expired, or ended when the password changed) gets the same
    message. API token sessions (inventory.api.sessions) keep their own clock."""

    def middleware(request: HttpRequest) -> HttpResponse:
        session = request.session
        if request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            seen = session.get(SEEN_KEY)
            if seen is not None and now - seen > settings.VKS_SESSION_IDLE_SECONDS:
                logout(request)
                return _session_ended(request) or get_response(request)
            stale = seen is None or now - seen >= settings.VKS_SESSION_TOUCH_SECONDS
            if stale and (seen is None or BACKGROUND_HEADER not in request.META):
                session[SEEN_KEY] = now
        elif request.COOKIES.get(settings.SESSION_COOKIE_NAME) and session.session_key is None:
            return _session_ended(request) or get_response(request)
        return get_response(request)

    return middleware


def session_activity_start(sender, request, user, **kwargs) -> None:
    """A browser login starts the idle clock in the session it writes anyway, so the first
    request after it does not write the session again. (API sessions send the same signal with
    a request that has no logged-in browser session: nothing to do.)"""
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY) is not None:
        session[SEEN_KEY] = int(timezone.now().timestamp())


def _session_ended(request: HttpRequest) -> HttpResponse | None:
    """htmx gets sent to the login page as a whole (not a login form swapped into a pane); a
    page carries the message on to it (login_required sends it there); the API answers its own
    401."""
    if request.path_info.startswith("/api/") or KUBERNETES_PATH.fullmatch(request.path_info):
        return None
    messages.warning(request, IDLE_MESSAGE)
    if getattr(request, "htmx", False):
        back = request.htmx.current_url_abs_path or "/"
        return HttpResponseClientRedirect(f"{reverse('login')}?{urlencode({'next': back})}")
    return None


def refuse_malformed_requests(get_response: Callable[[HttpRequest], HttpResponse]):
    """A 400 naming the problem, before anything reads the request, for a NUL character or a
    lone surrogate in the path, a query parameter, a header or a page's form field: no view,
    session lookup or database query ever sees one (PostgreSQL refuses NUL in text with an
    error, a 500). The body is each front door's own: a Kubernetes Status on the Kubernetes
    API's paths (KUBERNETES_PATH), a vAPI error on the rest of /api/, plain text for pages. API
    bodies are checked by their parsers (vksportal.untrusted)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        problem = _request_problem(request)
        if problem is None:
            return get_response(request)
        if KUBERNETES_PATH.fullmatch(request.path_info):
            return JsonResponse(status_body(400, "BadRequest", problem), status=400)
        if request.path_info.startswith("/api/"):
            error = [message(problem, INVALID_ARGUMENT)]
            return JsonResponse({"error_type": INVALID_ARGUMENT, "messages": error}, status=400)
        return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")

    return middleware


def _request_problem(request: HttpRequest) -> str | None:
    problem = text_problem(request.path_info)
    if problem:
        return f"the path: {problem}"
    try:
        query = list(request.GET.lists())
    except TooManyFieldsSent:
        return f"the query: more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters"
    for key, values in query:
        for text in (key, *values):
            problem = text_problem(text)
            if problem:
                return f"query parameter {clip(key, 40)!r}: {problem}"
    path = request.path_info
    if request.method == "POST" and not (
        path.startswith("/api/") or KUBERNETES_PATH.fullmatch(path)
    ):
        # A page's form (the APIs' bodies are checked by their parsers, and must stay unread
        # for them: a multipart body read here could not be read again). Django decodes form
        # data with errors="replace", so a surrogate cannot come in this way; a NUL can.
        for key, values in request.POST.lists():
            for text in (key, *values):
                problem = text_problem(text)
                if problem:
                    return f"form field {clip(key, 40)!r}: {problem}"
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str) and text_problem(value):
            header = name[5:].replace("_", "-").title()
            return f"header {clip(header, 40)}: {text_problem(value)}"
    return None


def database_busy(get_response: Callable[[HttpRequest], HttpResponse]):
    """A page whose database is busy or away (SQLite's write lock held past its timeout,
    PostgreSQL gone) answers 503 with Retry-After, not a server error: nothing was changed (the
    write's transaction rolled back) and the same click a moment later works. The APIs answer
    the same in their own terms (vapi.errors, kubeapi.views)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    def process_exception(request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError):
            return None
        response = HttpResponse(
            "The service is busy and changed nothing. Try again in a moment.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = "1"
        return response

    middleware.process_exception = process_exception
    return middleware
