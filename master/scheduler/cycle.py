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
class FeasibleScores:
    """Every feasible node's scores, kept as columns (one list per score plugin, aligned with
    `nodes`): a cycle scores hundreds of nodes but shows only a few, so only `best` builds
    per-node objects, for the nodes it is asked for."""

    nodes: list[str] = field(default_factory=list)
    columns: dict[str, list[int]] = field(default_factory=dict)  # plugin -> normalized score of each node
    totals: list[int] = field(default_factory=list)  # weighted sum of each node

    def __len__(self) -> int:
        return len(self.nodes)

    def best(self, limit: int | None = None) -> list[NodeScore]:
        """The `limit` best nodes (all when None): highest total first, ties by node name."""
        nodes, totals = self.nodes, self.totals
        # Two stable sorts, by name and then by total (reverse keeps equal totals in name order), with
        # keys looked up in C: twice as fast as ranking (-total, name) tuples, which mostly tie on the
        # total and so compare names in nearly every step.
        order = sorted(range(len(nodes)), key=nodes.__getitem__)
        order.sort(key=totals.__getitem__, reverse=True)
        return [NodeScore(nodes[i], {plugin: column[i] for plugin, column in self.columns.items()}, totals[i])
                for i in order[:limit]]


@dataclass
class CycleResult:
    pod: PodInfo
    node: str | None
    nodes_total: int
    nodes_evaluated: int
    rejected: list[tuple[str, Rejection]] = field(default_factory=list)
    feasible: FeasibleScores = field(default_factory=FeasibleScores)


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
        return result

    # ----- phases

    def _filter(self, pod: PodInfo, nodes: list[NodeInfo], result: CycleResult) -> list[NodeInfo]:
        """Each node in turn, from where the last cycle stopped, until enough fit: its first
        rejection (filters run in profile order) or a place among the feasible."""
        wanted = feasible_nodes_to_find(len(nodes), self.percentage)
        feasible: list[NodeInfo] = []
        count = len(nodes)
        start = self._next_start % count if count else 0
        filters = [plugin.filter for plugin in self.profile.filters if not _skips(plugin, "skip_filter", pod)]
        evaluated = 0
        for offset in range(start, start + count):
            node = nodes[offset if offset < count else offset - count]
            evaluated += 1
            for check in filters:
                rejection = check(pod, node)
                if rejection is not None:
                    result.rejected.append((node.name, rejection))
                    break
            else:
                feasible.append(node)
                if len(feasible) >= wanted:
                    break
        self._next_start = start + evaluated
        result.nodes_evaluated = evaluated
        return feasible

    def _score(self, pod: PodInfo, feasible: list[NodeInfo]) -> FeasibleScores:
        """One column of scores per plugin, normalized, and the weighted totals: plain lists of ints,
        because this runs for hundreds of nodes per pod and per-node dicts were its main cost."""
        scores = FeasibleScores(nodes=[node.name for node in feasible], totals=[0] * len(feasible))
        for plugin, weight in self.profile.scorers:
            if _skips(plugin, "skip_score", pod):
                scores.columns[plugin.name] = [0] * len(feasible)  # and the totals stay as they are
                continue
            score = plugin.score
            column = [score(pod, node) for node in feasible]
            normalize = getattr(plugin, "normalize", None)
            if normalize is not None:
                normalize(column)
            scores.columns[plugin.name] = column
            scores.totals = [total + value * weight for total, value in zip(scores.totals, column)]
        return scores

    def _select(self, scores: FeasibleScores) -> str:
        """The highest total; ties broken uniformly at random by the seeded source."""
        best = max(scores.totals)
        tied = [i for i, total in enumerate(scores.totals) if total == best]
        return scores.nodes[tied[0] if len(tied) == 1 else self.rng.choice(tied)]


def _skips(plugin: object, stage: str, pod: PodInfo) -> bool:
    """Whether the plugin's optional `skip_filter` / `skip_score` says this pod gives it nothing to do."""
    skip = getattr(plugin, stage, None)
    return skip is not None and skip(pod)
