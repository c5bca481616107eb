"""Register this node and keep it alive: the Node object, its conditions, and its Lease heartbeat.

    start ─► create Node (or update it: a restarted kubelet keeps its Node) ─► every 10s: renew Lease
                                                                      └─► on change or every 60s: Node status

The Lease in kube-node-lease is the cheap heartbeat the node lifecycle
controller watches; the Node's status is written only when it changes (or
rarely), as the real kubelet does since Kubernetes 1.17.
"""

from __future__ import annotations

import logging
import platform
import threading
import uuid
from typing import Any

from apiclient import ApiClient, ApiClientError, ApiStatusError
from apiclient.events import now_rfc3339
from kubelet.config import KubeletConfig, host_cpu, host_memory
from kubelet.runtime.protocol import ContainerRuntime
from objects.kinds import LEASE, NODE

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
        self._last_reported: dict[str, Any] | None = None

    # ----- the Node

    def node_object(self) -> dict[str, Any]:
        cfg = self.config
        capacity = {"cpu": cfg.cpu or host_cpu(), "memory": cfg.memory or host_memory(), "pods": str(cfg.max_pods)}
        labels = {"kubernetes.io/hostname": cfg.node_name, "kubernetes.io/os": "linux",
                  "kubernetes.io/arch": _arch(), **cfg.labels}
        return {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": cfg.node_name, "labels": labels},
            "spec": {"taints": [dict(t) for t in cfg.taints]} if cfg.taints else {},
            "status": self.status(capacity),
        }

    def status(self, capacity: dict[str, str]) -> dict[str, Any]:
        now = now_rfc3339()
        return {
            "capacity": capacity, "allocatable": dict(capacity),
            "conditions": [
                _condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                           "kubelet has sufficient memory available", now),
                _condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
                _condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available",
                           now),
                _condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
            ],
            "addresses": [{"type": "InternalIP", "address": self.config.address},
                          {"type": "Hostname", "address": self.config.node_name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.config.port}},
            "nodeInfo": {
                "machineID": machine_id(), "systemUUID": machine_id(), "bootID": self.boot_id,
                "kernelVersion": platform.release(), "osImage": os_image(),
                "containerRuntimeVersion": self.runtime.version(), "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": _arch(),
            },
        }

    def register(self) -> dict[str, Any]:
        """Create the Node, or take over the existing one (a restarted kubelet, or a returning node)."""
        wanted = self.node_object()
        try:
            node = self.client.create(NODE, wanted)
        except ApiStatusError as error:
            if error.code != 409:
                raise
            current = self.client.get(NODE, self.config.node_name)
            patch = {"metadata": {"labels": wanted["metadata"]["labels"]}}
            if self.config.taints:
                patch["spec"] = {"taints": wanted["spec"]["taints"]}
            self.client.patch(NODE, self.config.node_name, patch, patch_type="application/merge-patch+json")
            node = self.client.patch(NODE, self.config.node_name, {"status": wanted["status"]},
                                     patch_type="application/merge-patch+json", subresource="status")
            log.info("node %s re-registered (was created %s)", self.config.node_name,
                     current["metadata"].get("creationTimestamp"))
        self._last_reported = node["status"]
        return node

    def report_status(self) -> None:
        """Write the Node status: heartbeat times refreshed, conditions as they are now.

        A condition keeps its lastTransitionTime while its status stays the same.
        """
        capacity = (self._last_reported or {}).get("capacity") or self.node_object()["status"]["capacity"]
        status = self.status(capacity)
        previous = {c["type"]: c for c in (self._last_reported or {}).get("conditions") or []}
        for condition in status["conditions"]:
            before = previous.get(condition["type"])
            if before and before.get("status") == condition["status"] and before.get("lastTransitionTime"):
                condition["lastTransitionTime"] = before["lastTransitionTime"]
        node = self.client.patch(NODE, self.config.node_name, {"status": status},
                                 patch_type="application/merge-patch+json", subresource="status")
        self._last_reported = node["status"]

    # ----- the Lease

    def renew_lease(self) -> None:
        name, namespace, now = self.config.node_name, "kube-node-lease", _micro_now()
        try:
            lease = self.client.get(LEASE, name, namespace)
        except ApiStatusError as error:
            if error.code != 404:
                raise
            self.client.create(LEASE, {
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                         "renewTime": now, "acquireTime": now},
            }, namespace)
            return
        lease["spec"]["renewTime"] = now
        lease["spec"]["holderIdentity"] = name
        self.client.update(LEASE, lease)

    # ----- the loop

    def run(self, stop: threading.Event) -> None:
        """Renew the Lease every 10s and report status every 60s (scaled), until stopped."""
        since_report = 0.0
        renew_every = self.config.seconds(LEASE_RENEW_SECONDS)
        report_every = self.config.seconds(NODE_STATUS_REPORT_SECONDS)
        while not stop.is_set():
            try:
                self.renew_lease()
                if since_report >= report_every:
                    self.report_status()
                    since_report = 0.0
            except ApiClientError as error:  # the master may be away; pods keep running meanwhile
                log.warning("heartbeat of node %s failed: %s", self.config.node_name, error)
            except Exception:  # e.g. Docker restarting; the Lease must keep being renewed afterwards
                log.exception("heartbeat of node %s failed", self.config.node_name)
            stop.wait(renew_every)
            since_report += renew_every

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="node-status", daemon=True)
        thread.start()
        return thread


def _condition(type_: str, status: str, reason: str, message: str, now: str) -> dict[str, str]:
    return {"type": type_, "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": now, "lastTransitionTime": now}


def _micro_now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
