"""The Deployment controller's why: the rollout arithmetic it reports, checked on models (no API)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from master.controllers import deployment_rollout as rollout
from master.controllers.cache_view import PodView
from master.controllers.rollout_report import rollout_report
from objects.apps import Deployment, DeploymentStatus, ReplicaSet
from objects.why import epoch_of

NOW = datetime(2026, 1, 5, 12, 0, 0, tzinfo=timezone.utc)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def deployment(replicas=3, *, surge=1, unavailable=0, strategy="RollingUpdate", min_ready=None, paused=None,
               deadline=600, conditions=None) -> Deployment:
    spec_strategy = {"type": strategy}
    if strategy == "RollingUpdate":
        spec_strategy["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return Deployment.model_validate({
        "metadata": {"name": "web", "namespace": "default", "generation": 2, "uid": "d-1"},
        "spec": {"replicas": replicas, "strategy": spec_strategy, "minReadySeconds": min_ready, "paused": paused,
                 "progressDeadlineSeconds": deadline},
        "status": {"observedGeneration": 2, "conditions": conditions or []},
    })


def replica_set(name, uid, size, *, available=0, ready=None, created="2026-01-01T00:00:00Z", min_ready=None):
    return ReplicaSet.model_validate({
        "metadata": {"name": name, "namespace": "default", "uid": uid, "creationTimestamp": created},
        "spec": {"replicas": size, "minReadySeconds": min_ready},
        "status": {"replicas": size, "readyReplicas": available if ready is None else ready,
                   "availableReplicas": available},
    })


def pod(name, owner_uid, *, ready=False, ready_since=NOW, node="n1", terminating=False) -> PodView:
    conditions = [{"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": stamp(ready_since)}]
    metadata = {"name": name, "namespace": "default", "uid": f"p-{name}",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": owner_uid,
                                     "controller": True}]}
    if terminating:
        metadata["deletionTimestamp"] = stamp(NOW)
    return PodView({"metadata": metadata, "spec": {"nodeName": node},
                    "status": {"phase": "Running", "conditions": conditions}})


def report_for(d, new_rs, old, pods, *, check_at=None, now=NOW):
    status = rollout.calculate_status(d, old + ([new_rs] if new_rs else []), new_rs, now)
    return rollout_report(d, new_rs, old, status, pods, check_at=check_at, now=now)


def test_max_unavailable_zero_waits_for_a_new_pod_before_any_old_one_goes():
    d = deployment(3, surge=1, unavailable=0)
    old = [replica_set("web-old", "old", 3, available=3)]
    new = replica_set("web-new", "new", 1, created="2026-01-02T00:00:00Z")
    check_at = NOW + timedelta(seconds=601)

    report = report_for(d, new, old, [pod("web-new-x", "new", ready=False)], check_at=check_at)

    assert (report.max_surge, report.max_unavailable, report.max_total, report.min_available) == (1, 0, 4, 3)
    assert (report.new_replicas, report.new_available, report.old_replicas, report.old_available) == (1, 0, 3, 3)
    assert (report.may_create, report.may_remove, report.complete) == (0, 0, False)
    assert report.message == ("maxSurge 1, maxUnavailable 0: at most 4 pods and at least 3 available; "
                              "3 old available + 0 new available = 3, so no old pod may go until a new one is "
                              "available")
    assert report.waiting_for == ["pod default/web-new-x to become Ready"]
    [deadline] = report.countdowns
    assert (deadline.name, deadline.owner) == ("ProgressDeadline", "deployment-controller")
    assert epoch_of(deadline.at) == check_at.timestamp()


def test_percentages_resolve_as_the_controller_resolves_them_surge_up_and_unavailability_down():
    d = deployment(10, surge="25%", unavailable="25%")
    report = report_for(d, replica_set("web-new", "new", 10, available=10), [], [])
    assert (report.max_surge, report.max_unavailable, report.max_total, report.min_available) == (3, 2, 13, 8)
    assert report.complete and report.message.endswith("so the rollout is complete")
    assert report.waiting_for == [] and report.countdowns == []


def test_old_pods_may_go_as_far_as_max_unavailable_allows():
    d = deployment(3, surge=1, unavailable=1)
    old = [replica_set("web-old", "old", 3, available=3)]
    new = replica_set("web-new", "new", 1, created="2026-01-02T00:00:00Z")

    report = report_for(d, new, old, [pod("web-new-x", "new")])

    # 4 pods asked for, at least 2 available, 1 new not available yet: one old pod may go.
    assert (report.may_create, report.may_remove) == (0, 1)
    assert report.message.endswith("3 old available + 0 new available = 3, so 1 old pod may go now")


def test_the_new_replica_set_may_grow_up_to_replicas_plus_max_surge():
    d = deployment(4, surge=2, unavailable=0)
    old = [replica_set("web-old", "old", 4, available=4)]
    new = replica_set("web-new", "new", 0, created="2026-01-02T00:00:00Z")

    report = report_for(d, new, old, [])

    assert (report.max_total, report.may_create, report.may_remove) == (6, 2, 0)
    assert "so 2 new pods may be created now" in report.message


def test_a_ready_pod_waits_out_min_ready_seconds_on_the_replica_set_controllers_timer():
    d = deployment(1, surge=1, unavailable=0, min_ready=2)
    old = [replica_set("web-old", "old", 1, available=1, min_ready=2)]
    new = replica_set("web-new", "new", 1, ready=1, created="2026-01-02T00:00:00Z", min_ready=2)
    ready_since = NOW - timedelta(seconds=1)

    report = report_for(d, new, old, [pod("web-new-x", "new", ready=True, ready_since=ready_since)])

    assert report.waiting_for == ["pod default/web-new-x to stay Ready for minReadySeconds (2.0 s)"]
    [countdown] = report.countdowns
    assert (countdown.name, countdown.owner) == ("MinReadySeconds", "replicaset-controller")
    # Available 2 s after it turned Ready; the ReplicaSet controller counts it on its look just after.
    assert epoch_of(countdown.at) == (ready_since + timedelta(seconds=2.1)).timestamp()


def test_the_report_does_not_change_while_only_time_passes():
    """A report holding a remaining time would be written to the store on every reconcile."""
    d = deployment(1, surge=1, unavailable=0, min_ready=5)
    old = [replica_set("web-old", "old", 1, available=1, min_ready=5)]
    new = replica_set("web-new", "new", 1, ready=1, created="2026-01-02T00:00:00Z", min_ready=5)
    pods = [pod("web-new-x", "new", ready=True)]
    check_at = NOW + timedelta(seconds=30)

    first = report_for(d, new, old, pods, check_at=check_at, now=NOW + timedelta(seconds=1))
    later = report_for(d, new, old, pods, check_at=check_at, now=NOW + timedelta(seconds=3))

    assert first.to_wire() == later.to_wire()


def test_recreate_starts_no_new_pod_while_an_old_one_still_runs():
    d = deployment(2, strategy="Recreate")
    old = [replica_set("web-old", "old", 0)]
    new = replica_set("web-new", "new", 0, created="2026-01-02T00:00:00Z")

    report = report_for(d, new, old, [pod("web-old-a", "old", ready=True, terminating=True)])

    assert (report.strategy, report.max_surge, report.max_unavailable) == ("Recreate", 0, 0)
    assert (report.may_create, report.may_remove) == (0, 0)
    assert report.message.endswith("1 old pod still runs, so no new pod may start")
    assert report.waiting_for == ["pod default/web-old-a to terminate"]

    gone = report_for(d, new, old, [])
    assert gone.may_create == 2 and gone.message.endswith("no old pod is left, so 2 new pods may be created now")


def test_a_paused_rollout_allows_nothing_and_waits_to_be_resumed():
    d = deployment(3, surge=1, unavailable=1, paused=True)
    old = [replica_set("web-old", "old", 3, available=3)]
    new = replica_set("web-new", "new", 1, created="2026-01-02T00:00:00Z")

    report = report_for(d, new, old, [pod("web-new-x", "new")])

    assert (report.may_create, report.may_remove) == (0, 0)
    assert report.message.startswith("paused, so nothing moves until `kubectl rollout resume`")
    assert report.waiting_for[0] == "the Deployment to be resumed (kubectl rollout resume deployment/web)"


def test_the_progress_check_is_the_deadline_after_the_last_progress_plus_the_controllers_delay():
    progressing = {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                   "lastUpdateTime": stamp(NOW), "lastTransitionTime": stamp(NOW)}
    d = deployment(3, deadline=10, conditions=[progressing])
    old = [replica_set("web-old", "old", 3, available=3)]
    new = replica_set("web-new", "new", 1, created="2026-01-02T00:00:00Z")
    status = rollout.calculate_status(d, old + [new], new, NOW)

    assert rollout.progress_check_at(d, status) == NOW + timedelta(seconds=10.1)

    timed_out = {**progressing, "status": "False", "reason": "ProgressDeadlineExceeded"}
    stuck = deployment(3, deadline=10, conditions=[timed_out])
    stuck_status = rollout.calculate_status(stuck, old + [new], new, NOW)
    assert rollout.progress_check_at(stuck, stuck_status) is None
    report = rollout_report(stuck, new, old, stuck_status, [], check_at=None, now=NOW)
    assert report.message.endswith("it made no progress for progressDeadlineSeconds (10 s) and is marked "
                                   "ProgressDeadlineExceeded")
