"""The ReplicaSet controller's why: how many pods it has against how many it wants, and what holds it back.

    short, and its last creates were refused  ─► the refusals (FailedCreate), newest last
    short, waiting for pods it already created ─► its expectations: creates not yet seen by its watch
    too many, waiting for deletions to show    ─► the same, for deletes
    otherwise                                  ─► the counts

Published after every reconcile; the publisher writes it only when it changed,
so a ReplicaSet at rest writes nothing.
"""

from __future__ import annotations

from master.controllers.cache_view import PodView
from objects.apps import ReplicaSet
from objects.meta import ObjectMeta
from objects.why import ReplicaSetReport

MAX_FAILED_CREATES = 3  # the latest refusals kept for the report


def replica_set_report(rs: ReplicaSet, pods: list[PodView], *, pending_creations: int, pending_deletions: int,
                       failed_creates: list[str]) -> ReplicaSetReport:
    """The report for `rs`, whose active pods are `pods`; pending_* are the expectations this reconcile met."""
    wanted, current = rs.replicas, len(pods)
    ready = sum(1 for pod in pods if pod.is_ready)
    report = ReplicaSetReport(
        metadata=ObjectMeta(name=rs.metadata.name, namespace=rs.metadata.namespace, uid=rs.metadata.uid),
        replicas=wanted, current=current, ready=ready, pending_creations=pending_creations,
        pending_deletions=pending_deletions, failed_creates=list(failed_creates[-MAX_FAILED_CREATES:]), message="",
    )
    report.message = _sentence(report)
    return report


def _sentence(r: ReplicaSetReport) -> str:
    counts = f"{r.current} of {r.replicas} pods, {r.ready} Ready"
    if r.current < r.replicas:
        short = f"short of {r.replicas - r.current}: "
        if r.failed_creates:
            return short + f"its last create was refused ({r.failed_creates[-1]}); {counts}"
        if r.pending_creations:
            return short + f"it waits to see the {r.pending_creations} it created before creating more; {counts}"
        return short + f"creating them; {counts}"
    if r.current > r.replicas:
        extra = f"{r.current - r.replicas} too many: "
        if r.pending_deletions:
            return extra + f"it waits to see the {r.pending_deletions} it deleted go; {counts}"
        return extra + f"deleting them; {counts}"
    return counts
