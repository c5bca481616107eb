"""What the dashboard page is sent: small views of nodes, pods and Deployments, and the stream's messages.

The page never sees a Kubernetes object whole, nor a credential: the dashboard
server reads the API with the kubeconfig's token and hands the page only what
it draws. JSON names are camelCase (K8sModel's aliases), as in the API.

    GET /api/stream  (text/event-stream)
      event: snapshot   data: Snapshot      first, once the server's informers have synced
      event: change     data: Change        one object added, changed or gone
      event: status     data: ApiStatus     the API server's reachability, whenever it changes

The functions at the end make the views from API objects (their wire dicts, read
through the objects/ models). A pod's requests are summed as the scheduler sums
them, so a node's fill bars show what the scheduler sees as taken.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import Field

from objects.apps import Deployment
from objects.base import K8sModel
from objects.node import Node
from objects.phases import NodeConditionType
from objects.pod import Pod
from objects.pod_status_column import pod_status_reason
from objects.pod_requests import bytes_of, milli_cpu_of, pod_requests


class NodeView(K8sModel):
    name: str
    ready: str  # the Ready condition's status: True | False | Unknown
    unschedulable: bool = False  # cordoned
    taints: list[str] = Field(default_factory=list)  # "key=value:Effect"
    cpu_allocatable_millis: int = 0
    memory_allocatable_bytes: int = 0
    resource_version: str = ""


class PodView(K8sModel):
    uid: str
    namespace: str
    name: str
    node_name: str | None = None  # None while Pending unscheduled: the page draws it in the Pending lane
    phase: str = "Pending"  # Pending | Running | Succeeded | Failed | Unknown
    status: str = "Pending"  # kubectl's STATUS column: ContainerCreating, CrashLoopBackOff, Terminating, ...
    ready: bool = False
    restarts: int = 0
    cpu_request_millis: int = 0  # sum over its containers (what the scheduler counts)
    memory_request_bytes: int = 0
    owner: str | None = None  # "Deployment/web" (through its ReplicaSet), "ReplicaSet/x", "DaemonSet/y"; None: bare
    deleting: bool = False
    resource_version: str = ""


class DeploymentView(K8sModel):
    namespace: str
    name: str
    replicas: int = 0  # desired
    updated_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    resource_version: str = ""


class Snapshot(K8sModel):
    revision: int  # the newest revision the views reflect
    nodes: list[NodeView] = Field(default_factory=list)
    pods: list[PodView] = Field(default_factory=list)
    deployments: list[DeploymentView] = Field(default_factory=list)


class ChangeType(StrEnum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


class Change(K8sModel):
    kind: str  # Node | Pod | Deployment
    type: ChangeType
    revision: int
    node: NodeView | None = None  # exactly one of these three, named by `kind`
    pod: PodView | None = None
    deployment: DeploymentView | None = None


class ApiState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    UNAUTHORIZED = "unauthorized"  # 401: the kubeconfig's credentials were refused
    FORBIDDEN = "forbidden"  # 403: they are not allowed to list what the map needs
    UNREACHABLE = "unreachable"  # no answer: the API server is down or the address is wrong


class ApiStatus(K8sModel):
    state: ApiState
    message: str  # one line for the page's banner, naming the server and what to do
    server: str  # the API server's URL, from the kubeconfig
    since: str  # RFC 3339: when this state began


# ----- views from API objects

# Who controls a ReplicaSet, asked by namespace and name: "Deployment/web", or None when nothing does
# or the ReplicaSet is not known (yet).
ReplicaSetOwner = Callable[[str, str], str | None]


def node_view(wire: dict[str, Any]) -> NodeView:
    node = Node.model_validate(wire)
    spec, status = node.spec, node.status
    ready = next((c.status for c in (status.conditions if status else None) or []
                  if c.type == NodeConditionType.READY), None)
    allocatable = (status.allocatable if status else None) or {}
    return NodeView(
        name=node.metadata.name or "", ready=ready or "Unknown",
        unschedulable=bool(spec and spec.unschedulable),
        taints=[_taint_text(t.key, t.value, t.effect) for t in (spec.taints if spec else None) or []],
        cpu_allocatable_millis=milli_cpu_of(allocatable.get("cpu", 0)),
        memory_allocatable_bytes=bytes_of(allocatable.get("memory", 0)),
        resource_version=node.metadata.resource_version or "",
    )


def _taint_text(key: str | None, value: str | None, effect: str | None) -> str:
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def pod_view(wire: dict[str, Any], replica_set_owner: ReplicaSetOwner) -> PodView:
    pod = Pod.model_validate(wire)
    meta = pod.metadata
    tally = pod_status_reason(wire)
    cpu, memory = pod_requests(pod.spec) if pod.spec else (0, 0)
    return PodView(
        uid=meta.uid or "", namespace=meta.namespace or "", name=meta.name or "",
        node_name=pod.node_name or None, phase=pod.phase or "Pending", status=tally.reason or "Pending",
        ready=pod.is_ready, restarts=tally.restarts, cpu_request_millis=cpu, memory_request_bytes=memory,
        owner=_owner(pod, replica_set_owner), deleting=pod.is_terminating,
        resource_version=meta.resource_version or "",
    )


def _owner(pod: Pod, replica_set_owner: ReplicaSetOwner) -> str | None:
    ref = pod.metadata.controller_ref()
    if ref is None:
        return None
    if ref.kind == "ReplicaSet":
        return replica_set_owner(pod.metadata.namespace or "", ref.name or "") or f"ReplicaSet/{ref.name}"
    return f"{ref.kind}/{ref.name}"


def controller_of(wire: dict[str, Any]) -> str | None:
    """ "Kind/name" of what controls an object (a ReplicaSet's Deployment), from its wire dict."""
    for ref in (wire.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return None


def deployment_view(wire: dict[str, Any]) -> DeploymentView:
    deployment = Deployment.model_validate(wire)
    status = deployment.status
    return DeploymentView(
        namespace=deployment.metadata.namespace or "", name=deployment.metadata.name or "",
        replicas=deployment.replicas,
        updated_replicas=(status.updated_replicas if status else None) or 0,
        ready_replicas=(status.ready_replicas if status else None) or 0,
        available_replicas=(status.available_replicas if status else None) or 0,
        resource_version=deployment.metadata.resource_version or "",
    )
