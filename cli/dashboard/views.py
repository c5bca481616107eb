"""What the dashboard page is sent: small views of nodes, pods and Deployments, and the stream's messages.

The page never sees a Kubernetes object whole, nor a credential: the dashboard
server reads the API with the kubeconfig's token and hands the page only what
it draws. JSON names are camelCase (K8sModel's aliases), as in the API.

    GET /api/stream  (text/event-stream)
      event: snapshot   data: Snapshot      first, and again after the server relists
      event: change     data: Change        one object added, changed or gone
      event: status     data: ApiStatus     the API server's reachability, whenever it changes
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from objects.base import K8sModel


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
