"""The REST form of every registered operation: `/api/...` as vCenter 8 serves it (bare JSON,
`vmware-api-session-id`), and the legacy `/rest/...` routes (`{"value": ...}`) that Ansible's
vmware_rest logs in with. URL patterns are made from the registry (`urlpatterns()`): one view
per path, choosing the operation by method and `?action=`.

A caller is an API session (`vmware-api-session-id`), HTTP basic auth for the session's create,
or a browser logged in to the portal: reads as it is, writes with Django's CSRF token."""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from inventory.api.sessions import session_touch
from vapi.bindings import (
    BOOLEAN,
    DOUBLE,
    INTEGER,
    InputError,
    List,
    Optional,
    Rows,
    Struct,
    Type,
)
from vapi.cis import log_in
from vapi.errors import Unauthenticated, described, std_message
from vapi.operations import ApiError, Call, Operation, Rest, message, registry
from vksportal.untrusted import InputError as BodyError
from vksportal.untrusted import load_json

log = logging.getLogger(__name__)
HEADER = "HTTP_VMWARE_API_SESSION_ID"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# What a 401 asks for: basic auth where a session is created, else the session's header (not
# "Basic", or a browser would prompt for a password on every page).
CHALLENGE_BASIC = 'Basic realm="VAPI endpoint"'
CHALLENGE_SESSION = 'vmware-api-session-id realm="VAPI endpoint"'


def _scalar(t: Type, text: str, path: str):
    """A query or path string as the type it stands for."""
    base = t.of if isinstance(t, Optional) else t
    if base is BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise InputError(path, "boolean", text)
        return text.lower() == "true"
    if base is INTEGER:
        try:
            return int(text)
        except ValueError:
            raise InputError(path, "long", text) from None
    if base is DOUBLE:
        try:
            return float(text)
        except ValueError:
            raise InputError(path, "double", text) from None
    return base.from_rest(text, path)


def _query_value(t: Type, request: HttpRequest, name: str):
    base = t.of if isinstance(t, Optional) else t
    if isinstance(base, List):
        values = request.GET.getlist(name)
        if not values:
            return None if isinstance(t, Optional) else []
        return base.from_rest([_scalar(base.of, v, name) for v in values], name)
    if name not in request.GET:
        if isinstance(t, Optional):
            return None
        raise InputError(name, t.name, None)
    return _scalar(t, request.GET[name], name)


def _arguments(op: Operation, route: Rest, request: HttpRequest, kwargs: dict) -> dict:
    found: dict = {}
    for name, value in kwargs.items():
        found[name] = _scalar(op.params[name], value, name)
    for name in route.query:
        found[name] = _query_value(op.params[name], request, name)
    if route.filter:
        t = op.params[route.filter]
        struct = t.of if isinstance(t, Optional) else t
        assert isinstance(struct, Struct)
        fields = {f: _query_value(ft, request, f) for f, ft in struct.fields.items()}
        found[route.filter] = (
            fields
            if any(v is not None for v in fields.values())
            else (None if isinstance(t, Optional) else fields)
        )
    rest = [n for n in op.params if n not in found]
    if rest:
        body = _body(request)
        if route.body:
            found[route.body] = op.params[route.body].from_rest(body, route.body)
        else:
            body = body or {}
            if not isinstance(body, dict):
                raise InputError("body", "a JSON object", body)
            for name in rest:
                t = op.params[name]
                if name not in body and not isinstance(t, Optional):
                    raise InputError(name, t.name, None)
                found[name] = t.from_rest(body.get(name), name)
    return found


def _body(request: HttpRequest):
    """The JSON body (None when empty): 415 for another media type, as vCenter refuses a form,
    413 past the size bound, 400 for text that is not bounded JSON."""
    if not request.body.strip():
        return None
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type not in ("", "application/json"):
        text = f"The request body must be application/json, not {media_type[:80]}."
        raise ApiError("INVALID_REQUEST", std_message(text, "INVALID_REQUEST"), status=415)
    try:
        return load_json(request.body)
    except BodyError as error:
        if error.status == 413:
            text = f"The request body is refused: {error.message}."
            raise ApiError(
                "INVALID_REQUEST", std_message(text, "INVALID_REQUEST"), status=413
            ) from None
        raise InputError("body", "JSON", error.message) from None


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason  # the reason, for the error's message


def _caller(request: HttpRequest, op: Operation) -> Call:
    if not op.authenticated:  # the session's create: HTTP basic auth
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, encoded = header.partition(" ")
        try:
            user_name, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated() from None
        if scheme.lower() != "basic":
            raise Unauthenticated()
        return Call(log_in(request, user_name, password), request)
    token = request.META.get(HEADER)
    if token is not None:
        session = session_touch(token.strip())
        if session is None:
            raise Unauthenticated()
        return Call(session.user, request, token.strip())
    # A browser logged in to the portal (the view is csrf_exempt, so its check is made here).
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        if request.method not in SAFE_METHODS:
            refused = _CsrfCheck(lambda r: None).process_view(request, None, (), {})
            if refused is not None:
                raise PermissionDenied(f"CSRF Failed: {refused}")
        return Call(user, request)
    raise Unauthenticated()


def _answer(op: Operation, route: Rest, request: HttpRequest, kwargs: dict) -> HttpResponse:
    try:
        call = _caller(request, op)
        result = op.handler(call, **_arguments(op, route, request, kwargs))
    except Exception as error:
        found = described(error)
        if found is None:
            log.exception("REST %s %s", request.method, request.path)
            found = ("ERROR", [message("vapi.error", "An internal error occurred.")], 500)
        error_type, messages, status = found
        if route.legacy:
            body = {
                "type": f"com.vmware.vapi.std.errors.{error_type.lower()}",
                "value": {"messages": messages},
            }
        else:
            body = {"error_type": error_type, "messages": messages}
        response = JsonResponse(body, status=status, safe=False)
        if status == 401:
            response["WWW-Authenticate"] = (
                CHALLENGE_SESSION if op.authenticated else CHALLENGE_BASIC
            )
        return response
    if route.status == 204:
        # No body, so no Content-Type (Django would add text/html): vmware_rest's action modules
        # read the body only when the type is exactly application/json or absent, and fail on
        # any other (an unbound local in their _start/_stop...).
        response = HttpResponse(status=204)
        del response["Content-Type"]
        return response
    output = op.output.rest(result)
    return _json({"value": output} if route.legacy else output, route.status)


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, Rows):  # inside another value (a list is written by Rows.json)
            return list(o)
        return super().default(o)


_ENCODE = _Encoder(separators=(",", ":")).encode  # Django's types only when met


def _json(data, status: int) -> HttpResponse:
    """What JsonResponse answers, compact (a list of thousands of summaries is mostly commas
    and colons) and with one encoder made once; a list of summaries as the database wrote it."""
    if isinstance(data, Rows):
        text = data.json(_ENCODE)
    elif isinstance(data, dict) and data.keys() == {"value"} and isinstance(data["value"], Rows):
        text = '{"value":' + data["value"].json(_ENCODE) + "}"  # the legacy /rest wrapping
    else:
        text = _ENCODE(data)
    return HttpResponse(text, status=status, content_type="application/json")


def _view(routes: list[tuple[Operation, Rest]]):
    @csrf_exempt  # a session header or basic auth; a browser's cookie is checked in _caller
    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        action = request.GET.get("action")
        for op, route in routes:
            if route.method == request.method and route.action == action:
                return _answer(op, route, request, kwargs)
        allowed = any(r.method == request.method for _, r in routes)
        error_type = "INVALID_ARGUMENT" if allowed and action else "OPERATION_NOT_FOUND"
        text = (
            f"The action '{action[:40]}' is not supported here."
            if allowed and action
            else f"{request.method} is not supported at {request.path[:200]}."
        )
        body = {"error_type": error_type, "messages": [std_message(text, error_type)]}
        return JsonResponse(body, status=400 if allowed else 405)

    return view


def urlpatterns() -> list:
    by_path: dict[str, list[tuple[Operation, Rest]]] = defaultdict(list)
    for op in registry().values():
        for route in op.rest:
            by_path[route.path].append((op, route))
    patterns = []
    for path, routes in by_path.items():
        regex = re.sub(
            r"\{(\w+)(?::([^}]+))?\}",
            lambda m: f"(?P<{m[1]}>{m[2] or '[^/]+'})",
            path.lstrip("/"),
        )
        patterns.append(re_path(f"^{regex}$", _view(routes)))
    return patterns
