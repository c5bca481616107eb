"""The why of nodes and workloads: the object's own status word, and its controller's report.

    node        Ready | NotReady | Unknown (+ SchedulingDisabled)  ◄── NodeHealthReport (node lifecycle controller)
    deployment  Complete | Progressing | ProgressDeadlineExceeded  ◄── RolloutReport (deployment controller)
    replicaset  Ready | Short                                      ◄── ReplicaSetReport (replicaset controller)
    daemonset   Ready | Short                                      ◄── DaemonSetReport (daemonset controller)

Without a report (its controller is not running, or has not decided yet) the
answer says so instead of guessing.
"""

from __future__ import annotations

from master.api import status
from master.api.registry import Registry
from master.api.why.reports import read_report
from objects.apps import DaemonSet, Deployment, ReplicaSet
from objects.cluster import Lease
from objects.kinds import DAEMONSET, DEPLOYMENT, LEASE, NODE, REPLICASET
from objects.node import Node
from objects.phases import NodeConditionType
from objects.why import NodeHealthReport, Why, epoch_of, moment

NODE_LEASE_NAMESPACE = "kube-node-lease"  # where each kubelet renews its heartbeat Lease


def node_why(registry: Registry, name: str, why: Why) -> None:
    node = Node.model_validate(registry.get(NODE, None, name))
    ready = next((c for c in (node.status.conditions if node.status else None) or []
                  if c.type == NodeConditionType.READY), None)
    why.state = {"True": "Ready", "False": "NotReady"}.get(str(ready.status) if ready else "", "Unknown")
    if node.spec and node.spec.unschedulable:
        why.state += ",SchedulingDisabled"
    why.node_health = read_report(registry, NODE, None, name, node.metadata.uid or "")
    if why.node_health is not None:
        _follow_heartbeats(registry, why.node_health)
        why.summary = why.node_health.message
    else:
        why.summary = _unreported("node lifecycle controller", ready.message if ready else "")


def _follow_heartbeats(registry: Registry, report: NodeHealthReport) -> None:
    """Move the NodeUnknown countdown to the node's latest Lease renewal.

    The controller does not republish on every heartbeat (a write per renewal); it published its
    grace period and the heartbeat it saw. The Lease holds the newer renewals, so the deadline the
    controller will apply is that renewal plus the same grace period."""
    try:
        lease = Lease.model_validate(registry.get(LEASE, NODE_LEASE_NAMESPACE, report.metadata.name or ""))
    except status.ApiError:
        return
    renewed = lease.spec.renew_time if lease.spec else None
    if not renewed or (report.last_heartbeat and epoch_of(renewed) <= epoch_of(report.last_heartbeat)):
        return
    report.last_heartbeat = renewed
    for countdown in report.countdowns:
        if countdown.name == "NodeUnknown":
            countdown.at = moment(epoch_of(renewed) + report.grace_period_seconds)


def deployment_why(registry: Registry, namespace: str, name: str, why: Why) -> None:
    deployment = Deployment.model_validate(registry.get(DEPLOYMENT, namespace, name))
    conditions = {c.type: c for c in (deployment.status.conditions if deployment.status else None) or []}
    progressing = conditions.get("Progressing")
    if progressing is not None and progressing.reason == "ProgressDeadlineExceeded":
        why.state = "ProgressDeadlineExceeded"
    elif deployment.spec and deployment.spec.paused:
        why.state = "Paused"
    elif progressing is not None and progressing.reason == "NewReplicaSetAvailable":
        why.state = "Complete"
    else:
        why.state = "Progressing"
    why.rollout = read_report(registry, DEPLOYMENT, namespace, name, deployment.metadata.uid or "")
    why.summary = why.rollout.message if why.rollout else _unreported("deployment controller", "")


def replicaset_why(registry: Registry, namespace: str, name: str, why: Why) -> None:
    replicaset = ReplicaSet.model_validate(registry.get(REPLICASET, namespace, name))
    wanted = replicaset.spec.replicas if replicaset.spec and replicaset.spec.replicas is not None else 1
    ready = (replicaset.status.ready_replicas if replicaset.status else None) or 0
    why.state = "Ready" if ready >= wanted else "Short"
    why.replica_set = read_report(registry, REPLICASET, namespace, name, replicaset.metadata.uid or "")
    why.summary = why.replica_set.message if why.replica_set else _unreported("replicaset controller", "")


def daemonset_why(registry: Registry, namespace: str, name: str, why: Why) -> None:
    daemonset = DaemonSet.model_validate(registry.get(DAEMONSET, namespace, name))
    status = daemonset.status
    desired = (status.desired_number_scheduled if status else None) or 0
    ready = (status.number_ready if status else None) or 0
    why.state = "Ready" if ready >= desired else "Short"
    why.daemon_set = read_report(registry, DAEMONSET, namespace, name, daemonset.metadata.uid or "")
    why.summary = why.daemon_set.message if why.daemon_set else _unreported("daemonset controller", "")


def _unreported(controller: str, fallback: str) -> str:
    said = f"; the object says: {fallback}" if fallback else ""
    return f"the {controller} has not reported on it (is it running? see --controllers){said}"
