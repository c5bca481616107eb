"""Register this node and keep it alive: the Node object, its conditions, and its Lease heartbeat.

    start ─► create Node (or update it: a restarted kubelet keeps its Node) ─► every 10s: renew Lease
                                                                      └─► on change or every 60s: Node status
    the master reachable again (after an outage or a Partition fault) ─► renew and report at once

The Lease in kube-node-lease is the cheap heartbeat the node lifecycle
controller watches; the Node's status is written only when it changes (or
rarely), as the real kubelet does since Kubernetes 1.17.
"""

from __future__ import annotations

import logging
import platform
import threading
import uuid

from apiclient import ApiClient, ApiClientError, ApiStatusError
from apiclient.events import now_rfc3339
from kubelet.config import KubeletConfig, host_cpu, host_memory
from kubelet.runtime.protocol import ContainerRuntime
from objects.cluster import Lease, LeaseSpec
from objects.kinds import LEASE, NODE
from objects.meta import ObjectMeta
from objects.node import (
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeSpec, NodeStatus, NodeSystemInfo, Taint,
)
from objects.phases import ConditionStatus, NodeConditionType
from objects.quantity import Quantity

log = logging.getLogger(__name__)

LEASE_DURATION_SECONDS = 40
LEASE_RENEW_SECONDS = 10
NODE_STATUS_REPORT_SECONDS = 60
KUBELET_VERSION = "v1.32.0-tinykube"


def machine_id() -> str:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path) as file:
                return file.read().strip()
        except OSError:
            continue
    return ""


def os_image() -> str:
    try:
        with open("/etc/os-release") as file:
            for line in file:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


class NodeStatusReporter:
    def __init__(self, client: ApiClient, runtime: ContainerRuntime, config: KubeletConfig):
        self.client = client
        self.runtime = runtime
        self.config = config
        self.boot_id = str(uuid.uuid4())
        self._last_reported = NodeStatus()
        self._lease_lock = threading.Lock()  # the loop and the fault loop both renew
        self._wake = threading.Event()
        self._catching_up = False  # the last heartbeat failed: report status as soon as one succeeds

    # ----- the Node

    def node_object(self) -> Node:
        cfg = self.config
        labels = {"kubernetes.io/hostname": cfg.node_name, "kubernetes.io/os": "linux",
                  "kubernetes.io/arch": _arch(), **cfg.labels}
        return Node(metadata=ObjectMeta(name=cfg.node_name, labels=labels),
                    spec=NodeSpec(taints=[Taint.model_validate(t) for t in cfg.taints] if cfg.taints else None),
                    status=self.status(self.capacity()))

    def capacity(self) -> dict[str, Quantity]:
        cfg = self.config
        return {"cpu": cfg.cpu or host_cpu(), "memory": cfg.memory or host_memory(), "pods": str(cfg.max_pods)}

    def status(self, capacity: dict[str, Quantity]) -> NodeStatus:
        now = now_rfc3339()
        return NodeStatus(
            capacity=capacity, allocatable=dict(capacity),
            conditions=[
                _condition(NodeConditionType.MEMORY_PRESSURE, ConditionStatus.FALSE, "KubeletHasSufficientMemory",
                           "kubelet has sufficient memory available", now),
                _condition(NodeConditionType.DISK_PRESSURE, ConditionStatus.FALSE, "KubeletHasNoDiskPressure",
                           "kubelet has no disk pressure", now),
                _condition(NodeConditionType.PID_PRESSURE, ConditionStatus.FALSE, "KubeletHasSufficientPID",
                           "kubelet has sufficient PID available", now),
                _condition(NodeConditionType.READY, ConditionStatus.TRUE, "KubeletReady",
                           "kubelet is posting ready status", now),
            ],
            addresses=[NodeAddress(type="InternalIP", address=self.config.address),
                       NodeAddress(type="Hostname", address=self.config.node_name)],
            daemon_endpoints=NodeDaemonEndpoints(kubelet_endpoint=DaemonEndpoint(port=self.config.port)),
            node_info=NodeSystemInfo(
                machine_id=machine_id(), system_uuid=machine_id(), boot_id=self.boot_id,
                kernel_version=platform.release(), os_image=os_image(),
                container_runtime_version=self.runtime.version(), kubelet_version=KUBELET_VERSION,
                kube_proxy_version="", operating_system="linux", architecture=_arch(),
            ),
        )

    def register(self) -> Node:
        """Create the Node, or take over the existing one (a restarted kubelet, or a returning node)."""
        wanted = self.node_object()
        try:
            node = Node.model_validate(self.client.create(NODE, wanted.to_wire()))
        except ApiStatusError as error:
            if error.code != 409:
                raise
            current = Node.model_validate(self.client.get(NODE, self.config.node_name))
            patch = {"metadata": {"labels": wanted.metadata.labels}}
            if wanted.spec and wanted.spec.taints:
                patch["spec"] = {"taints": [taint.to_wire() for taint in wanted.spec.taints]}
            self.client.patch(NODE, self.config.node_name, patch, patch_type="application/merge-patch+json")
            node = Node.model_validate(self.client.patch(
                NODE, self.config.node_name, {"status": wanted.status.to_wire()},
                patch_type="application/merge-patch+json", subresource="status"))
            log.info("node %s re-registered (was created %s)", self.config.node_name,
                     current.metadata.creation_timestamp)
        self._last_reported = node.status or NodeStatus()
        return node

    def report_status(self) -> None:
        """Write the Node status: heartbeat times refreshed, conditions as they are now.

        A condition keeps its lastTransitionTime while its status stays the same.
        """
        status = self.status(self._last_reported.capacity or self.capacity())
        previous = {c.type: c for c in self._last_reported.conditions or []}
        for condition in status.conditions or []:
            before = previous.get(condition.type)
            if before and before.status == condition.status and before.last_transition_time:
                condition.last_transition_time = before.last_transition_time
        node = Node.model_validate(self.client.patch(NODE, self.config.node_name, {"status": status.to_wire()},
                                                     patch_type="application/merge-patch+json",
                                                     subresource="status"))
        self._last_reported = node.status or NodeStatus()

    # ----- the Lease

    def renew_lease(self) -> None:
        with self._lease_lock:
            self._renew_lease()

    def _renew_lease(self) -> None:
        name, namespace, now = self.config.node_name, "kube-node-lease", _micro_now()
        try:
            lease = Lease.model_validate(self.client.get(LEASE, name, namespace))
        except ApiStatusError as error:
            if error.code != 404:
                raise
            created = Lease(metadata=ObjectMeta(name=name, namespace=namespace),
                            spec=LeaseSpec(holder_identity=name, lease_duration_seconds=LEASE_DURATION_SECONDS,
                                           renew_time=now, acquire_time=now))
            self.client.create(LEASE, created.to_wire(), namespace)
            return
        lease.spec = lease.spec or LeaseSpec()
        lease.spec.renew_time, lease.spec.holder_identity = now, name
        self.client.update(LEASE, lease.to_wire())

    # ----- the loop

    def catch_up(self) -> None:
        """The master is reachable again: heartbeat now, and report status at once, not at the next period."""
        self._catching_up = True
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Renew the Lease every 10s and report status every 60s (scaled), until stopped."""
        since_report = 0.0
        renew_every = self.config.seconds(LEASE_RENEW_SECONDS)
        report_every = self.config.seconds(NODE_STATUS_REPORT_SECONDS)
        while not stop.is_set():
            try:
                self.renew_lease()
                if since_report >= report_every or self._catching_up:
                    if self._catching_up:
                        # The node controller may have marked us meanwhile: start from the stored conditions,
                        # so Ready's lastTransitionTime says when we came back.
                        self._last_reported = Node.model_validate(
                            self.client.get(NODE, self.config.node_name)).status or NodeStatus()
                    self.report_status()
                    since_report = 0.0
                    self._catching_up = False
            except ApiClientError as error:  # the master may be away; pods keep running meanwhile
                log.warning("heartbeat of node %s failed: %s", self.config.node_name, error)
                self._catching_up = True
            except Exception:  # e.g. Docker restarting; the Lease must keep being renewed afterwards
                log.exception("heartbeat of node %s failed", self.config.node_name)
            self._wake.wait(renew_every)
            self._wake.clear()
            since_report += renew_every

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="node-status", daemon=True)
        thread.start()
        return thread


def _condition(type_: NodeConditionType, status: ConditionStatus, reason: str, message: str,
               now: str) -> NodeCondition:
    return NodeCondition(type=type_, status=status, reason=reason, message=message, last_heartbeat_time=now,
                         last_transition_time=now)


def _micro_now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
