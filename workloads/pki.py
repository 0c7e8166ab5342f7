"""Certificates of a VKS cluster: its own CA, made with the infrastructure, as Cluster API's
`<cluster>-ca` secret. (Its kubeconfig trusts this application's CA: workloads.kubeconfig.)"""

from __future__ import annotations

from datetime import datetime

from vksportal import pki
from vksportal.pki import ca_certificate

__all__ = ["ca_certificate", "new_ca"]


def new_ca(*, now: datetime) -> str:
    """A self-signed CA named `kubernetes`, as kubeadm makes it: certificate then key, PEM."""
    return pki.new_ca(pki.name("kubernetes"), now=now)
