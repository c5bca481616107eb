"""Validation, the last admission step before the store: the apiserver's per-kind Validate and ValidateUpdate.

`validate(rt, obj, old)` returns one cause per bad field, worded as
kube-apiserver words it; an empty list admits the object. `old` is the stored
object on an update, None on a create. Objects arrive defaulted and with the
server-owned fields already set, so a missing default means a bug upstream.

    causes.py     the cause dicts, and bad values printed the way Go prints them
    names.py      DNS labels and subdomains, port names, percentages, env var names
    meta.py       metadata (name, namespace, labels, annotations, finalizers), label selectors
    container.py  containers: ports, env, mounts, resources, probes, hooks
    pod.py        pod specs and templates, volumes, tolerations, what a pod update may change
    apps.py       Deployment, ReplicaSet, DaemonSet, ControllerRevision
    cluster.py    Namespace, Node, Event, Lease
    services.py   Service: ports, clusterIPs, types, traffic policies, what an update may change
    endpoints.py  Endpoints and EndpointSlices
    fault.py      Fault (tinykube.io)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from master.api.validation.apps import (
    validate_controller_revision, validate_daemon_set, validate_deployment, validate_replica_set,
)
from master.api.validation.causes import Cause
from master.api.validation.cluster import validate_event, validate_lease, validate_namespace, validate_node
from master.api.validation.endpoints import validate_endpoint_slice, validate_endpoints
from master.api.validation.fault import validate_fault
from master.api.validation.pod import validate_pod
from master.api.validation.services import validate_service
from objects.base import K8sModel
from objects.kinds import ResourceType

Validator = Callable[[Any, Any], list[Cause]]

VALIDATORS: dict[str, Validator] = {
    "Pod": validate_pod,
    "Node": validate_node,
    "Namespace": validate_namespace,
    "Event": validate_event,
    "Lease": validate_lease,
    "Deployment": validate_deployment,
    "ReplicaSet": validate_replica_set,
    "DaemonSet": validate_daemon_set,
    "ControllerRevision": validate_controller_revision,
    "Fault": validate_fault,
    "Service": validate_service,
    "Endpoints": validate_endpoints,
    "EndpointSlice": validate_endpoint_slice,
}


def validate(rt: ResourceType, obj: K8sModel, old: K8sModel | None) -> list[Cause]:
    """Every reason `obj` may not be stored (as a create when `old` is None, else as an update of `old`)."""
    return VALIDATORS[rt.kind](obj, old)
