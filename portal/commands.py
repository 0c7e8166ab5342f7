"""The shell commands of the Connect page and of the Kubernetes CLI Tools page (kubeapi.cli_tools),
as plain text (the pages show them in <pre> blocks and copy them as shown). They do what
`kubectl vsphere login` does, against this application's one HTTPS port and with its own CA;
the vSphere Plugin for kubectl cannot log in here (it calls port 443)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from django.urls import reverse

from kubeapi import endpoints

CA_FILENAME = "vks-portal-ca.crt"


@dataclass(frozen=True)
class Endpoint:
    """Where the user connects: this application's HTTPS address, as a Supervisor's."""

    host: str  # the Supervisor context's name
    base: str  # https://host:port
    login_url: str
    ca_url: str
    username: str
    # The CA's PEM when the page came over HTTPS: curl could not fetch it from there before
    # trusting it, so the commands carry it (over HTTP they download it).
    ca_pem: str = ""

    @property
    def user(self) -> str:
        return shlex.quote(self.username)

    @property
    def wcp_user(self) -> str:
        return shlex.quote(f"wcp:{self.host}:{self.username}")


def endpoint_for(request) -> Endpoint:
    """Where the requesting user connects. Over HTTPS the commands carry the CA (curl cannot
    fetch it from an address it does not trust yet); over HTTP they download it."""
    base = endpoints.https_base(request)
    return Endpoint(
        host=endpoints.https_host(request),
        base=base,
        login_url=base + reverse("wcp:login"),
        ca_url=request.build_absolute_uri(reverse("wcp:ca-certificate")),
        username=request.user.get_username(),
        ca_pem=endpoints.ca_pem() if request.is_secure() else "",
    )


def _save_ca(e: Endpoint) -> str:
    if e.ca_pem:
        return f"cat > {CA_FILENAME} <<'EOF'\n{e.ca_pem.strip()}\nEOF"
    return f"curl -fsS -o {CA_FILENAME} {e.ca_url}"


def supervisor_login(e: Endpoint) -> str:
    return "\n".join(
        [
            _save_ca(e),
            f"TOKEN=$(curl -fsS --cacert {CA_FILENAME} -u {e.user} -X POST {e.login_url}"
            " | jq -r .session_id)",
            f"kubectl config set-cluster {e.host} --server={e.base}"
            f" --certificate-authority={CA_FILENAME} --embed-certs",
            f'kubectl config set-credentials {e.wcp_user} --token="$TOKEN"',
            f"kubectl config set-context {e.host} --cluster={e.host} --user={e.wcp_user}",
            f"kubectl config use-context {e.host}",
            "kubectl get ns",
        ]
    )


def namespace_context(e: Endpoint, namespace: str) -> str:
    return "\n".join(
        [
            f"kubectl config set-context {namespace} --cluster={e.host} --user={e.wcp_user}"
            f" --namespace={namespace}",
            f"kubectl config use-context {namespace}",
            "kubectl get clusters",
        ]
    )


def cluster_login(e: Endpoint, namespace: str, cluster: str, vip: str) -> str:
    """`kubectl vsphere login --tanzu-kubernetes-cluster-name`: a token for this cluster only,
    its API server and CA; the context is named after the cluster, its cluster entry by VIP."""
    body = shlex.quote(
        json.dumps({"guest_cluster_name": cluster, "guest_cluster_namespace": namespace})
    )
    user = shlex.quote(f"wcp:{vip}:{e.username}")
    field = 'echo "$LOGIN" | jq -r'
    return "\n".join(
        [
            f"LOGIN=$(curl -fsS --cacert {CA_FILENAME} -u {e.user} -X POST"
            f" -H 'Content-Type: application/json' -d {body} {e.login_url})",
            f"{field} .guest_cluster_ca | base64 -d > {cluster}-ca.crt",
            f'kubectl config set-cluster {vip} --server="$({field} .guest_cluster_server)"'
            f" --certificate-authority={cluster}-ca.crt --embed-certs",
            f'kubectl config set-credentials {user} --token="$({field} .session_id)"',
            f"kubectl config set-context {cluster} --cluster={vip} --user={user}",
            f"kubectl config use-context {cluster}",
            "kubectl get nodes",
        ]
    )
