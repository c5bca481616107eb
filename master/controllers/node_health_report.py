"""The node lifecycle controller's why report: its verdict on a node, and the eviction timers it holds.

Built from the controller's own state, as it decided in one reconcile, and PUT
on the node's `why` (objects.why.NodeHealthReport):

    ready, message        True | False | Unknown, and why in one line
    lastHeartbeat         the Lease renewTime it last saw; gracePeriodSeconds: how long it waits for the next
    taints                the taints it manages, and every NoExecute taint (they decide evictions)
    pods                  on a node with a NoExecute taint: each pod's tolerationSeconds, its Eviction
                          countdown (the taint manager's timer) and what replaces it
    countdowns            NodeUnknown: the moment it marks the node Unknown if no heartbeat comes

**Heartbeats are left out of the decision to publish.** `lastHeartbeat` and the
NodeUnknown countdown move with every Lease renewal (every 10 s per node); a
store write per heartbeat would cost more than the heartbeats themselves. So the
controller publishes only when the rest of the report (`substance`) changes, and
both are as of the moment it published: the countdown's `at` is `lastHeartbeat`
plus the grace period as the controller saw it then, and the node may since
have renewed its Lease many times. The API server's answer moves both to the
Lease's latest renewTime plus this same published grace period
(master/api/why/subjects.py). Once a node has gone silent nothing moves, and
the report is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from master.controllers.cache_view import PodView
from objects.kinds import DAEMONSET, REPLICASET
from objects.meta import ObjectMeta
from objects.node import Node, NodeCondition, Taint
from objects.phases import ConditionStatus, NodeConditionType
from objects.why import Countdown, NodeHealthReport, PodEviction, TaintReport, epoch_of, moment

OWNER = "node-lifecycle-controller"
COUNTDOWN_NODE_UNKNOWN = "NodeUnknown"
COUNTDOWN_EVICTION = "Eviction"


@dataclass
class PodOnTaintedNode:
    """What the taint manager decided for one pod on a node with NoExecute taints."""

    pod: PodView
    toleration_seconds: float | None  # real seconds (scaled); None: it tolerates every taint forever
    evict_at: float | None  # when its eviction timer fires, on the controller's clock; None: it stays


def node_health_report(node: Node, *, last_heartbeat: str | None, grace_period: float, unknown_at: float | None,
                       managed_taints: frozenset[tuple[str, str]], pods: list[PodOnTaintedNode]) -> NodeHealthReport:
    """The report of one reconcile. `unknown_at` and each pod's `evict_at` are wall-clock (time.time()) seconds."""
    ready = _ready_condition(node)
    status = ready.status if ready is not None and ready.status else ConditionStatus.UNKNOWN
    countdowns = []
    if status != ConditionStatus.UNKNOWN and unknown_at is not None:
        # Only while the controller has not given up on the node: once Unknown, there is no timer left to run.
        countdowns.append(Countdown(
            name=COUNTDOWN_NODE_UNKNOWN, at=moment(unknown_at), owner=OWNER,
            message=f"node {node.metadata.name} is marked Unknown unless a heartbeat comes "
                    f"(as of the heartbeat at {clock_time(last_heartbeat)})"))
    return NodeHealthReport(
        metadata=ObjectMeta(name=node.metadata.name, uid=node.metadata.uid),
        ready=str(status),
        message=verdict(node, last_heartbeat=last_heartbeat, grace_period=grace_period),
        last_heartbeat=last_heartbeat or None,
        grace_period_seconds=round(grace_period, 3),
        not_ready_since=ready.last_transition_time if ready is not None and status != ConditionStatus.TRUE else None,
        taints=[TaintReport(key=t.key or "", effect=t.effect or "", time_added=t.time_added)
                for t in _taints(node) if (t.key, t.effect) in managed_taints or t.effect == "NoExecute"],
        pods=[pod_eviction(p) for p in sorted(pods, key=lambda p: p.pod.key)],
        countdowns=countdowns,
    )


def verdict(node: Node, *, last_heartbeat: str | None, grace_period: float) -> str:
    """One line: the Ready status and what it rests on."""
    ready = _ready_condition(node)
    status = ready.status if ready is not None else None
    if status == ConditionStatus.TRUE:
        return "Ready: renewing its Lease" if last_heartbeat else "Ready: posting its status"
    if status == ConditionStatus.FALSE:
        said = ": ".join(part for part in (ready.reason, ready.message) if part)
        return f"NotReady: the kubelet reports Ready=False ({said or 'no reason given'})"
    grace = f"Unknown after a {grace_period:.1f} s grace period"
    if not last_heartbeat:
        return f"no heartbeat ever seen; {grace}"
    return f"no heartbeat since {clock_time(last_heartbeat)}; {grace}"


def pod_eviction(decided: PodOnTaintedNode) -> PodEviction:
    pod = decided.pod
    countdowns = []
    if decided.evict_at is not None:
        countdowns.append(Countdown(name=COUNTDOWN_EVICTION, at=moment(decided.evict_at), owner=OWNER,
                                    message=f"pod {pod.key} is evicted"))
    seconds = None if decided.toleration_seconds is None else round(decided.toleration_seconds, 3)
    return PodEviction(namespace=pod.namespace, name=pod.name, toleration_seconds=seconds,
                       replaced_by=replaced_by(pod, evicted=decided.evict_at is not None), countdowns=countdowns)


def replaced_by(pod: PodView, *, evicted: bool) -> str:
    """What takes the pod's place once the taint manager has evicted it (or why nothing needs to)."""
    owner = pod.controller_ref()
    controller = f"{owner.kind} {pod.namespace}/{owner.name}" if owner is not None else ""
    if not evicted:
        stays = "it tolerates the taints and stays"
        return f"{controller} does not replace it: {stays}" if owner is not None else f"nothing: {stays}"
    if owner is None:
        return "nothing: the pod has no controller"
    if owner.kind == REPLICASET.kind:
        return f"{controller} creates a replacement"
    if owner.kind == DAEMONSET.kind:
        # The DaemonSet controller places no pod on a node with a NoExecute taint its pods do not tolerate.
        return f"nothing: {controller} runs no pod on a node whose NoExecute taint it does not tolerate"
    return f"{controller}, its controller, if it replaces lost pods"


def substance(report: NodeHealthReport) -> dict[str, Any]:
    """The report without what every heartbeat moves: when this changes, the report is worth a write."""
    wire = report.to_wire()
    wire.pop("lastHeartbeat", None)
    wire["countdowns"] = [c for c in wire.get("countdowns") or [] if c["name"] != COUNTDOWN_NODE_UNKNOWN]
    return wire


def clock_time(stamp: str | None) -> str:
    """An RFC 3339 time as the time of day with tenths, UTC ("12:00:01.2"): what a reader compares by eye."""
    if not stamp:
        return "never"
    try:
        seconds = epoch_of(stamp)
    except ValueError:
        return stamp
    exact = moment(seconds)  # 2026-12-05T12:00:01.234Z
    return exact[11:21]


def _ready_condition(node: Node) -> NodeCondition | None:
    conditions = (node.status.conditions if node.status else None) or []
    return next((c for c in conditions if c.type == NodeConditionType.READY), None)


def _taints(node: Node) -> list[Taint]:
    return list((node.spec.taints if node.spec else None) or [])
