"""vksportal.statements: a read compiled once, run with other values, answers what the ORM
answers (converters included), and refuses placeholders that do not reach the SQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from vksportal.statements import Statement
from workloads.models import Supervisor

pytestmark = pytest.mark.django_db

USERS = Statement(
    lambda name, joined: (
        get_user_model()
        .objects.filter(username=name, date_joined__lt=joined)
        .values_list("username", "is_active", "date_joined")
    ),
    name="\x1fname\x1f",
    joined=datetime(1901, 1, 1, tzinfo=UTC),
)


def test_a_statement_answers_as_the_orm_for_each_set_of_values():
    for name in ("ann@vsphere.local", "ben@vsphere.local"):
        get_user_model().objects.create_user(name)
    later = timezone.now() + timedelta(seconds=1)
    for name in ("ann@vsphere.local", "ben@vsphere.local", "nobody"):
        expected = list(
            get_user_model()
            .objects.filter(username=name, date_joined__lt=later)
            .values_list("username", "is_active", "date_joined")
        )
        assert USERS.rows(name=name, joined=later) == expected
    row = USERS.first(name="ann@vsphere.local", joined=later)
    assert row[1] is True and row[2].tzinfo is not None  # booleans and times converted
    assert USERS.first(name="ann@vsphere.local", joined=datetime(2000, 1, 1, tzinfo=UTC)) is None


def test_a_uuid_placeholder_matches_on_every_database():
    one = Statement(
        lambda sid: Supervisor.objects.filter(supervisor_id=sid).values_list("name"),
        sid=uuid.UUID("00000000-0000-4000-8000-00000000f00d"),
    )
    assert one.rows(sid=uuid.uuid4()) == []


@pytest.mark.parametrize(
    "placeholders",
    [
        {"name": "\x1fname\x1f", "joined": "\x1fjoined\x1f"},  # `joined` is not used
        {"name": "\x1fsame\x1f", "joined": "\x1fsame\x1f"},
    ],
)
def test_placeholders_that_do_not_reach_the_sql_are_refused(placeholders):
    statement = Statement(
        lambda name, joined: get_user_model().objects.filter(username=name).values_list("pk"),
        **placeholders,
    )
    with pytest.raises(ValueError):
        statement.rows(**placeholders)
