"""A Namespaces.Instances CreateSpec, UpdateSpec or SetSpec is several settings at once; the
services take one each. These apply a whole spec through the same services in one transaction,
so a part that is refused (a permission, a limit below usage, an unknown VM class) leaves nothing
changed or created.

A spec here is a dict of the parts given: a part left out is unchanged; in `resource_spec` a
limit left out is unchanged and a limit given as None is removed (unlimited)."""

from __future__ import annotations

from django.db import transaction

from inventory.tasklog import SSO_DOMAIN
from workloads import selectors, services
from workloads.models import Namespace, NamespaceAccess, Supervisor

USER = NamespaceAccess.SubjectType.USER


@transaction.atomic
def namespace_create_from_spec(*, supervisor: Supervisor, spec: dict, user) -> Namespace:
    """Namespaces.Instances.create: the namespace, then each part of the spec given."""
    ns = services.namespace_create(
        supervisor=supervisor,
        name=spec["namespace"],
        description=spec.get("description") or "",
        user=user,
    )
    _apply(ns, spec, user=user)
    return ns


@transaction.atomic
def namespace_update_from_spec(*, namespace: Namespace, spec: dict, user) -> None:
    """Namespaces.Instances.update: only the parts given change."""
    if spec.get("description") is not None:
        services.namespace_description_set(
            namespace=namespace, description=spec["description"], user=user
        )
    _apply(namespace, spec, user=user)


@transaction.atomic
def namespace_set_from_spec(*, namespace: Namespace, spec: dict, user) -> None:
    """Namespaces.Instances.set: the spec replaces the namespace's settings in entirety, so a
    part left out is cleared (no description, no limits, no access entries, storage policies,
    VM classes or content libraries), as vCenter's SetSpec documents."""
    vm_service = spec.get("vm_service_spec") or {}
    whole = {
        "description": spec.get("description") or "",
        "resource_spec": {
            "cpu_limit": None,
            "memory_limit": None,
            "storage_request_limit": None,
        }
        | (spec.get("resource_spec") or {}),
        "access_list": spec.get("access_list") or [],
        "storage_specs": spec.get("storage_specs") or [],
        "vm_service_spec": {
            "vm_classes": vm_service.get("vm_classes") or [],
            "content_libraries": vm_service.get("content_libraries") or [],
        },
    }
    namespace_update_from_spec(namespace=namespace, spec=whole, user=user)


def _apply(ns: Namespace, spec: dict, *, user) -> None:
    quota = spec.get("resource_spec")
    if quota is not None:
        # A limit left out keeps its value; null is unlimited. `ns` holds the limits as they
        # were before this spec: nothing before this call changes them.
        services.namespace_limits_set(
            namespace=ns,
            cpu_limit_mhz=quota.get("cpu_limit", ns.cpu_limit_mhz),
            memory_limit_mib=quota.get("memory_limit", ns.memory_limit_mib),
            storage_limit_mib=quota.get("storage_request_limit", ns.storage_limit_mib),
            user=user,
        )
    storage = spec.get("storage_specs")
    if storage is not None:
        limits = {s["policy"]: s.get("limit") for s in storage}
        services.namespace_storage_set(namespace=ns, limits=limits, user=user)
    vm_service = spec.get("vm_service_spec")
    if vm_service is not None:
        if "vm_classes" in vm_service:
            services.namespace_vm_classes_set(
                namespace=ns, names=vm_service["vm_classes"], user=user
            )
        if "content_libraries" in vm_service:
            services.namespace_libraries_set(
                namespace=ns, library_ids=vm_service["content_libraries"], user=user
            )
    access = spec.get("access_list")
    if access is not None:
        _access_list_set(ns, access, user=user)


def _key(subject_type: str, subject: str, domain: str) -> tuple[str, str, str]:
    """One principal however it is spelled: SSO user names are case-insensitive and may carry
    their domain (`sam@vsphere.local`)."""
    subject, domain = subject.strip(), (domain or SSO_DOMAIN).strip().lower()
    if subject_type == USER:
        if "@" in subject:
            subject, _, domain = subject.partition("@")
        subject = subject.lower()
    return subject_type, subject, domain.lower()


def _access_list_set(ns: Namespace, entries: list[dict], *, user) -> None:
    """Make the access list exactly `entries`: grant and change first, then remove, so a caller
    handing its own Owner entry on to another keeps the right to do so until the end."""
    current = {
        _key(e.subject_type, e.subject, e.domain): e for e in selectors.namespace_access_rows(ns)
    }
    wanted = {_key(e["subject_type"], e["subject"], e["domain"]): e for e in entries}
    for key, entry in wanted.items():
        held = current.get(key)
        if held is None or held.role != entry["role"]:
            services.namespace_access_set(
                namespace=ns,
                subject_type=entry["subject_type"],
                subject=entry["subject"],
                domain=entry["domain"],
                role=entry["role"],
                user=user,
            )
    for key, held in current.items():
        if key not in wanted:
            services.namespace_access_remove(namespace=ns, entry_id=held.pk, user=user)
