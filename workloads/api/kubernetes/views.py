"""The views: thin, as the rest of the API. Each finds the namespace (404 without a role), reads
the manifest, calls one service and answers with the cluster's document."""

from __future__ import annotations

import yaml
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from vksportal.untrusted import clip
from workloads import selectors
from workloads.access import Role, require_role
from workloads.api.kubernetes.documents import (
    KUBECONFIG_SUFFIX,
    ManifestJsonParser,
    ManifestParser,
    ManifestXYamlParser,
    cluster_list,
    cluster_object,
    document_of,
    generation_of,
    kubeconfig_secret,
    metadata_of,
)
from workloads.api.kubernetes.schema import (
    MANIFEST,
    READ_ERRORS,
    STATUS,
    WRITE_ERRORS,
    ClusterListSerializer,
    ClusterObjectSerializer,
    KubernetesSchema,
    SecretSerializer,
)
from workloads.api.kubernetes.status import (
    CLUSTERS,
    NAMESPACES,
    SECRETS,
    TKCS,
    Resource,
    StatusError,
)
from workloads.manifests import parse_manifest
from workloads.models import Namespace, VksCluster
from workloads.selectors import api as api_selectors
from workloads.services.clusters import (
    cluster_create_from_manifest,
    cluster_delete,
    cluster_update_from_manifest,
)


class KubernetesView(APIView):
    """Shared by every Kubernetes-style view: Status errors, manifest bodies, the names."""

    status_errors = True  # workloads.api.errors: answer with Status bodies
    parser_classes = [ManifestJsonParser, ManifestParser, ManifestXYamlParser]
    schema = KubernetesSchema()
    resource: Resource = CLUSTERS
    operations: dict[str, str] = {}  # HTTP method -> the API server's verb
    object_name = ""  # the object a request is about, for error details

    def forbidden_message(self, request) -> str:
        """The API server's words when RBAC refuses (Supervisor SSO users carry `sso:`)."""
        resource, name = self.resource, clip(self.object_name or self.kwargs.get("name", ""))
        verb = self.operations.get(request.method, "get").replace("read", "get")
        verb = {"replace": "update"}.get(verb, verb)
        what = f'{resource.qualified} "{name}"' if name else resource.qualified
        where = clip(self.kwargs.get("namespace") or "")
        return (
            f'{what} is forbidden: User "sso:{request.user.get_username()}" cannot {verb} '
            f'resource "{resource.plural}" in API group "{resource.group}"'
            + (f' in the namespace "{where}"' if where else " at the cluster scope")
        )

    def namespace(self, request, name: str) -> Namespace:
        """The namespace, if the caller holds a role in it; else `namespaces "x" not found`."""
        try:
            return selectors.namespace_get(request.user, name)
        except Http404:
            raise StatusError.not_found(NAMESPACES, name) from None

    def cluster(self, namespace: Namespace, name: str) -> VksCluster:
        """The cluster `name` of this view's kind: one of the other kind is not found here, as
        the two are different resources to the API server."""
        self.object_name = name
        found = selectors.cluster_find(namespace, name)
        if found is None or found.kind != self.resource.kind:
            raise StatusError.not_found(self.resource, name)
        return found

    def manifest_text(self, request, namespace: Namespace, *, name: str | None = None) -> str:
        """The body, checked as the API server decodes it: apiVersion and kind (filled from the
        URL when left out), the namespace, and for a PUT the name. 400 when they disagree."""
        text = request.data if isinstance(request.data, str) else ""
        document = document_of(text)
        if document is None:
            return text  # parse_manifest says why
        metadata = metadata_of(document)
        if isinstance(metadata.get("name"), str):
            self.object_name = metadata["name"]
        resource = self.resource
        given_version, given_kind = document.get("apiVersion"), document.get("kind")
        if given_version and given_version != resource.api_version:
            raise StatusError.bad_request(
                f"the API version in the data ({given_version}) does not match the expected "
                f"API version ({resource.api_version})"
            )
        if given_kind and given_kind != resource.kind:
            raise StatusError.bad_request(
                f"the kind in the data ({given_kind}) does not match the expected kind "
                f"({resource.kind})"
            )
        given_namespace = metadata.get("namespace")
        if given_namespace and given_namespace != namespace.name:
            raise StatusError.bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        if name is not None and metadata.get("name") and metadata["name"] != name:
            raise StatusError.bad_request(
                f"the name of the object ({metadata['name']}) does not match the name on the "
                f"URL ({name})"
            )
        if given_version and given_kind and (name is None or metadata.get("name")):
            return text
        # Left out: the URL says which (the API server decodes with the URL's defaults).
        document = {"apiVersion": resource.api_version, "kind": resource.kind, **document}
        if name is not None and not metadata.get("name"):
            if isinstance(document.get("metadata", {}), dict):  # else parse_manifest says so
                document["metadata"] = {**metadata, "name": name}
        return yaml.safe_dump(document, sort_keys=False)


class ClusterCollectionView(KubernetesView):
    """`.../namespaces/{namespace}/clusters`: list, create."""

    operations = {"GET": "list", "POST": "create"}

    @extend_schema(responses={200: ClusterListSerializer, **READ_ERRORS})
    def get(self, request, namespace: str):
        ns = self.namespace(request, namespace)
        clusters = api_selectors.cluster_objects(
            request.user, kind=self.resource.kind, namespace=ns
        )
        return Response(cluster_list(self.resource, clusters))

    @extend_schema(request=MANIFEST, responses={201: ClusterObjectSerializer, **WRITE_ERRORS})
    def post(self, request, namespace: str):
        ns = self.namespace(request, namespace)
        require_role(request.user, ns, Role.EDIT)  # RBAC before the body, as the API server
        text = self.manifest_text(request, ns)
        manifest = parse_manifest(text, namespace_name=ns.name)
        self.object_name = manifest.name
        cluster = cluster_create_from_manifest(namespace=ns, manifest=manifest, user=request.user)
        return Response(cluster_object(cluster, nodes=[]), status=status.HTTP_201_CREATED)


class ClusterView(KubernetesView):
    """`.../namespaces/{namespace}/clusters/{name}`: read, replace, delete."""

    operations = {"GET": "read", "PUT": "replace", "DELETE": "delete"}

    @extend_schema(responses={200: ClusterObjectSerializer, **READ_ERRORS})
    def get(self, request, namespace: str, name: str):
        cluster = self.cluster(self.namespace(request, namespace), name)
        return Response(cluster_object(cluster))

    @extend_schema(request=MANIFEST, responses={200: ClusterObjectSerializer, **WRITE_ERRORS})
    def put(self, request, namespace: str, name: str):
        ns = self.namespace(request, namespace)
        require_role(request.user, ns, Role.EDIT)
        cluster = self.cluster(ns, name)
        text = self.manifest_text(request, ns, name=name)
        manifest = parse_manifest(text, namespace_name=ns.name)
        updated = cluster_update_from_manifest(
            cluster=cluster,
            manifest=manifest,
            generation=generation_of(metadata_of(document_of(text))),
            user=request.user,
        )
        return Response(cluster_object(updated))

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        description="DeleteOptions may carry `preconditions.resourceVersion`.",
        responses={200: ClusterObjectSerializer, **WRITE_ERRORS},
    )
    def delete(self, request, namespace: str, name: str):
        cluster = self.cluster(self.namespace(request, namespace), name)
        options = document_of(request.data) if isinstance(request.data, str) else None
        preconditions = (options or {}).get("preconditions")
        generation = generation_of(preconditions) if isinstance(preconditions, dict) else None
        deleted = cluster_delete(cluster=cluster, user=request.user, generation=generation)
        return Response(cluster_object(deleted))


class ClusterAllNamespacesView(KubernetesView):
    """`/apis/<group>/<version>/<resource>`: every namespace the caller may see."""

    operations = {"GET": "list"}

    @extend_schema(responses={200: ClusterListSerializer, 401: STATUS})
    def get(self, request):
        clusters = api_selectors.cluster_objects(request.user, kind=self.resource.kind)
        return Response(cluster_list(self.resource, clusters))


class TkcCollectionView(ClusterCollectionView):
    resource = TKCS


class TkcView(ClusterView):
    resource = TKCS


class TkcAllNamespacesView(ClusterAllNamespacesView):
    resource = TKCS


@method_decorator(never_cache, name="dispatch")  # credentials: Cache-Control: no-store
class KubeconfigSecretView(KubernetesView):
    """`/api/v1/namespaces/{namespace}/secrets/{name}-kubeconfig`: Can edit only (bound to
    cluster-admin in the cluster, as on a real Supervisor); Can view is refused (403). The
    Secret exists once the cluster's API endpoint does."""

    resource = SECRETS
    operations = {"GET": "read"}

    @extend_schema(responses={200: SecretSerializer, 401: STATUS, 403: STATUS, 404: STATUS})
    def get(self, request, namespace: str, name: str):
        ns = self.namespace(request, namespace)
        self.object_name = name
        require_role(request.user, ns, Role.EDIT)  # RBAC first: a Can view user learns nothing
        cluster_name = name.removesuffix(KUBECONFIG_SUFFIX)
        found = selectors.cluster_find(ns, cluster_name) if name != cluster_name else None
        if found is None or not found.api_endpoint or not found.certificate_authority:
            raise StatusError.not_found(SECRETS, name)
        return Response(kubeconfig_secret(found, user=request.user, request=request))


class StatusNotFoundView(KubernetesView):
    """Any other path under /apis/ or /api/v1/: the API server's 404 Status."""

    schema = None  # not an operation

    def _missing(self, request, *args, **kwargs):
        raise StatusError(404, "NotFound", "the server could not find the requested resource")

    get = post = put = patch = delete = _missing
