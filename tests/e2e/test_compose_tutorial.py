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
import subprocess

import docker
import pytest

from tests.e2e.conftest import COMPOSE_PROJECT_LABEL, COMPOSE_REQUIRED
from tests.support.cluster import free_port, wait_for

TUTORIAL_POD_NAMES = """export POD_NAME=$(kubectl get pods -o go-template --template '{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}')
echo $POD_NAME"""
GREETING = "Hello tinykube! | Running on: {pod} | v=1"
REPLICAS_FOR_THE_FAILOVER = 6

pytestmark = [*COMPOSE_REQUIRED, pytest.mark.timeout(900)]


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
