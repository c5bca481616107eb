"""The node's Service data path on a master and a real kubelet: ClusterIP, NodePort, DNS config, env.

One cluster serves the module. Its kubelet's address is the gateway of a Docker network the fixture
makes first, so the node's InternalIP is reachable from pods as well as from the host. The
EndpointSlices are written here by hand (a selector-less Service), so these tests do not depend on
the endpoint controllers. The host's own firewall must come out as it went in.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import httpx
import pytest

from kubelet.runtime.protocol import LABEL_CONTAINER_NAME, LABEL_OWNER, LABEL_POD_NAME, SANDBOX_CONTAINER_NAME
from kubelet.services import netns
from kubelet.services.rules import removal
from objects.endpoints import SERVICE_NAME_LABEL
from tests.support.cluster import Kubelet, Master, live_cluster, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="entering pods' network namespaces needs root")

TIME_SCALE = 0.1
PODS = "/api/v1/namespaces/default/pods"
SERVICES = "/api/v1/namespaces/default/services"
SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
WEB_IP, WEB_NODE_PORT = "10.96.7.80", 31080
HTTPD = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"


@dataclass
class Cluster:
    master: Master
    kubelet: Kubelet
    node_ip: str
    docker: docker.DockerClient
    owner: str

    def _running(self, pod: str, *, sandbox: bool):
        found = self.docker.containers.list(filters={"label": [f"{LABEL_POD_NAME}={pod}", f"{LABEL_OWNER}={self.owner}"]})
        matching = [c for c in found if (c.labels.get(LABEL_CONTAINER_NAME) == SANDBOX_CONTAINER_NAME) == sandbox]
        assert matching, f"no running {'sandbox' if sandbox else 'container'} of pod {pod}"
        return matching[0]

    def container(self, pod: str):
        return self._running(pod, sandbox=False)

    def namespace(self, pod: str) -> netns.PodNamespace:
        return netns.open_namespace(int(self._running(pod, sandbox=True).attrs["State"]["Pid"]))

    def sh(self, pod: str, script: str) -> str:
        result = self.container(pod).exec_run(["sh", "-c", script])
        return result.output.decode(errors="replace")


# Docker's own lines for the bridges and published ports of whatever else runs on this engine meanwhile.
DOCKER_OWN = re.compile(r"br-[0-9a-f]{12}|docker0|-j MASQUERADE|-j DNAT|DOCKER-ISOLATION")
OURS = re.compile(r"TINYKUBE|TK-SVC-|TK-SEP-|" + re.escape(WEB_IP) + f"|{WEB_NODE_PORT}")


def host_firewall() -> dict[str, list[str]]:
    """The host's rules in both backends, without counters, timestamps and Docker's per-network lines."""
    saved = {}
    for backend in ("nft", "legacy"):
        done = subprocess.run([f"iptables-{backend}-save"], capture_output=True, text=True)
        lines = [re.sub(r"\[\d+:\d+\]", "", line) for line in done.stdout.splitlines() if not line.startswith("#")]
        assert not [line for line in lines if OURS.search(line)], f"rules of ours in the host's {backend} tables"
        saved[backend] = [line for line in lines if not DOCKER_OWN.search(line)]
    return saved


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    client = docker.from_env()
    run = uuid.uuid4().hex[:6]
    network = client.networks.create(f"tk-dp-{run}", driver="bridge", labels={"io.tinykube.network": "1"})
    try:
        network.reload()
        gateway = network.attrs["IPAM"]["Config"][0]["Gateway"]
        firewall_before = host_firewall()
        root: Path = tmp_path_factory.mktemp("datapath")
        with live_cluster(root, nodes=1, time_scale=TIME_SCALE,
                          kubelet_args=["--network", network.name, "--address", gateway]) as (master, kubelets):
            owner = kubelets[0].owner
            yield Cluster(master, kubelets[0], gateway, client, owner)
            firewall_after = host_firewall()
        assert firewall_after == firewall_before, "the host's firewall changed"
    finally:
        for container in client.containers.list(all=True, filters={"network": network.name}):
            container.remove(force=True)
        network.remove()
        client.close()


@pytest.fixture(scope="module")
def api(cluster) -> Iterator[httpx.Client]:
    with cluster.master.client() as client:
        yield client


def pod(name: str, command: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "main", "image": "tinykube/busybox:test",
                                     "command": ["sh", "-c", command]}],
                     "terminationGracePeriodSeconds": 0}}


def running_ip(api: httpx.Client, name: str) -> str:
    def ip() -> str | None:
        status = api.get(f"{PODS}/{name}").json().get("status", {})
        return status.get("podIP") if status.get("phase") == "Running" else None
    return wait_for(ip, timeout=60, message=f"pod {name} running")


def endpoint_slice(ips: list[str]) -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "web-manual", "labels": {SERVICE_NAME_LABEL: "web"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}


@pytest.fixture(scope="module")
def web(cluster, api) -> dict[str, str]:
    """Two httpd pods behind Service web (ClusterIP WEB_IP:80, NodePort), and a client pod."""
    for name in ("web-1", "web-2"):
        assert api.post(PODS, json=pod(name, HTTPD, app="web")).status_code == 201
    assert api.post(PODS, json=pod("client", "exec sleep 3600")).status_code == 201
    ips = {name: running_ip(api, name) for name in ("web-1", "web-2", "client")}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"type": "NodePort", "clusterIP": WEB_IP,
                        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP",
                                   "nodePort": WEB_NODE_PORT}]}}
    created = api.post(SERVICES, json=service)
    assert created.status_code == 201, created.text
    created = api.post(SLICES, json=endpoint_slice([ips["web-1"], ips["web-2"]]))
    assert created.status_code == 201, created.text
    return ips


def fetch(cluster: Cluster, address: str, port: int) -> str:
    """One HTTP request from the client pod with busybox nc; the body (a pod's hostname), or ''."""
    output = cluster.sh("client", f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 {address} {port}")
    return output.rsplit("\r\n\r\n", 1)[-1].strip() if "200 OK" in output else ""


def client_rules(cluster: Cluster) -> str:
    namespace = cluster.namespace("client")
    return netns.save(namespace, netns.detect_backend(namespace))


def test_cluster_ip_from_a_pod_reaches_both_ready_endpoints(cluster, web) -> None:
    wait_for(lambda: fetch(cluster, WEB_IP, 80), timeout=30, message="web answers on its ClusterIP")
    answers = {fetch(cluster, WEB_IP, 80) for _ in range(20)}
    assert answers == {"web-1", "web-2"}


def test_node_port_answers_from_the_host_and_from_a_pod(cluster, web) -> None:
    def from_host() -> str:
        try:
            with socket.create_connection((cluster.node_ip, WEB_NODE_PORT), timeout=2) as conn:
                conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                body = b"".join(iter(lambda: conn.recv(4096), b""))
        except OSError:
            return ""
        return body.decode().rsplit("\r\n\r\n", 1)[-1].strip()
    assert wait_for(from_host, timeout=30, message="node port from the host") in ("web-1", "web-2")
    assert wait_for(lambda: fetch(cluster, cluster.node_ip, WEB_NODE_PORT), timeout=30,
                    message="node port from a pod") in ("web-1", "web-2")


def test_pods_get_cluster_dns_config_and_service_env(cluster, api, web) -> None:
    resolv_conf = cluster.sh("client", "cat /etc/resolv.conf")
    assert "nameserver 10.96.0.10" in resolv_conf
    assert "search default.svc.cluster.local svc.cluster.local cluster.local" in resolv_conf
    assert "options ndots:5" in resolv_conf
    assert api.post(PODS, json=pod("late", "exec sleep 3600")).status_code == 201
    running_ip(api, "late")
    env = dict(line.split("=", 1) for line in cluster.sh("late", "env").splitlines() if "=" in line)
    assert env["WEB_SERVICE_HOST"] == WEB_IP
    assert env["WEB_SERVICE_PORT"] == "80"
    assert env["WEB_SERVICE_PORT_HTTP"] == "80"
    assert env["WEB_PORT"] == f"tcp://{WEB_IP}:80"
    assert env["WEB_PORT_80_TCP_ADDR"] == WEB_IP
    assert env["WEB_PORT_80_TCP_PROTO"] == "tcp"


def test_a_removed_endpoint_leaves_the_rules(cluster, api, web) -> None:
    current = api.get(f"{SLICES}/web-manual").json()
    fewer = endpoint_slice([web["web-1"]])
    fewer["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    replaced = api.put(f"{SLICES}/web-manual", json=fewer)
    assert replaced.status_code == 200, replaced.text
    wait_for(lambda: web["web-2"] not in client_rules(cluster), timeout=10, message="web-2's rule removed")
    assert {fetch(cluster, WEB_IP, 80) for _ in range(8)} == {"web-1"}


def test_a_kubelet_restart_restores_the_rules(cluster, api, web) -> None:
    """Rules wiped while the kubelet is away come back when it starts again."""
    cluster.kubelet.stop()
    namespace = cluster.namespace("client")
    backend = netns.detect_backend(namespace)
    chains, _ = netns.our_chains(netns.save(namespace, backend))
    netns.restore(namespace, backend, removal(chains, jumps=True))
    assert "TINYKUBE" not in netns.save(namespace, backend)
    cluster.kubelet.start()
    wait_for(lambda: WEB_IP in client_rules(cluster), timeout=30, message="rules restored")
    assert client_rules(cluster).count("-j TINYKUBE-SERVICES") == 2  # one jump per table, not two
    wait_for(lambda: fetch(cluster, WEB_IP, 80), timeout=30, message="web answers again")


def test_deleting_the_service_removes_its_rules(cluster, api, web) -> None:
    assert api.delete(f"{SERVICES}/web").status_code == 200
    wait_for(lambda: WEB_IP not in client_rules(cluster), timeout=10, message="web's rules removed")
    assert "TK-SVC-" not in client_rules(cluster)
    assert fetch(cluster, WEB_IP, 80) == ""
