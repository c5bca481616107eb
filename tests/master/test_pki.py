import base64
import ipaddress
import json
import os
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

from master.pki import ClusterCredentials, PkiError, ensure_data_dir, export_kubeconfig

SERVER_URL = "https://127.0.0.1:6443"


def start(data_dir: Path, *, server_url: str = SERVER_URL, tls_sans: list[str] | None = None) -> ClusterCredentials:
    return ensure_data_dir(data_dir, server_url=server_url, tls_sans=tls_sans or [])


def snapshot(data_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(data_dir.iterdir())}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def sans_of(path: Path) -> set[str]:
    extension = load_cert(path).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return {str(entry.value) for entry in extension.value}


def load_kubeconfig(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_first_start_creates_every_file_with_private_modes(data_dir: Path) -> None:
    credentials = start(data_dir)

    assert mode(data_dir) == 0o700
    for private in (credentials.ca_key, credentials.server_key, data_dir / "tokens.json",
                    credentials.admin_kubeconfig, credentials.node_kubeconfig):
        assert mode(private) == 0o600, private.name
    for public in (credentials.ca_cert, credentials.server_cert):
        assert mode(public) == 0o644, public.name
    assert sorted(snapshot(data_dir)) == sorted([
        "ca.crt", "ca.key", "server.crt", "server.key", "tokens.json",
        "admin.kubeconfig", "node.kubeconfig",
    ])


def test_tokens_are_random_distinct_and_stored(data_dir: Path) -> None:
    credentials = start(data_dir)

    stored = json.loads((data_dir / "tokens.json").read_text())
    assert stored == {"admin_token": credentials.admin_token, "node_token": credentials.node_token}
    assert credentials.admin_token != credentials.node_token
    assert len(credentials.admin_token) >= 43  # token_urlsafe(32): 32 random bytes
    assert start(data_dir.with_name("other")).admin_token != credentials.admin_token


def test_second_start_reuses_every_file_byte_for_byte(data_dir: Path) -> None:
    first = start(data_dir)
    before = snapshot(data_dir)
    key_mtimes = [first.ca_key.stat().st_mtime_ns, first.server_key.stat().st_mtime_ns]

    second = start(data_dir)

    assert snapshot(data_dir) == before
    assert [second.ca_key.stat().st_mtime_ns, second.server_key.stat().st_mtime_ns] == key_mtimes
    assert second == first


def test_adding_a_san_reissues_only_the_server_certificate(data_dir: Path) -> None:
    start(data_dir)
    before = snapshot(data_dir)

    start(data_dir, tls_sans=["Tinykube.Example", "10.1.2.3"])
    after = snapshot(data_dir)

    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"server.crt"}
    assert {"tinykube.example", "10.1.2.3", "localhost", "127.0.0.1", "::1"} <= sans_of(data_dir / "server.crt")


def test_requesting_fewer_sans_keeps_the_certificate(data_dir: Path) -> None:
    start(data_dir, tls_sans=["tinykube.example", "10.1.2.3"])
    before = snapshot(data_dir)

    start(data_dir, tls_sans=["10.1.2.3"])

    assert snapshot(data_dir) == before


def test_a_server_certificate_from_another_ca_is_reissued(data_dir: Path) -> None:
    credentials = start(data_dir)
    foreign = start(data_dir.with_name("other-cluster"))
    credentials.server_cert.write_bytes(foreign.server_cert.read_bytes())

    start(data_dir)

    load_cert(credentials.server_cert).verify_directly_issued_by(load_cert(credentials.ca_cert))


def test_sans_are_classified_as_ip_or_dns(data_dir: Path) -> None:
    credentials = start(data_dir, tls_sans=["node.example", "192.168.1.10", "fd00::1", " "])

    extension = load_cert(credentials.server_cert).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert set(extension.value.get_values_for_type(x509.DNSName)) == {"localhost", "node.example"}
    assert set(extension.value.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address(text) for text in ("127.0.0.1", "::1", "192.168.1.10", "fd00::1")
    }


def test_the_server_url_host_is_always_a_san(data_dir: Path) -> None:
    credentials = start(data_dir, server_url="https://master.internal:6443")

    assert "master.internal" in sans_of(credentials.server_cert)


def test_server_certificate_verifies_against_the_ca_for_every_default_name(data_dir: Path) -> None:
    credentials = start(data_dir)
    ca, leaf = load_cert(credentials.ca_cert), load_cert(credentials.server_cert)

    leaf.verify_directly_issued_by(ca)
    # The strict, web-PKI style verifier also checks extensions, usages and validity.
    store = Store([ca])
    for subject in (x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1"))):
        chain = PolicyBuilder().store(store).build_server_verifier(subject).verify(leaf, [])
        assert chain[-1] == ca


IN_CLUSTER = {"10.96.0.1", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
              "kubernetes.default.svc.cluster.local"}


def test_pods_reach_the_api_by_the_kubernetes_services_address_and_names(data_dir: Path) -> None:
    credentials = ensure_data_dir(data_dir, server_url=SERVER_URL, tls_sans=[], kubernetes_service_ip="10.96.0.1")
    ca, leaf = load_cert(credentials.ca_cert), load_cert(credentials.server_cert)

    assert IN_CLUSTER <= sans_of(credentials.server_cert)
    verifier = PolicyBuilder().store(Store([ca]))
    for subject in (x509.DNSName("kubernetes.default.svc"), x509.IPAddress(ipaddress.ip_address("10.96.0.1"))):
        assert verifier.build_server_verifier(subject).verify(leaf, [])[-1] == ca


def test_a_data_dir_made_before_the_in_cluster_names_gains_them_and_keeps_everything_else(data_dir: Path) -> None:
    old = start(data_dir)  # as an earlier master left it: no in-cluster SANs
    before = snapshot(data_dir)

    new = ensure_data_dir(data_dir, server_url=SERVER_URL, tls_sans=[], kubernetes_service_ip="10.96.0.1")

    after = snapshot(data_dir)
    assert {name for name in before if before[name] != after[name]} == {"server.crt"}
    assert new == old  # the tokens and kubeconfigs every client holds are the same
    leaf = load_cert(new.server_cert)
    assert leaf.public_key() == x509.load_pem_x509_certificate(before["server.crt"]).public_key()
    assert IN_CLUSTER | {"localhost", "127.0.0.1", "::1"} <= sans_of(new.server_cert)
    leaf.verify_directly_issued_by(load_cert(new.ca_cert))


def test_changing_the_server_url_rewrites_only_the_kubeconfigs(data_dir: Path) -> None:
    first = start(data_dir, tls_sans=["10.0.0.5"])
    before = snapshot(data_dir)

    second = start(data_dir, server_url="https://10.0.0.5:6443", tls_sans=["10.0.0.5"])
    after = snapshot(data_dir)

    assert {name for name in before if before[name] != after[name]} == {"admin.kubeconfig", "node.kubeconfig"}
    assert load_kubeconfig(second.admin_kubeconfig)["clusters"][0]["cluster"]["server"] == "https://10.0.0.5:6443"
    assert (second.admin_token, second.node_token) == (first.admin_token, first.node_token)


@pytest.mark.parametrize(("which", "context"), [("admin", "tinykube"), ("node", "tinykube-node")])
def test_kubeconfig_holds_the_ca_the_server_and_the_token(data_dir: Path, which: str, context: str) -> None:
    credentials = start(data_dir)
    path = credentials.admin_kubeconfig if which == "admin" else credentials.node_kubeconfig
    token = credentials.admin_token if which == "admin" else credentials.node_token

    config = load_kubeconfig(path)

    assert config["current-context"] == context
    [named_context] = [c for c in config["contexts"] if c["name"] == context]
    [cluster] = [c["cluster"] for c in config["clusters"] if c["name"] == named_context["context"]["cluster"]]
    [user] = [u["user"] for u in config["users"] if u["name"] == named_context["context"]["user"]]
    assert cluster["server"] == SERVER_URL
    assert base64.b64decode(cluster["certificate-authority-data"]) == credentials.ca_cert.read_bytes()
    assert user == {"token": token}


def test_a_plain_http_server_url_is_refused(data_dir: Path) -> None:
    # kubectl never sends a token over http, so such a kubeconfig could not authenticate.
    with pytest.raises(ValueError, match="https"):
        start(data_dir, server_url="http://127.0.0.1:6443")


def test_a_half_written_ca_is_never_silently_replaced(data_dir: Path) -> None:
    credentials = start(data_dir)
    credentials.ca_cert.unlink()

    with pytest.raises(PkiError, match="ca.crt"):
        start(data_dir)


def test_unreadable_tokens_are_an_error_not_new_tokens(data_dir: Path) -> None:
    start(data_dir)
    (data_dir / "tokens.json").write_text("{not json")

    with pytest.raises(PkiError, match="tokens.json"):
        start(data_dir)


@pytest.fixture
def tls_server(data_dir: Path) -> Iterator[int]:
    """A one-line TLS server on 127.0.0.1 serving server.crt; yields its port."""
    credentials = start(data_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(credentials.server_cert, credentials.server_key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # the listener was shut down
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.sendall(b"hello over tls\n")
            except (ssl.SSLError, OSError):
                pass  # the client rejected our certificate: that is its test's business

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    # close() alone leaves a blocked accept() waiting out its timeout; shutdown() wakes it.
    listener.shutdown(socket.SHUT_RDWR)
    listener.close()
    thread.join(timeout=10)


def handshake(data_dir: Path, port: int, server_hostname: str) -> bytes:
    client = ssl.create_default_context(cafile=data_dir / "ca.crt")  # trusts our CA and nothing else
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with client.wrap_socket(raw, server_hostname=server_hostname) as tls:
            return tls.recv(100)


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1"])
def test_a_client_trusting_only_the_ca_completes_a_handshake(
    data_dir: Path, tls_server: int, server_hostname: str
) -> None:
    assert handshake(data_dir, tls_server, server_hostname) == b"hello over tls\n"


def test_a_name_outside_the_sans_fails_the_handshake(data_dir: Path, tls_server: int) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(data_dir, tls_server, "not-a-san.example")


# ----- exporting the admin kubeconfig (compose writes it to a directory shared with the host)

def test_the_exported_kubeconfig_is_the_admin_one_and_private(tmp_path):
    credentials = start(tmp_path / "data")
    target = tmp_path / "export" / "kubeconfig"
    target.parent.mkdir()

    export_kubeconfig(credentials.admin_kubeconfig, target)

    assert target.read_bytes() == credentials.admin_kubeconfig.read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_the_exported_kubeconfig_belongs_to_whoever_owns_its_directory(tmp_path):
    """A master in a container runs as root; the host user who made the directory must read the file."""
    credentials = start(tmp_path / "data")
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chown(shared, 4321, 4321)

    export_kubeconfig(credentials.admin_kubeconfig, shared / "kubeconfig")

    assert ((shared / "kubeconfig").stat().st_uid, (shared / "kubeconfig").stat().st_gid) == (4321, 4321)
