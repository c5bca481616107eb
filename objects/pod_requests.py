"""What a pod takes from a node: its effective cpu and memory requests, as Kubernetes computes them.

One rule for everyone who counts: the scheduler (what fits where) and the
dashboard (how full a node's box is) must add up the same numbers
(pkg/api/v1/resource's PodRequests).
"""

from __future__ import annotations

from functools import lru_cache

from objects.container import Container
from objects.phases import RestartPolicy
from objects.pod import PodSpec
from objects.quantity import cpu_millicores, to_bytes

# The pods of one workload repeat the same few quantities ("100m", "128Mi"), and every update of a
# pod reads them all again: each distinct one is parsed once (a parse costs about 3 us, a hit 0.1 us).
milli_cpu_of = lru_cache(maxsize=4096)(cpu_millicores)
bytes_of = lru_cache(maxsize=4096)(to_bytes)

# kube-scheduler scores a container that requests nothing as if it asked for
# this much, so that empty pods still spread (pkg/scheduler/util/pod_resources.go).
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


def pod_requests(spec: PodSpec, *, non_zero: bool = False) -> tuple[int, int]:
    """(millicores, bytes): the sum over its containers and sidecars (a limit stands in for a missing
    request), at least its largest init container, plus overhead. With `non_zero`, a container that
    requests no cpu or memory counts as requesting the defaults above (for scoring only)."""
    cpu = memory = 0
    for container in spec.containers or []:
        container_cpu, container_memory = _container_requests(container, non_zero)
        cpu, memory = cpu + container_cpu, memory + container_memory
    for init in spec.init_containers or []:
        init_cpu, init_memory = _container_requests(init, non_zero)
        if init.restart_policy == RestartPolicy.ALWAYS:  # a sidecar runs for the pod's whole life
            cpu, memory = cpu + init_cpu, memory + init_memory
        else:
            cpu, memory = max(cpu, init_cpu), max(memory, init_memory)
    overhead = spec.overhead or {}
    if overhead:
        cpu += milli_cpu_of(overhead.get("cpu", 0))
        memory += bytes_of(overhead.get("memory", 0))
    return cpu, memory


def _container_requests(container: Container, non_zero: bool) -> tuple[int, int]:
    resources = container.resources
    requests = (resources.requests if resources else None) or {}
    limits = (resources.limits if resources else None) or {}
    cpu = requests.get("cpu", limits.get("cpu"))
    memory = requests.get("memory", limits.get("memory"))
    milli_cpu = milli_cpu_of(cpu) if cpu is not None else (DEFAULT_MILLI_CPU_REQUEST if non_zero else 0)
    memory_bytes = bytes_of(memory) if memory is not None else (DEFAULT_MEMORY_REQUEST if non_zero else 0)
    return milli_cpu, memory_bytes
