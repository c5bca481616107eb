"""Fan-out of committed writes to live watchers, inside the master process.

The master is the only writer of its database, so a watcher never needs to poll:
the store hands every committed event to the hub, in revision order, while it
still holds its write lock. Each subscriber supplies its own `deliver` callback
(the API layer's puts the event on an asyncio queue), so the hub knows nothing
about threads or event loops.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from master.store.sql_store import WatchEvent

log = logging.getLogger(__name__)


class Subscription:
    def __init__(self, hub: WatchHub, resource: str, deliver: Callable[[WatchEvent], None]):
        self.hub = hub
        self.resource = resource
        self.deliver = deliver

    def close(self) -> None:
        self.hub.unsubscribe(self)


class WatchHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_resource: dict[str, set[Subscription]] = {}

    def subscribe(self, resource: str, deliver: Callable[[WatchEvent], None]) -> Subscription:
        subscription = Subscription(self, resource, deliver)
        with self._lock:
            self._by_resource.setdefault(resource, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._by_resource.get(subscription.resource, set()).discard(subscription)

    def subscriber_count(self, resource: str) -> int:
        with self._lock:
            return len(self._by_resource.get(resource, ()))

    def publish(self, event: WatchEvent) -> None:
        with self._lock:
            subscribers = list(self._by_resource.get(event.key.resource, ()))
        for subscription in subscribers:
            try:
                subscription.deliver(event)
            except Exception:  # a broken watcher must not stop the others
                log.exception("dropping watcher of %s", subscription.resource)
                self.unsubscribe(subscription)
