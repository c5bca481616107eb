"""The Deployment controller's why: its rollout arithmetic now, as a RolloutReport (objects.why).

Built from the same functions the controller steps with (`deployment_rollout`),
after each reconcile, from the ReplicaSets as that reconcile left them:

    maxSurge, maxUnavailable ─► resolved to pods against spec.replicas (surge up, unavailable down)
    maxTotal     = replicas + maxSurge        the most pods the ReplicaSets may ask for at once
    minAvailable = replicas - maxUnavailable  the fewest available pods allowed at any time
    mayCreate    how far the new ReplicaSet may still grow now (new_rs_new_replicas)
    mayRemove    how many old pods may go now (old_replica_set_sizes)
    waitingFor   the new pods not yet available, each with what it lacks
    countdowns   ProgressDeadline: when the controller looks again and marks ProgressDeadlineExceeded
                 MinReadySeconds:  when the ReplicaSet controller counts a Ready pod as available

The pod counts are the ReplicaSets' sizes (spec.replicas), as the surge fence
counts them; the available counts are their status. Nothing in the report is a
remaining time: countdowns carry the absolute moment (`at`), so the report stays
the same between reconciles and the publisher writes it only when it changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from master.controllers import deployment_rollout as rollout
from master.controllers.cache_view import PodView
from master.controllers.deployment_rollout import available_replicas, replicas
from master.controllers.replicaset import AVAILABILITY_RECHECK_DELAY_SECONDS
from objects.apps import Deployment, DeploymentStatus, DeploymentStrategyType, ReplicaSet
from objects.meta import ObjectMeta, parse_time
from objects.phases import PodConditionType
from objects.why import Countdown, RolloutReport, moment

DEPLOYMENT_CONTROLLER = "deployment-controller"
REPLICASET_CONTROLLER = "replicaset-controller"
MAX_LISTED_PODS = 10  # waitingFor and MinReadySeconds countdowns name at most this many pods


def rollout_report(d: Deployment, new_rs: ReplicaSet | None, old: list[ReplicaSet], status: DeploymentStatus,
                   pods: list[PodView], *, check_at: datetime | None, now: datetime) -> RolloutReport:
    """The arithmetic for `d` with these ReplicaSets and the pods they control (finished pods left out).

    `check_at` is the ProgressDeadline timer the controller holds (deployment_rollout.progress_check_at),
    None when it holds none (paused, resized, done, or no deadline).
    """
    rolling = rollout.is_rolling_update(d)
    surge, unavailable = rollout.max_surge(d), rollout.max_unavailable(d)
    complete = rollout.deployment_complete(d, status)
    new_uid = new_rs.metadata.uid if new_rs is not None else None
    new_pods = sorted((p for p in pods if p.controller_uid == new_uid and not p.is_terminating), key=_by_name)
    old_pods = sorted((p for p in pods if p.controller_uid != new_uid), key=_by_name)
    if d.spec.paused:
        may_create = may_remove = 0
    elif rolling:
        may_create, may_remove = _rolling_allowance(d, new_rs, old)
    else:
        may_create, may_remove = _recreate_allowance(d, new_rs, old, old_pods)
    report = RolloutReport(
        metadata=ObjectMeta(name=d.metadata.name, namespace=d.metadata.namespace, uid=d.metadata.uid),
        strategy=DeploymentStrategyType.ROLLING_UPDATE if rolling else DeploymentStrategyType.RECREATE,
        replicas=replicas(d), max_surge=surge, max_unavailable=unavailable,
        max_total=replicas(d) + surge, min_available=replicas(d) - unavailable,
        new_replicas=replicas(new_rs), new_available=available_replicas(new_rs),
        old_replicas=sum(replicas(rs) for rs in old), old_available=sum(available_replicas(rs) for rs in old),
        may_create=may_create, may_remove=may_remove, message="", complete=complete,
    )
    report.message = _sentence(d, report, status, old_pods_left=len(old_pods))
    if not complete:
        report.waiting_for = _waiting_for(d, new_rs, new_pods, old_pods, now)
        report.countdowns = _countdowns(d, new_rs, new_pods, check_at, now)
    return report


# ----- what the fences allow now


def _rolling_allowance(d: Deployment, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> tuple[int, int]:
    """(new pods the surge fence lets the new ReplicaSet add, old pods the availability fence lets go)."""
    if new_rs is None:
        room = replicas(d) + rollout.max_surge(d) - sum(replicas(rs) for rs in old)
        may_create = max(0, min(room, replicas(d)))
    elif replicas(new_rs) < replicas(d):
        may_create = rollout.new_rs_new_replicas(d, old + [new_rs], new_rs) - replicas(new_rs)
    else:
        may_create = 0
    sizes = rollout.old_replica_set_sizes(d, old, new_rs)
    may_remove = sum(replicas(rs) - sizes[rs.metadata.name] for rs in old if rs.metadata.name in sizes)
    return may_create, may_remove


def _recreate_allowance(d: Deployment, new_rs: ReplicaSet | None, old: list[ReplicaSet],
                        old_pods: list[PodView]) -> tuple[int, int]:
    """Recreate: every old pod may go at once; no new pod may start while an old one still runs."""
    may_remove = sum(replicas(rs) for rs in old)
    if may_remove or old_pods:
        return 0, may_remove
    return max(0, replicas(d) - replicas(new_rs)), 0


# ----- the sentence


def _sentence(d: Deployment, r: RolloutReport, status: DeploymentStatus, *, old_pods_left: int) -> str:
    if r.strategy == DeploymentStrategyType.RECREATE:
        text = _recreate_sentence(r, old_pods_left)
    else:
        available = r.old_available + r.new_available
        text = (f"maxSurge {r.max_surge}, maxUnavailable {r.max_unavailable}: at most {r.max_total} pods and at "
                f"least {r.min_available} available; {r.old_available} old available + {r.new_available} new "
                f"available = {available}, so {_rolling_conclusion(r, available)}")
    if d.spec.paused:
        text = f"paused, so nothing moves until `kubectl rollout resume`; {text}"
    progressing = rollout.condition(status, rollout.PROGRESSING)
    if progressing is not None and progressing.reason == rollout.TIMED_OUT:
        text += (f"; it made no progress for progressDeadlineSeconds ({d.spec.progress_deadline_seconds} s) "
                 f"and is marked {rollout.TIMED_OUT}")
    return text


def _rolling_conclusion(r: RolloutReport, available: int) -> str:
    if r.complete:
        return "the rollout is complete"
    allowed = []
    if r.may_create:
        allowed.append(f"{_pods(r.may_create, 'new')} may be created")
    if r.may_remove:
        allowed.append(f"{_pods(r.may_remove, 'old')} may go")
    if allowed:
        return " and ".join(allowed) + " now"
    if r.old_replicas:
        if available <= r.min_available:
            return "no old pod may go until a new one is available"
        unavailable = r.new_replicas - r.new_available
        return f"no old pod may go while {_pods(unavailable, 'new')} {'is' if unavailable == 1 else 'are'} unavailable"
    return f"it waits for {_pods(r.replicas - r.new_available, 'new')} to become available"


def _recreate_sentence(r: RolloutReport, old_pods_left: int) -> str:
    text = "Recreate: every old pod goes before any new one starts; "
    if r.complete:
        return text + "the rollout is complete"
    if r.may_remove:
        return text + f"{_pods(r.may_remove, 'old')} may go now"
    if old_pods_left:
        verb = "runs" if old_pods_left == 1 else "run"
        return text + f"{_pods(old_pods_left, 'old')} still {verb}, so no new pod may start"
    if r.may_create:
        return text + f"no old pod is left, so {_pods(r.may_create, 'new')} may be created now"
    return text + f"it waits for {_pods(r.replicas - r.new_available, 'new')} to become available"


def _pods(count: int, kind: str = "") -> str:
    """Counted pods in words: "1 new pod", "3 old pods", "2 pods"."""
    words = f"{count} {kind} pod" if kind else f"{count} pod"
    return words if count == 1 else words + "s"


# ----- what it waits for, and when the timers fire


def _waiting_for(d: Deployment, new_rs: ReplicaSet | None, new_pods: list[PodView], old_pods: list[PodView],
                 now: datetime) -> list[str]:
    waiting: list[str] = []
    if d.spec.paused:
        waiting.append(f"the Deployment to be resumed (kubectl rollout resume deployment/{d.metadata.name})")
    if not rollout.is_rolling_update(d):
        waiting += [f"pod {p.key} to terminate" for p in old_pods]
    min_ready = new_rs.min_ready_seconds if new_rs is not None else 0
    # Only what the ReplicaSet's status also counts (ready, available): a change there brings the controller
    # back, so the list never goes stale. Whether a pod is scheduled yet is the pod's own why.
    for pod in new_pods:
        if not pod.is_ready:
            waiting.append(f"pod {pod.key} to become Ready")
        elif not pod.is_available(min_ready, now):
            waiting.append(f"pod {pod.key} to stay Ready for minReadySeconds ({float(min_ready):.1f} s)")
    missing = replicas(new_rs) - len(new_pods)
    if new_rs is not None and missing > 0:
        waiting.append(f"ReplicaSet {new_rs.metadata.namespace}/{new_rs.metadata.name} to create {_pods(missing)}")
    if len(waiting) > MAX_LISTED_PODS:
        waiting = waiting[:MAX_LISTED_PODS] + [f"and {len(waiting) - MAX_LISTED_PODS} more"]
    return waiting


def _countdowns(d: Deployment, new_rs: ReplicaSet | None, new_pods: list[PodView], check_at: datetime | None,
                now: datetime) -> list[Countdown]:
    countdowns = []
    if check_at is not None:
        countdowns.append(Countdown(
            name="ProgressDeadline", at=moment(check_at.timestamp()), owner=DEPLOYMENT_CONTROLLER,
            message=f"the rollout is marked {rollout.TIMED_OUT} unless it progresses first "
                    f"(progressDeadlineSeconds {d.spec.progress_deadline_seconds})"))
    min_ready = new_rs.min_ready_seconds if new_rs is not None else 0
    for pod in new_pods:
        if len(countdowns) >= MAX_LISTED_PODS:
            break
        if not pod.is_ready or pod.is_available(min_ready, now):
            continue
        ready_since = parse_time(pod.condition(PodConditionType.READY).last_transition_time)
        if ready_since is None:
            continue  # the ReplicaSet controller waits the whole minReadySeconds from whenever it looks
        counted = ready_since + timedelta(seconds=min_ready + AVAILABILITY_RECHECK_DELAY_SECONDS)
        countdowns.append(Countdown(
            name="MinReadySeconds", at=moment(counted.timestamp()), owner=REPLICASET_CONTROLLER,
            message=f"pod {pod.key} counts as available (Ready for minReadySeconds {min_ready})"))
    return countdowns


def _by_name(pod: PodView) -> str:
    return pod.name
