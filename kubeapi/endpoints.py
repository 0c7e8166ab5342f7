"""Where kubectl reaches this application: its HTTPS endpoint, the Supervisor's API at its root
and each VKS cluster's API under `/vks/<namespace>/<cluster>`, and the local CA that signed its
server certificate (vksportal.pki.local_tls, made by `make run` on first start).

A real Supervisor answers on its control-plane VIP and each VKS cluster on its own load balancer
VIP, port 6443. Those addresses are simulated here and nothing listens on them, so kubeconfigs
and `/wcp/login` name this application's own endpoint instead; the simulated VIPs stay on the
pages."""

from __future__ import annotations

from django.conf import settings
from django.http.request import split_domain_port

from vksportal.pki import local_tls


def https_host(request=None) -> str:
    """The host name the caller used to reach us (lower case, `[::1]` style for IPv6), else
    settings.VKS_HTTPS_HOST: whoever reached the HTTP port reaches the HTTPS one by the same
    name."""
    if request is not None:
        host, _ = split_domain_port(request.get_host())
        if host:
            return host
    return settings.VKS_HTTPS_HOST


def https_base(request=None) -> str:
    """`https://<host>:<port>`, no trailing slash. A request that came in over HTTPS already
    names the endpoint (its port, or a proxy's); otherwise the host it used and the HTTPS port
    `make run` serves."""
    if request is not None and request.is_secure():
        return f"https://{request.get_host()}"
    return f"https://{https_host(request)}:{settings.VKS_HTTPS_PORT}"


def supervisor_server(request=None) -> str:
    """The Supervisor's Kubernetes API server URL (`/api`, `/apis` at the root)."""
    return https_base(request)


def cluster_path(cluster) -> str:
    """Where a VKS cluster's API is mounted on the endpoint: `/vks/<namespace>/<cluster>`."""
    return f"/vks/{cluster.namespace.name}/{cluster.name}"


def cluster_server(cluster, request=None) -> str:
    """A VKS cluster's Kubernetes API server URL, as its kubeconfig names it."""
    return https_base(request) + cluster_path(cluster)


def ca_pem() -> str:
    """The PEM certificate of the local CA that signed the HTTPS server certificate: what a
    kubeconfig's `certificate-authority-data` and `--certificate-authority` trust. Made (with
    the server certificate) if this is the first start; never changes afterwards."""
    path = settings.VAR_DIR / "tls" / "ca.crt"
    if not path.exists():
        path = local_tls(settings.VAR_DIR / "tls")[0]
    return path.read_text()
