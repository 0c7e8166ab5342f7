"""Which API server a request is for, and what that server's rules are: the Supervisor's
(namespaces are vSphere Namespaces the user holds a role in) or a VKS cluster's (read-only,
opened by a token for that cluster while its namespace is still the user's)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.http import Http404, HttpRequest
from django.utils import timezone

from kubeapi import tokens
from kubeapi.http import KubeError, authenticate
from kubeapi.surface import Context, ResourceType, Surface
from vksportal.errors import DomainError


@cache
def supervisor_surface() -> Surface:
    from kubeapi import clusters, reviews, supervisor

    surface = Surface("supervisor", git_version=SUPERVISOR_VERSION, preferred=supervisor.PREFERRED)
    surface.add(*clusters.TYPES, *supervisor.TYPES)
    surface.add(*reviews.types(surface))
    return surface


SUPERVISOR_VERSION = "v1.30.10+vmware.1-fips"  # a vSphere 8.0 U3 Supervisor's


@dataclass
class Scope:
    surface: Surface
    audience: str
    base_path: str = ""
    cluster: object = None
    change_prefix: str = ""

    def context(self, request: HttpRequest) -> Context:
        """Who asks: a 401 without valid credentials for this API server."""
        cached = getattr(request, "_kube_context", None)
        if cached is not None:
            return cached
        user = authenticate(request, self.audience)
        if self.cluster is not None and not guest_may_access(user, self.cluster):
            raise KubeError.unauthorized()  # the token outlived the user's role
        ctx = Context(
            user=user,
            now=timezone.now(),
            cluster=self.cluster,
            base_path=self.base_path,
            request=request,
        )
        request._kube_context = ctx
        return ctx

    def check_namespace(self, ctx: Context, namespace: str) -> None:
        """On the Supervisor a namespace the user holds no role in does not exist for them."""
        if self.cluster is not None:
            return
        from workloads import selectors

        try:
            selectors.namespace_get(ctx.user, namespace)
        except Http404:
            raise KubeError.namespace_not_found(namespace) from None

    def change_key(self, resource: ResourceType) -> str:
        return f"{self.change_prefix}{resource.changes_from or resource.qualified}"

    def write_refusal(self, ctx: Context, verb: str, resource: ResourceType, name: str, namespace):
        if self.cluster is not None:
            from kubeapi.guest import WRITE_FORBIDDEN_MESSAGE

            return KubeError(
                403, "Forbidden", WRITE_FORBIDDEN_MESSAGE, resource.details(name or None)
            )
        return KubeError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )

    def domain_error(self, error: DomainError, resource: ResourceType, name: str) -> KubeError:
        from kubeapi.status import status_for

        code, body = status_for(
            error, kind=resource.kind, group=resource.group, plural=resource.plural, name=name
        )
        return KubeError(code, body["reason"], body["message"], body.get("details"))


def supervisor_scope(request: HttpRequest) -> Scope:
    return Scope(supervisor_surface(), tokens.SUPERVISOR_AUDIENCE)


def guest_may_access(user, cluster) -> bool:
    from kubeapi.guest import guest_may_access as may

    return may(user, cluster)


def guest_scope(request: HttpRequest, namespace: str, name: str) -> Scope:
    """A VKS cluster's API. Its token's audience names the cluster, so the cluster is found
    first; one that does not exist is the same 401 as a bad token, so names do not leak."""
    from kubeapi import reviews
    from kubeapi.guest import surface_for
    from workloads.models import VksCluster

    cluster = (
        VksCluster.objects.select_related("namespace")
        .filter(namespace__name=namespace, name=name, deletion_requested_at__isnull=True)
        .first()
    )
    if cluster is None:
        raise KubeError.unauthorized()
    surface = surface_for(cluster)  # a new one each time: the reviews answer for it
    surface.add(*reviews.types(surface))
    return Scope(
        surface,
        tokens.cluster_audience(cluster),
        base_path=f"/vks/{namespace}/{name}",
        cluster=cluster,
        change_prefix=f"vks/{cluster.pk}/",
    )
