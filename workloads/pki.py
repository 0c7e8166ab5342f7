"""Certificates of a VKS cluster: its own CA (made with the infrastructure, as Cluster API's
`<cluster>-ca` secret), and admin client certificates signed by it for kubeconfigs."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_YEARS = 10
CLIENT_YEARS = 1


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        parts.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(parts)


def _key_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def new_ca(*, now: datetime) -> str:
    """A self-signed CA named `kubernetes`, as kubeadm makes it: certificate then key, PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("kubernetes")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode() + _key_pem(key)


def ca_certificate(bundle: str) -> str:
    """The certificate part of a CA bundle (what kubeconfig's certificate-authority-data holds)."""
    end = "-----END CERTIFICATE-----"
    return bundle[: bundle.index(end) + len(end)] + "\n"


def client_certificate(bundle: str, *, user: str, now: datetime) -> tuple[str, str]:
    """An admin client certificate (O=system:masters) signed by the cluster CA: (cert, key)."""
    ca_cert = x509.load_pem_x509_certificate(ca_certificate(bundle).encode())
    ca_key = serialization.load_pem_private_key(
        bundle[bundle.index("-----BEGIN PRIVATE KEY-----") :].encode(), password=None
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(user, "system:masters"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CLIENT_YEARS))
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), _key_pem(key)
