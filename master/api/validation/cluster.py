"""Cluster bookkeeping kinds: Namespaces, Nodes (their taints), Events and Leases."""

from __future__ import annotations

from master.api.validation import causes as cause
from master.api.validation.causes import Cause, GoValue, go_quote
from master.api.validation.meta import finalizer_causes, validate_object_meta
from master.api.validation.names import is_label_value, is_qualified_name, name_is_dns_label, name_is_dns_subdomain
from objects.cluster import Event, Lease, LeaseSpec, Namespace
from objects.node import Node, NodeSpec, Taint

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# Events from before events.k8s.io may live in "default" while naming a cluster-scoped object.
LEGACY_EVENT_NAMESPACES = ("", "default")


def validate_namespace(namespace: Namespace, old: Namespace | None) -> list[Cause]:
    found = validate_object_meta(namespace.metadata, namespaced=False, name_rule=name_is_dns_label)
    for name in (namespace.spec.finalizers if namespace.spec else None) or []:
        found += finalizer_causes(name, "spec.finalizers")
    return found


def validate_node(node: Node, old: Node | None) -> list[Cause]:
    found = validate_object_meta(node.metadata, namespaced=False, name_rule=name_is_dns_subdomain)
    return found + _validate_taints((node.spec or NodeSpec()).taints, "spec.taints")


def validate_event(event: Event, old: Event | None) -> list[Cause]:
    found = validate_object_meta(event.metadata, namespaced=True, name_rule=name_is_dns_subdomain)
    if event.involved_object is None:
        return found + [cause.required("involvedObject")]
    namespace = event.metadata.namespace or ""
    involved_namespace = event.involved_object.namespace or ""
    if event.event_time is None:
        agrees = namespace in LEGACY_EVENT_NAMESPACES if not involved_namespace else namespace == involved_namespace
    else:
        agrees = bool(involved_namespace) or namespace in ("default", "kube-system")
        # A new-style event (with eventTime) says who reported it and what they did.
        for path, value in (("reportingComponent", event.reporting_component),
                            ("reportingInstance", event.reporting_instance),
                            ("action", event.action), ("reason", event.reason)):
            if not value:
                found.append(cause.required(path))
    if not agrees:
        found.append(cause.invalid("involvedObject.namespace", involved_namespace, "does not match event.namespace"))
    return found


def validate_lease(lease: Lease, old: Lease | None) -> list[Cause]:
    found = validate_object_meta(lease.metadata, namespaced=True, name_rule=name_is_dns_subdomain)
    spec = lease.spec or LeaseSpec()
    if spec.lease_duration_seconds is not None and spec.lease_duration_seconds <= 0:
        found.append(cause.invalid("spec.leaseDurationSeconds", spec.lease_duration_seconds, "must be greater than 0"))
    if spec.lease_transitions is not None and spec.lease_transitions < 0:
        found.append(cause.invalid("spec.leaseTransitions", spec.lease_transitions,
                                   "must be greater than or equal to 0"))
    return found


def _validate_taints(taints: list[Taint] | None, path: str) -> list[Cause]:
    """Keys and values like labels, a known effect, and at most one taint per key and effect."""
    found: list[Cause] = []
    seen: set[tuple[str, str]] = set()
    for index, taint in enumerate(taints or []):
        item = f"{path}[{index}]"
        key, value, effect = taint.key or "", taint.value or "", taint.effect or ""
        found += [cause.invalid(f"{item}.key", key, msg) for msg in is_qualified_name(key)]
        if errors := is_label_value(value):
            found.append(cause.invalid(f"{item}.value", value, ";".join(errors)))
        if not effect:
            found.append(cause.required(f"{item}.effect"))
        elif effect not in TAINT_EFFECTS:
            found.append(cause.not_supported(f"{item}.effect", effect, TAINT_EFFECTS))
        if (key, effect) in seen:
            shown = GoValue(f"core.Taint{{Key:{go_quote(key)}, Value:{go_quote(value)}, Effect:{go_quote(effect)}, "
                            "TimeAdded:(*v1.Time)(nil)}")
            found.append(cause.duplicate(item, shown, "taints must be unique by key and effect pair"))
            continue
        seen.add((key, effect))
    return found
