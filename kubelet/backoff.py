"""Kubernetes' restart backoff: 10s, doubling to 300s, forgotten after 10 minutes of good behaviour.

Keyed by (pod uid, container name) for crash loops and by (pod uid, image) for
pulls. As in the kubelet, a window is measured from the moment of the failure
(a container's finishedAt), not from when the kubelet got round to looking.
Every duration is multiplied by the kubelet's time scale. Times are wall-clock
seconds, because the runtime reports exits in wall-clock time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

INITIAL_SECONDS = 10.0
MAX_SECONDS = 300.0
RESET_AFTER_SECONDS = 600.0


@dataclass
class _State:
    delay: float
    since: float  # when the last failure happened


class Backoff:
    def __init__(self, *, time_scale: float = 1.0, clock=time.time):
        self.scale = time_scale
        self.clock = clock
        self._states: dict[tuple[str, str], _State] = {}
        self._lock = threading.Lock()

    def failed(self, key: tuple[str, str], *, at: float | None = None) -> float:
        """Record a failure (now, or at `at`); returns the wait it starts: 10s, 20s, 40s ... scaled."""
        moment = self.clock() if at is None else at
        with self._lock:
            state = self._states.get(key)
            if state is None or moment - state.since > RESET_AFTER_SECONDS * self.scale:
                delay = INITIAL_SECONDS * self.scale
            else:
                delay = self._after(state.delay)
            self._states[key] = _State(delay, moment)
            return delay

    def remaining(self, key: tuple[str, str], *, since: float | None = None) -> float:
        """Seconds left before a new try; `since` is when the latest failure happened (default: the
        recorded one). 0 when no backoff is running."""
        ends = self.ends_at(key, since=since)
        return 0.0 if ends is None else max(0.0, ends - self.clock())

    def ends_at(self, key: tuple[str, str], *, since: float | None = None) -> float | None:
        """The wall-clock moment the running wait lets a new try happen (`since` as for `remaining`);
        None when no backoff is running. What `why` publishes as NextRestart and NextPull."""
        with self._lock:
            state = self._states.get(key)
            if state is None:
                return None
            return (state.since if since is None else since) + state.delay

    def sequence(self) -> list[float]:
        """The waits this backoff goes through, scaled: 10, 20, 40 ... up to 300 seconds at scale 1."""
        waits = [INITIAL_SECONDS * self.scale]
        while waits[-1] < MAX_SECONDS * self.scale:
            waits.append(self._after(waits[-1]))
        return waits

    def _after(self, delay: float) -> float:
        """The wait that follows `delay`."""
        return min(delay * 2, MAX_SECONDS * self.scale)

    def forget_pod(self, pod_uid: str) -> None:
        with self._lock:
            for key in [k for k in self._states if k[0] == pod_uid]:
                del self._states[key]
