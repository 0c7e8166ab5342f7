"""Every inventory and Single Sign-On form applies a whole valid change or nothing: a post that
lacks an input of its form, or carries an invalid value, is refused at the field and leaves the
object as it was (tests/atomic_forms.py). The cluster's Configure tab has two cards, DRS and HA,
each a form of its own: a post carries whole cards."""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from inventory.models import Cluster, Task
from tests.atomic_forms import HTMX, Case, assert_atomic

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Secr3t!pass"


# ---------------------------------------------------------------- the cluster's DRS and HA


def cluster_state(cluster: Cluster) -> tuple:
    cluster = Cluster.objects.get(pk=cluster.pk)
    return (
        cluster.drs_enabled,
        cluster.drs_automation_level,
        cluster.ha_enabled,
        Task.objects.count(),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, 'did not send "drs_enabled"'),
        ({"drs_enabled": "off"}, 'did not send "drs_automation_level"'),
        ({"drs_automation_level": "fullyAutomated"}, 'did not send "drs_enabled"'),
        ({"drs_enabled": "yes", "drs_automation_level": "manual"}, '"drs_enabled" must be on'),
        ({"ha_enabled": "maybe"}, '"ha_enabled" must be on or off'),
        ({"drs_enabled": "off", "drs_automation_level": "yolo"}, "Choose a DRS automation"),
        # A whole, valid DRS card does not go through beside a bad HA card.
        (
            {"drs_enabled": "off", "drs_automation_level": "manual", "ha_enabled": "x"},
            '"ha_enabled" must be on or off',
        ),
    ],
)
def test_reconfigure_refuses_partial_or_bad_cards_and_changes_nothing(admin_client, data, message):
    cluster = Cluster.objects.get(name="Management-Cluster")
    before = cluster_state(cluster)
    url = reverse("inventory:action", args=[cluster.moid, "reconfigure"])
    for headers in ({}, HTMX):
        response = admin_client.post(url, data, **headers)
        assert response.status_code == 400
        assert message in unescape(response.content.decode())
        assert cluster_state(cluster) == before


def test_each_card_alone_is_a_whole_post(admin_client, django_capture_on_commit_callbacks):
    cluster = Cluster.objects.get(name="Management-Cluster")
    url = reverse("inventory:action", args=[cluster.moid, "reconfigure"])
    drs = {"drs_enabled": ["off", "on"], "drs_automation_level": "fullyAutomated"}
    for card in (drs, {"ha_enabled": "off"}):
        with django_capture_on_commit_callbacks(execute=True):  # the task runs to the end
            assert admin_client.post(url, card).status_code == 302
    assert cluster_state(cluster)[:3] == (True, "fullyAutomated", False)


# ---------------------------------------------------------------- Users and Groups


def person(w: dict) -> tuple:
    user = User.objects.get(pk=w["alice"].pk)
    return (user.first_name, user.last_name, user.email, user.password, user.is_active)


def directory(w: dict) -> tuple:
    return (
        sorted(User.objects.values_list("username", "first_name", "last_name", "email")),
        sorted(Group.objects.values_list("name", "user__username")),
    )


def sso(name: str, *args: str):
    return lambda w: reverse(f"inventory:sso-{name}", args=[a.format_map(w) for a in args])


SSO_CASES = {
    "user-edit": Case(
        sso("user-edit", "alice"),
        lambda w: {"first_name": "Alicia", "last_name": "Wong", "email": "alicia@example.com"},
        person,
        invalid=(("email", "not-an-email", "email"), ("first_name", "x" * 300, "first_name")),
    ),
    "user-password": Case(
        sso("user-password", "alice"),
        lambda w: {"password": PASSWORD, "confirm_password": PASSWORD},
        person,
        invalid=(("confirm_password", "Other1!pass", "confirm_password"),),
    ),
    "user-add": Case(
        sso("user-add"),
        lambda w: {
            "username": "erin",
            "password": PASSWORD,
            "confirm_password": PASSWORD,
            "first_name": "Erin",
            "last_name": "Lopez",
            "email": "erin@example.com",
        },
        directory,
        invalid=(("username", "bad name!", "username"), ("email", "nope", "email")),
    ),
    "group-add": Case(
        sso("group-add"),
        lambda w: {"name": "Ops", "usernames": "alice"},
        directory,
        invalid=(("name", "", "name"), ("usernames", "nobody", "usernames")),
    ),
    "group-members-add": Case(
        sso("group-members-add", "{group}"),
        lambda w: {"usernames": "alice"},
        directory,
        invalid=(("usernames", "nobody", "usernames"),),
    ),
}


@pytest.mark.parametrize("kind", SSO_CASES)
def test_sso_dialogs_change_all_or_nothing(admin_client, kind):
    alice = User.objects.get(username="alice@vsphere.local")
    group = Group.objects.exclude(user=alice).order_by("name").first()
    assert_atomic(admin_client, SSO_CASES[kind], {"alice": alice, "group": group.name})
