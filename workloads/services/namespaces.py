"""vSphere Namespace operations: access, storage, limits and the VM Service. Each checks the
caller's role, validates (raising SpecError with field messages and changing nothing), writes the
spec, bumps `generation`, opens the vCenter Task and hands the work to the reconciler on commit."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import ContentLibrary, StoragePolicy
from inventory.permissions import Privilege, require
from inventory.tasklog import SSO_DOMAIN, event_log, sso_principal, task_open
from vksportal.errors import DomainError, ErrorKind, FieldErrors
from workloads.access import Role, require_configure, require_role
from workloads.models import (
    Namespace,
    NamespaceAccess,
    NamespaceStorage,
    Supervisor,
    VirtualMachineClass,
    VksCluster,
)
from workloads.selectors.namespaces import (
    namespace_storage_used,
    namespace_usage,
    namespace_vms,
)
from workloads.services.supervisors import SupervisorStateError
from workloads.specs import DNS_LABEL, SpecError, storage_class_name
from workloads.targets import namespace_target
from workloads.tasks import namespace_reconcile_task

NAME_RULE = (
    "The name must be at most 63 characters: lowercase letters, digits and '-', starting and "
    "ending with a letter or digit."
)


MAX_LIMIT = 2**53  # MHz or MiB: far beyond any cluster, and within every database's bigint


class NamespaceStateError(DomainError):
    """The namespace is not in a state that allows the operation."""

    kind = ErrorKind.NOT_ALLOWED_IN_CURRENT_STATE


def _taken(field: str, text: str, name: str) -> None:
    errors = FieldErrors()
    errors.already_exists(field, text, name=name)
    errors.check()


def _locked(namespace: Namespace) -> Namespace:
    ns = (
        Namespace.objects.select_for_update(of=("self",))
        .select_related("supervisor__cluster__datacenter", "task")
        .get(pk=namespace.pk)
    )
    if ns.is_deleting:
        raise NamespaceStateError(f"Namespace {ns.name} is being deleted.")
    return ns


def _changed(ns: Namespace, *, what: str, user) -> Namespace:
    """Record a spec change: bump generation, open "Update namespace" unless a task is still
    running (it picks up the latest spec), and reconcile on commit."""
    now = timezone.now()
    ns.generation = F("generation") + 1
    ns.next_reconcile_at = now
    ns.config_status = Namespace.ConfigStatus.CONFIGURING
    if ns.task is None or ns.task.is_finished:
        ns.task = task_open(
            name="Update namespace",
            description_id="com.vmware.wcp.UpdateNamespace",
            operation="namespace.reconcile",
            target=namespace_target(ns),
            user=user,
        )
    ns.save()
    ns.refresh_from_db(fields=["generation"])
    event_log(
        event_type="com.vmware.wcp.NamespaceUpdated",
        message=f"Namespace {ns.name}: {what}",
        entity=namespace_target(ns),
        user=user,
    )
    namespace_reconcile_task.delay_on_commit(ns.pk)
    return ns


# ---------------------------------------------------------------- create and delete


@transaction.atomic
def namespace_create(
    *, supervisor: Supervisor, name: str, description: str = "", user
) -> Namespace:
    """Create a vSphere Namespace with unlimited resources; the reconciler makes its resource
    pool and folder. Its Kubernetes releases come from the Supervisor's content library."""
    require(user, Privilege.NAMESPACES_MANAGE)
    return namespace_new(supervisor=supervisor, name=name, description=description, user=user)


def namespace_new(
    *, supervisor: Supervisor, name: str, description: str = "", user, self_service: bool = False
) -> Namespace:
    """The namespace row, its "Create namespace" task and reconcile, once the caller's right to
    create it is settled (an administrator's, or a template's for a self-service namespace)."""
    name = (name or "").strip()
    if not name or len(name) > 63 or not DNS_LABEL.match(name):
        raise SpecError({"name": NAME_RULE})
    if Namespace.objects.filter(name=name).exists():
        _taken("name", f"A namespace named '{name}' already exists in this vCenter Server.", name)
    sup = Supervisor.objects.select_related("cluster__datacenter").get(pk=supervisor.pk)
    if sup.is_deleting or sup.config_status == Supervisor.ConfigStatus.REMOVING:
        raise SupervisorStateError(f"Supervisor {sup.name} is being disabled.")
    library_id = sup.spec.get("size", {}).get("content_library")
    ns = Namespace(
        name=name,
        supervisor=sup,
        description=(description or "").strip(),
        creator=sso_principal(user),
        self_service=self_service,
        kubernetes_library=ContentLibrary.objects.filter(library_id=library_id).first()
        if library_id
        else None,
        next_reconcile_at=timezone.now(),
    )
    ns.task = task_open(
        name="Create namespace",
        description_id="com.vmware.wcp.CreateNamespace",
        operation="namespace.reconcile",
        target=namespace_target(ns),
        user=user,
    )
    ns.save()
    event_log(
        event_type="com.vmware.wcp.NamespaceCreated",
        message=f"Namespace {name} created on Supervisor {sup.name}",
        entity=namespace_target(ns),
        user=user,
    )
    namespace_reconcile_task.delay_on_commit(ns.pk)
    return ns


@transaction.atomic
def namespace_delete(*, namespace: Namespace, user) -> Namespace:
    """Ask for removal (owners and administrators): REMOVING, then its pool and folder go, the
    row last. Refused while it holds VKS clusters, naming them."""
    require_role(user, namespace, Role.OWNER)
    ns = (
        Namespace.objects.select_for_update(of=("self",))
        .select_related("supervisor__cluster__datacenter")
        .get(pk=namespace.pk)
    )
    if ns.is_deleting:
        return ns
    clusters = sorted(VksCluster.objects.filter(namespace=ns).values_list("name", flat=True))
    if clusters:
        raise NamespaceStateError(
            f"Namespace {ns.name} still has VKS clusters: {', '.join(clusters)}. Delete them first."
        )
    now = timezone.now()
    ns.deletion_requested_at, ns.next_reconcile_at = now, now
    ns.generation = F("generation") + 1
    ns.config_status = Namespace.ConfigStatus.REMOVING
    ns.task = task_open(
        name="Delete namespace",
        description_id="com.vmware.wcp.DeleteNamespace",
        operation="namespace.reconcile",
        target=namespace_target(ns),
        user=user,
    )
    ns.save()
    event_log(
        event_type="com.vmware.wcp.NamespaceDeleteRequested",
        message=f"Namespace {ns.name} delete requested",
        entity=namespace_target(ns),
        user=user,
    )
    namespace_reconcile_task.delay_on_commit(ns.pk)
    return ns


# ---------------------------------------------------------------- permissions


def _subject_exists(subject_type: str, subject: str, domain: str) -> bool:
    if domain.lower() != SSO_DOMAIN:
        return False
    if subject_type == NamespaceAccess.SubjectType.GROUP:
        return Group.objects.filter(name=subject).exists()
    return get_user_model().objects.filter(username__iexact=f"{subject}@{domain}").exists()


@transaction.atomic
def namespace_access_set(
    *,
    namespace: Namespace,
    subject_type: str,
    subject: str,
    role: str,
    domain: str = SSO_DOMAIN,
    user,
) -> NamespaceAccess:
    """Grant (or change) a user's or group's role; owners and administrators only."""
    require_role(user, namespace, Role.OWNER)
    subject, domain = (subject or "").strip(), (domain or SSO_DOMAIN).strip().lower()
    if "@" in subject and subject_type == NamespaceAccess.SubjectType.USER:
        subject, _, domain = subject.partition("@")
    errors = {}
    if subject_type not in NamespaceAccess.SubjectType.values:
        errors["subject_type"] = "Select User or Group."
    if role not in Role.values:
        errors["role"] = "Select Can view, Can edit or Owner."
    if not subject:
        errors["subject"] = "Enter a user or group name."
    elif not errors and not _subject_exists(subject_type, subject, domain):
        kind = NamespaceAccess.SubjectType(subject_type).label
        errors["subject"] = f"{kind} {subject}@{domain} was not found in the identity source."
    if errors:
        raise SpecError(errors)
    ns = _locked(namespace)
    if subject_type == NamespaceAccess.SubjectType.USER:
        # Usernames are case-insensitive in SSO: keep the stored spelling of an existing entry.
        subject = (
            get_user_model()
            .objects.get(username__iexact=f"{subject}@{domain}")
            .get_username()
            .partition("@")[0]
        )
    entry, created = NamespaceAccess.objects.update_or_create(
        namespace=ns,
        subject_type=subject_type,
        subject=subject,
        domain=domain,
        defaults={"role": role},
    )
    verb = "granted" if created else "changed to"
    _changed(ns, what=f"{entry.principal} {verb} {entry.get_role_display()}", user=user)
    return entry


@transaction.atomic
def namespace_access_add(
    *,
    namespace: Namespace,
    subject_type: str,
    subject: str,
    role: str,
    domain: str = SSO_DOMAIN,
    user,
) -> NamespaceAccess:
    """Grant a role to a user or group holding none in the namespace yet (the Automation API's
    Access.create): never overwrites an existing entry, which `namespace_access_set` changes."""
    require_role(user, namespace, Role.OWNER)
    name, dom = (subject or "").strip(), (domain or SSO_DOMAIN).strip().lower()
    if "@" in name and subject_type == NamespaceAccess.SubjectType.USER:
        name, _, dom = name.partition("@")
    same = NamespaceAccess.objects.filter(
        namespace=namespace, subject_type=subject_type, domain__iexact=dom
    )
    if subject_type == NamespaceAccess.SubjectType.USER:
        same = same.filter(subject__iexact=name)  # SSO user names are case-insensitive
    else:
        same = same.filter(subject=name)
    if name and same.exists():
        kind = NamespaceAccess.SubjectType(subject_type).label.lower()
        _taken(
            "subject",
            f"A permission for {kind} {name}@{dom} already exists in namespace {namespace.name}.",
            f"{name}@{dom}",
        )
    return namespace_access_set(
        namespace=namespace,
        subject_type=subject_type,
        subject=name,
        role=role,
        domain=dom,
        user=user,
    )


@transaction.atomic
def namespace_access_remove(*, namespace: Namespace, entry_id: int, user) -> None:
    require_role(user, namespace, Role.OWNER)
    ns = _locked(namespace)
    entry = NamespaceAccess.objects.filter(namespace=ns, pk=entry_id).first()
    if entry is None:
        raise SpecError({"subject": "That permission no longer exists."})
    entry.delete()
    _changed(ns, what=f"permission of {entry.principal} removed", user=user)


@transaction.atomic
def namespace_description_set(*, namespace: Namespace, description: str, user) -> Namespace:
    """Change the description the Namespaces list shows (administrators, as the namespace's
    other settings). No-op if unchanged."""
    require_configure(user, namespace)
    ns = _locked(namespace)
    description = (description or "").strip()
    if ns.description == description:
        return ns
    ns.description = description
    return _changed(ns, what="description changed", user=user)


# ---------------------------------------------------------------- storage and limits


def _mib_text(mib: int) -> str:
    if mib >= 1024 * 1024:
        return f"{mib / 1024 / 1024:.2f} TB"
    if mib >= 1024:
        return f"{mib / 1024:.2f} GB"
    return f"{mib} MB"


def _limit(raw, field: str, errors: dict) -> int | None:
    """A limit as typed: blank is unlimited; otherwise a whole number above zero."""
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        errors[field] = "Enter a whole number, or leave it empty for no limit."
        return None
    if value <= 0:
        errors[field] = "The limit must be greater than 0, or empty for no limit."
    elif value > MAX_LIMIT:
        errors[field] = f"The limit must be at most {MAX_LIMIT:,}."
    return value


def _storage_users(ns: Namespace, policy: StoragePolicy) -> list[str]:
    """What uses the policy in the namespace: VKS clusters (by storage class) and VMs."""
    clusters = [
        c.name
        for c in VksCluster.objects.filter(namespace=ns)
        if storage_class_name(policy.name) in c.storage_class_names
    ]
    vms = list(namespace_vms(ns).filter(storage_policy=policy).values_list("name", flat=True)[:5])
    return clusters + vms


@transaction.atomic
def namespace_storage_set(
    *, namespace: Namespace, limits: dict[str, str | int | None], user
) -> Namespace:
    """Make the namespace's storage policies exactly `limits` (policy id -> limit in MiB or
    blank for unlimited). A policy in use cannot be removed; no limit may go below usage."""
    require_configure(user, namespace)
    ns = _locked(namespace)
    offered = {
        str(p.policy_id): p
        for p in StoragePolicy.objects.filter(
            datastores__hosts__cluster=ns.supervisor.cluster_id
        ).distinct()
    }
    errors: dict[str, str] = {}
    wanted: dict[StoragePolicy, int | None] = {}
    for policy_id, raw in limits.items():
        policy = offered.get(str(policy_id))
        if policy is None:
            errors["policies"] = (
                "Select storage policies compatible with a datastore of the Supervisor's cluster."
            )
            continue
        wanted[policy] = _limit(raw, f"limit.{policy_id}", errors)
    used = namespace_storage_used(ns)
    current = {s.policy: s for s in NamespaceStorage.objects.filter(namespace=ns)}
    for policy in current.keys() - wanted.keys():
        users = _storage_users(ns, policy)
        if users:
            errors["policies"] = (
                f"Storage policy {policy.name} is in use by {', '.join(users)} and cannot "
                "be removed."
            )
    for policy, limit in wanted.items():
        in_use = used.get(policy.pk, 0)
        if limit is not None and limit < in_use:
            errors[f"limit.{policy.policy_id}"] = (
                f"The limit cannot be less than the storage {policy.name} uses now "
                f"({_mib_text(in_use)})."
            )
    if errors:
        raise SpecError(errors)
    changes = []
    for policy, spec in current.items():
        if policy not in wanted:
            spec.delete()
            changes.append(f"{policy.name} removed")
    for policy, limit in wanted.items():
        spec = current.get(policy)
        if spec is None:
            NamespaceStorage.objects.create(namespace=ns, policy=policy, limit_mib=limit)
            changes.append(f"{policy.name} added")
        elif spec.limit_mib != limit:
            spec.limit_mib = limit
            spec.save(update_fields=["limit_mib"])
            changes.append(f"{policy.name} limit changed")
    if not changes:
        return ns
    return _changed(ns, what="storage " + "; ".join(changes), user=user)


@transaction.atomic
def namespace_limits_set(
    *,
    namespace: Namespace,
    cpu_limit_mhz=None,
    memory_limit_mib=None,
    storage_limit_mib=None,
    user,
) -> Namespace:
    """Set the CPU (MHz), memory (MiB) and storage (MiB) limits; blank is unlimited. None may go
    below what the namespace uses now, and the message says how much that is."""
    require_configure(user, namespace)
    ns = _locked(namespace)
    errors: dict[str, str] = {}
    cpu = _limit(cpu_limit_mhz, "cpu_limit_mhz", errors)
    memory = _limit(memory_limit_mib, "memory_limit_mib", errors)
    storage = _limit(storage_limit_mib, "storage_limit_mib", errors)
    usage = namespace_usage(ns)
    if cpu is not None and "cpu_limit_mhz" not in errors and cpu < usage.cpu_mhz:
        errors["cpu_limit_mhz"] = (
            f"The CPU limit cannot be less than current usage ({usage.cpu_mhz} MHz)."
        )
    if memory is not None and "memory_limit_mib" not in errors and memory < usage.memory_mib:
        errors["memory_limit_mib"] = (
            f"The memory limit cannot be less than current usage ({_mib_text(usage.memory_mib)})."
        )
    if storage is not None and "storage_limit_mib" not in errors and storage < usage.storage_mib:
        errors["storage_limit_mib"] = (
            f"The storage limit cannot be less than current usage ({_mib_text(usage.storage_mib)})."
        )
    if errors:
        raise SpecError(errors)
    if (ns.cpu_limit_mhz, ns.memory_limit_mib, ns.storage_limit_mib) == (cpu, memory, storage):
        return ns
    ns.cpu_limit_mhz, ns.memory_limit_mib, ns.storage_limit_mib = cpu, memory, storage
    return _changed(ns, what="resource limits changed", user=user)


# ---------------------------------------------------------------- VM Service and VKS


@transaction.atomic
def namespace_vm_classes_set(*, namespace: Namespace, names: list[str], user) -> Namespace:
    """Associate exactly these VM classes. One a VKS cluster of the namespace uses stays."""
    require_configure(user, namespace)
    ns = _locked(namespace)
    classes = list(VirtualMachineClass.objects.filter(name__in=set(names)))
    errors: dict[str, str] = {}
    unknown = sorted(set(names) - {c.name for c in classes})
    if unknown:
        errors["vm_classes"] = f"VM class {unknown[0]} does not exist."
    removing = [c for c in classes if c.config_status == VirtualMachineClass.ConfigStatus.REMOVING]
    if removing:
        errors["vm_classes"] = f"VM class {removing[0].name} is being removed."
    kept = {c.name for c in classes}
    for cluster in VksCluster.objects.filter(namespace=ns):
        dropped = sorted(cluster.vm_class_names - kept)
        if dropped:
            errors["vm_classes"] = (
                f"VM class {dropped[0]} is used by VKS cluster {cluster.name} and cannot be "
                "removed from the namespace."
            )
    if errors:
        raise SpecError(errors)
    before = set(ns.vm_classes.values_list("name", flat=True))
    if before == kept:
        return ns
    ns.vm_classes.set(classes)
    return _changed(ns, what=f"{len(kept)} VM classes associated", user=user)


@transaction.atomic
def namespace_libraries_set(*, namespace: Namespace, library_ids: list[str], user) -> Namespace:
    """Associate exactly these content libraries with the namespace's VM Service."""
    require_configure(user, namespace)
    ns = _locked(namespace)
    libraries = _libraries(library_ids)
    if set(ns.content_libraries.values_list("pk", flat=True)) == {lib.pk for lib in libraries}:
        return ns
    ns.content_libraries.set(libraries)
    return _changed(ns, what=f"{len(libraries)} VM Service content libraries", user=user)


def _libraries(library_ids: list[str]) -> list[ContentLibrary]:
    wanted = {str(i) for i in library_ids}
    found = [lib for lib in ContentLibrary.objects.all() if str(lib.library_id) in wanted]
    if len(found) != len(wanted):
        raise SpecError({"content_libraries": "Select existing content libraries."})
    return found


@transaction.atomic
def namespace_kubernetes_library_set(*, namespace: Namespace, library_id: str, user) -> Namespace:
    """Choose the content library the namespace's Kubernetes releases come from."""
    require_configure(user, namespace)
    ns = _locked(namespace)
    (library,) = _libraries([library_id]) if library_id else (None,)
    if ns.kubernetes_library_id == (library.pk if library else None):
        return ns
    ns.kubernetes_library = library
    name = library.name if library else "none"
    return _changed(ns, what=f"Kubernetes release library set to {name}", user=user)


def namespace_access_forget(*, kind: str, name: str, domain: str, **_signal) -> None:
    """An SSO user or group was deleted: drop its namespace permissions, so a new principal of
    the same name does not inherit them (connected to inventory.sso.principal_deleted)."""
    subject_type = (
        NamespaceAccess.SubjectType.GROUP if kind == "group" else NamespaceAccess.SubjectType.USER
    )
    NamespaceAccess.objects.filter(
        subject_type=subject_type, subject__iexact=name, domain__iexact=domain
    ).delete()
