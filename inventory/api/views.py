"""The vAPI NOT_FOUND body for any `/api/` path no operation answers at, not the HTML 404 page."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from inventory.api.errors import NOT_FOUND, message
from vksportal.untrusted import clip


@csrf_exempt  # an answer for any method, never a form's
def not_found(request: HttpRequest) -> JsonResponse:
    text = f"No API operation at {clip(request.path, 200)}."
    return JsonResponse(
        {"error_type": NOT_FOUND, "messages": [message(text, NOT_FOUND)]}, status=404
    )
