"""X.509 for the portal: self-signed CAs and certificates they sign (PEM strings), and the local CA
and server certificate `make run` serves HTTPS with, made once under VKS_VAR_DIR/tls/."""

from __future__ import annotations

import fcntl
import ipaddress
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_YEARS = 10
# Browsers refuse server certificates valid for more than 398 days (CA/Browser Forum baseline).
SERVER_DAYS = 397
BEGIN_KEY = "-----BEGIN PRIVATE KEY-----"


def name(common_name: str, organization: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        parts.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(parts)


def key_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def new_ca(subject: x509.Name, *, now: datetime) -> str:
    """A self-signed CA: certificate then key, PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert_pem(cert) + key_pem(key)


def ca_certificate(bundle: str) -> str:
    """The certificate part of a CA bundle."""
    end = "-----END CERTIFICATE-----"
    return bundle[: bundle.index(end) + len(end)] + "\n"


def issue(
    bundle: str,
    subject: x509.Name,
    *,
    now: datetime,
    days: int,
    usage: x509.ObjectIdentifier,
    names: tuple[x509.GeneralName, ...] = (),
) -> tuple[str, str]:
    """A leaf certificate for a new key, signed by the CA in `bundle`: (cert, key), PEM."""
    ca_cert = x509.load_pem_x509_certificate(ca_certificate(bundle).encode())
    ca_key = serialization.load_pem_private_key(
        bundle[bundle.index(BEGIN_KEY) :].encode(), password=None
    )
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
            critical=False,
        )
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
    return cert_pem(builder.sign(ca_key, hashes.SHA256())), key_pem(key)


# ---------------------------------------------------------------- the portal's own HTTPS endpoint


def server_names() -> list[str]:
    """What the server certificate covers: loopback by address and name, and this host's name."""
    names = ["127.0.0.1", "::1", "localhost"]
    for host in (socket.gethostname(), socket.getfqdn()):
        if host and host not in names:
            names.append(host)
    return names


def _san(value: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def _write(path: Path, text: str, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)  # never a half-written file for the next start to read


def local_tls(directory: Path) -> tuple[Path, Path, Path]:
    """The local CA and a server certificate it signed, made on first call and kept: (CA
    certificate, server certificate chain, server key). A new server certificate is issued when
    the host's names change or it is within 30 days of expiry; the CA stays, so a browser or
    kubeconfig that trusts it keeps working."""
    directory.mkdir(parents=True, exist_ok=True)
    # Two stacks starting at once on one folder must not make two CAs.
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _local_tls(directory)


def _local_tls(directory: Path) -> tuple[Path, Path, Path]:
    ca_path, cert_path, key_path = (
        directory / "ca.crt",
        directory / "server.crt",
        directory / "server.key",
    )
    ca_bundle_path = directory / "ca.pem"  # certificate and key: mode 600, never served
    now = datetime.now(UTC)
    if not ca_bundle_path.exists():
        bundle = new_ca(
            name(f"VKS Portal local CA ({socket.gethostname()})", "VKS Portal"), now=now
        )
        _write(ca_bundle_path, bundle, 0o600)
        cert_path.unlink(missing_ok=True)
    bundle = ca_bundle_path.read_text()
    _write(ca_path, ca_certificate(bundle), 0o644)
    if not _server_cert_current(cert_path, key_path, server_names(), now):
        cert, key = issue(
            bundle,
            name("localhost", "VKS Portal"),
            now=now,
            days=SERVER_DAYS,
            usage=ExtendedKeyUsageOID.SERVER_AUTH,
            names=tuple(_san(n) for n in server_names()),
        )
        _write(key_path, key, 0o600)
        _write(cert_path, cert + ca_certificate(bundle), 0o644)
    return ca_path, cert_path, key_path


def _server_cert_current(cert_path: Path, key_path: Path, names: list[str], now: datetime) -> bool:
    if not (cert_path.exists() and key_path.exists()):
        return False
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    if cert.not_valid_after_utc - now < timedelta(days=30):
        return False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return set(san) >= {_san(n) for n in names}
