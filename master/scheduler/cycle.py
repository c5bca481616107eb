"""One scheduling cycle for one pod: filter, score, select. Pure; the loop does the I/O.

Large clusters are sampled like kube-scheduler does (numFeasibleNodesToFind):
filtering stops once enough feasible nodes are found, starting each cycle where
the previous one stopped so every node gets its turn. When no node fits, every
node has been looked at, so a FailedScheduling explanation is always complete.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from master.scheduler.framework import NodeInfo, PodInfo, Rejection
from master.scheduler.profile import Profile

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE = 5


@dataclass
class NodeScore:
    node: str
    scores: dict[str, int]  # plugin -> normalized score (0..100), before weights
    total: int  # weighted sum


@dataclass
class CycleResult:
    pod: PodInfo
    node: str | None
    nodes_total: int
    nodes_evaluated: int
    rejected: list[tuple[str, Rejection]] = field(default_factory=list)
    feasible: list[NodeScore] = field(default_factory=list)


def feasible_nodes_to_find(total: int, percentage: int = 0) -> int:
    """How many feasible nodes are enough: all of them in small clusters, a shrinking share in large ones."""
    if total < MIN_FEASIBLE_NODES_TO_FIND or percentage >= 100:
        return total
    if percentage <= 0:
        percentage = max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - total // 125)
    return max(MIN_FEASIBLE_NODES_TO_FIND, total * percentage // 100)


class Cycle:
    def __init__(self, profile: Profile, *, rng: random.Random, percentage_of_nodes_to_score: int = 0):
        self.profile = profile
        self.rng = rng
        self.percentage = percentage_of_nodes_to_score
        self._next_start = 0

    def run(self, pod: PodInfo, nodes: list[NodeInfo]) -> CycleResult:
        result = CycleResult(pod, None, len(nodes), 0)
        feasible = self._filter(pod, nodes, result)
        if not feasible:
            return result
        result.feasible = self._score(pod, feasible)
        result.node = self._select(result.feasible)
        result.feasible.sort(key=lambda s: (-s.total, s.node))
        return result

    # ----- phases

    def _filter(self, pod: PodInfo, nodes: list[NodeInfo], result: CycleResult) -> list[NodeInfo]:
        wanted = feasible_nodes_to_find(len(nodes), self.percentage)
        feasible: list[NodeInfo] = []
        count = len(nodes)
        start = self._next_start % count if count else 0
        evaluated = 0
        for offset in range(count):
            node = nodes[(start + offset) % count]
            evaluated += 1
            rejection = self._first_rejection(pod, node)
            if rejection is None:
                feasible.append(node)
                if len(feasible) >= wanted:
                    break
            else:
                result.rejected.append((node.name, rejection))
        self._next_start = start + evaluated
        result.nodes_evaluated = evaluated
        return feasible

    def _first_rejection(self, pod: PodInfo, node: NodeInfo) -> Rejection | None:
        for plugin in self.profile.filters:
            rejection = plugin.filter(pod, node)
            if rejection is not None:
                return rejection
        return None

    def _score(self, pod: PodInfo, feasible: list[NodeInfo]) -> list[NodeScore]:
        per_node: dict[str, dict[str, int]] = {node.name: {} for node in feasible}
        totals = dict.fromkeys(per_node, 0)
        for plugin, weight in self.profile.scorers:
            raw = {node.name: plugin.score(pod, node) for node in feasible}
            normalize = getattr(plugin, "normalize", None)
            if normalize is not None:
                normalize(raw)
            for name, value in raw.items():
                per_node[name][plugin.name] = value
                totals[name] += value * weight
        return [NodeScore(name, per_node[name], totals[name]) for name in per_node]

    def _select(self, scores: list[NodeScore]) -> str:
        """The highest total; ties broken uniformly at random by the seeded source (reservoir sampling)."""
        best, best_total, ties = scores[0].node, scores[0].total, 1
        for candidate in scores[1:]:
            if candidate.total > best_total:
                best, best_total, ties = candidate.node, candidate.total, 1
            elif candidate.total == best_total:
                ties += 1
                if self.rng.randrange(ties) == 0:
                    best = candidate.node
        return best
