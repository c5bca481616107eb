"""The scheduling queue: which pending pod to try next, and when to try again.

    add ─► active ──pop──► cycle ──no node fits──► unschedulable ──cluster changed──► backoff ─► active
                             └──bind failed──────► backoff (1s, 2s, 4s … max 10s) ───────────────┘

As in kube-scheduler, a pod that fitted nowhere waits in `unschedulable` until
something happens that could help it (a node added or changed, a pod deleted or
finished); it then passes through backoff so a flapping cluster cannot spin the
scheduler. A periodic flush moves every pod that waited too long back anyway:
a Pending pod must never stay stuck after capacity frees.

A change can land while a pod is in its cycle, after the cycle took its
snapshot: the new node was not among those it tried. Parking that pod would
lose the change until the flush, so, as kube-scheduler's moveRequestCycle does,
a pod whose cycle began no later than the last change goes to backoff instead.

The queue also remembers, per pending pod, why it was sent back (the cause the
caller gave: "node node-2 added", "pod default/web-1 deleted from node-1") and
its latest attempts, which the explanation shows as the pod's history. A cause
is one string per event, handed over as is: moving a thousand parked pods costs
one attribute write each, no formatting. An entry, and with it the history,
goes when the pod is bound or deleted.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from objects.explanation import Attempt
from objects.why import moment

INITIAL_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 10.0
MAX_UNSCHEDULABLE_SECONDS = 60.0
ATTEMPTS_KEPT = 10

# Causes the queue names itself; the others come from the caller's event.
BACKOFF_EXPIRED = "backoff expired"
PERIODIC_RETRY = "no cluster change for {:g}s: periodic retry"


@dataclass
class _Entry:
    key: str
    attempts: int = 0
    unschedulable_since: float = 0.0
    popped_in_cycle: int = 0  # the scheduling cycle that last took this pod
    requeued_by: str = ""  # the change that sent it back, for its next attempt
    attempt_cause: str = ""  # the change that started the attempt now under way
    history: deque[Attempt] = field(default_factory=lambda: deque(maxlen=ATTEMPTS_KEPT))


class SchedulingQueue:
    def __init__(self, *, time_scale: float = 1.0, clock=time.monotonic):
        self._scale = time_scale
        self._clock = clock
        self._cond = threading.Condition()
        self._entries: dict[str, _Entry] = {}
        self._active: OrderedDict[str, None] = OrderedDict()
        self._backoff: list[tuple[float, int, str]] = []  # (ready at, tiebreak, key)
        self._unschedulable: set[str] = set()
        self._tiebreak = itertools.count()
        self._closed = False
        self._cycle = 0  # counts pops: one scheduling cycle each
        self._changed_in_cycle = -1  # the cycle during which the cluster last changed
        self._last_change = ""  # what that change was
        self._periodic_retry = PERIODIC_RETRY.format(MAX_UNSCHEDULABLE_SECONDS * time_scale)

    def add(self, key: str, *, cause: str = "") -> None:
        """A new pending pod (no cause), or a changed one ("pod spec changed"): try it now."""
        with self._cond:
            entry = self._entries.setdefault(key, _Entry(key))
            if cause:
                entry.requeued_by = cause
            self._unschedulable.discard(key)
            self._activate(key)

    def remove(self, key: str) -> None:
        """The pod was deleted or bound elsewhere."""
        with self._cond:
            self._entries.pop(key, None)
            self._active.pop(key, None)
            self._unschedulable.discard(key)

    def pop(self, timeout: float | None = None) -> str | None:
        """The next pod to schedule, waiting for one; None on timeout or close."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._cond:
            while not self._closed:
                self._flush_locked()
                if self._active:
                    key, _ = self._active.popitem(last=False)
                    self._cycle += 1
                    entry = self._entries[key]
                    entry.popped_in_cycle = self._cycle
                    entry.attempt_cause, entry.requeued_by = entry.requeued_by, ""
                    return key
                wait = self._next_wake_locked()
                if deadline is not None:
                    wait = min(wait, deadline - self._clock())
                    if wait <= 0:
                        return None
                self._cond.wait(wait)
            return None

    def unschedulable(self, key: str) -> None:
        """No node fitted: park until the cluster changes."""
        with self._cond:
            entry = self._entries.get(key)
            if entry is None:
                return
            entry.attempts += 1
            entry.unschedulable_since = self._clock()
            if self._changed_in_cycle >= entry.popped_in_cycle:
                entry.requeued_by = self._last_change
                self._to_backoff_locked(entry)  # the cluster changed since this pod's cycle began
                return
            self._unschedulable.add(key)

    def retry_later(self, key: str, *, cause: str = BACKOFF_EXPIRED) -> None:
        """A transient failure (bind conflict, API error): try again after backoff."""
        with self._cond:
            entry = self._entries.get(key)
            if entry is None:
                return
            entry.attempts += 1
            entry.requeued_by = cause
            self._to_backoff_locked(entry)

    def record_attempt(self, key: str, *, result: str, message: str, at: float) -> list[Attempt]:
        """Note the attempt just made (`at`: wall-clock seconds) with the change that started it;
        the pod's latest attempts, oldest first. A pod deleted meanwhile gets this one alone."""
        with self._cond:
            entry = self._entries.get(key)
            attempt = Attempt(time=moment(at), result=result, message=message,
                              requeued_by=entry.attempt_cause if entry else "")
            if entry is None:
                return [attempt]
            entry.history.append(attempt)
            return list(entry.history)

    def done(self, key: str) -> None:
        """Bound: the pod leaves the queue for good."""
        self.remove(key)

    def cluster_changed(self, cause: str) -> None:
        """Something happened that could make parked pods fit: move them on, through backoff.
        `cause` says what, in a few words ("node node-2 added"); each pod's next attempt shows it."""
        with self._cond:
            self._changed_in_cycle = self._cycle
            self._last_change = cause
            for key in list(self._unschedulable):
                self._unschedulable.discard(key)
                entry = self._entries[key]
                entry.requeued_by = cause
                self._to_backoff_locked(entry)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._entries)

    # ----- internals (caller holds the condition)

    def _activate(self, key: str) -> None:
        self._active[key] = None
        self._cond.notify()

    def _backoff_seconds(self, entry: _Entry) -> float:
        return min(INITIAL_BACKOFF_SECONDS * 2 ** max(entry.attempts - 1, 0), MAX_BACKOFF_SECONDS) * self._scale

    def _to_backoff_locked(self, entry: _Entry) -> None:
        ready_at = self._clock() + self._backoff_seconds(entry)
        heapq.heappush(self._backoff, (ready_at, next(self._tiebreak), entry.key))
        self._cond.notify()

    def _flush_locked(self) -> None:
        now = self._clock()
        while self._backoff and self._backoff[0][0] <= now:
            _, _, key = heapq.heappop(self._backoff)
            if key in self._entries and key not in self._unschedulable:
                self._active[key] = None
        limit = MAX_UNSCHEDULABLE_SECONDS * self._scale
        for key in [k for k in self._unschedulable if now - self._entries[k].unschedulable_since >= limit]:
            self._unschedulable.discard(key)
            self._entries[key].requeued_by = self._periodic_retry
            self._active[key] = None

    def _next_wake_locked(self) -> float:
        waits = [1.0 * self._scale]
        if self._backoff:
            waits.append(self._backoff[0][0] - self._clock())
        return max(min(waits), 0.001)
