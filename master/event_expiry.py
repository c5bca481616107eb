"""Events expire: each one is deleted `ttl` seconds after its last write.

The apiserver stores every Event with an etcd lease of --event-ttl (one hour by
default), renewed whenever the event is written again (a recount). Without it
a cluster that runs for months keeps every "Pulling image" it ever reported.

The clock is the master's own, started by the write itself, never a time a
client put in the event: an event recorded with an old lastTimestamp still lives
its full ttl. After a restart every stored event starts a fresh ttl (etcd's
leases would have kept counting; a restart only makes events live longer).

    write of an event ─► remember (when, revision)
    every sweep       ─► delete the events last written more than ttl ago,
                         unless written again meanwhile (the delete names the revision)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from master.controllers.cache_view import ObjectView
from master.store import Conflict, NotFound, ObjectKey, SqlStore
from master.store.sql_store import DELETED, WatchEvent

log = logging.getLogger(__name__)

RESOURCE = "events"
DEFAULT_TTL_SECONDS = 3600.0  # kube-apiserver's --event-ttl default


class EventExpiry:
    def __init__(self, store: SqlStore, *, ttl_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.ttl = ttl_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._last_write: dict[ObjectKey, tuple[float, int]] = {}  # key -> (when, revision)
        self._subscription = store.subscribe(RESOURCE, self._observe)  # before the list, so no write is missed
        events, _ = store.list(RESOURCE)
        now = clock()
        with self._lock:
            # Every stored event is read at startup: through a view of its dict, as parsing each would slow the start.
            for event in map(ObjectView, events):
                key = ObjectKey(RESOURCE, event.namespace, event.name)
                self._last_write.setdefault(key, (now, int(event.resource_version)))

    def sweep_interval(self) -> float:
        """How often to look: a tenth of the ttl (so an event outlives it by at most 10 %), at most a minute."""
        return min(max(self.ttl / 10, 0.05), 60.0)

    def expire_due(self) -> int:
        """Delete every event whose ttl has run out; returns how many were deleted. Runs off the event loop."""
        deadline = self.clock() - self.ttl
        with self._lock:
            due = [(key, revision) for key, (when, revision) in self._last_write.items() if when <= deadline]
        deleted = 0
        for key, revision in due:
            try:
                self.store.delete(key, expected_revision=revision)
                deleted += 1
            except (NotFound, Conflict):  # already gone, or written again: its new write restarted the ttl
                pass
        return deleted

    def close(self) -> None:
        self._subscription.close()

    def _observe(self, change: WatchEvent) -> None:
        """Called by the store after each committed write of an event, under its write lock: keep it short."""
        with self._lock:
            if change.type == DELETED:
                self._last_write.pop(change.key, None)
            else:
                self._last_write[change.key] = (self.clock(), change.revision)
