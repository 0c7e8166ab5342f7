"""The vsphere.local lockout policy, as vCenter Single Sign-On enforces it: after
`VKS_SSO_LOCKOUT_MAX_FAILURES` failed logins (5) within `VKS_SSO_LOCKOUT_INTERVAL_SECONDS` (180 s)
of the first, the account is locked for `VKS_SSO_LOCKOUT_UNLOCK_SECONDS` (300 s; 0 = until an
administrator unlocks it in Users and Groups). While locked, even the right password is refused
with vCenter's message.

The policy lives in the authentication backend (inventory.auth.SsoBackend), so every way in that
calls `django.contrib.auth.authenticate` (the login page, `POST /api/session`, and whatever
session endpoint comes next) gets it without a line of its own; front doors only ask
`login_locked` which message to show for a refused login.

Per the vSphere documentation ("Edit the Lockout Policy", vSphere Authentication, GUID-2D25D311),
the policy applies to user accounts in vsphere.local, not to system accounts such as
administrator@vsphere.local: that account is never locked, so nobody can lock out the domain's
administrator by guessing its password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from inventory.models import Event, LoginLockout, VCenter
from inventory.tasklog import SSO_DOMAIN, event_log

ACCOUNT_LOCKED = "User account is locked. Please contact your administrator."
SYSTEM_ACCOUNTS = frozenset({f"administrator@{SSO_DOMAIN}"})
# The SSO audit event for a failed login; the lockout is logged as one, with a warning.
EVENT_TYPE = "com.vmware.sso.LoginFailure"
NAME_MAX_LENGTH = 150  # Django's username column: a longer name is never an account


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int  # 0: the policy is off
    interval: timedelta
    unlock: timedelta | None  # None: locked until an administrator unlocks


def lockout_policy() -> LockoutPolicy:
    unlock = settings.VKS_SSO_LOCKOUT_UNLOCK_SECONDS
    return LockoutPolicy(
        max_failures=settings.VKS_SSO_LOCKOUT_MAX_FAILURES,
        interval=timedelta(seconds=settings.VKS_SSO_LOCKOUT_INTERVAL_SECONDS),
        unlock=timedelta(seconds=unlock) if unlock > 0 else None,
    )


def _key(username: str | None) -> str | None:
    """The name the policy counts for, or None when it counts none (a system account, a blank
    or impossibly long name)."""
    key = (username or "").strip().lower()
    if not key or len(key) > NAME_MAX_LENGTH or key in SYSTEM_ACCOUNTS:
        return None
    return key


def locked_q(now: datetime | None = None, prefix: str = "") -> Q:
    """LoginLockout rows whose lock holds at `now` (default: now)."""
    policy = lockout_policy()
    q = Q(**{f"{prefix}locked_at__isnull": False})
    if policy.unlock is not None:
        q &= Q(**{f"{prefix}locked_at__gt": (now or timezone.now()) - policy.unlock})
    return q


def locked_annotation(username_ref: str = "username") -> Exists:
    """`Exists(...)` for annotating users with whether their account is locked now."""
    return Exists(LoginLockout.objects.filter(locked_q(), username=OuterRef(username_ref)))


def login_locked(username: str | None) -> bool:
    """Whether logins as `username` are refused now because the account is locked."""
    key = _key(username)
    return key is not None and LoginLockout.objects.filter(locked_q(), username=key).exists()


@transaction.atomic
def login_failure_record(username: str | None) -> bool:
    """Count one failed login as `username`; True when this failure locked the account (and an
    Event says so). The row is locked while it is counted, so concurrent failures on several
    web processes each count once."""
    key, policy = _key(username), lockout_policy()
    if key is None or policy.max_failures <= 0:
        return False
    now = timezone.now()
    row, created = LoginLockout.objects.select_for_update().get_or_create(
        username=key, defaults={"failures": 1, "first_failure_at": now}
    )
    if not created:
        if LoginLockout.objects.filter(locked_q(now), pk=row.pk).exists():
            return False  # already locked: a failure does not lengthen the lock
        if row.locked_at is not None or row.first_failure_at <= now - policy.interval:
            row.failures, row.first_failure_at, row.locked_at = 1, now, None  # a new window
        else:
            row.failures += 1
    locks = row.failures >= policy.max_failures
    if locks:
        row.locked_at = now
    row.save()
    if locks:
        _log_lockout(key, policy)
    return locks


def login_success_record(username: str | None) -> None:
    """A successful login forgets the failures before it (never an account's lock: logins of
    a locked account do not get this far)."""
    key = _key(username)
    if key is not None:
        LoginLockout.objects.filter(username=key).exclude(locked_q()).delete()


def lockout_clear(*, username: str) -> bool:
    """End the lock of `username` and forget its failures; True if it was locked."""
    key = _key(username)
    if key is None:
        return False
    rows = LoginLockout.objects.filter(username=key)
    locked = rows.filter(locked_q()).exists()
    rows.delete()
    return locked


def _log_lockout(key: str, policy: LockoutPolicy) -> None:
    vcenter = VCenter.objects.order_by("pk").first()
    if vcenter is None:
        return
    until = (
        f"for {int(policy.unlock.total_seconds())} seconds"
        if policy.unlock is not None
        else "until an administrator unlocks it"
    )
    event_log(
        event_type=EVENT_TYPE,
        message=(
            f"User account {key} locked after {policy.max_failures} failed login attempts "
            f"within {int(policy.interval.total_seconds())} seconds, {until}"
        ),
        entity=vcenter,
        # Who: the account itself (an unsaved stand-in: the name need not be an account).
        user=get_user_model()(username=key),
        severity=Event.Severity.WARNING,
    )
