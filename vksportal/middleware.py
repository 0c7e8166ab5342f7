"""Project-wide middleware."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_vary_headers

from inventory.api.errors import INVALID_ARGUMENT, message
from vksportal.untrusted import clip, text_problem
from workloads.api.kubernetes.status import status_body

KUBERNETES_PATH = re.compile(r"^/(?:apis|api/v1)(?:/|$)")  # workloads.api.kubernetes.urls


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


def refuse_malformed_requests(get_response: Callable[[HttpRequest], HttpResponse]):
    """A 400 naming the problem, before anything reads the request, for a NUL character or a
    lone surrogate in the path, a query parameter, a header or a page's form field: no view,
    session lookup or database query ever sees one (PostgreSQL refuses NUL in text with an
    error, a 500). The body is each front door's own: a Kubernetes Status under /apis/ and
    /api/v1/, a vAPI error under /api/, plain text for pages. API bodies are checked by their
    parsers (vksportal.untrusted)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        problem = _request_problem(request)
        if problem is None:
            return get_response(request)
        if KUBERNETES_PATH.match(request.path_info):
            return JsonResponse(status_body(400, "BadRequest", problem), status=400)
        if request.path_info.startswith("/api/"):
            messages = [message(problem, INVALID_ARGUMENT)]
            return JsonResponse({"error_type": INVALID_ARGUMENT, "messages": messages}, status=400)
        return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")

    return middleware


def _request_problem(request: HttpRequest) -> str | None:
    problem = text_problem(request.path_info)
    if problem:
        return f"the path: {problem}"
    for key, values in request.GET.lists():
        for text in (key, *values):
            problem = text_problem(text)
            if problem:
                return f"query parameter {clip(key, 40)!r}: {problem}"
    if request.method == "POST" and not request.path_info.startswith("/api"):
        # A page's form (the API's bodies are checked by its parsers). Django decodes form
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
