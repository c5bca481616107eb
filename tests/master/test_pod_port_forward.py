"""pods/portforward end to end without Docker: real kubectl -> real master -> kubelet server -> a local server.

The kubelet is its HTTPS server alone on the fake runtime; the pod's IP is
127.0.0.1, where a small server stands in for the pod's (the kubelet dials
podIP:port, so it reaches it). What only Docker can show (a pod's own server,
a 1 MiB file) is in tests/acceptance/test_streams_on_kubelets.py.
"""

import asyncio
import hashlib
import shutil
import socket
import subprocess
import ssl
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.cluster import free_port
from tests.support.kubelet_app import KubeletServer, fake_runtime, register_node, start_pod
from tests.support.port_forward import PortForward, http_get
from wire.spdy_session import SpdySession, StreamReset
from wire.spdy_tunnel import SpdyTunnelConnection

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

BODY = hashlib.sha256(b"seed").digest() * 8192  # 256 KiB that a lost or reordered chunk would change


class _BodyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = BODY if self.path == "/body" else f"you asked for {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="module")
def pod_port():
    """The port of the stand-in pod's web server, on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BodyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def node(master, tmp_path_factory):
    name = f"pf-{uuid.uuid4().hex[:6]}"
    runtime = fake_runtime()

    def find_pod(namespace, pod_name):
        with master.client(master.token("node")) as api:
            answer = api.get(f"/api/v1/namespaces/{namespace}/pods/{pod_name}")
        return answer.json() if answer.status_code == 200 else None

    kubelet = KubeletServer(runtime, node_name=name, token=master.token("node"),
                            cert_dir=tmp_path_factory.mktemp("kubelet-pki"), find_pod=find_pod).start()
    with master.client() as api:
        register_node(api, name, port=kubelet.port)
    yield name, runtime
    kubelet.stop()
    with master.client() as api:
        api.delete(f"/api/v1/nodes/{name}")


@pytest.fixture
def web(api, namespace, node):
    """Pod "web", Running on the node with IP 127.0.0.1."""
    node_name, runtime = node
    created = api.post(f"/api/v1/namespaces/{namespace}/pods", json={
        "metadata": {"name": "web"},
        "spec": {"nodeName": node_name, "containers": [{"name": "c", "image": "busybox:1.36"}]},
    })
    assert created.status_code == 201, created.text
    start_pod(runtime, created.json(), node_name=node_name)
    reported = api.patch(f"/api/v1/namespaces/{namespace}/pods/web/status",
                         headers={"Content-Type": "application/merge-patch+json"},
                         json={"status": {"phase": "Running", "podIP": "127.0.0.1"}})
    assert reported.status_code == 200, reported.text
    return "web"


@pytest.fixture
def port_forward(kubectl):
    started = []

    def start(*args, program="kubectl"):
        forward = PortForward(program, list(args), kubectl.env)
        started.append(forward)
        return forward

    yield start
    for forward in started:
        forward.stop()


@pytest.mark.parametrize("program", ["kubectl", "tkctl"])
def test_port_forward_carries_requests_and_responses_intact(program, namespace, web, pod_port, port_forward):
    local = free_port()
    forward = port_forward("-n", namespace, f"pod/{web}", f"{local}:{pod_port}", program=program)

    lines = forward.wait_forwarding()

    assert lines[0] == f"Forwarding from 127.0.0.1:{local} -> {pod_port}\n"
    assert http_get(local, "/hello?x=1") == (200, b"you asked for /hello?x=1")
    assert http_get(local, "/body") == (200, BODY)


@pytest.mark.parametrize("program", ["kubectl", "tkctl"])
def test_concurrent_connections_each_get_their_own_answer(program, namespace, web, pod_port, port_forward):
    local = free_port()
    port_forward("-n", namespace, web, f"{local}:{pod_port}", program=program).wait_forwarding()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: http_get(local, "/body" if i % 2 else f"/{i}"), range(16)))

    assert answers == [(200, BODY if i % 2 else f"you asked for /{i}".encode()) for i in range(16)]


@pytest.mark.parametrize("program", ["kubectl", "tkctl"])
def test_a_port_nobody_listens_on_is_reported_on_the_error_stream(program, namespace, web, port_forward):
    local, closed = free_port(), free_port()
    forward = port_forward("-n", namespace, web, f"{local}:{closed}", program=program)
    forward.wait_forwarding()

    with socket.create_connection(("127.0.0.1", local), timeout=10) as connection:
        connection.settimeout(10)
        assert connection.recv(1) == b""  # kubectl closes the connection it could not forward

    assert forward.process.wait(timeout=20) == 1  # and, as kubectl 1.32 does, gives up
    stderr = forward.stop()
    assert f"error forwarding port {closed} to pod web, uid " in stderr
    assert f"dial tcp 127.0.0.1:{closed}: connect: connection refused" in stderr
    assert stderr.endswith("error: lost connection to pod\n")


def test_the_spdy_fallback_is_answered_with_a_status(api, namespace, web):
    answer = api.post(f"/api/v1/namespaces/{namespace}/pods/web/portforward",
                      headers={"Upgrade": "SPDY/3.1", "Connection": "Upgrade",
                               "X-Stream-Protocol-Version": "portforward.k8s.io"})

    assert answer.status_code == 400
    assert answer.json()["message"] == ("tinykube supports port-forward over WebSocket "
                                        "(SPDY/3.1+portforward.k8s.io) only; use kubectl >= 1.31")


def open_tunnel(master, namespace, pod):
    return async_connect(f"wss://127.0.0.1:{master.port}/api/v1/namespaces/{namespace}/pods/{pod}/portforward",
                         ssl=master.ca, create_connection=SpdyTunnelConnection,
                         additional_headers={"Authorization": f"Bearer {master.token()}"})


def test_port_forward_to_a_missing_pod_is_not_found(master, namespace):
    async def attempt():
        async with open_tunnel(master, namespace, "nope"):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt())

    assert refused.value.response.status_code == 404


def test_a_websocket_without_the_spdy_subprotocol_is_refused(master, namespace, web):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"wss://127.0.0.1:{master.port}/api/v1/namespaces/{namespace}/pods/web/portforward",
                ssl=master.ca, subprotocols=["v4.channel.k8s.io"],
                additional_headers={"Authorization": f"Bearer {master.token()}"})

    assert refused.value.response.status_code == 400


def test_streams_with_a_bad_port_are_refused_and_the_session_goes_on(master, namespace, web, pod_port):
    """kubectl never sends these (it checks ports itself); the kubelet refuses them as Kubernetes' does."""

    async def scenario():
        async with open_tunnel(master, namespace, "web") as websocket:
            session = SpdySession(websocket.send, server=False)

            async def receive():
                try:
                    return await websocket.recv()
                except Exception:
                    return None

            serving = asyncio.create_task(session.serve(receive))
            refused = []
            for port in ("0", "http", "70000", ""):
                try:
                    await session.open_stream({"streamtype": ["data"], "port": [port], "requestid": ["1"]})
                except StreamReset:
                    refused.append(port)
            error = await session.open_stream({"streamtype": ["error"], "port": [str(pod_port)],
                                               "requestid": ["2"]})
            data = await session.open_stream({"streamtype": ["data"], "port": [str(pod_port)],
                                              "requestid": ["2"]})
            await error.close()
            await data.write(b"GET /ok HTTP/1.0\r\n\r\n")
            await data.close()
            answer = await data.read_all()
            await websocket.close()
            await serving
            return refused, answer

    refused, answer = asyncio.run(asyncio.wait_for(scenario(), 30))

    assert refused == ["0", "http", "70000", ""]
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"you asked for /ok")


@pytest.mark.parametrize("program", ["kubectl", "tkctl"])
def test_deploy_name_forwards_to_a_running_pod_of_its_selector(program, api, namespace, node, web, pod_port,
                                                                port_forward):
    api.patch(f"/api/v1/namespaces/{namespace}/pods/web", headers={"Content-Type": "application/merge-patch+json"},
              json={"metadata": {"labels": {"app": "web"}}})
    created = api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json={
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}},
    })
    assert created.status_code == 201, created.text
    local = free_port()

    port_forward("-n", namespace, "deploy/web", f"{local}:{pod_port}", program=program).wait_forwarding()

    assert http_get(local, "/via-deployment") == (200, b"you asked for /via-deployment")


def test_a_pod_that_is_not_running_is_refused_before_connecting(api, namespace, node, kubectl):
    created = api.post(f"/api/v1/namespaces/{namespace}/pods", json={
        "metadata": {"name": "waiting"}, "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}})
    assert created.status_code == 201, created.text

    answers = [subprocess.run([program, "port-forward", "-n", namespace, "waiting", "8080"], env=kubectl.env,
                              capture_output=True, text=True, timeout=30) for program in ("kubectl", "tkctl")]

    assert [(a.returncode, a.stderr) for a in answers] == [
        (1, "error: unable to forward port because pod is not running. Current status=Pending\n")] * 2


@pytest.mark.parametrize("ports", [["x"], ["8080:"], ["8080:0"], ["70000"], [":x"]])
def test_bad_ports_are_refused_as_kubectl_refuses_them(namespace, web, kubectl, ports):
    answers = [subprocess.run([program, "port-forward", "-n", namespace, web, *ports], env=kubectl.env,
                              capture_output=True, text=True, timeout=30) for program in ("kubectl", "tkctl")]

    assert answers[1].returncode == answers[0].returncode == 1
    assert answers[1].stderr == answers[0].stderr


@pytest.fixture
def front(api, namespace, node, pod_port):
    """Service "front" (port 80 "web" -> targetPort "http") selecting pod "named", whose "http" is pod_port."""
    node_name, runtime = node
    created = api.post(f"/api/v1/namespaces/{namespace}/pods", json={
        "metadata": {"name": "named", "labels": {"app": "named"}},
        "spec": {"nodeName": node_name, "containers": [
            {"name": "c", "image": "busybox:1.36", "ports": [{"name": "http", "containerPort": pod_port}]}]},
    })
    assert created.status_code == 201, created.text
    start_pod(runtime, created.json(), node_name=node_name)
    api.patch(f"/api/v1/namespaces/{namespace}/pods/named/status",
              headers={"Content-Type": "application/merge-patch+json"},
              json={"status": {"phase": "Running", "podIP": "127.0.0.1"}})
    service = api.post(f"/api/v1/namespaces/{namespace}/services", json={
        "metadata": {"name": "front"},
        "spec": {"selector": {"app": "named"}, "ports": [{"name": "web", "port": 80, "targetPort": "http"}]},
    })
    assert service.status_code == 201, service.text
    return "front"


@pytest.mark.parametrize("program", ["kubectl", "tkctl"])
def test_service_name_forwards_to_the_container_port_its_target_port_names(program, namespace, front, pod_port,
                                                                           port_forward):
    local = free_port()

    lines = port_forward("-n", namespace, f"svc/{front}", f"{local}:web", program=program).wait_forwarding()

    assert lines[0] == f"Forwarding from 127.0.0.1:{local} -> {pod_port}\n"  # the Service port, made the pod's
    assert http_get(local, "/via-service") == (200, b"you asked for /via-service")


@pytest.mark.parametrize("ports", [["9999"], ["nope"], ["8080:nope"]])
def test_ports_a_service_does_not_have_are_refused_as_kubectl_refuses_them(namespace, front, kubectl, ports):
    answers = [subprocess.run([program, "port-forward", "-n", namespace, f"service/{front}", *ports],
                              env=kubectl.env, capture_output=True, text=True, timeout=30)
               for program in ("kubectl", "tkctl")]

    assert answers[1].returncode == answers[0].returncode == 1
    assert answers[1].stderr == answers[0].stderr


@pytest.mark.parametrize("program", ["kubectl", "tkctl"])
def test_address_picks_the_listeners_and_a_random_local_port_is_told(program, namespace, web, pod_port, port_forward):
    forward = port_forward("-n", namespace, web, f":{pod_port}", "--address", "127.0.0.1", program=program)

    [line] = forward.wait_forwarding()

    local = int(line.split()[2].rsplit(":", 1)[1])
    assert line == f"Forwarding from 127.0.0.1:{local} -> {pod_port}\n"
    assert http_get(local, "/random") == (200, b"you asked for /random")


def test_an_address_that_is_not_an_ip_is_refused_as_kubectl_refuses_it(namespace, web, kubectl):
    answers = [subprocess.run([program, "port-forward", "-n", namespace, web, "8080", "--address", "localhost,foo"],
                              env=kubectl.env, capture_output=True, text=True, timeout=30)
               for program in ("kubectl", "tkctl")]

    assert [(a.returncode, a.stderr) for a in answers] == [(1, "error: foo is not a valid IP\n")] * 2


def test_a_node_may_not_port_forward(master, namespace, web):
    async def attempt():
        async with async_connect(
                f"wss://127.0.0.1:{master.port}/api/v1/namespaces/{namespace}/pods/web/portforward",
                ssl=master.ca, create_connection=SpdyTunnelConnection,
                additional_headers={"Authorization": f"Bearer {master.token('node')}"}):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt())

    assert refused.value.response.status_code == 403
