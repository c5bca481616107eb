"""Server-side Table output (meta.k8s.io/v1 Table): what `kubectl get` prints comes from here.

kubectl 1.32 has no printers of its own for built-in kinds: it asks for
`Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints the cells the
server computed. So the columns, the cell values and their JSON types below
follow kube-apiserver 1.32 (pkg/printers/internalversion/printers.go) exactly.

Like the apiserver, every row carries all columns, wide ones (priority 1)
included; kubectl hides priority-1 columns unless `-o wide`.

Pure functions over object dicts as stored (camelCase JSON); `now` is passed in
so ages are reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from objects.kinds import ResourceType
from objects.pod_status_column import pod_status_reason
from objects.selectors import format_label_selector, format_labels, selector_from_label_selector

Obj = Mapping[str, Any]
Cell = str | int


@dataclass(frozen=True)
class Column:
    """metav1.TableColumnDefinition. Priority 1 columns are shown only by `kubectl get -o wide`."""

    name: str
    type: str
    description: str
    format: str = ""
    priority: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "format": self.format,
            "description": self.description, "priority": self.priority,
        }


# --- human-readable ages (apimachinery util/duration.HumanDuration) -------------------------

_NS_PER_SECOND = 1_000_000_000
_NS_PER_MINUTE = 60 * _NS_PER_SECOND
_NS_PER_HOUR = 60 * _NS_PER_MINUTE


def human_duration(seconds: float) -> str:
    """Kubernetes' duration.HumanDuration: about 2-3 significant figures (`5s`, `3m10s`, `2d1h`, `2y1d`)."""
    nanos = round(seconds * _NS_PER_SECOND)
    # Go's int(d.Seconds()) truncates toward zero, so -1.5s is -1s, not -2s.
    whole_seconds = nanos // _NS_PER_SECOND if nanos >= 0 else -(-nanos // _NS_PER_SECOND)
    # A clock up to 2s ahead of ours still reads as "now".
    if whole_seconds < -1:
        return "<invalid>"
    if whole_seconds < 0:
        return "0s"
    if whole_seconds < 120:
        return f"{whole_seconds}s"
    minutes = nanos // _NS_PER_MINUTE
    if minutes < 10:
        secs = whole_seconds % 60
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    if minutes < 3 * 60:
        return f"{minutes}m"
    hours = nanos // _NS_PER_HOUR
    if hours < 8:
        mins = minutes % 60
        return f"{hours}h{mins}m" if mins else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        days, hrs = divmod(hours, 24)
        return f"{days}d{hrs}h" if hrs else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years, days = divmod(hours // 24, 365)
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{hours // 24 // 365}y"


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _since(value: str | datetime | None, now: datetime) -> str:
    """translateTimestampSince: the age of an RFC 3339 timestamp, `<unknown>` when unset."""
    when = value if isinstance(value, datetime) else _parse_time(value)
    if when is None:
        return "<unknown>"
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return human_duration((now - when).total_seconds())


def _get(obj: Any, path: str, default: Any = None) -> Any:
    for part in path.split("."):
        if not isinstance(obj, Mapping) or part not in obj:
            return default
        obj = obj[part]
    return default if obj is None else obj


def _age(obj: Obj, now: datetime) -> str:
    return _since(_get(obj, "metadata.creationTimestamp"), now)


def _name(obj: Obj) -> str:
    return _get(obj, "metadata.name", "")


def _container_cells(pod_spec: Obj) -> list[str]:
    """layoutContainerCells: container names and images, each comma-joined on one line."""
    containers = pod_spec.get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


# --- column descriptions (the Swagger docs kube-apiserver quotes) ----------------------------

_DOC_NAME = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_DOC_AGE = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_DOC_CONTAINERS = "Names of each container in the template."
_DOC_IMAGES = "Images referenced by each container in the template."
_DOC_NODE_ADDRESSES = (
    "List of addresses reachable to the node. Queried from cloud provider, if available. More info: "
    "https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as "
    "mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is "
    "merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. "
    "Consumers should assume that addresses can change during the lifetime of a Node. However, there are some "
    "exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status "
    "or consumers of the downward API (status.hostIP)."
)
_DOC_SELECTOR = (
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected "
    "by this deployment."
)

_NAME = Column("Name", "string", _DOC_NAME, format="name")
_AGE = Column("Age", "string", _DOC_AGE)
_CONTAINERS = Column("Containers", "string", _DOC_CONTAINERS, priority=1)
_IMAGES = Column("Images", "string", _DOC_IMAGES, priority=1)


# --- Pod --------------------------------------------------------------------------------------

POD_COLUMNS = (
    _NAME,
    Column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", "string", "The aggregate status of the containers in this pod."),
    Column(
        "Restarts", "string",
        "The number of times the containers in this pod have been restarted and when the last container "
        "in this pod has restarted.",
    ),
    _AGE,
    Column("IP", "string", "podIP address allocated to the pod. Routable at least within the cluster. "
           "Empty if not yet allocated.", priority=1),
    Column("Node", "string",
           "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for "
           "scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this "
           "node becomes responsible for the lifecycle of this pod. This field should not be used to express a "
           "desire for the pod to be scheduled on a specific node. "
           "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename", priority=1),
    Column("Nominated Node", "string",
           "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be "
           "scheduled right away as preemption victims receive their graceful termination periods. This field "
           "does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the "
           "pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the "
           "resources on this node to a higher priority pod that is created after preemption. As a result, this "
           "field may be different than PodSpec.nodeName when the pod is scheduled.", priority=1),
    Column("Readiness Gates", "string",
           "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its "
           "containers are ready AND all conditions specified in the readiness gates have status equal to "
           "\"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
           priority=1),
)

def _readiness_gates(pod: Obj) -> str:
    gates = _get(pod, "spec.readinessGates", [])
    if not gates:
        return "<none>"
    conditions = {c.get("type"): c.get("status") for c in reversed(_get(pod, "status.conditions", []))}
    passing = sum(1 for gate in gates if conditions.get(gate.get("conditionType")) == "True")
    return f"{passing}/{len(gates)}"


def pod_cells(pod: Obj, now: datetime) -> list[Cell]:
    tally = pod_status_reason(pod)
    spec = pod.get("spec") or {}
    total = len(spec.get("containers") or []) + sum(
        1 for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"
    )
    restarts = str(tally.restarts)
    if tally.restarts and tally.last_restart is not None:
        restarts += f" ({_since(tally.last_restart, now)} ago)"
    pod_ips = _get(pod, "status.podIPs", [])
    pod_ip = (pod_ips[0].get("ip") if pod_ips else _get(pod, "status.podIP")) or "<none>"
    return [
        _name(pod), f"{tally.ready}/{total}", tally.reason, restarts, _age(pod, now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        _get(pod, "status.nominatedNodeName") or "<none>",
        _readiness_gates(pod),
    ]


def pod_row_conditions(pod: Obj) -> list[dict[str, str]]:
    """Finished pods carry a Completed row condition, as the apiserver marks them."""
    phase = _get(pod, "status.phase")
    if phase == "Succeeded":
        message = "The pod has completed successfully."
    elif phase == "Failed":
        message = "The pod failed."
    else:
        return []
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}]


# --- Node -------------------------------------------------------------------------------------

NODE_COLUMNS = (
    _NAME,
    Column("Status", "string", "The status of the node"),
    Column("Roles", "string", "The roles of the node"),
    _AGE,
    Column("Version", "string", "Kubelet Version reported by the node."),
    Column("Internal-IP", "string", _DOC_NODE_ADDRESSES, priority=1),
    Column("External-IP", "string", _DOC_NODE_ADDRESSES, priority=1),
    Column("OS-Image", "string",
           "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", priority=1),
    Column("Kernel-Version", "string",
           "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", priority=1),
    Column("Container-Runtime", "string",
           "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
           priority=1),
)
_ROLE_PREFIX = "node-role.kubernetes.io/"
_ROLE_LABEL = "kubernetes.io/role"


def _node_status(node: Obj) -> str:
    ready = None
    for condition in _get(node, "status.conditions", []):
        if condition.get("type") == "Ready":
            ready = condition
    status = ["Unknown"] if ready is None else ["Ready" if ready.get("status") == "True" else "NotReady"]
    if _get(node, "spec.unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def _node_roles(node: Obj) -> str:
    roles = set()
    for key, value in _get(node, "metadata.labels", {}).items():
        if key.startswith(_ROLE_PREFIX) and key[len(_ROLE_PREFIX):]:
            roles.add(key[len(_ROLE_PREFIX):])
        elif key == _ROLE_LABEL and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def _node_address(node: Obj, address_type: str) -> str:
    for address in _get(node, "status.addresses", []):
        if address.get("type") == address_type:
            return address.get("address", "")
    return "<none>"


def node_cells(node: Obj, now: datetime) -> list[Cell]:
    info = _get(node, "status.nodeInfo", {})
    return [
        _name(node), _node_status(node), _node_roles(node), _age(node, now), info.get("kubeletVersion", ""),
        _node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
        info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


# --- Namespace, Lease -------------------------------------------------------------------------

NAMESPACE_COLUMNS = (_NAME, Column("Status", "string", "The status of the namespace"), _AGE)


def namespace_cells(namespace: Obj, now: datetime) -> list[Cell]:
    return [_name(namespace), _get(namespace, "status.phase", ""), _age(namespace, now)]


LEASE_COLUMNS = (
    _NAME,
    Column("Holder", "string",
           "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader "
           "Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name "
           "field."),
    _AGE,
)


def lease_cells(lease: Obj, now: datetime) -> list[Cell]:
    return [_name(lease), _get(lease, "spec.holderIdentity", ""), _age(lease, now)]


# --- Event ------------------------------------------------------------------------------------

EVENT_COLUMNS = (
    Column("Last Seen", "string", "The time at which the most recent occurrence of this event was recorded."),
    Column("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future"),
    Column("Reason", "string",
           "This should be a short, machine understandable string that gives the reason for the transition "
           "into the object's current status."),
    Column("Object", "string", "The object that this event is about."),
    Column("Subobject", "string",
           "If referring to a piece of an object instead of an entire object, this string should contain a "
           "valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if "
           "the object reference is to a container within a pod, this would take on a value like: "
           "\"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the "
           "event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this "
           "pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.",
           priority=1),
    Column("Source", "string",
           "The component reporting this event. Should be a short machine understandable string.", priority=1),
    Column("Message", "string", "A human-readable description of the status of this operation."),
    Column("First Seen", "string", "The time at which the event was first recorded. (Time of server receipt is "
           "in TypeMeta.)", priority=1),
    Column("Count", "string", "The number of times this event has occurred.", priority=1),
    Column("Name", "string", _DOC_NAME, format="name", priority=1),
)


def event_cells(event: Obj, now: datetime) -> list[Cell]:
    first_seen = _since(event.get("firstTimestamp"), now)
    if not event.get("firstTimestamp"):
        first_seen = _since(event.get("eventTime"), now)
    last_seen = _since(event.get("lastTimestamp"), now) if event.get("lastTimestamp") else first_seen
    count = event.get("count") or 0
    if series := event.get("series"):
        last_seen = _since(series.get("lastObservedTime"), now)
        count = series.get("count", 0)
    elif count == 0:
        count = 1  # singleton events from the events.k8s.io API carry no count
    kind = _get(event, "involvedObject.kind", "").lower()
    involved_name = _get(event, "involvedObject.name", "")
    component = _get(event, "source.component") or event.get("reportingComponent", "")
    instance = _get(event, "source.host") or event.get("reportingInstance", "")
    return [
        last_seen, event.get("type", ""), event.get("reason", ""),
        f"{kind}/{involved_name}" if involved_name else kind,
        _get(event, "involvedObject.fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        event.get("message", "").strip(), first_seen, count, _name(event),
    ]


# --- Deployment, ReplicaSet, DaemonSet --------------------------------------------------------

DEPLOYMENT_COLUMNS = (
    _NAME,
    Column("Ready", "string", "Number of the pod with ready state"),
    Column("Up-to-date", "string",
           "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
    Column("Available", "string",
           "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
    _AGE, _CONTAINERS, _IMAGES,
    Column("Selector", "string", _DOC_SELECTOR, priority=1),
)

# Defaulting sets spec.replicas to 1 before an object is stored; an object that
# skipped defaulting reads the same way here.
_DEFAULT_REPLICAS = 1


def deployment_cells(deployment: Obj, now: datetime) -> list[Cell]:
    status = deployment.get("status") or {}
    desired = _get(deployment, "spec.replicas", _DEFAULT_REPLICAS)
    try:
        # printDeployment prints the bare selector string: "" (not "<none>") when empty.
        selector = str(selector_from_label_selector(_get(deployment, "spec.selector")))
    except ValueError:
        selector = "<invalid>"
    return [
        _name(deployment), f"{status.get('readyReplicas', 0)}/{desired}",
        status.get("updatedReplicas", 0), status.get("availableReplicas", 0), _age(deployment, now),
        *_container_cells(_get(deployment, "spec.template.spec", {})), selector,
    ]


REPLICASET_COLUMNS = (
    _NAME,
    Column("Desired", "integer",
           "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero "
           "and unspecified. Defaults to 1. More info: "
           "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/"
           "#what-is-a-replicationcontroller"),
    Column("Current", "integer",
           "Replicas is the most recently observed number of replicas. More info: "
           "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/"
           "#what-is-a-replicationcontroller"),
    Column("Ready", "integer", "readyReplicas is the number of pods targeted by this ReplicaSet with a Ready "
           "Condition."),
    _AGE, _CONTAINERS, _IMAGES,
    Column("Selector", "string",
           "Selector is a label query over pods that should match the replica count. If the selector is empty, "
           "it is defaulted to the labels present on the pod template. Label keys and values that must match in "
           "order to be controlled by this replica set. More info: "
           "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
           priority=1),
)


def replicaset_cells(replicaset: Obj, now: datetime) -> list[Cell]:
    status = replicaset.get("status") or {}
    return [
        _name(replicaset), _get(replicaset, "spec.replicas", _DEFAULT_REPLICAS),
        status.get("replicas", 0), status.get("readyReplicas", 0), _age(replicaset, now),
        *_container_cells(_get(replicaset, "spec.template.spec", {})),
        format_label_selector(_get(replicaset, "spec.selector")),
    ]


DAEMONSET_COLUMNS = (
    _NAME,
    Column("Desired", "integer",
           "The total number of nodes that should be running the daemon pod (including nodes correctly running "
           "the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
    Column("Current", "integer",
           "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. "
           "More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
    Column("Ready", "integer",
           "numberReady is the number of nodes that should be running the daemon pod and have one or more of "
           "the daemon pod running with a Ready Condition."),
    Column("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
    Column("Available", "integer",
           "The number of nodes that should be running the daemon pod and have one or more of the daemon pod "
           "running and available (ready for at least spec.minReadySeconds)"),
    Column("Node Selector", "string",
           "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must "
           "match a node's labels for the pod to be scheduled on that node. More info: "
           "https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
    _AGE, _CONTAINERS, _IMAGES,
    Column("Selector", "string",
           "A label query over pods that are managed by the daemon set. Must match in order to be controlled. "
           "If empty, defaulted to labels on Pod template. More info: "
           "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
           priority=1),
)


def daemonset_cells(daemonset: Obj, now: datetime) -> list[Cell]:
    status = daemonset.get("status") or {}
    pod_spec = _get(daemonset, "spec.template.spec", {})
    return [
        _name(daemonset),
        *(status.get(field, 0) for field in (
            "desiredNumberScheduled", "currentNumberScheduled", "numberReady",
            "updatedNumberScheduled", "numberAvailable",
        )),
        format_labels(pod_spec.get("nodeSelector")), _age(daemonset, now),
        *_container_cells(pod_spec), format_label_selector(_get(daemonset, "spec.selector")),
    ]


# --- Service, Endpoints, EndpointSlice ---------------------------------------------------------

SERVICE_COLUMNS = (
    _NAME,
    Column("Type", "string",
           "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, "
           "ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for "
           "load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by "
           "manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no "
           "virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual "
           "IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same "
           "endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer "
           "(if supported in the current cloud) which routes to the same endpoints as the clusterIP. "
           "\"ExternalName\" aliases this service to the specified externalName. Several other fields do not "
           "apply to ExternalName services. More info: "
           "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"),
    Column("Cluster-IP", "string",
           "clusterIP is the IP address of the service and is usually assigned randomly. If an address is "
           "specified manually, is in-range (as per system configuration), and is not in use, it will be allocated "
           "to the service; otherwise creation of the service will fail. This field may not be changed through "
           "updates unless the type field is also being changed to ExternalName (which requires this field to be "
           "blank) or the type field is being changed from ExternalName (in which case this field may optionally "
           "be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP "
           "address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when "
           "direct endpoint connections are preferred and proxying is not required.  Only applies to types "
           "ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type "
           "ExternalName, creation will fail. This field will be wiped when updating a Service to type "
           "ExternalName. More info: "
           "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
    Column("External-IP", "string",
           "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this "
           "service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic "
           "arrives at a node with this IP.  A common example is external load-balancers that are not part of the "
           "Kubernetes system."),
    Column("Port(s)", "string",
           "The list of ports that are exposed by this service. More info: "
           "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
    _AGE,
    Column("Selector", "string",
           "Route service traffic to pods with label keys and values matching this selector. If empty or not "
           "present, the service is assumed to have an external process managing its endpoints, which Kubernetes "
           "will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is "
           "ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/",
           priority=1),
)


def _service_external_ip(service: Obj) -> str:
    """What reaches the Service from outside: its externalIPs, a load balancer's address (`<pending>`
    until one is assigned), or an ExternalName's name."""
    spec = service.get("spec") or {}
    external_ips = spec.get("externalIPs") or []
    service_type = spec.get("type")
    if service_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) or "<none>"
    if service_type == "LoadBalancer":
        ingress = _get(service, "status.loadBalancer.ingress", [])
        balancer = sorted({point.get("ip") or point.get("hostname") for point in ingress
                           if point.get("ip") or point.get("hostname")})
        return ",".join([*balancer, *external_ips]) or "<pending>"
    if service_type == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def _service_ports(ports: list[Obj]) -> str:
    """`80/TCP`, or `80:31234/TCP` with a node port."""
    pieces = []
    for port in ports:
        node_port = port.get("nodePort") or 0
        middle = f":{node_port}" if node_port > 0 else ""
        pieces.append(f"{port.get('port', 0)}{middle}/{port.get('protocol', '')}")
    return ",".join(pieces)


def service_cells(service: Obj, now: datetime) -> list[Cell]:
    spec = service.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or []
    return [
        _name(service), spec.get("type", ""), cluster_ips[0] if cluster_ips else "<none>",
        _service_external_ip(service), _service_ports(spec.get("ports") or []) or "<none>", _age(service, now),
        format_labels(spec.get("selector")),
    ]


ENDPOINTS_COLUMNS = (
    _NAME,
    Column("Endpoints", "string",
           "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to "
           "the IPs they share. A single address with multiple ports, some of which are ready and some of which "
           "are not (because they come from different containers) will result in the address being displayed in "
           "different subsets for the different ports. No address will appear in both Addresses and "
           "NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."),
    _AGE,
)
_LISTED_ENDPOINTS = 3  # then " + N more..."


def format_endpoints(endpoints: Obj) -> str:
    """The ready addresses as `ip:port`, each port of each subset, the first three and how many more."""
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return "<none>"
    listed: list[str] = []
    count, more = 0, False
    for subset in subsets:
        addresses = [address.get("ip", "") for address in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        # A headless Service may have no ports: its addresses are listed bare.
        for port in ports or [None]:
            count += len(addresses)
            for ip in addresses:
                if len(listed) == _LISTED_ENDPOINTS:
                    more = True
                    break
                listed.append(ip if port is None else f"{_join_host_port(ip, port.get('port', 0))}")
    text = ",".join(listed)
    if more:
        return f"{text} + {count - _LISTED_ENDPOINTS} more..."
    return text or "<none>"


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def endpoints_cells(endpoints: Obj, now: datetime) -> list[Cell]:
    return [_name(endpoints), format_endpoints(endpoints), _age(endpoints, now)]


ENDPOINT_SLICE_COLUMNS = (
    _NAME,
    Column("AddressType", "string",
           "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice "
           "must be the same type. This field is immutable after creation. The following address types are "
           "currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: "
           "Represents a Fully Qualified Domain Name."),
    Column("Ports", "string",
           "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have "
           "a unique name. When ports is empty, it indicates that there are no defined ports. When a port is "
           "defined with a nil port value, it indicates \"all ports\". Each slice may include a maximum of 100 "
           "ports."),
    Column("Endpoints", "string",
           "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 "
           "endpoints."),
    _AGE,
)


def _first_three(values: list[str]) -> str:
    """listWithMoreString: `a,b,c + 2 more...`, or `<unset>` for none."""
    text = ",".join(values[:_LISTED_ENDPOINTS])
    if len(values) > _LISTED_ENDPOINTS:
        return f"{text} + {len(values) - _LISTED_ENDPOINTS} more..."
    return text or "<unset>"


def endpoint_slice_cells(endpoint_slice: Obj, now: datetime) -> list[Cell]:
    ports = [str(port["port"]) if port.get("port") is not None else port.get("name") or "*"
             for port in endpoint_slice.get("ports") or []]
    addresses = [address for endpoint in endpoint_slice.get("endpoints") or []
                 for address in endpoint.get("addresses") or []]
    return [_name(endpoint_slice), endpoint_slice.get("addressType", ""), _first_three(ports),
            _first_three(addresses), _age(endpoint_slice, now)]


# --- ControllerRevision ----------------------------------------------------------------------

CONTROLLER_REVISION_COLUMNS = (
    _NAME,
    Column("Controller", "string", "Controller of the object"),
    # Kubernetes declares the column a string and fills it with the int64.
    Column("Revision", "string", "Revision indicates the revision of the state represented by Data."),
    _AGE,
)


def controller_revision_cells(revision: Obj, now: datetime) -> list[Cell]:
    """The controller as kubectl names a resource, `daemonset.apps/agent`; `<none>` for an orphan."""
    controller = next((ref for ref in _get(revision, "metadata.ownerReferences", []) if ref.get("controller")), None)
    controller_name = "<none>"
    if controller is not None:
        group = controller.get("apiVersion", "").rpartition("/")[0]
        group_kind = f"{controller.get('kind', '')}.{group}" if group else controller.get("kind", "")
        controller_name = f"{group_kind.lower()}/{controller.get('name', '')}"
    return [_name(revision), controller_name, revision.get("revision", 0), _age(revision, now)]


# --- Fault (tinykube.io) ----------------------------------------------------------------------

FAULT_COLUMNS = (
    _NAME,
    Column("Type", "string", "What the kubelet does: CrashContainer, Partition, DelayRuntime or FailPulls."),
    Column("Node", "string", "The node whose kubelet carries the fault out."),
    Column("Phase", "string", "Pending until the kubelet takes it, Active, then Expired (or Failed)."),
    Column("Expires", "string", "How long until the kubelet puts things back; <none> before it starts."),
    _AGE,
)


def fault_cells(fault: Obj, now: datetime) -> list[Cell]:
    expires = _parse_time(_get(fault, "status.expiresAt"))
    phase = _get(fault, "status.phase") or "Pending"
    if expires is None or phase != "Active":
        left = "<none>"
    else:
        left = human_duration(max(0.0, (expires - now).total_seconds()))
    return [_name(fault), _get(fault, "spec.type", ""), _get(fault, "spec.nodeName", ""), phase, left,
            _age(fault, now)]


# --- any other kind: the apiserver's default table --------------------------------------------

DEFAULT_COLUMNS = (_NAME, Column("Created At", "date", _DOC_AGE))


def default_cells(obj: Obj, now: datetime) -> list[Cell]:
    return [_name(obj), _get(obj, "metadata.creationTimestamp", "")]


# --- the Table ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Printer:
    columns: tuple[Column, ...]
    cells: Callable[[Obj, datetime], list[Cell]]
    conditions: Callable[[Obj], list[dict[str, str]]] = lambda obj: []


PRINTERS: dict[str, Printer] = {
    "Pod": Printer(POD_COLUMNS, pod_cells, pod_row_conditions),
    "Node": Printer(NODE_COLUMNS, node_cells),
    "Namespace": Printer(NAMESPACE_COLUMNS, namespace_cells),
    "Event": Printer(EVENT_COLUMNS, event_cells),
    "Lease": Printer(LEASE_COLUMNS, lease_cells),
    "Deployment": Printer(DEPLOYMENT_COLUMNS, deployment_cells),
    "ReplicaSet": Printer(REPLICASET_COLUMNS, replicaset_cells),
    "DaemonSet": Printer(DAEMONSET_COLUMNS, daemonset_cells),
    "ControllerRevision": Printer(CONTROLLER_REVISION_COLUMNS, controller_revision_cells),
    "Service": Printer(SERVICE_COLUMNS, service_cells),
    "Endpoints": Printer(ENDPOINTS_COLUMNS, endpoints_cells),
    "EndpointSlice": Printer(ENDPOINT_SLICE_COLUMNS, endpoint_slice_cells),
    "Fault": Printer(FAULT_COLUMNS, fault_cells),
}
_DEFAULT_PRINTER = Printer(DEFAULT_COLUMNS, default_cells)

INCLUDE_OBJECT_POLICIES = ("None", "Metadata", "Object")


def _row_object(kind: ResourceType, obj: Obj, include_object: str) -> dict[str, Any] | None:
    if include_object == "None":
        return None
    if include_object == "Metadata":
        metadata = dict(obj.get("metadata") or {})
        return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata}
    # Stored items may omit kind/apiVersion (list items do); an embedded object needs them.
    return {"kind": kind.kind, "apiVersion": kind.api_version, **obj}


def table(
    kind: ResourceType,
    objects: list[dict[str, Any]],
    *,
    list_resource_version: str,
    include_object: str = "Metadata",
    now: datetime,
) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table of `objects`, one row each, in the order given.

    `include_object` is the `?includeObject=` policy: "Metadata" (default) puts a
    PartialObjectMetadata in each row, which kubectl needs for `-A` and `-L`;
    "Object" the full object (`--sort-by`); "None" nothing.
    """
    if include_object not in INCLUDE_OBJECT_POLICIES:
        raise ValueError(
            f"includeObject: Unsupported value: {include_object!r}: supported values: "
            + ", ".join(f'"{p}"' for p in INCLUDE_OBJECT_POLICIES)
        )
    printer = PRINTERS.get(kind.kind, _DEFAULT_PRINTER)
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": printer.cells(obj, now)}
        if conditions := printer.conditions(obj):
            row["conditions"] = conditions
        if (row_object := _row_object(kind, obj, include_object)) is not None:
            row["object"] = row_object
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": list_resource_version},
        "columnDefinitions": [column.to_wire() for column in printer.columns],
        "rows": rows,
    }
