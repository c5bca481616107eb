"""Kubernetes Basics module 4 ("Using a Service to Expose Your App"), as typed, with the real kubectl.

The master runs the deployment, replica set and endpoints controllers but no scheduler or kubelets:
what is checked here is the API's side of the module (expose, get, describe, labels, delete,
cluster-info); traffic through the node port is the data path's test (test_services_datapath.py).
"""

from __future__ import annotations

import shutil

import pytest

from tests.support.cluster import Kubectl, Master, wait_for

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

APP = "kubernetes-bootcamp"
CONTROLLERS = "--controllers=deployment,replicaset,endpoint,endpointslice"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("module4")
    master = Master(root / "data", extra_args=["--no-scheduler", CONTROLLERS]).start()
    try:
        kubectl = Kubectl(master.kubeconfig, root / "kube-cache")
        kubectl("create", "deployment", APP, "--image=gcr.io/google-samples/kubernetes-bootcamp:v1")
        wait_for(lambda: kubectl.json("get", "pods")["items"], timeout=20, message="the deployment's pod")
        yield master, kubectl
    finally:
        master.stop()


def rows(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()]


def test_module_4_expose_describe_label_and_delete(cluster):
    master, kubectl = cluster
    services = rows(kubectl("get", "services").stdout)
    assert services[0] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert services[1][:5] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]

    assert kubectl("expose", f"deployment/{APP}", "--type=NodePort", "--port", "8080").stdout == \
        f"service/{APP} exposed\n"
    services = rows(kubectl("get", "services").stdout)
    exposed = next(row for row in services if row[0] == APP)
    assert exposed[1] == "NodePort" and exposed[3] == "<none>"
    port, node_port = exposed[4].removesuffix("/TCP").split(":")
    assert port == "8080" and 30000 <= int(node_port) <= 32767

    described = kubectl("describe", f"services/{APP}").stdout
    fields = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in described.splitlines() if ":" in line}
    assert (fields["Selector"], fields["Type"], fields["IP"]) == (f"app={APP}", "NodePort", exposed[2])
    assert fields["Port"].split() == ["<unset>", "8080/TCP"]
    assert fields["NodePort"].split() == ["<unset>", f"{node_port}/TCP"]
    assert fields["External Traffic Policy"] == "Cluster"
    template = "{{(index .spec.ports 0).nodePort}}"
    assert kubectl("get", f"services/{APP}", "-o", f"go-template={template}").stdout == node_port

    assert f"app={APP}" in kubectl("describe", "deployment").stdout
    pods = rows(kubectl("get", "pods", "-l", f"app={APP}").stdout)
    assert pods[0][:3] == ["NAME", "READY", "STATUS"] and pods[1][0].startswith(f"{APP}-")
    assert rows(kubectl("get", "services", "-l", f"app={APP}").stdout)[1][0] == APP
    pod_name = pods[1][0]
    assert kubectl("label", "pods", pod_name, "version=v1").stdout == f"pod/{pod_name} labeled\n"
    assert "version=v1" in kubectl("describe", "pods", pod_name).stdout
    assert rows(kubectl("get", "pods", "-l", "version=v1").stdout)[1][0] == pod_name

    assert kubectl("delete", "service", "-l", f"app={APP}").stdout == f'service "{APP}" deleted\n'
    assert [row[0] for row in rows(kubectl("get", "services").stdout)[1:]] == ["kubernetes"]
    assert kubectl("get", "pods", "-l", f"app={APP}").stdout.count(APP) == 1  # the app itself is still running


def test_cluster_info_names_the_control_plane_and_cluster_dns(cluster):
    master, kubectl = cluster
    info = kubectl("cluster-info").stdout.splitlines()
    assert info[0] == f"Kubernetes control plane is running at {master.url}"
    assert info[1] == f"KubeDNS is running at {master.url}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy"


def test_an_exposed_deployment_gets_an_endpoint_slice_for_its_service(cluster):
    _, kubectl = cluster
    kubectl("expose", f"deployment/{APP}", "--name", "slice-check", "--port", "8080")
    try:
        wait_for(lambda: kubectl.json("get", "endpointslices", "-l", "kubernetes.io/service-name=slice-check")[
            "items"], timeout=20, message="the endpointslice controller's slice")
        assert "Endpoints:" in kubectl("describe", "service", "slice-check").stdout
    finally:
        kubectl("delete", "service", "slice-check")
