"""The table of kinds tinykube serves: where each lives in the REST API and what it is called.

The master builds its routes and discovery documents from this table, and tkctl
resolves `po`, `pods`, `pod` or `Pod` through it, so a kind is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = field(
        default=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
    )

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def group_resource(self) -> str:
        """`pods` or `deployments.apps`, as Kubernetes names a resource in its messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def collection_path(self, namespace: str | None = None) -> str:
        """The REST path of the collection; cluster-wide when namespace is None."""
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            return f"{prefix}/namespaces/{namespace}/{self.plural}"
        return f"{prefix}/{self.plural}"


# Every stored object's revisions and causal trace, read from the store's log (objects/revisions.py).
RECORDED = ("history", "trace")

POD = ResourceType(
    "", "v1", "Pod", "pods", True, ("po",),
    subresources=("status", "binding", "eviction", "log", "exec", "attach", "portforward", "proxy", "explanation",
                  "why", *RECORDED),
    categories=("all",),
)
NODE = ResourceType("", "v1", "Node", "nodes", False, ("no",), subresources=("status", "proxy", "why", *RECORDED))
NAMESPACE = ResourceType("", "v1", "Namespace", "namespaces", False, ("ns",), subresources=("status", *RECORDED))
EVENT = ResourceType("", "v1", "Event", "events", True, ("ev",), subresources=RECORDED)
LEASE = ResourceType("coordination.k8s.io", "v1", "Lease", "leases", True, subresources=RECORDED)
DEPLOYMENT = ResourceType(
    "apps", "v1", "Deployment", "deployments", True, ("deploy",),
    subresources=("status", "scale", "why", *RECORDED), categories=("all",),
)
REPLICASET = ResourceType(
    "apps", "v1", "ReplicaSet", "replicasets", True, ("rs",),
    subresources=("status", "scale", "why", *RECORDED), categories=("all",),
)
DAEMONSET = ResourceType(
    "apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), subresources=("status", "why", *RECORDED),
    categories=("all",),
)
# A DaemonSet's history: one immutable snapshot of its pod template per revision.
CONTROLLER_REVISION = ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions", True,
                                   subresources=RECORDED)
SERVICE = ResourceType(
    "", "v1", "Service", "services", True, ("svc",), subresources=("status", "proxy", "why", *RECORDED),
    categories=("all",),
)
ENDPOINTS = ResourceType("", "v1", "Endpoints", "endpoints", True, ("ep",), subresources=RECORDED)
ENDPOINT_SLICE = ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True,
                              subresources=RECORDED)
# A misbehaviour one kubelet plays for a while (objects/fault.py); that kubelet writes its status.
FAULT = ResourceType("tinykube.io", "v1alpha1", "Fault", "faults", False, subresources=("status", *RECORDED))

ALL_KINDS: tuple[ResourceType, ...] = (
    POD, NODE, NAMESPACE, EVENT, LEASE, SERVICE, ENDPOINTS, ENDPOINT_SLICE,
    DEPLOYMENT, REPLICASET, DAEMONSET, CONTROLLER_REVISION, FAULT,
)

GROUP_VERSIONS: tuple[str, ...] = tuple(dict.fromkeys(k.api_version for k in ALL_KINDS))

# metrics.k8s.io, as metrics-server serves it: read-only, answered from the kubelets' live usage,
# never stored. Kept out of ALL_KINDS, which are the stored kinds; discovery lists both.
NODE_METRICS = ResourceType("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", False, verbs=("get", "list"))
POD_METRICS = ResourceType("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", True, verbs=("get", "list"))
METRICS_KINDS: tuple[ResourceType, ...] = (NODE_METRICS, POD_METRICS)

# The store's revision log, read-only (objects/revisions.py); not stored itself, so not in ALL_KINDS.
REVISIONS = ResourceType("tinykube.io", "v1alpha1", "Revision", "revisions", False, verbs=("get", "list"))
HISTORY_KINDS: tuple[ResourceType, ...] = (REVISIONS,)


def by_plural(group: str, plural: str) -> ResourceType | None:
    return next((k for k in ALL_KINDS if k.group == group and k.plural == plural), None)


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    return next((k for k in ALL_KINDS if k.api_version == api_version and k.kind == kind), None)


def resolve(name: str) -> ResourceType | None:
    """Find a kind the way kubectl does: plural, singular, short name or Kind, optionally `.group`."""
    wanted, _, group = name.lower().partition(".")
    for k in ALL_KINDS:
        if group and k.group != group and not k.group.startswith(group):
            continue
        if wanted in (k.plural, k.singular, k.kind.lower(), *k.short_names):
            return k
    return None
