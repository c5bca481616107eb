"""The ReplicaSet controller: keep spec.replicas pods that match the selector, stamped from the template.

    reconcile(rs) ─► claim pods (adopt matching orphans, release strays)
                  ─► expectations met? ─► create missing pods / delete extras
                  ─► write status (replicas, ready, available, ReplicaFailure)
                  ─► its why: the counts, pending expectations, latest FailedCreates (`replicaset_report`)

Pods that finished (Succeeded/Failed) or are being deleted no longer count, so
an evicted, failed or deleted pod is replaced. The informer cache lags behind
our own writes; "expectations" remember the pods we just created or deleted
until the cache shows them, so a second reconcile never doubles the work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from apiclient import ApiClient, ApiStatusError
from apiclient.events import EventRecorder
from apiclient.informer import Informer, object_key
from apiclient.why_reports import ReportPublisher
from master.controllers.cache_view import ObjectView, PodView, only_status_changed
from master.controllers.controller import Controller
from master.controllers.pod_template import (
    Obj, cached_selector, claim, event_subject, label_selector, pod_from_template, rfc3339, utc_now,
)
from master.controllers.replicaset_report import MAX_FAILED_CREATES, replica_set_report
from objects.apps import PodTemplateSpec, ReplicaSet, ReplicaSetCondition, ReplicaSetStatus
from objects.kinds import POD, REPLICASET
from objects.meta import OwnerReference, parse_time
from objects.phases import ConditionStatus, PodConditionType, PodPhase
from objects.selectors import LabelSelectorExpr
from objects.status import NAMESPACE_TERMINATING_CAUSE

log = logging.getLogger(__name__)

# The most pods one reconcile creates or deletes (Kubernetes' burstReplicas).
BURST_REPLICAS = 500
# Unmet expectations are given up after this long: a lost watch event must not wedge a ReplicaSet.
EXPECTATIONS_TIMEOUT_SECONDS = 300.0
# No event marks a Ready pod's minReadySeconds running out: the controller looks again this long after.
# Short, because any reconcile past that moment counts the pod available: the Deployment's why publishes
# this moment, and a long wait would let an unrelated reconcile come that much before it.
AVAILABILITY_RECHECK_DELAY_SECONDS = 0.1
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
REPLICA_FAILURE = "ReplicaFailure"


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

    def pending(self, key: str) -> tuple[int, int]:
        """(creates, deletes) still unseen, as the last `satisfied` found them."""
        with self._lock:
            pending = self._pending.get(key)
            return (len(pending.creates), len(pending.deletes)) if pending else (0, 0)


def _still_active(pod: Obj | None) -> bool:
    return pod is not None and not ObjectView(pod).is_terminating


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def __init__(self, client: ApiClient, *, time_scale: float = 1.0):
        super().__init__(client, time_scale=time_scale)
        self.events = EventRecorder(client, component="replicaset-controller")
        self.expectations = Expectations(timeout=EXPECTATIONS_TIMEOUT_SECONDS * time_scale)
        self.replica_sets = Informer(client, REPLICASET, on_add=self._enqueue, on_update=self._replica_set_updated,
                                     on_delete=self._replica_set_deleted)
        self.pods = Informer(client, POD, on_add=self._pod_added, on_update=self._pod_updated,
                             on_delete=self._pod_deleted)
        self.informers = [self.replica_sets, self.pods]
        self.reports = ReportPublisher(client, REPLICASET)
        # The latest FailedCreate messages per ReplicaSet key, newest last, while it is short (for its why),
        # each with its text minus the generated pod name. A key is reconciled by one worker at a time, so
        # each list has one writer.
        self._failed_creates: dict[str, list[tuple[str, str]]] = {}

    def run(self, stop: threading.Event) -> None:
        super().run(stop)
        self.events.close()

    # ----- event handlers: find the ReplicaSets a change concerns

    def _enqueue(self, rs: Obj) -> None:
        self.queue.add(object_key(rs))

    def _replica_set_updated(self, old: Obj, new: Obj) -> None:
        # its status is this controller's own write: a pod deletion that raced it stays the cause
        self.queue.add(object_key(new), nudge=only_status_changed(old, new))

    def _replica_set_deleted(self, rs: Obj) -> None:
        self.expectations.forget(object_key(rs))
        self._failed_creates.pop(object_key(rs), None)
        self.reports.forget(ObjectView(rs).namespace, ObjectView(rs).name)
        self._enqueue(rs)

    def _pod_added(self, pod: Obj) -> None:
        self._enqueue_owner_or_matching(PodView(pod))

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        old_pod, new_pod = PodView(old), PodView(new)
        old_ref, new_ref = old_pod.controller_ref(), new_pod.controller_ref()
        if old_ref is not None and old_ref != new_ref:
            self._enqueue_owner(old_pod, old_ref)
        if new_ref is not None:
            self._enqueue_owner(new_pod, new_ref)
        elif old_ref is not None or old_pod.labels != new_pod.labels:
            self._enqueue_matching(new_pod)

    def _pod_deleted(self, pod: Obj) -> None:
        view = PodView(pod)
        ref = view.controller_ref()
        if ref is not None:
            self._enqueue_owner(view, ref)

    def _enqueue_owner_or_matching(self, pod: PodView) -> None:
        ref = pod.controller_ref()
        if ref is not None:
            self._enqueue_owner(pod, ref)
        else:
            self._enqueue_matching(pod)

    def _enqueue_owner(self, pod: PodView, ref: OwnerReference) -> None:
        if ref.kind != REPLICASET.kind:
            return
        key = f"{pod.namespace}/{ref.name}"
        rs = self.replica_sets.get(key)
        if rs is not None and ObjectView(rs).uid == ref.uid:
            self.queue.add(key)

    def _enqueue_matching(self, pod: PodView) -> None:
        """An orphan: every ReplicaSet whose selector matches may adopt it."""
        for rs in self.replica_sets.items():
            if ObjectView(rs).namespace == pod.namespace and cached_selector(rs).matches(pod.labels):
                self._enqueue(rs)

    # ----- reconcile

    def reconcile(self, key: str) -> None:
        cached = self.replica_sets.get(key)
        if cached is None:
            self.expectations.forget(key)
            self._failed_creates.pop(key, None)  # a reconcile that was under way may have noted one after the delete
            return
        rs = ReplicaSet.model_validate(cached)
        namespace = rs.metadata.namespace
        needs_sync = self.expectations.satisfied(key, self.pods, namespace)
        pending_creations, pending_deletions = self.expectations.pending(key)
        # Every pod of the cache is looked at, so each is read through a view, not parsed (see cache_view).
        candidates = [pod for raw in self.pods.items()
                      if (pod := PodView(raw)).namespace == namespace and pod.is_active]
        pods = claim(self.client, POD, rs.metadata, REPLICASET, _selector(rs), candidates)
        manage_error: ApiStatusError | None = None
        deleted: set[str] = set()
        if needs_sync and not rs.metadata.is_terminating:
            manage_error, deleted = self._manage_replicas(key, rs, pods)
        # Pods deleted just now no longer count, though the informer has not seen them go: a status
        # still counting them would tell the Deployment controller that more pods are available than
        # are, and a rolling update would scale the old ReplicaSet down below maxUnavailable.
        pods = [p for p in pods if p.name not in deleted]
        rs = self._update_status(rs, pods, manage_error)
        self._requeue_for_availability(key, rs, pods)
        if not rs.metadata.is_terminating:
            if len(pods) >= rs.replicas:
                self._failed_creates.pop(key, None)  # no longer short: old refusals explain nothing
            self.reports.publish(replica_set_report(
                rs, pods, pending_creations=pending_creations, pending_deletions=pending_deletions,
                failed_creates=[message for _, message in self._failed_creates.get(key, [])]))
        if manage_error is not None:
            raise manage_error

    def _manage_replicas(self, key: str, rs: ReplicaSet,
                         pods: list[PodView]) -> tuple[ApiStatusError | None, set[str]]:
        """Create or delete pods toward spec.replicas: the first failure, and the names of the pods deleted."""
        diff = len(pods) - rs.replicas
        if diff < 0:
            return self._create_pods(key, rs, min(-diff, BURST_REPLICAS)), set()
        if diff > 0:
            return self._delete_pods(key, rs, pods_to_delete(pods, min(diff, BURST_REPLICAS)))
        return None, set()

    def _create_pods(self, key: str, rs: ReplicaSet, count: int) -> ApiStatusError | None:
        """Create one at a time and stop at the first failure (slow start: a full quota does not cost 500 errors)."""
        namespace = rs.metadata.namespace
        template = (rs.spec.template if rs.spec else None) or PodTemplateSpec()
        pod = pod_from_template(template, rs.metadata, REPLICASET).to_wire()
        for _ in range(count):
            try:
                created = self.client.create(POD, pod, namespace)
            except ApiStatusError as error:
                if _namespace_terminating(error):
                    return None
                message = f"Error creating: {error.message}"
                self.events.event(event_subject(rs), type_="Warning", reason="FailedCreate", message=message)
                self._remember_failed_create(key, message, error)
                return error
            name = ObjectView(created).name
            self.expectations.expect(key, creates=[name])
            self.events.event(event_subject(rs), type_="Normal", reason="SuccessfulCreate",
                              message=f"Created pod: {name}")
        return None

    def _remember_failed_create(self, key: str, message: str, error: ApiStatusError) -> None:
        """Keep the latest few refusals. Each retry's pod has a new generated name, so a refusal is the same
        as the last one when only that name differs: it is kept once, as first seen, and the report stays."""
        name = error.details.name
        same_as = message.replace(f'"{name}"', '""') if name else message
        failed = self._failed_creates.setdefault(key, [])
        if not failed or failed[-1][0] != same_as:
            failed.append((same_as, message))
            del failed[:-MAX_FAILED_CREATES]

    def _delete_pods(self, key: str, rs: ReplicaSet, doomed: list[PodView]) -> tuple[ApiStatusError | None, set[str]]:
        namespace = rs.metadata.namespace
        self.expectations.expect(key, deletes=[p.name for p in doomed])
        failure: ApiStatusError | None = None
        gone: set[str] = set()
        for pod in doomed:
            name = pod.name
            try:
                self.client.delete(POD, name, namespace)
            except ApiStatusError as error:
                if error.code == 404:
                    gone.add(name)
                    continue
                self.events.event(event_subject(rs), type_="Warning", reason="FailedDelete",
                                  message=f"Error deleting: {error.message}")
                failure = failure or error
                continue
            gone.add(name)
            self.events.event(event_subject(rs), type_="Normal", reason="SuccessfulDelete",
                              message=f"Deleted pod: {name}")
        return failure, gone

    # ----- status

    def _update_status(self, rs: ReplicaSet, pods: list[PodView], manage_error: ApiStatusError | None) -> ReplicaSet:
        wanted = calculate_status(rs, pods, manage_error)
        for attempt in range(2):
            current = rs.status.to_wire() if rs.status else {}
            if current == wanted.to_wire():
                return rs
            try:
                written = self.client.update(REPLICASET, rs.model_copy(update={"status": wanted}).to_wire(),
                                             subresource="status")
                return ReplicaSet.model_validate(written)
            except ApiStatusError as error:
                if error.code != 409 or attempt:
                    raise
                rs = ReplicaSet.model_validate(self.client.get(REPLICASET, rs.metadata.name, rs.metadata.namespace))
                wanted.observed_generation = _generation(rs)
        return rs

    def _requeue_for_availability(self, key: str, rs: ReplicaSet, pods: list[PodView]) -> None:
        """Ready pods become available once minReadySeconds pass; no event marks that moment, so look again then."""
        min_ready = rs.min_ready_seconds
        if min_ready <= 0:
            return
        now = utc_now()
        waits = [w for p in pods if (w := p.seconds_until_available(min_ready, now))]
        if waits:
            self.queue.add_after(key, min(waits) + AVAILABILITY_RECHECK_DELAY_SECONDS)


def calculate_status(rs: ReplicaSet, pods: list[PodView], manage_error: ApiStatusError | None) -> ReplicaSetStatus:
    """The ReplicaSet's status as its pods show it; a failed create or delete becomes a ReplicaFailure condition."""
    template = rs.spec.template if rs.spec else None
    template_labels = (template.metadata.labels if template and template.metadata else None) or {}
    min_ready, now = rs.min_ready_seconds, utc_now()
    status = rs.status.model_copy(deep=True) if rs.status else ReplicaSetStatus()
    conditions = [c for c in status.conditions or [] if c.type != REPLICA_FAILURE]
    failure = next((c for c in status.conditions or [] if c.type == REPLICA_FAILURE), None)
    if manage_error is not None:
        if failure is None:
            reason = "FailedCreate" if len(pods) < rs.replicas else "FailedDelete"
            failure = ReplicaSetCondition(type=REPLICA_FAILURE, status=ConditionStatus.TRUE,
                                          last_transition_time=rfc3339(now), reason=reason,
                                          message=manage_error.message)
        conditions.append(failure)
    ready = [p for p in pods if p.is_ready]
    status.replicas = len(pods)
    status.fully_labeled_replicas = sum(1 for p in pods if template_labels.items() <= p.labels.items())
    status.ready_replicas = len(ready)
    status.available_replicas = sum(1 for p in ready if p.is_available(min_ready, now))
    status.observed_generation = _generation(rs)
    status.conditions = conditions or None
    return status


# ----- which pods to delete first


def pods_to_delete(pods: list[PodView], count: int) -> list[PodView]:
    """The `count` pods whose loss hurts least (controller.ActivePodsWithRanks), most expendable first.

    Unscheduled before scheduled; Pending before Unknown before Running; not
    ready before ready; lower pod-deletion-cost first; pods doubled up on a node
    before lone ones; recently ready before long ready; more restarts first;
    newer before older.
    """
    if count >= len(pods):
        return list(pods)
    per_node = Counter(p.node_name for p in pods)
    return sorted(pods, key=lambda p: _expendability(p, per_node))[:count]


_PHASE_ORDER = {PodPhase.PENDING: 0, PodPhase.UNKNOWN: 1, PodPhase.RUNNING: 2}


def _expendability(pod: PodView, per_node: Counter) -> tuple:
    node = pod.node_name
    ready = pod.is_ready
    ready_since = parse_time(pod.condition(PodConditionType.READY).last_transition_time) if ready else None
    created = parse_time(pod.creation_timestamp)
    try:
        cost = int(pod.annotations.get(POD_DELETION_COST, "0"))
    except ValueError:
        cost = 0
    return (
        bool(node),
        _PHASE_ORDER.get(pod.phase, 0),
        ready,
        cost,
        -(per_node[node] if node else 0),
        -(ready_since.timestamp() if ready_since else float("inf")),
        -pod.restart_count,
        -(created.timestamp() if created else float("inf")),
    )


def _selector(rs: ReplicaSet) -> LabelSelectorExpr:
    return label_selector(rs.spec.selector if rs.spec else None)


def _generation(rs: ReplicaSet) -> int:
    return 1 if rs.metadata.generation is None else rs.metadata.generation


def _namespace_terminating(error: ApiStatusError) -> bool:
    """A create refused because the namespace is going away: its pods go with it, so nothing failed."""
    return any(cause.reason == NAMESPACE_TERMINATING_CAUSE for cause in error.status.causes)
