"""NodeUnschedulable: cordoned nodes, and nodes that are not Ready, take no new pods.

A cordoned node (`spec.unschedulable`) still accepts a pod that tolerates the
`node.kubernetes.io/unschedulable:NoSchedule` taint, as in kube-scheduler (DaemonSet pods do).

Readiness is tinykube's addition. kube-scheduler never looks at the Ready condition: the node
lifecycle controller taints a NotReady node with `node.kubernetes.io/not-ready:NoSchedule` and
TaintToleration rejects it. tinykube checks the condition here instead, and lets through the
same pods kube-scheduler would: those that tolerate that taint.
"""

from __future__ import annotations

from master.scheduler.framework import NodeInfo, PodInfo, Rejection, Taint
from master.scheduler.plugins.taint_toleration import pod_tolerations, tolerates
from objects.node import TaintEffect

NAME = "NodeUnschedulable"

ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_REASON_NOT_READY = "node(s) were not ready"

UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", TaintEffect.NO_SCHEDULE)
NOT_READY_TAINT = Taint("node.kubernetes.io/not-ready", "", TaintEffect.NO_SCHEDULE)


def _tolerated(pod: PodInfo) -> tuple[bool, bool]:
    """(tolerates unschedulable, tolerates not-ready), worked out once per pod."""
    answer = pod.cache.get(NAME)
    if answer is None:
        tolerations = pod_tolerations(pod)
        answer = pod.cache[NAME] = (tolerates(tolerations, UNSCHEDULABLE_TAINT),
                                    tolerates(tolerations, NOT_READY_TAINT))
    return answer


def admits_cordoned(pod: PodInfo, node: NodeInfo) -> bool:
    """False when the node is cordoned and the pod does not tolerate that."""
    return not node.unschedulable or _tolerated(pod)[0]


def admits_not_ready(pod: PodInfo, node: NodeInfo) -> bool:
    """False when the node is not Ready and the pod does not tolerate that."""
    return node.ready or _tolerated(pod)[1]


class NodeUnschedulable:
    name = NAME

    def filter(self, pod: PodInfo, node: NodeInfo) -> Rejection | None:
        if node.ready and not node.unschedulable:  # the common case, checked without a call
            return None
        if not admits_cordoned(pod, node):
            return Rejection(NAME, ERR_REASON_UNSCHEDULABLE, "node is cordoned (spec.unschedulable)")
        if not admits_not_ready(pod, node):
            return Rejection(NAME, ERR_REASON_NOT_READY, "node's Ready condition is not True")
        return None
