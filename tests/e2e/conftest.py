"""The docker-compose cluster the e2e modules run the Kubernetes tutorials on, one per module.

    cluster  (module scope)  `scripts/cluster up` with its own compose project, API port, network,
                             owner label and $HOME; `scripts/cluster down` afterwards, pass or fail
    bootcamp (module scope)  module 2 of Kubernetes Basics on it: the kubernetes-bootcamp Deployment,
                             its one pod Running

A module marks itself with COMPOSE_REQUIRED, so it is skipped where kubectl or compose is missing.
Each module gets a cluster of its own because the tutorials change it for good (a node stopped, a
teardown checked), and a cluster never meets another one running on the same engine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import docker
import pytest

from kubelet.runtime.protocol import LABEL_OWNER
from tests.support.cluster import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"


def compose_available() -> bool:
    for command in (["docker", "compose", "version"], ["docker-compose", "version"]):
        if shutil.which(command[0]) and subprocess.run(command, capture_output=True).returncode == 0:
            return True
    return False


COMPOSE_REQUIRED = [
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
    pytest.mark.skipif(not compose_available(), reason="neither docker compose nor docker-compose is installed"),
]


class ComposeCluster:
    """One `scripts/cluster` cluster and the shell a user would type into."""

    def __init__(self, home: Path):
        self.name = f"tk-e2e-{uuid.uuid4().hex[:6]}"
        self.kubeconfig_dir = home / "kubeconfig"
        self.env = os.environ | {
            "TINYKUBE_CLUSTER": self.name,
            "TINYKUBE_NETWORK": self.name,
            "TINYKUBE_API_PORT": str(free_port()),
            "TINYKUBE_KUBECONFIG_DIR": str(self.kubeconfig_dir),
            "KUBECONFIG": str(self.kubeconfig_dir / "kubeconfig"),
            "KUBECACHEDIR": str(home / "kube-cache"),
            "HOME": str(home),  # kubectl writes its cache and config under $HOME
        }

    def cluster(self, verb: str) -> None:
        result = subprocess.run([str(REPO / "scripts" / "cluster"), verb], cwd=REPO, env=self.env,
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"scripts/cluster {verb} failed:\n{result.stdout}\n{result.stderr}"

    def sh(self, script: str, *, check: bool = True) -> subprocess.CompletedProcess:
        """Run lines exactly as typed into bash (with this cluster's KUBECONFIG). Standard input is
        empty, never the terminal pytest runs in, so `kubectl exec -ti` behaves the same everywhere."""
        result = subprocess.run(["bash", "-c", script], cwd=REPO, env=self.env, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=120)
        if check:
            assert result.returncode == 0, f"{script}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def compose(self, *args: str) -> None:
        command = ["docker", "compose"] if subprocess.run(["docker", "compose", "version"], capture_output=True,
                                                          ).returncode == 0 else ["docker-compose"]
        subprocess.run([*command, "-p", self.name, *args], cwd=REPO, env=self.env, check=True, capture_output=True)

    def pods(self, selector: str) -> list[tuple[str, str, str]]:
        """(name, status, node) of the pods with these labels, from `kubectl get pods -o wide`."""
        lines = self.sh(f"kubectl get pods -l {selector} -o wide --no-headers").stdout.splitlines()
        return [(cells[0], cells[2], cells[6]) for cells in (line.split() for line in lines)]

    def leftovers(self) -> list[str]:
        """What of this cluster is still on the engine: containers, volumes, networks."""
        client = docker.from_env()
        try:
            found = [f"container {c.name}" for label in (f"{LABEL_OWNER}={self.name}",
                                                         f"{COMPOSE_PROJECT_LABEL}={self.name}")
                     for c in client.containers.list(all=True, filters={"label": label})]
            found += [f"volume {v.name}" for label in (f"{LABEL_OWNER}={self.name}",
                                                       f"{COMPOSE_PROJECT_LABEL}={self.name}")
                      for v in client.volumes.list(filters={"label": label})]
            found += [f"network {n.name}" for n in client.networks.list(names=[self.name]) if n.name == self.name]
            return found
        finally:
            client.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = ComposeCluster(tmp_path_factory.mktemp("compose"))
    try:
        cluster.cluster("up")
        yield cluster
    finally:
        cluster.cluster("down")  # pass or fail; idempotent after a teardown test


@pytest.fixture(scope="module")
def bootcamp(cluster):
    """Module 2 of the tutorial: one Deployment of the app, its pod Running."""
    cluster.sh("kubectl create deployment kubernetes-bootcamp --image=tinykube/bootcamp:v1 --port=8080")
    wait_for(lambda: [status for _, status, _ in cluster.pods("app=kubernetes-bootcamp")] == ["Running"],
             timeout=90, interval=0.5, message="the kubernetes-bootcamp pod Running")
    return cluster.pods("app=kubernetes-bootcamp")[0][0]
