"""Publishing a component's why report (objects.why): PUT on the object's `why`, only when it changed.

A controller decides on every reconcile, but its reasoning changes far less
often; the publisher remembers what it last sent for each object and skips an
identical report, so a quiet cluster writes nothing. A failed write is logged
and forgotten: the next reconcile publishes again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from apiclient.client import ApiClient
from apiclient.errors import ApiClientError, ApiStatusError
from objects.base import K8sModel
from objects.kinds import ResourceType

log = logging.getLogger(__name__)


class ReportPublisher:
    def __init__(self, client: ApiClient, rt: ResourceType):
        self.client = client
        self.rt = rt
        self._sent: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def publish(self, report: K8sModel) -> None:
        """PUT `report` (which names its object in metadata) unless it equals the last one sent for it."""
        wire = report.to_wire()
        key = (wire["metadata"].get("namespace") or "", wire["metadata"]["name"])
        with self._lock:
            if self._sent.get(key) == wire:
                return
            self._sent[key] = wire
        try:
            self.client.update(self.rt, wire, subresource="why")
        except ApiClientError as error:
            with self._lock:
                self._sent.pop(key, None)  # try again next time
            if not (isinstance(error, ApiStatusError) and error.not_found):  # the object went meanwhile
                log.warning("could not publish %s for %s/%s: %s", wire.get("kind"), *key, error)

    def forget(self, namespace: str, name: str) -> None:
        """The object is gone: its stored report goes with it on the server."""
        with self._lock:
            self._sent.pop((namespace or "", name), None)
