"""NodePortProxy in process: listeners follow the catalog and forward to a ready endpoint."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from kubelet.services.catalog import ServiceCatalog
from kubelet.services.node_ports import NodePortProxy
from objects.endpoints import SERVICE_NAME_LABEL
from tests.support.cluster import free_port, wait_for


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data = b""
        while chunk := self.request.recv(65536):
            data += chunk
        self.request.sendall(b"echo:" + data)


@pytest.fixture
def echo_server() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def node_port_service(node_port: int) -> dict:
    return {"metadata": {"name": "web", "namespace": "default"},
            "spec": {"type": "NodePort", "clusterIP": "10.96.0.5",
                     "ports": [{"port": 80, "nodePort": node_port, "protocol": "TCP"}]}}


def endpoint_slice(port: int, *, ready: bool = True) -> dict:
    return {"metadata": {"name": "web-x", "namespace": "default", "labels": {SERVICE_NAME_LABEL: "web"}},
            "addressType": "IPv4", "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": ready}}],
            "ports": [{"name": "", "port": port, "protocol": "TCP"}]}


def request(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: conn.recv(65536), b""))


def closed_at_once(port: int) -> bool:
    """The proxy accepts, then closes with nothing said (kube-proxy would REJECT)."""
    try:
        return request(port, b"hello") == b""
    except OSError:  # reset, or shut before our half-close
        return True


def test_a_node_port_forwards_whole_streams_and_closes_when_the_service_goes(echo_server) -> None:
    stop = threading.Event()
    catalog = ServiceCatalog()
    proxy = NodePortProxy(catalog, "127.0.0.1")
    proxy.start(stop)
    node_port = free_port()
    try:
        catalog.upsert_service(node_port_service(node_port))
        catalog.upsert_slice(endpoint_slice(echo_server))
        catalog.notify_now()
        wait_for(lambda: node_port in proxy.listening(), message="node port listening")
        payload = bytes(range(256)) * 4096  # 1 MiB, both ways
        assert request(node_port, payload) == b"echo:" + payload

        catalog.upsert_slice(endpoint_slice(echo_server, ready=False))
        assert closed_at_once(node_port)

        catalog.remove_service(node_port_service(node_port))
        catalog.notify_now()
        wait_for(lambda: node_port not in proxy.listening(), message="node port closed")
        with pytest.raises(OSError):
            request(node_port, b"hello")
    finally:
        stop.set()


def test_a_node_port_another_process_held_is_served_once_it_is_free(echo_server) -> None:
    """No catalog change needed: unbound node ports are retried on a timer."""
    stop = threading.Event()
    catalog = ServiceCatalog()
    proxy = NodePortProxy(catalog, "127.0.0.1", retry_seconds=0.1)
    proxy.start(stop)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    node_port = blocker.getsockname()[1]
    try:
        catalog.upsert_service(node_port_service(node_port))
        catalog.upsert_slice(endpoint_slice(echo_server))
        catalog.notify_now()
        wait_for(lambda: node_port in proxy._failed, message="the first bind failed")
        blocker.close()
        wait_for(lambda: node_port in proxy.listening(), message="node port listening after the retry")
        assert request(node_port, b"hi") == b"echo:hi"
    finally:
        blocker.close()
        stop.set()
