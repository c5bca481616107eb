"""The scheduler's plugins, one module each, named and worded as kube-scheduler's.

    filter (may this pod run here?)        score (how good is here?)
    ───────────────────────────────        ─────────────────────────────────────────
    NodeUnschedulable  cordoned/not Ready  TaintToleration   fewer PreferNoSchedule taints
    TaintToleration    untolerated taints  NodeAffinity      matching preferred terms
    NodeAffinity       selector/affinity   NodeResourcesFit  LeastAllocated | MostAllocated
    NodePorts          host ports taken    NodeResourcesBalancedAllocation  cpu ≈ memory
    NodeResourcesFit   cpu, memory, pods

Each module keeps a pure predicate (`fits`, `matches`, `first_untolerated_taint`, ...) apart
from its plugin class, so tests and the explanation code can ask the question directly.
`profile.py` chains them. `fit_error_message` turns the rejections of one failed cycle into
the FailedScheduling message users read.
"""

from __future__ import annotations

from collections import Counter

from master.scheduler.framework import Rejection
from master.scheduler.plugins.node_affinity import NodeAffinity
from master.scheduler.plugins.node_ports import NodePorts
from master.scheduler.plugins.node_resources_balanced_allocation import BalancedAllocation
from master.scheduler.plugins.node_resources_fit import LEAST_ALLOCATED, MOST_ALLOCATED, NodeResourcesFit
from master.scheduler.plugins.node_unschedulable import NodeUnschedulable
from master.scheduler.plugins.taint_toleration import TaintToleration

__all__ = [
    "LEAST_ALLOCATED", "MOST_ALLOCATED", "BalancedAllocation", "NodeAffinity", "NodePorts",
    "NodeResourcesFit", "NodeUnschedulable", "TaintToleration", "fit_error_message",
]

NO_NODE_AVAILABLE = "0/{} nodes are available"
NO_NODES = "no nodes available to schedule pods"


def fit_error_message(total_nodes: int, rejections: list[Rejection]) -> str:
    """kube-scheduler's FitError text: "0/3 nodes are available: 1 node(s) had untolerated taint
    {k: v}, 2 Insufficient cpu."

    Every reason of every rejection is counted (a node short of cpu and memory adds to both),
    and the "<count> <reason>" strings are sorted as plain strings, as Go's sort.Strings does:
    so "10 ..." sorts before "2 ...". kube-scheduler appends a preemption verdict ("preemption:
    0/3 nodes are available: ..."); tinykube does not preempt, so there is none.
    """
    if total_nodes == 0:
        return NO_NODES
    counts = Counter(reason for rejection in rejections for reason in rejection.reasons)
    message = NO_NODE_AVAILABLE.format(total_nodes) + ":"
    histogram = sorted(f"{count} {reason}" for reason, count in counts.items())
    if histogram:
        message += f" {', '.join(histogram)}."
    return message
