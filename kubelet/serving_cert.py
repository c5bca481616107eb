"""The kubelet's HTTPS serving certificate: self-signed, made on first start, reused afterwards.

A real kubelet without --tls-cert-file does the same: it writes
`kubelet.crt`/`kubelet.key` signed by nobody but itself. The master does not
verify it (as kube-apiserver without --kubelet-certificate-authority), so TLS
here gives privacy for the node token and the streams, not server identity.
The token still authenticates the master to the kubelet.

What a later start does:

    key          reused as it is
    certificate  reused while it names every requested hostname and is not
                 within RENEW_BEFORE of expiring; otherwise reissued with the
                 same key, keeping the names it had (names only accumulate)
"""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wire.files import PRIVATE_MODE, PUBLIC_MODE, write_atomically
from wire.tls_names import in_certificate_order, san_entries, sans_of

CERT_FILE = "kubelet.crt"
KEY_FILE = "kubelet.key"
VALIDITY = datetime.timedelta(days=365)
RENEW_BEFORE = datetime.timedelta(days=30)
CLOCK_SKEW = datetime.timedelta(hours=1)
DEFAULT_HOSTNAMES = ("localhost", "127.0.0.1")


def ensure_serving_cert(directory: Path, hostnames: list[str]) -> tuple[Path, Path]:
    """(cert_path, key_path) of a certificate valid for `hostnames` (DNS names or IPs)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    key = _ensure_key(key_path)
    wanted = san_entries([*DEFAULT_HOSTNAMES, *hostnames])
    current = _load_cert(cert_path)
    if current is not None and _still_good(current, key, wanted):
        return cert_path, key_path
    names = wanted | (sans_of(current) if current is not None else frozenset())
    common_name = hostnames[0] if hostnames else "tinykube-kubelet"
    write_atomically(cert_path, _self_signed(key, names, common_name=common_name), mode=PUBLIC_MODE)
    return cert_path, key_path


def _ensure_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    write_atomically(path, pem, mode=PRIVATE_MODE)
    return key


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _still_good(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey,
                wanted: frozenset[x509.GeneralName]) -> bool:
    now = datetime.datetime.now(datetime.timezone.utc)
    same_key = cert.public_key().public_numbers() == key.public_key().public_numbers()
    return same_key and wanted <= sans_of(cert) and cert.not_valid_after_utc - now > RENEW_BEFORE


def _self_signed(key: ec.EllipticCurvePrivateKey, names: frozenset[x509.GeneralName], *,
                 common_name: str) -> bytes:
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name}@{int(now.timestamp())}")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(in_certificate_order(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)
