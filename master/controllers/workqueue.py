"""A work queue of object keys, as client-go's: deduplicated, one worker per key at a time, rate-limited retries.

    add(key) ─► dirty ─► get() hands it to one worker ─► processing ─► done(key)
                 ▲                                                      │
                 └────── added again while processing: queued once more ┘

A key is never processed by two workers at once, and ten adds while it waits
still mean one reconcile: controllers are level-triggered, so the latest state
is all that matters.

Each add also remembers what it reacted to (apiclient.provenance: the revision
of the watch event whose handler added the key), the newest one winning while
the key waits. The worker that takes the key reads it with `cause_of(key)` and
reconciles inside `reacting_to(...)`, so the writes it makes say which event
led to them, although the handler ran in the informer's thread.

Some events only nudge a key: a controller's own status write coming back
through its watch changes nothing it acts on. `add(key, nudge=True)` gives
such an event's revision as the cause only while no other event waits, so a
pod deletion is not hidden behind the status write that raced it.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque

from apiclient.provenance import current_cause

BASE_DELAY_SECONDS = 0.005
MAX_DELAY_SECONDS = 60.0


class WorkQueue:
    def __init__(self, *, clock=time.monotonic):
        self._clock = clock
        self._cond = threading.Condition()
        self._queue: deque[str] = deque()
        self._dirty: set[str] = set()
        self._processing: set[str] = set()
        self._delayed: list[tuple[float, int, str, int | None]] = []
        self._causes: dict[str, tuple[bool, int]] = {}  # waiting keys: (not a nudge, revision) that queued each
        self._taken_causes: dict[str, int] = {}  # keys a worker holds: the cause of this round
        self._failures: dict[str, int] = {}
        self._tiebreak = itertools.count()
        self._closed = False

    def add(self, key: str, *, nudge: bool = False) -> None:
        """Queue `key`, remembering the revision the caller reacts to as its cause (with `nudge`,
        only until an event that is no nudge queues it)."""
        with self._cond:
            self._add(key, current_cause(), nudge=nudge)

    def add_after(self, key: str, seconds: float) -> None:
        """Add `key` once `seconds` have passed (a requeue with backoff, or a timer a controller waits for).

        The cause is taken now: a timer fires because of what the caller saw when it set it."""
        with self._cond:
            heapq.heappush(self._delayed, (self._clock() + seconds, next(self._tiebreak), key, current_cause()))
            self._cond.notify()

    def retry(self, key: str) -> None:
        """Reconcile failed: try again after 5ms, 10ms, 20ms ... up to a minute."""
        with self._cond:
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
        self.add_after(key, min(BASE_DELAY_SECONDS * 2 ** failures, MAX_DELAY_SECONDS))

    def forget(self, key: str) -> None:
        """Reconcile succeeded: its backoff starts over."""
        with self._cond:
            self._failures.pop(key, None)

    def get(self, timeout: float | None = None) -> str | None:
        """The next key to reconcile (now owned by the caller until done()); None on close or timeout."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._cond:
            while not self._closed:
                self._release_due()
                if self._queue:
                    key = self._queue.popleft()
                    self._dirty.discard(key)
                    self._processing.add(key)
                    self._take_cause(key)
                    return key
                wait = self._delayed[0][0] - self._clock() if self._delayed else 1.0
                if deadline is not None:
                    wait = min(wait, deadline - self._clock())
                    if wait <= 0:
                        return None
                self._cond.wait(max(wait, 0.001))
            return None

    def cause_of(self, key: str) -> int | None:
        """The revision that queued the round of `key` a worker holds now (None: no event said)."""
        with self._cond:
            return self._taken_causes.get(key)

    def done(self, key: str) -> None:
        with self._cond:
            self._processing.discard(key)
            self._taken_causes.pop(key, None)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _add(self, key: str, cause: int | None, *, nudge: bool) -> None:
        if self._closed:
            return
        if cause is not None and (not nudge, cause) > self._causes.get(key, (False, 0)):
            self._causes[key] = (not nudge, cause)
        if key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._queue.append(key)
            self._cond.notify()

    def _take_cause(self, key: str) -> None:
        _, cause = self._causes.pop(key, (False, None))
        if cause is None:
            self._taken_causes.pop(key, None)
        else:
            self._taken_causes[key] = cause

    def _release_due(self) -> None:
        now = self._clock()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, key, cause = heapq.heappop(self._delayed)
            self._add(key, cause, nudge=False)
