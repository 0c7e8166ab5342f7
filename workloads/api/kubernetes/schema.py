"""The OpenAPI description of the Kubernetes-style endpoints: the shapes of their bodies (for
the schema only: the views answer with `export_manifest`'s document as it is) and operation ids
as the API server's own OpenAPI names them."""

from __future__ import annotations

import re

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from workloads.api.kubernetes.status import REASONS, Resource


class StatusCauseSerializer(serializers.Serializer):
    reason = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField()


class StatusDetailsSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    group = serializers.CharField(required=False)
    kind = serializers.CharField(required=False)
    causes = StatusCauseSerializer(many=True, required=False)


class StatusSerializer(serializers.Serializer):
    """The API server's error body."""

    kind = serializers.CharField(default="Status")
    apiVersion = serializers.CharField(default="v1")
    metadata = serializers.DictField()
    status = serializers.CharField(default="Failure")
    message = serializers.CharField()
    reason = serializers.ChoiceField(choices=sorted(set(REASONS.values())))
    details = StatusDetailsSerializer()
    code = serializers.IntegerField()


class ObjectMetaSerializer(serializers.Serializer):
    name = serializers.CharField()
    namespace = serializers.CharField(required=False)
    annotations = serializers.DictField(child=serializers.CharField(), required=False)
    generation = serializers.IntegerField(required=False)
    resourceVersion = serializers.CharField(
        required=False, help_text="The generation; a PUT naming an older one is a 409 Conflict."
    )
    uid = serializers.CharField(read_only=True)
    creationTimestamp = serializers.CharField(read_only=True)
    # Not read_only, though it is: drf-spectacular marks every read-only field required, and a
    # live object has no deletionTimestamp. Sent in a body, it is ignored.
    deletionTimestamp = serializers.CharField(
        required=False, help_text="Read-only: set once the cluster is being deleted."
    )


class ClusterObjectSerializer(serializers.Serializer):
    """A Cluster or TanzuKubernetesCluster manifest (VKS-REFERENCE §2.1, §2.2)."""

    apiVersion = serializers.CharField(required=False, help_text="Left out: the URL's.")
    kind = serializers.CharField(required=False, help_text="Left out: the URL's.")
    metadata = ObjectMetaSerializer()
    spec = serializers.DictField()
    status = serializers.DictField(read_only=True)


class ListMetaSerializer(serializers.Serializer):
    resourceVersion = serializers.CharField()


class ClusterListSerializer(serializers.Serializer):
    apiVersion = serializers.CharField()
    kind = serializers.CharField()
    metadata = ListMetaSerializer()
    items = ClusterObjectSerializer(many=True)


class SecretMetaSerializer(serializers.Serializer):
    name = serializers.CharField()
    namespace = serializers.CharField()
    creationTimestamp = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    ownerReferences = serializers.ListField(child=serializers.DictField())


class SecretDataSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The kubeconfig, base64.")


class SecretSerializer(serializers.Serializer):
    apiVersion = serializers.CharField()
    kind = serializers.CharField()
    metadata = SecretMetaSerializer()
    type = serializers.CharField()
    data = SecretDataSerializer()


STATUS = OpenApiResponse(StatusSerializer, description="Status (Failure)")
READ_ERRORS = {401: STATUS, 404: STATUS}
WRITE_ERRORS = {400: STATUS, 401: STATUS, 403: STATUS, 404: STATUS, 409: STATUS, 422: STATUS}
MANIFEST = {"application/json": ClusterObjectSerializer, "application/yaml": OpenApiTypes.STR}


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[.\-/]", text) if part)


class KubernetesSchema(AutoSchema):
    """Operation ids as the API server's own OpenAPI names them, e.g.
    `listClusterXK8sIoV1beta1NamespacedCluster`, `readCoreV1NamespacedSecret`."""

    def get_operation_id(self):
        view = self.view
        verb = view.operations[self.method]
        resource: Resource = view.resource
        group = _camel(resource.group) or "Core"
        scope = "Namespaced" if "namespace" in self.path else ""
        suffix = "ForAllNamespaces" if not scope else ""
        return f"{verb}{group}{_camel(resource.version)}{scope}{resource.kind}{suffix}"

    def get_tags(self):
        resource: Resource = self.view.resource
        return [f"{resource.group or 'core'}/{resource.version}"]
