"""The SchedulingExplanation the scheduler writes: exact for small clusters, capped for large ones."""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone

from master.scheduler.cycle import Cycle
from master.scheduler.explanation import EXAMPLES_PER_REASON, EXPLAIN_EVERY_NODE_UP_TO, FEASIBLE_KEPT, explain
from master.scheduler.profile import default_profile
from objects.base import unknown_fields
from objects.explanation import NodeRejection, NodeScore, PluginWeight, SchedulingExplanation
from tests.master.scheduler import make_node, make_pod

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


def run_cycle(nodes, pod=None):
    profile = default_profile()
    result = Cycle(profile, rng=random.Random(1)).run(pod or make_pod(requests=[{"cpu": "500m"}]), nodes)
    return result, profile


def cluster(*, full: int, tainted: int, cordoned: int, free: int):
    return ([make_node(f"full-{i:03}", cpu="200m") for i in range(full)]
            + [make_node(f"tainted-{i:03}", taints=[TAINT]) for i in range(tainted)]
            + [make_node(f"cordoned-{i:03}", unschedulable=True) for i in range(cordoned)]
            + [make_node(f"free-{i:03}", cpu=str(2 + i % 7)) for i in range(free)])


def as_models_would_write_it(result, profile):
    """The explanation built field by field from the cycle's result: the wire shape must not move."""
    pod = result.pod
    return SchedulingExplanation(
        metadata={"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
        attempt_time=NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        result="Scheduled" if result.node else "Unschedulable", node=result.node,
        message=explain(result, profile, now=NOW).message,
        nodes_total=result.nodes_total, nodes_evaluated=result.nodes_evaluated,
        filters=[plugin.name for plugin in profile.filters],
        scorers=[PluginWeight(name=plugin.name, weight=weight) for plugin, weight in profile.scorers],
        rejected=[NodeRejection(node=node, plugin=r.plugin, reason=r.reason, detail=r.detail)
                  for node, r in result.rejected],
        feasible=[NodeScore(node=s.node, scores=s.scores, total=s.total) for s in result.feasible.best()],
    ).to_wire()


def test_a_small_cluster_explanation_is_exactly_what_the_models_would_write():
    result, profile = run_cycle(cluster(full=3, tainted=2, cordoned=1, free=4))
    assert result.node is not None
    assert explain(result, profile, now=NOW).to_wire() == as_models_would_write_it(result, profile)


def test_the_wire_json_keeps_its_keys_their_order_and_an_absent_node():
    """Clients (tkctl describe, tests) read this JSON: it must stay byte for byte what it was when
    the scheduler wrote the dict by hand, with the attempt history and suggestions (issue #14) last."""
    scorers = ('"scorers": [{"name": "TaintToleration", "weight": 3}, {"name": "NodeAffinity", "weight": 2}, '
               '{"name": "NodeResourcesFit", "weight": 1}, {"name": "NodeResourcesBalancedAllocation", "weight": 1}]')
    head = ('{"apiVersion": "v1", "kind": "SchedulingExplanation", '
            '"metadata": {"name": "pod", "namespace": "default", "uid": "uid-pod"}, '
            '"attemptTime": "2024-05-01T12:00:00Z", ')
    filters = '"filters": ["NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit"]'
    full = ('"rejected": [{"node": "full", "plugin": "NodeResourcesFit", "reason": "Insufficient cpu", '
            '"detail": "requested 500m cpu, free 200m (allocatable 200m, already requested 0)"}]')

    result, profile = run_cycle([make_node("full", cpu="200m"), make_node("free", cpu="2")])
    assert json.dumps(explain(result, profile, now=NOW).to_wire()) == (
        head + '"result": "Scheduled", "node": "free", "message": "Successfully assigned default/pod to free", '
        f'"nodesTotal": 2, "nodesEvaluated": 2, {filters}, {scorers}, {full}, '
        '"feasible": [{"node": "free", "scores": {"TaintToleration": 100, "NodeAffinity": 0, '
        '"NodeResourcesFit": 86, "NodeResourcesBalancedAllocation": 87}, "total": 473}], '
        '"attempts": [], "suggestions": []}')

    result, profile = run_cycle([make_node("full", cpu="200m")])
    assert json.dumps(explain(result, profile, now=NOW).to_wire()) == (
        head + '"result": "Unschedulable", "message": "0/1 nodes are available: 1 Insufficient cpu.", '
        f'"nodesTotal": 1, "nodesEvaluated": 1, {filters}, {scorers}, {full}, "feasible": [], '
        '"attempts": [], "suggestions": []}')


def test_an_unschedulable_explanation_has_no_node_and_every_rejection():
    result, profile = run_cycle(cluster(full=4, tainted=2, cordoned=1, free=0))
    wire = explain(result, profile, now=NOW).to_wire()
    assert wire == as_models_would_write_it(result, profile)
    assert "node" not in wire and wire["result"] == "Unschedulable" and len(wire["rejected"]) == 7


def test_up_to_one_hundred_evaluated_nodes_every_node_is_listed():
    result, profile = run_cycle(cluster(full=40, tainted=0, cordoned=0, free=60))
    assert result.nodes_evaluated == EXPLAIN_EVERY_NODE_UP_TO
    wire = explain(result, profile, now=NOW).to_wire()
    assert (len(wire["rejected"]), len(wire["feasible"])) == (40, 60)
    assert "feasibleOmitted" not in wire and "rejectionSummary" not in wire


def test_a_large_cluster_explanation_keeps_the_best_nodes_examples_and_counts():
    result, profile = run_cycle(cluster(full=30, tainted=20, cordoned=8, free=400))
    assert result.nodes_evaluated > EXPLAIN_EVERY_NODE_UP_TO
    wire = explain(result, profile, now=NOW).to_wire()

    every = result.feasible.best()
    assert wire["feasible"] == [{"node": s.node, "scores": s.scores, "total": s.total} for s in every[:FEASIBLE_KEPT]]
    assert wire["feasible"][0]["total"] == max(s.total for s in every)
    assert wire["feasibleOmitted"] == len(result.feasible) - FEASIBLE_KEPT
    assert wire["rejectionSummary"] == [
        {"plugin": "NodeResourcesFit", "reason": "Insufficient cpu", "count": 30},
        {"plugin": "TaintToleration", "reason": "node(s) had untolerated taint {dedicated: gpu}", "count": 20},
        {"plugin": "NodeUnschedulable", "reason": "node(s) were unschedulable", "count": 8},
    ]
    examples = {}
    for rejection in wire["rejected"]:
        examples.setdefault(rejection["reason"], []).append(rejection)
    assert {reason: len(found) for reason, found in examples.items()} == {
        "Insufficient cpu": EXAMPLES_PER_REASON, "node(s) had untolerated taint {dedicated: gpu}": EXAMPLES_PER_REASON,
        "node(s) were unschedulable": EXAMPLES_PER_REASON}
    assert "free 200m" in examples["Insufficient cpu"][0]["detail"]
    assert wire["rejectedOmitted"] == 58 - 3 * EXAMPLES_PER_REASON
    listed = len(wire["feasible"]) + wire["feasibleOmitted"] + len(wire["rejected"]) + wire["rejectedOmitted"]
    assert listed == wire["nodesEvaluated"]


def test_the_capped_shape_is_the_documented_model():
    result, profile = run_cycle(cluster(full=30, tainted=20, cordoned=8, free=400))
    wire = explain(result, profile, now=NOW).to_wire()
    model = SchedulingExplanation.model_validate(wire)
    assert unknown_fields(model) == []
    assert model.to_wire() == wire
