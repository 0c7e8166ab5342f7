"""Administration › Single Sign On › Users and Groups: the vsphere.local directory's pages.

One page with the Users and Groups tabs, a group's members page, and the dialogs (add, edit,
reset password, enable, disable, unlock, delete, add members, remove member). A dialog opens as a
modal over the page (inventory.dialogs) and is a page of its own without JavaScript, so every
action also works as a plain link and form post: GET shows the dialog, POST calls one service,
then the plain request is redirected and the htmx one gets the updated page in place of the one
under the dialog. Field errors come back at their fields (400); nothing is changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import push_url, reswap, retarget

from inventory import dialogs, sso
from inventory.forms import missing_errors
from inventory.permissions import ADMINISTRATORS_GROUP, Privilege
from inventory.tasklog import SSO_DOMAIN
from inventory.views import partial, privilege_view

PAGE_TEMPLATE = "inventory/sso_users_groups.html"
GROUP_TEMPLATE = "inventory/sso_group.html"
DIALOG_TEMPLATE = "inventory/sso_dialog.html"
TABS = (("users", "Users"), ("groups", "Groups"))


sso_view = privilege_view(Privilege.SSO_MANAGE)  # may manage the SSO directory; others 403


def _list_url(tab: str) -> str:
    return reverse(f"inventory:sso-{tab}")


def _group_url(group) -> str:
    return reverse("inventory:sso-group", kwargs={"name": group.name})


# ---------------------------------------------------------------- pages


def _directory_context(request, tab: str, notice: str = "") -> dict:
    q = request.GET.get("q", "").strip() if request.method == "GET" else ""
    pick = sso.sso_user_page if tab == "users" else sso.sso_group_page
    return {
        "tabs": [(slug, label, _list_url(slug)) for slug, label in TABS],
        "tab": tab,
        "domain": SSO_DOMAIN,
        "page": pick(q=q, page=request.GET.get("page") if request.method == "GET" else None),
        "q": q,
        "query_prefix": urlencode({"q": q}) + "&",
        "protected_user": sso.SSO_ADMINISTRATOR,
        "protected_group": ADMINISTRATORS_GROUP,
        "notice": notice,
    }


def _directory(request, tab: str):
    context = _directory_context(request, tab)
    return render(request, partial(request, PAGE_TEMPLATE, ("main", "tab-body", "grid")), context)


@require_GET
@sso_view
def users(request):
    return _directory(request, "users")


@require_GET
@sso_view
def groups(request):
    return _directory(request, "groups")


def _group_context(request, group, notice: str = "") -> dict:
    page = request.GET.get("page") if request.method == "GET" else None
    return {
        "group": group,
        "domain": SSO_DOMAIN,
        "page": sso.sso_group_member_page(group=group, page=page),
        "query_prefix": "",
        "back": _list_url("groups"),
        "protected_user": sso.SSO_ADMINISTRATOR,
        "protected_group": ADMINISTRATORS_GROUP,
        "notice": notice,
    }


@require_GET
@sso_view
def group_detail(request, name: str):
    group = sso.sso_group_get(name=name)
    regions = ("main", "grid")
    return render(
        request, partial(request, GROUP_TEMPLATE, regions), _group_context(request, group)
    )


# ---------------------------------------------------------------- dialogs

# (name, label, kind, required); kind "password" is never echoed back.
USERNAME = ("username", "Username", "text", True)
PASSWORD = ("password", "Password", "password", True)
CONFIRM = ("confirm_password", "Confirm Password", "password", True)
FIRST_NAME = ("first_name", "First Name", "text", False)
LAST_NAME = ("last_name", "Last Name", "text", False)
EMAIL = ("email", "Email", "text", False)
GROUP_NAME = ("name", "Group Name", "text", True)
MEMBERS = ("usernames", "Add Members", "text", False)
MEMBERS_HELP = f"Usernames in {SSO_DOMAIN}, separated by commas, e.g. alice, bob"
USERNAME_HELP = (
    f"Letters, digits, '.', '-' and '_', up to {sso.NAME_MAX_LENGTH} characters; the user is "
    f"created in {SSO_DOMAIN}."
)
PASSWORD_HELP = (
    f"{sso.PASSWORD_MIN_LENGTH} to {sso.PASSWORD_MAX_LENGTH} characters, with at least 1 "
    "uppercase, 1 lowercase, 2 alphabetic, 1 numeric and 1 special character; no more than "
    f"{sso.PASSWORD_MAX_IDENTICAL_ADJACENT} identical adjacent characters."
)


def _fields(specs, values: dict, errors: dict, helps: dict | None = None) -> list[dict]:
    helps = helps or {}
    return [
        {
            "name": name,
            "label": label,
            "kind": kind,
            "required": required,
            "value": "" if kind == "password" else values.get(name, ""),
            "errors": errors.get(name, []),
            "help": helps.get(name, ""),
        }
        for name, label, kind, required in specs
    ]


@dataclass(frozen=True)
class Dialog:
    """What inventory/_dialog.html needs of a dialog."""

    title: str
    submit: str
    danger: bool = False
    fields: str = "inventory/_sso_fields.html"


def _dialog(
    request,
    *,
    title: str,
    action: str,
    back: str,
    submit: str,
    fields: list[dict] | None = None,
    text: str = "",
    danger: bool = False,
    errors: dict | None = None,
    status: int = 200,
):
    """The one modal dialog (inventory.dialogs): for htmx the dialog alone, opened over the
    page, or its form alone after a rejected submit; without JavaScript a page of its own."""
    errors = errors or {}
    context = {
        "kind": "sso",
        "dialog": Dialog(title, submit, danger),
        "action": action,
        "back": back,
        "fields": fields or [],
        "text": text,
        "describedby": "confirm-question" if text else "",
        # A confirmation of what cannot be undone starts on Cancel; a form on its first field.
        "focus": "cancel" if danger else ("submit" if not fields else ""),
        "dialog_alerts": dialogs.summary(errors.get(NON_FIELD_ERRORS, []), errors),
        "domain": SSO_DOMAIN,
    }
    return render(
        request, dialogs.dialog_template(request, DIALOG_TEMPLATE), context, status=status
    )


def _done(request, message: str, back: str, page):
    """After a change: the plain request goes back with a message; htmx gets the page it goes
    back to (with the message on it) in place of the page under the dialog, which closes, and
    the address bar follows."""
    if request.htmx:
        return push_url(reswap(retarget(page(message), "#main"), "outerHTML"), back)
    messages.success(request, message)
    return redirect(back)


def _back_to_list(request, tab: str, message: str):
    def page(notice: str):
        context = _directory_context(request, tab, notice)
        return render(request, f"{PAGE_TEMPLATE}#main", context)

    return _done(request, message, _list_url(tab), page)


def _back_to_group(request, group, message: str):
    def page(notice: str):
        return render(request, f"{GROUP_TEMPLATE}#main", _group_context(request, group, notice))

    return _done(request, message, _group_url(group), page)


def _posted(names: tuple[str, ...], data) -> dict[str, str]:
    return {name: data.get(name, "") for name in names}


def _missing(names, data) -> dict[str, list[str]]:
    """The inputs of the dialog the post lacks, as field errors (inventory.forms): an Edit
    without its Email field must not clear the email."""
    return {name: [message] for name, message in missing_errors(data, names).items()}


def _usernames(raw: str) -> list[str]:
    return [name for name in re.split(r"[\s,;]+", raw) if name]


def _confirm_errors(values: dict[str, str]) -> dict[str, list[str]]:
    """The confirmation must repeat the password (checked before the service sees either)."""
    if values["password"] != values["confirm_password"]:
        return {"confirm_password": ["The passwords do not match."]}
    return {}


@sso_view
def user_add(request):
    """ADD USER: username, password twice, first and last name, email."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    specs = (USERNAME, PASSWORD, CONFIRM, FIRST_NAME, LAST_NAME, EMAIL)
    values = _posted(tuple(s[0] for s in specs), request.POST)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = _missing(values, request.POST) or _confirm_errors(values)
        if not errors:
            try:
                created = sso.sso_user_create(
                    username=values["username"],
                    password=values["password"],
                    first_name=values["first_name"],
                    last_name=values["last_name"],
                    email=values["email"],
                    user=request.user,
                )
            except ValidationError as error:
                errors = error.message_dict
            else:
                return _back_to_list(request, "users", f"User {created.username} created.")
    return _dialog(
        request,
        title=f"Add User ({SSO_DOMAIN})",
        action=reverse("inventory:sso-user-add"),
        back=_list_url("users"),
        submit="Add",
        fields=_fields(
            specs, values, errors, {"username": USERNAME_HELP, "password": PASSWORD_HELP}
        ),
        errors=errors,
        status=400 if errors else 200,
    )


@sso_view
def user_edit(request, name: str):
    """EDIT: first and last name and email (the username cannot change, as in vCenter)."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    target = sso.sso_user_get(name=name)
    specs = (FIRST_NAME, LAST_NAME, EMAIL)
    values = {s[0]: getattr(target, s[0]) for s in specs}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = _missing(values, request.POST)
        values = {name: request.POST.get(name, stored) for name, stored in values.items()}
        if not errors:
            try:
                sso.sso_user_update(target=target, **values, user=request.user)
            except ValidationError as error:
                errors = error.message_dict
            else:
                return _back_to_list(request, "users", f"User {target.username} updated.")
    return _dialog(
        request,
        title=f"Edit User {target.username}",
        action=reverse("inventory:sso-user-edit", kwargs={"name": sso.short_name(target)}),
        back=_list_url("users"),
        submit="Save",
        fields=_fields(specs, values, errors),
        errors=errors,
        status=400 if errors else 200,
    )


@sso_view
def user_password(request, name: str):
    """RESET PASSWORD: a new password, twice; an administrator is not asked for the old one."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    target = sso.sso_user_get(name=name)
    specs = (PASSWORD, CONFIRM)
    values = _posted(("password", "confirm_password"), request.POST)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = _missing(values, request.POST) or _confirm_errors(values)
        if not errors:
            try:
                sso.sso_user_password_reset(
                    target=target, password=values["password"], user=request.user
                )
            except ValidationError as error:
                errors = error.message_dict
            else:
                if target.pk == request.user.pk:  # else Django ends the session that did it
                    update_session_auth_hash(request, target)
                message = f"Password of user {target.username} reset."
                return _back_to_list(request, "users", message)
    return _dialog(
        request,
        title=f"Reset Password of {target.username}",
        action=reverse("inventory:sso-user-password", kwargs={"name": sso.short_name(target)}),
        back=_list_url("users"),
        submit="Save",
        fields=_fields(specs, values, errors, {"password": PASSWORD_HELP}),
        errors=errors,
        status=400 if errors else 200,
    )


# Confirm-and-act user dialogs: (title, question, button, danger, service, done message)
USER_ACTIONS = {
    "disable": (
        "Disable User",
        "Disable the user {}? The user can no longer log in until enabled again.",
        "Disable",
        True,
        sso.sso_user_disable,
        "User {} disabled.",
    ),
    "enable": (
        "Enable User",
        "Enable the user {}? The user can log in again.",
        "Enable",
        False,
        sso.sso_user_enable,
        "User {} enabled.",
    ),
    "unlock": (
        "Unlock User",
        "Unlock the user {}? The account was locked after repeated failed logins; the user "
        "can log in again at once.",
        "Unlock",
        False,
        sso.sso_user_unlock,
        "User {} unlocked.",
    ),
    "delete": (
        "Delete User",
        "Delete the user {}? Its group memberships and permissions are removed too. "
        "This cannot be undone.",
        "Delete",
        True,
        sso.sso_user_delete,
        "User {} deleted.",
    ),
}


def _user_action(request, name: str, action: str):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    target = sso.sso_user_get(name=name)
    title, question, button, danger, service, done = USER_ACTIONS[action]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            service(target=target, user=request.user)
        except ValidationError as error:
            errors = error.message_dict
        else:
            return _back_to_list(request, "users", done.format(target.username))
    return _dialog(
        request,
        title=title,
        action=reverse(f"inventory:sso-user-{action}", kwargs={"name": sso.short_name(target)}),
        back=_list_url("users"),
        submit=button,
        text=question.format(target.username),
        danger=danger,
        errors=errors,
        status=400 if errors else 200,
    )


@sso_view
def user_disable(request, name: str):
    return _user_action(request, name, "disable")


@sso_view
def user_enable(request, name: str):
    return _user_action(request, name, "enable")


@sso_view
def user_unlock(request, name: str):
    return _user_action(request, name, "unlock")


@sso_view
def user_delete(request, name: str):
    return _user_action(request, name, "delete")


@sso_view
def group_add(request):
    """ADD GROUP: a name and, optionally, its first members."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    specs = (GROUP_NAME, MEMBERS)
    values = _posted(("name", "usernames"), request.POST)
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and not (errors := _missing(values, request.POST)):
        try:
            group = sso.sso_group_create(
                name=values["name"], usernames=_usernames(values["usernames"]), user=request.user
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            message = f"Group {group.name}@{SSO_DOMAIN} created."
            return _back_to_list(request, "groups", message)
    return _dialog(
        request,
        title=f"Add Group ({SSO_DOMAIN})",
        action=reverse("inventory:sso-group-add"),
        back=_list_url("groups"),
        submit="Add",
        fields=_fields(specs, values, errors, {"usernames": MEMBERS_HELP}),
        errors=errors,
        status=400 if errors else 200,
    )


@sso_view
def group_delete(request, name: str):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    group = sso.sso_group_get(name=name)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            sso.sso_group_delete(group=group, user=request.user)
        except ValidationError as error:
            errors = error.message_dict
        else:
            return _back_to_list(request, "groups", f"Group {name}@{SSO_DOMAIN} deleted.")
    return _dialog(
        request,
        title="Delete Group",
        action=reverse("inventory:sso-group-delete", kwargs={"name": group.name}),
        back=_list_url("groups"),
        submit="Delete",
        text=f"Delete the group {group.name}@{SSO_DOMAIN}? Its members stay; the permissions "
        "granted to the group are removed. This cannot be undone.",
        danger=True,
        errors=errors,
        status=400 if errors else 200,
    )


@sso_view
def group_members_add(request, name: str):
    """ADD MEMBERS: users of the domain, by username."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    group = sso.sso_group_get(name=name)
    values = _posted(("usernames",), request.POST)
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and not (errors := _missing(values, request.POST)):
        try:
            added = sso.sso_group_members_add(
                group=group, usernames=_usernames(values["usernames"]), user=request.user
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            count = len(added)
            message = (
                f"{count} member{'s' * (count != 1)} added to group {group.name}@{SSO_DOMAIN}."
            )
            return _back_to_group(request, group, message)
    return _dialog(
        request,
        title=f"Add Members to {group.name}@{SSO_DOMAIN}",
        action=reverse("inventory:sso-group-members-add", kwargs={"name": group.name}),
        back=_group_url(group),
        submit="Add",
        fields=_fields((MEMBERS,), values, errors, {"usernames": MEMBERS_HELP}),
        errors=errors,
        status=400 if errors else 200,
    )


@sso_view
def group_member_remove(request, name: str, member: str):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    group = sso.sso_group_get(name=name)
    target = sso.sso_user_get(name=member)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            sso.sso_group_member_remove(group=group, member=target, user=request.user)
        except ValidationError as error:
            errors = error.message_dict
        else:
            message = f"User {target.username} removed from group {group.name}@{SSO_DOMAIN}."
            return _back_to_group(request, group, message)
    return _dialog(
        request,
        title="Remove Member",
        action=reverse(
            "inventory:sso-group-member-remove",
            kwargs={"name": group.name, "member": sso.short_name(target)},
        ),
        back=_group_url(group),
        submit="Remove",
        text=f"Remove the user {target.username} from the group {group.name}@{SSO_DOMAIN}?",
        danger=True,
        errors=errors,
        status=400 if errors else 200,
    )
