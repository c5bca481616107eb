"""Writes what the scheduler has to say (events, PodScheduled=False, explanations) off the hot path.

Binding is what places a pod; these writes only report it, so they go through a
queue drained by background threads and never slow a cycle down. Explanations
are coalesced per pod: if a pod is retried before its last explanation was
written, only the newest is dumped (`to_wire()`) and sent.

An explanation of a pod no node fitted comes with `advise`, the search for
suggestions (suggestions.py): it reads the API (the pod's owners) and scans
every node, so it runs here, just before the write, and only for the newest
attempt of each pod. If it fails, the explanation is written without them.

Each write reacts to what its caller reacted to when it was queued (the pod
revision the cycle scheduled: apiclient.provenance), restored in the writing
thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from apiclient import ApiClient, ApiClientError
from apiclient.events import EventRecorder, now_rfc3339
from apiclient.provenance import current_cause, reacting_to
from objects.explanation import SchedulingExplanation, Suggestion
from objects.kinds import POD
from objects.phases import ConditionStatus, PodConditionType
from objects.pod import Pod

log = logging.getLogger(__name__)

COMPONENT = "default-scheduler"
UNSCHEDULABLE = "Unschedulable"  # the PodScheduled=False reason, as kube-scheduler spells it

Advice = Callable[[], list[Suggestion]]


class Reporter:
    def __init__(self, client: ApiClient, *, workers: int = 2):
        self.client = client
        self.events = EventRecorder(client, component=COMPONENT)
        self._tasks: queue.Queue[tuple[str, str, Any, int | None] | None] = queue.Queue()
        self._pending_explanations: dict[str, tuple[SchedulingExplanation, Advice | None, int | None]] = {}
        self._writing: set[str] = set()  # pods whose explanation a worker is writing now
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._drain, name=f"scheduler-reporter-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def event(self, pod: dict[str, Any], *, type_: str, reason: str, message: str, action: str) -> None:
        """`pod` is the wire object the informer holds: the event recorder copies its reference from it."""
        self.events.event(pod, type_=type_, reason=reason, message=message, action=action)

    def unschedulable(self, pod: Pod, message: str) -> None:
        """Set PodScheduled=False/Unschedulable unless the pod already says exactly that."""
        for condition in (pod.status.conditions if pod.status else None) or []:
            if condition.type == PodConditionType.POD_SCHEDULED and condition.status == ConditionStatus.FALSE \
                    and condition.message == message:
                return
        # Written as the patch document itself: kube-scheduler sends lastProbeTime as an explicit
        # null, which a PodCondition's to_wire() would leave out.
        patch = {"status": {"conditions": [{
            "type": PodConditionType.POD_SCHEDULED, "status": ConditionStatus.FALSE, "reason": UNSCHEDULABLE,
            "message": message, "lastProbeTime": None, "lastTransitionTime": now_rfc3339()}]}}
        self._tasks.put(("condition", f"{pod.metadata.namespace}/{pod.metadata.name}", patch, current_cause()))

    def explanation(self, pod_key: str, explanation: SchedulingExplanation, *, advise: Advice | None = None) -> None:
        """Write `explanation` soon; `advise`, if given, is called first for its `suggestions`."""
        with self._lock:
            first = pod_key not in self._pending_explanations and pod_key not in self._writing
            self._pending_explanations[pod_key] = (explanation, advise, current_cause())
        if first:  # otherwise the task already queued, or the write under way, takes this one too
            self._tasks.put(("explanation", pod_key, None, None))

    def close(self) -> None:
        self.events.close()
        for _ in self._threads:
            self._tasks.put(None)

    def _drain(self) -> None:
        while (task := self._tasks.get()) is not None:
            kind, key, payload, cause = task
            try:
                with reacting_to(cause):
                    self._write(kind, key, payload)
            except ApiClientError as error:  # a report lost is logged, never retried forever
                log.warning("scheduler could not write %s for %s: %s", kind, key or "event", error)
            except Exception:
                log.exception("scheduler reporter failed on %s %s", kind, key)

    def _write(self, kind: str, key: str, payload: Any) -> None:
        if kind == "condition":
            namespace, name = key.split("/", 1)
            self.client.patch(POD, name, payload, namespace, subresource="status")
        elif kind == "explanation":
            self._write_explanation(key)

    def _write_explanation(self, key: str) -> None:
        """One pod's explanations are written one at a time, newest last: while the suggestion search
        runs, the pod may be tried again (and scheduled), and that newer attempt must not be
        overwritten by this older one."""
        with self._lock:
            explanation, advise, cause = self._pending_explanations.pop(key)
            self._writing.add(key)
        try:
            if advise is not None:
                explanation.suggestions = _suggestions(key, advise)
            with self._lock:
                superseded = key in self._pending_explanations
            if not superseded:
                namespace, name = key.split("/", 1)
                with reacting_to(cause):
                    self.client.request("PUT", f"{POD.collection_path(namespace)}/{name}/explanation",
                                        body=explanation.to_wire())
        finally:
            with self._lock:
                self._writing.discard(key)
                newer = key in self._pending_explanations
            if newer:
                self._tasks.put(("explanation", key, None, None))


def _suggestions(key: str, advise: Advice) -> list[Suggestion]:
    try:
        return advise()
    except ApiClientError as error:
        log.warning("scheduler could not look for suggestions for %s: %s", key, error)
    except Exception:  # a bug in the search must not cost the pod its explanation
        log.exception("scheduler failed looking for suggestions for %s", key)
    return []
