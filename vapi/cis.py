"""`com.vmware.cis.session`: the session every SDK opens first (`create` with a user name and
password, then the token as the session id), also at the legacy `/rest/com/vmware/cis/session`
that Ansible's vmware_rest logs in with (HTTP 200, `{"value": token}`). `/api/session` stays
with inventory.api (the same sessions)."""

from __future__ import annotations

from inventory.api.sessions import session_close, session_open, session_touch
from inventory.tasklog import sso_principal
from vapi.bindings import DATE_TIME, SECRET, STRING, Struct
from vapi.errors import Unauthenticated
from vapi.operations import Call, Rest, operation

SESSION = "com.vmware.cis.session"
LEGACY = "/rest/com/vmware/cis/session"

SESSION_INFO = Struct(
    "com.vmware.cis.session.info",
    {"user": STRING, "created_time": DATE_TIME, "last_accessed_time": DATE_TIME},
)


@operation(
    SESSION,
    "create",
    output=SECRET,
    rest=[Rest("POST", LEGACY, legacy=True)],
    authenticated=False,
)
def session_create(call: Call) -> str:
    return session_open(user=call.user, request=call.request)


@operation(SESSION, "get", output=SESSION_INFO, rest=[Rest("GET", LEGACY, legacy=True)])
def session_get(call: Call) -> dict:
    session = session_touch(call.session_id or "")
    if session is None:
        raise Unauthenticated()
    return {
        "user": sso_principal(call.user),
        "created_time": session.created,
        "last_accessed_time": session.accessed,
    }


@operation(SESSION, "delete", rest=[Rest("DELETE", LEGACY, status=200, legacy=True)])
def session_delete(call: Call) -> None:
    session_close(call.session_id or "")
