"""SchedulingExplanation: why the scheduler placed a pod where it did, or could not place it.

Served read-only at `GET /api/v1/namespaces/{ns}/pods/{name}/explanation` (the
scheduler writes it with PUT after every attempt; the last attempt wins). It is
the raw material for teaching: every evaluated node's verdict, with the filter
that rejected it and that node's numbers, and every plugin's score for the
nodes that fitted.
"""

from __future__ import annotations

from pydantic import Field

from objects.base import K8sModel
from objects.meta import ObjectMeta


class NodeRejection(K8sModel):
    node: str
    plugin: str  # the filter plugin that rejected the node, e.g. NodeResourcesFit
    reason: str  # the constant counted in FailedScheduling, e.g. "Insufficient cpu"
    detail: str = ""  # this node's numbers, e.g. "requested 500m cpu, free 200m"


class NodeScore(K8sModel):
    node: str
    scores: dict[str, int] = Field(default_factory=dict)  # plugin -> 0..100, before weights
    total: int = 0  # sum of score x weight


class PluginWeight(K8sModel):
    name: str
    weight: int


class SchedulingExplanation(K8sModel):
    api_version: str = "v1"
    kind: str = "SchedulingExplanation"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)  # the pod's name, namespace and uid
    attempt_time: str = ""
    result: str = ""  # Scheduled | Unschedulable
    node: str | None = None
    message: str = ""
    nodes_total: int = 0
    nodes_evaluated: int = 0  # fewer than total when a large cluster was sampled
    filters: list[str] = Field(default_factory=list)
    scorers: list[PluginWeight] = Field(default_factory=list)
    rejected: list[NodeRejection] = Field(default_factory=list)
    feasible: list[NodeScore] = Field(default_factory=list)  # best first
