"""The controllers' parts of a why: a node's health, a rollout's arithmetic, a replica set's
shortfall and the nodes a daemon set leaves out, each as its controller published it.

    Node Health:
      Ready:           Unknown
      Last Heartbeat:  12:00:01.234 (6.1 s before the answer)
      Grace Period:    4 s
      Taints:
        node.kubernetes.io/unreachable:NoExecute  added 12:00:05.300 (2.0 s before the answer)
      Pods:
        POD            TOLERATES  EVICTION   REPLACED BY
        default/web-1  30 s       in 27.9 s  ReplicaSet default/web-5d8f creates a replacement
    Rollout:
      Arithmetic:  at most 4 pods (3 replicas + maxSurge 1), at least 3 available (3 - maxUnavailable 0)
      New Pods:    1, 0 available
      Old Pods:    3, 3 available
      May Now:     create 0, remove 0
      Waiting For:
        pod default/web-7c9-x to be Ready
"""

from __future__ import annotations

from cli.describers.page import Page
from cli.why.countdowns import Clock, add_countdowns
from cli.why.times import duration, moment
from objects.why import DaemonSetReport, NodeHealthReport, PodEviction, ReplicaSetReport, RolloutReport

FOREVER = "forever"


def add_node_health(page: Page, report: NodeHealthReport, clock: Clock, *, answered_at: str) -> None:
    page.heading("Node Health")
    page.field("Ready", report.ready, level=1)
    page.field("Message", report.message, level=1)
    page.field("Last Heartbeat", moment(report.last_heartbeat, answered_at), level=1)
    page.field("Grace Period", duration(report.grace_period_seconds), level=1)
    if report.not_ready_since:
        page.field("Not Ready Since", moment(report.not_ready_since, answered_at), level=1)
    add_countdowns(page, report.countdowns, clock, level=1)
    if report.taints:
        page.heading("Taints", level=1)
        for taint in report.taints:
            added = f"added {moment(taint.time_added, answered_at)}" if taint.time_added else ""
            page.row([f"{taint.key}:{taint.effect}", added], level=2)
    if report.pods:
        page.heading("Pods", level=1)
        page.table(["POD", "TOLERATES", "EVICTION", "REPLACED BY"],
                   [eviction_row(pod, clock) for pod in report.pods], level=2)


def eviction_row(pod: PodEviction, clock: Clock) -> list[str]:
    """The pod, how long it tolerates the taint, its eviction countdown and what replaces it."""
    tolerates = FOREVER if pod.toleration_seconds is None else duration(pod.toleration_seconds)
    if pod.countdowns:
        eviction = ", ".join(clock.text(countdown) for countdown in pod.countdowns)
    else:
        eviction = "never" if pod.toleration_seconds is None else "-"
    return [f"{pod.namespace}/{pod.name}", tolerates, eviction, pod.replaced_by or "-"]


def add_rollout(page: Page, report: RolloutReport, clock: Clock) -> None:
    page.heading("Rollout")
    page.field("Strategy", report.strategy, level=1)
    page.field("Message", report.message, level=1)
    page.field("Arithmetic", arithmetic(report), level=1)
    page.field("New Pods", f"{report.new_replicas}, {report.new_available} available", level=1)
    page.field("Old Pods", f"{report.old_replicas}, {report.old_available} available", level=1)
    page.field("May Now", f"create {report.may_create}, remove {report.may_remove}", level=1)
    page.field("Complete", report.complete, level=1)
    add_countdowns(page, report.countdowns, clock, level=1)
    if report.waiting_for:
        page.heading("Waiting For", level=1)
        for what in report.waiting_for:
            page.line(what, level=2)


def arithmetic(report: RolloutReport) -> str:
    """maxSurge and maxUnavailable, resolved to pods, as the two bounds the controller keeps."""
    return (f"at most {report.max_total} pods ({report.replicas} replicas + maxSurge {report.max_surge}), "
            f"at least {report.min_available} available ({report.replicas} - maxUnavailable "
            f"{report.max_unavailable})")


def add_replica_set(page: Page, report: ReplicaSetReport) -> None:
    page.heading("ReplicaSet")
    page.field("Message", report.message, level=1)
    page.field("Replicas", f"{report.replicas} desired, {report.current} current, {report.ready} ready", level=1)
    if report.pending_creations or report.pending_deletions:
        page.field("Expecting", f"{report.pending_creations} creations and {report.pending_deletions} "
                                f"deletions not yet seen", level=1)
    if report.failed_creates:
        page.heading("Failed Creates", level=1)
        for message in report.failed_creates:
            page.line(message, level=2)


def add_daemon_set(page: Page, report: DaemonSetReport) -> None:
    page.heading("DaemonSet")
    page.field("Message", report.message, level=1)
    if report.nodes:
        page.heading("Nodes", level=1)
        page.table(["NODE", "RUNS", "WHY"], [[node.node, "yes" if node.runs else "no", node.reason]
                                            for node in report.nodes], level=2)
