"""The Services and pods both endpoint controllers watch, and which Service keys each change queues.

    Service added, changed or deleted ──────────────────────────► its own key
    pod added or deleted ──► every Service of its namespace that selects it
    pod changed ──► nothing, unless its endpoint would show it (endpoints_membership.services_to_sync)

Many changes to one Service's pods while its key waits still mean one sync:
the work queue keeps a waiting key once, which is how a burst of pods turning
Ready is written in one batch per Service (Kubernetes' endpoint batch period,
whose default is no wait at all).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apiclient import ApiClient
from apiclient.informer import Informer, object_key
from master.controllers.endpoints_membership import services_to_sync
from objects.kinds import POD, SERVICE


class ServiceWatch:
    def __init__(self, client: ApiClient, enqueue: Callable[[str], None]):
        self._enqueue = enqueue
        self.services = Informer(client, SERVICE, on_add=self._service_changed,
                                 on_update=lambda _old, new: self._service_changed(new),
                                 on_delete=self._service_changed)
        self.pods = Informer(client, POD, on_add=lambda pod: self._pod_changed(None, pod),
                             on_update=self._pod_changed, on_delete=lambda pod: self._pod_changed(pod, None))

    @property
    def informers(self) -> list[Informer]:
        return [self.services, self.pods]

    def _service_changed(self, service: dict[str, Any]) -> None:
        self._enqueue(object_key(service))

    def _pod_changed(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        for key in services_to_sync(self.services, old, new):
            self._enqueue(key)
