"""Scheduler tests. The builders below make real pod and node JSON and run it through the
scheduler's own PodInfo/NodeInfo constructors, so tests see what the scheduler sees."""

from __future__ import annotations

from typing import Any

from master.scheduler.framework import NodeInfo, PodInfo


def make_pod(
    name: str = "pod", *, requests: list[dict[str, str]] | None = None, node_selector: dict[str, str] | None = None,
    required: list[dict[str, Any]] | None = None, preferred: list[dict[str, Any]] | None = None,
    tolerations: list[dict[str, Any]] | None = None, host_ports: list[dict[str, Any]] | None = None,
) -> PodInfo:
    """`requests` holds one dict per container ([] for a pod with no containers at all)."""
    containers = [
        {"name": f"c{i}", "image": "busybox", "resources": {"requests": r} if r else {}}
        for i, r in enumerate([{}] if requests is None else requests)
    ]
    if host_ports:
        containers[0]["ports"] = [{"containerPort": p["hostPort"], **p} for p in host_ports]
    spec: dict[str, Any] = {"containers": containers}
    if node_selector:
        spec["nodeSelector"] = node_selector
    node_affinity: dict[str, Any] = {}
    if required is not None:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": required}
    if preferred is not None:
        node_affinity["preferredDuringSchedulingIgnoredDuringExecution"] = preferred
    if node_affinity:
        spec["affinity"] = {"nodeAffinity": node_affinity}
    if tolerations:
        spec["tolerations"] = tolerations
    return PodInfo.from_pod({"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
                             "spec": spec, "status": {"phase": "Pending"}})


def make_node(
    name: str = "node", *, cpu: str = "4", memory: str = "8Gi", pods: int = 110,
    labels: dict[str, str] | None = None, taints: list[dict[str, str]] | None = None,
    unschedulable: bool = False, ready: bool = True, placed: list[PodInfo] = (),
) -> NodeInfo:
    node = NodeInfo.from_node({
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": str(pods)},
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    })
    for index, pod in enumerate(placed):
        pod.uid = f"{pod.uid}-{name}-{index}"  # the same builder pod may be placed twice
        node.add_pod(pod)
    return node
