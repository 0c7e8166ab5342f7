"""`com.vmware.cis.session`: the session every SDK opens first (`create` with a user name and
password, then the token as the session id), over REST at `/api/session` as vCenter 8 serves
it (HTTP basic auth; 201 with the token, a bare JSON string; 204 for the delete) and at the
legacy `/rest/com/vmware/cis/session` that Ansible's vmware_rest logs in with (HTTP 200,
`{"value": token}`)."""

from __future__ import annotations

from django.contrib.auth import authenticate

from inventory.api.sessions import session_close, session_open, session_touch
from inventory.auth import NO_PERMISSION
from inventory.lockout import ACCOUNT_LOCKED, login_locked
from inventory.permissions import may_log_in
from inventory.tasklog import sso_principal
from vapi.bindings import DATE_TIME, SECRET, STRING, Struct
from vapi.errors import Unauthenticated
from vapi.operations import Call, Rest, operation

SESSION = "com.vmware.cis.session"
LEGACY = "/rest/com/vmware/cis/session"
PATH = "/api/session"

SESSION_INFO = Struct(
    "com.vmware.cis.session.info",
    {"user": STRING, "created_time": DATE_TIME, "last_accessed_time": DATE_TIME},
)


def log_in(request, user_name, password):
    """The user of an SSO user name and password (case-insensitive, as the login page), or
    UNAUTHENTICATED in the vSphere Client's words: a wrong password, a locked account, a user
    with no vCenter role and no namespace."""
    if not isinstance(user_name, str) or not isinstance(password, str) or not user_name:
        raise Unauthenticated()
    user = authenticate(request, username=user_name, password=password)
    if user is None:  # the backend answers None for a locked account too
        raise Unauthenticated(
            ACCOUNT_LOCKED if login_locked(user_name) else "Invalid username/password."
        )
    if not may_log_in(user):
        raise Unauthenticated(NO_PERMISSION)
    return user


@operation(
    SESSION,
    "create",
    output=SECRET,
    rest=[Rest("POST", PATH, status=201), Rest("POST", LEGACY, legacy=True)],
    authenticated=False,
)
def session_create(call: Call) -> str:
    return session_open(user=call.user, request=call.request)


@operation(
    SESSION,
    "get",
    output=SESSION_INFO,
    rest=[Rest("GET", PATH), Rest("GET", LEGACY, legacy=True)],
)
def session_get(call: Call) -> dict:
    session = session_touch(call.session_id or "")
    if session is None:
        raise Unauthenticated()
    return {
        "user": sso_principal(call.user),
        "created_time": session.created,
        "last_accessed_time": session.accessed,
    }


@operation(
    SESSION,
    "delete",
    rest=[Rest("DELETE", PATH, status=204), Rest("DELETE", LEGACY, status=200, legacy=True)],
)
def session_delete(call: Call) -> None:
    if call.session_id is None:  # a browser's login is no API session
        raise Unauthenticated()
    session_close(call.session_id)
