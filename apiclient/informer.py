"""Informer: keep a local copy of a kind current with list + watch, and tell handlers what changed.

    list ─► replace the local copy (synthesising deletes for what vanished) ─► watch from the list's rv
      ▲                                                                            │
      └──────────── stream ended, 410 Expired, or server unreachable (backoff) ◄───┘

This is client-go's reflector and informer reduced to one loop. Handlers run in
the informer's thread, in event order; they must be quick (hand work to a
queue). `synced` is set once the first list has been delivered, so a consumer
can wait for a complete view before acting on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from apiclient.client import ApiClient
from apiclient.errors import ApiClientError, Expired
from apiclient.provenance import reacting_to
from objects.kinds import ResourceType

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
UpdateHandler = Callable[[dict[str, Any], dict[str, Any]], None]

INITIAL_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
WATCH_TIMEOUT_SECONDS = 300


def object_key(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


class Informer:
    def __init__(
        self, client: ApiClient, rt: ResourceType, *, namespace: str | None = None, field_selector: str = "",
        label_selector: str = "", on_add: Handler | None = None, on_update: UpdateHandler | None = None,
        on_delete: Handler | None = None,
    ):
        self.client, self.rt, self.namespace = client, rt, namespace
        self.field_selector, self.label_selector = field_selector, label_selector
        self.on_add = on_add or (lambda obj: None)
        self.on_update = on_update or (lambda old, new: None)
        self.on_delete = on_delete or (lambda obj: None)
        self.synced = threading.Event()
        self._objects: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._objects.get(key)

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._objects.values())

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name=f"informer-{self.rt.plural}", daemon=True)
        thread.start()
        return thread

    def run(self, stop: threading.Event) -> None:
        backoff = INITIAL_BACKOFF_SECONDS
        resource_version: str | None = None  # None: list first
        while not stop.is_set():
            try:
                if resource_version is None:
                    resource_version = self._list()
                resource_version = self._watch(resource_version, stop)
                backoff = INITIAL_BACKOFF_SECONDS
            except Expired:
                log.info("%s watch expired; listing again", self.rt.plural)
                resource_version = None
            except ApiClientError as error:
                log.warning("%s informer: %s; retrying in %.1fs", self.rt.plural, error, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            except Exception:  # a handler bug must not kill the loop
                log.exception("%s informer failed; retrying in %.1fs", self.rt.plural, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _list(self) -> str:
        listed = self.client.list(self.rt, self.namespace, label_selector=self.label_selector,
                                  field_selector=self.field_selector)
        fresh = {object_key(obj): obj for obj in listed["items"]}
        with self._lock:
            previous, self._objects = self._objects, fresh
        for key, obj in previous.items():
            if key not in fresh:
                self._deliver(self.on_delete, obj)
        for key, obj in fresh.items():
            old = previous.get(key)
            if old is None:
                self._deliver(self.on_add, obj)
            elif old["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._deliver(self.on_update, old, obj)
        self.synced.set()
        return listed["metadata"]["resourceVersion"]

    def _watch(self, resource_version: str, stop: threading.Event) -> str:
        """Follow one watch stream; returns the last revision seen, to resume from."""
        for event_type, obj in self.client.watch(
            self.rt, self.namespace, resource_version=resource_version, label_selector=self.label_selector,
            field_selector=self.field_selector, timeout_seconds=WATCH_TIMEOUT_SECONDS, stop=stop,
        ):
            resource_version = obj["metadata"].get("resourceVersion", resource_version)
            key = object_key(obj)
            with self._lock:
                old = self._objects.get(key)
                if event_type == "DELETED":
                    self._objects.pop(key, None)
                else:
                    self._objects[key] = obj
            if event_type == "DELETED":
                self._deliver(self.on_delete, obj)
            elif old is None:
                self._deliver(self.on_add, obj)
            else:
                self._deliver(self.on_update, old, obj)
        return resource_version

    def _deliver(self, handler: Callable[..., None], *objects: dict[str, Any]) -> None:
        """Call one handler; a handler that raises is logged and the others still get their events
        (the local copy already moved, so a relist would not deliver it again).

        The handler runs reacting to the event's resourceVersion: a work queue that
        takes a key here remembers it as the cause of the writes its reconcile makes."""
        try:
            with reacting_to(objects[-1].get("metadata", {}).get("resourceVersion")):
                handler(*objects)
        except Exception:
            log.exception("%s informer: a handler failed on %s", self.rt.plural, object_key(objects[-1]))
