"""The EndpointSlice controller: keeps each Service's EndpointSlices from its selector and its pods' readiness.

    reconcile(service key)
      Service gone ─────────────────► nothing to do: its slices name it as their controlling owner,
                                      so the garbage collector deletes them
      ExternalName, or no selector ─► nothing: those slices are written by hand
      our last writes not yet in the cache ─► wait for the watch (endpoints_written)
      otherwise ─► each selected pod with an IP, not finished, on a node that exists, becomes an
                   endpoint: ready (Ready and not terminating), serving (Ready), terminating
                ─► grouped by port list, planned into slices of at most 100 (endpoints_slicing),
                   updated in place rather than replaced
                ─► the writes, then the Service's why (endpoints_report), each only when it changed

Slices are labelled kubernetes.io/service-name=<svc> and
endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io, named
from generateName "<svc>-", and carry the Service's own labels. These are what
each node's data path and the cluster DNS read, so a pod turning Ready must
reach them fast: a pod event queues its Services at once, a waiting key is
synced once however many of its pods changed, and four workers sync Services
side by side.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from apiclient import ApiClient, ApiStatusError
from apiclient.informer import Informer
from apiclient.why_reports import ReportPublisher
from master.controllers.cache_view import PodView
from master.controllers.controller import Controller
from master.controllers.endpoints_membership import (
    HEADLESS_LABEL, Member, Standing, managed_by_controllers, members, selected_pods, services_to_sync,
    should_set_hostname,
)
from master.controllers.endpoints_report import PUBLISHED_ANYWAY, service_report
from master.controllers.endpoints_slicing import SlicePlan, Wanted, plan_slices, ports_key
from master.controllers.endpoints_trigger_time import TriggerTimes, with_trigger_time
from master.controllers.endpoints_watch import ServiceWatch
from master.controllers.endpoints_written import STALE_RECHECK_SECONDS, WrittenVersions
from objects.endpoints import (
    MANAGED_BY_CONTROLLER, MANAGED_BY_LABEL, MAX_ENDPOINTS_PER_SLICE, SERVICE_NAME_LABEL, Endpoint,
    EndpointConditions, EndpointPort, EndpointSlice,
)
from objects.kinds import ENDPOINT_SLICE, NODE, SERVICE
from objects.meta import ObjectReference
from objects.service import Service
from objects.status import NAMESPACE_TERMINATING_CAUSE

log = logging.getLogger(__name__)

ZONE_LABEL = "topology.kubernetes.io/zone"
RESERVED_LABELS = (SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL)  # a Service's own are not copied


class EndpointSliceController(Controller):
    name = "endpointslice"
    workers = 4

    def __init__(self, client: ApiClient, *, time_scale: float = 1.0,
                 max_endpoints_per_slice: int = MAX_ENDPOINTS_PER_SLICE):
        super().__init__(client, time_scale=time_scale)
        self.max_endpoints_per_slice = max_endpoints_per_slice
        self.watch = ServiceWatch(client, self.queue.add)
        self.slices = Informer(client, ENDPOINT_SLICE, label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY_CONTROLLER}",
                               on_add=self._slice_written, on_update=lambda _old, new: self._slice_written(new),
                               on_delete=self._slice_deleted)
        self.nodes = Informer(client, NODE, on_add=self._node_changed, on_delete=self._node_changed)
        self.informers = [*self.watch.informers, self.slices, self.nodes]
        self.reports = ReportPublisher(client, SERVICE)
        self.trigger_times = TriggerTimes()
        self.written = WrittenVersions()
        # Services that left a pod out because its node had no object, by that node's name.
        self._waiting_for_node: dict[str, set[str]] = {}
        self._waiting_lock = threading.Lock()

    # ----- event handlers

    def _slice_written(self, slice_: dict[str, Any]) -> None:
        # mostly our own writes coming back: they only nudge the Service (see the work queue)
        key = _service_key(slice_)
        if key:
            self.queue.add(key, nudge=True)

    def _slice_deleted(self, slice_: dict[str, Any]) -> None:
        key = _service_key(slice_)
        if key:
            self.queue.add(key)

    def _node_changed(self, node: dict[str, Any]) -> None:
        """A node that comes back brings its pods back; one that goes takes them away."""
        name = node["metadata"]["name"]
        with self._waiting_lock:
            keys = self._waiting_for_node.pop(name, set())
        for raw in self.watch.pods.items():
            if PodView(raw).node_name == name:
                keys |= services_to_sync(self.watch.services, None, raw)
        for key in keys:
            self.queue.add(key)

    # ----- reconcile

    def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        cached = self.watch.services.get(key)
        if cached is None:
            self.trigger_times.forget(key)
            self.written.forget(key)
            self.reports.forget(namespace, name)
            return
        service = Service.model_validate(cached)
        if not managed_by_controllers(service):
            return
        cached_slices = [raw for raw in self.slices.items() if _service_key(raw) == key]
        if self.written.behind(key, {raw["metadata"]["name"]: raw for raw in cached_slices}):
            self.queue.add_after(key, STALE_RECHECK_SECONDS)
            return
        pods = selected_pods(self.watch.pods, namespace, service.spec.selector)
        trigger_time = self.trigger_times.compute(key, service, pods)
        nodes = {raw["metadata"]["name"]: raw for raw in self.nodes.items()}
        selected = members(service, pods, known_nodes=set(nodes))
        self._remember_missing_nodes(key, selected)
        plan = self._plan(service, selected, nodes, [EndpointSlice.model_validate(raw) for raw in cached_slices])
        written = self._apply(key, service, plan, trigger_time)
        if written is not None:
            self.reports.publish(service_report(service, selected, plan.unchanged + written))

    def _plan(self, service: Service, selected: list[Member], nodes: dict[str, dict[str, Any]],
              slices: list[EndpointSlice]) -> SlicePlan:
        """One plan over every address type the Service has (slices of one it no longer has go)."""
        types = address_types(service)
        plan = SlicePlan(deletes=[s for s in slices if s.address_type not in types])
        for address_type in types:
            typed = plan_slices(service, [s for s in slices if s.address_type == address_type],
                                wanted_groups(service, selected, nodes, address_type),
                                labels=slice_labels(service), address_type=address_type,
                                max_endpoints=self.max_endpoints_per_slice)
            plan.creates += typed.creates
            plan.updates += typed.updates
            plan.deletes += typed.deletes
            plan.unchanged += typed.unchanged
        return plan

    def _apply(self, key: str, service: Service, plan: SlicePlan,
               trigger_time: datetime | None) -> list[EndpointSlice] | None:
        """Write the plan: the slices created and updated, as the API answered; None when the cache was behind."""
        namespace = service.metadata.namespace
        written: list[EndpointSlice] = []
        try:
            # A Service being deleted gets no new slice: the garbage collector is deleting its slices.
            for slice_ in [] if service.metadata.is_terminating else plan.creates:
                slice_.metadata.annotations = with_trigger_time(slice_.metadata.annotations, trigger_time)
                written.append(self._wrote(key, self.client.create(ENDPOINT_SLICE, slice_.to_wire(), namespace)))
            for slice_ in plan.updates:
                slice_.metadata.annotations = with_trigger_time(slice_.metadata.annotations, trigger_time)
                written.append(self._wrote(key, self.client.update(ENDPOINT_SLICE, slice_.to_wire())))
            for slice_ in plan.deletes:
                self._delete(key, slice_)
        except ApiStatusError as error:
            if error.code in (404, 409):  # our cache was behind our own writes or someone else's
                self.queue.add_after(key, STALE_RECHECK_SECONDS)
                return None
            if any(cause.reason == NAMESPACE_TERMINATING_CAUSE for cause in error.status.causes):
                return None  # the namespace is going, and the Service with it
            raise
        return written

    def _wrote(self, key: str, answer: dict[str, Any]) -> EndpointSlice:
        self.written.wrote(key, answer)
        return EndpointSlice.model_validate(answer)

    def _delete(self, key: str, slice_: EndpointSlice) -> None:
        name = slice_.metadata.name or ""
        try:
            self.client.delete(ENDPOINT_SLICE, name, slice_.metadata.namespace)
        except ApiStatusError as error:
            if not error.not_found:
                raise
        self.written.deleted(key, name)

    def _remember_missing_nodes(self, key: str, selected: list[Member]) -> None:
        missing = {m.pod.node_name or "" for m in selected if m.standing == Standing.NODE_NOT_FOUND}
        with self._waiting_lock:
            for node in missing:
                self._waiting_for_node.setdefault(node, set()).add(key)


# ----- what the slices should hold


def address_types(service: Service) -> list[str]:
    """The Service's IP families as slice address types (IPv4 when it names none)."""
    families = (service.spec.ip_families if service.spec else None) or []
    return [family for family in families if family in ("IPv4", "IPv6")] or ["IPv4"]


def slice_labels(service: Service) -> dict[str, str]:
    """The Service's own labels, the headless mark, and the two that say whose slice it is."""
    labels = {k: v for k, v in (service.metadata.labels or {}).items() if k not in RESERVED_LABELS}
    if service.is_headless:
        labels[HEADLESS_LABEL] = ""
    labels[SERVICE_NAME_LABEL] = service.metadata.name or ""
    labels[MANAGED_BY_LABEL] = MANAGED_BY_CONTROLLER
    return labels


def wanted_groups(service: Service, selected: list[Member], nodes: dict[str, dict[str, Any]],
                  address_type: str) -> dict[str, Wanted]:
    """The endpoints the slices should hold, grouped by port list (ports key -> group)."""
    publish = bool(service.spec and service.spec.publish_not_ready_addresses)
    groups: dict[str, Wanted] = {}
    for member in selected:
        if member.standing == Standing.NODE_NOT_FOUND and not publish:
            continue
        if member.standing not in (Standing.READY, *PUBLISHED_ANYWAY):
            continue
        endpoint = slice_endpoint(service, member, nodes.get(member.pod.node_name or ""), address_type,
                                  publish=publish)
        if endpoint is None:
            continue
        ports = slice_ports(member)
        groups.setdefault(ports_key(ports), Wanted(ports)).add(endpoint)
    return groups


def slice_endpoint(service: Service, member: Member, node: dict[str, Any] | None, address_type: str, *,
                   publish: bool) -> Endpoint | None:
    """The pod as an endpoint (podToEndpoint); None when it has no address of this type."""
    pod = member.pod
    addresses = [ip for ip in pod.pod_ips if (":" in ip) == (address_type == "IPv6")]
    if not addresses:
        return None
    serving, terminating = pod.is_ready, pod.is_terminating
    zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(ZONE_LABEL)
    return Endpoint(
        addresses=addresses,
        conditions=EndpointConditions(ready=publish or (serving and not terminating), serving=serving,
                                      terminating=terminating),
        target_ref=ObjectReference(kind="Pod", namespace=pod.namespace, name=pod.name, uid=pod.uid),
        node_name=pod.node_name, zone=zone or None,
        hostname=pod.hostname if should_set_hostname(pod, service) else None)


def slice_ports(member: Member) -> list[EndpointPort]:
    """The pod's resolved ports; a slice port always has a name, "" for an unnamed one."""
    return [EndpointPort(name=port.name or "", port=number, protocol=port.protocol or "TCP",
                         app_protocol=port.app_protocol) for port, number in member.ports]


def _service_key(slice_: dict[str, Any]) -> str | None:
    meta = slice_["metadata"]
    name = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
    return f"{meta.get('namespace') or ''}/{name}" if name else None
