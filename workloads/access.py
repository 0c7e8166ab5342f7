"""Who may do what in a vSphere Namespace.

vCenter roles on the root still rule: administrators (Namespaces.Manage) own every namespace and
alone configure storage, limits and the VM Service; read-only users view every namespace.
Everyone else holds the strongest role the namespace's access list grants to them or to one of
their SSO groups. A namespace they hold no role in does not exist for them (404, not 403, so
names do not leak); a weaker role than an operation needs is a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from inventory.permissions import DENIED, Privilege, group_names, has
from inventory.tasklog import SSO_DOMAIN
from workloads.models import Namespace, NamespaceAccess, NamespaceSelfService

Role = NamespaceAccess.Role
RANK = {Role.VIEW: 1, Role.EDIT: 2, Role.OWNER: 3}


def subjects_q(user) -> Q:
    """The access entries naming the user or one of its SSO groups."""
    name, _, domain = user.get_username().partition("@")
    groups = group_names(user)
    return Q(
        subject_type=NamespaceAccess.SubjectType.USER,
        subject__iexact=name,
        domain__iexact=domain or SSO_DOMAIN,
    ) | Q(subject_type=NamespaceAccess.SubjectType.GROUP, subject__in=groups, domain=SSO_DOMAIN)


def namespaces_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Namespace.objects.all() if queryset is None else queryset
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    if has(user, Privilege.VIEW):
        return queryset
    granted = NamespaceAccess.objects.filter(subjects_q(user), namespace=OuterRef("pk"))
    return queryset.filter(Exists(granted))


def has_any_namespace(user) -> bool:
    """A developer with no vCenter role may still log in to reach their namespaces."""
    return NamespaceAccess.objects.filter(subjects_q(user)).exists()


def namespace_role(user, namespace: Namespace) -> Role | None:
    """The user's role in the namespace (memoised on the user for the request), or None."""
    if not (user.is_authenticated and user.is_active):
        return None
    if has(user, Privilege.NAMESPACES_MANAGE):
        return Role.OWNER
    base = Role.VIEW if has(user, Privilege.VIEW) else None
    memo = user.__dict__.setdefault("_vks_namespace_roles", {})
    if namespace.pk not in memo:
        granted = NamespaceAccess.objects.filter(subjects_q(user), namespace=namespace)
        memo[namespace.pk] = [Role(r) for r in granted.values_list("role", flat=True)]
    return max([*memo[namespace.pk], *([base] if base else [])], key=RANK.__getitem__, default=None)


def require_role(user, namespace: Namespace, role: Role) -> None:
    """404 when the user holds no role in the namespace; 403 when it holds a weaker one."""
    held = namespace_role(user, namespace)
    if held is None:
        raise Http404(f"Namespace {namespace.name} was not found.")
    if RANK[held] < RANK[role]:
        raise PermissionDenied(DENIED)


def require_configure(user, namespace: Namespace) -> None:
    """Storage, limits and the VM Service are the administrators' (Namespaces.Configure)."""
    require_role(user, namespace, Role.VIEW)
    if not has(user, Privilege.NAMESPACES_CONFIGURE):
        raise PermissionDenied(DENIED)


def self_service_allows(user, template: NamespaceSelfService) -> bool:
    """The template's permissions name the user or one of its SSO groups."""
    name, _, domain = user.get_username().partition("@")
    domain = (domain or SSO_DOMAIN).lower()
    groups = set(group_names(user))
    for p in template.permissions:
        if p["subject_type"] == NamespaceAccess.SubjectType.USER:
            if p["subject"].lower() == name.lower() and p["domain"].lower() == domain:
                return True
        elif p["subject"] in groups and p["domain"].lower() == SSO_DOMAIN:
            return True
    return False


def self_service_for(user) -> list[NamespaceSelfService]:
    """The running namespace services (with their Supervisors) whose template lets the user
    create namespaces: one query, plus the user's groups. Templates are one per Supervisor,
    so checking each in Python stays small."""
    if not (user.is_authenticated and user.is_active):
        return []
    running = NamespaceSelfService.objects.select_related("supervisor__cluster").filter(
        status=NamespaceSelfService.Status.RUNNING
    )
    return [t for t in running.order_by("supervisor__name") if self_service_allows(user, t)]


def may_self_serve(user) -> bool:
    """A developer allowed by a running namespace service may log in with no namespace yet."""
    return bool(self_service_for(user))
