"""One cycle: what skipping a plugin with nothing to do (PreFilter/PreScore Skip) must not change, and
how the feasible nodes are ranked."""

from __future__ import annotations

import random

import pytest

from master.scheduler.cycle import Cycle, FeasibleScores
from master.scheduler.profile import Profile, default_profile
from tests.master.scheduler import make_node, make_pod


class NeverSkips:
    """A plugin as it was before it could skip: every stage runs for every node."""

    def __init__(self, plugin):
        self.name, self.plugin = plugin.name, plugin
        if hasattr(plugin, "normalize"):
            self.normalize = plugin.normalize

    def filter(self, pod, node):
        return self.plugin.filter(pod, node)

    def score(self, pod, node):
        return self.plugin.score(pod, node)


def never_skipping(profile: Profile) -> Profile:
    return Profile(filters=[NeverSkips(p) for p in profile.filters],
                   scorers=[(NeverSkips(p), weight) for p, weight in profile.scorers])


@pytest.mark.parametrize("pod", [
    make_pod(requests=[{"cpu": "500m"}]),
    make_pod(requests=[]),  # best-effort: NodeResourcesBalancedAllocation skips its score
    make_pod(requests=[{"cpu": "100m"}], node_selector={"zone": "a"},
             preferred=[{"weight": 3, "preference": {"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}}],
             host_ports=[{"hostPort": 8080}]),
], ids=["plain", "best-effort", "selector-affinity-ports"])
def test_skipped_plugins_leave_every_rejection_score_and_choice_as_running_them_would(pod):
    nodes = [make_node(f"n{i}", cpu=str(1 + i % 3), labels={"zone": "ab"[i % 2], **({"gpu": "y"} if i % 3 else {})},
                       taints=[{"key": "soft", "value": "", "effect": "PreferNoSchedule"}] if i % 4 == 0 else [])
             for i in range(12)]
    nodes.append(make_node("small", cpu="200m", labels={"zone": "a"}))
    skipping = Cycle(default_profile(), rng=random.Random(7)).run(pod, nodes)
    running = Cycle(never_skipping(default_profile()), rng=random.Random(7)).run(pod, nodes)
    assert skipping.node == running.node
    assert skipping.rejected == running.rejected
    assert skipping.feasible == running.feasible


def test_best_ranks_by_total_then_by_node_name_and_keeps_the_limit():
    scores = FeasibleScores(nodes=["c", "a", "d", "b", "e"], columns={"P": [1, 2, 3, 4, 5]}, totals=[7, 9, 7, 9, 1])
    assert [(s.node, s.total, s.scores) for s in scores.best()] == [
        ("a", 9, {"P": 2}), ("b", 9, {"P": 4}), ("c", 7, {"P": 1}), ("d", 7, {"P": 3}), ("e", 1, {"P": 5})]
    assert [s.node for s in scores.best(3)] == ["a", "b", "c"]
