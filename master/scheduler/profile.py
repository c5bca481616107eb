"""A scheduling profile: which filters run, in which order, and how scores are weighted.

`default_profile` is kube-scheduler's default profile cut down to the plugins tinykube has, in
the same order and with the same weights. A node's final score is the sum over scorers of
weight * (normalized) score.
"""

from __future__ import annotations

from dataclasses import dataclass

from master.scheduler.framework import FilterPlugin, ScorePlugin
from master.scheduler.plugins import (
    LEAST_ALLOCATED,
    BalancedAllocation,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    NodeUnschedulable,
    TaintToleration,
)

DEFAULT_WEIGHTS = {
    "TaintToleration": 3,
    "NodeAffinity": 2,
    "NodeResourcesFit": 1,
    "NodeResourcesBalancedAllocation": 1,
}


@dataclass
class Profile:
    filters: list[FilterPlugin]
    scorers: list[tuple[ScorePlugin, int]]  # (plugin, weight)


def default_profile(*, strategy: str = LEAST_ALLOCATED, weights: dict[str, int] | None = None) -> Profile:
    """The filter chain and the weighted scorers. `strategy` is "LeastAllocated" (spread) or
    "MostAllocated" (bin-pack); `weights` overrides some of DEFAULT_WEIGHTS by plugin name."""
    unknown = set(weights or {}) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise ValueError(f"no score plugin named {', '.join(sorted(unknown))}")
    weight = {**DEFAULT_WEIGHTS, **(weights or {})}
    if any(w < 1 for w in weight.values()):
        raise ValueError("score plugin weights must be positive")

    fit = NodeResourcesFit(strategy=strategy)  # ValueError for an unknown strategy
    taints = TaintToleration()
    affinity = NodeAffinity()
    balanced = BalancedAllocation()

    filters: list[FilterPlugin] = [
        # Cordoned and not-ready nodes take no new pods: the cheapest check, so it goes first.
        NodeUnschedulable(),
        # Taints repel pods that do not tolerate them.
        taints,
        # The pod's nodeSelector and required node affinity pick the nodes it may use.
        affinity,
        # A host port can be held by one pod per node.
        NodePorts(),
        # The node must have room for the pod's requests and one more pod.
        fit,
    ]
    scorers: list[tuple[ScorePlugin, int]] = [
        # Avoid PreferNoSchedule taints the pod does not tolerate.
        (taints, weight[taints.name]),
        # Favour nodes matching the pod's preferred node affinity.
        (affinity, weight[affinity.name]),
        # Spread out (LeastAllocated) or pack (MostAllocated) by cpu and memory.
        (fit, weight[fit.name]),
        # Keep cpu and memory use even on each node.
        (balanced, weight[balanced.name]),
    ]
    return Profile(filters=filters, scorers=scorers)
