"""The node's usage summary: what `GET /stats/summary` answers, and the master's metrics API reads.

A subset of the real kubelet's Summary API (stats/v1alpha1), with its field names:

    {"node": {"nodeName": "node-1", "cpu": CPU, "memory": MEMORY},
     "pods": [{"podRef": {"name", "namespace", "uid"}, "cpu": CPU, "memory": MEMORY,
               "containers": [{"name": "app", "startTime": ..., "cpu": CPU, "memory": MEMORY}]}]}

    CPU    = {"time": RFC 3339, "usageNanoCores": int, "usageCoreNanoSeconds": int}
    MEMORY = {"time": RFC 3339, "usageBytes": int, "workingSetBytes": int}

Only running app containers are sampled (sandboxes hold no workload). One
sample takes the engine about a second, so all are taken at once, on threads.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubelet.runtime.protocol import ContainerNotFound, ContainerRuntime, ContainerStats, ContainerStatus, PodRef

MAX_PARALLEL_SAMPLES = 16


@dataclass(frozen=True)
class ContainerUsage:
    name: str
    start_time: str
    stats: ContainerStats


@dataclass(frozen=True)
class PodUsage:
    pod: PodRef
    containers: tuple[ContainerUsage, ...]


@dataclass(frozen=True)
class Summary:
    node_name: str
    pods: tuple[PodUsage, ...]

    def to_json(self) -> dict[str, Any]:
        every = [c.stats for pod in self.pods for c in pod.containers]
        return {
            "node": {"nodeName": self.node_name, **_usage_json(every)},
            "pods": [{"podRef": {"name": p.pod.name, "namespace": p.pod.namespace, "uid": p.pod.uid},
                      **_usage_json(c.stats for c in p.containers),
                      "containers": [{"name": c.name, "startTime": c.start_time, **_usage_json([c.stats])}
                                     for c in p.containers]}
                     for p in self.pods],
        }


def summarize(runtime: ContainerRuntime, node_name: str) -> Summary:
    """Sample every running app container of this node.

    The node's usage is the sum of its pods' containers and nothing else: the
    kubelet, the engine and other processes on the machine are not counted
    (the real kubelet reads the root cgroup instead). Raises RuntimeFailure
    when the engine cannot be asked at all; a container that stops or goes
    away while it is sampled is simply left out.
    """
    running = _newest_running(runtime.list_containers(node_name))
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL_SAMPLES, len(running)))) as pool:
        samples = list(pool.map(lambda c: _sample(runtime, c), running))
    pods: dict[str, list[ContainerUsage]] = {}
    refs: dict[str, PodRef] = {}
    for container, stats in zip(running, samples):
        if stats is None:
            continue
        refs[container.pod.uid] = container.pod
        pods.setdefault(container.pod.uid, []).append(ContainerUsage(container.name, container.started_at, stats))
    return Summary(node_name, tuple(PodUsage(refs[uid], tuple(sorted(usages, key=lambda c: c.name)))
                                    for uid, usages in pods.items()))


def _newest_running(containers: list[ContainerStatus]) -> list[ContainerStatus]:
    """One instance per pod container: the newest running one (list_containers is newest first)."""
    seen: set[tuple[str, str]] = set()
    chosen = []
    for container in containers:
        key = (container.pod.uid, container.name)
        if container.state == "running" and key not in seen:
            seen.add(key)
            chosen.append(container)
    return chosen


def _sample(runtime: ContainerRuntime, container: ContainerStatus) -> ContainerStats | None:
    try:
        return runtime.container_stats(container.id)
    except ContainerNotFound:
        return None  # removed since it was listed


def _usage_json(samples: Iterable[ContainerStats]) -> dict[str, Any]:
    samples = list(samples)
    moment = max((s.timestamp for s in samples), default=None) or _now()
    return {
        "cpu": {"time": moment, "usageNanoCores": sum(s.cpu_usage_nano_cores for s in samples),
                "usageCoreNanoSeconds": sum(s.cpu_usage_core_nano_seconds for s in samples)},
        "memory": {"time": moment, "usageBytes": sum(s.memory_usage_bytes for s in samples),
                   "workingSetBytes": sum(s.memory_working_set_bytes for s in samples)},
    }


def _now() -> str:
    moment = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment % 1 * 1e9):09d}Z"
