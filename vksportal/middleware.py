"""Project-wide middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


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
