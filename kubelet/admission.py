"""Admission: does a pod fit this node at all? (The scheduler can be bypassed with spec.nodeName.)

Like the kubelet's resource admission, the pod's requests plus those of the
pods already admitted must fit the node's allocatable; otherwise the pod fails
at once with OutOfcpu, OutOfmemory or OutOfpods and never runs.
"""

from __future__ import annotations

from collections.abc import Callable

from objects.pod import Pod
from objects.quantity import Quantity, cpu_millicores, to_bytes


def admit(pod: Pod, admitted: list[Pod], allocatable: dict[str, str]) -> tuple[str, str] | None:
    """None when the pod fits; otherwise (reason, message) as the kubelet words them."""
    active = [p for p in admitted if not p.is_finished]
    if len(active) + 1 > int(allocatable.get("pods", 110)):
        return "OutOfpods", f"Node didn't have enough resource: pods, requested: 1, used: {len(active)}, " \
                            f"capacity: {allocatable.get('pods')}"
    for resource, amount, unit in (("cpu", cpu_millicores, "millicores"), ("memory", to_bytes, "bytes")):
        used = sum(_requests(p, resource, amount) for p in active)
        wanted = _requests(pod, resource, amount)
        capacity = amount(allocatable.get(resource, 0))
        if wanted and used + wanted > capacity:
            return f"OutOf{resource}", (f"Pod was rejected: Node didn't have enough resource: {resource}, "
                                      f"requested: {wanted}, used: {used}, capacity: {capacity}")
    return None


def _requests(pod: Pod, resource: str, amount: Callable[[Quantity], int]) -> int:
    total = 0
    for container in (pod.spec and pod.spec.containers) or []:
        if container.resources is None:
            continue
        requests, limits = container.resources.requests or {}, container.resources.limits or {}
        value = requests.get(resource, limits.get(resource))
        if value is not None:
            total += amount(value)
    return total
