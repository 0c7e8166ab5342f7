"""Namespace self-service (vSphere 8: Supervisor > Configure > General > Namespace Service).

An administrator (Namespaces.SelfServiceManage) gives a Supervisor its one namespace template,
the limits, storage policies, VM classes and content libraries a developer's namespace gets and
the users and groups allowed to create one, then activates the service. Activation, deactivation
and a change of the template of a running service are vCenter Tasks the reconciler finishes.
An allowed developer then creates namespaces (the portal's form, `kubectl create namespace`):
each is made with the template's settings, flagged self-service, and its creator is its Owner.

A template spec is a dict of the parts given, as the Automation API's NamespaceTemplates specs:
`resource_spec` {cpu_limit, memory_limit, storage_request_limit}, `storage_specs` [{policy,
limit}], `permissions` [{subject_type, subject, domain}], `vm_service_spec` {vm_classes,
content_libraries}. A part left out is unchanged (empty for a new template)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import ContentLibrary, StoragePolicy
from inventory.permissions import DENIED, Privilege, require
from inventory.tasklog import SSO_DOMAIN, event_log, task_open
from vksportal.errors import DomainError, ErrorKind
from workloads.access import self_service_allows, self_service_for
from workloads.models import (
    Namespace,
    NamespaceAccess,
    NamespaceSelfService,
    NamespaceStorage,
    Supervisor,
    VirtualMachineClass,
)
from workloads.services.namespaces import (
    _limit,
    _subject_exists,
    _taken,
    namespace_new,
)
from workloads.services.supervisors import SupervisorStateError
from workloads.specs import DNS_LABEL, SpecError
from workloads.tasks import self_service_reconcile_task

Status = NamespaceSelfService.Status
TEMPLATE_RULE = (
    "The template name must be at most 63 characters: lowercase letters, digits and '-', "
    "starting and ending with a letter or digit."
)
LIMITS = (
    ("cpu_limit", "cpu_limit_mhz"),
    ("memory_limit", "memory_limit_mib"),
    ("storage_request_limit", "storage_limit_mib"),
)
ON = (Status.CONFIGURING, Status.RUNNING)


class SelfServiceStateError(DomainError):
    """The namespace service is not in a state that allows the operation."""

    kind = ErrorKind.NOT_ALLOWED_IN_CURRENT_STATE


def _usable(sup: Supervisor) -> Supervisor:
    sup = Supervisor.objects.select_related("cluster").get(pk=sup.pk)
    if sup.is_deleting or sup.config_status == Supervisor.ConfigStatus.REMOVING:
        raise SupervisorStateError(f"Supervisor {sup.name} is being disabled.")
    return sup


def _locked(sup: Supervisor) -> NamespaceSelfService | None:
    return (
        NamespaceSelfService.objects.select_for_update(of=("self",))
        .select_related("task", "supervisor__cluster")
        .filter(supervisor=sup)
        .first()
    )


def _no_template(sup: Supervisor) -> DomainError:
    return DomainError.not_found(f"Supervisor {sup.name} has no namespace template.")


# ---------------------------------------------------------------- the template's settings


def _settings(sup: Supervisor, spec: dict) -> dict:
    """The template fields the spec's parts set, validated (SpecError naming each problem)."""
    errors: dict[str, str] = {}
    found: dict = {}
    quota = spec.get("resource_spec")
    if quota is not None:
        for key, field in LIMITS:
            found[field] = _limit(quota.get(key), f"resource_spec.{key}", errors)
    storage = spec.get("storage_specs")
    if storage is not None:
        offered = {
            str(p.policy_id)
            for p in StoragePolicy.objects.filter(datastores__hosts__cluster=sup.cluster_id)
        }
        specs = []
        for i, entry in enumerate(storage):
            policy = str(entry.get("policy") or "")
            if policy not in offered:
                errors[f"storage_specs[{i}].policy"] = (
                    f"Storage policy {policy[:64]} is not compatible with a datastore of the "
                    "Supervisor's cluster."
                )
                continue
            limit = _limit(entry.get("limit"), f"storage_specs[{i}].limit", errors)
            specs.append({"policy": policy, "limit": limit})
        if len({s["policy"] for s in specs}) != len(specs):
            errors["storage_specs"] = "Each storage policy may be given once."
        found["storage_specs"] = specs
    permissions = spec.get("permissions")
    if permissions is not None:
        found["permissions"] = []
        for i, entry in enumerate(permissions):
            subject_type = entry.get("subject_type")
            subject = (entry.get("subject") or "").strip()
            domain = (entry.get("domain") or SSO_DOMAIN).strip().lower()
            if subject_type == NamespaceAccess.SubjectType.USER and "@" in subject:
                subject, _, domain = subject.partition("@")
            if subject_type not in NamespaceAccess.SubjectType.values:
                errors[f"permissions[{i}].subject_type"] = "Select User or Group."
            elif not subject:
                errors[f"permissions[{i}].subject"] = "Enter a user or group name."
            elif not _subject_exists(subject_type, subject, domain):
                kind = NamespaceAccess.SubjectType(subject_type).label
                errors[f"permissions[{i}].subject"] = (
                    f"{kind} {subject[:64]}@{domain[:64]} was not found in the identity source."
                )
            else:
                found["permissions"].append(
                    {"subject_type": subject_type, "subject": subject, "domain": domain}
                )
    vm_service = spec.get("vm_service_spec")
    if vm_service is not None:
        names = set(vm_service.get("vm_classes") or [])
        classes = list(VirtualMachineClass.objects.filter(name__in=names))
        unknown = sorted(names - {c.name for c in classes})
        if unknown:
            errors["vm_service_spec.vm_classes"] = f"VM class {unknown[0][:64]} does not exist."
        found["vm_classes"] = classes
        wanted = {str(i) for i in vm_service.get("content_libraries") or []}
        libraries = [lib for lib in ContentLibrary.objects.all() if str(lib.library_id) in wanted]
        if len(libraries) != len(wanted):
            errors["vm_service_spec.content_libraries"] = "Select existing content libraries."
        found["content_libraries"] = libraries
    if errors:
        raise SpecError(errors)
    return found


def _write(template: NamespaceSelfService, found: dict) -> bool:
    """Apply validated settings; True when anything changed."""
    changed = False
    for field in ("cpu_limit_mhz", "memory_limit_mib", "storage_limit_mib"):
        if field in found and getattr(template, field) != found[field]:
            setattr(template, field, found[field])
            changed = True
    for field in ("storage_specs", "permissions"):
        if field in found and getattr(template, field) != found[field]:
            setattr(template, field, found[field])
            changed = True
    template.save()
    for field in ("vm_classes", "content_libraries"):
        if field in found:
            related = getattr(template, field)
            if set(related.values_list("pk", flat=True)) != {o.pk for o in found[field]}:
                related.set(found[field])
                changed = True
    return changed


def _task(template: NamespaceSelfService, name: str, description_id: str, user) -> None:
    template.task = task_open(
        name=name,
        description_id=description_id,
        operation="namespace_self_service.reconcile",
        target=template.supervisor.cluster,
        user=user,
    )
    template.next_reconcile_at = timezone.now()
    template.generation = F("generation") + 1
    template.save()
    template.refresh_from_db(fields=["generation"])
    self_service_reconcile_task.delay_on_commit(template.pk)


# ---------------------------------------------------------------- templates


@transaction.atomic
def namespace_template_create(
    *, supervisor: Supervisor, name: str, spec: dict, user
) -> NamespaceSelfService:
    """NamespaceTemplates.create: the Supervisor's one template, its service not yet on."""
    require(user, Privilege.NAMESPACES_SELF_SERVICE_MANAGE)
    sup = _usable(supervisor)
    name = (name or "").strip()
    if not name or len(name) > 63 or not DNS_LABEL.match(name):
        raise SpecError({"template": TEMPLATE_RULE})
    if NamespaceSelfService.objects.filter(template=name).exists():
        _taken("template", f"A namespace template named '{name}' already exists.", name)
    if _locked(sup) is not None:
        raise DomainError.already_exists(
            f"Supervisor {sup.name} already has a namespace template; update it instead."
        )
    found = _settings(sup, spec)
    template = NamespaceSelfService(supervisor=sup, template=name)
    template.save()
    _write(template, found)
    event_log(
        event_type="com.vmware.wcp.NamespaceTemplateCreated",
        message=f"Namespace template {name} created on Supervisor {sup.name}",
        entity=sup.cluster,
        user=user,
    )
    return template


@transaction.atomic
def namespace_template_update(
    *, supervisor: Supervisor, name: str, spec: dict, user
) -> NamespaceSelfService:
    """NamespaceTemplates.update (and the Namespace Service's Edit): only the parts given
    change. A running service takes the change through an "Update namespace template" task;
    namespaces made before keep the settings they were made with."""
    require(user, Privilege.NAMESPACES_SELF_SERVICE_MANAGE)
    sup = _usable(supervisor)
    template = _locked(sup)
    if template is None or template.template != name:
        raise DomainError.not_found(f"Namespace template {name[:64]} was not found.")
    if template.status == Status.REMOVING:
        raise SelfServiceStateError("The namespace service is being deactivated.")
    if not _write(template, _settings(sup, spec)):
        return template
    if template.activated:
        template.status = Status.CONFIGURING
        _task(template, "Update namespace template", "com.vmware.wcp.UpdateNamespaceTemplate", user)
    event_log(
        event_type="com.vmware.wcp.NamespaceTemplateUpdated",
        message=f"Namespace template {template.template} updated",
        entity=sup.cluster,
        user=user,
    )
    return template


# ---------------------------------------------------------------- the service


@transaction.atomic
def namespace_self_service_activate(
    *, supervisor: Supervisor, user, spec: dict | None = None, template: str = ""
) -> NamespaceSelfService:
    """Activate namespace self-service. With `spec` (activate_with_template), the template is
    created, or updated when the Supervisor has one, first; all or nothing."""
    require(user, Privilege.NAMESPACES_SELF_SERVICE_MANAGE)
    sup = _usable(supervisor)
    current = _locked(sup)
    if current is not None and current.status in ON:
        raise DomainError.already_exists(
            f"Namespace self-service is already activated on Supervisor {sup.name}."
        )
    if current is not None and current.status == Status.REMOVING:
        raise SelfServiceStateError("The namespace service is being deactivated.")
    if spec is not None:
        if current is None:
            current = namespace_template_create(supervisor=sup, name=template, spec=spec, user=user)
        else:
            if template and template != current.template:
                raise DomainError.not_found(f"Namespace template {template[:64]} was not found.")
            _write(current, _settings(sup, spec))
        current = _locked(sup)
    if current is None:
        raise _no_template(sup)
    if sup.config_status != Supervisor.ConfigStatus.RUNNING:
        raise SupervisorStateError(f"Supervisor {sup.name} is not running yet.")
    return _switch(current, on=True, user=user)


@transaction.atomic
def namespace_self_service_deactivate(*, supervisor: Supervisor, user) -> NamespaceSelfService:
    """Deactivate: developers create no more namespaces from the template; the namespaces they
    made stay, as do the template and their Owner role."""
    require(user, Privilege.NAMESPACES_SELF_SERVICE_MANAGE)
    sup = Supervisor.objects.select_related("cluster").get(pk=supervisor.pk)
    current = _locked(sup)
    if current is None or current.status not in (*ON, Status.ERROR):
        raise SelfServiceStateError(
            f"Namespace self-service is not activated on Supervisor {sup.name}."
        )
    return _switch(current, on=False, user=user)


def _switch(service: NamespaceSelfService, *, on: bool, user) -> NamespaceSelfService:
    """Ask for the service on or off: its task and event; the reconciler settles the status."""
    verb = "Activate" if on else "Deactivate"
    service.activated = on
    service.status = Status.CONFIGURING if on else Status.REMOVING
    _task(service, f"{verb} namespace self-service", f"com.vmware.wcp.{verb}NamespaceService", user)
    event_log(
        event_type=f"com.vmware.wcp.NamespaceService{verb}d",
        message=f"Namespace self-service {verb.lower()}d on Supervisor {service.supervisor.name}",
        entity=service.supervisor.cluster,
        user=user,
    )
    return service


# ---------------------------------------------------------------- a developer's namespace


@transaction.atomic
def namespace_self_service_create(
    *, name: str, user, supervisor: Supervisor | None = None
) -> Namespace:
    """A developer's namespace from the template of a running namespace service that allows
    them (on `supervisor`, or the first by name): the template's limits, storage policies,
    VM classes and content libraries, flagged self-service, its creator its Owner."""
    if supervisor is None:
        allowed = self_service_for(user)
        if not allowed:
            raise PermissionDenied(DENIED)
        supervisor = allowed[0].supervisor
    template = _locked(supervisor)
    if template is None or not template.is_running:
        raise PermissionDenied(DENIED)
    if not self_service_allows(user, template):
        raise PermissionDenied(DENIED)
    ns = namespace_new(supervisor=supervisor, name=name, user=user, self_service=True)
    ns.cpu_limit_mhz = template.cpu_limit_mhz
    ns.memory_limit_mib = template.memory_limit_mib
    ns.storage_limit_mib = template.storage_limit_mib
    ns.save(update_fields=["cpu_limit_mhz", "memory_limit_mib", "storage_limit_mib"])
    policies = {
        str(p.policy_id): p
        for p in StoragePolicy.objects.filter(
            policy_id__in=[s["policy"] for s in template.storage_specs]
        )
    }
    NamespaceStorage.objects.bulk_create(
        NamespaceStorage(namespace=ns, policy=policies[s["policy"]], limit_mib=s["limit"])
        for s in template.storage_specs
        if s["policy"] in policies  # a policy deleted since the template was made is skipped
    )
    ns.vm_classes.set(template.vm_classes.all())
    ns.content_libraries.set(template.content_libraries.all())
    subject, _, domain = user.get_username().partition("@")
    NamespaceAccess.objects.create(
        namespace=ns,
        subject_type=NamespaceAccess.SubjectType.USER,
        subject=subject,
        domain=(domain or SSO_DOMAIN).lower(),
        role=NamespaceAccess.Role.OWNER,
    )
    return ns
