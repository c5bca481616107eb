"""The arithmetic of a Deployment rollout, kept pure so it can be read (and tested) without an API.

Everything here takes the Deployment and its ReplicaSets as they are and says
what they should become: how many pods the new ReplicaSet may have, how far the
old ones may shrink, how a resize is shared out, what the status says. The
controller (`deployment.py`) does the writing. Names follow Kubernetes'
`pkg/controller/deployment/util`.

A rolling update moves between two fences (resolved from maxSurge and
maxUnavailable against spec.replicas):

    total pods    <= replicas + maxSurge          (surge rounds up)
    available pods >= replicas - maxUnavailable   (unavailable rounds down)
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from master.controllers.pod_template import rfc3339, templates_equal_ignoring_hash
from objects.apps import (
    Deployment, DeploymentCondition, DeploymentStatus, DeploymentStrategyType, PodTemplateSpec, ReplicaSet,
    RollingUpdateDeployment,
)
from objects.meta import IntOrString, parse_time
from objects.phases import ConditionStatus

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Deployment annotations that are the controller's bookkeeping, never copied onto a ReplicaSet.
NOT_COPIED_TO_REPLICA_SETS = (LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO)
MAX_REVISION_HISTORY_CHARS = 2000

# Condition types and reasons, spelled as Kubernetes spells them.
AVAILABLE, PROGRESSING, REPLICA_FAILURE = "Available", "Progressing", "ReplicaFailure"
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
FAILED_RS_CREATE = "ReplicaSetCreateError"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"
# progressDeadlineSeconds of MaxInt32 means "no deadline".
NO_DEADLINE = 2**31 - 1
# No event marks a deadline passing: the controller looks again this long after it. Kubernetes waits a
# whole second (against clock skew in its delaying queue); here a timer that fires early only requeues
# itself, and any reconcile after the deadline marks it, so a longer wait would make the moment the why
# publishes (deadline + this) up to that much later than the marking an unrelated reconcile can bring.
DEADLINE_CHECK_DELAY_SECONDS = 0.1


# ----- reading a Deployment and its ReplicaSets


def replicas(obj: Deployment | ReplicaSet | None) -> int:
    """spec.replicas (1 when unset, as defaulting leaves it); 0 for no object."""
    return 0 if obj is None else obj.replicas


def current_replicas(obj: Deployment | ReplicaSet | None) -> int:
    """status.replicas: the pods it has now."""
    return (obj.status.replicas if obj is not None and obj.status else None) or 0


def available_replicas(rs: ReplicaSet | None) -> int:
    return (rs.status.available_replicas if rs is not None and rs.status else None) or 0


def ready_replicas(rs: ReplicaSet) -> int:
    return (rs.status.ready_replicas if rs.status else None) or 0


def generation(obj: Deployment | ReplicaSet) -> int:
    return 1 if obj.metadata.generation is None else obj.metadata.generation


def is_rolling_update(d: Deployment) -> bool:
    strategy = d.spec.strategy if d.spec else None
    return ((strategy.type if strategy else None) or DeploymentStrategyType.ROLLING_UPDATE) == \
        DeploymentStrategyType.ROLLING_UPDATE


def has_progress_deadline(d: Deployment) -> bool:
    deadline = d.spec.progress_deadline_seconds if d.spec else None
    return deadline is not None and deadline != NO_DEADLINE


def revision(obj: Deployment | ReplicaSet) -> int:
    try:
        return int((obj.metadata.annotations or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def max_revision(replica_sets: list[ReplicaSet]) -> int:
    return max((revision(rs) for rs in replica_sets), default=0)


def by_creation(replica_sets: list[ReplicaSet]) -> list[ReplicaSet]:
    """Oldest first; the name breaks ties, as controller.ReplicaSetsByCreationTimestamp does."""
    return sorted(replica_sets, key=lambda rs: (rs.metadata.creation_timestamp or "", rs.metadata.name))


def active(replica_sets: list[ReplicaSet | None]) -> list[ReplicaSet]:
    return [rs for rs in replica_sets if rs is not None and replicas(rs) > 0]


def template_of(obj: Deployment | ReplicaSet) -> PodTemplateSpec | None:
    return obj.spec.template if obj.spec else None


def same_template(a: PodTemplateSpec | None, b: PodTemplateSpec | None) -> bool:
    """deploymentutil.EqualIgnoreHash on the templates' wire form, whatever pod-template-hash label either carries."""
    return templates_equal_ignoring_hash(a.to_wire() if a else None, b.to_wire() if b else None)


def find_new_replica_set(d: Deployment, replica_sets: list[ReplicaSet]) -> ReplicaSet | None:
    """The oldest ReplicaSet whose template is the Deployment's (a rollback reuses the old one)."""
    template = template_of(d)
    return next((rs for rs in by_creation(replica_sets) if same_template(template_of(rs), template)), None)


# ----- the fences


def scaled_value(value: IntOrString | None, total: int, *, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: 2 is 2; "25%" of 10 is 3 rounding up, 2 rounding down."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.endswith("%"):
        return int(text)
    exact = int(text[:-1]) * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(max_surge: IntOrString | None, max_unavailable: IntOrString | None,
                       desired: int) -> tuple[int, int]:
    """Surge rounds up, unavailability down; both zero would deadlock a rollout, so unavailability becomes 1."""
    surge = scaled_value(max_surge, desired, round_up=True)
    unavailable = scaled_value(max_unavailable, desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _rolling(d: Deployment) -> RollingUpdateDeployment:
    strategy = d.spec.strategy if d.spec else None
    return (strategy.rolling_update if strategy else None) or RollingUpdateDeployment()


def max_surge(d: Deployment) -> int:
    if not is_rolling_update(d):
        return 0
    rolling = _rolling(d)
    return resolve_fenceposts(rolling.max_surge, rolling.max_unavailable, replicas(d))[0]


def max_unavailable(d: Deployment) -> int:
    if not is_rolling_update(d) or replicas(d) == 0:
        return 0
    rolling = _rolling(d)
    unavailable = resolve_fenceposts(rolling.max_surge, rolling.max_unavailable, replicas(d))[1]
    return min(unavailable, replicas(d))


# ----- how big each ReplicaSet should be


def new_rs_new_replicas(d: Deployment, all_replica_sets: list[ReplicaSet], new_rs: ReplicaSet) -> int:
    """NewRSNewReplicas: grow the new ReplicaSet as far as the surge fence allows (Recreate: all at once)."""
    if not is_rolling_update(d):
        return replicas(d)
    current = sum(replicas(rs) for rs in all_replica_sets)
    ceiling = replicas(d) + max_surge(d)
    if current >= ceiling:
        return replicas(new_rs)
    grow = min(ceiling - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + grow


def old_replica_set_sizes(d: Deployment, old: list[ReplicaSet], new_rs: ReplicaSet | None) -> dict[str, int]:
    """reconcileOldReplicaSets: what the old ReplicaSets shrink to, never taking availability below the fence.

    Unhealthy old pods go first (cleanupUnhealthyReplicas): they serve nobody.
    Then healthy ones, oldest ReplicaSet first, as far as the available pods
    above replicas - maxUnavailable allow.
    """
    old = active(old)
    if not old:
        return {}
    min_available = replicas(d) - max_unavailable(d)
    new_unavailable = replicas(new_rs) - available_replicas(new_rs)
    total = sum(replicas(rs) for rs in old) + replicas(new_rs)
    budget = total - min_available - new_unavailable
    if budget <= 0:
        return {}
    sizes: dict[str, int] = {}
    cleaned = 0
    for rs in by_creation(old):
        if cleaned >= budget:
            break
        unhealthy = replicas(rs) - available_replicas(rs)
        if unhealthy <= 0:
            continue
        cut = min(budget - cleaned, unhealthy)
        sizes[rs.metadata.name] = replicas(rs) - cut
        cleaned += cut
    available = sum(available_replicas(rs) for rs in old) + available_replicas(new_rs)
    if available <= min_available:
        return sizes
    to_remove, removed = available - min_available, 0
    for rs in by_creation(old):
        if removed >= to_remove:
            break
        size = sizes.get(rs.metadata.name, replicas(rs))
        if size == 0:
            continue
        cut = min(size, to_remove - removed)
        sizes[rs.metadata.name] = size - cut
        removed += cut
    return sizes


def is_saturated(d: Deployment, rs: ReplicaSet | None) -> bool:
    """The ReplicaSet holds every pod the Deployment wants, all available."""
    if rs is None:
        return False
    desired = (rs.metadata.annotations or {}).get(DESIRED_REPLICAS)
    return (replicas(rs) == replicas(d) and desired == str(replicas(d))
            and available_replicas(rs) == replicas(d))


def find_active_or_latest(new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> ReplicaSet | None:
    """The one ReplicaSet with pods; the newest when none has any; None when several do (mid-rollout)."""
    if new_rs is None and not old:
        return None
    newest_first = list(reversed(by_creation(old)))
    candidates = active(newest_first + [new_rs])
    if not candidates:
        return new_rs if new_rs is not None else newest_first[0]
    return candidates[0] if len(candidates) == 1 else None


def proportional_sizes(d: Deployment, replica_sets: list[ReplicaSet]) -> tuple[dict[str, int], str]:
    """Resize mid-rollout: share the change among active ReplicaSets in proportion to their size (`scale`)."""
    allowed = replicas(d) + max_surge(d) if replicas(d) > 0 else 0
    to_add = allowed - sum(replicas(rs) for rs in replica_sets)
    ordered = by_creation(replica_sets)
    if to_add > 0:
        ordered.reverse()  # growing: among equals the newer grows first; shrinking: the older shrinks first
    ordered.sort(key=lambda rs: -replicas(rs))  # stable: larger first
    sizes = {rs.metadata.name: replicas(rs) for rs in ordered}
    added = 0
    if to_add != 0:
        for rs in ordered:
            share = _proportion(d, rs, to_add, added)
            sizes[rs.metadata.name] += share
            added += share
        first = ordered[0].metadata.name
        sizes[first] = max(0, sizes[first] + to_add - added)
    return sizes, "up" if to_add > 0 else "down"


def _proportion(d: Deployment, rs: ReplicaSet, to_add: int, added: int) -> int:
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _fraction(d, rs)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _fraction(d: Deployment, rs: ReplicaSet) -> int:
    """How much `rs` should change so that it keeps its share of the Deployment at the new size."""
    if replicas(d) == 0:
        return -replicas(rs)
    target_total = replicas(d) + max_surge(d)
    try:
        annotated = int((rs.metadata.annotations or {})[MAX_REPLICAS])
    except (KeyError, ValueError):
        annotated = current_replicas(d)
    if annotated == 0:
        return 0
    return _round_half_away(replicas(rs) * target_total / annotated) - replicas(rs)


def _round_half_away(value: float) -> int:
    return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))


def replica_sets_to_clean(d: Deployment, old: list[ReplicaSet]) -> list[ReplicaSet]:
    """cleanupDeployment: the oldest revisions beyond revisionHistoryLimit that have fully scaled down."""
    limit = d.spec.revision_history_limit if d.spec else None
    if limit is None:
        return []
    alive = [rs for rs in old if not rs.metadata.is_terminating]
    excess = len(alive) - limit
    if excess <= 0:
        return []
    doomed = []
    for rs in sorted(alive, key=lambda rs: (revision(rs), rs.metadata.creation_timestamp or ""))[:excess]:
        observed = (rs.status.observed_generation if rs.status else None) or 0
        if current_replicas(rs) or replicas(rs) or generation(rs) > observed:
            continue  # still has pods, or its controller has not caught up with it
        doomed.append(rs)
    return doomed


# ----- annotations


def set_replicas_annotations(rs: ReplicaSet, desired: int, maximum: int) -> bool:
    annotations = rs.metadata.annotations = rs.metadata.annotations or {}
    changed = annotations.get(DESIRED_REPLICAS) != str(desired) or annotations.get(MAX_REPLICAS) != str(maximum)
    annotations[DESIRED_REPLICAS], annotations[MAX_REPLICAS] = str(desired), str(maximum)
    return changed


def set_new_rs_annotations(d: Deployment, rs: ReplicaSet, new_revision: int, *, exists: bool) -> bool:
    """Copy the Deployment's annotations, raise the revision (keeping the old one in the history), set the sizes."""
    annotations = rs.metadata.annotations = rs.metadata.annotations or {}
    changed = False
    for key, value in (d.metadata.annotations or {}).items():
        if key not in NOT_COPIED_TO_REPLICA_SETS and annotations.get(key) != value:
            annotations[key] = value
            changed = True
    previous = annotations.get(REVISION)
    try:
        previous_number = int(previous) if previous else 0
    except ValueError:
        return changed
    if previous_number < new_revision:
        annotations[REVISION] = str(new_revision)
        changed = True
        if previous:  # rolling back to this ReplicaSet: remember the revisions it had
            history = [r for r in annotations.get(REVISION_HISTORY, "").split(",") if r] + [previous]
            while len(",".join(history)) > MAX_REVISION_HISTORY_CHARS:
                history.pop(0)
            annotations[REVISION_HISTORY] = ",".join(history)
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


# ----- status and conditions


def condition(status: DeploymentStatus | None, type_: str) -> DeploymentCondition | None:
    return next((c for c in (status.conditions if status else None) or [] if c.type == type_), None)


def new_condition(type_: str, status: ConditionStatus, reason: str, message: str,
                  now: datetime) -> DeploymentCondition:
    moment = rfc3339(now)
    return DeploymentCondition(type=type_, status=status, last_update_time=moment, last_transition_time=moment,
                               reason=reason, message=message)


def set_condition(status: DeploymentStatus, new: DeploymentCondition) -> None:
    """SetDeploymentCondition: same status and reason changes nothing; same status keeps the transition time."""
    current = condition(status, new.type)
    if current is not None and current.status == new.status and current.reason == new.reason:
        return
    if current is not None and current.status == new.status:
        new = new.model_copy(update={"last_transition_time": current.last_transition_time})
    status.conditions = [c for c in status.conditions or [] if c.type != new.type] + [new]


def remove_condition(status: DeploymentStatus, type_: str) -> None:
    status.conditions = [c for c in status.conditions or [] if c.type != type_] or None


def calculate_status(d: Deployment, all_replica_sets: list[ReplicaSet], new_rs: ReplicaSet | None,
                     now: datetime) -> DeploymentStatus:
    """The counts summed over the ReplicaSets, and Available: are at least replicas - maxUnavailable pods available?"""
    available = sum(available_replicas(rs) for rs in all_replica_sets)
    wanted_total = sum(replicas(rs) for rs in all_replica_sets)
    old = d.status or DeploymentStatus()
    # Kubernetes omits zero counts (omitempty): a zero is left unset.
    status = DeploymentStatus(
        observed_generation=generation(d) or None,
        replicas=sum(current_replicas(rs) for rs in all_replica_sets) or None,
        updated_replicas=current_replicas(new_rs) or None,
        ready_replicas=sum(ready_replicas(rs) for rs in all_replica_sets) or None,
        available_replicas=available or None,
        unavailable_replicas=max(wanted_total - available, 0) or None,
        collision_count=old.collision_count,
        conditions=[c.model_copy() for c in old.conditions] if old.conditions else None,
    )
    if available >= replicas(d) - max_unavailable(d):
        set_condition(status, new_condition(AVAILABLE, ConditionStatus.TRUE, MIN_AVAILABLE,
                                            "Deployment has minimum availability.", now))
    else:
        set_condition(status, new_condition(AVAILABLE, ConditionStatus.FALSE, MIN_UNAVAILABLE,
                                            "Deployment does not have minimum availability.", now))
    return status


def deployment_complete(d: Deployment, status: DeploymentStatus) -> bool:
    """Every pod updated and available, none left over, and this generation observed."""
    want = replicas(d)
    return ((status.updated_replicas or 0) == want and (status.replicas or 0) == want
            and (status.available_replicas or 0) == want
            and (status.observed_generation or 0) >= generation(d))


def deployment_progressing(d: Deployment, new: DeploymentStatus) -> bool:
    """More pods updated, ready or available than last time, or fewer old ones."""
    old = d.status or DeploymentStatus()
    old_leftovers = (old.replicas or 0) - (old.updated_replicas or 0)
    new_leftovers = (new.replicas or 0) - (new.updated_replicas or 0)
    return ((new.updated_replicas or 0) > (old.updated_replicas or 0) or new_leftovers < old_leftovers
            or (new.ready_replicas or 0) > (old.ready_replicas or 0)
            or (new.available_replicas or 0) > (old.available_replicas or 0))


def progress_deadline(d: Deployment, status: DeploymentStatus) -> datetime | None:
    """When the rollout runs out of time without progress; None when it cannot (done, timed out, no deadline)."""
    current = condition(status, PROGRESSING)
    if not has_progress_deadline(d) or current is None or current.reason in (NEW_RS_AVAILABLE, TIMED_OUT):
        return None
    since = parse_time(current.last_update_time)
    return None if since is None else since + timedelta(seconds=d.spec.progress_deadline_seconds)


def progress_check_at(d: Deployment, status: DeploymentStatus) -> datetime | None:
    """When the controller looks again to mark ProgressDeadlineExceeded, or None when it holds no such timer
    (no deadline, complete, already timed out). progressDeadlineSeconds counts real seconds: --time-scale
    does not scale it."""
    if deployment_complete(d, status):
        return None
    deadline = progress_deadline(d, status)
    return None if deadline is None else deadline + timedelta(seconds=DEADLINE_CHECK_DELAY_SECONDS)


def deployment_timed_out(d: Deployment, status: DeploymentStatus, now: datetime) -> bool:
    current = condition(status, PROGRESSING)
    if current is not None and current.reason == TIMED_OUT:
        return True
    deadline = progress_deadline(d, status)
    return deadline is not None and deadline < now


def replica_failure(all_replica_sets: list[ReplicaSet], new_rs: ReplicaSet | None) -> DeploymentCondition | None:
    """The first ReplicaFailure among the ReplicaSets (the new one first), as a Deployment condition."""
    for rs in ([new_rs] if new_rs is not None else []) + all_replica_sets:
        found = next((c for c in (rs.status.conditions if rs.status else None) or [] if c.type == REPLICA_FAILURE),
                     None)
        if found is not None:
            return DeploymentCondition(type=REPLICA_FAILURE, status=found.status, reason=found.reason,
                                       message=found.message, last_update_time=found.last_transition_time,
                                       last_transition_time=found.last_transition_time)
    return None
