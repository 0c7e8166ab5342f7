"""How API callers prove who they are: HTTP basic auth once, to create a session
(`POST /api/session`), then the session token in the `vmware-api-session-id` header."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, BasicAuthentication
from rest_framework.exceptions import AuthenticationFailed

from inventory.api.sessions import session_touch
from inventory.auth import NO_PERMISSION
from inventory.lockout import ACCOUNT_LOCKED, login_locked
from inventory.permissions import may_log_in

HEADER = "vmware-api-session-id"
INVALID_SESSION = "The session is not authenticated; create one with POST /api/session."


class SsoBasicAuthentication(BasicAuthentication):
    """`user@vsphere.local:password`, case-insensitive as the login page (SsoBackend, which
    also holds the lockout policy); a locked account and a user with no vCenter role and no
    namespace are refused with the vSphere Client's words."""

    www_authenticate_realm = "VAPI endpoint"

    def authenticate_credentials(self, userid, password, request=None):
        try:
            user, _ = super().authenticate_credentials(userid, password, request)
        except AuthenticationFailed:
            if login_locked(userid):
                raise AuthenticationFailed(ACCOUNT_LOCKED) from None
            raise
        if not may_log_in(user):
            raise AuthenticationFailed(NO_PERMISSION)
        return user, None


class SessionTokenAuthentication(BaseAuthentication):
    """The token of a live API session; `request.auth` is then its `ApiSession`."""

    def authenticate(self, request):
        token = request.META.get("HTTP_VMWARE_API_SESSION_ID")
        if token is None:
            return None  # not ours: a browser cookie session may still authenticate
        session = session_touch(token.strip())
        if session is None:
            raise AuthenticationFailed(INVALID_SESSION)
        return session.user, session

    def authenticate_header(self, request) -> str:
        # Not "Basic": a browser would answer a 401 with its password prompt on every page.
        return f'{HEADER} realm="VAPI endpoint"'


class SessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = SessionTokenAuthentication
    name = "vmwareApiSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": HEADER}


class SsoBasicScheme(OpenApiAuthenticationExtension):
    target_class = SsoBasicAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}
