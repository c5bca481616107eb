"""Which pydantic model holds each kind in `objects.kinds`, so the API server and tkctl can decode any of them."""

from __future__ import annotations

from objects.apps import ControllerRevision, DaemonSet, Deployment, ReplicaSet
from objects.base import K8sModel
from objects.cluster import Event, Lease, Namespace
from objects.endpoints import Endpoints, EndpointSlice
from objects.fault import Fault
from objects.kinds import ResourceType
from objects.node import Node
from objects.pod import Pod
from objects.service import Service

MODELS: dict[str, type[K8sModel]] = {
    "Pod": Pod,
    "Node": Node,
    "Namespace": Namespace,
    "Event": Event,
    "Lease": Lease,
    "Service": Service,
    "Endpoints": Endpoints,
    "EndpointSlice": EndpointSlice,
    "Deployment": Deployment,
    "ReplicaSet": ReplicaSet,
    "DaemonSet": DaemonSet,
    "ControllerRevision": ControllerRevision,
    "Fault": Fault,
}


def model_for(resource_type: ResourceType) -> type[K8sModel]:
    """The model of a served kind; KeyError for a kind the table has but no model does (a bug)."""
    return MODELS[resource_type.kind]
