"""The `endpoints.kubernetes.io/last-change-trigger-time` annotation: when the change an endpoints write
follows happened, so a reader (a data path, a benchmark) can measure how long it took to get there.

As Kubernetes' TriggerTimeTracker: for each Service, remember the trigger time
of every selected pod (its Ready condition's last transition) and of the
Service (its creation) as the last sync saw them. The next sync exports the
earliest of the times that moved since, or the Service's creation the first
time it sees the Service; nothing moved means no annotation. Like Kubernetes',
it can be off when one object changes twice between two syncs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from master.controllers.endpoints_membership import EndpointPodView, readiness_trigger_time
from objects.meta import parse_time
from objects.service import Service

LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"


@dataclass
class _Seen:
    service: datetime | None = None
    pods: dict[str, datetime] = field(default_factory=dict)


class TriggerTimes:
    """Per Service key; a key is synced by one worker at a time, so only the map needs the lock."""

    def __init__(self) -> None:
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()

    def compute(self, key: str, service: Service, pods: list[EndpointPodView]) -> datetime | None:
        """The trigger time to export for this sync of `key` (None: none), remembering what it saw."""
        with self._lock:
            seen = self._seen.get(key)
        created = parse_time(service.metadata.creation_timestamp)
        pod_times = {pod.name: moment for pod in pods if (moment := parse_time(readiness_trigger_time(pod)))}
        moved = [moment for name, moment in pod_times.items()
                 if seen is None or name not in seen.pods or moment > seen.pods[name]]
        if created is not None and (seen is None or seen.service is None or created > seen.service):
            moved.append(created)
        with self._lock:
            self._seen[key] = _Seen(created, pod_times)
        if seen is None:
            return created  # a Service new to this controller: its endpoints date from its creation
        return min(moved) if moved else None

    def forget(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)


def rfc3339_nano(moment: datetime) -> str:
    """Go's time.RFC3339Nano: the fraction of a second only as long as it needs to be."""
    utc = moment.astimezone(timezone.utc)
    fraction = f"{utc.microsecond:06d}".rstrip("0")
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def with_trigger_time(annotations: dict[str, str] | None, moment: datetime | None) -> dict[str, str] | None:
    """The annotations with the trigger time set, or removed when there is none (addTriggerTimeAnnotation)."""
    updated = dict(annotations or {})
    if moment is None:
        updated.pop(LAST_CHANGE_TRIGGER_TIME, None)
    else:
        updated[LAST_CHANGE_TRIGGER_TIME] = rfc3339_nano(moment)
    return updated or None
