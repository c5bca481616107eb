"""The endpoints controller: keeps each Service's core/v1 Endpoints from its selector and its pods' readiness.

    reconcile(service key)
      Service gone ──────────────────────────► delete the Endpoints of that name
      ExternalName, or no selector ──────────► nothing: those Endpoints are written by hand
                                               (the master keeps `kubernetes`'s)
      otherwise ─► the selected pods (endpoints_membership), each in addresses if Ready,
                   in notReadyAddresses if not, left out if it has no IP, finished or terminating
                ─► repacked into subsets (endpoints_subsets), at most 1,000 addresses
                ─► written only when the subsets or labels differ from what is stored

The Endpoints carry the Service's labels (plus service.kubernetes.io/headless
for a headless Service) and, as in Kubernetes 1.32, no managed-by label; its
`endpoints.kubernetes.io/last-change-trigger-time` says when the change it
follows happened (endpoints_trigger_time). Kubernetes' endpoint controller
watches Endpoints only to restore a deleted one, and so does this one. At start
it looks at every Endpoints once, so one whose Service went while the
controller was down is deleted.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from apiclient import ApiClient, ApiStatusError
from apiclient.events import EventRecorder
from apiclient.informer import Informer, object_key
from master.controllers.controller import Controller
from master.controllers.endpoints_membership import HEADLESS_LABEL, managed_by_controllers, members, selected_pods
from master.controllers.endpoints_subsets import OVER_CAPACITY, TRUNCATED, desired_subsets, truncate
from master.controllers.endpoints_trigger_time import TriggerTimes, with_trigger_time
from master.controllers.endpoints_watch import ServiceWatch
from master.controllers.endpoints_written import STALE_RECHECK_SECONDS, WrittenVersions
from master.controllers.pod_template import event_subject, without_empty_values
from objects.endpoints import Endpoints, EndpointSubset
from objects.kinds import ENDPOINTS, SERVICE
from objects.meta import ObjectMeta
from objects.service import Service
from objects.status import NAMESPACE_TERMINATING_CAUSE

log = logging.getLogger(__name__)



class EndpointsController(Controller):
    name = "endpoint"
    workers = 4

    def __init__(self, client: ApiClient, *, time_scale: float = 1.0):
        super().__init__(client, time_scale=time_scale)
        self.events = EventRecorder(client, component="endpoint-controller")
        self.watch = ServiceWatch(client, self.queue.add)
        self.endpoints = Informer(client, ENDPOINTS, on_delete=self._enqueue)
        self.informers = [*self.watch.informers, self.endpoints]
        self.trigger_times = TriggerTimes()
        self.written = WrittenVersions()

    def run(self, stop: threading.Event) -> None:
        # Once the caches are whole: an Endpoints whose Service is gone is found by syncing its key.
        threading.Thread(target=self._check_leftovers, args=(stop,), name=f"{self.name}-leftovers",
                         daemon=True).start()
        super().run(stop)
        self.events.close()

    def _check_leftovers(self, stop: threading.Event) -> None:
        if not self.wait_for_caches(stop):
            return  # stopped before the caches filled: nothing to look at
        for endpoints in self.endpoints.items():
            self._enqueue(endpoints)

    def _enqueue(self, obj: dict) -> None:
        self.queue.add(object_key(obj))

    # ----- reconcile

    def reconcile(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        cached = self.watch.services.get(key)
        if cached is None:
            self._service_gone(key, namespace, name)
            return
        service = Service.model_validate(cached)
        if not managed_by_controllers(service):
            return
        current = self.endpoints.get(key)
        if self.written.behind(key, {name: current} if current else {}):
            self.queue.add_after(key, STALE_RECHECK_SECONDS)
            return
        pods = selected_pods(self.watch.pods, namespace, service.spec.selector)
        trigger_time = self.trigger_times.compute(key, service, pods)
        subsets = desired_subsets(service, members(service, pods))
        over_capacity = truncate(subsets)
        existing = Endpoints.model_validate(current) if current else None
        if existing is not None and _up_to_date(existing, subsets, service, over_capacity=over_capacity):
            return
        wanted = _endpoints_for(service, existing, subsets, trigger_time, over_capacity=over_capacity)
        self._write(key, service, existing, wanted)

    def _write(self, key: str, service: Service, existing: Endpoints | None, wanted: Endpoints) -> None:
        try:
            if existing is None:
                written = self.client.create(ENDPOINTS, wanted.to_wire(), service.metadata.namespace)
            else:
                written = self.client.update(ENDPOINTS, wanted.to_wire())
        except ApiStatusError as error:
            if error.code == 409 or (existing is not None and error.not_found):
                # our cache was behind: someone (or our last write) got there first, or deleted it
                self.queue.add_after(key, STALE_RECHECK_SECONDS)
                return
            if existing is None and any(c.reason == NAMESPACE_TERMINATING_CAUSE for c in error.status.causes):
                return  # the namespace is going, and its Services with it
            verb, reason = ("create", "FailedToCreateEndpoint") if existing is None else (
                "update", "FailedToUpdateEndpoint")
            self.events.event(event_subject(wanted), type_="Warning", reason=reason,
                              message=f"Failed to {verb} endpoint {key}: {error.message}")
            raise
        self.written.wrote(key, written)

    def _service_gone(self, key: str, namespace: str, name: str) -> None:
        """Delete the Endpoints of a Service that is gone, after asking the API rather than our cache: an
        Endpoints seen before its Service (a Service created since the caches filled) must stay."""
        self.trigger_times.forget(key)
        try:
            self.client.get(SERVICE, name, namespace)
            return  # it exists: its add event is on its way and will sync it
        except ApiStatusError as error:
            if not error.not_found:
                raise
        try:
            self.client.delete(ENDPOINTS, name, namespace)
        except ApiStatusError as error:
            if not error.not_found:
                raise
        self.written.forget(key)


def _endpoints_for(service: Service, existing: Endpoints | None, subsets: list[EndpointSubset],
                   trigger_time: datetime | None, *, over_capacity: bool) -> Endpoints:
    """The Endpoints to write: the stored one's identity, the Service's labels, the new subsets."""
    meta = existing.metadata.model_copy(deep=True) if existing else ObjectMeta(
        name=service.metadata.name, namespace=service.metadata.namespace)
    meta.labels = _labels_for(service)
    annotations = with_trigger_time(meta.annotations, trigger_time) or {}
    if over_capacity:
        annotations[OVER_CAPACITY] = TRUNCATED
    else:
        annotations.pop(OVER_CAPACITY, None)
    meta.annotations = annotations or None
    return Endpoints(metadata=meta, subsets=subsets or None)


def _labels_for(service: Service) -> dict[str, str] | None:
    labels = dict(service.metadata.labels or {})
    if service.is_headless:
        labels[HEADLESS_LABEL] = ""
    else:
        labels.pop(HEADLESS_LABEL, None)
    return labels or None


def _up_to_date(existing: Endpoints, subsets: list[EndpointSubset], service: Service, *,
                over_capacity: bool) -> bool:
    """The stored subsets and labels are what we would write, and the capacity mark is right (the
    trigger time alone never causes a write)."""
    stored_labels = {k: v for k, v in (existing.metadata.labels or {}).items() if k != HEADLESS_LABEL}
    return (_comparable(existing.subsets) == _comparable(subsets)
            and stored_labels == (service.metadata.labels or {})
            and (OVER_CAPACITY in (existing.metadata.annotations or {})) == over_capacity)


def _comparable(subsets: list[EndpointSubset] | None) -> list:
    """Subsets as compared: empty and unset alike, and a targetRef's resourceVersion ignored."""
    wires = [without_empty_values(s.to_wire()) for s in subsets or []]
    for wire in wires:
        for address in (*wire.get("addresses", ()), *wire.get("notReadyAddresses", ())):
            (address.get("targetRef") or {}).pop("resourceVersion", None)
    return [w for w in wires if w]
