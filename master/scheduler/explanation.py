"""Turn a cycle's result into the SchedulingExplanation served to users, and the messages of its events.

The explanation is built as the plain wire dict (camelCase keys, exactly what
`objects.explanation.SchedulingExplanation.to_wire()` would give): it is made
once per scheduling attempt, on the scheduler's only thread, and constructing
pydantic models for hundreds of nodes was once the scheduler's largest cost.
Above EXPLAIN_EVERY_NODE_UP_TO evaluated nodes it is capped as that module's
docstring describes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from master.scheduler.cycle import CycleResult, NodeScore
from master.scheduler.framework import Rejection
from master.scheduler.plugins import fit_error_message
from master.scheduler.profile import Profile

EXPLAIN_EVERY_NODE_UP_TO = 100  # evaluated nodes; kube-scheduler's minimum sample is the same size
FEASIBLE_KEPT = 20
EXAMPLES_PER_REASON = 5


def scheduled_message(result: CycleResult) -> str:
    return f"Successfully assigned {result.pod.namespace}/{result.pod.name} to {result.node}"


def unschedulable_message(result: CycleResult) -> str:
    return fit_error_message(result.nodes_total, [rejection for _, rejection in result.rejected])


def explain(result: CycleResult, profile: Profile, *, now: datetime | None = None) -> dict[str, Any]:
    moment = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pod = result.pod
    explanation: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "SchedulingExplanation",
        "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
        "attemptTime": moment,
        "result": "Scheduled" if result.node else "Unschedulable",
    }
    if result.node:  # absent, not null, when no node fitted (as to_wire drops None)
        explanation["node"] = result.node
    explanation.update({
        "message": scheduled_message(result) if result.node else unschedulable_message(result),
        "nodesTotal": result.nodes_total,
        "nodesEvaluated": result.nodes_evaluated,
        "filters": [plugin.name for plugin in profile.filters],
        "scorers": [{"name": plugin.name, "weight": weight} for plugin, weight in profile.scorers],
    })
    if result.nodes_evaluated <= EXPLAIN_EVERY_NODE_UP_TO:
        explanation["rejected"] = [_rejection(node, r) for node, r in result.rejected]
        explanation["feasible"] = [_score(s) for s in result.feasible.best()]
    else:
        explanation.update(_capped(result))
    return explanation


def _capped(result: CycleResult) -> dict[str, Any]:
    """The best feasible nodes, a few examples of each rejection reason, and counts of the rest."""
    counts: dict[tuple[str, str], int] = {}
    examples = []
    for node, rejection in result.rejected:
        group = (rejection.plugin, rejection.reason)
        seen = counts.get(group, 0)
        counts[group] = seen + 1
        if seen < EXAMPLES_PER_REASON:
            examples.append(_rejection(node, rejection))
    feasible = result.feasible.best(FEASIBLE_KEPT)
    return {
        "rejected": examples,
        "feasible": [_score(s) for s in feasible],
        "feasibleOmitted": len(result.feasible) - len(feasible),
        "rejectedOmitted": len(result.rejected) - len(examples),
        "rejectionSummary": [{"plugin": plugin, "reason": reason, "count": count} for (plugin, reason), count
                             in sorted(counts.items(), key=lambda item: (-item[1], item[0]))],
    }


def _rejection(node: str, rejection: Rejection) -> dict[str, Any]:
    return {"node": node, "plugin": rejection.plugin, "reason": rejection.reason, "detail": rejection.detail}


def _score(score: NodeScore) -> dict[str, Any]:
    return {"node": score.node, "scores": dict(score.scores), "total": score.total}
