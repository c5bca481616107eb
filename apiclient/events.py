"""EventRecorder: write core/v1 Events about objects, off the caller's thread.

Events are reports, not state: a component records one and moves on. They are
written by a background thread so a slow API never slows a scheduling cycle or a
pod sync, and a failed write is logged, never retried forever. A repeated event
is counted on the one already written (see event_correlation), so that thread is
the only one that knows what was written.

An event reacts to what its caller reacted to (apiclient.provenance): the cause
is taken when the event is recorded and restored in the writing thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from apiclient.client import ApiClient
from apiclient.errors import ApiClientError, ApiStatusError
from apiclient.event_correlation import Correlated, EventCorrelator
from apiclient.provenance import current_cause, reacting_to
from objects.kinds import EVENT

log = logging.getLogger(__name__)


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventRecorder:
    def __init__(self, client: ApiClient, *, component: str, host: str = ""):
        self.client = client
        self.component = component
        self.host = host
        self._correlator = EventCorrelator()
        self._queue: queue.Queue[tuple[dict[str, Any], int | None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._drain, name=f"events-{component}", daemon=True)
        self._thread.start()

    def event(self, obj: dict[str, Any], *, type_: str, reason: str, message: str, action: str = "",
              field_path: str = "") -> None:
        """Record that `reason` happened to `obj` (a Pod, a Node ...); `type_` is Normal or Warning."""
        meta, now = obj["metadata"], now_rfc3339()
        namespace = meta.get("namespace") or "default"
        involved = {"apiVersion": obj.get("apiVersion", "v1"), "kind": obj.get("kind", "Pod"), "name": meta["name"],
                    "uid": meta.get("uid", meta["name"]), "resourceVersion": meta.get("resourceVersion", "")}
        if meta.get("namespace"):
            involved["namespace"] = meta["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        source = {"component": self.component, **({"host": self.host} if self.host else {})}
        self._queue.put(({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": _event_name(meta["name"]), "namespace": namespace},
            "involvedObject": involved, "reason": reason, "message": message, "type": type_,
            "source": source, "reportingComponent": self.component, "reportingInstance": self.host or self.component,
            "firstTimestamp": now, "lastTimestamp": now, "count": 1, **({"action": action} if action else {}),
        }, current_cause()))

    def close(self) -> None:
        self._queue.put(None)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every recorded event was written (for tests and shutdown)."""
        done = threading.Event()
        self._queue.put(({"__flush__": done}, None))
        done.wait(timeout)

    def _drain(self) -> None:
        while (item := self._queue.get()) is not None:
            event, cause = item
            if "__flush__" in event:
                event["__flush__"].set()
                continue
            try:
                with reacting_to(cause):
                    self._write(self._correlator.correlate(event, now=time.monotonic()))
            except ApiClientError as error:
                log.warning("could not record event %s for %s: %s", event["reason"],
                            event["involvedObject"]["name"], error)
            except Exception:  # the writer must outlive one bad event, or events pile up for ever
                log.exception("recording event %s failed", event.get("reason"))

    def _write(self, correlated: Correlated) -> None:
        event, namespace = correlated.event, correlated.event["metadata"]["namespace"]
        stored = None
        if correlated.recount:
            recount = {"count": event["count"], "lastTimestamp": event["lastTimestamp"], "message": event["message"]}
            try:
                stored = self.client.patch(EVENT, event["metadata"]["name"], recount, namespace,
                                           patch_type="application/merge-patch+json")
            except ApiStatusError as error:
                if error.code != 404:
                    raise
                # the counted event was deleted meanwhile (by hand, or with its namespace): start again at 1
                fresh_name = _event_name(event["involvedObject"]["name"])
                event = {**event, "metadata": {**event["metadata"], "name": fresh_name},
                         "firstTimestamp": event["lastTimestamp"], "count": 1}
        if stored is None:
            stored = self.client.create(EVENT, event, namespace)
        self._correlator.written(correlated, stored)


def _event_name(object_name: str) -> str:
    return f"{object_name}.{uuid.uuid4().hex[:16]}"
