"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used evenly.

    fraction(r) = min(1, requested(r) / allocatable(r))      for r in cpu, memory
    score       = (1 - standard deviation of the fractions) * 100

With two resources the standard deviation is |cpu - memory| / 2. Unlike NodeResourcesFit's
score, this one uses the actual requests (no non-zero defaults), as kube-scheduler does; and a
pod that requests neither cpu nor memory is not scored at all (every node gets 0), which
kube-scheduler introduced so that best-effort pods do not pile onto one node.
"""

from __future__ import annotations

from master.scheduler.framework import MAX_NODE_SCORE, NodeInfo, PodInfo

NAME = "NodeResourcesBalancedAllocation"


def balanced_score(requested: tuple[int, ...], allocatable: tuple[int, ...]) -> int:
    """Score from parallel per-resource requested and allocatable amounts; resources the node
    has none of are left out."""
    fractions = [min(1.0, r / a) for r, a in zip(requested, allocatable) if a != 0]
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = (sum((f - mean) ** 2 for f in fractions) / len(fractions)) ** 0.5
    return int((1 - std) * MAX_NODE_SCORE)


class BalancedAllocation:
    name = NAME

    def skip_score(self, pod: PodInfo) -> bool:
        return pod.requests.milli_cpu == 0 and pod.requests.memory == 0  # best-effort: 0 everywhere

    def score(self, pod: PodInfo, node: NodeInfo) -> int:
        wanted = pod.requests
        if wanted.milli_cpu == 0 and wanted.memory == 0:
            return 0
        on_node, allocatable = node.requested, node.allocatable
        cpu, memory = allocatable.milli_cpu, allocatable.memory
        if cpu and memory:  # the usual node, spelled out because it runs for every feasible node
            cpu_fraction = (on_node.milli_cpu + wanted.milli_cpu) / cpu
            memory_fraction = (on_node.memory + wanted.memory) / memory
            cpu_fraction = cpu_fraction if cpu_fraction < 1.0 else 1.0
            memory_fraction = memory_fraction if memory_fraction < 1.0 else 1.0
            return int((1 - abs((cpu_fraction - memory_fraction) / 2)) * MAX_NODE_SCORE)
        return balanced_score((on_node.milli_cpu + wanted.milli_cpu, on_node.memory + wanted.memory),
                              (cpu, memory))
