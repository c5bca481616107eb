"""The kubelet's HTTPS server on the fake runtime, in-process, and a stand-in for a pod's web server.

Both serve on real 127.0.0.1 ports, so the code under test goes through real
TLS, real HTTP and real WebSockets; only the container runtime is fake.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn

from kubelet.runtime.fake import FakeImage, FakeRuntime
from kubelet.runtime.protocol import ContainerSpec, PodRef, SandboxSpec
from kubelet.server import create_kubelet_app
from kubelet.serving_cert import ensure_serving_cert
from tests.support.cluster import free_port, wait_for
from wire.spdy_tunnel import SERVER_WEBSOCKETS

IMAGE = "busybox:1.36"


class KubeletServer:
    """create_kubelet_app on uvicorn in a thread, with its self-signed certificate."""

    def __init__(self, runtime: FakeRuntime, *, node_name: str, token: str, cert_dir: Path,
                 find_pod: Callable[[str, str], dict[str, Any] | None]):
        self.runtime = runtime
        self.port = free_port()
        cert, key = ensure_serving_cert(cert_dir, ["127.0.0.1"])
        app = create_kubelet_app(runtime=runtime, node_name=node_name, token=token, find_pod=find_pod)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, ssl_certfile=str(cert), ssl_keyfile=str(key),
                                log_level="warning", lifespan="off", timeout_graceful_shutdown=1,
                                ws=SERVER_WEBSOCKETS)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"kubelet-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> KubeletServer:
        self._thread.start()
        wait_for(lambda: self._server.started, message=f"kubelet server on {self.port}")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def start_pod(runtime: FakeRuntime, pod: dict[str, Any], *, node_name: str,
              command: tuple[str, ...] = ("sleep", "3600")) -> dict[str, str]:
    """Run every container of `pod` in the fake runtime, as a kubelet would; {container name: id}."""
    meta = pod["metadata"]
    ref = PodRef(meta.get("namespace", "default"), meta["name"], meta["uid"], node_name)
    sandbox = runtime.run_sandbox(SandboxSpec(ref, "pause:3.10", "tinykube", meta["name"]))
    return {c["name"]: restart_container(runtime, ref, sandbox.id, c["name"], command=command,
                                         stdin=bool(c.get("stdin")), tty=bool(c.get("tty")))
            for c in pod["spec"]["containers"]}


def restart_container(runtime: FakeRuntime, ref: PodRef, sandbox_id: str, name: str, *, restart_count: int = 0,
                      command: tuple[str, ...] = ("sleep", "3600"), stdin: bool = False, tty: bool = False) -> str:
    container_id = runtime.create_container(ContainerSpec(ref, sandbox_id, name, IMAGE, command=command,
                                                          restart_count=restart_count, stdin=stdin, tty=tty))
    runtime.start_container(container_id)
    return container_id


def fake_runtime() -> FakeRuntime:
    return FakeRuntime(images=[FakeImage("pause:3.10"), FakeImage(IMAGE)])


class StandInPod:
    """A tiny HTTP server on 127.0.0.1 standing in for a pod's web server.

    It answers every method with JSON describing the request it received, so a
    test can check what a proxy forwarded (path, query, body, headers).
    """

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"pod-{self.port}", daemon=True)

    def start(self) -> StandInPod:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _EchoHandler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        page = {"page": "hello from the pod", "method": self.command, "path": self.path, "body": body,
                "headers": {k.lower(): v for k, v in self.headers.items()}}
        data = json.dumps(page).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Stand-In", "yes")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _answer

    def log_message(self, *_args: Any) -> None:
        pass


def register_node(api: Any, name: str, *, port: int, labels: dict[str, str] | None = None,
                  allocatable: dict[str, str] | None = None) -> None:
    """Create a Ready Node whose kubelet listens on 127.0.0.1:`port`, as a kubelet registers itself."""
    created = api.post("/api/v1/nodes", json={"metadata": {"name": name, "labels": labels or {}}})
    assert created.status_code == 201, created.text
    resources = allocatable or {"cpu": "2", "memory": "2Gi", "pods": "110"}
    reported = api.patch(
        f"/api/v1/nodes/{name}/status", headers={"Content-Type": "application/merge-patch+json"},
        json={"status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                         "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
                         "conditions": [{"type": "Ready", "status": "True"}],
                         "capacity": resources, "allocatable": resources}},
    )
    assert reported.status_code == 200, reported.text


@contextmanager
def answering_and_silent_nodes(master: Any, cert_dir: Path, *, live: str, dead: str, live_labels: dict[str, str],
                               dead_labels: dict[str, str]) -> Iterator[FakeRuntime]:
    """Two Ready nodes: `live` with a kubelet server on a fake runtime (yielded), `dead` whose
    kubelet port has nobody listening, as a node that died a moment ago."""
    runtime = fake_runtime()
    kubelet = KubeletServer(runtime, node_name=live, token=master.token("node"), cert_dir=cert_dir,
                            find_pod=lambda ns, name: None).start()
    with master.client() as api:
        register_node(api, live, port=kubelet.port, labels=live_labels)
        register_node(api, dead, port=free_port(), labels=dead_labels)
    try:
        yield runtime
    finally:
        kubelet.stop()
        with master.client() as api:
            for name in (live, dead):
                api.delete(f"/api/v1/nodes/{name}")


def run_bound_pod(api: Any, runtime: FakeRuntime, namespace: str, node_name: str, name: str,
                  containers: list[str], *, labels: dict[str, str] | None = None) -> dict[str, str]:
    """A pod bound to `node_name`, its containers started in `runtime`, reported Running; {container: id}."""
    created = api.post(f"/api/v1/namespaces/{namespace}/pods", json={
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"nodeName": node_name, "containers": [{"name": c, "image": IMAGE} for c in containers]},
    })
    assert created.status_code == 201, created.text
    ids = start_pod(runtime, created.json(), node_name=node_name)
    reported = api.patch(f"/api/v1/namespaces/{namespace}/pods/{name}/status",
                         headers={"Content-Type": "application/merge-patch+json"},
                         json={"status": {"phase": "Running"}})
    assert reported.status_code == 200, reported.text
    return ids
