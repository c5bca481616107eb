"""Turn a cycle's result into the SchedulingExplanation served to users, and the messages of its events."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from master.scheduler.cycle import CycleResult
from master.scheduler.plugins import fit_error_message
from master.scheduler.profile import Profile
from objects.explanation import NodeRejection, NodeScore, PluginWeight, SchedulingExplanation


def scheduled_message(result: CycleResult) -> str:
    return f"Successfully assigned {result.pod.namespace}/{result.pod.name} to {result.node}"


def unschedulable_message(result: CycleResult) -> str:
    return fit_error_message(result.nodes_total, [rejection for _, rejection in result.rejected])


def explain(result: CycleResult, profile: Profile, *, now: datetime | None = None) -> dict[str, Any]:
    moment = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pod = result.pod
    explanation = SchedulingExplanation(
        metadata={"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
        attempt_time=moment,
        result="Scheduled" if result.node else "Unschedulable",
        node=result.node,
        message=scheduled_message(result) if result.node else unschedulable_message(result),
        nodes_total=result.nodes_total,
        nodes_evaluated=result.nodes_evaluated,
        filters=[plugin.name for plugin in profile.filters],
        scorers=[PluginWeight(name=plugin.name, weight=weight) for plugin, weight in profile.scorers],
        rejected=[NodeRejection(node=node, plugin=r.plugin, reason=r.reason, detail=r.detail)
                  for node, r in result.rejected],
        feasible=[NodeScore(node=s.node, scores=s.scores, total=s.total) for s in result.feasible],
    )
    return explanation.to_wire()
