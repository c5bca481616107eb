"""Planning a Service's EndpointSlices: from the slices it has and the endpoints it wants, the fewest writes.

Endpoints are grouped by their port list (pods that resolve a named port
differently, or lack it, get slices of their own), and each group is fitted
into slices of at most `max_endpoints`, changing what exists in place rather
than replacing it (the endpointslice reconciler's reconcileByPortMapping):

    1. each existing slice keeps the wanted endpoints it holds, updated where they changed;
       one left empty is deleted, one that changed (or whose labels did) is updated
    2. the slices being updated anyway are filled up, fullest first
    3. what is left goes into the one unchanged slice it fits best, or into new slices
    4. slices of port lists no longer wanted, or of another Service by this name, are deleted
    5. a Service with nothing to publish keeps one empty "placeholder" slice
    6. a create that comes with a delete becomes an update of the slice that would go

An endpoint is known by its addresses, hostname and pod (the reconciler's
endpoint hash); its conditions, node and zone are what an update changes.
Everything here is pure: the controller applies the plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from objects.endpoints import Endpoint, EndpointPort, EndpointSlice
from objects.meta import ObjectMeta, OwnerReference
from objects.service import Service

EndpointKey = tuple[tuple[str, ...], str, str, str]  # (addresses, hostname, pod namespace, pod name)


@dataclass
class Wanted:
    """One port list's endpoints, as the Service's pods make them."""

    ports: list[EndpointPort]
    endpoints: dict[EndpointKey, Endpoint] = field(default_factory=dict)

    def add(self, endpoint: Endpoint) -> None:
        self.endpoints[endpoint_key(endpoint)] = endpoint


@dataclass
class SlicePlan:
    creates: list[EndpointSlice] = field(default_factory=list)
    updates: list[EndpointSlice] = field(default_factory=list)
    deletes: list[EndpointSlice] = field(default_factory=list)
    unchanged: list[EndpointSlice] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return len(self.creates) + len(self.updates) + len(self.deletes)


def endpoint_key(endpoint: Endpoint) -> EndpointKey:
    ref = endpoint.target_ref
    return (tuple(sorted(endpoint.addresses)), endpoint.hostname or "", (ref.namespace or "") if ref else "",
            (ref.name or "") if ref else "")


def ports_key(ports: list[EndpointPort] | None) -> str:
    """One port list, whatever its order (NewPortMapKey)."""
    return json.dumps(sorted((p.to_wire() for p in ports or []), key=lambda p: json.dumps(p, sort_keys=True)),
                      sort_keys=True)


def plan_slices(service: Service, existing: list[EndpointSlice], wanted: dict[str, Wanted], *,
                labels: dict[str, str], address_type: str, max_endpoints: int) -> SlicePlan:
    """What to create, update and delete so the Service's slices hold `wanted` (ports key -> group)."""
    result = SlicePlan()
    by_ports: dict[str, list[EndpointSlice]] = {}
    for slice_ in existing:
        if owned_by(slice_, service) and slice_.address_type == address_type:
            by_ports.setdefault(ports_key(slice_.ports), []).append(slice_)
        else:
            result.deletes.append(slice_)
    for key, group in sorted(wanted.items()):
        _fit_group(result, service, by_ports.pop(key, []), group, labels, address_type, max_endpoints)
    for leftovers in by_ports.values():
        result.deletes.extend(leftovers)
    if len(result.deletes) == len(existing) and not result.creates:
        _keep_a_placeholder(result, service, labels, address_type)
    _turn_creates_into_updates(result, service, address_type)
    return result


def owned_by(slice_: EndpointSlice, service: Service) -> bool:
    return any(ref.uid == service.metadata.uid and ref.kind == "Service" and ref.api_version == "v1"
               for ref in slice_.metadata.owner_references or [])


def new_slice(service: Service, ports: list[EndpointPort], labels: dict[str, str], address_type: str) -> EndpointSlice:
    meta = ObjectMeta(generate_name=f"{service.metadata.name}-", namespace=service.metadata.namespace,
                      labels=dict(labels),
                      owner_references=[OwnerReference.to_controller(service.metadata, api_version="v1",
                                                                     kind="Service")])
    return EndpointSlice(metadata=meta, address_type=address_type, endpoints=[], ports=list(ports))


def _fit_group(result: SlicePlan, service: Service, slices: list[EndpointSlice], group: Wanted,
               labels: dict[str, str], address_type: str, max_endpoints: int) -> None:
    remaining = dict(group.endpoints)
    changed: list[EndpointSlice] = []
    unchanged: list[EndpointSlice] = []
    # 1. keep what is still wanted, as it is wanted now
    for slice_ in slices:
        kept: list[Endpoint] = []
        updated = False
        for endpoint in slice_.endpoints or []:
            desired = remaining.pop(endpoint_key(endpoint), None)
            if desired is not None:
                kept.append(desired)
                updated = updated or not same_endpoint(desired, endpoint)
        if updated or len(kept) != len(slice_.endpoints or []):
            if not kept:
                result.deletes.append(slice_)
                continue
            changed.append(slice_.model_copy(update={"endpoints": kept,
                                                     "metadata": _relabelled(slice_.metadata, labels)}))
        elif (slice_.metadata.labels or {}) != labels:
            changed.append(slice_.model_copy(update={"metadata": _relabelled(slice_.metadata, labels)}))
        else:
            unchanged.append(slice_)
    pending = [remaining[key] for key in sorted(remaining)]
    # 2. fill the slices written anyway, fullest first
    for slice_ in sorted(changed, key=lambda s: -len(s.endpoints or [])):
        room = max_endpoints - len(slice_.endpoints or [])
        if room > 0 and pending:
            slice_.endpoints = [*(slice_.endpoints or []), *pending[:room]]
            pending = pending[room:]
    # 3. the rest: into the unchanged slice it fits best, else into new slices
    while pending:
        target = _slice_to_fill(unchanged, len(pending), max_endpoints) if len(pending) < max_endpoints else None
        if target is None:
            target = new_slice(service, group.ports, labels, address_type)
            result.creates.append(target)
        else:
            unchanged.remove(target)
            target = target.model_copy(update={"endpoints": list(target.endpoints or [])})
            changed.append(target)
        room = max_endpoints - len(target.endpoints or [])
        target.endpoints = [*(target.endpoints or []), *pending[:room]]
        pending = pending[room:]
    result.updates.extend(changed)
    result.unchanged.extend(unchanged)


def _slice_to_fill(slices: list[EndpointSlice], count: int, max_endpoints: int) -> EndpointSlice | None:
    """The slice that `count` more endpoints leave closest to full (getSliceToFill)."""
    fits = [s for s in slices if len(s.endpoints or []) + count <= max_endpoints]
    return max(fits, key=lambda s: len(s.endpoints or []), default=None)


def _keep_a_placeholder(result: SlicePlan, service: Service, labels: dict[str, str], address_type: str) -> None:
    """Nothing to publish: one empty slice stays, so readers see the Service has none (not that it is new)."""
    placeholder = new_slice(service, [], labels, address_type)
    if len(result.deletes) == 1 and _is_placeholder(result.deletes[0], placeholder, service):
        result.unchanged.append(result.deletes.pop())
    else:
        result.creates.append(placeholder)


def _is_placeholder(slice_: EndpointSlice, placeholder: EndpointSlice, service: Service) -> bool:
    return (owned_by(slice_, service) and slice_.metadata.namespace == placeholder.metadata.namespace
            and (slice_.metadata.labels or {}) == placeholder.metadata.labels
            and slice_.address_type == placeholder.address_type
            and not slice_.endpoints and not slice_.ports)


def _turn_creates_into_updates(result: SlicePlan, service: Service, address_type: str) -> None:
    """Reuse a slice about to be deleted for a slice about to be created: one write instead of two."""
    reusable = [s for s in result.deletes if owned_by(s, service) and s.address_type == address_type]
    while result.creates and reusable:
        created, old = result.creates.pop(), reusable.pop()
        result.deletes.remove(old)
        meta = old.metadata.model_copy(update={"labels": created.metadata.labels,
                                               "owner_references": created.metadata.owner_references})
        result.updates.append(created.model_copy(update={"metadata": meta}))


def _relabelled(meta: ObjectMeta, labels: dict[str, str]) -> ObjectMeta:
    return meta.model_copy(update={"labels": dict(labels)})


def same_endpoint(a: Endpoint, b: Endpoint) -> bool:
    """Equal beyond the key: conditions, node, zone, hints and the pod's uid (its resourceVersion aside)."""
    return _comparable(a) == _comparable(b)


def _comparable(endpoint: Endpoint) -> dict:
    wire = endpoint.to_wire()
    wire.get("targetRef", {}).pop("resourceVersion", None)
    wire["addresses"] = sorted(wire.get("addresses") or [])
    return wire
