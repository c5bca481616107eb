"""Typed views of the wire dicts an informer caches, for the loops that walk the whole cache.

The controllers read the objects a reconcile is about (a ReplicaSet, a
Deployment, a DaemonSet, a Node) as `objects/` models. The pods they filter are
another matter: the ReplicaSet controller walks every pod of a namespace on each
reconcile, the DaemonSet and Deployment controllers every pod, and the garbage
collector's graph holds every object of five kinds. Parsing a pod into
`objects.pod.Pod` costs about 60 µs (300 ms for 5,000 pods, against 2 ms to read
the same fields from the dicts), so those loops wrap each cached dict in a view
instead: no copy, no validation, typed properties over the raw fields. Over
5,000 cached pods, claiming a ReplicaSet's pods through views costs what the
dict code did (about 6 ms either way). A view never writes; `raw` is the
informer's own dict, shared with every other reader, so it must not be changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from objects.meta import OwnerReference
from objects.phases import FINISHED_PHASES, ConditionStatus, PodConditionType, PodPhase, is_finished_phase
from objects.pod import PodCondition, Toleration, seconds_until_available


class ObjectView:
    """The metadata every kind shares, read from a cached wire dict."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    @property
    def name(self) -> str:
        return self.raw["metadata"]["name"]

    @property
    def namespace(self) -> str:
        return self.raw["metadata"].get("namespace") or ""

    @property
    def key(self) -> str:
        """namespace/name, the informer's and the work queue's key."""
        return f"{self.namespace}/{self.name}"

    @property
    def uid(self) -> str:
        return self.raw["metadata"]["uid"]

    @property
    def resource_version(self) -> str:
        return self.raw["metadata"]["resourceVersion"]

    @property
    def labels(self) -> dict[str, str]:
        return self.raw["metadata"].get("labels") or {}

    @property
    def annotations(self) -> dict[str, str]:
        return self.raw["metadata"].get("annotations") or {}

    @property
    def creation_timestamp(self) -> str:
        return self.raw["metadata"].get("creationTimestamp") or ""

    @property
    def is_terminating(self) -> bool:
        return bool(self.raw["metadata"].get("deletionTimestamp"))

    @property
    def finalizers(self) -> list[str]:
        return self.raw["metadata"].get("finalizers") or []

    def owner_references(self) -> list[OwnerReference]:
        """Every owner reference, parsed (a method, not a property: it builds models)."""
        return [OwnerReference.model_validate(ref) for ref in self.raw["metadata"].get("ownerReferences") or []]

    @property
    def controller_uid(self) -> str | None:
        """The uid its controller reference names ("" if that names none), None for an orphan; builds no model."""
        for ref in self.raw["metadata"].get("ownerReferences") or ():
            if ref.get("controller"):
                return ref.get("uid") or ""
        return None

    def controller_ref(self) -> OwnerReference | None:
        ref = self._controller_ref_raw()
        return None if ref is None else OwnerReference.model_validate(ref)

    def _controller_ref_raw(self) -> dict[str, Any] | None:
        return next((ref for ref in self.raw["metadata"].get("ownerReferences") or [] if ref.get("controller")),
                    None)


class PodView(ObjectView):
    """A cached pod: what the workload and node controllers ask of it, without parsing it into a Pod."""

    __slots__ = ()

    @property
    def node_name(self) -> str | None:
        return (self.raw.get("spec") or {}).get("nodeName") or None

    @property
    def phase(self) -> PodPhase | None:
        phase = (self.raw.get("status") or {}).get("phase")
        try:
            return PodPhase(phase) if phase else None
        except ValueError:  # a phase this version does not know: as good as none
            return None

    @property
    def is_finished(self) -> bool:
        return is_finished_phase((self.raw.get("status") or {}).get("phase"))

    @property
    def is_active(self) -> bool:
        """controller.IsPodActive: not finished and not being deleted, so it still counts toward replicas."""
        # Asked of every cached pod on each ReplicaSet reconcile: read in one go rather than through two properties.
        raw = self.raw
        phase = (raw.get("status") or {}).get("phase")
        return not raw["metadata"].get("deletionTimestamp") and phase not in FINISHED_PHASES

    def tolerations(self) -> list[Toleration]:
        """spec.tolerations, parsed (a method, not a property: it builds models)."""
        return [Toleration.model_validate(t) for t in (self.raw.get("spec") or {}).get("tolerations") or []]

    @property
    def restart_count(self) -> int:
        return sum(c.get("restartCount") or 0 for c in (self.raw.get("status") or {}).get("containerStatuses") or [])

    def condition(self, type_: str) -> PodCondition | None:
        found = next((c for c in (self.raw.get("status") or {}).get("conditions") or [] if c.get("type") == type_),
                     None)
        return None if found is None else PodCondition.model_validate(found)

    @property
    def is_ready(self) -> bool:
        # Read from the dict: it is asked of every pod a controller counts, and parsing the condition is not needed.
        return any(c.get("type") == PodConditionType.READY and c.get("status") == ConditionStatus.TRUE
                   for c in (self.raw.get("status") or {}).get("conditions") or [])

    def seconds_until_available(self, min_ready_seconds: int, now: datetime) -> float | None:
        """As Pod.seconds_until_available: 0 when available, the wait left when ready but not yet, None if not ready."""
        if not self.is_ready:
            return None
        return seconds_until_available(self.condition(PodConditionType.READY), min_ready_seconds, now)

    def is_available(self, min_ready_seconds: int, now: datetime) -> bool:
        return self.seconds_until_available(min_ready_seconds, now) == 0.0


def only_status_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Did only the status (and the bookkeeping of metadata) move between two cached revisions?

    A controller's own status write comes back through its watch as such an
    update: it queues the object again but is no cause worth recording."""
    return old.get("spec") == new.get("spec") and _meta_that_matters(old) == _meta_that_matters(new)


def _meta_that_matters(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw["metadata"].items() if k not in ("resourceVersion", "managedFields")}
