"""What the server itself owns in an object, kind by kind (the apiserver's "strategies").

A client never sets uid, creationTimestamp, generation, resourceVersion or the
deletion fields, and the main resource never writes status: the status
subresource does, and it in turn cannot touch spec or metadata.
"""

from __future__ import annotations

import uuid
from typing import Any

from objects.kinds import DAEMONSET, DEPLOYMENT, NAMESPACE, NODE, POD, REPLICASET, ResourceType

# Kinds whose status only their status subresource may write.
KINDS_WITH_STATUS = (POD, NODE, NAMESPACE, DEPLOYMENT, REPLICASET, DAEMONSET)
# Kinds whose metadata.generation counts spec changes (controllers report observedGeneration).
KINDS_WITH_GENERATION = (DEPLOYMENT, REPLICASET, DAEMONSET)

SERVER_OWNED_METADATA = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")


def prepare_for_create(rt: ResourceType, obj: dict[str, Any], *, now: str) -> dict[str, Any]:
    meta = obj.setdefault("metadata", {})
    for field in (*SERVER_OWNED_METADATA, "resourceVersion", "selfLink"):
        meta.pop(field, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now
    if rt in KINDS_WITH_GENERATION:
        meta["generation"] = 1
    obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
    if rt == POD:
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}
    elif rt == NAMESPACE:
        obj["status"] = {"phase": "Active"}
    elif rt in (DEPLOYMENT, REPLICASET, DAEMONSET):
        obj["status"] = {}
    # Nodes keep the status they register with: the kubelet creates its Node whole.
    return obj


def prepare_for_update(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    _keep_server_owned_metadata(new, old)
    new["apiVersion"], new["kind"] = rt.api_version, rt.kind
    if rt in KINDS_WITH_STATUS:
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
    if rt in KINDS_WITH_GENERATION:
        generation = old["metadata"].get("generation", 1)
        new["metadata"]["generation"] = generation + 1 if new.get("spec") != old.get("spec") else generation
    return new


def prepare_for_status_update(rt: ResourceType, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """The status subresource: take only status from the request."""
    result = {**old, "status": new.get("status", {})}
    result["metadata"] = {**old["metadata"], "resourceVersion": new.get("metadata", {}).get("resourceVersion")}
    if result["metadata"]["resourceVersion"] is None:
        result["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
    return result


def qos_class(pod_spec: dict[str, Any]) -> str:
    """Guaranteed, Burstable or BestEffort, from the containers' requests and limits, as Kubernetes decides."""
    containers = list(pod_spec.get("containers") or []) + list(pod_spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
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


def _keep_server_owned_metadata(new: dict[str, Any], old: dict[str, Any]) -> None:
    meta = new.setdefault("metadata", {})
    for field in SERVER_OWNED_METADATA:
        if field in old["metadata"]:
            meta[field] = old["metadata"][field]
        else:
            meta.pop(field, None)
