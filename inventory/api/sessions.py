"""API sessions as vCenter keeps them: `POST /api/session` opens one and answers its token, later
calls send the token in `vmware-api-session-id`, and a session idle for
`VKS_API_SESSION_IDLE_SECONDS` (vCenter: 30 minutes; counted to `VKS_SESSION_TOUCH_SECONDS`) ends.

Each token is the key of a real Django session (the configured session store, so every web
process sees it), holding the same login keys `django.contrib.auth.login` writes: a password
change or a disabled user ends it as it ends a browser login. The `_vks_api` marker keeps browser
cookie sessions from being replayed as tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.utils import timezone

MARKER = "_vks_api"  # {"created": iso time, "accessed": iso time}


@dataclass(frozen=True)
class ApiSession:
    token: str
    user: object
    created: datetime
    accessed: datetime


def _store(token: str | None = None) -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=token)


def _idle() -> int:
    return settings.VKS_API_SESSION_IDLE_SECONDS


def session_open(*, user, request=None) -> str:
    """A new API session for an authenticated user (one `authenticate()` returned, so it
    carries its backend); returns its token."""
    store = _store()
    now = timezone.now().isoformat()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = user.backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[MARKER] = {"created": now, "accessed": now}
    store.set_expiry(_idle() + settings.VKS_SESSION_TOUCH_SECONDS)
    store.create()
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return store.session_key


def session_touch(token: str) -> ApiSession | None:
    """The live session behind `token`, its idle clock reset; None when the token is unknown,
    idle too long, or its user may no longer log in (password changed, disabled)."""
    if not token or len(token) > 64:
        return None
    store = _store(token)
    times = store.get(MARKER)
    if not isinstance(times, dict):
        return None
    now = timezone.now()
    accessed = datetime.fromisoformat(times["accessed"])
    if (now - accessed).total_seconds() > _idle():
        store.delete()
        return None
    user = get_user(SimpleNamespace(session=store))  # flushes the session on a stale hash
    if not user.is_authenticated:
        return None
    # As browser sessions (vksportal.middleware.session_idle): the row is written at most once
    # a touch interval, so a busy client does not write on every call; idle time counts to
    # that precision. The row outlives the idle time by one interval, the clock decides.
    if (now - accessed).total_seconds() >= settings.VKS_SESSION_TOUCH_SECONDS:
        accessed = now
        store[MARKER] = {**times, "accessed": now.isoformat()}
        store.set_expiry(_idle() + settings.VKS_SESSION_TOUCH_SECONDS)
        try:
            store.save()
        except UpdateError:  # ended by another request meanwhile
            return None
    return ApiSession(token, user, datetime.fromisoformat(times["created"]), accessed)


def session_close(token: str) -> None:
    _store(token).delete()
