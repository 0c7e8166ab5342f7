"""Who may do what in the inventory: vCenter roles held on the root, through users or SSO groups.

Per-object permissions (and the namespace roles of Workload Management) build on this; for now a
role held on the vCenter root propagates to every object, as the default vCenter setup does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Concat

from inventory.models import Permission, VCenter
from inventory.tasklog import SSO_DOMAIN, sso_principal

ADMINISTRATORS_GROUP = "Administrators"
DENIED = "Permission to perform this operation was denied."


class Privilege(StrEnum):
    VIEW = "System.View"
    VM_POWER = "VirtualMachine.Interact.PowerOn"
    HOST_MAINTENANCE = "Host.Config.Maintenance"
    CLUSTER_EDIT = "Host.Inventory.EditCluster"
    NAMESPACES_MANAGE = "Namespaces.Manage"  # enable, edit and disable Supervisors
    NAMESPACES_CONFIGURE = "Namespaces.Configure"  # a namespace's storage, limits, VM Service
    # namespace self-service: its template, activate and deactivate
    NAMESPACES_SELF_SERVICE_MANAGE = "Namespaces.SelfServiceManage"
    # Users and groups of the vsphere.local SSO domain. In vCenter that is membership of the SSO
    # Administrators group rather than a role privilege; here the Administrator role carries it.
    SSO_MANAGE = "Sso.Manage"


ROLE_PRIVILEGES = {
    Permission.Role.ADMIN: set(Privilege),
    Permission.Role.READ_ONLY: {Privilege.VIEW},
    Permission.Role.NO_ACCESS: set(),
}


def group_names(user) -> list[str]:
    """The user's SSO group names, memoised on the user for the request (role checks here and
    the namespace access checks of Workload Management both need them)."""
    if "_vks_group_names" not in user.__dict__:
        user.__dict__["_vks_group_names"] = list(user.groups.values_list("name", flat=True))
    return user.__dict__["_vks_group_names"]


def forget(user) -> None:
    """Drop what this module memoised on the user, as the next request would start afresh."""
    for key in ("_vks_role", "_vks_group_names"):
        user.__dict__.pop(key, None)


def principals_of(user) -> list[str]:
    """The names a permission may be granted to: the user and each of its SSO groups."""
    domain = SSO_DOMAIN.upper()
    return [sso_principal(user)] + [f"{domain}\\{g}" for g in group_names(user)]


# Which role a principal holding several on the root ends with: NoAccess anywhere shuts it
# out, whatever else it is granted; then Administrator over Read-only.
RANKS = {Permission.Role.NO_ACCESS: 3, Permission.Role.ADMIN: 2, Permission.Role.READ_ONLY: 1}
RANKED = {3: None, 2: Permission.Role.ADMIN, 1: Permission.Role.READ_ONLY}


def _root_permissions():
    return Permission.objects.filter(entity_moid__in=VCenter.objects.values("moid"))


def role_of(user) -> str | None:
    """The user's role on the vCenter root, or None. Memoised on the user for the request."""
    if not user.is_authenticated or not user.is_active:
        return None
    if hasattr(user, "_vks_role"):
        return user._vks_role
    if user.is_superuser:
        role = Permission.Role.ADMIN
    else:
        held = _root_permissions().filter(principal__in=principals_of(user))
        ranks = [RANKS.get(r, 0) for r in held.values_list("role", flat=True)]
        role = RANKED.get(max(ranks, default=0))
    user._vks_role = role
    return role


def root_role_rank(principal: str) -> Subquery:
    """An annotation for a query over users whose `principal` annotation is the user's
    `DOMAIN\\name`: the rank in RANKS of the role role_of would find, NULL when none. The API's
    hot path reads it with the user's row in one statement (see remember_role)."""
    groups = Group.objects.filter(user=OuterRef(OuterRef("pk"))).values(
        principal=Concat(Value(f"{SSO_DOMAIN.upper()}\\"), "name")
    )
    ranked = Case(
        *(When(role=role, then=Value(rank)) for role, rank in RANKS.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    held = _root_permissions().filter(Q(principal=OuterRef(principal)) | Q(principal__in=groups))
    return Subquery(held.annotate(rank=ranked).order_by("-rank").values("rank")[:1])


def remember_role(user, rank: int | None) -> None:
    """Memoise the role a root_role_rank() read found, as role_of would have."""
    role = None if not user.is_active else RANKED.get(rank or 0)
    user._vks_role = Permission.Role.ADMIN if user.is_superuser and user.is_active else role


@dataclass(frozen=True)
class AccessGrant:
    """Access another app grants outside vCenter roles (the developer portal: a role in a
    namespace, or a namespace service's template): who has it, and the page such a user lands on
    instead of the inventory."""

    check: Callable[[object], bool]
    landing: Callable[[], str]


# Registered in the granting app's AppConfig.ready(); inventory never imports those apps.
ACCESS_GRANTS: list[AccessGrant] = []


def granted_elsewhere(user) -> AccessGrant | None:
    return next((g for g in ACCESS_GRANTS if g.check(user)), None)


def may_log_in(user) -> bool:
    """A vCenter role, or access another app grants (a developer with only namespaces)."""
    return role_of(user) is not None or granted_elsewhere(user) is not None


def has(user, privilege: Privilege) -> bool:
    role = role_of(user)
    return role is not None and privilege in ROLE_PRIVILEGES[role]


def require(user, privilege: Privilege) -> None:
    if not has(user, privilege):
        raise PermissionDenied(DENIED)
