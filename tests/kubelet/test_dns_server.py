"""ClusterDnsServer over real UDP and TCP sockets on 127.0.0.1, as the data path hands them over per pod.

The upstream is a real DNS server too (dnslib's, on its own loopback port), so
forwarding, CNAME completion and an upstream that is down or silent are exercised
on the wire.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from dnslib import EDNS0, QTYPE, RCODE, DNSRecord
from dnslib.server import DNSLogger, DNSServer
from dnslib.zoneresolver import ZoneResolver

from kubelet.services.catalog import ServiceCatalog
from kubelet.services.dns_server import ClusterDnsServer
from kubelet.services.dns_upstream import Upstream, nameservers_from
from objects.endpoints import SERVICE_NAME_LABEL
from tests.support.cluster import wait_for

UPSTREAM_ZONE = """
example.com.     60 IN A     93.184.215.14
big.example.com. 60 IN TXT   "upstream"
"""
LOOPBACK = "127.0.0.1"


@dataclass
class PodSockets:
    """What the data path binds inside a pod's network namespace: UDP and TCP on one loopback port."""

    udp: socket.socket
    tcp: socket.socket
    port: int


def bind_pod_sockets() -> PodSockets:
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((LOOPBACK, 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind((LOOPBACK, port))
        except OSError:  # that TCP port is taken: try another pair
            udp.close()
            tcp.close()
            continue
        tcp.listen(64)
        udp.setblocking(False)
        tcp.setblocking(False)
        return PodSockets(udp, tcp, port)
    raise RuntimeError("no free UDP+TCP port pair on loopback")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def upstream_port() -> Iterator[int]:
    resolver = ZoneResolver(UPSTREAM_ZONE)
    quiet = DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data")
    udp = DNSServer(resolver, address=LOOPBACK, port=0, logger=quiet)
    port = udp.server.server_address[1]
    tcp = DNSServer(resolver, address=LOOPBACK, port=port, tcp=True, logger=quiet)
    udp.start_thread()
    tcp.start_thread()
    yield port
    udp.stop()
    tcp.stop()
    udp.server.server_close()
    tcp.server.server_close()


@pytest.fixture
def catalog() -> ServiceCatalog:
    catalog = ServiceCatalog()
    catalog.upsert_service({"metadata": {"name": "web", "namespace": "default"},
                            "spec": {"clusterIP": "10.96.0.20", "ports": [{"name": "http", "port": 80}]}})
    catalog.upsert_service({"metadata": {"name": "ext", "namespace": "default"},
                            "spec": {"type": "ExternalName", "externalName": "example.com"}})
    catalog.synced.set()  # as the informers leave it once both kinds are listed
    return catalog


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def server(catalog, upstream_port, stop) -> ClusterDnsServer:
    server = ClusterDnsServer(catalog, upstream=Upstream([LOOPBACK], port=upstream_port, timeout_seconds=1.0))
    server.start(stop)
    return server


@pytest.fixture
def pod(server) -> Iterator[PodSockets]:
    sockets = bind_pod_sockets()
    server.serve("pod-a", sockets.udp, sockets.tcp)
    yield sockets
    server.release("pod-a")


def query(port: int, name: str, qtype: str = "A", *, tcp: bool = False) -> DNSRecord:
    packet = DNSRecord.question(name, qtype).send(LOOPBACK, port, tcp=tcp, timeout=5)
    return DNSRecord.parse(packet)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_cluster_names_are_answered_on_the_pods_sockets(pod, tcp):
    reply = query(pod.port, "web.default.svc.cluster.local", tcp=tcp)
    assert reply.header.rcode == RCODE.NOERROR
    assert [str(rr.rdata) for rr in reply.rr] == ["10.96.0.20"]
    assert query(pod.port, "nope.default.svc.cluster.local", tcp=tcp).header.rcode == RCODE.NXDOMAIN


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_outside_names_are_forwarded_to_the_upstream(pod, tcp):
    reply = query(pod.port, "example.com", tcp=tcp)
    assert reply.header.rcode == RCODE.NOERROR
    assert [str(rr.rdata) for rr in reply.rr] == ["93.184.215.14"]


def test_an_external_name_answer_carries_the_upstreams_address(pod):
    reply = query(pod.port, "ext.default.svc.cluster.local")
    assert [(QTYPE.get(rr.rtype), str(rr.rdata)) for rr in reply.rr] == [
        ("CNAME", "example.com."), ("A", "93.184.215.14")]


def test_a_down_upstream_is_a_quick_servfail(catalog, stop):
    """A refused port is seen at once: well under the 10 s timeout, with room for a loaded machine."""
    server = ClusterDnsServer(catalog, upstream=Upstream([LOOPBACK], port=free_port(), timeout_seconds=10.0))
    server.start(stop)
    sockets = bind_pod_sockets()
    server.serve("pod-a", sockets.udp, sockets.tcp)
    started = time.monotonic()
    assert query(sockets.port, "example.com").header.rcode == RCODE.SERVFAIL
    assert time.monotonic() - started < 5.0  # the ICMP refusal ends the wait, not the timeout


def test_a_silent_upstream_is_a_servfail_within_the_timeout(catalog, stop):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never read: no answer, no ICMP
        silent.bind((LOOPBACK, 0))
        upstream = Upstream([LOOPBACK], port=silent.getsockname()[1], timeout_seconds=0.5)
        server = ClusterDnsServer(catalog, upstream=upstream)
        server.start(stop)
        sockets = bind_pod_sockets()
        server.serve("pod-a", sockets.udp, sockets.tcp)
        started = time.monotonic()
        assert query(sockets.port, "example.com").header.rcode == RCODE.SERVFAIL
        assert 0.4 < time.monotonic() - started < 5.0


def test_one_pod_flooding_slow_outside_names_does_not_refuse_another_pods_lookups(catalog, stop):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # every outside name hangs until the timeout
        silent.bind((LOOPBACK, 0))
        upstream = Upstream([LOOPBACK], port=silent.getsockname()[1], timeout_seconds=5.0)
        server = ClusterDnsServer(catalog, upstream=upstream, max_in_flight_per_pod=2)
        server.start(stop)
        flooding, quiet = bind_pod_sockets(), bind_pod_sockets()
        server.serve("pod-a", flooding.udp, flooding.tcp)
        server.serve("pod-b", quiet.udp, quiet.tcp)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            for n in range(2):  # fire and forget: both wait on the silent upstream
                client.sendto(DNSRecord.question(f"slow{n}.example.com").pack(), (LOOPBACK, flooding.port))
            wait_for(lambda: query(flooding.port, "web.default.svc.cluster.local").header.rcode == RCODE.REFUSED,
                     message="pod-a's third query refused")
        reply = query(quiet.port, "web.default.svc.cluster.local")
        assert reply.header.rcode == RCODE.NOERROR and [str(rr.rdata) for rr in reply.rr] == ["10.96.0.20"]


def test_a_large_answer_is_truncated_over_udp_and_whole_over_tcp(catalog, pod):
    endpoints = [{"addresses": [f"172.18.1.{n}"], "conditions": {"ready": True}} for n in range(1, 61)]
    catalog.upsert_service({"metadata": {"name": "many", "namespace": "default"},
                            "spec": {"clusterIP": "None", "ports": [{"port": 80}]}})
    catalog.upsert_slice({"metadata": {"name": "many-x", "namespace": "default",
                                       "labels": {SERVICE_NAME_LABEL: "many"}},
                          "addressType": "IPv4", "endpoints": endpoints, "ports": [{"port": 80}]})
    over_udp = query(pod.port, "many.default.svc.cluster.local")
    assert over_udp.header.tc and 0 < len(over_udp.rr) < 60
    over_tcp = query(pod.port, "many.default.svc.cluster.local", tcp=True)
    assert not over_tcp.header.tc and len(over_tcp.rr) == 60


def test_edns0_lets_a_large_answer_through_udp(catalog, pod):
    endpoints = [{"addresses": [f"172.18.1.{n}"], "conditions": {"ready": True}} for n in range(1, 41)]
    catalog.upsert_service({"metadata": {"name": "many", "namespace": "default"},
                            "spec": {"clusterIP": "None", "ports": [{"port": 80}]}})
    catalog.upsert_slice({"metadata": {"name": "many-x", "namespace": "default",
                                       "labels": {SERVICE_NAME_LABEL: "many"}},
                          "addressType": "IPv4", "endpoints": endpoints, "ports": [{"port": 80}]})
    question = DNSRecord.question("many.default.svc.cluster.local")
    question.add_ar(EDNS0(udp_len=4096))
    reply = DNSRecord.parse(question.send(LOOPBACK, pod.port, timeout=5))
    assert not reply.header.tc and len(reply.rr) == 40


def test_an_unreadable_query_is_a_format_error(pod):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        client.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07broken", (LOOPBACK, pod.port))
        reply = DNSRecord.parse(client.recv(512))
    assert reply.header.id == 0x1234 and reply.header.rcode == RCODE.FORMERR


def test_release_closes_the_pods_sockets(server, pod):
    """An open socket would keep a deleted pod's network namespace alive."""
    with socket.create_connection((LOOPBACK, pod.port), timeout=5) as connection:
        server.release("pod-a")
        wait_for(lambda: connection.recv(1) == b"", timeout=5)  # its open connection is closed too
    wait_for(lambda: pod.tcp.fileno() == -1 and pod.udp.fileno() == -1, timeout=5)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOOPBACK, pod.port), timeout=5).close()


def test_serving_a_key_again_replaces_its_sockets(server, pod):
    replacement = bind_pod_sockets()
    server.serve("pod-a", replacement.udp, replacement.tcp)
    assert query(replacement.port, "web.default.svc.cluster.local").rr
    wait_for(lambda: pod.tcp.fileno() == -1, timeout=5)
    assert server.keys() == ["pod-a"]


def test_sockets_handed_over_before_start_are_served_once_it_runs(catalog, upstream_port, stop):
    server = ClusterDnsServer(catalog, upstream=Upstream([LOOPBACK], port=upstream_port))
    sockets = bind_pod_sockets()
    server.serve("early", sockets.udp, sockets.tcp)
    server.start(stop)
    assert query(sockets.port, "web.default.svc.cluster.local", tcp=True).rr


def test_stopping_closes_every_socket(catalog, upstream_port):
    stop = threading.Event()
    server = ClusterDnsServer(catalog, upstream=Upstream([LOOPBACK], port=upstream_port))
    thread = server.start(stop)
    sockets = bind_pod_sockets()
    server.serve("pod-a", sockets.udp, sockets.tcp)
    assert query(sockets.port, "web.default.svc.cluster.local").rr
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert sockets.udp.fileno() == -1 and sockets.tcp.fileno() == -1


def test_cluster_names_are_servfail_until_the_catalog_has_synced(catalog, pod):
    """A NXDOMAIN from a catalog still listing would be cached by the pod as the truth."""
    catalog.synced.clear()
    assert query(pod.port, "web.default.svc.cluster.local").header.rcode == RCODE.SERVFAIL
    assert query(pod.port, "example.com").header.rcode == RCODE.NOERROR
    catalog.synced.set()
    assert query(pod.port, "web.default.svc.cluster.local").header.rcode == RCODE.NOERROR


def test_upstreams_are_the_nameservers_of_resolv_conf(tmp_path):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("# generated\nsearch example.internal\nnameserver 127.0.0.11\nnameserver 10.0.0.2\n"
                      "options ndots:0\n")
    assert nameservers_from(resolv) == ["127.0.0.11", "10.0.0.2"]
    assert nameservers_from(tmp_path / "missing") == ["127.0.0.1"]
