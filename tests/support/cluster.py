"""A real master for tests: its own process, data directory and port, reached over HTTPS."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

STARTUP_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, *, timeout: float = 10.0, interval: float = 0.05, message="condition"):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds.

    `message` may be a callable, called only on failure, so it can describe what was seen by then.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as error:  # the condition may fail until the system is ready
            last_error = error
        time.sleep(interval)
    described = message() if callable(message) else message
    raise AssertionError(f"timed out after {timeout}s waiting for {described} (last error: {last_error})")


class Master:
    """A master process. It runs its scheduler, but no controllers unless `extra_args` names them
    (`--controllers=*`): most tests use hollow nodes that renew no Lease, which the node lifecycle
    controller would rightly mark unreachable."""

    def __init__(self, data_dir: Path, *, port: int | None = None, extra_args: list[str] | None = None):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.extra_args = list(extra_args or [])
        if not any(arg.startswith("--controllers") for arg in self.extra_args):
            self.extra_args.append("--controllers=")
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"master-{self.port}.log"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "admin.kubeconfig"

    @property
    def node_kubeconfig(self) -> Path:
        return self.data_dir / "node.kubeconfig"

    @property
    def ca(self) -> ssl.SSLContext:
        """A TLS context that trusts only this master's CA."""
        return ssl.create_default_context(cafile=str(self.data_dir / "ca.crt"))

    def token(self, which: str = "admin") -> str:
        config = yaml.safe_load((self.data_dir / f"{which}.kubeconfig").read_text())
        return config["users"][0]["user"]["token"]

    def start(self) -> Master:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "master.main", "--data-dir", str(self.data_dir), "--port", str(self.port),
             "--log-level", "warning", *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT,
        )
        wait_for(self._healthy, timeout=STARTUP_TIMEOUT_SECONDS, message=f"master on {self.port} (log {self.log_path})")
        return self

    def _healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise AssertionError(f"master exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
        if not (self.data_dir / "ca.crt").exists():
            return False
        return httpx.get(f"{self.url}/readyz", verify=self.ca, timeout=2).status_code == 200

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.ca, timeout=30,
                            headers={"Authorization": f"Bearer {token or self.token()}"})


class Kubectl:
    """The real kubectl binary against a master, with its own cache (see KUBERNETES_API.md §0)."""

    def __init__(self, kubeconfig: Path, cache_dir: Path):
        self.kubeconfig = kubeconfig
        self.env = {**os.environ, "KUBECACHEDIR": str(cache_dir), "KUBECONFIG": str(kubeconfig)}

    def __call__(self, *args: str, input: str | None = None, check: bool = True,
                 timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run(["kubectl", *args], input=input, capture_output=True, text=True,
                                env=self.env, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "-o", "json").stdout)


class Kubelet:
    """A real kubelet process registered with `master`, running pods on the local Docker engine."""

    def __init__(self, master: Master, node_name: str, *, owner: str, network: str, root_dir: Path,
                 time_scale: float = 0.1, extra_args: list[str] | None = None):
        self.master = master
        self.node_name = node_name
        self.owner = owner
        self.network = network
        self.root_dir = root_dir
        self.time_scale = time_scale
        self.port = free_port()
        self.extra_args = extra_args or []
        self.process: subprocess.Popen | None = None
        self.log_path = root_dir / f"kubelet-{node_name}.log"

    def start(self) -> Kubelet:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kubelet.main", "--kubeconfig", str(self.master.node_kubeconfig),
             "--node-name", self.node_name, "--port", str(self.port), "--network", self.network,
             "--pod-infra-image", "tinykube/pause:local", "--root-dir", str(self.root_dir),
             "--time-scale", str(self.time_scale), "--owner-label", self.owner, "--log-level", "info",
             *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT,
        )
        wait_for(self._ready, timeout=STARTUP_TIMEOUT_SECONDS, message=f"kubelet {self.node_name} ({self.log_path})")
        return self

    def _ready(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise AssertionError(f"kubelet exited with {self.process.returncode}: {self.log_path.read_text()[-3000:]}")
        with self.master.client() as client:
            node = client.get(f"/api/v1/nodes/{self.node_name}")
            if node.status_code != 200:
                return False
            ready = {c["type"]: c["status"] for c in node.json()["status"].get("conditions", [])}.get("Ready")
            lease = client.get(f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.node_name}")
            return ready == "True" and lease.status_code == 200

    def stop(self, *, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


@contextmanager
def live_cluster(root: Path, *, nodes: int = 1, time_scale: float = 0.1, master_args: list[str] | None = None,
                 kubelet_args: list[str] | None = None) -> Iterator[tuple[Master, list[Kubelet]]]:
    """A master and `nodes` real kubelets on a network of their own; every container, volume and the
    network they made are removed afterwards, pass or fail."""
    from tests.support.docker_cleanup import remove_owned
    from tests.support.images import ensure_test_images

    ensure_test_images()
    run = uuid.uuid4().hex[:6]
    owner, network, prefix = f"test-{run}", f"tk-test-{run}", f"k{run}"
    master = Master(root / "master", extra_args=["--time-scale", str(time_scale), *(master_args or [])])
    kubelets = [Kubelet(master, f"{prefix}-{i}", owner=owner, network=network, root_dir=root / "nodes",
                        time_scale=time_scale, extra_args=["--cpu", "2", "--memory", "2Gi", *(kubelet_args or [])])
                for i in range(1, nodes + 1)]
    try:
        master.start()
        for kubelet in kubelets:
            kubelet.start()
        yield master, kubelets
    finally:
        for kubelet in kubelets:
            kubelet.stop()
        master.stop()
        remove_owned(owner, node_prefix=prefix, network=network)
