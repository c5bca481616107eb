"""The scheduling framework: what a plugin sees and what it may answer.

A filter plugin answers `None` (the pod fits this node) or a `Rejection`: an
expected misfit is a value, never an exception. A score plugin answers an
integer from 0 to 100. Each plugin keeps its rejection reasons as named
constants, worded exactly as kube-scheduler words them, because they end up in
the FailedScheduling message users read.

`PodInfo` and `NodeInfo` are the scheduler's precomputed views of the API
objects (requests summed, taints parsed), built once per pod or node update so
a cycle over thousands of nodes does no parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from objects.quantity import cpu_millicores, to_bytes

# kube-scheduler scores a container that requests nothing as if it asked for
# this much, so that empty pods still spread (pkg/scheduler/util/pod_resources.go).
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

MAX_NODE_SCORE = 100


@dataclass(frozen=True)
class Resources:
    milli_cpu: int = 0
    memory: int = 0  # bytes
    pods: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.milli_cpu + other.milli_cpu, self.memory + other.memory, self.pods + other.pods)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.milli_cpu - other.milli_cpu, self.memory - other.memory, self.pods - other.pods)


@dataclass(frozen=True)
class HostPort:
    host_ip: str  # "0.0.0.0" when unset
    protocol: str
    port: int


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str  # NoSchedule | PreferNoSchedule | NoExecute

    def __str__(self) -> str:
        return f"{{{self.key}: {self.value}}}"


@dataclass
class PodInfo:
    """What scheduling needs of one pod."""

    namespace: str
    name: str
    uid: str
    requests: Resources  # what the pod reserves on a node (pods=1)
    non_zero_requests: Resources  # for scoring: empty requests count as the defaults above
    node_selector: dict[str, str]
    required_node_affinity: list[dict[str, Any]]  # nodeSelectorTerms (ORed)
    preferred_node_affinity: list[dict[str, Any]]  # [{weight, preference}]
    tolerations: list[dict[str, Any]]
    host_ports: list[HostPort]
    node_name: str  # "" while unscheduled
    terminated: bool  # Succeeded or Failed: holds no resources any more
    deleting: bool
    pod: dict[str, Any] = field(repr=False)
    # Plugins keep what they parse once per pod here (tolerations, affinity terms), keyed by
    # plugin name, so filtering thousands of nodes parses nothing.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def from_pod(cls, pod: dict[str, Any]) -> PodInfo:
        meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        affinity = ((spec.get("affinity") or {}).get("nodeAffinity")) or {}
        required = (affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
        return cls(
            namespace=meta.get("namespace", ""), name=meta["name"], uid=meta.get("uid", ""),
            requests=pod_requests(spec, non_zero=False), non_zero_requests=pod_requests(spec, non_zero=True),
            node_selector=dict(spec.get("nodeSelector") or {}),
            required_node_affinity=list(required),
            preferred_node_affinity=list(affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []),
            tolerations=list(spec.get("tolerations") or []),
            host_ports=_host_ports(spec), node_name=spec.get("nodeName") or "",
            terminated=status.get("phase") in ("Succeeded", "Failed"),
            deleting=bool(meta.get("deletionTimestamp")), pod=pod,
        )


@dataclass
class NodeInfo:
    """One node and what the scheduler believes is already placed on it."""

    name: str
    labels: dict[str, str]
    taints: list[Taint]
    unschedulable: bool
    ready: bool
    allocatable: Resources
    requested: Resources = Resources()
    non_zero_requested: Resources = Resources()
    used_ports: dict[HostPort, int] = field(default_factory=dict)
    pods: dict[str, PodInfo] = field(default_factory=dict)  # by pod uid (or key when it has none)
    node: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def free(self) -> Resources:
        return self.allocatable - self.requested

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> NodeInfo:
        spec, status = node.get("spec") or {}, node.get("status") or {}
        allocatable = status.get("allocatable") or status.get("capacity") or {}
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        return cls(
            name=node["metadata"]["name"], labels=dict(node["metadata"].get("labels") or {}),
            taints=[Taint(t["key"], t.get("value", ""), t["effect"]) for t in spec.get("taints") or []],
            unschedulable=bool(spec.get("unschedulable")), ready=conditions.get("Ready") == "True",
            allocatable=Resources(
                cpu_millicores(allocatable.get("cpu", 0)), to_bytes(allocatable.get("memory", 0)),
                int(str(allocatable.get("pods", 0)) or 0),
            ),
            node=node,
        )

    def add_pod(self, pod: PodInfo) -> None:
        self.pods[pod.uid or pod.key] = pod
        self.requested += pod.requests
        self.non_zero_requested += pod.non_zero_requests
        for port in pod.host_ports:
            self.used_ports[port] = self.used_ports.get(port, 0) + 1

    def remove_pod(self, pod: PodInfo) -> None:
        if self.pods.pop(pod.uid or pod.key, None) is None:
            return
        self.requested -= pod.requests
        self.non_zero_requested -= pod.non_zero_requests
        for port in pod.host_ports:
            left = self.used_ports.get(port, 0) - 1
            if left > 0:
                self.used_ports[port] = left
            else:
                self.used_ports.pop(port, None)


@dataclass(frozen=True)
class Rejection:
    """Why one filter plugin rejected one node: `reason` is the constant users see, aggregated
    across nodes in FailedScheduling; `detail` carries this node's numbers for the explanation."""

    plugin: str
    reason: str
    detail: str = ""
    # kube-scheduler lets one plugin give several reasons at once (NodeResourcesFit: "Insufficient
    # cpu" and "Insufficient memory"); each is counted on its own in FailedScheduling.
    more_reasons: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        return (self.reason, *self.more_reasons)


class FilterPlugin(Protocol):
    """Decides whether a pod may run on a node. Pure: no I/O, no mutation of its arguments."""

    name: str

    def filter(self, pod: PodInfo, node: NodeInfo) -> Rejection | None: ...


class ScorePlugin(Protocol):
    """Ranks a node that passed every filter, from 0 (worst) to MAX_NODE_SCORE (best). Pure.

    `normalize` (optional) rescales the raw scores of all feasible nodes of one
    cycle in place, as kube-scheduler's NormalizeScore does: it gets a list of
    ints in the cycle's node order (no node names: rescaling needs none, and a
    cycle builds no per-node dicts). Plugins that do not need it omit the method.
    """

    name: str

    def score(self, pod: PodInfo, node: NodeInfo) -> int: ...


def pod_requests(spec: dict[str, Any], *, non_zero: bool) -> Resources:
    """A pod's effective requests: the sum over its containers, at least the largest init container,
    plus overhead, as Kubernetes computes them (pkg/api/v1/resource)."""
    def container_requests(container: dict[str, Any]) -> Resources:
        requests = ((container.get("resources") or {}).get("requests")) or {}
        limits = ((container.get("resources") or {}).get("limits")) or {}
        cpu = requests.get("cpu", limits.get("cpu"))
        memory = requests.get("memory", limits.get("memory"))
        milli_cpu = cpu_millicores(cpu) if cpu is not None else (DEFAULT_MILLI_CPU_REQUEST if non_zero else 0)
        mem = to_bytes(memory) if memory is not None else (DEFAULT_MEMORY_REQUEST if non_zero else 0)
        return Resources(milli_cpu, mem, 0)

    total = Resources()
    for container in spec.get("containers") or []:
        total += container_requests(container)
    for init in spec.get("initContainers") or []:
        if init.get("restartPolicy") == "Always":  # a sidecar runs for the pod's whole life
            total += container_requests(init)
            continue
        needed = container_requests(init)
        total = Resources(max(total.milli_cpu, needed.milli_cpu), max(total.memory, needed.memory), 0)
    overhead = spec.get("overhead") or {}
    if overhead:
        total += Resources(cpu_millicores(overhead.get("cpu", 0)), to_bytes(overhead.get("memory", 0)), 0)
    return Resources(total.milli_cpu, total.memory, 1)


def _host_ports(spec: dict[str, Any]) -> list[HostPort]:
    ports = []
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                ports.append(HostPort(port.get("hostIP") or "0.0.0.0", port.get("protocol") or "TCP",
                                      int(port["hostPort"])))
    return ports
