"""A VKS cluster's admin kubeconfig, as Cluster API writes it into `<cluster>-kubeconfig`:
cluster `<cluster>`, user `<cluster>-admin`, context `<cluster>-admin@<cluster>`, server
`https://<endpoint>:6443`, the cluster CA and a client certificate it signed."""

from __future__ import annotations

import base64
from datetime import datetime

import yaml

from workloads import pki
from workloads.models import VksCluster

API_PORT = 6443


def _b64(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


def kubeconfig(cluster: VksCluster, *, now: datetime) -> str:
    """The YAML text; a fresh client certificate each time, as `kubectl vsphere login` does."""
    user = f"{cluster.name}-admin"
    context = f"{user}@{cluster.name}"
    cert, key = pki.client_certificate(
        cluster.certificate_authority, user="kubernetes-admin", now=now
    )
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster.name,
                "cluster": {
                    "certificate-authority-data": _b64(
                        pki.ca_certificate(cluster.certificate_authority)
                    ),
                    "server": f"https://{cluster.api_endpoint}:{API_PORT}",
                },
            }
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)},
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": cluster.name, "user": user}}],
        "current-context": context,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)
