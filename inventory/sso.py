"""vCenter Single Sign-On, the `vsphere.local` directory: its users and groups, as Administration ›
Single Sign On › Users and Groups manages them.

A user is a Django user named `name@vsphere.local` (always lowercase); a group is a Django group
named without the domain (`Administrators`). A user's groups are what `principals_of` turns into
`VSPHERE.LOCAL\\name` principals, so membership changes what the user may do at once.

Users and groups share one namespace, as in vmdir: a user and a group never have the same name,
or a permission granted to the one would reach the other. Descriptions are not kept: neither
Django model has a field for one and this app adds no migration for it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.dispatch import Signal
from django.http import Http404

from inventory.lockout import locked_annotation, lockout_clear
from inventory.models import Permission, VCenter
from inventory.permissions import ADMINISTRATORS_GROUP, Privilege, require
from inventory.tasklog import SSO_DOMAIN, event_log

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, User

DOMAIN_SUFFIX = f"@{SSO_DOMAIN}"
SSO_ADMINISTRATOR = f"administrator{DOMAIN_SUFFIX}"
NAME_MAX_LENGTH = 64
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
PERSON_NAME_MAX_LENGTH = 150  # Django's first_name / last_name columns
EVENT_TYPE = "com.vmware.sso.PrincipalManagement"  # the event vCenter logs for these changes

# The vsphere.local default password policy (Configuration › Local Accounts › Password Policy).
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 20
PASSWORD_MIN_SPECIAL = 1
PASSWORD_MIN_ALPHABETIC = 2
PASSWORD_MIN_UPPERCASE = 1
PASSWORD_MIN_LOWERCASE = 1
PASSWORD_MIN_NUMERIC = 1
PASSWORD_MAX_IDENTICAL_ADJACENT = 3

# Sent inside the deleting transaction, so other apps can drop what they granted to the principal
# (their permissions name principals by string: a new user of the same name must not inherit
# them). Arguments: kind ("user" or "group"), name (without the domain), domain.
principal_deleted = Signal()


# ---------------------------------------------------------------- names


def user_principal_name(name: str) -> str:
    """`Alice` or `alice@VSPHERE.LOCAL` -> `alice@vsphere.local` (the stored username)."""
    name = name.strip().lower()
    return name if name.endswith(DOMAIN_SUFFIX) else f"{name}{DOMAIN_SUFFIX}"


def short_name(user: AbstractBaseUser) -> str:
    """`alice@vsphere.local` -> `alice`: how the directory lists and addresses its users."""
    return user.get_username().partition("@")[0]


def _name_error(name: str, label: str) -> str | None:
    if not name:
        return f"Enter a {label.lower()}."
    if len(name) > NAME_MAX_LENGTH:
        return f"{label} must be at most {NAME_MAX_LENGTH} characters long."
    if not NAME_PATTERN.fullmatch(name):
        return f"{label} may contain only letters, digits, '.', '-' and '_'."
    return None


def _taken(name: str) -> str | None:
    """Why `name` (without domain) cannot be a new user or group, or None."""
    if get_user_model().objects.filter(username__iexact=user_principal_name(name)).exists():
        return f"A user with username {user_principal_name(name)} already exists."
    group = Group.objects.filter(name__iexact=name).first()
    if group is not None:
        return f"A group named {group.name} already exists in {SSO_DOMAIN}."
    return None


# ---------------------------------------------------------------- password policy


def password_policy_errors(password: str) -> list[str]:
    """Every rule of the default vsphere.local password policy that `password` breaks, in the
    order the policy lists them (empty when it complies)."""
    if not password:
        return ["Enter a password."]
    errors = []
    if len(password) < PASSWORD_MIN_LENGTH:
        errors.append(f"Password must be at least {PASSWORD_MIN_LENGTH} characters long.")
    if len(password) > PASSWORD_MAX_LENGTH:
        errors.append(f"Password must be at most {PASSWORD_MAX_LENGTH} characters long.")
    letters = [c for c in password if c in string.ascii_letters]
    counts = (
        (
            sum(1 for c in password if c not in string.ascii_letters + string.digits),
            PASSWORD_MIN_SPECIAL,
            "special character",
        ),
        (len(letters), PASSWORD_MIN_ALPHABETIC, "alphabetic character"),
        (sum(1 for c in letters if c.isupper()), PASSWORD_MIN_UPPERCASE, "uppercase character"),
        (sum(1 for c in letters if c.islower()), PASSWORD_MIN_LOWERCASE, "lowercase character"),
        (sum(1 for c in password if c in string.digits), PASSWORD_MIN_NUMERIC, "numeric character"),
    )
    for found, needed, what in counts:
        if found < needed:
            errors.append(f"Password must contain at least {needed} {what}{'s' * (needed > 1)}.")
    if re.search(rf"(.)\1{{{PASSWORD_MAX_IDENTICAL_ADJACENT}}}", password):
        errors.append(
            f"Password must not contain more than {PASSWORD_MAX_IDENTICAL_ADJACENT} identical "
            "adjacent characters."
        )
    return errors


# ---------------------------------------------------------------- selectors


def _users() -> QuerySet:
    return get_user_model().objects.filter(username__iendswith=DOMAIN_SUFFIX)


def _without_domain() -> Replace:
    return Replace(F("username"), Value(DOMAIN_SUFFIX), Value(""))


def _paginate(qs: QuerySet, page: str | int | None) -> Page:
    return Paginator(qs, settings.VKS_PAGE_SIZE).get_page(page)


def sso_user_page(*, q: str = "", page: str | int | None = None) -> Page:
    """One page of the domain's users by username, filtered on username, names and email.
    Two queries (count, rows) whatever the number of users: the grid shows only user columns
    and `locked` (the lockout policy holds the account now), a subquery of the rows query."""
    # `sso_name`: the username without the domain, as the grid shows and the URLs address it.
    qs = (
        _users()
        .order_by("username")
        .annotate(sso_name=_without_domain(), locked=locked_annotation())
    )
    if q:
        qs = qs.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    return _paginate(qs, page)


def sso_group_page(*, q: str = "", page: str | int | None = None) -> Page:
    """One page of the domain's groups by name, each with `member_count` (one grouped query)."""
    qs = Group.objects.order_by("name").annotate(member_count=Count("user"))
    if q:
        qs = qs.filter(name__icontains=q)
    return _paginate(qs, page)


def sso_group_member_page(*, group: Group, page: str | int | None = None) -> Page:
    """One page of the group's members by username, each with `sso_name` as in the users list."""
    members = group.user_set.order_by("username").annotate(sso_name=_without_domain())
    return _paginate(members, page)


def sso_user_get(*, name: str) -> User:
    """The user `name` (with or without the domain, any case), or 404."""
    user = _users().filter(username__iexact=user_principal_name(name)).first()
    if user is None:
        raise Http404(f"No user {name!r} in {SSO_DOMAIN}")
    return user


def sso_group_get(*, name: str) -> Group:
    """The group `name` (any case), or 404."""
    group = Group.objects.filter(name__iexact=name).first()
    if group is None:
        raise Http404(f"No group {name!r} in {SSO_DOMAIN}")
    return group


# ---------------------------------------------------------------- services


def _log(message: str, user: AbstractBaseUser) -> None:
    """An event on the vCenter root (Monitor › Events), as the SSO changes are logged."""
    vcenter = VCenter.objects.order_by("pk").first()
    if vcenter is not None:
        event_log(event_type=EVENT_TYPE, message=message, entity=vcenter, user=user)


def _person_errors(*, first_name: str, last_name: str, email: str) -> dict[str, str]:
    errors = {}
    for field, value, label in (
        ("first_name", first_name, "First name"),
        ("last_name", last_name, "Last name"),
    ):
        if len(value) > PERSON_NAME_MAX_LENGTH:
            errors[field] = f"{label} must be at most {PERSON_NAME_MAX_LENGTH} characters long."
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter a valid email address."
    return errors


def _refuse_protected(target: User, user: AbstractBaseUser, verb: str) -> None:
    """The SSO administrator and the acting user themselves are never disabled or deleted."""
    if target.get_username().lower() == SSO_ADMINISTRATOR:
        raise ValidationError(
            {NON_FIELD_ERRORS: f"The user {SSO_ADMINISTRATOR} cannot be {verb}d."}
        )
    if target.pk == user.pk:
        raise ValidationError({NON_FIELD_ERRORS: f"You cannot {verb} your own account."})


@transaction.atomic
def sso_user_create(
    *,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    user: AbstractBaseUser,
) -> User:
    """A new, enabled user `username@vsphere.local` with no group and no role. Every field that
    breaks a rule is reported at once; nothing is created then."""
    require(user, Privilege.SSO_MANAGE)
    name = username.strip()
    if name.lower().endswith(DOMAIN_SUFFIX):
        name = name[: -len(DOMAIN_SUFFIX)]
    first_name, last_name, email = first_name.strip(), last_name.strip(), email.strip()
    errors: dict[str, str | list[str]] = {}
    if message := _name_error(name, "Username") or _taken(name):
        errors["username"] = message
    if password_errors := password_policy_errors(password):
        errors["password"] = password_errors
    errors |= _person_errors(first_name=first_name, last_name=last_name, email=email)
    if errors:
        raise ValidationError(errors)
    created = get_user_model().objects.create_user(
        username=user_principal_name(name),
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    _log(f"User {created.username} created", user)
    return created


@transaction.atomic
def sso_user_update(
    *, target: User, first_name: str, last_name: str, email: str, user: AbstractBaseUser
) -> User:
    """Change the user's first and last name and email; no change, no event."""
    require(user, Privilege.SSO_MANAGE)
    first_name, last_name, email = first_name.strip(), last_name.strip(), email.strip()
    if errors := _person_errors(first_name=first_name, last_name=last_name, email=email):
        raise ValidationError(errors)
    new = {"first_name": first_name, "last_name": last_name, "email": email}
    if all(getattr(target, field) == value for field, value in new.items()):
        return target
    for field, value in new.items():
        setattr(target, field, value)
    target.save(update_fields=list(new))
    _log(f"User {target.username} updated", user)
    return target


@transaction.atomic
def sso_user_disable(*, target: User, user: AbstractBaseUser) -> User:
    """The user can no longer log in (and its sessions end at their next request). Refused for
    administrator@vsphere.local and for the acting user. Already disabled: nothing changes."""
    require(user, Privilege.SSO_MANAGE)
    _refuse_protected(target, user, "disable")
    if target.is_active:
        target.is_active = False
        target.save(update_fields=["is_active"])
        _log(f"User {target.username} disabled", user)
    return target


@transaction.atomic
def sso_user_enable(*, target: User, user: AbstractBaseUser) -> User:
    """The user may log in again. Already enabled: nothing changes."""
    require(user, Privilege.SSO_MANAGE)
    if not target.is_active:
        target.is_active = True
        target.save(update_fields=["is_active"])
        _log(f"User {target.username} enabled", user)
    return target


@transaction.atomic
def sso_user_delete(*, target: User, user: AbstractBaseUser) -> None:
    """Remove the user, its group memberships and the vCenter permissions granted to it (as
    vCenter removes a deleted principal's permissions), and its failed logins (a new user of
    the name starts unlocked). Refused for administrator@vsphere.local and for the acting
    user."""
    require(user, Privilege.SSO_MANAGE)
    _refuse_protected(target, user, "delete")
    name, username = short_name(target), target.username
    Permission.objects.filter(
        principal__iexact=f"{SSO_DOMAIN.upper()}\\{name}", is_group=False
    ).delete()
    target.delete()
    lockout_clear(username=username)
    principal_deleted.send(sender=sso_user_delete, kind="user", name=name, domain=SSO_DOMAIN)
    _log(f"User {username} deleted", user)


@transaction.atomic
def sso_user_password_reset(*, target: User, password: str, user: AbstractBaseUser) -> User:
    """Set a new password (the old one is not asked for); it must meet the password policy."""
    require(user, Privilege.SSO_MANAGE)
    if errors := password_policy_errors(password):
        raise ValidationError({"password": errors})
    target.set_password(password)
    target.save(update_fields=["password"])
    _log(f"Password of user {target.username} reset", user)
    return target


@transaction.atomic
def sso_user_unlock(*, target: User, user: AbstractBaseUser) -> User:
    """End the lock the lockout policy put on the account, and forget its failed logins. Not
    locked: nothing changes, no event."""
    require(user, Privilege.SSO_MANAGE)
    if lockout_clear(username=target.get_username()):
        _log(f"User {target.username} unlocked", user)
    return target


def _members(usernames: Iterable[str]) -> tuple[list[User], dict[str, str]]:
    """The users named (with or without domain, any case; blanks ignored), and an error naming
    the ones that do not exist."""
    wanted = {user_principal_name(n) for n in usernames if n.strip()}
    found = list(
        # Usernames are stored lowercase, so an exact match on the lowered names is enough.
        _users().filter(username__in=wanted).order_by("username")
    )
    missing = sorted(wanted - {u.username for u in found})
    if missing:
        return found, {"usernames": f"No such user in {SSO_DOMAIN}: {', '.join(missing)}."}
    return found, {}


def _add_members(group: Group, members: list[User], user: AbstractBaseUser) -> list[User]:
    present = set(
        group.user_set.filter(pk__in=[m.pk for m in members]).values_list("pk", flat=True)
    )
    added = [m for m in members if m.pk not in present]
    group.user_set.add(*added)
    for member in added:
        _log(f"User {member.username} added to group {group.name}{DOMAIN_SUFFIX}", user)
    return added


@transaction.atomic
def sso_group_create(*, name: str, usernames: Iterable[str] = (), user: AbstractBaseUser) -> Group:
    """A new group with the given members (none by default) and no role."""
    require(user, Privilege.SSO_MANAGE)
    name = name.strip()
    errors: dict[str, str] = {}
    if message := _name_error(name, "Group name") or _taken(name):
        errors["name"] = message
    members, missing = _members(usernames)
    errors |= missing
    if errors:
        raise ValidationError(errors)
    group = Group.objects.create(name=name)
    _log(f"Group {group.name}{DOMAIN_SUFFIX} created", user)
    _add_members(group, members, user)
    return group


@transaction.atomic
def sso_group_delete(*, group: Group, user: AbstractBaseUser) -> None:
    """Remove the group (its members stay) and the vCenter permissions granted to it. The
    Administrators group is refused."""
    require(user, Privilege.SSO_MANAGE)
    if group.name.lower() == ADMINISTRATORS_GROUP.lower():
        raise ValidationError(
            {NON_FIELD_ERRORS: f"The group {ADMINISTRATORS_GROUP} cannot be deleted."}
        )
    name = group.name
    Permission.objects.filter(
        principal__iexact=f"{SSO_DOMAIN.upper()}\\{name}", is_group=True
    ).delete()
    group.delete()
    principal_deleted.send(sender=sso_group_delete, kind="group", name=name, domain=SSO_DOMAIN)
    _log(f"Group {name}{DOMAIN_SUFFIX} deleted", user)


@transaction.atomic
def sso_group_members_add(
    *, group: Group, usernames: Iterable[str], user: AbstractBaseUser
) -> list[User]:
    """Add the named users to the group; returns those that were not members yet. Unknown names
    are refused (naming them) and nobody is added then."""
    require(user, Privilege.SSO_MANAGE)
    members, errors = _members(usernames)
    if not members and not errors:
        errors = {"usernames": "Enter at least one username."}
    if errors:
        raise ValidationError(errors)
    return _add_members(group, members, user)


@transaction.atomic
def sso_group_member_remove(*, group: Group, member: User, user: AbstractBaseUser) -> None:
    """Take `member` out of the group; not a member: nothing changes. administrator@vsphere.local
    always stays in Administrators, so the domain can never lose its administrator."""
    require(user, Privilege.SSO_MANAGE)
    if (
        group.name.lower() == ADMINISTRATORS_GROUP.lower()
        and member.get_username().lower() == SSO_ADMINISTRATOR
    ):
        raise ValidationError(
            {
                NON_FIELD_ERRORS: f"The user {SSO_ADMINISTRATOR} cannot be removed from the "
                f"group {ADMINISTRATORS_GROUP}."
            }
        )
    if group.user_set.filter(pk=member.pk).exists():
        group.user_set.remove(member)
        _log(f"User {member.username} removed from group {group.name}{DOMAIN_SUFFIX}", user)
