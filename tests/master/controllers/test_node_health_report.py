"""The node lifecycle controller's why report, built from a node and the timers the controller holds."""

from __future__ import annotations

from typing import Any

from master.controllers.cache_view import PodView
from master.controllers.node_health_report import (
    PodOnTaintedNode, clock_time, node_health_report, replaced_by, substance, verdict,
)
from master.controllers.node_lifecycle import OWNED_TAINTS
from objects.node import Node
from objects.why import epoch_of

HEARTBEAT = "2026-12-05T12:00:01.234567Z"
UNREACHABLE = "node.kubernetes.io/unreachable"


def a_node(ready: str, *, taints: list[dict[str, Any]] | None = None, reason: str = "", message: str = "") -> Node:
    condition = {"type": "Ready", "status": ready, "lastHeartbeatTime": "2026-12-05T12:00:01Z",
                 "lastTransitionTime": "2026-12-05T12:00:05Z", "reason": reason, "message": message}
    return Node.model_validate({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "uid": "u-1"},
                                "spec": {"taints": taints or []}, "status": {"conditions": [condition]}})


def a_pod(name: str, *, owner: str | None = None) -> PodView:
    refs = [{"apiVersion": "apps/v1", "kind": owner.split("/")[0], "name": owner.split("/")[1], "uid": "o-1",
             "controller": True}] if owner else []
    return PodView({"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "ownerReferences": refs},
                    "spec": {"nodeName": "node-1"}})


def report_of(node: Node, *, pods: list[PodOnTaintedNode] | None = None, heartbeat: str = HEARTBEAT,
              unknown_at: float | None = None):
    return node_health_report(node, last_heartbeat=heartbeat, grace_period=4.0,
                              unknown_at=epoch_of(heartbeat) + 4.0 if unknown_at is None else unknown_at,
                              managed_taints=OWNED_TAINTS, pods=pods or [])


UNREACHABLE_TAINTS = [{"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": "2026-12-05T12:00:05Z"},
                      {"key": UNREACHABLE, "effect": "NoSchedule"},
                      {"key": "team", "value": "a", "effect": "NoSchedule"}]


def test_an_unknown_node_says_since_when_it_is_silent_and_after_what_grace_period():
    assert verdict(a_node("Unknown"), last_heartbeat=HEARTBEAT, grace_period=4.0) == \
        "no heartbeat since 12:00:01.2; Unknown after a 4.0 s grace period"
    assert verdict(a_node("Unknown"), last_heartbeat=None, grace_period=4.0) == \
        "no heartbeat ever seen; Unknown after a 4.0 s grace period"


def test_a_ready_node_says_what_keeps_it_ready_and_a_not_ready_one_quotes_its_kubelet():
    assert verdict(a_node("True"), last_heartbeat=HEARTBEAT, grace_period=4.0) == "Ready: renewing its Lease"
    sick = a_node("False", reason="KubeletNotReady", message="container runtime is down")
    assert verdict(sick, last_heartbeat=HEARTBEAT, grace_period=4.0) == \
        "NotReady: the kubelet reports Ready=False (KubeletNotReady: container runtime is down)"


def test_while_ready_the_report_holds_the_node_unknown_countdown_as_of_the_last_heartbeat():
    report = report_of(a_node("True"))
    assert (report.ready, report.last_heartbeat, report.grace_period_seconds) == ("True", HEARTBEAT, 4.0)
    assert report.not_ready_since is None and report.pods == [] and report.taints == []
    [countdown] = report.countdowns
    assert (countdown.name, countdown.owner, countdown.at) == (
        "NodeUnknown", "node-lifecycle-controller", "2026-12-05T12:00:05.234Z")
    assert "12:00:01.2" in countdown.message


def test_an_unknown_node_has_no_node_unknown_countdown_and_lists_its_taints_with_the_time_added():
    report = report_of(a_node("Unknown", taints=UNREACHABLE_TAINTS))
    assert report.ready == "Unknown" and report.countdowns == []
    assert report.not_ready_since == "2026-12-05T12:00:05Z"
    # the controller's own taints; a NoSchedule taint someone else put there is not its reasoning
    assert [(t.key, t.effect, t.time_added) for t in report.taints] == [
        (UNREACHABLE, "NoExecute", "2026-12-05T12:00:05Z"), (UNREACHABLE, "NoSchedule", None)]


def test_each_pod_on_a_tainted_node_has_its_eviction_moment_and_what_replaces_it():
    evict_at = epoch_of("2026-12-05T12:00:35.5Z")
    pods = [PodOnTaintedNode(a_pod("web-1", owner="ReplicaSet/web-5d8f"), toleration_seconds=30.0, evict_at=evict_at),
            PodOnTaintedNode(a_pod("agent-x", owner="DaemonSet/agent"), toleration_seconds=None, evict_at=None)]
    report = report_of(a_node("Unknown", taints=UNREACHABLE_TAINTS), pods=pods)

    agent, web = report.pods  # sorted by namespace/name
    assert (web.name, web.toleration_seconds, web.replaced_by) == (
        "web-1", 30.0, "ReplicaSet default/web-5d8f creates a replacement")
    [eviction] = web.countdowns
    assert (eviction.name, eviction.at, eviction.owner, eviction.message) == (
        "Eviction", "2026-12-05T12:00:35.500Z", "node-lifecycle-controller", "pod default/web-1 is evicted")
    assert (agent.toleration_seconds, agent.countdowns) == (None, [])
    assert agent.replaced_by == "DaemonSet default/agent does not replace it: it tolerates the taints and stays"


def test_what_replaces_an_evicted_pod_depends_on_its_controller():
    assert replaced_by(a_pod("solo"), evicted=True) == "nothing: the pod has no controller"
    assert replaced_by(a_pod("solo"), evicted=False) == "nothing: it tolerates the taints and stays"
    assert replaced_by(a_pod("agent-x", owner="DaemonSet/agent"), evicted=True).startswith(
        "nothing: DaemonSet default/agent runs no pod on a node")


def test_a_heartbeat_alone_does_not_change_the_substance_a_new_verdict_does():
    first = report_of(a_node("True"))
    later = report_of(a_node("True"), heartbeat="2026-12-05T12:00:11.3Z")
    assert substance(first) == substance(later)
    assert substance(first) != substance(report_of(a_node("Unknown")))


def test_clock_time_is_the_time_of_day_with_tenths():
    assert clock_time(HEARTBEAT) == "12:00:01.2"
    assert clock_time(None) == "never"
