"""The scheduling framework: what a plugin sees and what it may answer.

A filter plugin answers `None` (the pod fits this node) or a `Rejection`: an
expected misfit is a value, never an exception. A score plugin answers an
integer from 0 to 100. Each plugin keeps its rejection reasons as named
constants, worded exactly as kube-scheduler words them, because they end up in
the FailedScheduling message users read.

`PodInfo` and `NodeInfo` are the scheduler's precomputed views of the API
objects (requests summed, taints parsed), built from the `objects/` models once
per pod or node update, so a cycle over thousands of nodes does no parsing and
no plugin reads a wire dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from objects.node import Node, NodeSpec, NodeStatus
from objects.pod import NodeSelectorTerm, Pod, PodSpec, PreferredSchedulingTerm, Toleration
from objects.pod_requests import bytes_of, milli_cpu_of
from objects.pod_requests import pod_requests as effective_requests

# Quantities are parsed once each (objects/pod_requests.py): nodes' allocatable repeats them too.
_milli_cpu = milli_cpu_of
_bytes = bytes_of

MAX_NODE_SCORE = 100


@dataclass(frozen=True, slots=True)
class Resources:
    milli_cpu: int = 0
    memory: int = 0  # bytes
    pods: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.milli_cpu + other.milli_cpu, self.memory + other.memory, self.pods + other.pods)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.milli_cpu - other.milli_cpu, self.memory - other.memory, self.pods - other.pods)


@dataclass(frozen=True, slots=True)
class HostPort:
    host_ip: str  # "0.0.0.0" when unset
    protocol: str
    port: int


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str  # a TaintEffect; kept as the node wrote it, so an unknown effect repels nothing

    def __str__(self) -> str:
        return f"{{{self.key}: {self.value}}}"


@dataclass(slots=True)
class PodInfo:
    """What scheduling needs of one pod, read once from its `Pod` model at the informer edge.

    The affinity terms and tolerations stay the `objects.pod` models they were validated as; the
    plugins compile them on first use and keep the result in `cache`. A full pydantic `Pod` per
    pod update is affordable: validating a typical pod takes about 10 us, and the whole PodInfo
    about 18 us, where walking the wire dict by hand took 16 us (bench.scheduler's pod)."""

    namespace: str
    name: str
    uid: str
    requests: Resources  # what the pod reserves on a node (pods=1)
    non_zero_requests: Resources  # for scoring: empty requests count as the defaults above
    node_selector: dict[str, str]
    required_node_affinity: list[NodeSelectorTerm]  # ORed
    preferred_node_affinity: list[PreferredSchedulingTerm]
    tolerations: list[Toleration]
    host_ports: list[HostPort]
    node_name: str  # "" while unscheduled
    finished: bool  # Succeeded or Failed: holds no resources any more
    deleting: bool
    # Which of a node's pods to name first when suggesting to free room (suggestions.py).
    priority: int = 0  # spec.priority, 0 when unset
    created: str = ""  # metadata.creationTimestamp (RFC 3339, so it sorts as text)
    controller: str = ""  # its controller as Kind/name ("ReplicaSet/web-5d8f"), "" for a bare pod
    # Plugins keep what they parse once per pod here (tolerations, affinity terms), keyed by
    # plugin name, so filtering thousands of nodes parses nothing.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def from_pod(cls, pod: dict[str, Any]) -> PodInfo:
        """From the wire dict, validated as the API server validated it at admission."""
        return cls.from_model(Pod.model_validate(pod))

    @classmethod
    def from_model(cls, pod: Pod) -> PodInfo:
        meta, spec = pod.metadata, pod.spec or PodSpec()
        affinity = spec.affinity.node_affinity if spec.affinity else None
        required = affinity.required_during_scheduling_ignored_during_execution if affinity else None
        preferred = affinity.preferred_during_scheduling_ignored_during_execution if affinity else None
        controller = meta.controller_ref()
        return cls(
            namespace=meta.namespace or "", name=meta.name or "", uid=meta.uid or "",
            requests=pod_requests(spec, non_zero=False), non_zero_requests=pod_requests(spec, non_zero=True),
            node_selector=dict(spec.node_selector or {}),
            required_node_affinity=list(required.node_selector_terms or []) if required else [],
            preferred_node_affinity=list(preferred or []),
            tolerations=list(spec.tolerations or []),
            host_ports=_host_ports(spec), node_name=pod.node_name or "",
            finished=pod.is_finished, deleting=pod.is_terminating,
            priority=spec.priority or 0, created=meta.creation_timestamp or "",
            controller=f"{controller.kind}/{controller.name}" if controller else "",
        )


@dataclass(slots=True)
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

    @property
    def free(self) -> Resources:
        return self.allocatable - self.requested

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> NodeInfo:
        """From the wire dict, validated as the API server validated it at admission."""
        return cls.from_model(Node.model_validate(node))

    @classmethod
    def from_model(cls, node: Node) -> NodeInfo:
        spec, status = node.spec or NodeSpec(), node.status or NodeStatus()
        allocatable = status.allocatable or status.capacity or {}
        return cls(
            name=node.metadata.name or "", labels=dict(node.metadata.labels or {}),
            taints=[Taint(t.key or "", t.value or "", t.effect or "") for t in spec.taints or []],
            unschedulable=bool(spec.unschedulable), ready=node.is_ready,
            allocatable=Resources(
                _milli_cpu(allocatable.get("cpu", 0)), _bytes(allocatable.get("memory", 0)),
                int(str(allocatable.get("pods", 0)) or 0),
            ),
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
    """Decides whether a pod may run on a node. Pure: no I/O, no mutation of its arguments.

    `skip_filter` (optional) answers True when the plugin has nothing to check for
    this pod (no nodeSelector, no host ports), so the cycle leaves it out for every
    node: kube-scheduler's PreFilter returning Skip. `filter` must still answer
    None for such a pod when it is called directly.
    """

    name: str

    def filter(self, pod: PodInfo, node: NodeInfo) -> Rejection | None: ...


class ScorePlugin(Protocol):
    """Ranks a node that passed every filter, from 0 (worst) to MAX_NODE_SCORE (best). Pure.

    `normalize` (optional) rescales the raw scores of all feasible nodes of one
    cycle in place, as kube-scheduler's NormalizeScore does: it gets a list of
    ints in the cycle's node order (no node names: rescaling needs none, and a
    cycle builds no per-node dicts). Plugins that do not need it omit the method.

    `skip_score` (optional) answers True when every node would end with 0 for this
    pod, after `normalize`; the cycle then records zeros without calling `score`:
    kube-scheduler's PreScore returning Skip.
    """

    name: str

    def score(self, pod: PodInfo, node: NodeInfo) -> int: ...


def pod_requests(spec: PodSpec, *, non_zero: bool) -> Resources:
    """A pod's effective requests (objects/pod_requests.py), as one pod's worth of Resources."""
    milli_cpu, memory = effective_requests(spec, non_zero=non_zero)
    return Resources(milli_cpu, memory, 1)


def _host_ports(spec: PodSpec) -> list[HostPort]:
    ports = []
    for container in [*(spec.init_containers or []), *(spec.containers or [])]:
        for port in container.ports or []:
            if port.host_port:
                ports.append(HostPort(port.host_ip or "0.0.0.0", port.protocol or "TCP", port.host_port))
    return ports
