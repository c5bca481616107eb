"""The Kubernetes 'Viewing Pods and Nodes' tutorial on the docker-compose cluster, as a user runs it.

`scripts/cluster up` builds every image offline if it must and starts the master and
three kubelets from docker-compose.yml; then the tutorial's own shell lines run with the
real kubectl, and the same steps with tkctl; then a DaemonSet, the loss of node-2 and
`scripts/cluster down`, after which nothing of the cluster may be left on the engine.

The cluster gets its own compose project, API port, network and owner label, so it never
meets a cluster the user is running on the same engine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import docker
import httpx
import pytest

from kubelet.runtime.protocol import LABEL_OWNER
from tests.support.cluster import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
TUTORIAL_POD_NAMES = """export POD_NAME=$(kubectl get pods -o go-template --template '{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}')
echo $POD_NAME"""
GREETING = "Hello tinykube! | Running on: {pod} | v=1"
REPLICAS_FOR_THE_FAILOVER = 6


def compose_available() -> bool:
    for command in (["docker", "compose", "version"], ["docker-compose", "version"]):
        if shutil.which(command[0]) and subprocess.run(command, capture_output=True).returncode == 0:
            return True
    return False


pytestmark = [
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
    pytest.mark.skipif(not compose_available(), reason="neither docker compose nor docker-compose is installed"),
    pytest.mark.timeout(900),
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
        """Run lines exactly as typed into bash (with this cluster's KUBECONFIG)."""
        result = subprocess.run(["bash", "-c", script], cwd=REPO, env=self.env, capture_output=True, text=True,
                                timeout=120)
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
        cluster.cluster("down")  # pass or fail; idempotent after the teardown test


@pytest.fixture(scope="module")
def bootcamp(cluster):
    """Module 2 of the tutorial: one Deployment of the app, its pod Running."""
    cluster.sh("kubectl create deployment kubernetes-bootcamp --image=tinykube/bootcamp:v1 --port=8080")
    wait_for(lambda: [status for _, status, _ in cluster.pods("app=kubernetes-bootcamp")] == ["Running"],
             timeout=90, interval=0.5, message="the kubernetes-bootcamp pod Running")
    return cluster.pods("app=kubernetes-bootcamp")[0][0]


@pytest.mark.parametrize("cli", ["kubectl", "tkctl"])
def test_viewing_pods_and_nodes(cluster, bootcamp, cli):
    """The tutorial's lines, word for word (with tkctl: the same lines, `kubectl` replaced)."""
    def line(text: str) -> str:
        return text.replace("kubectl", cli)

    pods = cluster.sh(line("kubectl get pods")).stdout.splitlines()
    assert pods[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert pods[1].split()[:3] == [bootcamp, "1/1", "Running"]

    described = cluster.sh(line("kubectl describe pods")).stdout
    fields = [text.split() for text in described.splitlines()]
    assert fields[0] == ["Name:", bootcamp]
    assert ["Image:", "tinykube/bootcamp:v1"] in fields
    assert any(f[:1] == ["Node:"] and f[1].split("/")[0] in ("node-1", "node-2", "node-3") for f in fields)
    assert "Successfully assigned default/" in described  # the Scheduled event

    port = free_port()
    proxy = subprocess.Popen(["bash", "-c", line(f"kubectl proxy --port {port}")], env=cluster.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        pod_name = cluster.sh(line(TUTORIAL_POD_NAMES)).stdout.strip()
        assert pod_name == bootcamp
        curl = f"curl -s http://localhost:{port}/api/v1/namespaces/default/pods/$POD_NAME/proxy/"
        answer = wait_for(lambda: cluster.sh(f"{line(TUTORIAL_POD_NAMES)} >/dev/null\n{curl}",
                                             check=False).stdout.strip(),
                          timeout=20, interval=0.3, message="the app through the proxy")
        assert answer == GREETING.format(pod=bootcamp)
    finally:
        os.killpg(proxy.pid, 15)
        proxy.wait(timeout=10)

    logs = wait_for(lambda: cluster.sh(line(f"{TUTORIAL_POD_NAMES} >/dev/null\nkubectl logs $POD_NAME")).stdout,
                    timeout=10, message="logs")
    assert f"GET / served by {bootcamp} (v=1)" in logs
    env = cluster.sh(line(f"{TUTORIAL_POD_NAMES} >/dev/null\nkubectl exec $POD_NAME -- env")).stdout
    assert f"HOSTNAME={bootcamp}" in env.splitlines()


def test_get_pods_wide_shows_each_pods_node(cluster, bootcamp):
    cluster.sh(f"tkctl scale deployment kubernetes-bootcamp --replicas={REPLICAS_FOR_THE_FAILOVER}")
    wait_for(lambda: [status for _, status, _ in cluster.pods("app=kubernetes-bootcamp")]
             == ["Running"] * REPLICAS_FOR_THE_FAILOVER, timeout=90, interval=0.5, message="6 pods Running")
    for cli in ("kubectl", "tkctl"):
        lines = cluster.sh(f"{cli} get pods -o wide").stdout.splitlines()
        assert lines[0].split()[6] == "NODE"
        nodes = {line.split()[6] for line in lines[1:]}
        assert nodes <= {"node-1", "node-2", "node-3"} and len(nodes) >= 2, lines
    # The README's "What just happened?": the scale, traced from the command down to the kubelets.
    trace = cluster.sh("tkctl trace deployment/kubernetes-bootcamp").stdout
    for actor in ("tkctl", "controller/deployment", "controller/replicaset", "scheduler", "kubelet/node-"):
        assert actor in trace, trace


def test_daemonset_runs_one_pod_on_each_node(cluster):
    cluster.sh("tkctl apply -f examples/node-agent-daemonset.yaml")
    placed = wait_for(lambda: (lambda pods: pods if len(pods) == 3 and all(s == "Running" for _, s, _ in pods)
                               else None)(cluster.pods("app=node-agent")),
                      timeout=90, interval=0.5, message="3 node-agent pods Running")
    assert sorted(node for _, _, node in placed) == ["node-1", "node-2", "node-3"]


def test_pods_of_a_stopped_node_come_back_on_the_others(cluster, bootcamp):
    before = cluster.pods("app=kubernetes-bootcamp")
    # Spreading (least allocated, counting 100m/200Mi for a pod that requests nothing) gives the
    # empty 2-cpu node-2 a share of the six.
    assert any(node == "node-2" for _, _, node in before), before
    cluster.compose("stop", "node-2")

    def moved():
        pods = cluster.pods("app=kubernetes-bootcamp")
        running = [node for _, status, node in pods if status == "Running"]
        return pods if len(running) == REPLICAS_FOR_THE_FAILOVER and "node-2" not in running else None

    # time scale 0.1: NotReady after 4 s, evicted 30 s later (the default 300 s toleration).
    after = wait_for(moved, timeout=120, interval=1, message="the Deployment's pods Running on node-1 and node-3")
    assert {node for _, status, node in after if status == "Running"} <= {"node-1", "node-3"}
    nodes = cluster.sh("kubectl get nodes --no-headers").stdout.splitlines()
    assert any(line.split()[:2] == ["node-2", "NotReady"] for line in nodes), nodes
    # The README's "What just happened?" for the lost node: Unknown, the taint, evictions, replacements.
    trace = cluster.sh("tkctl trace node/node-2").stdout
    for step in ("Unknown", "node.kubernetes.io/unreachable", "delete pods/", "controller/replicaset"):
        assert step in trace, trace


def test_a_kubelet_gets_the_node_kubeconfig_and_none_of_the_masters_secrets(cluster):
    client = docker.from_env()
    try:
        [kubelet] = client.containers.list(filters={"label": [f"{COMPOSE_PROJECT_LABEL}={cluster.name}",
                                                              "com.docker.compose.service=node-1"]})
        mounted = sorted(mount["Destination"] for mount in kubelet.attrs["Mounts"])
        assert mounted == ["/var/lib/tinykube-node", "/var/run/docker.sock"]
        listed = kubelet.exec_run(["ls", "-A", "/var/lib/tinykube-node"]).output.decode().split()
        assert listed == ["node.kubeconfig"]
    finally:
        client.close()


def test_teardown_leaves_nothing_behind(cluster):
    assert cluster.leftovers(), "the cluster should be up before the teardown"
    cluster.cluster("down")
    assert cluster.leftovers() == []
