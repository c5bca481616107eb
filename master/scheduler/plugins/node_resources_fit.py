"""NodeResourcesFit: a pod fits a node only if the node has room for its requests; and, as a score,
how full the node would be with it.

Filter, in kube-scheduler's order: pod slots ("Too many pods"), then cpu, then memory. A node
can fall short on several at once; the Rejection carries the first as `reason`, the rest in
`more_reasons` (each counted in FailedScheduling, as kube-scheduler counts them) and every
shortfall with its numbers in `detail`. A pod that requests none of a resource is never
short of it, even on an overcommitted node.

Score, by strategy, from cpu and memory weighted 1:1 over allocatable. Requests here are the
"non-zero" ones: a container that requests nothing counts as 100m cpu and 200Mi memory.

    LeastAllocated   (allocatable - requested) * 100 / allocatable   spread pods out (default)
    MostAllocated    requested * 100 / allocatable                   bin-pack them
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from master.scheduler.framework import MAX_NODE_SCORE, NodeInfo, PodInfo, Rejection

NAME = "NodeResourcesFit"

ERR_REASON_TOO_MANY_PODS = "Too many pods"
ERR_REASON_INSUFFICIENT_CPU = "Insufficient cpu"
ERR_REASON_INSUFFICIENT_MEMORY = "Insufficient memory"

LEAST_ALLOCATED = "LeastAllocated"
MOST_ALLOCATED = "MostAllocated"


@dataclass(frozen=True)
class InsufficientResource:
    """One resource the node is short of: what the pod wants, what others hold, what the node has."""

    resource: str  # "pods" | "cpu" | "memory"
    reason: str
    requested: int  # millicores for cpu, bytes for memory
    used: int
    capacity: int

    def describe(self) -> str:
        if self.resource == "pods":
            return f"pods already on the node: {self.used} of {self.capacity} allocatable"
        show = format_cpu if self.resource == "cpu" else format_memory
        return (f"requested {show(self.requested)} {self.resource}, free {show(self.capacity - self.used)} "
                f"(allocatable {show(self.capacity)}, already requested {show(self.used)})")


def insufficient_resources(pod: PodInfo, node: NodeInfo) -> list[InsufficientResource]:
    """Every resource the node lacks for the pod, in kube-scheduler's order; empty when it fits."""
    wanted, allocatable, requested = pod.requests, node.allocatable, node.requested
    short = []
    if requested.pods + 1 > allocatable.pods:
        short.append(InsufficientResource("pods", ERR_REASON_TOO_MANY_PODS, 1, requested.pods, allocatable.pods))
    if wanted.milli_cpu > 0 and wanted.milli_cpu > allocatable.milli_cpu - requested.milli_cpu:
        short.append(InsufficientResource("cpu", ERR_REASON_INSUFFICIENT_CPU, wanted.milli_cpu,
                                          requested.milli_cpu, allocatable.milli_cpu))
    if wanted.memory > 0 and wanted.memory > allocatable.memory - requested.memory:
        short.append(InsufficientResource("memory", ERR_REASON_INSUFFICIENT_MEMORY, wanted.memory,
                                          requested.memory, allocatable.memory))
    return short


def fits(pod: PodInfo, node: NodeInfo) -> bool:
    wanted, allocatable, requested = pod.requests, node.allocatable, node.requested
    return (requested.pods + 1 <= allocatable.pods
            and (wanted.milli_cpu <= 0 or wanted.milli_cpu <= allocatable.milli_cpu - requested.milli_cpu)
            and (wanted.memory <= 0 or wanted.memory <= allocatable.memory - requested.memory))


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def most_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0:
        return 0
    # Requests can exceed capacity because empty requests count as the non-zero defaults.
    return min(requested, capacity) * MAX_NODE_SCORE // capacity


def _weighted(pod: PodInfo, node: NodeInfo, per_resource: Callable[[int, int], int]) -> int:
    """cpu and memory scored 1:1; a resource the node has none of is left out, as in kube-scheduler."""
    allocatable, on_node, wanted = node.allocatable, node.non_zero_requested, pod.non_zero_requests
    cpu, memory = allocatable.milli_cpu, allocatable.memory
    # Spelled out rather than looped over (resource, capacity) pairs: this runs for every
    # feasible node of every cycle.
    if cpu and memory:
        return (per_resource(on_node.milli_cpu + wanted.milli_cpu, cpu)
                + per_resource(on_node.memory + wanted.memory, memory)) // 2
    if cpu:
        return per_resource(on_node.milli_cpu + wanted.milli_cpu, cpu)
    if memory:
        return per_resource(on_node.memory + wanted.memory, memory)
    return 0


def least_allocated_score(pod: PodInfo, node: NodeInfo) -> int:
    return _weighted(pod, node, least_requested_score)


def most_allocated_score(pod: PodInfo, node: NodeInfo) -> int:
    return _weighted(pod, node, most_requested_score)


SCORING_STRATEGIES: dict[str, Callable[[PodInfo, NodeInfo], int]] = {
    LEAST_ALLOCATED: least_allocated_score,
    MOST_ALLOCATED: most_allocated_score,
}


class NodeResourcesFit:
    """Both a filter and a scorer, like kube-scheduler's plugin of the same name."""

    name = NAME

    def __init__(self, *, strategy: str = LEAST_ALLOCATED) -> None:
        if strategy not in SCORING_STRATEGIES:
            raise ValueError(f"scoring strategy {strategy!r} is not supported "
                             f"(expected one of {', '.join(SCORING_STRATEGIES)})")
        self.strategy = strategy
        self._score = SCORING_STRATEGIES[strategy]

    def filter(self, pod: PodInfo, node: NodeInfo) -> Rejection | None:
        if fits(pod, node):
            return None
        short = insufficient_resources(pod, node)
        return Rejection(NAME, short[0].reason, "; ".join(s.describe() for s in short),
                         more_reasons=tuple(s.reason for s in short[1:]))

    def score(self, pod: PodInfo, node: NodeInfo) -> int:
        return self._score(pod, node)


def format_cpu(milli_cpu: int) -> str:
    """Millicores as Kubernetes writes them: whole cores when exact ("2"), else millicores ("1800m")."""
    return str(milli_cpu // 1000) if milli_cpu % 1000 == 0 else f"{milli_cpu}m"


_BINARY_UNITS = (("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10))


def format_memory(n_bytes: int) -> str:
    """Bytes in the largest binary unit that reads well: exact ("512Mi") or to one decimal ("1.5Gi")."""
    sign, magnitude = ("-", -n_bytes) if n_bytes < 0 else ("", n_bytes)
    for suffix, size in _BINARY_UNITS:
        if magnitude >= size:
            if magnitude % size == 0:
                return f"{sign}{magnitude // size}{suffix}"
            return f"{sign}{magnitude / size:.1f}{suffix}"
    return f"{sign}{magnitude}"
