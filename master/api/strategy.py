"""What the server itself owns in an object, kind by kind (the apiserver's "strategies").

A client never sets uid, creationTimestamp, generation, resourceVersion or the
deletion fields, and the main resource never writes status: the status
subresource does, and it in turn cannot touch spec or metadata.

The prepare_* functions work on the typed object, between defaulting and
validation; the stored_after_* functions are the JSON edge, the dict the store writes.

Services carry more: what the server allocated (clusterIP, nodePorts) is kept
when an update leaves it out, and dropped when the new type no longer uses it
(NodePort -> ClusterIP drops the node ports), as kube-apiserver's service
strategy does (pkg/registry/core/service/strategy.go).
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic.alias_generators import to_camel

from master.api.defaults import externally_accessible
from objects.apps import DaemonSetStatus, DeploymentStatus, ReplicaSetStatus
from objects.base import K8sModel
from objects.cluster import NamespaceStatus
from objects.fault import FaultStatus
from objects.kinds import DAEMONSET, DEPLOYMENT, FAULT, NAMESPACE, NODE, POD, REPLICASET, SERVICE, ResourceType
from objects.meta import ObjectMeta
from objects.node import NodeStatus
from objects.phases import PodPhase
from objects.pod import PodSpec, PodStatus
from objects.service import LoadBalancerStatus, Service, ServiceSpec, ServiceStatus, ServiceType

# Kinds whose status only their status subresource may write, and the model of that status.
STATUS_MODELS: dict[ResourceType, type[K8sModel]] = {
    POD: PodStatus, NODE: NodeStatus, NAMESPACE: NamespaceStatus,
    DEPLOYMENT: DeploymentStatus, REPLICASET: ReplicaSetStatus, DAEMONSET: DaemonSetStatus, FAULT: FaultStatus,
    SERVICE: ServiceStatus,
}
KINDS_WITH_STATUS = tuple(STATUS_MODELS)
# Kinds whose metadata.generation counts spec changes (controllers report observedGeneration).
KINDS_WITH_GENERATION = (DEPLOYMENT, REPLICASET, DAEMONSET)

SERVER_OWNED_METADATA = ("uid", "creation_timestamp", "deletion_timestamp", "deletion_grace_period_seconds",
                         "generation")
# What a create clears before filling in its own.
CLEARED_ON_CREATE = (*SERVER_OWNED_METADATA, "resource_version", "self_link")
# Each ObjectMeta field and its JSON key, in field order.
METADATA_KEYS = tuple((field, to_camel(field)) for field in ObjectMeta.model_fields)
CLEARED_ON_CREATE_KEYS = frozenset(to_camel(field) for field in CLEARED_ON_CREATE)

# Metadata the server fills in, in the order it fills it in (see the JSON edge below).
FILLED_ON_CREATE = ("namespace", "name", "uid", "creationTimestamp", "generation")
FILLED_ON_UPDATE = ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                    "deletionGracePeriodSeconds", "generation", "resourceVersion")


def prepare_for_create(rt: ResourceType, obj: K8sModel, *, now: str) -> None:
    meta = obj.metadata
    for field in CLEARED_ON_CREATE:
        setattr(meta, field, None)
    meta.uid = str(uuid.uuid4())
    meta.creation_timestamp = now
    if rt in KINDS_WITH_GENERATION:
        meta.generation = 1
    obj.api_version, obj.kind = rt.api_version, rt.kind
    if rt == POD:
        obj.status = PodStatus(phase=PodPhase.PENDING, qos_class=qos_class(obj.spec or PodSpec()))
    elif rt == NAMESPACE:
        obj.status = NamespaceStatus(phase="Active")
    elif rt == FAULT:
        obj.status = FaultStatus(phase="Pending")  # its kubelet takes it from here
    elif rt in KINDS_WITH_GENERATION:
        obj.status = STATUS_MODELS[rt]()
    elif rt == SERVICE:
        obj.status = ServiceStatus(load_balancer=LoadBalancerStatus())
        normalize_cluster_ips(obj.spec or ServiceSpec(), None)
    # Nodes keep the status they register with: the kubelet creates its Node whole.


def prepare_for_update(rt: ResourceType, new: K8sModel, old: K8sModel) -> None:
    _keep_server_owned_metadata(new.metadata, old.metadata)
    new.api_version, new.kind = rt.api_version, rt.kind
    if rt in KINDS_WITH_STATUS:
        new.status = old.status
    if rt in KINDS_WITH_GENERATION:
        generation = old.metadata.generation or 1
        new.metadata.generation = generation + 1 if new.spec != old.spec else generation
    if rt == SERVICE:
        prepare_service_update(new, old)


def prepare_for_status_update(rt: ResourceType, new: K8sModel, old: K8sModel) -> K8sModel:
    """The status subresource: the stored object with only the status taken from the request."""
    status = new.status if new.status is not None else STATUS_MODELS[rt]()
    return old.model_copy(update={"status": status})


def qos_class(pod_spec: PodSpec) -> str:
    """Guaranteed, Burstable or BestEffort, from the containers' requests and limits, as Kubernetes decides."""
    any_set = False
    guaranteed = True
    for container in [*(pod_spec.containers or []), *(pod_spec.init_containers or [])]:
        resources = container.resources
        requests = (resources.requests if resources else None) or {}
        limits = (resources.limits if resources else None) or {}
        if requests or limits:
            any_set = True
        for name in ("cpu", "memory"):
            limit = limits.get(name)
            request = requests.get(name, limit)
            if limit is None or str(request) != str(limit):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


# --- Services: what the server allocated, kept and dropped on an update


def prepare_service_update(new: Service, old: Service) -> None:
    """Keep the allocated values an update left out, keep clusterIP and clusterIPs in step, and
    drop what the new type no longer uses (unless the client changed it, which validation judges)."""
    new_spec = new.spec = new.spec or ServiceSpec()
    old_spec = old.spec or ServiceSpec()
    _keep_allocated_values(new_spec, old_spec)
    normalize_cluster_ips(new_spec, old_spec)
    _drop_type_dependent_fields(new_spec, old_spec)


def needs_cluster_ip(spec: ServiceSpec) -> bool:
    """Every type but ExternalName has a clusterIP (a headless Service's is "None")."""
    return (spec.type or ServiceType.CLUSTER_IP) != ServiceType.EXTERNAL_NAME


def needs_node_ports(spec: ServiceSpec) -> bool:
    return spec.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER)


def normalize_cluster_ips(spec: ServiceSpec, old: ServiceSpec | None) -> None:
    """clusterIP and clusterIPs[0] say the same thing; a client may have set either (an old one only
    the first), so fill in the other as Kubernetes' NormalizeClusterIPs does."""
    if old is None:
        if spec.cluster_ip and not spec.cluster_ips:
            spec.cluster_ips = [spec.cluster_ip]
        return
    if old.cluster_ips and not spec.cluster_ips and old.cluster_ip == spec.cluster_ip:
        spec.cluster_ips = old.cluster_ips  # a client that only knows clusterIP left the list out
    if old.cluster_ip != spec.cluster_ip:
        same_list = (spec.cluster_ips or []) == (old.cluster_ips or [])
        if old.cluster_ip and not spec.cluster_ip and same_list:
            spec.cluster_ips = None
        if spec.cluster_ip and same_list:
            spec.cluster_ips = [spec.cluster_ip]


def _keep_allocated_values(spec: ServiceSpec, old: ServiceSpec) -> None:
    """A PUT built from a manifest has no clusterIP or nodePort: keep the ones allocated
    (Kubernetes' patchAllocatedValues), so reapplying a file is not a request to change them."""
    if needs_cluster_ip(old) and needs_cluster_ip(spec):
        spec.cluster_ip = spec.cluster_ip or old.cluster_ip
        if not spec.cluster_ips and old.cluster_ips:
            spec.cluster_ips = old.cluster_ips
    if needs_node_ports(old) and needs_node_ports(spec):
        in_both = _node_ports(old) & _node_ports(spec)
        by_name = {port.name: port.node_port for port in old.ports or []}
        for port in spec.ports or []:
            kept = by_name.get(port.name)
            if not port.node_port and kept and kept not in in_both:
                port.node_port = kept
    if needs_health_check(old) and needs_health_check(spec) and not spec.health_check_node_port:
        spec.health_check_node_port = old.health_check_node_port


def _drop_type_dependent_fields(spec: ServiceSpec, old: ServiceSpec) -> None:
    """What only the old type used goes, unless the client changed it (then validation speaks)."""
    if needs_cluster_ip(old) and not needs_cluster_ip(spec):
        if (spec.cluster_ip, spec.cluster_ips) == (old.cluster_ip, old.cluster_ips):
            spec.cluster_ip, spec.cluster_ips = None, None
        if spec.ip_families == old.ip_families:
            spec.ip_families = None
        if spec.ip_family_policy == old.ip_family_policy:
            spec.ip_family_policy = None
    if needs_node_ports(old) and not needs_node_ports(spec):
        if [p.node_port for p in spec.ports or []] == [p.node_port for p in old.ports or []]:
            for port in spec.ports or []:
                port.node_port = None
        if spec.health_check_node_port == old.health_check_node_port:
            spec.health_check_node_port = None
    was_load_balancer = old.type == ServiceType.LOAD_BALANCER
    if was_load_balancer and spec.type != ServiceType.LOAD_BALANCER:
        if spec.allocate_load_balancer_node_ports == old.allocate_load_balancer_node_ports:
            spec.allocate_load_balancer_node_ports = None
        if spec.load_balancer_class == old.load_balancer_class:
            spec.load_balancer_class = None
    if externally_accessible(old) and not externally_accessible(spec):
        if spec.external_traffic_policy == old.external_traffic_policy:
            spec.external_traffic_policy = None


def needs_health_check(spec: ServiceSpec) -> bool:
    """A LoadBalancer that keeps traffic on the node it arrives at has a health-check node port."""
    return spec.type == ServiceType.LOAD_BALANCER and spec.external_traffic_policy == "Local"


def _node_ports(spec: ServiceSpec) -> set[int]:
    return {port.node_port for port in spec.ports or [] if port.node_port}


# --- the JSON edge: the dict the store keeps and every answer shows
#
# Metadata lists the keys the client sent first, in field order, then those the
# server filled in, in the order it fills them in: the bytes the dict-based
# chain wrote, so no answer changes from one version to the next. What a request
# could not change (status, on the main resource) is copied as stored.


def sent_metadata(meta: ObjectMeta) -> list[str]:
    """The metadata keys a decoded request carries, in field order (the keys of its wire form)."""
    return [key for field, key in METADATA_KEYS if getattr(meta, field) is not None]


def stored_after_create(obj: K8sModel, *, sent: list[str]) -> dict[str, Any]:
    kept = [key for key in sent if key not in CLEARED_ON_CREATE_KEYS]
    return _to_wire(obj, first=kept, then=FILLED_ON_CREATE)


def stored_after_update(rt: ResourceType, obj: K8sModel, current: dict[str, Any], *,
                        sent: list[str]) -> dict[str, Any]:
    wire = _to_wire(obj, first=sent, then=FILLED_ON_UPDATE)
    if rt in KINDS_WITH_STATUS:
        if "status" in current:
            wire["status"] = current["status"]
        else:
            wire.pop("status", None)
    return wire


def stored_after_status_update(obj: K8sModel, current: dict[str, Any]) -> dict[str, Any]:
    return {**current, "metadata": {**current["metadata"]}, "status": obj.status.to_wire()}


def _to_wire(obj: K8sModel, *, first: list[str], then: tuple[str, ...]) -> dict[str, Any]:
    wire = obj.to_wire()
    meta = wire["metadata"]
    ordered = {key: meta[key] for key in (*first, *then) if key in meta}
    wire["metadata"] = ordered | meta  # anything neither list names goes last, never missing
    return wire


def _keep_server_owned_metadata(new: ObjectMeta, old: ObjectMeta) -> None:
    for field in SERVER_OWNED_METADATA:
        setattr(new, field, getattr(old, field))
