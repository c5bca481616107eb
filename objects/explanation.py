"""SchedulingExplanation: why the scheduler placed a pod where it did, or could not place it.

Served read-only at `GET /api/v1/namespaces/{ns}/pods/{name}/explanation` (the
scheduler writes it with PUT after every attempt; the last attempt wins). It is
the raw material for teaching: each evaluated node's verdict, with the filter
that rejected it and that node's numbers, and each plugin's score for the nodes
that fitted.

How much it lists depends on how many nodes the attempt evaluated:

- **At most 100 nodes** (`nodesEvaluated <= 100`): everything. `rejected` has
  every rejected node and `feasible` every feasible one, best first; the
  `*Omitted` fields and `rejectionSummary` are absent.
- **More than 100**: listing every node made each explanation tens of KB and
  its construction the scheduler's largest cost, so it is capped:

      feasible           the 20 best feasible nodes, with their scores, best first
      feasibleOmitted    how many feasible nodes are not listed
      rejected           up to 5 example nodes per (plugin, reason), with their detail
      rejectedOmitted    how many rejected nodes are not listed
      rejectionSummary   every (plugin, reason) with the count of nodes it rejected, most first

  A node is counted once, under the first reason its filter gave (`reason`);
  `detail` names any other shortfall. So the summary's counts add up to the
  number of rejected nodes, and `len(feasible) + feasibleOmitted +
  len(rejected) + rejectedOmitted == nodesEvaluated`. The FailedScheduling
  `message` still counts every reason of every node, as kube-scheduler does.

The scheduler builds these models from each cycle's result (see
master/scheduler/explanation.py) and its reporter dumps them with `to_wire()`.
"""

from __future__ import annotations

from typing import Any

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


class RejectionCount(K8sModel):
    plugin: str
    reason: str
    count: int  # nodes whose first reason this was


class ObjectRef(K8sModel):
    api_version: str
    kind: str
    name: str
    namespace: str | None = None


class Attempt(K8sModel):
    time: str  # RFC 3339 with milliseconds
    result: str  # Scheduled | Unschedulable
    message: str  # the FailedScheduling message, or "assigned to node-2"
    requeued_by: str = ""  # the cluster change that sent the pod back to scheduling; "" for the first


class Suggestion(K8sModel):
    type: str  # LowerRequests | TolerateTaint | RelaxNodeSelector | RelaxNodeAffinity | UncordonNode | RemovePods | AddNode
    message: str  # one line a learner reads
    target: ObjectRef | None = None  # the object to patch (a Deployment, ReplicaSet, Pod or Node); None for AddNode
    patch_type: str = "strategic"  # as `kubectl patch --type`
    patch: dict[str, Any] | None = None
    command: str = ""  # the kubectl command that applies it
    nodes: list[str] = Field(default_factory=list)  # where the pod fits once applied, as the filters found
    pods: list[str] = Field(default_factory=list)  # RemovePods: namespace/name, lowest priority first
    node: dict[str, Any] | None = None  # AddNode: the Node to add (its capacity, labels and taints)


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
    # Only when more than 100 nodes were evaluated (see the module docstring).
    feasible_omitted: int | None = None
    rejected_omitted: int | None = None
    rejection_summary: list[RejectionCount] | None = None
    # The latest attempts of this pod, oldest first (the last is the one above), and, while it is
    # unschedulable, the changes that would let it schedule now, checked by the filters (objects.why).
    attempts: list[Attempt] = Field(default_factory=list)
    suggestions: list[Suggestion] = Field(default_factory=list)
