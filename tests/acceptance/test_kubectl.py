"""The real kubectl against a live master: the commands users type, and their exact output."""

import json
import shutil
import subprocess

import pytest
import yaml

from tests.support.cluster import wait_for

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

POD_MANIFEST = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: app
    image: busybox:1.36
    ports: [{containerPort: 8080}]
"""

DEPLOYMENT_MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: busybox:1.36}]
"""


def header(output: str) -> list[str]:
    return output.splitlines()[0].split()


def test_apply_creates_then_leaves_unchanged_then_configures(kubectl, namespace, tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD_MANIFEST)
    assert kubectl("apply", "-n", namespace, "-f", str(manifest)).stdout == "pod/web created\n"
    assert kubectl("apply", "-n", namespace, "-f", str(manifest)).stdout == "pod/web unchanged\n"
    manifest.write_text(POD_MANIFEST.replace("busybox:1.36", "busybox:1.37"))
    assert kubectl("apply", "-n", namespace, "-f", str(manifest)).stdout == "pod/web configured\n"
    assert kubectl("apply", "-n", namespace, "-f", str(manifest)).stdout == "pod/web unchanged\n"
    live = kubectl.json("get", "pod", "web", "-n", namespace)
    assert live["spec"]["containers"][0]["image"] == "busybox:1.37"
    assert "kubectl.kubernetes.io/last-applied-configuration" in live["metadata"]["annotations"]


def test_apply_of_a_deployment_converges(kubectl, namespace):
    assert kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT_MANIFEST).stdout == "deployment.apps/web created\n"
    assert kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT_MANIFEST).stdout == "deployment.apps/web unchanged\n"
    changed = DEPLOYMENT_MANIFEST.replace("replicas: 2", "replicas: 3")
    assert kubectl("apply", "-n", namespace, "-f", "-", input=changed).stdout == "deployment.apps/web configured\n"
    assert kubectl.json("get", "deploy", "web", "-n", namespace)["spec"]["replicas"] == 3


def test_get_pods_prints_the_server_table_and_wide_columns(kubectl, namespace):
    kubectl("apply", "-n", namespace, "-f", "-", input=POD_MANIFEST)
    table = kubectl("get", "pods", "-n", namespace).stdout
    assert header(table) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert table.splitlines()[1].split()[:4] == ["web", "0/1", "Pending", "0"]
    wide = kubectl("get", "pods", "-n", namespace, "-o", "wide").stdout
    assert header(wide) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                            "READINESS", "GATES"]


def test_get_nodes_prints_the_node_table(kubectl, api):
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "kubectl-node", "labels": {"node-role.kubernetes.io/worker": ""}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.0-tinykube", "osImage": "Debian", "kernelVersion": "6.1",
                                    "containerRuntimeVersion": "docker://20.10"},
                       "addresses": [{"type": "InternalIP", "address": "10.0.0.9"}]}}
    api.post("/api/v1/nodes", json=node)
    try:
        table = kubectl("get", "nodes").stdout
        assert header(table) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
        row = next(line.split() for line in table.splitlines() if line.startswith("kubectl-node"))
        assert row[1:3] == ["Ready", "worker"] and row[-1] == "v1.32.0-tinykube"
        wide = kubectl("get", "nodes", "kubectl-node", "-o", "wide").stdout
        assert "10.0.0.9" in wide and "docker://20.10" in wide
    finally:
        api.delete("/api/v1/nodes/kubectl-node")


def test_get_in_json_yaml_name_and_go_template(kubectl, namespace):
    kubectl("apply", "-n", namespace, "-f", "-", input=POD_MANIFEST)
    as_json = json.loads(kubectl("get", "pods", "-n", namespace, "-o", "json").stdout)
    assert as_json["kind"] == "List" and as_json["items"][0]["metadata"]["name"] == "web"
    as_yaml = yaml.safe_load(kubectl("get", "pod", "web", "-n", namespace, "-o", "yaml").stdout)
    assert as_yaml["kind"] == "Pod" and as_yaml["spec"]["containers"][0]["image"] == "busybox:1.36"
    assert kubectl("get", "pods", "-n", namespace, "-o", "name").stdout == "pod/web\n"
    template = '{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}'
    assert kubectl("get", "pods", "-n", namespace, "-o", "go-template", "--template", template).stdout == "web\n"


def test_get_pods_watch_sees_a_new_pod(kubectl, namespace, api):
    watcher = subprocess.Popen(["kubectl", "get", "pods", "-n", namespace, "-w"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=kubectl.env)
    try:
        wait_for(lambda: api.get(f"/api/v1/namespaces/{namespace}/pods").status_code == 200)
        kubectl("apply", "-n", namespace, "-f", "-", input=POD_MANIFEST)
        line = wait_for(lambda: watcher.stdout.readline(), timeout=20, message="kubectl -w output")
        while not line.startswith("web"):
            line = watcher.stdout.readline()
        assert line.split()[:3] == ["web", "0/1", "Pending"]
    finally:
        watcher.kill()
        watcher.communicate()


def test_describe_pod_shows_its_events(kubectl, namespace, api):
    kubectl("apply", "-n", namespace, "-f", "-", input=POD_MANIFEST)
    pod = api.get(f"/api/v1/namespaces/{namespace}/pods/web").json()
    event = {"metadata": {"name": "web.1"}, "type": "Normal", "reason": "Scheduled",
             "message": f"Successfully assigned {namespace}/web to node-2",
             "involvedObject": {"kind": "Pod", "namespace": namespace, "name": "web", "uid": pod["metadata"]["uid"],
                                "apiVersion": "v1"},
             "source": {"component": "default-scheduler"}, "count": 1,
             "firstTimestamp": pod["metadata"]["creationTimestamp"],
             "lastTimestamp": pod["metadata"]["creationTimestamp"]}
    assert api.post(f"/api/v1/namespaces/{namespace}/events", json=event).status_code == 201
    described = kubectl("describe", "pod", "web", "-n", namespace).stdout
    assert "Name:         web" in described
    assert "Port:         8080/TCP" in described
    events = described.split("Events:")[1]
    assert "Scheduled" in events and "default-scheduler" in events
    assert f"Successfully assigned {namespace}/web to node-2" in events


def test_delete_pod_of_an_unbound_pod(kubectl, namespace):
    kubectl("apply", "-n", namespace, "-f", "-", input=POD_MANIFEST)
    assert kubectl("delete", "pod", "web", "-n", namespace).stdout == 'pod "web" deleted\n'
    missing = kubectl("get", "pod", "web", "-n", namespace, check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "web" not found'


def test_delete_of_a_bound_pod_waits_until_the_kubelet_confirms(kubectl, namespace, api):
    kubectl("apply", "-n", namespace, "-f", "-", input=POD_MANIFEST)
    api.post(f"/api/v1/namespaces/{namespace}/pods/web/binding",
             json={"metadata": {"name": "web"}, "target": {"kind": "Node", "name": "node-1"}})
    deleting = subprocess.Popen(["kubectl", "delete", "pod", "web", "-n", namespace], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=kubectl.env)
    try:
        wait_for(lambda: api.get(f"/api/v1/namespaces/{namespace}/pods/web").json()["metadata"].get("deletionTimestamp"),
                 message="the deletion mark")
        assert deleting.poll() is None  # still waiting: the pod is only Terminating
        # What the kubelet does once its containers are gone:
        api.delete(f"/api/v1/namespaces/{namespace}/pods/web", params={"gracePeriodSeconds": "0"})
        out, err = deleting.communicate(timeout=30)
        assert deleting.returncode == 0, err
        assert out == 'pod "web" deleted\n'
    finally:
        if deleting.poll() is None:
            deleting.kill()


def test_scale_deployment(kubectl, namespace):
    kubectl("apply", "-n", namespace, "-f", "-", input=DEPLOYMENT_MANIFEST)
    assert kubectl("scale", "deployment", "web", "--replicas=5", "-n", namespace).stdout == "deployment.apps/web scaled\n"
    assert kubectl.json("get", "deployment", "web", "-n", namespace)["spec"]["replicas"] == 5


def test_a_misspelled_field_gives_kubectls_strict_decoding_error(kubectl, namespace):
    broken = POD_MANIFEST.replace("image: busybox", "imagee: busybox")
    result = kubectl("apply", "-n", namespace, "-f", "-", input=broken, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: '
        'strict decoding error: unknown field "spec.containers[0].imagee"')
    assert kubectl("get", "pods", "-n", namespace, check=False).stderr.startswith("No resources found")


def test_an_invalid_manifest_gives_kubectls_invalid_error(kubectl, namespace):
    invalid = POD_MANIFEST.replace("containerPort: 8080", "containerPort: 70000")
    result = kubectl("apply", "-n", namespace, "-f", "-", input=invalid, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'The Pod "web" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: '
        'must be between 1 and 65535, inclusive')


def test_a_wrong_token_is_refused_with_kubectls_login_message(master, tmp_path):
    config = yaml.safe_load(master.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "wrong"
    wrong = tmp_path / "wrong.kubeconfig"
    wrong.write_text(yaml.safe_dump(config))
    from tests.support.cluster import Kubectl

    result = Kubectl(wrong, tmp_path / "cache")("get", "pods", check=False)
    assert result.returncode == 1
    assert "error: You must be logged in to the server (the server has asked for the client to provide credentials)" \
        in result.stderr
