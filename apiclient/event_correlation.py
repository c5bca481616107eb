"""What an EventRecorder does with an event before writing it, as client-go's recorder does.

A crash-looping container or an unschedulable pod reports the same thing again
and again. Writing each report as a new Event would bury everything else, so:

- **Counting.** An event identical to one already written (same source, object,
  field path, type, reason and message) is not written again: the written one's
  `count` goes up and its `lastTimestamp` moves. `kubectl describe` then shows
  `4s (x5 over 2m)`.
- **Combining.** Once one source has reported ten different messages for the same
  object, type and reason within ten minutes, the next ones are counted on a single
  event whose message starts `(combined from similar events): `.

The memory is bounded (least recently used keys are forgotten, and a forgotten
event simply starts again at count 1), and only one recorder thread uses it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

CACHE_ENTRIES = 4096
COMBINE_AFTER_MESSAGES = 10
COMBINE_WITHIN_SECONDS = 600.0
COMBINED_PREFIX = "(combined from similar events): "


@dataclass
class Correlated:
    """The event to write, and whether it is a new object or a recount of a written one."""
    event: dict[str, Any]
    recount: bool  # patch count, lastTimestamp and message of the event named in event["metadata"]["name"]
    key: tuple[str, ...]  # hand back to written() once the server holds it


@dataclass
class _Written:
    name: str
    count: int
    first_timestamp: str


@dataclass
class _SimilarMessages:
    messages: set[str] = field(default_factory=set)
    last_seen: float = 0.0


class _LRU(OrderedDict):
    def remember(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > CACHE_ENTRIES:
            self.popitem(last=False)


def _object_key(event: dict[str, Any]) -> tuple[str, ...]:
    source, involved = event.get("source") or {}, event["involvedObject"]
    return (source.get("component", ""), source.get("host", ""), involved.get("kind", ""),
            involved.get("namespace", ""), involved.get("name", ""), involved.get("uid", ""),
            involved.get("apiVersion", ""))


def _identity(event: dict[str, Any]) -> tuple[str, ...]:
    """What makes two events the same event: everything but the times and the name."""
    return (*_object_key(event), event["involvedObject"].get("fieldPath", ""), event.get("type", ""),
            event.get("reason", ""), event.get("message", ""))


class EventCorrelator:
    def __init__(self) -> None:
        self._written: _LRU = _LRU()  # identity -> the event written for it
        self._similar: _LRU = _LRU()  # (object, type, reason) -> the distinct messages seen lately

    def correlate(self, event: dict[str, Any], *, now: float) -> Correlated:
        """`event` is a fresh event (count 1); `now` is a monotonic clock reading."""
        event, key = self._combine(event, now)
        written = self._written.get(key)
        if written is None:
            return Correlated(event, recount=False, key=key)
        recounted = {**event, "metadata": {**event["metadata"], "name": written.name},
                     "firstTimestamp": written.first_timestamp, "count": written.count + 1}
        return Correlated(recounted, recount=True, key=key)

    def written(self, correlated: Correlated, stored: dict[str, Any]) -> None:
        """The server now holds `stored` for `correlated`: later identical events count on it."""
        self._written.remember(correlated.key, _Written(stored["metadata"]["name"], int(stored.get("count") or 1),
                                                        stored.get("firstTimestamp") or ""))

    def _combine(self, event: dict[str, Any], now: float) -> tuple[dict[str, Any], tuple[str, ...]]:
        group = (*_object_key(event), event.get("type", ""), event.get("reason", ""),
                 event.get("reportingComponent", ""), event.get("reportingInstance", ""))
        similar = self._similar.get(group)
        if similar is None or now - similar.last_seen > COMBINE_WITHIN_SECONDS:
            similar = _SimilarMessages()
        similar.messages.add(event.get("message", ""))
        similar.last_seen = now
        self._similar.remember(group, similar)
        if len(similar.messages) < COMBINE_AFTER_MESSAGES:
            return event, _identity(event)
        similar.messages.pop()  # stay at the threshold, so the group keeps combining
        combined = {**event, "message": COMBINED_PREFIX + event.get("message", "")}
        return combined, ("combined", *group)  # every combined message counts on one event
