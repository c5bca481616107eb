"""What the server itself owns in an object, kind by kind (the apiserver's "strategies").

A client never sets uid, creationTimestamp, generation, resourceVersion or the
deletion fields, and the main resource never writes status: the status
subresource does, and it in turn cannot touch spec or metadata.

The prepare_* functions work on the typed object, between defaulting and
validation; the stored_after_* functions are the JSON edge, the dict the store writes.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic.alias_generators import to_camel

from objects.apps import DaemonSetStatus, DeploymentStatus, ReplicaSetStatus
from objects.base import K8sModel
from objects.cluster import NamespaceStatus
from objects.fault import FaultStatus
from objects.kinds import DAEMONSET, DEPLOYMENT, FAULT, NAMESPACE, NODE, POD, REPLICASET, ResourceType
from objects.meta import ObjectMeta
from objects.node import NodeStatus
from objects.phases import PodPhase
from objects.pod import PodSpec, PodStatus

# Kinds whose status only their status subresource may write, and the model of that status.
STATUS_MODELS: dict[ResourceType, type[K8sModel]] = {
    POD: PodStatus, NODE: NodeStatus, NAMESPACE: NamespaceStatus,
    DEPLOYMENT: DeploymentStatus, REPLICASET: ReplicaSetStatus, DAEMONSET: DaemonSetStatus, FAULT: FaultStatus,
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
    # Nodes keep the status they register with: the kubelet creates its Node whole.


def prepare_for_update(rt: ResourceType, new: K8sModel, old: K8sModel) -> None:
    _keep_server_owned_metadata(new.metadata, old.metadata)
    new.api_version, new.kind = rt.api_version, rt.kind
    if rt in KINDS_WITH_STATUS:
        new.status = old.status
    if rt in KINDS_WITH_GENERATION:
        generation = old.metadata.generation or 1
        new.metadata.generation = generation + 1 if new.spec != old.spec else generation


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
