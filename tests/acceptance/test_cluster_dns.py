"""Cluster DNS from inside a pod, on a master and a real kubelet: Services resolve by name.

The pod's resolver is the static busybox's: `nslookup` sends its own queries to the
nameserver in the pod's resolv.conf (kube-dns's ClusterIP, which the node's data path
sends to the kubelet's DNS sockets in the pod), and `ping` resolves through libc, so
it follows the search list and ndots:5 as applications do. The headless Service's
addresses come the whole way: pods Ready -> the master's EndpointSlice controller ->
the kubelet's catalog -> the answer.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.support.cluster import Kubectl, live_cluster, wait_for

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

NAMESPACE = "dns-test"
WEB_CLUSTER_IP = "10.96.77.7"  # set, not allocated, so the answer is known before the Service exists
LOOKUP_TIMEOUT = 30.0  # the pod's sandbox, its DNS sockets and the catalog's first list all come first


def sleeper_pod(name: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {NAMESPACE}, labels: {{app: {name}, tier: backend}}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {{name: main, image: tinykube/busybox:test, command: [sleep, "3600"]}}
"""


SERVICES = f"""
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {NAMESPACE}}}
spec:
  clusterIP: {WEB_CLUSTER_IP}
  selector: {{app: peer}}
  ports: [{{name: http, port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: db, namespace: {NAMESPACE}}}
spec:
  clusterIP: None
  selector: {{tier: backend}}
  ports: [{{name: pg, port: 5432}}]
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("dns")
    with live_cluster(root, nodes=1, master_args=["--controllers=endpointslice"]) as (master, kubelets):
        kubectl = Kubectl(master.kubeconfig, root / "kube-cache")
        kubectl("create", "namespace", NAMESPACE)
        for name in ("client", "peer"):
            kubectl("apply", "-f", "-", input=sleeper_pod(name))
        wait_for(lambda: all(p["status"].get("phase") == "Running" and p["status"].get("podIP")
                             for p in kubectl.json("get", "pods", "-n", NAMESPACE)["items"]),
                 timeout=60, message="pods Running")
        pod_ips = sorted(kubectl.json("get", "pod", name, "-n", NAMESPACE)["status"]["podIP"]
                         for name in ("client", "peer"))
        kubectl("apply", "-f", "-", input=SERVICES)
        yield kubectl, pod_ips, kubelets


def in_client(kubectl: Kubectl, *command: str) -> str:
    result = kubectl("exec", "-n", NAMESPACE, "client", "--", *command, check=False)
    return result.stdout + result.stderr


def nslookup_addresses(kubectl: Kubectl, name: str) -> list[str]:
    """The addresses busybox nslookup printed for `name` (after its 'Name:' line; the server's come before)."""
    output = in_client(kubectl, "nslookup", name)
    answers = output.split("Name:", 1)[1] if "Name:" in output else ""
    return sorted(set(re.findall(r"Address: ([0-9.]+)", answers)))


def test_the_pods_resolv_conf_names_cluster_dns_and_the_search_list(cluster):
    kubectl, _, _ = cluster
    conf = in_client(kubectl, "cat", "/etc/resolv.conf")
    assert "nameserver 10.96.0.10" in conf
    assert f"search {NAMESPACE}.svc.cluster.local svc.cluster.local cluster.local" in conf
    assert "ndots:5" in conf


def test_a_service_resolves_to_its_cluster_ip(cluster):
    kubectl, _, _ = cluster
    wait_for(lambda: nslookup_addresses(kubectl, f"web.{NAMESPACE}.svc.cluster.local") == [WEB_CLUSTER_IP],
             timeout=LOOKUP_TIMEOUT, message=lambda: in_client(kubectl, "nslookup", f"web.{NAMESPACE}.svc.cluster.local"))


def test_a_headless_service_resolves_to_its_ready_endpoints(cluster):
    kubectl, pod_ips, _ = cluster
    wait_for(lambda: nslookup_addresses(kubectl, f"db.{NAMESPACE}.svc.cluster.local") == pod_ips,
             timeout=LOOKUP_TIMEOUT, message=lambda: in_client(kubectl, "nslookup", f"db.{NAMESPACE}.svc.cluster.local"))


def test_short_names_resolve_through_the_search_list(cluster):
    """libc, as an application resolves: `web` and `web.<ns>` are found under <ns>.svc.cluster.local and
    svc.cluster.local."""
    kubectl, _, _ = cluster
    for name in ("web", f"web.{NAMESPACE}"):
        wait_for(lambda: f"PING {name} ({WEB_CLUSTER_IP})" in in_client(kubectl, "ping", "-c", "1", "-W", "1", name),
                 timeout=LOOKUP_TIMEOUT, message=lambda: in_client(kubectl, "ping", "-c", "1", "-W", "1", name))


def test_a_deleted_service_stops_resolving(cluster):
    kubectl, _, _ = cluster
    name = f"web.{NAMESPACE}.svc.cluster.local"
    wait_for(lambda: nslookup_addresses(kubectl, name) == [WEB_CLUSTER_IP], timeout=LOOKUP_TIMEOUT)
    kubectl("delete", "service", "web", "-n", NAMESPACE)
    wait_for(lambda: "NXDOMAIN" in in_client(kubectl, "nslookup", name), timeout=LOOKUP_TIMEOUT,
             message=lambda: in_client(kubectl, "nslookup", name))
