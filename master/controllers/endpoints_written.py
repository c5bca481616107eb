"""What an endpoint controller last wrote, so a sync never acts on a cache that has not seen it yet.

The informer's cache lags behind the controller's own writes. A sync that read
an Endpoints or EndpointSlice older than the one it just wrote would compare the
wanted state with the past: it could skip a needed update, or create a second
slice for endpoints the first already holds. So each write is remembered (the
revision the API answered, or that the object is gone) until the cache shows it,
and a sync first asks `behind`: then it waits for the watch instead of acting
(Kubernetes' EndpointSliceTracker and staleEndpointsTracker).

Revisions are the store's global counter, so a cached object at or past the
remembered revision has caught up (a later write by someone else included).
A remembered write the cache never shows is given up after EXPECTATION_SECONDS:
a lost watch event must not stop a Service for good.
"""

from __future__ import annotations

import threading
import time
from typing import Any

EXPECTATION_SECONDS = 30.0
# A sync found the cache behind our last write, or a write met a newer object: look again this soon
# (the watch event that catches the cache up usually comes first).
STALE_RECHECK_SECONDS = 0.05
GONE = -1  # remembered for an object the controller deleted


class WrittenVersions:
    def __init__(self, *, clock=time.monotonic):
        self._clock = clock
        self._expected: dict[str, dict[str, tuple[int, float]]] = {}  # key -> object name -> (revision, when)
        self._lock = threading.Lock()

    def wrote(self, key: str, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self._remember(key, meta["name"], _revision(meta.get("resourceVersion")))

    def deleted(self, key: str, name: str) -> None:
        self._remember(key, name, GONE)

    def behind(self, key: str, cached: dict[str, dict[str, Any]]) -> bool:
        """Does the cache (object name -> cached object, of this key's objects) lack a write of ours?
        Writes it shows are forgotten."""
        with self._lock:
            expected = self._expected.get(key)
            if not expected:
                return False
            now = self._clock()
            for name, (revision, since) in list(expected.items()):
                if _caught_up(cached.get(name), revision) or now - since > EXPECTATION_SECONDS:
                    del expected[name]
            if not expected:
                del self._expected[key]
                return False
            return True

    def forget(self, key: str) -> None:
        with self._lock:
            self._expected.pop(key, None)

    def _remember(self, key: str, name: str, revision: int) -> None:
        with self._lock:
            self._expected.setdefault(key, {})[name] = (revision, self._clock())


def _caught_up(cached: dict[str, Any] | None, revision: int) -> bool:
    if revision == GONE:
        return cached is None
    return cached is not None and _revision(cached["metadata"].get("resourceVersion")) >= revision


def _revision(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:  # not the store's counter: never waited for
        return 0
