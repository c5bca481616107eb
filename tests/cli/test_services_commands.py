"""tkctl describe, get, expose and cluster-info for Services, Endpoints and EndpointSlices, beside the real kubectl."""

from __future__ import annotations

import re
import uuid

import pytest

SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}, annotations: {team: shop}}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: metrics, port: 9090, targetPort: metrics, protocol: TCP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abcde, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}, {name: metrics, port: 9090}]
endpoints:
- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-1,
   targetRef: {kind: Pod, name: web-1}}
- {addresses: [10.244.1.6], conditions: {ready: false}}
- {addresses: [10.244.1.7]}
- {addresses: [10.244.1.8], conditions: {ready: true}, hostname: web-8, zone: z1}
- {addresses: [10.244.1.9]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 10.244.1.5}, {ip: 10.244.1.7}]
  notReadyAddresses: [{ip: 10.244.1.6}]
  ports: [{name: http, port: 8080}, {name: metrics, port: 9090, protocol: UDP}]
- addresses: [{ip: 10.244.2.1}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  externalIPs: [1.2.3.4]
  loadBalancerIP: 5.6.7.8
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec: {clusterIP: None, selector: {app: x}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: bare}
addressType: IPv4
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: kubernetes-bootcamp, labels: {app: kubernetes-bootcamp}}
spec:
  selector: {matchLabels: {app: kubernetes-bootcamp}}
  template:
    metadata: {labels: {app: kubernetes-bootcamp}}
    spec:
      containers: [{name: bootcamp, image: tinykube/bootcamp:v1}]
---
apiVersion: v1
kind: Pod
metadata: {name: multi, labels: {app: multi}}
spec:
  containers:
  - name: c
    image: busybox:1.36
    ports: [{containerPort: 53, protocol: UDP}, {containerPort: 53}, {containerPort: 8080, name: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  containers: [{name: c, image: busybox:1.36}]
"""

_AGE = re.compile(r"\s+\d+[smhd]\s*$")


@pytest.fixture(scope="module")
def objects(master, real_kubectl):
    """One namespace of Services and their endpoints for the whole module; the tests only read it."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    real_kubectl("create", "namespace", name)
    real_kubectl("apply", "-n", name, "-f", "-", input=SERVICE)
    yield name
    real_kubectl("delete", "namespace", name, "--wait=false")


@pytest.mark.parametrize("args", [
    ["describe", "svc", "web"], ["describe", "services/lb"], ["describe", "svc", "db"], ["describe", "svc", "headless"],
    ["describe", "endpoints", "web"], ["describe", "endpointslice", "web-abcde"], ["describe", "endpointslices", "bare"],
])
def test_describe_prints_what_kubectl_prints(tkctl, kubectl, objects, args):
    assert tkctl.ok(*args, "-n", objects) == kubectl(*args, "-n", objects).stdout


def test_describe_the_kubernetes_service(tkctl, kubectl):
    assert tkctl.ok("describe", "svc", "kubernetes", "-n", "default") == \
        kubectl("describe", "svc", "kubernetes", "-n", "default").stdout


@pytest.mark.parametrize("args", [["get", "svc"], ["get", "svc", "-o", "wide"], ["get", "ep"],
                                  ["get", "endpointslices"]])
def test_get_prints_the_servers_table_as_kubectl_does(tkctl, kubectl, objects, args):
    # AGE may tick between the two runs
    ours = [_AGE.sub("", line) for line in tkctl.ok(*args, "-n", objects).splitlines()]
    theirs = [_AGE.sub("", line) for line in kubectl(*args, "-n", objects).stdout.splitlines()]
    assert [_drop_selector_age(line) for line in ours] == [_drop_selector_age(line) for line in theirs]


def _drop_selector_age(line: str) -> str:
    # with -o wide the age sits before the selector
    return re.sub(r"\s+\d+[smhd]\s+(\S+)$", r"  \1", line)


@pytest.mark.parametrize("args", [
    ["expose", "deployment", "kubernetes-bootcamp", "--type", "NodePort", "--port", "8080", "--dry-run=client",
     "-o", "yaml"],
    ["expose", "pod", "multi", "--dry-run=client", "-o", "json"],
    ["expose", "pod", "multi", "--protocol", "UDP", "--name", "m2", "--dry-run=client", "-o", "yaml"],
    ["expose", "svc/web", "--name", "w2", "--port", "81", "--target-port", "http", "--type", "LoadBalancer",
     "--dry-run=client", "-o", "json"],
    ["expose", "deploy/kubernetes-bootcamp", "--name", "b3", "--port", "8080", "--dry-run=server"],
    ["expose", "deployment", "kubernetes-bootcamp"],
    ["expose", "pod", "plain", "--port", "80"],
    ["expose", "svc", "db", "--name", "x"],
    ["expose", "deployment", "nope", "--port", "80"],
    ["expose", "pod", "multi", "--name", "m5", "--selector", "a=b=c", "--dry-run=client"],
])
def test_expose_generates_and_refuses_as_kubectl_does(tkctl, kubectl, objects, args):
    ours = tkctl(*args, "-n", objects)
    theirs = kubectl(*args, "-n", objects, check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)


def test_expose_creates_the_service_kubectl_would(tkctl, kubectl, namespace):
    kubectl("apply", "-n", namespace, "-f", "-", input=SERVICE)
    assert tkctl.ok("expose", "deployment", "kubernetes-bootcamp", "--type", "NodePort", "--port", "8080",
                    "-n", namespace) == "service/kubernetes-bootcamp exposed\n"
    ours = kubectl.json("get", "svc", "kubernetes-bootcamp", "-n", namespace)
    kubectl("expose", "deployment", "kubernetes-bootcamp", "--type", "NodePort", "--port", "8080", "--name", "k",
            "-n", namespace)
    theirs = kubectl.json("get", "svc", "k", "-n", namespace)
    for service in (ours, theirs):
        del service["spec"]["clusterIP"], service["spec"]["clusterIPs"]
        del service["spec"]["ports"][0]["nodePort"]
    assert ours["spec"] == theirs["spec"]
    assert ours["metadata"]["labels"] == theirs["metadata"]["labels"] == {"app": "kubernetes-bootcamp"}


def test_cluster_info_lists_the_control_plane_and_the_cluster_services(tkctl, kubectl, master):
    ours = tkctl.ok("cluster-info").splitlines()
    theirs = kubectl("cluster-info").stdout.splitlines()
    assert ours[:2] == theirs[:2] == [
        f"Kubernetes control plane is running at {master.url}",
        f"KubeDNS is running at {master.url}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy"]
