"""The vCenter Single Sign-On directory (Administration › Single Sign On › Users and Groups): its
services and their rules, the pages and dialogs, the demo estate's users and groups."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from inventory import sso
from inventory.estates import demo
from inventory.models import Event, Permission
from inventory.permissions import forget, principals_of, role_of

pytestmark = pytest.mark.django_db
User = get_user_model()
HTMX = {"HTTP_HX_REQUEST": "true"}
GOOD_PASSWORD = "Secr3t!pass"


@pytest.fixture
def platform_admin(db):
    """An administrator through the PlatformAdmins group (not the SSO administrator)."""
    return User.objects.get(username="platform-admin@vsphere.local")


@pytest.fixture
def alice(db):
    return User.objects.get(username="alice@vsphere.local")


def fresh(user):
    """The user as the next request sees it: reloaded, no memoised role."""
    return User.objects.get(pk=user.pk)


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        call()
    return raised.value.message_dict


def create(admin, **fields):
    values = {
        "username": "erin",
        "password": GOOD_PASSWORD,
        "first_name": "Erin",
        "last_name": "Lopez",
        "email": "erin@corp.vmbeans.com",
        "user": admin,
    }
    return sso.sso_user_create(**(values | fields))


def sso_events():
    return Event.objects.filter(event_type=sso.EVENT_TYPE)


# ---------------------------------------------------------------- users


def test_create_user_stores_lowercase_name_in_the_domain(admin):
    user = create(admin, username="Erin")
    assert user.username == "erin@vsphere.local"
    assert (user.first_name, user.last_name, user.email) == (
        "Erin",
        "Lopez",
        "erin@corp.vmbeans.com",
    )
    assert user.is_active and not user.groups.exists()
    assert authenticate(username="ERIN@vsphere.local", password=GOOD_PASSWORD) == user
    event = sso_events().get()
    assert event.message == "User erin@vsphere.local created"
    assert (event.user_name, event.target_moid) == ("VSPHERE.LOCAL\\administrator", "group-d1")


def test_create_user_accepts_the_domain_suffix(admin):
    assert create(admin, username="erin@VSPHERE.local").username == "erin@vsphere.local"


def test_first_name_last_name_and_email_are_optional(admin):
    user = create(admin, first_name="", last_name="", email="")
    assert (user.first_name, user.last_name, user.email) == ("", "", "")


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Enter a username."),
        ("x" * 65, "Username must be at most 64 characters long."),
        ("erin lopez", "Username may contain only letters, digits, '.', '-' and '_'."),
        ("erin@corp.local", "Username may contain only letters, digits, '.', '-' and '_'."),
        ("érin", "Username may contain only letters, digits, '.', '-' and '_'."),
    ],
)
def test_username_rules(admin, username, message):
    assert errors_of(lambda: create(admin, username=username))["username"] == [message]


def test_username_of_64_allowed_characters_is_accepted(admin):
    name = "a.b-c_D9" * 8
    assert create(admin, username=name).username == f"{name.lower()}@vsphere.local"


def test_duplicate_username_is_refused_whatever_its_case(admin):
    errors = errors_of(lambda: create(admin, username="ALICE"))
    assert errors == {"username": ["A user with username alice@vsphere.local already exists."]}


def test_a_user_cannot_take_a_group_name(admin):
    errors = errors_of(lambda: create(admin, username="platformadmins"))
    assert errors == {"username": ["A group named PlatformAdmins already exists in vsphere.local."]}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Enter a password."),
        ("Ab1!xyz", "Password must be at least 8 characters long."),
        ("Ab1!" + "xyzw" * 4 + "x", "Password must be at most 20 characters long."),
        ("Abcdefg1", "Password must contain at least 1 special character."),
        ("abcdef1!", "Password must contain at least 1 uppercase character."),
        ("ABCDEF1!", "Password must contain at least 1 lowercase character."),
        ("Abcdefg!", "Password must contain at least 1 numeric character."),
        ("Abbbb1!x", "Password must not contain more than 3 identical adjacent characters."),
    ],
)
def test_each_password_rule_is_named_alone(admin, password, message):
    assert sso.password_policy_errors(password) == [message]
    assert errors_of(lambda: create(admin, password=password)) == {"password": [message]}


def test_two_alphabetic_characters_are_required(admin):
    # One letter cannot be both upper- and lowercase, so this rule never fails alone.
    errors = sso.password_policy_errors("A1!23456")
    assert "Password must contain at least 2 alphabetic characters." in errors


def test_every_broken_password_rule_is_reported(admin):
    assert sso.password_policy_errors("aaaa") == [
        "Password must be at least 8 characters long.",
        "Password must contain at least 1 special character.",
        "Password must contain at least 1 uppercase character.",
        "Password must contain at least 1 numeric character.",
        "Password must not contain more than 3 identical adjacent characters.",
    ]


@pytest.mark.parametrize("password", ["VMware1!", "Abbb1!xy", "Ab1!" + "xyzw" * 4, "Pa ss w0rd"])
def test_passwords_within_the_policy_pass(password):
    assert sso.password_policy_errors(password) == []


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"email": "not-an-address"}, {"email": ["Enter a valid email address."]}),
        (
            {"first_name": "x" * 151},
            {"first_name": ["First name must be at most 150 characters long."]},
        ),
        (
            {"last_name": "x" * 151},
            {"last_name": ["Last name must be at most 150 characters long."]},
        ),
    ],
)
def test_person_fields_are_validated(admin, fields, errors):
    assert errors_of(lambda: create(admin, **fields)) == errors


def test_every_invalid_field_is_reported_at_once_and_nothing_is_created(admin):
    users, events = User.objects.count(), Event.objects.count()
    errors = errors_of(lambda: create(admin, username="alice", password="x", email="nope"))
    assert set(errors) == {"username", "password", "email"}
    assert (User.objects.count(), Event.objects.count()) == (users, events)


@pytest.mark.parametrize("who", ["auditor", "outsider", "alice"])
def test_only_administrators_manage_the_directory(request, who, alice):
    actor = request.getfixturevalue(who)
    group = Group.objects.get(name="DevTeam-Payments")
    calls = [
        lambda: create(actor),
        lambda: sso.sso_user_update(
            target=alice, first_name="A", last_name="B", email="", user=actor
        ),
        lambda: sso.sso_user_disable(target=alice, user=actor),
        lambda: sso.sso_user_enable(target=alice, user=actor),
        lambda: sso.sso_user_delete(target=alice, user=actor),
        lambda: sso.sso_user_password_reset(target=alice, password=GOOD_PASSWORD, user=actor),
        lambda: sso.sso_group_create(name="Ops", user=actor),
        lambda: sso.sso_group_delete(group=group, user=actor),
        lambda: sso.sso_group_members_add(group=group, usernames=["carol"], user=actor),
        lambda: sso.sso_group_member_remove(group=group, member=alice, user=actor),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    alice = fresh(alice)
    assert alice.is_active and alice.first_name == "Alice"
    assert not Group.objects.filter(name="Ops").exists()
    assert set(group.user_set.values_list("username", flat=True)) == {
        "alice@vsphere.local",
        "bob@vsphere.local",
        "dave@vsphere.local",
    }
    assert not sso_events().exists()


def test_update_user_changes_names_and_email(admin, alice):
    sso.sso_user_update(
        target=alice,
        first_name=" Alicia ",
        last_name="Chen",
        email="ac@corp.vmbeans.com",
        user=admin,
    )
    alice = fresh(alice)
    assert (alice.first_name, alice.email) == ("Alicia", "ac@corp.vmbeans.com")
    assert sso_events().get().message == "User alice@vsphere.local updated"


def test_update_without_a_change_logs_nothing(admin, alice):
    sso.sso_user_update(
        target=alice, first_name="Alice", last_name="Chen", email=alice.email, user=admin
    )
    assert not sso_events().exists()


def test_disabled_user_cannot_log_in_until_enabled(admin, platform_admin):
    sso.sso_user_disable(target=platform_admin, user=admin)
    assert not fresh(platform_admin).is_active
    assert authenticate(username=platform_admin.username, password="VMware1!") is None
    assert role_of(fresh(platform_admin)) is None
    sso.sso_user_disable(target=platform_admin, user=admin)  # already disabled: no second event
    sso.sso_user_enable(target=platform_admin, user=admin)
    assert authenticate(username=platform_admin.username, password="VMware1!") is not None
    assert list(sso_events().order_by("id").values_list("message", flat=True)) == [
        "User platform-admin@vsphere.local disabled",
        "User platform-admin@vsphere.local enabled",
    ]


def test_administrator_cannot_be_disabled_or_deleted(admin, platform_admin):
    for service, verb in ((sso.sso_user_disable, "disabled"), (sso.sso_user_delete, "deleted")):
        errors = errors_of(lambda s=service: s(target=admin, user=platform_admin))
        assert errors == {
            NON_FIELD_ERRORS: [f"The user administrator@vsphere.local cannot be {verb}."]
        }
    assert fresh(admin).is_active


def test_an_administrator_cannot_disable_or_delete_themselves(platform_admin):
    for service, verb in ((sso.sso_user_disable, "disable"), (sso.sso_user_delete, "delete")):
        errors = errors_of(lambda s=service: s(target=platform_admin, user=platform_admin))
        assert errors == {NON_FIELD_ERRORS: [f"You cannot {verb} your own account."]}
    assert fresh(platform_admin).is_active


def test_deleting_a_user_removes_its_memberships_and_permissions(admin, alice):
    Permission.objects.create(
        entity_moid="group-d1", principal="VSPHERE.LOCAL\\alice", role=Permission.Role.READ_ONLY
    )
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    sso.principal_deleted.connect(listener)
    try:
        sso.sso_user_delete(target=alice, user=admin)
    finally:
        sso.principal_deleted.disconnect(listener)
    assert not User.objects.filter(username="alice@vsphere.local").exists()
    assert not Permission.objects.filter(principal="VSPHERE.LOCAL\\alice").exists()
    assert Group.objects.get(name="DevTeam-Payments").user_set.count() == 2
    assert received == [
        {
            "signal": sso.principal_deleted,
            "kind": "user",
            "name": "alice",
            "domain": "vsphere.local",
        }
    ]
    assert sso_events().get().message == "User alice@vsphere.local deleted"


def test_password_reset_needs_no_old_password_but_follows_the_policy(admin, alice):
    errors = errors_of(
        lambda: sso.sso_user_password_reset(target=alice, password="short", user=admin)
    )
    assert "Password must be at least 8 characters long." in errors["password"]
    assert authenticate(username=alice.username, password=settings.VKS_DEMO_PASSWORD) is not None
    sso.sso_user_password_reset(target=alice, password=GOOD_PASSWORD, user=admin)
    assert authenticate(username=alice.username, password=GOOD_PASSWORD) is not None
    assert authenticate(username=alice.username, password=settings.VKS_DEMO_PASSWORD) is None
    assert sso_events().get().message == "Password of user alice@vsphere.local reset"


# ---------------------------------------------------------------- groups


def test_create_group_with_members(admin):
    group = sso.sso_group_create(name="Ops", usernames=["Carol", "bob@vsphere.local"], user=admin)
    assert sorted(group.user_set.values_list("username", flat=True)) == [
        "bob@vsphere.local",
        "carol@vsphere.local",
    ]
    assert list(sso_events().order_by("id").values_list("message", flat=True)) == [
        "Group Ops@vsphere.local created",
        "User bob@vsphere.local added to group Ops@vsphere.local",
        "User carol@vsphere.local added to group Ops@vsphere.local",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a group name."),
        ("devteam-payments", "A group named DevTeam-Payments already exists in vsphere.local."),
        ("Alice", "A user with username alice@vsphere.local already exists."),
        ("Dev Team", "Group name may contain only letters, digits, '.', '-' and '_'."),
        ("g" * 65, "Group name must be at most 64 characters long."),
    ],
)
def test_group_name_rules(admin, name, message):
    groups = Group.objects.count()
    assert errors_of(lambda: sso.sso_group_create(name=name, user=admin)) == {"name": [message]}
    assert Group.objects.count() == groups


def test_group_with_an_unknown_member_is_not_created(admin):
    errors = errors_of(
        lambda: sso.sso_group_create(name="Ops", usernames=["alice", "zoe", "yan"], user=admin)
    )
    assert errors == {
        "usernames": ["No such user in vsphere.local: yan@vsphere.local, zoe@vsphere.local."]
    }
    assert not Group.objects.filter(name="Ops").exists()


def test_administrators_group_cannot_be_deleted(admin):
    group = Group.objects.get(name="Administrators")
    errors = errors_of(lambda: sso.sso_group_delete(group=group, user=admin))
    assert errors == {NON_FIELD_ERRORS: ["The group Administrators cannot be deleted."]}


def test_deleting_a_group_removes_its_permissions_but_not_its_members(admin, platform_admin):
    group = Group.objects.get(name="PlatformAdmins")
    assert role_of(fresh(platform_admin)) == Permission.Role.ADMIN
    sso.sso_group_delete(group=group, user=admin)
    assert not Permission.objects.filter(principal="VSPHERE.LOCAL\\PlatformAdmins").exists()
    assert User.objects.filter(pk=platform_admin.pk).exists()
    assert role_of(fresh(platform_admin)) is None
    assert sso_events().get().message == "Group PlatformAdmins@vsphere.local deleted"


def test_membership_changes_the_users_principals_and_role(admin, alice):
    group = Group.objects.get(name="PlatformAdmins")
    assert role_of(alice) is None
    added = sso.sso_group_members_add(group=group, usernames=["alice"], user=admin)
    assert added == [alice]
    forget(alice)  # memoised for the request; the next request asks again
    assert "VSPHERE.LOCAL\\PlatformAdmins" in principals_of(alice)
    assert role_of(alice) == Permission.Role.ADMIN
    sso.sso_group_member_remove(group=group, member=alice, user=admin)
    forget(alice)
    assert role_of(alice) is None


def test_adding_existing_members_changes_nothing(admin):
    group = Group.objects.get(name="DevTeam-Payments")
    assert sso.sso_group_members_add(group=group, usernames=["alice", "BOB"], user=admin) == []
    assert not sso_events().exists()


def test_adding_no_member_or_an_unknown_one_is_refused(admin):
    group = Group.objects.get(name="DevTeam-Storefront")
    errors = errors_of(lambda: sso.sso_group_members_add(group=group, usernames=[" "], user=admin))
    assert errors == {"usernames": ["Enter at least one username."]}
    errors = errors_of(
        lambda: sso.sso_group_members_add(group=group, usernames=["alice", "zoe"], user=admin)
    )
    assert errors == {"usernames": ["No such user in vsphere.local: zoe@vsphere.local."]}
    assert group.user_set.count() == 2


def test_administrator_stays_in_administrators(admin, platform_admin):
    group = Group.objects.get(name="Administrators")
    errors = errors_of(
        lambda: sso.sso_group_member_remove(group=group, member=admin, user=platform_admin)
    )
    assert errors == {
        NON_FIELD_ERRORS: [
            "The user administrator@vsphere.local cannot be removed from the group Administrators."
        ]
    }
    assert group.user_set.filter(pk=admin.pk).exists()


# ---------------------------------------------------------------- pages and dialogs


def url(name, *args):
    return reverse(f"inventory:sso-{name}", args=args)


EVERY_URL = [
    ("users", ()),
    ("groups", ()),
    ("user-add", ()),
    ("user-edit", ("alice",)),
    ("user-password", ("alice",)),
    ("user-disable", ("alice",)),
    ("user-enable", ("alice",)),
    ("user-delete", ("alice",)),
    ("group-add", ()),
    ("group", ("DevTeam-Payments",)),
    ("group-members-add", ("DevTeam-Payments",)),
    ("group-member-remove", ("DevTeam-Payments", "alice")),
    ("group-delete", ("DevTeam-Payments",)),
]


@pytest.mark.parametrize(("name", "args"), EVERY_URL)
def test_administrator_sees_every_page_and_dialog(admin_client, name, args):
    response = admin_client.get(url(name, *args))
    assert response.status_code == 200
    assert b"<html" in response.content and b'id="main"' in response.content


def test_users_tab_lists_users_of_the_domain(admin_client):
    response = admin_client.get(url("users"))
    html = response.content.decode()
    assert "Users and Groups" in html and 'option value="vsphere.local" selected' in html
    for header in ("Username", "First Name", "Last Name", "Email", "Locked", "Disabled"):
        assert f"<th>{header}</th>" in html
    assert 'data-user="alice@vsphere.local"' in html and "alice@corp.vmbeans.com" in html
    # The SSO administrator and the user looking at the page have no Disable or Delete.
    assert url("user-disable", "alice") in html
    assert url("user-disable", "administrator") not in html
    assert url("user-delete", "administrator") not in html


def test_disabled_users_show_as_disabled_with_enable(admin_client, alice):
    alice.is_active = False
    alice.save()
    html = admin_client.get(url("users"), {"q": "alice"}).content.decode()
    row = html[html.index('data-user="alice@vsphere.local"') :].split("</tr>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells == ["Alice", "Chen", "alice@corp.vmbeans.com", "No", "Yes"]  # Locked, Disabled
    assert url("user-enable", "alice") in row and url("user-disable", "alice") not in row


def test_users_filter_and_pages(admin_client, settings):
    settings.VKS_PAGE_SIZE = 3
    response = admin_client.get(url("users"), {"q": "corp.vmbeans"})
    assert response.context["page"].paginator.count == 5  # the platform admin and developers
    assert "1 - 3 of 5 items" in response.content.decode()
    page_two = admin_client.get(url("users"), {"q": "corp.vmbeans", "page": 2})
    assert [u.username for u in page_two.context["page"]] == [
        "dave@vsphere.local",
        "platform-admin@vsphere.local",
    ]


def test_groups_tab_counts_members(admin_client):
    response = admin_client.get(url("groups"))
    counts = {g.name: g.member_count for g in response.context["page"]}
    assert counts == {
        "Administrators": 1,
        "DevTeam-Payments": 3,
        "DevTeam-Storefront": 2,
        "PlatformAdmins": 1,
    }
    assert url("group-delete", "Administrators") not in response.content.decode()


@pytest.mark.parametrize(
    ("path", "target", "root"),
    [
        (url("users"), "tab-body", '<section id="tab-body"'),
        (url("users"), "grid", '<div id="grid"'),
        (url("groups"), "main", '<main id="main"'),
        (url("group", "DevTeam-Payments"), "grid", '<div id="grid"'),
        (url("user-add"), "main", '<main id="main"'),
    ],
)
def test_htmx_gets_the_region_it_targets(admin_client, path, target, root):
    response = admin_client.get(path, HTTP_HX_TARGET=target, **HTMX)
    html = response.content.decode().strip()
    assert response.status_code == 200
    assert html.startswith(root) and "<html" not in html


@pytest.mark.parametrize("who", ["auditor", "outsider", "alice"])
@pytest.mark.parametrize(("name", "args"), EVERY_URL)
def test_non_administrators_get_403_and_change_nothing(request, client, who, name, args):
    client.force_login(request.getfixturevalue(who))
    users, groups = User.objects.count(), Group.objects.count()
    assert client.get(url(name, *args)).status_code == 403
    post = {
        "username": "mallory",
        "password": GOOD_PASSWORD,
        "confirm_password": GOOD_PASSWORD,
        "name": "Mallory",
        "usernames": "alice",
    }
    assert client.post(url(name, *args), post).status_code in (403, 405)
    assert (User.objects.count(), Group.objects.count()) == (users, groups)
    assert User.objects.get(username="alice@vsphere.local").is_active
    assert Group.objects.get(name="DevTeam-Payments").user_set.count() == 3


def test_anonymous_is_sent_to_login(client):
    response = client.get(url("users"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_administration_menu_is_enabled_for_administrators_only(client, admin, auditor):
    client.force_login(admin)
    home = reverse("inventory:object", kwargs={"moid": "group-d1", "tab": "summary"})
    assert f'<a href="{url("users")}">' in client.get(home).content.decode()
    client.force_login(auditor)
    html = client.get(home).content.decode()
    assert url("users") not in html and "Administration</span>" in html


def add_user_form(**fields):
    return {
        "username": "erin",
        "password": GOOD_PASSWORD,
        "confirm_password": GOOD_PASSWORD,
        "first_name": "Erin",
        "last_name": "Lopez",
        "email": "erin@corp.vmbeans.com",
    } | fields


def test_add_user_with_a_bad_password_shows_the_rule_at_the_field(admin_client):
    users = User.objects.count()
    response = admin_client.post(
        url("user-add"), add_user_form(password="abcdef1!", confirm_password="abcdef1!")
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('data-field="password"') :].split('data-field="confirm_password"')[0]
    assert "Password must contain at least 1 uppercase character." in field
    assert 'value="erin"' in html and "abcdef1!" not in html  # typed values kept, passwords not
    assert User.objects.count() == users


def test_add_user_needs_the_same_password_twice(admin_client):
    response = admin_client.post(url("user-add"), add_user_form(confirm_password="Other-Passw0rd"))
    assert response.status_code == 400
    assert response.context["fields"][2]["errors"] == ["The passwords do not match."]
    assert not User.objects.filter(username="erin@vsphere.local").exists()


def test_add_user_plain_post_redirects_to_the_list(admin_client):
    response = admin_client.post(url("user-add"), add_user_form())
    assert response.status_code == 302 and response["Location"] == url("users")
    assert User.objects.get(username="erin@vsphere.local").first_name == "Erin"
    page = admin_client.get(response["Location"]).content.decode()
    assert "User erin@vsphere.local created." in page


IN_DIALOG = {"HTTP_HX_TARGET": "dialog-form", **HTMX}


def test_add_user_from_the_dialog_replaces_the_list_with_a_notice(admin_client):
    response = admin_client.post(url("user-add"), add_user_form(), **IN_DIALOG)
    html = response.content.decode().strip()
    assert response.status_code == 200 and response["HX-Push-Url"] == url("users")
    assert response["HX-Retarget"] == "#main" and response["HX-Reswap"] == "outerHTML"
    assert html.startswith('<main id="main"') and "User erin@vsphere.local created." in html
    assert 'data-user="erin@vsphere.local"' in html


def test_htmx_form_errors_come_back_in_the_dialog(admin_client):
    response = admin_client.post(url("user-add"), add_user_form(username="alice"), **IN_DIALOG)
    html = response.content.decode().strip()
    assert response.status_code == 400 and html.startswith('<form id="dialog-form"')
    message = "A user with username alice@vsphere.local already exists."
    assert html.count(message) == 2, "beside the field and in the summary at the top"


def test_every_dialog_opens_as_a_modal_and_is_a_page_without_javascript(admin_client, alice):
    group = Group.objects.create(name="Ops")
    group.user_set.add(alice)
    dialogs = [
        url("user-add"),
        url("user-edit", "alice"),
        url("user-password", "alice"),
        url("user-disable", "alice"),
        url("user-delete", "alice"),
        url("group-add"),
        url("group-delete", "Ops"),
        url("group-members-add", "Ops"),
        reverse("inventory:sso-group-member-remove", args=["Ops", "alice"]),
    ]
    for path in dialogs:
        alone = admin_client.get(path, HTTP_HX_TARGET="modal", **HTMX).content.decode().strip()
        assert alone.startswith("<dialog") and alone.endswith("</dialog>"), path
        assert f'hx-post="{path}" hx-target="this"' in alone, path
        page = admin_client.get(path).content.decode()
        assert "<html" in page and re.search(r"<dialog [^>]*\bopen>", page), path
    # A removal starts on Cancel, and says what it asks.
    delete = admin_client.get(url("user-delete", "alice"), HTTP_HX_TARGET="modal", **HTMX)
    html = delete.content.decode()
    assert re.search(r"data-close-dialog autofocus>Cancel</a>", html)
    assert 'aria-describedby="confirm-question"' in html and "danger-dialog" in html


def test_edit_user_dialog_is_filled_in_and_saves(admin_client, alice):
    form = admin_client.get(url("user-edit", "alice")).content.decode()
    assert 'value="Alice"' in form and 'value="alice@corp.vmbeans.com"' in form
    response = admin_client.post(
        url("user-edit", "alice"), {"first_name": "Alicia", "last_name": "Chen", "email": "x"}
    )
    assert response.status_code == 400 and fresh(alice).first_name == "Alice"
    response = admin_client.post(
        url("user-edit", "alice"), {"first_name": "Alicia", "last_name": "Chen", "email": ""}
    )
    assert response.status_code == 302 and fresh(alice).first_name == "Alicia"


def test_reset_password_asks_only_for_the_new_one(admin_client, alice):
    form = admin_client.get(url("user-password", "alice"))
    assert [f["name"] for f in form.context["fields"]] == ["password", "confirm_password"]
    response = admin_client.post(
        url("user-password", "alice"), {"password": "N3w!pass", "confirm_password": "N3w!pass"}
    )
    assert response.status_code == 302
    assert authenticate(username="alice@vsphere.local", password="N3w!pass") is not None


def test_resetting_your_own_password_keeps_you_logged_in(client, platform_admin):
    client.force_login(platform_admin)
    form = {"password": "N3w!pass", "confirm_password": "N3w!pass"}
    assert client.post(url("user-password", "platform-admin"), form).status_code == 302
    assert client.get(url("users")).status_code == 200


def test_disable_and_enable_through_the_confirm_dialogs(admin_client, alice):
    assert (
        "Disable the user alice@vsphere.local?"
        in admin_client.get(url("user-disable", "alice")).content.decode()
    )
    assert admin_client.post(url("user-disable", "alice")).status_code == 302
    assert not fresh(alice).is_active
    assert admin_client.post(url("user-enable", "alice"), **HTMX).status_code == 200
    assert fresh(alice).is_active


def test_disabling_the_administrator_is_refused_in_the_dialog(client, platform_admin, admin):
    client.force_login(platform_admin)
    response = client.post(url("user-disable", "administrator"))
    assert response.status_code == 400
    assert "The user administrator@vsphere.local cannot be disabled." in response.content.decode()
    assert fresh(admin).is_active


def test_delete_user_after_confirmation(admin_client):
    response = admin_client.post(url("user-delete", "bob"), **HTMX)
    assert (
        response.status_code == 200
        and "User bob@vsphere.local deleted." in response.content.decode()
    )
    assert not User.objects.filter(username="bob@vsphere.local").exists()


def test_unknown_user_or_group_is_404(admin_client):
    assert admin_client.get(url("user-edit", "nobody")).status_code == 404
    assert admin_client.get(url("group", "Nobody")).status_code == 404


def test_add_group_with_members(admin_client):
    response = admin_client.post(url("group-add"), {"name": "Ops", "usernames": "carol, dave"})
    assert response.status_code == 302 and response["Location"] == url("groups")
    members = Group.objects.get(name="Ops").user_set.values_list("username", flat=True)
    assert sorted(members) == ["carol@vsphere.local", "dave@vsphere.local"]


def test_add_group_with_an_unknown_member_shows_it_at_the_field(admin_client):
    response = admin_client.post(url("group-add"), {"name": "Ops", "usernames": "carol zoe"})
    assert response.status_code == 400
    assert "No such user in vsphere.local: zoe@vsphere.local." in response.content.decode()
    assert not Group.objects.filter(name="Ops").exists()


def test_group_members_add_and_remove(admin_client, alice):
    group = Group.objects.get(name="DevTeam-Storefront")
    response = admin_client.post(
        url("group-members-add", group.name), {"usernames": "alice,bob"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Push-Url"] == url("group", group.name)
    assert "2 members added to group DevTeam-Storefront@vsphere.local." in html
    assert 'data-user="alice@vsphere.local"' in html
    response = admin_client.post(url("group-member-remove", group.name, "alice"))
    assert response.status_code == 302 and response["Location"] == url("group", group.name)
    assert not group.user_set.filter(pk=alice.pk).exists()


def test_delete_group_and_refuse_administrators(admin_client):
    response = admin_client.post(url("group-delete", "Administrators"))
    assert response.status_code == 400
    assert "The group Administrators cannot be deleted." in response.content.decode()
    assert admin_client.post(url("group-delete", "DevTeam-Storefront")).status_code == 302
    assert not Group.objects.filter(name="DevTeam-Storefront").exists()


def test_csrf_is_enforced(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(url("user-add"), add_user_form()).status_code == 403
    assert not User.objects.filter(username="erin@vsphere.local").exists()


def test_wrong_method_is_405(admin_client):
    assert admin_client.put(url("user-add")).status_code == 405
    assert admin_client.post(url("users")).status_code == 405


# ---------------------------------------------------------------- demo estate


def test_demo_has_the_platform_admin_and_developers():
    groups = {
        user.username: sorted(user.groups.values_list("name", flat=True))
        for user in User.objects.filter(email__endswith="@corp.vmbeans.com")
    }
    assert groups == {
        "platform-admin@vsphere.local": ["PlatformAdmins"],
        "alice@vsphere.local": ["DevTeam-Payments"],
        "bob@vsphere.local": ["DevTeam-Payments"],
        "carol@vsphere.local": ["DevTeam-Storefront"],
        "dave@vsphere.local": ["DevTeam-Payments", "DevTeam-Storefront"],
    }
    permission = Permission.objects.get(principal="VSPHERE.LOCAL\\PlatformAdmins")
    assert (permission.entity_moid, permission.role, permission.is_group) == (
        "group-d1",
        Permission.Role.ADMIN,
        True,
    )
    for username in groups:
        user = authenticate(username=username, password=settings.VKS_DEMO_PASSWORD)
        assert user is not None
        expected = Permission.Role.ADMIN if username.startswith("platform-admin") else None
        assert role_of(user) == expected  # developers hold no vCenter role


def test_demo_reload_keeps_what_an_administrator_changed(admin, alice):
    sso.sso_user_password_reset(target=alice, password=GOOD_PASSWORD, user=admin)
    payments = Group.objects.get(name="DevTeam-Payments")
    sso.sso_group_member_remove(group=payments, member=alice, user=admin)
    sso.sso_user_delete(target=User.objects.get(username="carol@vsphere.local"), user=admin)
    demo.load()
    assert authenticate(username=alice.username, password=GOOD_PASSWORD) is not None
    assert not payments.user_set.filter(pk=alice.pk).exists()
    carol = User.objects.get(username="carol@vsphere.local")  # a deleted demo user comes back
    assert list(carol.groups.values_list("name", flat=True)) == ["DevTeam-Storefront"]


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("extra", [5, 50])
def test_users_list_query_count_does_not_grow_with_users(
    admin_client, django_assert_num_queries, extra
):
    User.objects.bulk_create(
        User(username=f"user{n:03d}@vsphere.local", first_name="Load", email=f"u{n}@x.test")
        for n in range(extra)
    )
    # 1 the session, 2 its user, 3 its groups and 4 its roles on the root (role_of), 5 COUNT of
    # the filtered users, 6 the page of users (its Locked column a subquery). Groups are not
    # shown, so nothing is fetched per row.
    with django_assert_num_queries(6):
        response = admin_client.get(url("users"), {"q": "user"})
    assert response.context["page"].paginator.count == extra


@pytest.mark.parametrize("extra", [5, 50])
def test_groups_list_query_count_does_not_grow_with_groups(
    admin_client, django_assert_num_queries, extra
):
    Group.objects.bulk_create(Group(name=f"Load-{n:03d}") for n in range(extra))
    # 1 the session, 2 its user, 3 its groups, 4 its roles, 5 COUNT of the groups, 6 the page
    # of groups with their member counts (one grouped query).
    with django_assert_num_queries(6):
        response = admin_client.get(url("groups"), {"q": "load-"})
    assert response.context["page"].paginator.count == extra
