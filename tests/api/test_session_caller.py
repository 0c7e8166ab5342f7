"""The caller of an API call, read in one statement with its vCenter role (sessions.USER_ROW):
nothing about it is kept between calls, so whatever ends a session or takes a role away counts
from the very next call; the role found is the one the pages find (permissions.role_of)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.api.sessions import session_open, session_touch
from inventory.models import Permission, VCenter
from inventory.permissions import role_of
from tests.api.conftest import NM, error, open_session
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CLUSTERS = f"{NM}/clusters"  # needs System.View: 403 without a role, 401 without a session
ADMIN, READ_ONLY, NO_ACCESS = (
    Permission.Role.ADMIN,
    Permission.Role.READ_ONLY,
    Permission.Role.NO_ACCESS,
)


def grant(principal: str, role: str, *, is_group: bool = False) -> Permission:
    return Permission.objects.create(
        entity_moid=VCenter.objects.get().moid, principal=principal, role=role, is_group=is_group
    )


def person(username: str, *, groups: tuple[str, ...] = ()):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def session_of(user) -> tuple[APIClient, str]:
    client = APIClient()
    return client, open_session(client, user.username)


def test_a_revoked_role_is_refused_on_the_next_call(auditor):
    client, _ = session_of(auditor)
    assert client.get(CLUSTERS).status_code == 200
    Permission.objects.filter(principal="VSPHERE.LOCAL\\auditor").delete()
    response = client.get(CLUSTERS)
    assert response.status_code == 403
    assert error(response)[0] == "UNAUTHORIZED"


def test_leaving_the_group_that_holds_the_role_is_refused_on_the_next_call():
    grant("VSPHERE.LOCAL\\Ops", ADMIN, is_group=True)
    user = person("ops@vsphere.local", groups=("Ops",))
    client, _ = session_of(user)
    assert client.get(CLUSTERS).status_code == 200
    user.groups.clear()
    assert client.get(CLUSTERS).status_code == 403


def test_no_access_granted_later_to_a_group_shuts_the_member_out_at_once(auditor):
    client, _ = session_of(auditor)
    assert client.get(CLUSTERS).status_code == 200
    auditor.groups.add(Group.objects.create(name="Contractors"))
    grant("VSPHERE.LOCAL\\Contractors", NO_ACCESS, is_group=True)
    assert client.get(CLUSTERS).status_code == 403


@pytest.mark.parametrize(
    ("own", "group", "expected"),
    [
        (None, None, None),
        (READ_ONLY, None, READ_ONLY),
        (None, READ_ONLY, READ_ONLY),
        (READ_ONLY, ADMIN, ADMIN),
        (ADMIN, READ_ONLY, ADMIN),
        (ADMIN, NO_ACCESS, None),
        (NO_ACCESS, ADMIN, None),
        (None, NO_ACCESS, None),
    ],
)
def test_the_callers_role_is_the_one_the_pages_find(own, group, expected):
    user = person("dana@vsphere.local", groups=("Team",))
    if own:
        grant("VSPHERE.LOCAL\\dana", own)
    if group:
        grant("VSPHERE.LOCAL\\Team", group, is_group=True)
    # A session opened directly: a user without a role may not log in through the API.
    user.backend = "inventory.auth.SsoBackend"
    caller = session_touch(session_open(user=user)).user
    assert caller.__dict__["_vks_role"] == expected  # memoised from the one statement
    assert role_of(get_user_model().objects.get(pk=user.pk)) == expected  # the pages' way


@pytest.mark.parametrize(
    ("username", "principal"),
    [
        ("legacy", "VSPHERE.LOCAL\\legacy"),  # no domain: vsphere.local
        ("ops@example.local", "EXAMPLE.LOCAL\\ops"),
        ("ops@exämple.local", "EXÄMPLE.LOCAL\\ops"),  # SQL's UPPER may stop at ASCII
    ],
)
def test_a_role_granted_to_the_users_principal_is_found_for_any_user_name(username, principal):
    grant(principal, READ_ONLY)
    client, _ = session_of(person(username))
    assert client.get(CLUSTERS).status_code == 200


def test_a_deleted_user_is_refused_on_the_next_call():
    user = person("gone@vsphere.local")
    grant("VSPHERE.LOCAL\\gone", READ_ONLY)
    client, _ = session_of(user)
    assert client.get(CLUSTERS).status_code == 200
    user.delete()
    assert client.get(CLUSTERS).status_code == 401


def test_a_disabled_user_is_refused_on_the_next_call(auditor):
    client, _ = session_of(auditor)
    auditor.is_active = False
    auditor.save(update_fields=["is_active"])
    assert client.get(CLUSTERS).status_code == 401


def test_a_closed_session_is_refused_on_the_next_call_even_in_another_client(auditor):
    client, token = session_of(auditor)
    other = APIClient()
    other.credentials(HTTP_VMWARE_API_SESSION_ID=token)
    assert other.get(CLUSTERS).status_code == 200
    assert client.delete("/api/session").status_code == 204
    assert other.get(CLUSTERS).status_code == 401


def test_the_idle_clock_is_written_at_most_once_a_touch_interval(
    auditor, settings, django_assert_num_queries
):
    settings.VKS_SESSION_TOUCH_SECONDS = 60
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        client, token = session_of(auditor)
        opened = Session.objects.get(session_key=token).expire_date
        clock.shift(timedelta(seconds=59))
        # the session's row, its user with its role, the Supervisors: no write
        with django_assert_num_queries(3):
            assert client.get(CLUSTERS).status_code == 200
        assert Session.objects.get(session_key=token).expire_date == opened
        assert client.get("/api/session").json()["last_accessed_time"] == stamp(start)
        clock.shift(timedelta(seconds=2))
        assert client.get(CLUSTERS).status_code == 200
        moved = Session.objects.get(session_key=token).expire_date
        assert moved == opened + timedelta(seconds=61)
        later = start + timedelta(seconds=61)
        assert client.get("/api/session").json()["last_accessed_time"] == stamp(later)


def stamp(when) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_a_tokens_later_calls_read_session_and_user_in_one_statement(
    auditor, django_assert_num_queries
):
    client, token = session_of(auditor)
    # the session's row, then its user with its role; the Supervisors
    with django_assert_num_queries(3):
        assert client.get(CLUSTERS).status_code == 200
    # the session and its user with its role, one statement; the Supervisors
    with django_assert_num_queries(2):
        assert client.get(CLUSTERS).status_code == 200
    Session.objects.filter(session_key=token).delete()
    assert client.get(CLUSTERS).status_code == 401


def test_a_token_of_a_session_ended_and_reused_for_another_user_is_that_users(auditor, admin):
    """A process remembers each token's user as a hint only: the session's own row decides."""
    client, token = session_of(auditor)
    assert client.get(CLUSTERS).status_code == 200
    session = Session.objects.get(session_key=token)
    _, admin_token = session_of(admin)
    # the auditor's token now carries the administrator's session (no way in but the database)
    Session.objects.filter(session_key=token).update(
        session_data=Session.objects.get(session_key=admin_token).session_data
    )
    assert session_touch(token).user.username == admin.username
    session.save()
    assert session_touch(token).user.username == auditor.username
