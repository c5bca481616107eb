"""The DaemonSet controller's why: each node's line, and the rule that keeps the daemon off, checked on models."""

from __future__ import annotations

from master.controllers.cache_view import PodView
from master.controllers.daemonset import Placement, daemon_pod_info, placement
from master.controllers.daemonset_report import daemon_set_report
from master.scheduler.framework import NodeInfo
from objects.apps import DaemonSet


def daemon_set(**template_spec) -> DaemonSet:
    return DaemonSet.model_validate({
        "metadata": {"name": "agent", "namespace": "default", "uid": "ds-1"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"containers": [{"name": "agent", "image": "busybox"}], **template_spec}}}})


def node(name, *, labels=None, taints=None) -> NodeInfo:
    return NodeInfo.from_node({"metadata": {"name": name, "labels": labels or {}}, "status": {},
                               "spec": {"taints": taints or []}})


def daemon_pod(name, node_name, *, phase="Running", terminating=False) -> PodView:
    metadata = {"name": name, "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"}
    if terminating:
        metadata["deletionTimestamp"] = "2026-01-01T00:01:00Z"
    return PodView({"metadata": metadata, "spec": {"nodeName": node_name}, "status": {"phase": phase}})


def reason(ds: DaemonSet, info: NodeInfo) -> str:
    return placement(daemon_pod_info(ds), ds, info).reason


def test_placement_names_the_rule_that_keeps_the_daemon_off_a_node():
    ds = daemon_set(nodeSelector={"disk": "ssd"})
    assert reason(ds, node("n1", labels={"disk": "ssd"})) == ""
    assert reason(ds, node("n2", labels={"disk": "hdd"})) == "nodeSelector disk=ssd (node has disk=hdd)"
    tainted = node("n3", labels={"disk": "ssd"}, taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
                                                          {"key": "drain", "effect": "NoExecute"}])
    # The NoExecute taint is the one that also sends a running pod away, so it is the one named.
    assert reason(ds, tainted) == "taint drain:NoExecute is not tolerated"
    assert reason(daemon_set(nodeName="n9"), node("n1")) == "spec.nodeName is n9"


def test_every_node_gets_a_line_and_the_message_names_those_without_the_daemon():
    ds = daemon_set()
    placements = {
        "a-runs": Placement(True, True),
        "b-pending": Placement(True, True),
        "c-tainted": Placement(False, True, "taint dedicated=gpu:NoSchedule is not tolerated"),
        "d-kept": Placement(False, True, "taint dedicated=gpu:NoSchedule is not tolerated"),
        "e-new": Placement(True, True),
    }
    pods = {"a-runs": [daemon_pod("agent-a", "a-runs")], "b-pending": [daemon_pod("agent-b", "b-pending",
                                                                                  phase="Pending")],
            "d-kept": [daemon_pod("agent-d", "d-kept")]}

    report = daemon_set_report(ds, placements, pods)

    assert [(n.node, n.runs, n.reason) for n in report.nodes] == [
        ("a-runs", True, "runs pod default/agent-a"),
        ("b-pending", False, "pod default/agent-b is Pending"),
        ("c-tainted", False, "taint dedicated=gpu:NoSchedule is not tolerated"),
        ("d-kept", True, "runs pod default/agent-d (kept, though taint dedicated=gpu:NoSchedule is not tolerated: "
                         "a running pod may stay)"),
        ("e-new", False, "no pod yet: the controller creates one"),
    ]
    assert report.message == ("runs on 2 of 5 nodes; not on b-pending: pod default/agent-b is Pending; "
                              "c-tainted: taint dedicated=gpu:NoSchedule is not tolerated; "
                              "e-new: no pod yet: the controller creates one")


def test_a_node_that_must_lose_its_pod_says_why_and_that_the_pod_goes():
    ds = daemon_set()
    placements = {"n1": Placement(False, False, "taint drain:NoExecute is not tolerated")}
    report = daemon_set_report(ds, placements, {"n1": [daemon_pod("agent-x", "n1")]})
    assert report.nodes[0].reason == "taint drain:NoExecute is not tolerated; its pod default/agent-x is deleted"
    going = daemon_set_report(ds, {"n1": Placement(True, True)}, {"n1": [daemon_pod("agent-x", "n1",
                                                                                   terminating=True)]})
    assert going.nodes[0].reason == "pod default/agent-x is terminating"
