"""The Automation API subset for Workload Management. Thin: parse with an input serializer, call
one selector and one service (or `apply` for a whole spec), answer with an output serializer.
Permission rules are the services' and selectors' (a namespace without a role in it is 404)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.errors import ErrorSerializer
from workloads import selectors, services
from workloads.api import apply
from workloads.api import serializers as s
from workloads.selectors import api as api_selectors

ERROR = OpenApiResponse(ErrorSerializer, description="vAPI error")
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}
DONE = OpenApiResponse(description="Done; no body.")

# The services' field names as the API names them, for field-level error messages.
NAMESPACE_FIELDS = {
    "name": "namespace",
    "cpu_limit_mhz": "resource_spec.cpu_limit",
    "memory_limit_mib": "resource_spec.memory_limit",
    "storage_limit_mib": "resource_spec.storage_request_limit",
    "policies": "storage_specs",
    "limit.": "storage_specs[{}].limit",
    "vm_classes": "vm_service_spec.vm_classes",
    "content_libraries": "vm_service_spec.content_libraries",
    "subject_type": "access_list.subject_type",
    "subject": "access_list.subject",
    "role": "access_list.role",
}
ACCESS_FIELDS = {"subject_type": "type"}


def parse(serializer_class: type[serializers.Serializer], data) -> dict:
    """Validated input, or a 400 INVALID_ARGUMENT naming each wrong field."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def done() -> Response:
    return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- namespaces


class NamespaceListView(APIView):
    """`/api/vcenter/namespaces/instances`: keyed by the Supervisor's cluster (7.0 style)."""

    spec_fields = NAMESPACE_FIELDS
    summary_serializer: type[serializers.Serializer] = s.NamespaceSummarySerializer
    create_serializer: type[serializers.Serializer] = s.NamespaceCreateSpecSerializer

    def supervisor_of(self, spec: dict):
        return api_selectors.supervisor_for_cluster(spec["cluster"])

    @extend_schema(
        operation_id="namespaces_list",
        responses={200: s.NamespaceSummarySerializer(many=True), **ERRORS},
    )
    def get(self, request):
        rows = api_selectors.namespace_summaries(request.user)
        return Response(self.summary_serializer(rows, many=True).data)

    @extend_schema(
        operation_id="namespaces_create",
        request=s.NamespaceCreateSpecSerializer,
        responses={204: DONE, **ERRORS},
    )
    def post(self, request):
        spec = parse(self.create_serializer, request.data)
        apply.namespace_create_from_spec(
            supervisor=self.supervisor_of(spec), spec=spec, user=request.user
        )
        return done()


class NamespaceListV2View(NamespaceListView):
    """`/api/vcenter/namespaces/instances/v2`: keyed by the Supervisor."""

    summary_serializer = s.NamespaceSummaryV2Serializer
    create_serializer = s.NamespaceCreateSpecV2Serializer

    def supervisor_of(self, spec: dict):
        return api_selectors.supervisor_by_id(spec["supervisor"])

    @extend_schema(
        operation_id="namespaces_list_v2",
        responses={200: s.NamespaceSummaryV2Serializer(many=True), **ERRORS},
    )
    def get(self, request):
        return super().get(request)

    @extend_schema(
        operation_id="namespaces_create_v2",
        request=s.NamespaceCreateSpecV2Serializer,
        responses={204: DONE, **ERRORS},
    )
    def post(self, request):
        return super().post(request)


class NamespaceDetailView(APIView):
    spec_fields = NAMESPACE_FIELDS
    info_serializer: type[serializers.Serializer] = s.NamespaceInfoSerializer

    @extend_schema(
        operation_id="namespaces_get", responses={200: s.NamespaceInfoSerializer, **ERRORS}
    )
    def get(self, request, namespace: str):
        ns = api_selectors.namespace_info(request.user, namespace)
        return Response(self.info_serializer(ns).data)

    @extend_schema(
        operation_id="namespaces_update",
        request=s.NamespaceUpdateSpecSerializer,
        responses={204: DONE, **ERRORS},
    )
    def patch(self, request, namespace: str):
        ns = selectors.namespace_get(request.user, namespace)
        spec = parse(s.NamespaceUpdateSpecSerializer, request.data)
        apply.namespace_update_from_spec(namespace=ns, spec=spec, user=request.user)
        return done()

    @extend_schema(operation_id="namespaces_delete", responses={204: DONE, **ERRORS})
    def delete(self, request, namespace: str):
        ns = selectors.namespace_get(request.user, namespace)
        services.namespace_delete(namespace=ns, user=request.user)
        return done()


class NamespaceDetailV2View(NamespaceDetailView):
    info_serializer = s.NamespaceInfoV2Serializer

    @extend_schema(
        operation_id="namespaces_get_v2", responses={200: s.NamespaceInfoV2Serializer, **ERRORS}
    )
    def get(self, request, namespace: str):
        return super().get(request, namespace)

    @extend_schema(
        operation_id="namespaces_update_v2",
        request=s.NamespaceUpdateSpecSerializer,
        responses={204: DONE, **ERRORS},
    )
    def patch(self, request, namespace: str):
        return super().patch(request, namespace)

    @extend_schema(operation_id="namespaces_delete_v2", responses={204: DONE, **ERRORS})
    def delete(self, request, namespace: str):
        return super().delete(request, namespace)


class NamespaceAccessView(APIView):
    """`.../instances/{namespace}/access/{domain}/{subject}?type=USER|GROUP`."""

    spec_fields = ACCESS_FIELDS

    def _subject(self, request, namespace: str, domain: str, subject: str) -> dict:
        ns = selectors.namespace_get(request.user, namespace)  # 404 without a role in it
        query = parse(s.AccessQuerySerializer, request.query_params)
        return {
            "namespace": ns,
            "subject_type": query["type"],
            "domain": domain,
            "subject": subject,
        }

    @extend_schema(
        operation_id="namespaces_access_get",
        parameters=[s.AccessQuerySerializer],
        responses={200: s.AccessInfoSerializer, **ERRORS},
    )
    def get(self, request, namespace: str, domain: str, subject: str):
        entry = api_selectors.namespace_access_entry(
            **self._subject(request, namespace, domain, subject)
        )
        return Response(s.AccessInfoSerializer({"role": entry.role, "inherited": False}).data)

    @extend_schema(
        operation_id="namespaces_access_create",
        parameters=[s.AccessQuerySerializer],
        request=s.AccessRoleSerializer,
        responses={204: DONE, **ERRORS},
    )
    def post(self, request, namespace: str, domain: str, subject: str):
        who = self._subject(request, namespace, domain, subject)
        role = parse(s.AccessRoleSerializer, request.data)["role"]
        services.namespace_access_add(**who, role=role, user=request.user)
        return done()

    @extend_schema(
        operation_id="namespaces_access_set",
        parameters=[s.AccessQuerySerializer],
        request=s.AccessRoleSerializer,
        responses={204: DONE, **ERRORS},
    )
    def put(self, request, namespace: str, domain: str, subject: str):
        who = self._subject(request, namespace, domain, subject)
        role = parse(s.AccessRoleSerializer, request.data)["role"]
        services.namespace_access_set(**who, role=role, user=request.user)
        return done()

    @extend_schema(
        operation_id="namespaces_access_delete",
        parameters=[s.AccessQuerySerializer],
        responses={204: DONE, **ERRORS},
    )
    def delete(self, request, namespace: str, domain: str, subject: str):
        who = self._subject(request, namespace, domain, subject)
        entry = api_selectors.namespace_access_entry(**who)
        services.namespace_access_remove(
            namespace=who["namespace"], entry_id=entry.pk, user=request.user
        )
        return done()
