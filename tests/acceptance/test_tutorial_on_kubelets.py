"""The Kubernetes 'Viewing Pods and Nodes' tutorial, with the real kubectl, on a master and three kubelets.

Deployments need the controllers (a later piece), so the app's pods are applied directly here.
"""

import shutil
import subprocess

import httpx
import pytest

from tests.support.cluster import Kubectl, free_port, live_cluster, wait_for

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

TIME_SCALE = 0.1


def bootcamp_pod(name: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: kubernetes-bootcamp}}
spec:
  containers:
  - name: kubernetes-bootcamp
    image: tinykube/bootcamp:v1
    ports: [{{containerPort: 8080}}]
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("tutorial")
    with live_cluster(root, nodes=3, time_scale=TIME_SCALE) as (master, kubelets):
        kubectl = Kubectl(master.kubeconfig, root / "kube-cache")
        for i in range(3):
            kubectl("apply", "-f", "-", input=bootcamp_pod(f"kubernetes-bootcamp-{i}"))
        wait_for(lambda: all(p["status"].get("phase") == "Running"
                             for p in kubectl.json("get", "pods")["items"]), timeout=60, message="pods Running")
        yield master, kubelets, kubectl


@pytest.fixture(scope="module")
def pod_name(cluster):
    _, _, kubectl = cluster
    template = '{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}'
    names = kubectl("get", "pods", "-o", "go-template", "--template", template).stdout.split()
    assert names == ["kubernetes-bootcamp-0", "kubernetes-bootcamp-1", "kubernetes-bootcamp-2"]
    return names[0]


def test_get_pods_wide_shows_the_node_of_each_pod(cluster):
    _, kubelets, kubectl = cluster
    lines = kubectl("get", "pods", "-o", "wide").stdout.splitlines()
    assert lines[0].split()[:8] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED"]
    nodes = {k.node_name for k in kubelets}
    for line in lines[1:]:
        cells = line.split()
        assert cells[1:3] == ["1/1", "Running"]
        assert cells[6] in nodes
    assert len({line.split()[6] for line in lines[1:]}) >= 2  # spread over the nodes


def test_describe_pods_shows_node_ip_container_and_events(cluster, pod_name):
    _, _, kubectl = cluster
    described = kubectl("describe", "pods", pod_name).stdout
    pod = kubectl.json("get", "pod", pod_name)
    fields = [line.split(None, 1) for line in described.splitlines() if ":" in line]
    values = {key.strip(): (rest[0].strip() if rest else "") for key, *rest in fields}
    assert values["Node:"] == f"{pod['spec']['nodeName']}/127.0.0.1"
    assert values["IP:"] == pod["status"]["podIP"]
    assert values["Image:"] == "tinykube/bootcamp:v1"
    assert values["Port:"] == "8080/TCP"
    assert values["State:"] == "Running"
    events = described.split("Events:")[1]
    for reason in ("Scheduled", "Pulled", "Created", "Started"):
        assert reason in events, events


def test_kubectl_proxy_then_curl_reaches_the_pod(cluster, pod_name):
    _, _, kubectl = cluster
    port = free_port()
    proxy = subprocess.Popen(["kubectl", "proxy", f"--port={port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=kubectl.env)
    try:
        url = f"http://localhost:{port}/api/v1/namespaces/default/pods/{pod_name}/proxy/"
        page = wait_for(lambda: (lambda r: r.text if r.status_code == 200 else None)(httpx.get(url, timeout=5)),
                        timeout=20, message="the pod through kubectl proxy")
        assert page.strip() == f"Hello tinykube! | Running on: {pod_name} | v=1"
    finally:
        proxy.terminate()
        proxy.communicate(timeout=10)
    logs = wait_for(lambda: (lambda out: out if "GET / served by" in out else None)(kubectl("logs", pod_name).stdout),
                    message="the request in the logs")
    assert f"GET / served by {pod_name} (v=1)" in logs


def test_exec_env_lists_the_containers_environment(cluster, pod_name):
    _, _, kubectl = cluster
    env = kubectl("exec", pod_name, "--", "env").stdout
    assert "VERSION=1" in env and "PATH=" in env


def test_exec_with_stdin(cluster, pod_name):
    _, _, kubectl = cluster
    assert kubectl("exec", "-i", pod_name, "--", "cat", input="piped through\n").stdout == "piped through\n"


def test_exec_propagates_the_exit_code(cluster, pod_name):
    _, _, kubectl = cluster
    result = kubectl("exec", pod_name, "--", "sh", "-c", "exit 3", check=False)
    assert result.returncode == 3
    assert "command terminated with exit code 3" in result.stderr


def test_kubectl_cp_copies_a_binary_file_into_a_pod_and_back(cluster, pod_name, tmp_path):
    """kubectl cp is tar through exec, both ways: every byte value must survive the exec streams."""
    _, _, kubectl = cluster
    original = tmp_path / "payload.bin"
    original.write_bytes(bytes(range(256)) * 64)
    kubectl("exec", pod_name, "--", "mkdir", "-p", "/copied")  # the image has no /tmp
    kubectl("cp", str(original), f"{pod_name}:/copied/payload.bin")
    assert kubectl("exec", pod_name, "--", "wc", "-c", "/copied/payload.bin").stdout.split()[0] == str(256 * 64)
    back = tmp_path / "back.bin"
    kubectl("cp", f"{pod_name}:/copied/payload.bin", str(back))
    assert back.read_bytes() == original.read_bytes()
