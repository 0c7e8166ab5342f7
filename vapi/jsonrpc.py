"""`POST /api`: the vAPI JSON-RPC endpoint VMware's SDKs call (`create_vsphere_client`). One
method, `invoke`: a service id, an operation id, the typed input, and a security context (user
name and password for `com.vmware.cis.session.create`, else the session id). Every answer is
HTTP 200: the result's `output`, or its `error` as a vAPI error value (VKS-REFERENCE §7.5)."""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse

from inventory.api.sessions import session_touch
from vapi.bindings import Rows, error_vapi
from vapi.cis import log_in
from vapi.errors import Unauthenticated, described
from vapi.operations import ApiError, Call, message, registry
from vksportal.untrusted import InputError as BodyError
from vksportal.untrusted import load_json

log = logging.getLogger(__name__)

USER_PASS = "com.vmware.vapi.std.security.user_pass"
SESSION_ID = "com.vmware.vapi.std.security.session_id"


def _rpc_error(code: int, text: str, request_id=None, status: int = 200) -> JsonResponse:
    body = {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": text}}
    return JsonResponse(body, status=status)


def invoke(request: HttpRequest) -> JsonResponse:
    try:
        envelope = load_json(request.body)
    except BodyError as error:
        return _rpc_error(-32700, f"Parse error: {error}")
    if not isinstance(envelope, dict):
        return _rpc_error(-32600, "Invalid Request")
    if envelope.get("method") != "invoke":
        return _rpc_error(-32601, "Method not found", envelope.get("id"))
    request_id = envelope.get("id")
    params = envelope.get("params")
    if not isinstance(params, dict):
        return _rpc_error(-32602, "Invalid params", request_id)
    service, name = params.get("serviceId"), params.get("operationId")
    try:
        operation = registry().get((service, name))
        if operation is None:
            raise ApiError(
                "OPERATION_NOT_FOUND",
                message(
                    "vapi.method.input.invalid.interface",
                    f"Cannot find operation '{str(name)[:80]}' of service '{str(service)[:120]}'.",
                ),
            )
        call = _caller(request, params.get("ctx"), authenticated=operation.authenticated)
        arguments = operation.input.from_vapi(params.get("input"), "")
        result = operation.handler(call, **arguments)
        output = operation.output.vapi(result)
        if isinstance(output, Rows):  # written by the database in this encoding already
            head = json.dumps({"jsonrpc": "2.0", "id": request_id})[:-1]
            text = f'{head}, "result": {{"output": {output.json(json.dumps)}}}}}'
            return HttpResponse(text, content_type="application/json")
        return JsonResponse({"jsonrpc": "2.0", "id": request_id, "result": {"output": output}})
    except Exception as error:  # every error an answer of the protocol's own
        found = described(error)
        if found is None:
            log.exception("vAPI %s.%s", service, name)
            found = ("ERROR", [message("vapi.error", "An internal error occurred.")], 500)
        error_type, messages, _status = found
        answer = {"error": error_vapi(error_type, messages)}
        return JsonResponse({"jsonrpc": "2.0", "id": request_id, "result": answer})


def _caller(request: HttpRequest, ctx, *, authenticated: bool) -> Call:
    security = (ctx or {}).get("securityCtx") if isinstance(ctx, dict) else None
    security = security if isinstance(security, dict) else {}
    scheme = security.get("schemeId")
    if scheme == SESSION_ID and isinstance(security.get("sessionId"), str):
        session = session_touch(security["sessionId"])
        if session is None:
            raise Unauthenticated()
        return Call(session.user, request, security["sessionId"], wire="vapi")
    if scheme == USER_PASS and not authenticated:
        user = log_in(request, security.get("userName"), security.get("password"))
        return Call(user, request, wire="vapi")
    raise Unauthenticated()
