"""The Deployment controller: roll a Deployment's pods from one template to the next through ReplicaSets.

A Deployment owns one ReplicaSet per template it has run, named
`<deployment>-<pod-template-hash>`. The one whose template is the Deployment's
is "new"; the rest are "old". Each reconcile takes one step and returns; the
ReplicaSets' status changes bring it back for the next:

    reconcile(d) ─► claim ReplicaSets ─► being deleted? ─► status only
                                      ─► paused, or only resized? ─► scale proportionally
                                      ─► RollingUpdate: grow new (surge fence) ─► shrink old (availability fence)
                                      ─► Recreate: old to 0 ─► wait for old pods to go ─► new to replicas
                  ─► done? drop revisions beyond revisionHistoryLimit ─► status and conditions
                  ─► the arithmetic it stepped by, PUT on the Deployment's why (`rollout_report`)

A rollback is only a template change back to an old one (`kubectl rollout
undo` patches the template): the old ReplicaSet is found by its template and
becomes new again, with the next revision number. The arithmetic lives in
`deployment_rollout`.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime

from apiclient import ApiClient, ApiStatusError
from apiclient.events import EventRecorder
from apiclient.informer import Informer, object_key
from apiclient.why_reports import ReportPublisher
from master.controllers import deployment_rollout as rollout
from master.controllers.cache_view import ObjectView, PodView, only_status_changed
from master.controllers.controller import Controller
from master.controllers.deployment_rollout import PROGRESSING, REVISION, replicas
from master.controllers.pod_template import (
    TEMPLATE_HASH_LABEL, Obj, cached_selector, claim, controller_ref, event_subject, label_selector, template_hash,
    utc_now,
)
from master.controllers.rollout_report import rollout_report
from objects.apps import Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetSpec
from objects.kinds import DEPLOYMENT, POD, REPLICASET
from objects.meta import LabelSelector, ObjectMeta, OwnerReference
from objects.phases import ConditionStatus
from objects.selectors import LabelSelectorExpr

log = logging.getLogger(__name__)


class DeploymentController(Controller):
    name = "deployment-controller"

    def __init__(self, client: ApiClient, *, time_scale: float = 1.0):
        super().__init__(client, time_scale=time_scale)
        self.events = EventRecorder(client, component="deployment-controller")
        self.deployments = Informer(client, DEPLOYMENT, on_add=self._enqueue,
                                    on_update=self._deployment_updated, on_delete=self._enqueue)
        self.replica_sets = Informer(client, REPLICASET, on_add=self._replica_set_added,
                                     on_update=self._replica_set_updated, on_delete=self._replica_set_deleted)
        self.pods = Informer(client, POD, on_delete=self._pod_deleted)
        self.informers = [self.deployments, self.replica_sets, self.pods]
        self.reports = ReportPublisher(client, DEPLOYMENT)

    def run(self, stop: threading.Event) -> None:
        super().run(stop)
        self.events.close()

    # ----- event handlers: which Deployment does a change concern?

    def _enqueue(self, d: Obj) -> None:
        self.queue.add(object_key(d))

    def _deployment_updated(self, old: Obj, new: Obj) -> None:
        # its status is this controller's own write: what queued it before stays the cause
        self.queue.add(object_key(new), nudge=only_status_changed(old, new))

    def _replica_set_added(self, rs: Obj) -> None:
        if _controller_of(rs) is not None:
            self._enqueue_owner(rs)
        else:
            self._enqueue_matching(rs)

    def _replica_set_updated(self, old: Obj, new: Obj) -> None:
        old_ref, new_ref = _controller_of(old), _controller_of(new)
        if old_ref is not None and old_ref != new_ref:
            self._enqueue_owner(old)
        if new_ref is not None:
            self._enqueue_owner(new)
        elif old_ref is not None or ObjectView(old).labels != ObjectView(new).labels:
            self._enqueue_matching(new)

    def _replica_set_deleted(self, rs: Obj) -> None:
        self._enqueue_owner(rs)

    def _pod_deleted(self, pod: Obj) -> None:
        """Recreate waits for the old pods to be gone; their deletion is what it waits for."""
        ref = _controller_of(pod)
        if ref is None or ref.kind != REPLICASET.kind:
            return
        rs = self.replica_sets.get(f"{ObjectView(pod).namespace}/{ref.name}")
        if rs is not None:
            d = self._owner(rs)
            if d is not None and not rollout.is_rolling_update(Deployment.model_validate(d)):
                self._enqueue(d)

    def _owner(self, rs: Obj) -> Obj | None:
        ref = _controller_of(rs)
        if ref is None or ref.kind != DEPLOYMENT.kind:
            return None
        d = self.deployments.get(f"{ObjectView(rs).namespace}/{ref.name}")
        return d if d is not None and ObjectView(d).uid == ref.uid else None

    def _enqueue_owner(self, rs: Obj) -> None:
        if (d := self._owner(rs)) is not None:
            self._enqueue(d)

    def _enqueue_matching(self, rs: Obj) -> None:
        replica_set = ObjectView(rs)
        for d in self.deployments.items():
            if ObjectView(d).namespace == replica_set.namespace and cached_selector(d).matches(replica_set.labels):
                self._enqueue(d)

    # ----- reconcile

    def reconcile(self, key: str) -> None:
        cached = self.deployments.get(key)
        if cached is None:
            self.reports.forget(*key.split("/", 1))
            return
        d = Deployment.model_validate(cached)
        if _selector(d).empty:
            self.events.event(event_subject(d), type_="Warning", reason="SelectingAll",
                              message="This deployment is selecting all pods. A non-empty selector is required.")
            return
        replica_sets = self._claim_replica_sets(d)
        if d.metadata.is_terminating:
            d, new_rs, old = self._new_and_old(d, replica_sets, create=False)
            self._sync_status(d, old + _present(new_rs), new_rs)
            return
        d = self._check_paused_conditions(d)
        if d.spec.paused or self._is_scaling_event(d, replica_sets):
            self._sync(d, replica_sets)
        elif rollout.is_rolling_update(d):
            self._rollout_rolling(d, replica_sets)
        else:
            self._rollout_recreate(d, replica_sets)

    def _claim_replica_sets(self, d: Deployment) -> list[ReplicaSet]:
        namespace = d.metadata.namespace
        candidates = [view for rs in self.replica_sets.items() if (view := ObjectView(rs)).namespace == namespace]
        claimed = claim(self.client, REPLICASET, d.metadata, DEPLOYMENT, _selector(d), candidates)
        return [ReplicaSet.model_validate(view.raw) for view in claimed]

    # ----- the strategies

    def _rollout_rolling(self, d: Deployment, replica_sets: list[ReplicaSet]) -> None:
        d, new_rs, old = self._new_and_old(d, replica_sets, create=True)
        scaled, new_rs = self._reconcile_new_replica_set(d, old + [new_rs], new_rs)
        if not scaled:
            scaled, old = self._reconcile_old_replica_sets(d, old, new_rs)
        if not scaled and rollout.deployment_complete(d, d.status or DeploymentStatus()):
            self._cleanup(d, old)
        self._sync_rollout_status(d, old + [new_rs], new_rs)

    def _reconcile_new_replica_set(self, d: Deployment, all_replica_sets: list[ReplicaSet],
                                   new_rs: ReplicaSet) -> tuple[bool, ReplicaSet]:
        if replicas(new_rs) == replicas(d):
            return False, new_rs
        if replicas(new_rs) > replicas(d):
            return self._scale(d, new_rs, replicas(d))
        return self._scale(d, new_rs, rollout.new_rs_new_replicas(d, all_replica_sets, new_rs))

    def _reconcile_old_replica_sets(self, d: Deployment, old: list[ReplicaSet],
                                    new_rs: ReplicaSet) -> tuple[bool, list[ReplicaSet]]:
        sizes = rollout.old_replica_set_sizes(d, old, new_rs)
        scaled_any, result = False, []
        for rs in old:
            if rs.metadata.name in sizes:
                scaled, rs = self._scale(d, rs, sizes[rs.metadata.name])
                scaled_any = scaled_any or scaled
            result.append(rs)
        return scaled_any, result

    def _rollout_recreate(self, d: Deployment, replica_sets: list[ReplicaSet]) -> None:
        d, new_rs, old = self._new_and_old(d, replica_sets, create=False)
        scaled_any, shrunk = False, []
        for rs in old:
            scaled, rs = self._scale(d, rs, 0) if replicas(rs) > 0 else (False, rs)
            scaled_any = scaled_any or scaled
            shrunk.append(rs)
        if scaled_any or self._old_pods_running(new_rs, shrunk):
            self._sync_rollout_status(d, shrunk + _present(new_rs), new_rs)
            return
        if new_rs is None:
            d, new_rs, shrunk = self._new_and_old(d, replica_sets, create=True)
        _, new_rs = self._scale(d, new_rs, replicas(d))
        if rollout.deployment_complete(d, d.status or DeploymentStatus()):
            self._cleanup(d, shrunk)
        self._sync_rollout_status(d, shrunk + [new_rs], new_rs)

    def _old_pods_running(self, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> bool:
        """Recreate must not start the new pods while an old one may still run (terminating counts as running)."""
        if sum(rollout.current_replicas(rs) for rs in old) > 0:
            return True
        old_uids = {rs.metadata.uid for rs in old} - ({new_rs.metadata.uid} if new_rs else set())
        # Every cached pod is looked at: read through a view, not parsed (see cache_view).
        return any(pod.controller_uid in old_uids and not pod.is_finished
                   for pod in map(PodView, self.pods.items()))

    # ----- resizing: paused Deployments and scale events

    def _is_scaling_event(self, d: Deployment, replica_sets: list[ReplicaSet]) -> bool:
        """An active ReplicaSet was sized for another spec.replicas: the user resized, nothing else changed."""
        for rs in rollout.active(replica_sets):
            desired = (rs.metadata.annotations or {}).get(rollout.DESIRED_REPLICAS)
            if desired is not None and desired != str(replicas(d)):
                return True
        return False

    def _sync(self, d: Deployment, replica_sets: list[ReplicaSet]) -> None:
        d, new_rs, old = self._new_and_old(d, replica_sets, create=False)
        new_rs, old = self._scale_to_spec(d, new_rs, old)
        if d.spec.paused:
            self._cleanup(d, old)
        self._sync_status(d, old + _present(new_rs), new_rs)

    def _scale_to_spec(self, d: Deployment, new_rs: ReplicaSet | None,
                       old: list[ReplicaSet]) -> tuple[ReplicaSet | None, list[ReplicaSet]]:
        """Deployment `scale`: the only active ReplicaSet takes the new size; mid-rollout, all share it."""
        by_name = {rs.metadata.name: rs for rs in old + _present(new_rs)}
        if (only := rollout.find_active_or_latest(new_rs, old)) is not None:
            _, by_name[only.metadata.name] = self._scale(d, only, replicas(d))
        elif rollout.is_saturated(d, new_rs):
            for rs in rollout.active(old):
                _, by_name[rs.metadata.name] = self._scale(d, rs, 0)
        elif rollout.is_rolling_update(d):
            targets = rollout.active(old + _present(new_rs))
            sizes, _ = rollout.proportional_sizes(d, targets)
            for rs in targets:
                _, by_name[rs.metadata.name] = self._scale(d, rs, sizes[rs.metadata.name])
        new_rs = by_name[new_rs.metadata.name] if new_rs is not None else None
        return new_rs, [by_name[rs.metadata.name] for rs in old]

    # ----- the new ReplicaSet and the revision

    def _new_and_old(self, d: Deployment, replica_sets: list[ReplicaSet], *,
                     create: bool) -> tuple[Deployment, ReplicaSet | None, list[ReplicaSet]]:
        """getAllReplicaSetsAndSyncRevision: (deployment, new ReplicaSet or None, old ReplicaSets)."""
        new_rs = rollout.find_new_replica_set(d, replica_sets)
        old = [rs for rs in replica_sets if new_rs is None or rs.metadata.uid != new_rs.metadata.uid]
        next_revision = rollout.max_revision(old) + 1
        if new_rs is not None:
            d, new_rs = self._sync_new_replica_set(d, new_rs, next_revision)
        elif create:
            d, new_rs = self._create_new_replica_set(d, old, next_revision)
        return d, new_rs, old

    def _sync_new_replica_set(self, d: Deployment, rs: ReplicaSet,
                              next_revision: int) -> tuple[Deployment, ReplicaSet]:
        """Bring an existing new ReplicaSet's revision and minReadySeconds up to date, and the Deployment's revision."""
        wanted = rs.model_copy(deep=True)
        annotations_changed = rollout.set_new_rs_annotations(d, wanted, next_revision, exists=True)
        min_ready = d.spec.min_ready_seconds or 0
        if annotations_changed or rs.min_ready_seconds != min_ready:
            wanted.spec.min_ready_seconds = min_ready or None  # omitted when zero, as Kubernetes writes it
            return d, ReplicaSet.model_validate(self.client.update(REPLICASET, wanted.to_wire()))
        status = _status_copy(d)
        if rollout.has_progress_deadline(d) and rollout.condition(status, PROGRESSING) is None:
            rollout.set_condition(status, rollout.new_condition(
                PROGRESSING, ConditionStatus.TRUE, rollout.FOUND_NEW_RS,
                f"Found new replica set {_q(rs.metadata.name)}", utc_now()))
            d = self._write_status(d, status)
        return self._set_revision(d, (rs.metadata.annotations or {}).get(REVISION, "")), rs

    def _create_new_replica_set(self, d: Deployment, old: list[ReplicaSet],
                                next_revision: int) -> tuple[Deployment, ReplicaSet]:
        rs = self._new_replica_set(d)
        rs.spec.replicas = rollout.new_rs_new_replicas(d, old + [rs], rs)
        rollout.set_new_rs_annotations(d, rs, next_revision, exists=False)
        name, namespace = rs.metadata.name, d.metadata.namespace
        existed = False
        try:
            created = ReplicaSet.model_validate(self.client.create(REPLICASET, rs.to_wire(), namespace))
        except ApiStatusError as error:
            if error.code == 409 and error.reason == "AlreadyExists":
                created = ReplicaSet.model_validate(self.client.get(REPLICASET, name, namespace))
                if not (created.metadata.is_controlled_by(d.metadata.uid)
                        and rollout.same_template(created.spec.template, d.spec.template)):
                    self._count_collision(d)  # a stranger holds the name: next time, hash with a new salt
                    raise
                existed = True
            elif error.code == 403:
                raise  # the namespace is being deleted
            else:
                self._report_create_failure(d, name, error)
                raise
        if not existed and replicas(created) > 0:
            self.events.event(event_subject(d), type_="Normal", reason="ScalingReplicaSet",
                              message=f"Scaled up replica set {name} from 0 to {replicas(created)}")
        if not existed and rollout.has_progress_deadline(d):
            status = _status_copy(d)
            rollout.set_condition(status, rollout.new_condition(
                PROGRESSING, ConditionStatus.TRUE, rollout.NEW_RS_CREATED, f"Created new replica set {_q(name)}",
                utc_now()))
            d = self._write_status(d, status)
        return self._set_revision(d, str(next_revision)), created

    def _new_replica_set(self, d: Deployment) -> ReplicaSet:
        """The ReplicaSet for the Deployment's current template: its hash in the name, labels and selector."""
        template = d.spec.template.model_copy(deep=True)
        # The hash is of the template's wire form, so that it stays the same across restarts and versions.
        pod_hash = template_hash(template.to_wire(), d.status.collision_count if d.status else None)
        template.metadata = template.metadata or ObjectMeta()
        template.metadata.labels = {**(template.metadata.labels or {}), TEMPLATE_HASH_LABEL: pod_hash}
        selector = (d.spec.selector or LabelSelector()).model_copy(deep=True)
        selector.match_labels = {**(selector.match_labels or {}), TEMPLATE_HASH_LABEL: pod_hash}
        meta = ObjectMeta(name=f"{d.metadata.name}-{pod_hash}", namespace=d.metadata.namespace,
                          labels=dict(template.metadata.labels),
                          owner_references=[controller_ref(d.metadata, DEPLOYMENT)])
        spec = ReplicaSetSpec(replicas=0, selector=selector, template=template,
                              min_ready_seconds=d.spec.min_ready_seconds or None)  # omitted when zero
        return ReplicaSet(metadata=meta, spec=spec)

    def _count_collision(self, d: Deployment) -> None:
        status = _status_copy(d)
        status.collision_count = (status.collision_count or 0) + 1
        self._write_status(d, status)

    def _report_create_failure(self, d: Deployment, name: str, error: ApiStatusError) -> None:
        message = f"Failed to create new replica set {_q(name)}: {error.message}"
        if rollout.has_progress_deadline(d):
            status = _status_copy(d)
            rollout.set_condition(status, rollout.new_condition(
                PROGRESSING, ConditionStatus.FALSE, rollout.FAILED_RS_CREATE, message, utc_now()))
            self._write_status(d, status)
        self.events.event(event_subject(d), type_="Warning", reason=rollout.FAILED_RS_CREATE, message=message)

    def _set_revision(self, d: Deployment, revision: str) -> Deployment:
        """The Deployment carries the revision of its new ReplicaSet (what `kubectl rollout history` numbers)."""
        if not revision or (d.metadata.annotations or {}).get(REVISION) == revision:
            return d
        patched = self.client.patch(DEPLOYMENT, d.metadata.name, {"metadata": {"annotations": {REVISION: revision}}},
                                    d.metadata.namespace, patch_type="application/merge-patch+json")
        return Deployment.model_validate(patched)

    # ----- scaling one ReplicaSet

    def _scale(self, d: Deployment, rs: ReplicaSet, size: int) -> tuple[bool, ReplicaSet]:
        """Resize `rs` (compare-and-swap against the cached copy) and say so in a ScalingReplicaSet event."""
        wanted = rs.model_copy(deep=True)
        annotations_changed = rollout.set_replicas_annotations(wanted, replicas(d), replicas(d) + rollout.max_surge(d))
        if replicas(rs) == size and not annotations_changed:
            return False, rs
        wanted.spec.replicas = size
        updated = ReplicaSet.model_validate(self.client.update(REPLICASET, wanted.to_wire()))
        if replicas(rs) != size:
            direction = "up" if size > replicas(rs) else "down"
            self.events.event(event_subject(d), type_="Normal", reason="ScalingReplicaSet",
                              message=f"Scaled {direction} replica set {rs.metadata.name} "
                                      f"from {replicas(rs)} to {size}")
        return True, updated

    def _cleanup(self, d: Deployment, old: list[ReplicaSet]) -> None:
        """Keep at most revisionHistoryLimit old ReplicaSets, deleting the oldest empty ones."""
        for rs in rollout.replica_sets_to_clean(d, old):
            try:
                self.client.delete(REPLICASET, rs.metadata.name, rs.metadata.namespace)
            except ApiStatusError as error:
                if error.code != 404:
                    raise

    # ----- status

    def _check_paused_conditions(self, d: Deployment) -> Deployment:
        """Progressing is Unknown while paused (DeploymentPaused), and says DeploymentResumed once resumed."""
        status = _status_copy(d)
        current = rollout.condition(status, PROGRESSING)
        current_reason = current.reason if current else None
        if not rollout.has_progress_deadline(d) or current_reason == rollout.TIMED_OUT:
            return d
        paused_reported = current_reason == rollout.PAUSED
        if d.spec.paused and not paused_reported:
            new = rollout.new_condition(PROGRESSING, ConditionStatus.UNKNOWN, rollout.PAUSED, "Deployment is paused",
                                        utc_now())
        elif not d.spec.paused and paused_reported:
            new = rollout.new_condition(PROGRESSING, ConditionStatus.UNKNOWN, rollout.RESUMED,
                                        "Deployment is resumed", utc_now())
        else:
            return d
        rollout.set_condition(status, new)
        return self._write_status(d, status)

    def _sync_status(self, d: Deployment, all_replica_sets: list[ReplicaSet], new_rs: ReplicaSet | None) -> None:
        status = rollout.calculate_status(d, all_replica_sets, new_rs, utc_now())
        if not d.metadata.is_terminating:
            self._publish_report(d, all_replica_sets, new_rs, status, check_at=None)  # paused or resized: no deadline
        if _changed(d, status):
            self._write_status(d, status)

    def _sync_rollout_status(self, d: Deployment, all_replica_sets: list[ReplicaSet],
                             new_rs: ReplicaSet | None) -> None:
        """The status, and Progressing: created, progressing, complete, or out of time (ProgressDeadlineExceeded)."""
        now = utc_now()
        status = rollout.calculate_status(d, all_replica_sets, new_rs, now)
        if not rollout.has_progress_deadline(d):
            rollout.remove_condition(status, PROGRESSING)
        current = rollout.condition(d.status, PROGRESSING)
        finished = ((status.replicas or 0) == (status.updated_replicas or 0) and current is not None
                    and current.reason == rollout.NEW_RS_AVAILABLE)
        if rollout.has_progress_deadline(d) and not finished:
            self._set_progressing(d, status, current, new_rs, now)
        failure = rollout.replica_failure(all_replica_sets, new_rs)
        if failure is not None:
            rollout.set_condition(status, failure)
        else:
            rollout.remove_condition(status, rollout.REPLICA_FAILURE)
        check_at = rollout.progress_check_at(d, status)
        self._publish_report(d, all_replica_sets, new_rs, status, check_at=check_at)
        if not _changed(d, status):
            if check_at is not None:  # no event marks a deadline passing: look again just after it
                self.queue.add_after(f"{d.metadata.namespace}/{d.metadata.name}",
                                     max((check_at - utc_now()).total_seconds(), 0.0))
            return
        self._write_status(d, status)

    @staticmethod
    def _set_progressing(d: Deployment, status: DeploymentStatus, current: DeploymentCondition | None,
                         new_rs: ReplicaSet | None, now) -> None:
        subject = (f"ReplicaSet {_q(new_rs.metadata.name)}" if new_rs
                   else f"Deployment {_q(d.metadata.name)}")
        if rollout.deployment_complete(d, status):
            rollout.set_condition(status, rollout.new_condition(
                PROGRESSING, ConditionStatus.TRUE, rollout.NEW_RS_AVAILABLE, f"{subject} has successfully progressed.",
                now))
        elif rollout.deployment_progressing(d, status):
            # Progress refreshes lastUpdateTime even when the reason stays: the deadline counts from the last progress.
            new = rollout.new_condition(PROGRESSING, ConditionStatus.TRUE, rollout.RS_UPDATED,
                                        f"{subject} is progressing.", now)
            if current is not None and current.status == ConditionStatus.TRUE:
                new.last_transition_time = current.last_transition_time
            rollout.remove_condition(status, PROGRESSING)
            rollout.set_condition(status, new)
        elif rollout.deployment_timed_out(d, status, now):
            rollout.set_condition(status, rollout.new_condition(
                PROGRESSING, ConditionStatus.FALSE, rollout.TIMED_OUT, f"{subject} has timed out progressing.", now))

    def _publish_report(self, d: Deployment, all_replica_sets: list[ReplicaSet], new_rs: ReplicaSet | None,
                        status: DeploymentStatus, *, check_at: datetime | None) -> None:
        """The arithmetic this reconcile stepped by, on the Deployment's why (the publisher skips repeats)."""
        new_uid = new_rs.metadata.uid if new_rs is not None else None
        old = [rs for rs in all_replica_sets if rs.metadata.uid != new_uid]
        # A finished rollout waits on no pod, so the pod cache is only walked mid-rollout.
        pods = [] if rollout.deployment_complete(d, status) else self._pods_of(all_replica_sets)
        try:
            self.reports.publish(rollout_report(d, new_rs, old, status, pods, check_at=check_at, now=utc_now()))
        except Exception:  # explaining must never cost the rollout its status write
            log.exception("could not explain deployment %s/%s", d.metadata.namespace, d.metadata.name)

    def _pods_of(self, replica_sets: list[ReplicaSet]) -> list[PodView]:
        """The unfinished pods these ReplicaSets control, terminating ones included."""
        uids = {rs.metadata.uid for rs in replica_sets}
        return [pod for pod in map(PodView, self.pods.items()) if pod.controller_uid in uids and not pod.is_finished]

    def _write_status(self, d: Deployment, status: DeploymentStatus) -> Deployment:
        written = self.client.update(DEPLOYMENT, d.model_copy(update={"status": status}).to_wire(),
                                     subresource="status")
        return Deployment.model_validate(written)


def _status_copy(d: Deployment) -> DeploymentStatus:
    """A copy of the Deployment's status to change and write back."""
    return d.status.model_copy(deep=True) if d.status else DeploymentStatus()


def _changed(d: Deployment, status: DeploymentStatus) -> bool:
    return status.to_wire() != (d.status.to_wire() if d.status else {})


def _controller_of(obj: Obj) -> OwnerReference | None:
    return ObjectView(obj).controller_ref()


def _present(rs: ReplicaSet | None) -> list[ReplicaSet]:
    return [rs] if rs is not None else []


def _selector(d: Deployment) -> LabelSelectorExpr:
    return label_selector(d.spec.selector if d.spec else None)


def _q(text: str) -> str:
    """Go's %q, as Kubernetes quotes names in condition messages."""
    return json.dumps(text)
