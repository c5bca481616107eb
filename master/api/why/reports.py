"""The controllers' why reports, kept in the store beside the object they explain.

Each kind that has a controller report gets one report per object, under the
store key `<resource>/why` (e.g. `deployments.apps/why`), so it is a row of the
revision log like any write, and goes when its object goes (the registry's
`_forget_dependents`). Only the component that decides writes it (PUT .../why);
the API server never edits a report, it only reads it when it answers a GET.
"""

from __future__ import annotations

from typing import Any

from master.api import status
from master.api.registry import Registry, why_report_key
from master.store import AlreadyExists, NotFound
from objects.kinds import DAEMONSET, DEPLOYMENT, NODE, REPLICASET, SERVICE, ResourceType
from objects.why import DaemonSetReport, NodeHealthReport, ReplicaSetReport, RolloutReport, ServiceReport

# Which report explains which kind, and so which body a PUT on that kind's why must carry.
REPORT_MODELS = {
    NODE.plural: NodeHealthReport,
    DEPLOYMENT.plural: RolloutReport,
    REPLICASET.plural: ReplicaSetReport,
    DAEMONSET.plural: DaemonSetReport,
    SERVICE.plural: ServiceReport,
}
REPORTED_KINDS: tuple[ResourceType, ...] = (NODE, DEPLOYMENT, REPLICASET, DAEMONSET, SERVICE)


def put_report(registry: Registry, rt: ResourceType, namespace: str | None, name: str, body: Any) -> dict[str, Any]:
    """Store a component's report on an existing object; 400 when the body is not this kind's report."""
    model = REPORT_MODELS.get(rt.plural)
    if model is None:
        raise status.method_not_supported(f"{rt.plural}/why", "PUT")
    obj = registry.get(rt, namespace, name)
    expected_kind = model.model_fields["kind"].default
    if not isinstance(body, dict) or body.get("kind") != expected_kind:
        raise status.bad_request(f"the body of a PUT on {rt.plural}/why must be a {expected_kind}")
    try:
        report = model.model_validate(body)
    except ValueError as error:
        raise status.bad_request(f"invalid {expected_kind}: {error}") from None
    meta = obj["metadata"]
    if report.metadata.uid not in (None, meta["uid"]):
        raise status.conflict(rt, name, f"the {expected_kind} is for another {rt.singular} with this name")
    report.metadata.name, report.metadata.namespace, report.metadata.uid = name, meta.get("namespace"), meta["uid"]
    report.metadata.resource_version = None
    wire = report.to_wire()
    key = why_report_key(rt, namespace, name)
    try:
        return registry.store.create(key, wire)
    except AlreadyExists:
        return registry.store.guaranteed_update(key, lambda _old: wire)


def read_report(registry: Registry, rt: ResourceType, namespace: str | None, name: str, uid: str) -> Any:
    """The object's report as its model, or None when none was published for this very object."""
    model = REPORT_MODELS.get(rt.plural)
    if model is None:
        return None
    try:
        wire = registry.store.get(why_report_key(rt, namespace, name))
    except NotFound:
        return None
    report = model.model_validate(wire)
    return report if report.metadata.uid == uid else None
