"""NodeLifecycleController: notice nodes whose kubelet went silent, taint them, and evict the pods that will not wait.

This is kube-controller-manager's node lifecycle controller and its NoExecute
taint manager in one loop, keyed by node name:

    Lease renewed, or Ready heartbeat changed ─► probe time = now
    every monitor period (5s), and on every change, reconcile(node):
      1. observe    silent for longer than the grace period (40s)?
                    ─► every condition the kubelet owns = Unknown, NodeNotReady event
      2. taint      conditions ─► taints   Ready False   ─► not-ready:NoExecute + not-ready:NoSchedule
                                           Ready Unknown ─► unreachable:NoExecute + unreachable:NoSchedule
                                           Ready True    ─► neither (the kubelet rewrites its own conditions)
                                           XPressure True ─► x-pressure:NoSchedule
                                           spec.unschedulable ─► unschedulable:NoSchedule
      3. pods       node not Ready ─► its pods' Ready condition = False
      4. evict      for each pod on a node with NoExecute taints:
                      a taint it does not tolerate   ─► evict now
                      tolerated for N seconds        ─► evict N seconds after the taint was first seen on it
                      tolerated forever (DaemonSets) ─► stays

Every pod is treated as Kubernetes' DefaultTolerationSeconds admission plugin
would have left it: without its own toleration for not-ready or unreachable it
tolerates them for 300 seconds. Every period is multiplied by `time_scale`.

Eviction marks the pod (condition DisruptionTarget, reason DeletionByTaintManager;
on an unreachable node also status.reason NodeLost), then deletes it through the
API. On an unreachable node it deletes with gracePeriodSeconds=0: the kubelet
that would confirm a graceful delete is gone, so the pod would otherwise stay
Terminating until the node came back, and its controller could not replace it.
(Kubernetes deletes gracefully and leaves that to the pod GC or the node's
return; here the eviction is the moment the cluster gives up on the node.)
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apiclient import ApiClient, ApiStatusError
from apiclient.events import EventRecorder, now_rfc3339
from apiclient.informer import Informer
from master.controllers.controller import Controller
from master.scheduler.framework import Taint
from master.scheduler.plugins.taint_toleration import NO_EXECUTE, NO_SCHEDULE, Toleration
from objects.kinds import LEASE, NODE, POD

log = logging.getLogger(__name__)

NODE_LEASE_NAMESPACE = "kube-node-lease"

# Unscaled defaults, as kube-controller-manager's --node-monitor-period and --node-monitor-grace-period.
NODE_MONITOR_PERIOD_SECONDS = 5.0
NODE_MONITOR_GRACE_PERIOD_SECONDS = 40.0
# What the DefaultTolerationSeconds admission plugin gives every pod for not-ready and unreachable.
DEFAULT_TOLERATION_SECONDS = 300
UPDATE_RETRIES = 5

TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"

# (condition type, status) -> the NoSchedule taint it puts on the node (Kubernetes' TaintNodesByCondition).
NO_SCHEDULE_TAINT_FOR_CONDITION = {
    ("Ready", "False"): TAINT_NOT_READY,
    ("Ready", "Unknown"): TAINT_UNREACHABLE,
    ("MemoryPressure", "True"): TAINT_MEMORY_PRESSURE,
    ("DiskPressure", "True"): TAINT_DISK_PRESSURE,
    ("PIDPressure", "True"): TAINT_PID_PRESSURE,
    ("NetworkUnavailable", "True"): TAINT_NETWORK_UNAVAILABLE,
}
NO_EXECUTE_TAINT_FOR_READY = {"False": TAINT_NOT_READY, "Unknown": TAINT_UNREACHABLE}
# The taints this controller owns: it adds and removes exactly these, and leaves every other taint alone.
OWNED_TAINTS = frozenset(
    {(key, NO_SCHEDULE) for key in (*NO_SCHEDULE_TAINT_FOR_CONDITION.values(), TAINT_UNSCHEDULABLE)}
    | {(key, NO_EXECUTE) for key in NO_EXECUTE_TAINT_FOR_READY.values()}
)

# The conditions the kubelet posts; a silent kubelet's are all Unknown.
KUBELET_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
REASON_STATUS_UNKNOWN = "NodeStatusUnknown"
MESSAGE_STATUS_UNKNOWN = "Kubelet stopped posting node status."
REASON_NEVER_UPDATED = "NodeStatusNeverUpdated"
MESSAGE_NEVER_UPDATED = "Kubelet never posted node status."

EVENT_NODE_NOT_READY = "NodeNotReady"
EVENT_TAINT_MANAGER_EVICTION = "TaintManagerEviction"
REASON_NODE_LOST = "NodeLost"
REASON_DELETION_BY_TAINT_MANAGER = "DeletionByTaintManager"


@dataclass
class NodeHealth:
    """What the controller last saw of a node's heartbeats, and when (its own monotonic clock, never the node's)."""

    probe_time: float
    lease_renew_time: str
    ready_heartbeat: str


class NodeLifecycleController(Controller):
    name = "node-lifecycle"

    def __init__(self, client: ApiClient, *, time_scale: float = 1.0,
                 node_monitor_period: float = NODE_MONITOR_PERIOD_SECONDS,
                 node_monitor_grace_period: float = NODE_MONITOR_GRACE_PERIOD_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        """`node_monitor_period` and `node_monitor_grace_period` are unscaled seconds, as Kubernetes' flags."""
        super().__init__(client, time_scale=time_scale)
        self.monitor_period = node_monitor_period * time_scale
        self.grace_period = node_monitor_grace_period * time_scale
        self.clock = clock
        self.recorder = EventRecorder(client, component="node-controller")
        self._lock = threading.Lock()
        self._health: dict[str, NodeHealth] = {}
        self._tainted_since: dict[str, float] = {}  # pod key -> when it was first seen on a NoExecute-tainted node
        self._wake_at: dict[str, float] = {}  # node -> the earliest eviction look already scheduled
        self.nodes = Informer(client, NODE, on_add=self._enqueue_node,
                              on_update=lambda old, new: self._enqueue_node(new), on_delete=self._enqueue_node)
        self.leases = Informer(client, LEASE, namespace=NODE_LEASE_NAMESPACE,
                               on_add=self._enqueue_node, on_update=lambda old, new: self._enqueue_node(new))
        self.pods = Informer(client, POD, on_add=self._on_pod_add, on_update=self._on_pod_update,
                             on_delete=self._on_pod_delete)
        self.informers = [self.nodes, self.leases, self.pods]

    # ----- the loop

    def run(self, stop: threading.Event) -> None:
        threading.Thread(target=self._monitor, args=(stop,), name=f"{self.name}-monitor", daemon=True).start()
        try:
            super().run(stop)
        finally:
            self.recorder.close()

    def _monitor(self, stop: threading.Event) -> None:
        """Look at every node every monitor period: silence produces no event, only the clock notices it."""
        while not stop.wait(self.monitor_period):
            if self.nodes.synced.is_set():
                for node in self.nodes.items():
                    self.queue.add(node["metadata"]["name"])

    def reconcile(self, key: str) -> None:
        node = self.nodes.get(f"/{key}")
        if node is None:
            self._forget_node(key)
            return
        now = self.clock()
        health = self._observe(node, now)
        if now - health.probe_time > self.grace_period:
            node = self._mark_unknown(node)
        node = self._sync_taints(node)
        if _condition_status(node, "Ready") != "True":
            self._mark_pods_not_ready(node)
        self._evict_pods(node, now)

    # ----- 1. observe

    def _observe(self, node: dict[str, Any], now: float) -> NodeHealth:
        """Record a renewed Lease or a new Ready heartbeat as a sign of life (probe time = now)."""
        name = node["metadata"]["name"]
        lease = self.leases.get(f"{NODE_LEASE_NAMESPACE}/{name}")
        renew_time = ((lease or {}).get("spec") or {}).get("renewTime") or ""
        heartbeat = (_condition(node, "Ready") or {}).get("lastHeartbeatTime") or ""
        with self._lock:
            health = self._health.get(name)
            if health is None:  # first sight: the grace period starts now, as in Kubernetes
                health = self._health[name] = NodeHealth(now, renew_time, heartbeat)
            elif renew_time != health.lease_renew_time or heartbeat != health.ready_heartbeat:
                health.probe_time, health.lease_renew_time, health.ready_heartbeat = now, renew_time, heartbeat
            return health

    def _mark_unknown(self, node: dict[str, Any]) -> dict[str, Any]:
        """Every kubelet condition becomes Unknown; the NodeNotReady event marks the moment Ready left True."""
        seen: dict[str, bool] = {}

        def to_unknown(candidate: dict[str, Any]) -> bool:
            seen["was_ready"] = _condition_status(candidate, "Ready") == "True"
            return _set_conditions_unknown(candidate, now_rfc3339())

        node, written = self._write_node(node, to_unknown, subresource="status")
        if written and seen["was_ready"]:
            name = node["metadata"]["name"]
            log.info("node %s: no heartbeat for %.1fs, Ready=Unknown", name, self.grace_period)
            self.recorder.event(node, type_="Normal", reason=EVENT_NODE_NOT_READY,
                                message=f"Node {name} status is now: {EVENT_NODE_NOT_READY}")
        return node

    # ----- 2. taint

    def _sync_taints(self, node: dict[str, Any]) -> dict[str, Any]:
        node, _ = self._write_node(node, _apply_condition_taints)
        return node

    # ----- 3. pods

    def _mark_pods_not_ready(self, node: dict[str, Any]) -> None:
        """Pods on a node that is not Ready are not ready either: nobody vouches for them any more."""
        for pod in self._pods_on(node["metadata"]["name"]):
            if _condition_status(pod, "Ready") != "True" or pod["metadata"].get("deletionTimestamp"):
                continue
            meta = pod["metadata"]
            patch = {"status": {"conditions": [{"type": "Ready", "status": "False",
                                                "lastTransitionTime": now_rfc3339()}]}}
            try:
                self.client.patch(POD, meta["name"], patch, meta["namespace"], subresource="status")
            except ApiStatusError as error:
                if error.code != 404:
                    raise
                continue
            self.recorder.event(pod, type_="Warning", reason=EVENT_NODE_NOT_READY, message="Node is not ready")

    # ----- 4. evict

    def _evict_pods(self, node: dict[str, Any], now: float) -> None:
        name = node["metadata"]["name"]
        taints = [t for t in _taints(node) if t.effect == NO_EXECUTE]
        for pod in self._pods_on(name):
            key = _pod_key(pod)
            if pod["metadata"].get("deletionTimestamp"):
                continue
            wait = toleration_wait(taints, effective_tolerations(pod)) if taints else None
            if wait is None:
                self._cancel_eviction(pod)
                continue
            with self._lock:
                since = self._tainted_since.setdefault(key, now)
            due = since + wait * self.time_scale
            if due <= now:
                self._evict(pod, unreachable=any(t.key == TAINT_UNREACHABLE for t in taints))
            else:
                self._look_again(name, due - now)

    def _evict(self, pod: dict[str, Any], *, unreachable: bool) -> None:
        meta = pod["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        log.info("evicting pod %s/%s from node %s", namespace, name, pod["spec"].get("nodeName"))
        self.recorder.event(pod, type_="Normal", reason=EVENT_TAINT_MANAGER_EVICTION,
                            message=f"Marking for deletion Pod {namespace}/{name}")
        status: dict[str, Any] = {"conditions": [{
            "type": "DisruptionTarget", "status": "True", "reason": REASON_DELETION_BY_TAINT_MANAGER,
            "message": "Taint manager: deleting due to NoExecute taint", "lastTransitionTime": now_rfc3339(),
        }]}
        if unreachable:
            status["reason"] = REASON_NODE_LOST
            status["message"] = f"Node {pod['spec'].get('nodeName')} which was running pod {name} is unresponsive"
        try:
            self.client.patch(POD, name, {"status": status}, namespace, subresource="status")
            self.client.delete(POD, name, namespace, grace_period_seconds=0 if unreachable else None)
        except ApiStatusError as error:
            if error.code != 404:  # already gone: the eviction happened anyway
                raise
        with self._lock:
            self._tainted_since.pop(_pod_key(pod), None)

    def _cancel_eviction(self, pod: dict[str, Any]) -> None:
        with self._lock:
            pending = self._tainted_since.pop(_pod_key(pod), None)
        if pending is not None:
            meta = pod["metadata"]
            self.recorder.event(pod, type_="Normal", reason=EVENT_TAINT_MANAGER_EVICTION,
                                message=f"Cancelling deletion of Pod {meta['namespace']}/{meta['name']}")

    def _look_again(self, node_name: str, delay: float) -> None:
        """Reconcile the node again after `delay`, unless a look at or before then is already scheduled."""
        now = self.clock()
        with self._lock:
            pending = self._wake_at.get(node_name)
            if pending is not None and now < pending <= now + delay:
                return
            self._wake_at[node_name] = now + delay
        self.queue.add_after(node_name, delay)

    # ----- the API and the informers

    def _write_node(self, node: dict[str, Any], change: Callable[[dict[str, Any]], bool], *,
                    subresource: str = "") -> tuple[dict[str, Any], bool]:
        """PUT the node as `change` leaves it, unless it changed nothing; on a conflict, read it again and retry.

        Returns the node as it now is, and whether this call wrote it."""
        name = node["metadata"]["name"]
        for attempt in range(UPDATE_RETRIES):
            candidate = copy.deepcopy(node)
            if not change(candidate):
                return node, False
            try:
                return self.client.update(NODE, candidate, subresource=subresource), True
            except ApiStatusError as error:
                if error.code != 409 or attempt == UPDATE_RETRIES - 1:
                    raise
                node = self.client.get(NODE, name)
        raise AssertionError("unreachable")

    def _pods_on(self, node_name: str) -> list[dict[str, Any]]:
        return [pod for pod in self.pods.items() if (pod.get("spec") or {}).get("nodeName") == node_name]

    def _forget_node(self, name: str) -> None:
        with self._lock:
            self._health.pop(name, None)
            self._wake_at.pop(name, None)

    def _enqueue_node(self, obj: dict[str, Any]) -> None:
        self.queue.add(obj["metadata"]["name"])

    def _on_pod_add(self, pod: dict[str, Any]) -> None:
        if node_name := (pod.get("spec") or {}).get("nodeName"):
            self.queue.add(node_name)

    def _on_pod_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        if any(old_spec.get(field) != new_spec.get(field) for field in ("nodeName", "tolerations")):
            self._on_pod_add(new)

    def _on_pod_delete(self, pod: dict[str, Any]) -> None:
        with self._lock:
            self._tainted_since.pop(_pod_key(pod), None)


# ----- pure functions: what the controller decides, apart from how it acts


def effective_tolerations(pod: dict[str, Any]) -> list[tuple[Toleration, int | None]]:
    """The pod's tolerations with their tolerationSeconds, plus what DefaultTolerationSeconds would add:
    a pod that tolerates neither not-ready nor unreachable NoExecute tolerates each for 300 seconds."""
    raw = list((pod.get("spec") or {}).get("tolerations") or [])
    tolerations = [(Toleration.from_dict(t), t.get("tolerationSeconds")) for t in raw]
    for key in (TAINT_NOT_READY, TAINT_UNREACHABLE):
        covered = any(t.key in (key, "") and t.effect in (NO_EXECUTE, "") for t, _ in tolerations)
        if not covered:
            tolerations.append((Toleration(key, "Exists", "", NO_EXECUTE), DEFAULT_TOLERATION_SECONDS))
    return tolerations


def toleration_wait(taints: list[Taint], tolerations: list[tuple[Toleration, int | None]]) -> float | None:
    """Seconds a pod may stay on a node with these NoExecute taints: 0 (evict now), N, or None (forever).

    Each taint is matched by the first toleration that tolerates it; the shortest
    tolerationSeconds among those wins, as in Kubernetes' taint manager.
    """
    shortest: float | None = None
    for taint in taints:
        matching = [seconds for toleration, seconds in tolerations if toleration.tolerates(taint)]
        if not matching:
            return 0.0
        if matching[0] is None:
            continue  # tolerated forever
        seconds = max(float(matching[0]), 0.0)
        shortest = seconds if shortest is None else min(shortest, seconds)
    return shortest


def desired_taints(node: dict[str, Any]) -> set[tuple[str, str]]:
    """The (key, effect) pairs this controller wants on the node, from its conditions and spec.unschedulable."""
    wanted: set[tuple[str, str]] = set()
    for condition in (node.get("status") or {}).get("conditions") or []:
        key = NO_SCHEDULE_TAINT_FOR_CONDITION.get((condition.get("type"), condition.get("status")))
        if key:
            wanted.add((key, NO_SCHEDULE))
    if (no_execute := NO_EXECUTE_TAINT_FOR_READY.get(_condition_status(node, "Ready") or "")) is not None:
        wanted.add((no_execute, NO_EXECUTE))
    if (node.get("spec") or {}).get("unschedulable"):
        wanted.add((TAINT_UNSCHEDULABLE, NO_SCHEDULE))
    return wanted


def _apply_condition_taints(node: dict[str, Any]) -> bool:
    """Make the node's owned taints match its conditions; other taints are kept as they are. Changed anything?"""
    wanted = desired_taints(node)
    spec = node.setdefault("spec", {})
    current = list(spec.get("taints") or [])
    kept = [t for t in current if (t.get("key"), t.get("effect")) not in OWNED_TAINTS - wanted]
    present = {(t.get("key"), t.get("effect")) for t in kept}
    now = now_rfc3339()
    for key, effect in sorted(wanted - present):
        taint = {"key": key, "effect": effect}
        if effect == NO_EXECUTE:  # Kubernetes writes timeAdded only on NoExecute taints
            taint["timeAdded"] = now
        kept.append(taint)
    if kept == current:
        return False
    spec["taints"] = kept
    return True


def _set_conditions_unknown(node: dict[str, Any], now: str) -> bool:
    status = node.setdefault("status", {})
    conditions = status.setdefault("conditions", [])
    changed = False
    for type_ in KUBELET_CONDITIONS:
        condition = next((c for c in conditions if c.get("type") == type_), None)
        if condition is None:
            conditions.append({"type": type_, "status": "Unknown", "reason": REASON_NEVER_UPDATED,
                               "message": MESSAGE_NEVER_UPDATED, "lastTransitionTime": now,
                               "lastHeartbeatTime": node["metadata"].get("creationTimestamp") or now})
            changed = True
        elif condition.get("status") != "Unknown":
            # lastHeartbeatTime stays: it is the kubelet's last word, and what tells a later heartbeat apart
            condition.update(status="Unknown", reason=REASON_STATUS_UNKNOWN, message=MESSAGE_STATUS_UNKNOWN,
                             lastTransitionTime=now)
            changed = True
    return changed


def _taints(node: dict[str, Any]) -> list[Taint]:
    return [Taint(t.get("key") or "", t.get("value") or "", t.get("effect") or "")
            for t in (node.get("spec") or {}).get("taints") or []]


def _condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == type_), None)


def _condition_status(obj: dict[str, Any], type_: str) -> str | None:
    return (_condition(obj, type_) or {}).get("status")


def _pod_key(pod: dict[str, Any]) -> str:
    return f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}"
