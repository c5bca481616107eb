"""The master's first-start bootstrap: a private CA, a serving certificate, tokens, kubeconfigs.

kubectl sends a bearer token only over HTTPS, so a token-protected master must
serve TLS with a certificate its clients can verify. Like k3s, tinykube makes
its own trust root on first start instead of asking the operator for one.

The data directory (mode 0700) after the first start::

    ca.crt  ca.key            the cluster CA: EC P-256, 10 years; never replaced
    server.crt  server.key    the API server's serving certificate, signed by the CA
    tokens.json               {"admin_token": ..., "node_token": ...}; never replaced
    admin.kubeconfig          context "tinykube"      -> user "tinykube-admin"
    node.kubeconfig           context "tinykube-node" -> user "tinykube-node"

Both kubeconfigs name their cluster "tinykube" and their contexts differently,
so `KUBECONFIG=admin.kubeconfig:node.kubeconfig` merges them without one
context hiding the other.

What a later start does with each file:

    CA, server key, tokens   reused as they are (a kubelet's token keeps working)
    server.crt               reissued with the same key when a requested SAN is
                             missing, it was not signed by this CA, or it expires
                             within RENEW_BEFORE (k3s renews the same way); SANs
                             only accumulate, so a name once served keeps working
    kubeconfigs              rewritten when their content would change (a new
                             server_url); these files are owned by the master

The server certificate is for localhost, 127.0.0.1, ::1, the server URL's host,
each --tls-san and, as kube-apiserver's is, the names pods reach the API by: the
`kubernetes` Service's ClusterIP (10.96.0.1) and kubernetes, kubernetes.default,
kubernetes.default.svc, kubernetes.default.svc.cluster.local. A data directory
made before those were added gets them at its next start the way any new SAN
comes: only server.crt is reissued, with the same key and CA, so every
kubeconfig, token and client that trusts the CA keeps working.

Keys, tokens and kubeconfigs are written 0600, certificates 0644, each through
a temporary file and a rename (`wire.files`), so a crash never leaves half a key behind.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from objects.service import CLUSTER_DOMAIN
from wire.files import PRIVATE_MODE, PUBLIC_MODE, write_atomically
from wire.tls_names import in_certificate_order, san_entries, sans_of

CA_CERT_FILE = "ca.crt"
CA_KEY_FILE = "ca.key"
SERVER_CERT_FILE = "server.crt"
SERVER_KEY_FILE = "server.key"
TOKENS_FILE = "tokens.json"
ADMIN_KUBECONFIG_FILE = "admin.kubeconfig"
NODE_KUBECONFIG_FILE = "node.kubeconfig"

CLUSTER_NAME = "tinykube"
ADMIN_CONTEXT = "tinykube"
ADMIN_KUBECONFIG_USER = "tinykube-admin"
NODE_CONTEXT = "tinykube-node"
NODE_KUBECONFIG_USER = "tinykube-node"

CA_VALIDITY = datetime.timedelta(days=3650)
SERVER_VALIDITY = datetime.timedelta(days=365)
RENEW_BEFORE = datetime.timedelta(days=90)
# Backdating tolerates a node whose clock runs a little behind the master's.
CLOCK_SKEW = datetime.timedelta(hours=1)

DEFAULT_SANS = ("localhost", "127.0.0.1", "::1")
# What a pod dials for the API: the `kubernetes` Service in `default`, by each name its DNS search path gives.
IN_CLUSTER_NAMES = ("kubernetes", "kubernetes.default", "kubernetes.default.svc",
                    f"kubernetes.default.svc.{CLUSTER_DOMAIN}")

DIR_MODE = 0o700


class PkiError(Exception):
    """The data directory holds something tinykube will not silently overwrite."""


@dataclass(frozen=True)
class ClusterCredentials:
    """Where the cluster's TLS material lives, and the two bearer tokens."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    admin_token: str
    node_token: str
    admin_kubeconfig: Path
    node_kubeconfig: Path


def ensure_data_dir(data_dir: Path, *, server_url: str, tls_sans: list[str],
                    kubernetes_service_ip: str | None = None) -> ClusterCredentials:
    """Create the data directory's credentials on first start; reuse them afterwards.

    `server_url` goes into both kubeconfigs and its host is added to the
    server certificate's SANs. It must be https: kubectl withholds tokens from
    plain http. `kubernetes_service_ip` (the `kubernetes` Service's ClusterIP)
    adds it and IN_CLUSTER_NAMES to the SANs. Idempotent: a second call with
    the same arguments writes nothing.
    """
    url_host = _https_host(server_url)
    _ensure_private_dir(data_dir)

    # 1. The trust root: created once, then only ever read.
    ca_key, ca_cert = _ensure_ca(data_dir / CA_KEY_FILE, data_dir / CA_CERT_FILE)

    # 2. The serving certificate: its key is kept, the certificate follows the SANs.
    server_key = _ensure_key(data_dir / SERVER_KEY_FILE)
    in_cluster = [kubernetes_service_ip, *IN_CLUSTER_NAMES] if kubernetes_service_ip else []
    wanted_sans = san_entries([*DEFAULT_SANS, url_host, *tls_sans, *in_cluster])
    _ensure_server_cert(data_dir / SERVER_CERT_FILE, server_key, ca_key, ca_cert, wanted_sans)

    # 3. The tokens: never rotated, so kubelets keep authenticating across restarts.
    admin_token, node_token = _ensure_tokens(data_dir / TOKENS_FILE)

    # 4. The kubeconfigs: kept in step with the URL, the CA and the tokens.
    ca_pem = (data_dir / CA_CERT_FILE).read_bytes()
    _write_if_changed(
        data_dir / ADMIN_KUBECONFIG_FILE,
        render_kubeconfig(server_url=server_url, ca_pem=ca_pem, token=admin_token,
                          context=ADMIN_CONTEXT, user=ADMIN_KUBECONFIG_USER),
    )
    _write_if_changed(
        data_dir / NODE_KUBECONFIG_FILE,
        render_kubeconfig(server_url=server_url, ca_pem=ca_pem, token=node_token,
                          context=NODE_CONTEXT, user=NODE_KUBECONFIG_USER),
    )

    return ClusterCredentials(
        ca_cert=data_dir / CA_CERT_FILE,
        ca_key=data_dir / CA_KEY_FILE,
        server_cert=data_dir / SERVER_CERT_FILE,
        server_key=data_dir / SERVER_KEY_FILE,
        admin_token=admin_token,
        node_token=node_token,
        admin_kubeconfig=data_dir / ADMIN_KUBECONFIG_FILE,
        node_kubeconfig=data_dir / NODE_KUBECONFIG_FILE,
    )


def render_kubeconfig(*, server_url: str, ca_pem: bytes, token: str, context: str, user: str) -> str:
    """A standard kubeconfig for one cluster, one token user, and one current context."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": CLUSTER_NAME,
            "cluster": {
                "server": server_url,
                "certificate-authority-data": base64.b64encode(ca_pem).decode("ascii"),
            },
        }],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": CLUSTER_NAME, "user": user}}],
        "current-context": context,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)


def _https_host(server_url: str) -> str:
    parts = urlsplit(server_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"server_url must be https://HOST[:PORT], got {server_url!r}")
    return parts.hostname


def _ensure_private_dir(data_dir: Path) -> None:
    if data_dir.exists():
        return
    data_dir.mkdir(parents=True)
    # mkdir's mode is filtered through the umask; chmod states it exactly.
    data_dir.chmod(DIR_MODE)


def _ensure_ca(key_path: Path, cert_path: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    if key_path.exists() and cert_path.exists():
        return _load_key(key_path), x509.load_pem_x509_certificate(cert_path.read_bytes())
    if key_path.exists() or cert_path.exists():
        # Every certificate and kubeconfig trusts this CA; replacing half of it
        # would lock every client out, so a human must decide.
        raise PkiError(f"{key_path.parent} holds only one of {CA_KEY_FILE} and {CA_CERT_FILE}; "
                       "remove the other to create a new CA")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _issue_ca_cert(key)
    write_atomically(key_path, _key_pem(key), mode=PRIVATE_MODE)
    write_atomically(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=PUBLIC_MODE)
    return key, cert


def _ensure_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if path.exists():
        return _load_key(path)
    key = ec.generate_private_key(ec.SECP256R1())
    write_atomically(path, _key_pem(key), mode=PRIVATE_MODE)
    return key


def _ensure_server_cert(
    path: Path,
    key: ec.EllipticCurvePrivateKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    wanted_sans: frozenset[x509.GeneralName],
) -> None:
    if path.exists():
        current = x509.load_pem_x509_certificate(path.read_bytes())
        if _still_serves(current, key, ca_cert, wanted_sans):
            return
        # Keep the SANs it had: a client may still dial a name dropped from the flags.
        wanted_sans = wanted_sans | sans_of(current)
    cert = _issue_server_cert(key, ca_key, ca_cert, wanted_sans)
    write_atomically(path, cert.public_bytes(serialization.Encoding.PEM), mode=PUBLIC_MODE)


def _still_serves(
    cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    wanted_sans: frozenset[x509.GeneralName],
) -> bool:
    """Whether `cert` can keep serving: same key, signed by this CA, not expiring, SANs covered."""
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    expires_soon = cert.not_valid_after_utc - RENEW_BEFORE < _now()
    same_key = cert.public_key() == key.public_key()
    return same_key and not expires_soon and wanted_sans <= sans_of(cert)


def _issue_ca_cert(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    now = _now()
    # The timestamp in the name tells two CA generations apart, as k3s's does.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"tinykube-ca@{int(now.timestamp())}")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _issue_server_cert(
    key: ec.EllipticCurvePrivateKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    sans: frozenset[x509.GeneralName],
) -> x509.Certificate:
    now = _now()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tinykube-apiserver")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(min(now + SERVER_VALIDITY, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(in_certificate_order(sans)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False,
               crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign,
        crl_sign=crl_sign, encipher_only=False, decipher_only=False,
    )


def _ensure_tokens(path: Path) -> tuple[str, str]:
    if path.exists():
        try:
            stored = json.loads(path.read_text())
            return stored["admin_token"], stored["node_token"]
        except (ValueError, KeyError, TypeError) as error:
            # A fresh token would strand every kubelet holding the old one.
            raise PkiError(f"{path} is unreadable ({error}); fix or remove it") from error
    admin_token, node_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    payload = json.dumps({"admin_token": admin_token, "node_token": node_token}, indent=2) + "\n"
    write_atomically(path, payload.encode(), mode=PRIVATE_MODE)
    return admin_token, node_token


def export_kubeconfig(kubeconfig: Path, target: Path) -> None:
    """Copy one kubeconfig (the admin's, or the nodes') out of the data directory, e.g. to a
    directory the host mounts, or a volume the kubelets mount instead of the whole data directory.

    The copy belongs to whoever owns the target directory: a master in a container
    runs as root, yet the user who made the directory on the host must read it."""
    write_atomically(target, kubeconfig.read_bytes(), mode=PRIVATE_MODE)
    owner = target.parent.stat()
    if os.geteuid() == 0 and (owner.st_uid, owner.st_gid) != (0, 0):
        os.chown(target, owner.st_uid, owner.st_gid)


def _write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text() == text:
        return
    write_atomically(path, text.encode(), mode=PRIVATE_MODE)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{path} is not an EC private key")
    return key


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
