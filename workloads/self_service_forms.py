"""The forms of namespace self-service: the Namespace Service's template dialog (Supervisor >
Configure) and a developer's New Namespace. Fields parse what was typed; the services decide,
and their errors are put back at the fields."""

from __future__ import annotations

import re

from django import forms

from vksportal.errors import DomainError
from workloads.models import NamespaceSelfService, Supervisor

LIMIT_HELP = "Empty for no limit."


def _names(text: str) -> list[str]:
    return [n for n in re.split(r"[,\s]+", text or "") if n]


class TemplateForm(forms.Form):
    """Activate (with the template) or edit the Supervisor's namespace template."""

    template = forms.CharField(label="Template name", max_length=63)
    cpu_limit = forms.IntegerField(label="CPU limit (MHz)", required=False, help_text=LIMIT_HELP)
    memory_limit = forms.IntegerField(
        label="Memory limit (MB)", required=False, help_text=LIMIT_HELP
    )
    storage_limit = forms.IntegerField(
        label="Storage limit (MB)", required=False, help_text=LIMIT_HELP
    )
    storage_policies = forms.MultipleChoiceField(
        label="Storage policies", required=False, widget=forms.CheckboxSelectMultiple
    )
    vm_classes = forms.MultipleChoiceField(
        label="VM classes", required=False, widget=forms.CheckboxSelectMultiple
    )
    content_libraries = forms.MultipleChoiceField(
        label="Content libraries", required=False, widget=forms.CheckboxSelectMultiple
    )
    users = forms.CharField(
        label="Users",
        required=False,
        help_text="SSO users allowed to create namespaces, separated by commas "
        "(e.g. dana@vsphere.local).",
    )
    groups = forms.CharField(
        label="Groups",
        required=False,
        help_text="SSO groups of vsphere.local whose members may create namespaces.",
    )

    def __init__(self, *args, choices: dict[str, list], editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name, options in choices.items():
            self.fields[name].choices = options
        if editing:  # the template keeps its name
            self.fields["template"].disabled = True

    @classmethod
    def initial_for(cls, template: NamespaceSelfService | None, sup: Supervisor) -> dict:
        if template is None:
            return {"template": f"{sup.name}-template"[:63]}
        users = [p for p in template.permissions if p["subject_type"] == "USER"]
        return {
            "template": template.template,
            "cpu_limit": template.cpu_limit_mhz,
            "memory_limit": template.memory_limit_mib,
            "storage_limit": template.storage_limit_mib,
            "storage_policies": [s["policy"] for s in template.storage_specs],
            "vm_classes": [c.name for c in template.vm_classes.all()],
            "content_libraries": [str(lib.library_id) for lib in template.content_libraries.all()],
            "users": ", ".join(f"{p['subject']}@{p['domain']}" for p in users),
            "groups": ", ".join(
                p["subject"] for p in template.permissions if p["subject_type"] == "GROUP"
            ),
        }

    def spec(self) -> dict:
        """The template spec the services take (workloads.services.self_service)."""
        data = self.cleaned_data
        users, groups = _names(data["users"]), _names(data["groups"])
        return {
            "resource_spec": {
                "cpu_limit": data["cpu_limit"],
                "memory_limit": data["memory_limit"],
                "storage_request_limit": data["storage_limit"],
            },
            "storage_specs": [{"policy": p, "limit": None} for p in data["storage_policies"]],
            "permissions": [{"subject_type": "USER", "subject": u, "domain": ""} for u in users]
            + [{"subject_type": "GROUP", "subject": g, "domain": ""} for g in groups],
            "vm_service_spec": {
                "vm_classes": data["vm_classes"],
                "content_libraries": data["content_libraries"],
            },
        }

    def add_service_errors(self, error: DomainError) -> None:
        """The service's field errors at the fields they are about."""
        users = len(_names(self.cleaned_data.get("users", "")))
        for f in error.fields or ():
            self.add_error(self._field(f.path, users), f.text())
        if not error.fields:
            self.add_error(None, error.message)

    @staticmethod
    def _field(path: str, users: int) -> str | None:
        if path.startswith("resource_spec."):
            return {
                "cpu_limit": "cpu_limit",
                "memory_limit": "memory_limit",
                "storage_request_limit": "storage_limit",
            }.get(path.partition(".")[2])
        if path.startswith("storage_specs"):
            return "storage_policies"
        if path.startswith("permissions["):
            index = int(re.match(r"permissions\[(\d+)\]", path).group(1))
            return "users" if index < users else "groups"
        if path.startswith("vm_service_spec."):
            return path.partition(".")[2]
        return "template" if path == "template" else None


class SelfServiceNamespaceForm(forms.Form):
    """A developer's New Namespace: a name, and the Supervisor when more than one allows them."""

    supervisor = forms.ChoiceField(label="Supervisor")
    name = forms.CharField(
        label="Name",
        max_length=63,
        help_text="Lowercase letters, digits and '-', up to 63 characters; unique in this "
        "vCenter Server.",
    )

    def __init__(self, *args, templates: list[NamespaceSelfService], **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = {str(t.supervisor.supervisor_id): t for t in templates}
        self.fields["supervisor"].choices = [
            (key, t.supervisor.name) for key, t in self.templates.items()
        ]
        if len(templates) == 1:
            self.fields["supervisor"].initial = next(iter(self.templates))

    @property
    def chosen(self) -> Supervisor:
        return self.templates[self.cleaned_data["supervisor"]].supervisor

    def add_service_errors(self, error: DomainError) -> None:
        for f in error.fields or ():
            self.add_error("name" if f.path == "name" else None, f.text())
        if not error.fields:
            self.add_error(None, error.message)
