"""Kubernetes' restart backoff: 10s, doubling to 300s, forgotten after 10 minutes of good behaviour.

Keyed by (pod uid, container name) for crash loops and by (pod uid, image) for
pulls. Every duration is multiplied by the kubelet's time scale.
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
    until: float
    last_failure: float


class Backoff:
    def __init__(self, *, time_scale: float = 1.0, clock=time.monotonic):
        self.scale = time_scale
        self.clock = clock
        self._states: dict[tuple[str, str], _State] = {}
        self._lock = threading.Lock()

    def failed(self, key: tuple[str, str]) -> float:
        """Record a failure now; returns how long to wait before the next try."""
        now = self.clock()
        with self._lock:
            state = self._states.get(key)
            if state is None or now - state.last_failure > RESET_AFTER_SECONDS * self.scale:
                delay = INITIAL_SECONDS * self.scale
            else:
                delay = min(state.delay * 2, MAX_SECONDS * self.scale)
            self._states[key] = _State(delay, now + delay, now)
            return delay

    def remaining(self, key: tuple[str, str]) -> float:
        """Seconds left in the current backoff window; 0 when a new try is allowed."""
        with self._lock:
            state = self._states.get(key)
            return max(0.0, state.until - self.clock()) if state else 0.0

    def forget_pod(self, pod_uid: str) -> None:
        with self._lock:
            for key in [k for k in self._states if k[0] == pod_uid]:
                del self._states[key]
