"""The ReplicaSet controller: keep spec.replicas pods that match the selector, stamped from the template.

    reconcile(rs) ─► claim pods (adopt matching orphans, release strays)
                  ─► expectations met? ─► create missing pods / delete extras
                  ─► write status (replicas, ready, available, ReplicaFailure)

Pods that finished (Succeeded/Failed) or are being deleted no longer count, so
an evicted, failed or deleted pod is replaced. The informer cache lags behind
our own writes; "expectations" remember the pods we just created or deleted
until the cache shows them, so a second reconcile never doubles the work.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from apiclient import ApiClient, ApiStatusError
from apiclient.events import EventRecorder
from apiclient.informer import Informer, object_key
from master.controllers.controller import Controller
from master.controllers.pod_template import (
    Obj, claim, controller_of, is_pod_active, is_pod_ready, parse_time, pod_from_template, ready_condition,
    rfc3339, seconds_until_available, utc_now,
)
from objects.kinds import POD, REPLICASET
from objects.selectors import LabelSelectorExpr, selector_from_label_selector

log = logging.getLogger(__name__)

# The most pods one reconcile creates or deletes (Kubernetes' burstReplicas).
BURST_REPLICAS = 500
# Unmet expectations are given up after this long: a lost watch event must not wedge a ReplicaSet.
EXPECTATIONS_TIMEOUT_SECONDS = 300.0
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


@dataclass
class _Pending:
    creates: set[str] = field(default_factory=set)
    deletes: set[str] = field(default_factory=set)
    since: float = field(default_factory=time.monotonic)


class Expectations:
    """Pods a controller created or deleted that its cache has not shown yet, per owner key.

    Checked against the cache at reconcile time, so the order in which the watch
    event and our own write's answer arrive does not matter.
    """

    def __init__(self, *, timeout: float):
        self.timeout = timeout
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    def expect(self, key: str, *, creates: list[str] = (), deletes: list[str] = ()) -> None:
        with self._lock:
            pending = self._pending.setdefault(key, _Pending())
            pending.creates.update(creates)
            pending.deletes.update(deletes)
            pending.since = time.monotonic()

    def satisfied(self, key: str, pods: Informer, namespace: str) -> bool:
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                return True
            pending.creates = {n for n in pending.creates if pods.get(f"{namespace}/{n}") is None}
            pending.deletes = {n for n in pending.deletes if _still_active(pods.get(f"{namespace}/{n}"))}
            if (pending.creates or pending.deletes) and time.monotonic() - pending.since < self.timeout:
                return False
            del self._pending[key]
            return True

    def forget(self, key: str) -> None:
        with self._lock:
            self._pending.pop(key, None)


def _still_active(pod: Obj | None) -> bool:
    return pod is not None and not pod["metadata"].get("deletionTimestamp")


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def __init__(self, client: ApiClient, *, time_scale: float = 1.0):
        super().__init__(client, time_scale=time_scale)
        self.events = EventRecorder(client, component="replicaset-controller")
        self.expectations = Expectations(timeout=EXPECTATIONS_TIMEOUT_SECONDS * time_scale)
        self.replica_sets = Informer(client, REPLICASET, on_add=self._enqueue,
                                     on_update=lambda _old, new: self._enqueue(new),
                                     on_delete=self._replica_set_deleted)
        self.pods = Informer(client, POD, on_add=self._pod_added, on_update=self._pod_updated,
                             on_delete=self._pod_deleted)
        self.informers = [self.replica_sets, self.pods]

    def run(self, stop: threading.Event) -> None:
        super().run(stop)
        self.events.close()

    # ----- event handlers: find the ReplicaSets a change concerns

    def _enqueue(self, rs: Obj) -> None:
        self.queue.add(object_key(rs))

    def _replica_set_deleted(self, rs: Obj) -> None:
        self.expectations.forget(object_key(rs))
        self._enqueue(rs)

    def _pod_added(self, pod: Obj) -> None:
        self._enqueue_owner_or_matching(pod)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        old_ref, new_ref = controller_of(old), controller_of(new)
        if old_ref is not None and old_ref != new_ref:
            self._enqueue_owner(old, old_ref)
        if new_ref is not None:
            self._enqueue_owner(new, new_ref)
        elif old_ref is not None or old["metadata"].get("labels") != new["metadata"].get("labels"):
            self._enqueue_matching(new)

    def _pod_deleted(self, pod: Obj) -> None:
        ref = controller_of(pod)
        if ref is not None:
            self._enqueue_owner(pod, ref)

    def _enqueue_owner_or_matching(self, pod: Obj) -> None:
        ref = controller_of(pod)
        if ref is not None:
            self._enqueue_owner(pod, ref)
        else:
            self._enqueue_matching(pod)

    def _enqueue_owner(self, pod: Obj, ref: dict[str, Any]) -> None:
        if ref.get("kind") != REPLICASET.kind:
            return
        key = f"{pod['metadata']['namespace']}/{ref['name']}"
        rs = self.replica_sets.get(key)
        if rs is not None and rs["metadata"]["uid"] == ref.get("uid"):
            self.queue.add(key)

    def _enqueue_matching(self, pod: Obj) -> None:
        """An orphan: every ReplicaSet whose selector matches may adopt it."""
        namespace, labels = pod["metadata"]["namespace"], pod["metadata"].get("labels")
        for rs in self.replica_sets.items():
            if rs["metadata"]["namespace"] == namespace and _selector(rs).matches(labels):
                self._enqueue(rs)

    # ----- reconcile

    def reconcile(self, key: str) -> None:
        cached = self.replica_sets.get(key)
        if cached is None:
            self.expectations.forget(key)
            return
        rs = copy.deepcopy(cached)
        namespace = rs["metadata"]["namespace"]
        needs_sync = self.expectations.satisfied(key, self.pods, namespace)
        candidates = [p for p in self.pods.items() if p["metadata"]["namespace"] == namespace and is_pod_active(p)]
        pods = claim(self.client, POD, rs, REPLICASET, _selector(rs), candidates)
        manage_error: ApiStatusError | None = None
        deleted: set[str] = set()
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            manage_error, deleted = self._manage_replicas(key, rs, pods)
        # Pods deleted just now no longer count, though the informer has not seen them go: a status
        # still counting them would tell the Deployment controller that more pods are available than
        # are, and a rolling update would scale the old ReplicaSet down below maxUnavailable.
        pods = [p for p in pods if p["metadata"]["name"] not in deleted]
        rs = self._update_status(rs, pods, manage_error)
        self._requeue_for_availability(key, rs, pods)
        if manage_error is not None:
            raise manage_error

    def _manage_replicas(self, key: str, rs: Obj, pods: list[Obj]) -> tuple[ApiStatusError | None, set[str]]:
        """Create or delete pods toward spec.replicas: the first failure, and the names of the pods deleted."""
        diff = len(pods) - _replicas(rs)
        if diff < 0:
            return self._create_pods(key, rs, min(-diff, BURST_REPLICAS)), set()
        if diff > 0:
            return self._delete_pods(key, rs, pods_to_delete(pods, min(diff, BURST_REPLICAS)))
        return None, set()

    def _create_pods(self, key: str, rs: Obj, count: int) -> ApiStatusError | None:
        """Create one at a time and stop at the first failure (slow start: a full quota does not cost 500 errors)."""
        namespace = rs["metadata"]["namespace"]
        for _ in range(count):
            try:
                created = self.client.create(POD, pod_from_template(rs["spec"].get("template") or {}, rs, REPLICASET),
                                             namespace)
            except ApiStatusError as error:
                if _namespace_terminating(error):
                    return None
                self.events.event(rs, type_="Warning", reason="FailedCreate",
                                  message=f"Error creating: {error.message}")
                return error
            self.expectations.expect(key, creates=[created["metadata"]["name"]])
            self.events.event(rs, type_="Normal", reason="SuccessfulCreate",
                              message=f"Created pod: {created['metadata']['name']}")
        return None

    def _delete_pods(self, key: str, rs: Obj, doomed: list[Obj]) -> tuple[ApiStatusError | None, set[str]]:
        namespace = rs["metadata"]["namespace"]
        self.expectations.expect(key, deletes=[p["metadata"]["name"] for p in doomed])
        failure: ApiStatusError | None = None
        gone: set[str] = set()
        for pod in doomed:
            name = pod["metadata"]["name"]
            try:
                self.client.delete(POD, name, namespace)
            except ApiStatusError as error:
                if error.code == 404:
                    gone.add(name)
                    continue
                self.events.event(rs, type_="Warning", reason="FailedDelete",
                                  message=f"Error deleting: {error.message}")
                failure = failure or error
                continue
            gone.add(name)
            self.events.event(rs, type_="Normal", reason="SuccessfulDelete", message=f"Deleted pod: {name}")
        return failure, gone

    # ----- status

    def _update_status(self, rs: Obj, pods: list[Obj], manage_error: ApiStatusError | None) -> Obj:
        wanted = calculate_status(rs, pods, manage_error)
        for attempt in range(2):
            current = rs.get("status") or {}
            if current == wanted:
                return rs
            try:
                return self.client.update(REPLICASET, {**rs, "status": wanted}, subresource="status")
            except ApiStatusError as error:
                if error.code != 409 or attempt:
                    raise
                meta = rs["metadata"]
                rs = self.client.get(REPLICASET, meta["name"], meta["namespace"])
                wanted["observedGeneration"] = rs["metadata"].get("generation", 1)
        return rs

    def _requeue_for_availability(self, key: str, rs: Obj, pods: list[Obj]) -> None:
        """Ready pods become available once minReadySeconds pass; no event marks that moment, so look again then."""
        min_ready = (rs.get("spec") or {}).get("minReadySeconds") or 0
        if min_ready <= 0:
            return
        now = utc_now()
        waits = [w for p in pods if (w := seconds_until_available(p, min_ready, now))]
        if waits:
            self.queue.add_after(key, min(waits) + 1.0)


def calculate_status(rs: Obj, pods: list[Obj], manage_error: ApiStatusError | None) -> Obj:
    """The ReplicaSet's status as its pods show it; a failed create or delete becomes a ReplicaFailure condition."""
    spec = rs.get("spec") or {}
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    min_ready, now = spec.get("minReadySeconds") or 0, utc_now()
    status = copy.deepcopy(rs.get("status") or {})
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
    failure = next((c for c in status.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
    if manage_error is not None:
        if failure is None:
            diff = len(pods) - _replicas(rs)
            reason = "FailedCreate" if diff < 0 else "FailedDelete"
            failure = {"type": "ReplicaFailure", "status": "True", "lastTransitionTime": rfc3339(now),
                       "reason": reason, "message": manage_error.message}
        conditions.append(failure)
    labelled = sum(1 for p in pods if template_labels.items() <= (p["metadata"].get("labels") or {}).items())
    ready = [p for p in pods if is_pod_ready(p)]
    available = sum(1 for p in ready if seconds_until_available(p, min_ready, now) == 0.0)
    status.update(replicas=len(pods), fullyLabeledReplicas=labelled, readyReplicas=len(ready),
                  availableReplicas=available, observedGeneration=rs["metadata"].get("generation", 1))
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)
    return status


# ----- which pods to delete first


def pods_to_delete(pods: list[Obj], count: int) -> list[Obj]:
    """The `count` pods whose loss hurts least (controller.ActivePodsWithRanks), most expendable first.

    Unscheduled before scheduled; Pending before Unknown before Running; not
    ready before ready; lower pod-deletion-cost first; pods doubled up on a node
    before lone ones; recently ready before long ready; more restarts first;
    newer before older.
    """
    if count >= len(pods):
        return list(pods)
    per_node = Counter((p.get("spec") or {}).get("nodeName") for p in pods)
    return sorted(pods, key=lambda p: _expendability(p, per_node))[:count]


_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}


def _expendability(pod: Obj, per_node: Counter) -> tuple:
    node = (pod.get("spec") or {}).get("nodeName")
    status = pod.get("status") or {}
    ready = is_pod_ready(pod)
    ready_since = parse_time((ready_condition(pod) or {}).get("lastTransitionTime")) if ready else None
    created = parse_time(pod["metadata"].get("creationTimestamp"))
    restarts = sum(c.get("restartCount", 0) for c in status.get("containerStatuses") or [])
    try:
        cost = int((pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST, "0"))
    except ValueError:
        cost = 0
    return (
        bool(node),
        _PHASE_ORDER.get(status.get("phase", "Pending"), 0),
        ready,
        cost,
        -(per_node[node] if node else 0),
        -(ready_since.timestamp() if ready_since else float("inf")),
        -restarts,
        -(created.timestamp() if created else float("inf")),
    )


def _selector(rs: Obj) -> LabelSelectorExpr:
    try:
        return selector_from_label_selector((rs.get("spec") or {}).get("selector"))
    except ValueError:
        return selector_from_label_selector(None)


def _replicas(rs: Obj) -> int:
    replicas = (rs.get("spec") or {}).get("replicas")
    return 1 if replicas is None else replicas


def _namespace_terminating(error: ApiStatusError) -> bool:
    return error.code == 403 and "being terminated" in error.message
