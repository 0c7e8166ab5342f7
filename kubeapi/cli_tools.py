"""The Kubernetes CLI Tools page (what a Supervisor serves at its address, and what "Link to CLI
Tools" on a namespace's Summary opens), with the downloads it offers: the local CA certificate
and the user's kubeconfig, as `kubectl vsphere login` would write it.

The vSphere Plugin for kubectl cannot log in here (it calls port 443 and writes
`https://<address>:6443`), so the page gives the curl and `kubectl config` commands that do
what it does against this application: those of the portal's Connect page (portal.commands).
`?namespace=` and `?cluster=` fill in the names; both list only what the user may see (a name
they may not see is a 404, as everywhere)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kubeapi import endpoints, tokens
from portal import commands
from workloads.access import namespaces_visible_to
from workloads.kubeconfig import user_kubeconfig
from workloads.models import Namespace, VksCluster

TEMPLATE = "kubeapi/cli_tools.html"
CA_FILENAME = commands.CA_FILENAME


@dataclass(frozen=True)
class Selection:
    """The namespaces the user may see, and the namespace and cluster the page is about."""

    namespaces: list[Namespace]
    namespace: Namespace | None
    clusters: list[VksCluster]  # the namespace's
    cluster: VksCluster | None

    @property
    def query(self) -> str:
        params = {}
        if self.namespace:
            params["namespace"] = self.namespace.name
        if self.cluster:
            params["cluster"] = self.cluster.name
        return f"?{urlencode(params)}" if params else ""


def selection(request) -> Selection:
    """Two queries: the visible namespaces, and the chosen namespace's clusters."""
    namespaces = list(namespaces_visible_to(request.user).order_by("name"))
    wanted, wanted_cluster = request.GET.get("namespace", ""), request.GET.get("cluster", "")
    namespace = next((ns for ns in namespaces if ns.name == wanted), None)
    if wanted and namespace is None:
        raise Http404("Namespace not found.")
    clusters = []
    if namespace is not None:
        clusters = list(VksCluster.objects.filter(namespace=namespace).order_by("name"))
        for c in clusters:
            c.namespace = namespace  # the server URL names it; no query per cluster
    cluster = next((c for c in clusters if c.name == wanted_cluster), None)
    if wanted_cluster and cluster is None:
        raise Http404("VKS cluster not found.")
    return Selection(namespaces, namespace, clusters, cluster)


@require_GET
@login_required
def cli_tools(request):
    """The same commands as the portal's Connect page (portal.commands), for the namespace and
    cluster chosen: over HTTPS they carry the CA, which curl could not fetch before trusting it."""
    chosen = selection(request)
    endpoint = commands.endpoint_for(request)
    ns, cluster = chosen.namespace, chosen.cluster
    context = {
        "selection": chosen,
        "endpoint": endpoint,
        "kubeconfig_url": reverse("wcp:kubeconfig") + chosen.query,
        "lifetime_hours": tokens.LIFETIME_SECONDS // 3600,
        "supervisor": commands.supervisor_login(endpoint),
        "namespace_commands": commands.namespace_context(endpoint, ns.name) if ns else "",
    }
    if cluster is not None and cluster.api_endpoint:
        context.update(
            cluster_server=endpoints.cluster_server(cluster, request),
            cluster_commands=commands.cluster_login(
                endpoint, ns.name, cluster.name, cluster.api_endpoint
            ),
        )
    return render(request, TEMPLATE, context)


@require_GET
def ca_certificate(request):
    """The local CA certificate, to everyone: it is public, as vCenter's `/certs/download.zip`,
    and `curl --cacert` needs it before anyone has logged in."""
    response = HttpResponse(endpoints.ca_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{CA_FILENAME}"'
    return response


@require_GET
@never_cache  # credentials: no browser or proxy keeps a copy
@login_required
def kubeconfig(request):
    """The user's kubeconfig: the Supervisor's and each visible namespace's contexts; with
    `?namespace=&cluster=` (a cluster with an API endpoint) also that cluster's, made current."""
    chosen = selection(request)
    cluster = chosen.cluster if chosen.cluster and chosen.cluster.api_endpoint else None
    text = user_kubeconfig(
        request.user, namespaces=chosen.namespaces, cluster=cluster, request=request
    )
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kubeconfig.yaml"'
    return response
