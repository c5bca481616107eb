"""Turn a cycle's result into the SchedulingExplanation served to users, and the messages of its events.

The explanation is an `objects.explanation.SchedulingExplanation`, dumped with
`to_wire()` by the reporter's thread when it is written, not by the scheduling
loop. Above EXPLAIN_EVERY_NODE_UP_TO evaluated nodes it is capped as that
module's docstring describes, which keeps it to a few dozen small models per
attempt: built with their ordinary constructors (about 1 us each, validated in
pydantic's compiled core; `model_construct` runs in Python and was three times
slower). With 500 nodes the models cost about 50 us per attempt more than the
dict this module once wrote by hand, and `to_wire()` 20 us more; the cycle's
skipped plugins (see framework.py) and its ranking save more than that.
"""

from __future__ import annotations

from datetime import datetime, timezone

from master.scheduler.cycle import CycleResult, NodeScore
from master.scheduler.framework import Rejection
from master.scheduler.plugins import fit_error_message
from master.scheduler.profile import Profile
from objects.explanation import NodeRejection, PluginWeight, RejectionCount, SchedulingExplanation
from objects.explanation import NodeScore as NodeScoreModel
from objects.meta import ObjectMeta

EXPLAIN_EVERY_NODE_UP_TO = 100  # evaluated nodes; kube-scheduler's minimum sample is the same size
FEASIBLE_KEPT = 20
EXAMPLES_PER_REASON = 5

SCHEDULED = "Scheduled"
UNSCHEDULABLE = "Unschedulable"


def scheduled_message(result: CycleResult) -> str:
    return f"Successfully assigned {result.pod.namespace}/{result.pod.name} to {result.node}"


def unschedulable_message(result: CycleResult) -> str:
    return fit_error_message(result.nodes_total, [rejection for _, rejection in result.rejected])


def explain(result: CycleResult, profile: Profile, *, now: datetime | None = None) -> SchedulingExplanation:
    """The attempt's explanation. The scheduler adds the pod's `attempts` (the queue keeps them), and
    the reporter its `suggestions`, searched for off the scheduling loop when no node fitted."""
    pod = result.pod
    explanation = SchedulingExplanation(
        metadata=ObjectMeta(name=pod.name, namespace=pod.namespace, uid=pod.uid),
        attempt_time=(now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        result=SCHEDULED if result.node else UNSCHEDULABLE,
        node=result.node,  # None, so absent on the wire, when no node fitted
        message=scheduled_message(result) if result.node else unschedulable_message(result),
        nodes_total=result.nodes_total,
        nodes_evaluated=result.nodes_evaluated,
        filters=[plugin.name for plugin in profile.filters],
        scorers=[PluginWeight(name=plugin.name, weight=weight) for plugin, weight in profile.scorers],
    )
    if result.nodes_evaluated <= EXPLAIN_EVERY_NODE_UP_TO:
        explanation.rejected = [_rejection(node, r) for node, r in result.rejected]
        explanation.feasible = [_score(s) for s in result.feasible.best()]
    else:
        _cap(explanation, result)
    return explanation


def _cap(explanation: SchedulingExplanation, result: CycleResult) -> None:
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
    explanation.rejected = examples
    explanation.feasible = [_score(s) for s in feasible]
    explanation.feasible_omitted = len(result.feasible) - len(feasible)
    explanation.rejected_omitted = len(result.rejected) - len(examples)
    explanation.rejection_summary = [
        RejectionCount(plugin=plugin, reason=reason, count=count)
        for (plugin, reason), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _rejection(node: str, rejection: Rejection) -> NodeRejection:
    return NodeRejection(node=node, plugin=rejection.plugin, reason=rejection.reason,
                                         detail=rejection.detail)


def _score(score: NodeScore) -> NodeScoreModel:
    return NodeScoreModel(node=score.node, scores=score.scores, total=score.total)
