"""logs, exec and pod proxy end to end: real kubectl and Python client -> real master -> kubelet server.

The kubelet here is its HTTPS server alone, on the fake runtime, registered as
a Node the way a kubelet registers itself; pods are bound to it and given an
IP through pods/status, as the scheduler and the kubelet would.
"""

import json
import shutil
import subprocess
import threading
import uuid

import httpx
import kubernetes
import pytest
from kubernetes import client
from kubernetes.stream import stream
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.cluster import free_port, wait_for
from tests.support.kubelet_app import KubeletServer, StandInPod, fake_runtime, start_pod

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


@pytest.fixture(scope="module")
def pod_server():
    server = StandInPod().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def node(master, tmp_path_factory):
    """A kubelet server on the fake runtime, and its Node pointing at it; (node name, runtime)."""
    name = f"streams-{uuid.uuid4().hex[:6]}"
    runtime = fake_runtime()

    def find_pod(namespace, pod_name):
        with master.client(master.token("node")) as api:
            answer = api.get(f"/api/v1/namespaces/{namespace}/pods/{pod_name}")
        return answer.json() if answer.status_code == 200 else None

    kubelet = KubeletServer(runtime, node_name=name, token=master.token("node"),
                            cert_dir=tmp_path_factory.mktemp("kubelet-pki"), find_pod=find_pod).start()
    with master.client() as api:
        assert api.post("/api/v1/nodes", json={"metadata": {"name": name}}).status_code == 201
        registered = api.patch(
            f"/api/v1/nodes/{name}/status", headers={"Content-Type": "application/merge-patch+json"},
            json={"status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                             "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet.port}}}},
        )
        assert registered.status_code == 200, registered.text
    yield name, runtime
    kubelet.stop()
    with master.client() as api:
        api.delete(f"/api/v1/nodes/{name}")


def run_pod(api, namespace, node, name, containers, **spec):
    """Create a pod bound to `node`, start its containers in the fake runtime, and report it Running."""
    node_name, runtime = node
    created = api.post(f"/api/v1/namespaces/{namespace}/pods", json={
        "metadata": {"name": name},
        "spec": {"nodeName": node_name, "containers": [{"image": "busybox:1.36", **c} for c in containers], **spec},
    })
    assert created.status_code == 201, created.text
    ids = start_pod(runtime, created.json(), node_name=node_name)
    reported = api.patch(f"/api/v1/namespaces/{namespace}/pods/{name}/status",
                         headers={"Content-Type": "application/merge-patch+json"},
                         json={"status": {"phase": "Running", "podIP": "127.0.0.1",
                                          "podIPs": [{"ip": "127.0.0.1"}]}})
    assert reported.status_code == 200, reported.text
    return ids


@pytest.fixture
def web(api, namespace, node, pod_server):
    """Pod "web": one container "c" whose first declared port is the stand-in web server's."""
    ids = run_pod(api, namespace, node, "web", [{"name": "c", "ports": [{"containerPort": pod_server.port}]}])
    node[1].append_log(ids["c"], b"starting\nlistening\n")
    return ids


@pytest.fixture
def multi(api, namespace, node):
    return run_pod(api, namespace, node, "multi", [{"name": "a"}, {"name": "b"}])


# ----- logs


def test_kubectl_logs_prints_the_container_log(kubectl, namespace, web):
    assert kubectl("logs", "web", "-n", namespace).stdout == "starting\nlistening\n"
    assert kubectl("logs", "web", "-n", namespace, "-c", "c", "--tail=1").stdout == "listening\n"


def test_kubectl_logs_follow_streams_until_the_container_exits(api, kubectl, namespace, node):
    ids = run_pod(api, namespace, node, "once", [{"name": "c"}], restartPolicy="Never")
    runtime = node[1]
    runtime.append_log(ids["c"], b"first\n")
    process = subprocess.Popen(["kubectl", "logs", "-f", "once", "-n", namespace], env=kubectl.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
        reader.start()
        wait_for(lambda: lines == [b"first\n"], timeout=20, message="the first line through kubectl logs -f")

        runtime.append_log(ids["c"], b"second\n")
        runtime.exit(ids["c"], 0)

        assert process.wait(timeout=20) == 0
        reader.join(timeout=5)
        assert lines == [b"first\n", b"second\n"]
    finally:
        process.kill()
        process.wait()


def test_the_container_must_be_named_for_a_pod_with_several(api, kubectl, namespace, multi):
    # The Python client sends no container; kubectl validates -c itself before asking.
    unnamed = api.get(f"/api/v1/namespaces/{namespace}/pods/multi/log")
    bad_name = kubectl("logs", "multi", "-n", namespace, "-c", "zzz", check=False)

    assert unnamed.status_code == 400
    assert unnamed.json()["message"] == "a container name must be specified for pod multi, choose one of: [a b]"
    assert bad_name.returncode == 1
    assert "container zzz is not valid for pod multi" in bad_name.stderr


def test_a_node_may_not_read_logs_or_exec(master, namespace, web):
    with master.client(master.token("node")) as as_node:
        answer = as_node.get(f"/api/v1/namespaces/{namespace}/pods/web/log")
    with pytest.raises(InvalidStatus) as refused:
        connect(f"wss://127.0.0.1:{master.port}/api/v1/namespaces/{namespace}/pods/web/exec?command=true&stdout=1",
                ssl=master.ca, subprotocols=["v5.channel.k8s.io"],
                additional_headers={"Authorization": f"Bearer {master.token('node')}"})

    assert answer.status_code == 403
    assert refused.value.response.status_code == 403


# ----- exec


def test_kubectl_exec_prints_the_command_output(kubectl, namespace, web):
    result = kubectl("exec", "web", "-n", namespace, "--", "echo", "hi")

    assert result.stdout == "hi\n"


def test_kubectl_exec_exits_with_the_command_exit_code(kubectl, namespace, web):
    result = kubectl("exec", "web", "-n", namespace, "--", "sh", "-c", "exit 3", check=False)

    assert result.returncode == 3
    assert "command terminated with exit code 3" in result.stderr


def test_kubectl_exec_pipes_stdin_to_the_command(kubectl, namespace, web):
    result = kubectl("exec", "-i", "web", "-n", namespace, "--", "cat", input="piped\n")

    assert result.stdout == "piped\n"


def test_kubectl_exec_into_an_unknown_container_is_a_bad_request(kubectl, namespace, multi):
    # Refused before the upgrade; kubectl then retries over SPDY, whose POST answers the same.
    result = kubectl("exec", "multi", "-n", namespace, "-c", "zzz", "--", "true", check=False)

    assert result.returncode == 1
    assert "Error from server (BadRequest): container zzz is not valid for pod multi" in result.stderr


def test_the_python_client_execs_over_websocket(master, namespace, web):
    api_client = kubernetes.config.new_client_from_config(config_file=str(master.kubeconfig))
    try:
        core = client.CoreV1Api(api_client)
        output = stream(core.connect_get_namespaced_pod_exec, "web", namespace, command=["echo", "from python"],
                        stderr=True, stdin=False, stdout=True, tty=False)
    finally:
        api_client.close()

    assert output == "from python\n"


def test_spdy_fallback_is_answered_with_a_status(api, namespace, web):
    answer = api.post(f"/api/v1/namespaces/{namespace}/pods/web/exec?command=true&stdout=true",
                      headers={"Upgrade": "SPDY/3.1", "Connection": "Upgrade"})

    assert answer.status_code == 400
    assert "WebSocket (v5.channel.k8s.io) only" in answer.json()["message"]


# ----- proxy


@pytest.fixture
def kubectl_proxy(kubectl):
    port = free_port()
    process = subprocess.Popen(["kubectl", "proxy", f"--port={port}"], env=kubectl.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/version").status_code == 200, timeout=20,
             message="kubectl proxy")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def test_kubectl_proxy_reaches_the_pods_web_server(kubectl_proxy, namespace, web, pod_server):
    pods = f"{kubectl_proxy}/api/v1/namespaces/{namespace}/pods"

    page = httpx.get(f"{pods}/web/proxy/")
    with_port = httpx.get(f"{pods}/web:{pod_server.port}/proxy/sub/?q=1")

    assert page.status_code == 200
    assert page.json()["page"] == "hello from the pod"
    assert with_port.json()["path"] == "/sub/?q=1"


def test_pod_proxy_forwards_no_credentials_to_the_pod(api, namespace, web):
    answer = api.put(f"/api/v1/namespaces/{namespace}/pods/web/proxy/form", content=b"data",
                     headers={"Cookie": "session=secret"})

    seen = answer.json()
    assert (seen["method"], seen["path"], seen["body"]) == ("PUT", "/form", "data")
    assert "authorization" not in seen["headers"] and "cookie" not in seen["headers"]
    assert json.dumps(seen).count("Bearer") == 0
