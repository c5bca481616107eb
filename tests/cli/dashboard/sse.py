"""A test's reader of the dashboard's Server-Sent Events, with a timeout on every wait."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    name: str
    data: Any


class EventStream:
    """Reads /api/stream in a thread of its own, so `next` can give up after a timeout even when the
    server sends nothing at all."""

    def __init__(self, client: httpx.Client, path: str = "/api/stream"):
        self._events: queue.Queue[Event | BaseException] = queue.Queue()
        self._response_cm = client.stream("GET", path, timeout=httpx.Timeout(10, read=None))
        self.response = self._response_cm.__enter__()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        name, data = "message", []
        try:
            for line in self.response.iter_lines():
                if line.startswith("event:"):
                    name = line[len("event:"):].strip()
                elif line.startswith("data:"):
                    data.append(line[len("data:"):].strip())
                elif not line and data:
                    self._events.put(Event(name, json.loads("\n".join(data))))
                    name, data = "message", []
        except BaseException as error:  # the stream closed under us (the test is done) or broke
            self._events.put(error)

    def next(self, timeout: float = 10.0) -> Event:
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event from the dashboard's stream within {timeout}s") from None
        if isinstance(item, BaseException):
            raise AssertionError(f"the dashboard's stream ended: {item!r}") from item
        return item

    def until(self, predicate, *, timeout: float = 10.0, what: str = "an event") -> Event:
        """The first event `predicate` accepts, skipping the others."""
        deadline = time.monotonic() + timeout
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.next(timeout=left)
            except AssertionError:
                break
            if predicate(event):
                return event
            seen.append(event.name)
        raise AssertionError(f"no {what} within {timeout}s (saw {seen})")

    def close(self) -> None:
        self.response.close()
        self._response_cm.__exit__(None, None, None)

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class MapMirror:
    """What a page would draw: the snapshot with every change since applied, read from a stream."""

    def __init__(self, stream: EventStream):
        self.stream = stream
        self.status: dict | None = None
        self.revision = 0
        self.nodes: dict[str, dict] = {}
        self.pods: dict[str, dict] = {}
        self.deployments: dict[str, dict] = {}
        self.events: list[Event] = []

    def apply(self, event: Event) -> None:
        self.events.append(event)
        if event.name == "status":
            self.status = event.data
        elif event.name == "snapshot":
            self.revision = event.data["revision"]
            self.nodes = {n["name"]: n for n in event.data["nodes"]}
            self.pods = {f"{p['namespace']}/{p['name']}": p for p in event.data["pods"]}
            self.deployments = {f"{d['namespace']}/{d['name']}": d for d in event.data["deployments"]}
        elif event.name == "change":
            self.revision = event.data["revision"]
            kind = event.data["kind"]
            view = event.data[kind.lower()]
            views, key = {"Node": (self.nodes, view["name"]),
                          "Pod": (self.pods, f"{view.get('namespace')}/{view['name']}"),
                          "Deployment": (self.deployments, f"{view.get('namespace')}/{view['name']}")}[kind]
            if event.data["type"] == "DELETED":
                views.pop(key, None)
            else:
                views[key] = view

    def wait_until(self, condition, *, timeout: float = 10.0, what: str = "the map to show it"):
        """Apply events until `condition(self)` holds; returns its value."""
        deadline = time.monotonic() + timeout
        while not (result := condition(self)):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what} "
                                     f"(events: {[e.name for e in self.events]})")
            try:
                self.apply(self.stream.next(timeout=left))
            except AssertionError:
                continue
        return result
