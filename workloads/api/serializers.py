"""Input and output shapes of the Automation API subset, field names exactly as the real API
(VKS-REFERENCE §1.3–1.5). Inputs check types and enum values only (a wrong one is a 400
INVALID_ARGUMENT); every rule lives in the services. Outputs leave out unset optional values, as
the `/api` endpoints of vCenter do."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.tasklog import SSO_DOMAIN
from workloads.models import Namespace, NamespaceAccess

SubjectType = NamespaceAccess.SubjectType
Role = NamespaceAccess.Role


@extend_schema_field(OpenApiTypes.STR)
class NameField(serializers.SlugRelatedField):
    """Related objects by name (or id): read-only, from a prefetched relation."""

    def __init__(self, slug_field: str = "name", **kwargs):
        super().__init__(slug_field=slug_field, read_only=True, **kwargs)


class Text(serializers.CharField):
    """A JSON string and nothing else (DRF's CharField would take `5` as "5")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class Integer(serializers.IntegerField):
    """A JSON integer and nothing else (DRF's IntegerField would take "5", 5.0 and true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def _without_unset(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None and v != ""}


class LocalizableMessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    default_message = serializers.CharField()
    args = serializers.ListField(child=serializers.CharField())


class MessageSerializer(serializers.Serializer):
    """A status message: `{"severity", "details": LocalizableMessage}`."""

    severity = serializers.ChoiceField(choices=["INFO", "WARNING", "ERROR"])
    details = LocalizableMessageSerializer()


# ---------------------------------------------------------------- namespaces (§1.4): output


class NamespaceStatsSerializer(serializers.Serializer):
    cpu_used = serializers.IntegerField(source="cpu_used_mhz", help_text="MHz")
    memory_used = serializers.IntegerField(source="memory_used_mib", help_text="MiB")
    storage_used = serializers.IntegerField(source="storage_used_mib", help_text="MiB")


class NamespaceSummaryBase(serializers.Serializer):
    namespace = serializers.CharField(source="name")
    description = serializers.CharField()
    config_status = serializers.ChoiceField(choices=Namespace.ConfigStatus.choices)
    stats = NamespaceStatsSerializer(source="*")
    self_service_namespace = serializers.SerializerMethodField()

    def get_self_service_namespace(self, ns) -> bool:
        return False  # namespace self-service is not simulated


class NamespaceSummarySerializer(NamespaceSummaryBase):
    """Namespaces.Instances.Summary: keyed by the Supervisor's cluster."""

    cluster = serializers.CharField(source="supervisor.cluster.moid")


class NamespaceSummaryV2Serializer(NamespaceSummaryBase):
    """Namespaces.Instances.SummaryV2: keyed by the Supervisor."""

    supervisor = serializers.UUIDField(source="supervisor.supervisor_id")


class ResourceSpecSerializer(serializers.Serializer):
    """ResourceQuotaOptionsV1, the parts simulated. Unset (or null) is unlimited."""

    cpu_limit = Integer(
        required=False, allow_null=True, help_text="MHz; the resource pool's CPU limit."
    )
    memory_limit = Integer(
        required=False, allow_null=True, help_text="MiB; the resource pool's memory limit."
    )
    storage_request_limit = Integer(
        required=False, allow_null=True, help_text="MiB, over all storage policies."
    )


class ResourceSpecOutSerializer(ResourceSpecSerializer):
    cpu_limit = serializers.IntegerField(source="cpu_limit_mhz", required=False)
    memory_limit = serializers.IntegerField(source="memory_limit_mib", required=False)
    storage_request_limit = serializers.IntegerField(source="storage_limit_mib", required=False)

    def to_representation(self, instance):
        return _without_unset(super().to_representation(instance))


class AccessSerializer(serializers.Serializer):
    """Namespaces.Instances.Access: one entry of the access list."""

    subject_type = serializers.ChoiceField(choices=SubjectType.values)
    subject = Text(help_text="User or group name, without the domain.")
    domain = Text(default=SSO_DOMAIN)
    role = serializers.ChoiceField(choices=Role.values)


class StorageSpecSerializer(serializers.Serializer):
    policy = Text(help_text="Storage policy ID.")
    limit = Integer(required=False, allow_null=True, help_text="MiB; unset is unlimited.")


class StorageSpecOutSerializer(StorageSpecSerializer):
    policy = serializers.CharField(source="policy.policy_id")
    limit = serializers.IntegerField(source="limit_mib", required=False)

    def to_representation(self, instance):
        return _without_unset(super().to_representation(instance))


class VmServiceSpecSerializer(serializers.Serializer):
    vm_classes = serializers.ListField(child=Text(), required=False, help_text="VM class ids.")
    content_libraries = serializers.ListField(
        child=Text(), required=False, help_text="Content library ids."
    )


class VmServiceSpecOutSerializer(serializers.Serializer):
    vm_classes = NameField(many=True)
    content_libraries = NameField(many=True, slug_field="library_id")


class CreatorSerializer(serializers.Serializer):
    subject = serializers.CharField()
    domain = serializers.CharField()


class NamespaceInfoBase(serializers.Serializer):
    config_status = serializers.ChoiceField(choices=Namespace.ConfigStatus.choices)
    messages = serializers.SerializerMethodField()
    stats = NamespaceStatsSerializer(source="*")
    description = serializers.CharField()
    resource_spec = ResourceSpecOutSerializer(source="*")
    access_list = AccessSerializer(source="access", many=True)
    storage_specs = StorageSpecOutSerializer(source="storage", many=True)
    vm_service_spec = VmServiceSpecOutSerializer(source="*")
    self_service_namespace = serializers.SerializerMethodField()
    creator = serializers.SerializerMethodField()

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, ns) -> list[dict]:
        """The error of its last task while the namespace is in ERROR."""
        task = ns.task
        if ns.config_status != Namespace.ConfigStatus.ERROR or task is None or not task.error:
            return []
        details = {"id": "com.vmware.wcp.namespace.error", "default_message": task.error}
        return [{"severity": "ERROR", "details": {**details, "args": []}}]

    def get_self_service_namespace(self, ns) -> bool:
        return False

    @extend_schema_field(CreatorSerializer(allow_null=True))
    def get_creator(self, ns) -> dict | None:
        domain, sep, subject = ns.creator.partition("\\")
        if not sep:
            return None
        return {"subject": subject, "domain": domain.lower()}


class NamespaceInfoSerializer(NamespaceInfoBase):
    """Namespaces.Instances.Info."""

    cluster = serializers.CharField(source="supervisor.cluster.moid")


class NamespaceInfoV2Serializer(NamespaceInfoBase):
    """Namespaces.Instances.InfoV2."""

    supervisor = serializers.UUIDField(source="supervisor.supervisor_id")


# ---------------------------------------------------------------- namespaces: input


class NamespaceUpdateSpecSerializer(serializers.Serializer):
    """Namespaces.Instances.UpdateSpec: only the parts given change. A list given replaces the
    current one; in `resource_spec` a limit left out stays and null is unlimited."""

    description = Text(required=False, allow_blank=True, allow_null=True)
    resource_spec = ResourceSpecSerializer(required=False, allow_null=True)
    # ListField, not many=True: DRF hands many=True's allow_null to each item as well, and a
    # list holding null is no list of specs.
    access_list = serializers.ListField(child=AccessSerializer(), required=False, allow_null=True)
    storage_specs = serializers.ListField(
        child=StorageSpecSerializer(), required=False, allow_null=True
    )
    vm_service_spec = VmServiceSpecSerializer(required=False, allow_null=True)


class NamespaceCreateSpecBase(NamespaceUpdateSpecSerializer):
    namespace = Text(
        help_text="DNS label: lowercase letters, digits and '-', at most 63 characters."
    )


class NamespaceCreateSpecSerializer(NamespaceCreateSpecBase):
    """Namespaces.Instances.CreateSpec."""

    cluster = Text(help_text="The Supervisor's cluster, e.g. domain-c8.")


class NamespaceCreateSpecV2Serializer(NamespaceCreateSpecBase):
    """Namespaces.Instances.CreateSpecV2."""

    supervisor = serializers.UUIDField()


class AccessQuerySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=SubjectType.values, help_text="USER or GROUP.")


class AccessRoleSerializer(serializers.Serializer):
    """Namespaces.Access.CreateSpec / SetSpec."""

    role = serializers.ChoiceField(choices=Role.values)


class AccessInfoSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.values)
    inherited = serializers.BooleanField()
