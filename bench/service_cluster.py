"""What the Service benchmarks share: a cluster with a real kubelet, hollow backends, a client in a pod.

    master (endpoint + endpointslice controllers) ◄── bench: Services, hollow pods' statuses, watches
        │
    real kubelet (Docker, the Service data path) ── its pods: a client pod and httpd server pods
        │                                            each pod's netns holds the rules of EVERY Service
    hollow node "hollow-1": a Node object with no kubelet; its pods are bound to it and their status
        (Running, an IP in 10.244.0.0/16, Ready or not) is written by the bench through the API

The hollow pods weigh on everything a real one does on the way from Ready to traffic (the endpoint
controllers, the slices, the kubelet's catalog, the rules rendered into every pod on the node), but
cost no container: this 2-core machine could not run 1,000 real ones. No traffic ever goes to them.

The client is this process, in the client pod's network namespace: a thread that has entered it
(setns, as the kubelet opens its DNS sockets there) makes its connections, so they pass through the
pod's own nat OUTPUT chain exactly as a process in the pod would. The images carry no Python and
busybox's wget segfaults on this machine, so the timing client could not live in the pod itself.
Needs root (setns, /proc/<pid>/root).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import docker

from apiclient import ApiClient, load_kubeconfig
from kubelet.runtime.protocol import LABEL_CONTAINER_NAME, LABEL_OWNER, LABEL_POD_NAME, SANDBOX_CONTAINER_NAME
from kubelet.services import netns
from objects.container import Container, HTTPGetAction, Probe
from objects.endpoints import SERVICE_NAME_LABEL, EndpointSlice
from objects.kinds import ENDPOINT_SLICE, NODE, POD, SERVICE, ResourceType
from objects.meta import ObjectMeta
from objects.node import Node, NodeAddress, NodeCondition, NodeStatus
from objects.pod import Pod, PodCondition, PodIP, PodSpec, PodStatus
from objects.service import Service, ServicePort, ServiceSpec
from tests.support.cluster import Kubelet, Master, live_cluster, wait_for

NAMESPACE = "default"
TIME_SCALE = 0.1  # the kubelet's probe periods too: periodSeconds 1 probes every 0.1 s
HOLLOW_NODE = "hollow-1"
SERVICE_PORT, HTTPD_PORT = 80, 8080
BUSYBOX = "tinykube/busybox:test"
# index.html holds the pod's name, so an answer tells which pod served it; /ready is what readiness reads.
HTTPD = f"mkdir -p /www && hostname > /www/index.html && exec httpd -f -p {HTTPD_PORT} -h /www"
READY_FILE = "www/ready"
WRITERS = 8  # parallel API writers when filling the cluster


@dataclass
class ServiceCluster:
    master: Master
    kubelet: Kubelet
    api: ApiClient
    engine: docker.DockerClient

    # ----- real pods on the kubelet

    def run_pod(self, pod: Pod) -> str:
        """Create `pod` on the real kubelet; its IP once Running."""
        self.api.create(POD, pod.to_wire(), NAMESPACE)

        def running_ip() -> str | None:
            live = Pod.model_validate(self.api.get(POD, pod.metadata.name, NAMESPACE))
            return live.status.pod_ip if live.status and live.status.phase == "Running" else None
        return wait_for(running_ip, timeout=90, interval=0.2, message=f"pod {pod.metadata.name} Running")

    def pod_namespace(self, pod: str) -> netns.PodNamespace:
        """The network namespace of a pod of the real kubelet (its pause container's)."""
        return netns.open_namespace(self._pid(pod, sandbox=True))

    def pod_root(self, pod: str) -> Path:
        """The root filesystem of the pod's (only) app container, as the host sees it."""
        return Path(f"/proc/{self._pid(pod, sandbox=False)}/root")

    def _pid(self, pod: str, *, sandbox: bool) -> int:
        found = self.engine.containers.list(filters={"label": [f"{LABEL_POD_NAME}={pod}",
                                                               f"{LABEL_OWNER}={self.kubelet.owner}"]})
        [container] = [c for c in found if (c.labels.get(LABEL_CONTAINER_NAME) == SANDBOX_CONTAINER_NAME) == sandbox]
        return int(container.attrs["State"]["Pid"])

    # ----- Services and hollow backends

    def create_service(self, name: str, *, selector: dict[str, str]) -> str:
        """A ClusterIP Service, port 80 -> 8080; its ClusterIP."""
        service = Service(metadata=ObjectMeta(name=name), spec=ServiceSpec(
            selector=selector, ports=[ServicePort(name="http", port=SERVICE_PORT, target_port=HTTPD_PORT,
                                                  protocol="TCP")]))
        created = Service.model_validate(self.api.create(SERVICE, service.to_wire(), NAMESPACE))
        return created.spec.cluster_ip

    def create_hollow_backends(self, services: int, endpoints: int) -> list[HollowPod]:
        """`services` Services of `endpoints` Ready hollow pods each; waits until their slices list them all."""
        self.api.create(NODE, hollow_node().to_wire())
        names = [f"bg-{s:03d}" for s in range(services)]
        pods = [HollowPod(f"{name}-{e}", hollow_ip(s * endpoints + e), name)
                for s, name in enumerate(names) for e in range(endpoints)]
        with ThreadPoolExecutor(WRITERS) as writers:
            list(writers.map(lambda name: self.create_service(name, selector={"app": name}), names))
            list(writers.map(lambda pod: self.api.create(POD, pod.pod().to_wire(), NAMESPACE), pods))
            list(writers.map(lambda pod: self.set_ready(pod, ready=True), pods))
        wait_for(lambda: self.ready_endpoints("bg-") == len(pods), timeout=120, interval=0.5,
                 message=f"{len(pods)} ready endpoints in the slices")
        return pods

    def set_ready(self, pod: HollowPod, *, ready: bool) -> None:
        """Write a hollow pod's status as its kubelet would: Running at its IP, Ready or not."""
        written = Pod(metadata=ObjectMeta(name=pod.name, namespace=NAMESPACE), status=pod.status(ready=ready))
        self.api.update(POD, written.to_wire(), subresource="status")

    def ready_endpoints(self, service_prefix: str) -> int:
        """Ready endpoints in the slices of the Services whose names start with `service_prefix`."""
        slices = [EndpointSlice.model_validate(item) for item in self.api.list(ENDPOINT_SLICE, NAMESPACE)["items"]]
        return sum(ready_count(s) for s in slices
                   if (s.metadata.labels or {}).get(SERVICE_NAME_LABEL, "").startswith(service_prefix))


@dataclass(frozen=True)
class HollowPod:
    """A pod bound to the hollow node, whose status the bench writes."""

    name: str
    ip: str
    app: str

    def pod(self) -> Pod:
        return Pod(metadata=ObjectMeta(name=self.name, labels={"app": self.app}),
                   spec=PodSpec(node_name=HOLLOW_NODE, containers=[Container(name="main", image=BUSYBOX)]))

    def status(self, *, ready: bool) -> PodStatus:
        flag = "True" if ready else "False"
        return PodStatus(phase="Running", pod_ip=self.ip, pod_ips=[PodIP(ip=self.ip)], host_ip="10.255.0.1",
                         conditions=[PodCondition(type="Ready", status=flag),
                                     PodCondition(type="ContainersReady", status=flag)])


def hollow_ip(index: int) -> str:
    """The index-th address of 10.244.0.0/16 (no pod is ever there: nothing connects to hollow pods)."""
    return f"10.244.{index // 250}.{index % 250 + 1}"


def hollow_node() -> Node:
    return Node(metadata=ObjectMeta(name=HOLLOW_NODE),
                status=NodeStatus(addresses=[NodeAddress(type="InternalIP", address="10.255.0.1")],
                                  conditions=[NodeCondition(type="Ready", status="True")]))


def client_pod(name: str = "client") -> Pod:
    return Pod(metadata=ObjectMeta(name=name),
               spec=PodSpec(termination_grace_period_seconds=0,
                            containers=[Container(name="main", image=BUSYBOX, command=["sleep", "3600"])]))


def httpd_pod(name: str, *, app: str, readiness_file: bool = False) -> Pod:
    """busybox httpd on 8080 answering its pod name; with `readiness_file`, Ready only while /www/ready exists
    (probed every 0.1 s at the bench's time scale, one failure or success flips it)."""
    probe = Probe(http_get=HTTPGetAction(path="/ready", port=HTTPD_PORT), period_seconds=1, failure_threshold=1,
                  success_threshold=1, timeout_seconds=1) if readiness_file else None
    return Pod(metadata=ObjectMeta(name=name, labels={"app": app}),
               spec=PodSpec(termination_grace_period_seconds=0,
                            containers=[Container(name="main", image=BUSYBOX, command=["sh", "-c", HTTPD],
                                                  readiness_probe=probe)]))


@contextmanager
def service_cluster(root: Path) -> Iterator[ServiceCluster]:
    """A master running the two endpoint controllers (no node lifecycle: the hollow node renews no
    Lease) and one real kubelet with the Service data path; all removed afterwards."""
    with live_cluster(root, nodes=1, time_scale=TIME_SCALE,
                      master_args=["--controllers=endpoint,endpointslice"]) as (master, [kubelet]):
        engine = docker.from_env()
        try:
            with ApiClient(load_kubeconfig(master.kubeconfig), user_agent="bench") as api:
                yield ServiceCluster(master, kubelet, api, engine)
        finally:
            engine.close()


# ----- watching a state flip


class Transitions:
    """Watches objects and notes, at the moment each event arrives, when `state(object)` changes.

    `next(value)` returns the arrival time of the next change to `value` (older changes are dropped),
    so a bench can flip something and then ask when the API showed it."""

    def __init__(self, api: ApiClient, rt: ResourceType, *, label_selector: str,
                 state: Callable[[dict[str, Any]], Any]):
        self._changes: Queue[tuple[Any, float]] = Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(api, rt, label_selector, state), daemon=True,
                                        name=f"watch-{rt.plural}")
        self._thread.start()

    def _watch(self, api: ApiClient, rt: ResourceType, label_selector: str, state) -> None:
        last: Any = object()
        while not self._stop.is_set():
            listed = api.list(rt, NAMESPACE, label_selector=label_selector)
            for _, obj in api.watch(rt, NAMESPACE, label_selector=label_selector, stop=self._stop,
                                    resource_version=listed["metadata"]["resourceVersion"]):
                value = state(obj)
                if value != last:
                    last = value
                    self._changes.put((value, time.monotonic()))

    def next(self, value: Any, *, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while True:
            try:
                seen, at = self._changes.get(timeout=max(0.0, deadline - time.monotonic()))
            except Empty:
                raise TimeoutError(f"no change to {value!r} in {timeout} s") from None
            if seen == value:
                return at

    def drain(self) -> None:
        while not self._changes.empty():
            self._changes.get_nowait()

    def stop(self) -> None:
        self._stop.set()


def pod_ready(obj: dict[str, Any]) -> bool:
    return Pod.model_validate(obj).is_ready


def ready_count(endpoint_slice: EndpointSlice) -> int:
    return sum(1 for e in endpoint_slice.endpoints or [] if e.conditions and e.conditions.ready)


def slice_has_ready_endpoint(obj: dict[str, Any]) -> bool:
    return ready_count(EndpointSlice.model_validate(obj)) > 0


# ----- the client in the pod


def http_get(address: str, port: int, *, timeout: float = 2.0) -> bytes:
    """One HTTP/1.0 GET / on a new connection; the whole answer. OSError when there is none.

    Once the answer is read, the connection is closed with a reset (SO_LINGER 0), so that neither the
    server's socket nor conntrack keeps it in TIME_WAIT: thousands of connections a second from one
    client to one server otherwise come back to a 4-tuple still in TIME_WAIT within seconds, and the
    SYNs that meet one wait for a retransmit (measured: 3,600 requests/s fell to 300 within 25 s)."""
    with socket.create_connection((address, port), timeout=timeout) as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.sendall(b"GET / HTTP/1.0\r\nHost: bench\r\n\r\n")
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def in_pod(namespace: netns.PodNamespace, action: Callable[[], Any]) -> Any:
    """Run `action` in a thread inside the pod's network namespace (see the module docstring)."""
    return netns.in_netns(namespace, action)
