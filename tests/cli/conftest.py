import contextlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cluster import Kubectl


class Tkctl:
    """The real `tkctl` entry point, run as a subprocess against the test master."""

    def __init__(self, kubeconfig: Path):
        self.kubeconfig = kubeconfig

    def __call__(self, *args: str, input: str | None = None, kubeconfig: Path | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            # --kubeconfig goes first: after `exec POD --` it would be part of the remote command
            [sys.executable, "-m", "cli.main", "--kubeconfig", str(kubeconfig or self.kubeconfig), *args],
            input=input, capture_output=True, text=True, timeout=timeout,
        )

    def ok(self, *args: str, input: str | None = None) -> str:
        result = self(*args, input=input)
        assert result.returncode == 0, f"tkctl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        return result.stdout


@pytest.fixture
def tkctl(master):
    return Tkctl(master.kubeconfig)


@pytest.fixture(scope="module")
def real_kubectl(master, tmp_path_factory):
    """The real kubectl against the test master, with a discovery cache of the module's own."""
    return Kubectl(master.kubeconfig, tmp_path_factory.mktemp("kube-cache"))


@contextlib.contextmanager
def namespace_with_pods(master, pods: list[dict]) -> Iterator[str]:
    """A fresh namespace holding these pods (full Pod bodies); deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    with master.client() as client:
        assert client.post("/api/v1/namespaces", json={"metadata": {"name": name}}).status_code == 201
        for pod in pods:
            response = client.post(f"/api/v1/namespaces/{name}/pods", json=pod)
            assert response.status_code == 201, response.text
        yield name
        client.delete(f"/api/v1/namespaces/{name}")
