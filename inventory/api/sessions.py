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
from datetime import UTC, datetime
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user,
    get_user_model,
    load_backend,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, CharField, Subquery, Value, When
from django.db.models.functions import Concat, StrIndex, Substr, Upper
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from inventory.permissions import remember_role, root_role_rank
from inventory.tasklog import SSO_DOMAIN, sso_principal
from vksportal.statements import Statement

MARKER = "_vks_api"  # {"created": iso time, "accessed": iso time}

# Every API call reads its session and its user with the user's role on the vCenter root (so
# the call's permission checks need no query of their own), in statements compiled once: the
# ORM took several times longer to compile them than the database to answer. Nothing read is
# kept between calls: a logout, a password change, a disabled or deleted user and a revoked
# role all count from the next call. A process only remembers which user each token it has
# seen belongs to (that never changes for a session, and is checked against the session's row
# on every call), so from a token's second call on, one statement reads session and user.
SESSION_ROW = Statement(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now).values_list(
        "session_data"
    ),
    key="\x1fsession-key\x1f",
    now=datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC),
)


def _principal():
    """sso_principal() in SQL: `name@domain` -> `DOMAIN\\name`, a bare name in vsphere.local.
    Checked against sso_principal() on each read (SQL's UPPER may differ beyond ASCII)."""
    at = StrIndex("username", Value("@"))
    return Case(
        When(
            GreaterThan(at, 0),
            then=Concat(
                Upper(Substr("username", at + 1)), Value("\\"), Substr("username", 1, at - 1)
            ),
        ),
        default=Concat(Value(f"{SSO_DOMAIN.upper()}\\"), "username"),
        output_field=CharField(),
    )


def _user_fields() -> list[str]:
    return [f.attname for f in get_user_model()._meta.concrete_fields]


def _users(pk):
    return (
        get_user_model()
        .objects.filter(pk=pk)
        .annotate(vks_principal=_principal())
        .annotate(vks_rank=root_role_rank("vks_principal"))
    )


_PK = -2_100_000_001  # within a 32-bit key's range, or Django compiles no query at all
USER_ROW = Statement(
    lambda pk: _users(pk).values_list(*_user_fields(), "vks_principal", "vks_rank"), pk=_PK
)
CALLER_ROW = Statement(  # USER_ROW and the session's data (NULL when it ended)
    lambda key, now, pk: (
        _users(pk)
        .annotate(
            vks_session=Subquery(
                Session.objects.filter(session_key=key, expire_date__gt=now).values("session_data")
            )
        )
        .values_list(*_user_fields(), "vks_principal", "vks_rank", "vks_session")
    ),
    key="\x1fsession-key\x1f",
    now=datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC),
    pk=_PK,
)
_TOKEN_USERS: dict[str, object] = {}  # token -> its user's pk: a hint, checked on each use
_TOKENS_KEPT = 10_000


class _DatabaseStore(db.SessionStore):
    """Django's database store, its row read by SESSION_ROW, or given (read by CALLER_ROW)."""

    def __init__(self, session_key=None, data: str | None = None):
        super().__init__(session_key)
        self._data = data

    def _get_session_from_db(self):
        if self._data is not None:
            return SimpleNamespace(session_data=self._data)
        row = None
        if self.session_key is not None:  # None: not a well-formed key
            row = SESSION_ROW.first(key=self.session_key, now=timezone.now())
        if row is None:
            self._session_key = None  # as the store does for a missing or expired row
            return None
        return SimpleNamespace(session_data=row[0])


@dataclass(frozen=True)
class ApiSession:
    token: str
    user: object
    created: datetime
    accessed: datetime


def _store(token: str | None = None) -> SessionBase:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if store is db.SessionStore:
        store = _DatabaseStore
    return store(session_key=token)


def _known(token: str) -> tuple[SessionBase, tuple] | None:
    """The session and its user's row in one statement, for a token whose user this process
    has seen; None otherwise, or when the session or user is gone (the slow way tells)."""
    pk = _TOKEN_USERS.get(token)
    if pk is None or import_module(settings.SESSION_ENGINE).SessionStore is not db.SessionStore:
        return None
    row = CALLER_ROW.first(key=token, now=timezone.now(), pk=pk)
    if row is None or row[-1] is None:
        _TOKEN_USERS.pop(token, None)
        return None
    return _DatabaseStore(token, data=row[-1]), row[:-1]


def _user(store: SessionBase, row: tuple | None = None):
    """The session's user, as django.contrib.auth.get_user() finds it (an AnonymousUser when
    none), with its vCenter role memoised: one statement (or `row`, read with the session)
    where get_user() takes one for the user and role_of() two more for groups and roles."""
    backend_path = store.get(BACKEND_SESSION_KEY)
    if (
        backend_path not in settings.AUTHENTICATION_BACKENDS
        or type(load_backend(backend_path)).get_user is not ModelBackend.get_user
    ):
        return get_user(SimpleNamespace(session=store))
    backend = load_backend(backend_path)
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(store[SESSION_KEY])
    except (KeyError, ValidationError):
        return get_user(SimpleNamespace(session=store))
    fields = _user_fields()
    if row is None or row[fields.index(model._meta.pk.attname)] != pk:
        row = USER_ROW.first(pk=pk)
    if row is None:
        return get_user(SimpleNamespace(session=store))  # gone: AnonymousUser, as it answers
    user = model.from_db(connection.alias, fields, row[: len(fields)])
    principal, rank = row[len(fields) :]
    session_hash = store.get(HASH_SESSION_KEY)
    if not (
        backend.user_can_authenticate(user)
        and session_hash
        and constant_time_compare(session_hash, user.get_session_auth_hash())
    ):
        # Disabled, or the password changed (or the secret key rotated): get_user() decides,
        # flushing the session or moving it to the new secret as it does for any login.
        return get_user(SimpleNamespace(session=store))
    if principal == sso_principal(user):
        remember_role(user, rank)
    return user


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
    store, row = _known(token) or (_store(token), None)
    times = store.get(MARKER)
    if not isinstance(times, dict):
        return None
    now = timezone.now()
    accessed = datetime.fromisoformat(times["accessed"])
    if (now - accessed).total_seconds() > _idle():
        store.delete()
        return None
    user = _user(store, row)  # flushes the session on a stale hash
    if not user.is_authenticated:
        return None
    if len(_TOKEN_USERS) >= _TOKENS_KEPT:
        _TOKEN_USERS.clear()
    _TOKEN_USERS[token] = user.pk
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
    _TOKEN_USERS.pop(token, None)
    _store(token).delete()
