"""Certificates of a VKS cluster: its own CA (made with the infrastructure, as Cluster API's
`<cluster>-ca` secret), and admin client certificates signed by it for kubeconfigs."""

from __future__ import annotations

from datetime import datetime

from cryptography.x509.oid import ExtendedKeyUsageOID

from vksportal import pki
from vksportal.pki import ca_certificate

__all__ = ["ca_certificate", "client_certificate", "new_ca"]

CLIENT_YEARS = 1


def new_ca(*, now: datetime) -> str:
    """A self-signed CA named `kubernetes`, as kubeadm makes it: certificate then key, PEM."""
    return pki.new_ca(pki.name("kubernetes"), now=now)


def client_certificate(bundle: str, *, user: str, now: datetime) -> tuple[str, str]:
    """An admin client certificate (O=system:masters) signed by the cluster CA: (cert, key)."""
    return pki.issue(
        bundle,
        pki.name(user, "system:masters"),
        now=now,
        days=365 * CLIENT_YEARS,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
