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
from typing import Any

from master.controllers.pod_template import Obj, rfc3339, templates_equal_ignoring_hash
from objects.meta import parse_time

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


# ----- reading a Deployment and its ReplicaSets


def replicas(obj: Obj | None) -> int:
    """spec.replicas (1 when unset, as defaulting leaves it); 0 for no object."""
    if obj is None:
        return 0
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else value


def status_count(obj: Obj | None, field: str) -> int:
    return ((obj or {}).get("status") or {}).get(field) or 0


def is_rolling_update(d: Obj) -> bool:
    return ((d["spec"].get("strategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"


def has_progress_deadline(d: Obj) -> bool:
    deadline = d["spec"].get("progressDeadlineSeconds")
    return deadline is not None and deadline != NO_DEADLINE


def revision(obj: Obj) -> int:
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def max_revision(replica_sets: list[Obj]) -> int:
    return max((revision(rs) for rs in replica_sets), default=0)


def by_creation(replica_sets: list[Obj]) -> list[Obj]:
    """Oldest first; the name breaks ties, as controller.ReplicaSetsByCreationTimestamp does."""
    return sorted(replica_sets, key=lambda rs: (rs["metadata"].get("creationTimestamp") or "", rs["metadata"]["name"]))


def active(replica_sets: list[Obj | None]) -> list[Obj]:
    return [rs for rs in replica_sets if rs is not None and replicas(rs) > 0]


def find_new_replica_set(d: Obj, replica_sets: list[Obj]) -> Obj | None:
    """The oldest ReplicaSet whose template is the Deployment's (a rollback reuses the old one)."""
    template = d["spec"].get("template")
    return next((rs for rs in by_creation(replica_sets)
                 if templates_equal_ignoring_hash(rs["spec"].get("template"), template)), None)


# ----- the fences


def scaled_value(value: int | str | None, total: int, *, round_up: bool) -> int:
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


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    """Surge rounds up, unavailability down; both zero would deadlock a rollout, so unavailability becomes 1."""
    surge = scaled_value(max_surge, desired, round_up=True)
    unavailable = scaled_value(max_unavailable, desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _rolling(d: Obj) -> Obj:
    return (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}


def max_surge(d: Obj) -> int:
    if not is_rolling_update(d):
        return 0
    rolling = _rolling(d)
    return resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), replicas(d))[0]


def max_unavailable(d: Obj) -> int:
    if not is_rolling_update(d) or replicas(d) == 0:
        return 0
    rolling = _rolling(d)
    unavailable = resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), replicas(d))[1]
    return min(unavailable, replicas(d))


# ----- how big each ReplicaSet should be


def new_rs_new_replicas(d: Obj, all_replica_sets: list[Obj], new_rs: Obj) -> int:
    """NewRSNewReplicas: grow the new ReplicaSet as far as the surge fence allows (Recreate: all at once)."""
    if not is_rolling_update(d):
        return replicas(d)
    current = sum(replicas(rs) for rs in all_replica_sets)
    ceiling = replicas(d) + max_surge(d)
    if current >= ceiling:
        return replicas(new_rs)
    grow = min(ceiling - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + grow


def old_replica_set_sizes(d: Obj, old: list[Obj], new_rs: Obj | None) -> dict[str, int]:
    """reconcileOldReplicaSets: what the old ReplicaSets shrink to, never taking availability below the fence.

    Unhealthy old pods go first (cleanupUnhealthyReplicas): they serve nobody.
    Then healthy ones, oldest ReplicaSet first, as far as the available pods
    above replicas - maxUnavailable allow.
    """
    old = active(old)
    if not old:
        return {}
    min_available = replicas(d) - max_unavailable(d)
    new_unavailable = replicas(new_rs) - status_count(new_rs, "availableReplicas")
    total = sum(replicas(rs) for rs in old) + replicas(new_rs)
    budget = total - min_available - new_unavailable
    if budget <= 0:
        return {}
    sizes: dict[str, int] = {}
    cleaned = 0
    for rs in by_creation(old):
        if cleaned >= budget:
            break
        unhealthy = replicas(rs) - status_count(rs, "availableReplicas")
        if unhealthy <= 0:
            continue
        cut = min(budget - cleaned, unhealthy)
        sizes[rs["metadata"]["name"]] = replicas(rs) - cut
        cleaned += cut
    available = sum(status_count(rs, "availableReplicas") for rs in old) + status_count(new_rs, "availableReplicas")
    if available <= min_available:
        return sizes
    to_remove, removed = available - min_available, 0
    for rs in by_creation(old):
        if removed >= to_remove:
            break
        size = sizes.get(rs["metadata"]["name"], replicas(rs))
        if size == 0:
            continue
        cut = min(size, to_remove - removed)
        sizes[rs["metadata"]["name"]] = size - cut
        removed += cut
    return sizes


def is_saturated(d: Obj, rs: Obj | None) -> bool:
    """The ReplicaSet holds every pod the Deployment wants, all available."""
    if rs is None:
        return False
    desired = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)
    return (replicas(rs) == replicas(d) and desired == str(replicas(d))
            and status_count(rs, "availableReplicas") == replicas(d))


def find_active_or_latest(new_rs: Obj | None, old: list[Obj]) -> Obj | None:
    """The one ReplicaSet with pods; the newest when none has any; None when several do (mid-rollout)."""
    if new_rs is None and not old:
        return None
    newest_first = list(reversed(by_creation(old)))
    candidates = active(newest_first + [new_rs])
    if not candidates:
        return new_rs if new_rs is not None else newest_first[0]
    return candidates[0] if len(candidates) == 1 else None


def proportional_sizes(d: Obj, replica_sets: list[Obj]) -> tuple[dict[str, int], str]:
    """Resize mid-rollout: share the change among active ReplicaSets in proportion to their size (`scale`)."""
    allowed = replicas(d) + max_surge(d) if replicas(d) > 0 else 0
    to_add = allowed - sum(replicas(rs) for rs in replica_sets)
    ordered = by_creation(replica_sets)
    if to_add > 0:
        ordered.reverse()  # growing: among equals the newer grows first; shrinking: the older shrinks first
    ordered.sort(key=lambda rs: -replicas(rs))  # stable: larger first
    sizes = {rs["metadata"]["name"]: replicas(rs) for rs in ordered}
    added = 0
    if to_add != 0:
        for rs in ordered:
            share = _proportion(d, rs, to_add, added)
            sizes[rs["metadata"]["name"]] += share
            added += share
        first = ordered[0]["metadata"]["name"]
        sizes[first] = max(0, sizes[first] + to_add - added)
    return sizes, "up" if to_add > 0 else "down"


def _proportion(d: Obj, rs: Obj, to_add: int, added: int) -> int:
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _fraction(d, rs)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _fraction(d: Obj, rs: Obj) -> int:
    """How much `rs` should change so that it keeps its share of the Deployment at the new size."""
    if replicas(d) == 0:
        return -replicas(rs)
    target_total = replicas(d) + max_surge(d)
    try:
        annotated = int((rs["metadata"].get("annotations") or {})[MAX_REPLICAS])
    except (KeyError, ValueError):
        annotated = status_count(d, "replicas")
    if annotated == 0:
        return 0
    return _round_half_away(replicas(rs) * target_total / annotated) - replicas(rs)


def _round_half_away(value: float) -> int:
    return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))


def replica_sets_to_clean(d: Obj, old: list[Obj]) -> list[Obj]:
    """cleanupDeployment: the oldest revisions beyond revisionHistoryLimit that have fully scaled down."""
    limit = d["spec"].get("revisionHistoryLimit")
    if limit is None:
        return []
    alive = [rs for rs in old if not rs["metadata"].get("deletionTimestamp")]
    excess = len(alive) - limit
    if excess <= 0:
        return []
    doomed = []
    for rs in sorted(alive, key=lambda rs: (revision(rs), rs["metadata"].get("creationTimestamp") or ""))[:excess]:
        observed = status_count(rs, "observedGeneration")
        if status_count(rs, "replicas") or replicas(rs) or rs["metadata"].get("generation", 1) > observed:
            continue  # still has pods, or its controller has not caught up with it
        doomed.append(rs)
    return doomed


# ----- annotations


def set_replicas_annotations(rs: Obj, desired: int, maximum: int) -> bool:
    annotations = rs["metadata"].setdefault("annotations", {})
    changed = annotations.get(DESIRED_REPLICAS) != str(desired) or annotations.get(MAX_REPLICAS) != str(maximum)
    annotations[DESIRED_REPLICAS], annotations[MAX_REPLICAS] = str(desired), str(maximum)
    return changed


def set_new_rs_annotations(d: Obj, rs: Obj, new_revision: int, *, exists: bool) -> bool:
    """Copy the Deployment's annotations, raise the revision (keeping the old one in the history), set the sizes."""
    annotations = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in (d["metadata"].get("annotations") or {}).items():
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


def condition(status: Obj, type_: str) -> Obj | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)


def new_condition(type_: str, status: str, reason: str, message: str, now: datetime) -> Obj:
    moment = rfc3339(now)
    return {"type": type_, "status": status, "lastUpdateTime": moment, "lastTransitionTime": moment,
            "reason": reason, "message": message}


def set_condition(status: Obj, new: Obj) -> None:
    """SetDeploymentCondition: same status and reason changes nothing; same status keeps the transition time."""
    current = condition(status, new["type"])
    if current is not None and current.get("status") == new["status"] and current.get("reason") == new["reason"]:
        return
    if current is not None and current.get("status") == new["status"]:
        new = {**new, "lastTransitionTime": current.get("lastTransitionTime")}
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != new["type"]] + [new]


def remove_condition(status: Obj, type_: str) -> None:
    kept = [c for c in status.get("conditions") or [] if c.get("type") != type_]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


def calculate_status(d: Obj, all_replica_sets: list[Obj], new_rs: Obj | None, now: datetime) -> Obj:
    """The counts summed over the ReplicaSets, and Available: are at least replicas - maxUnavailable pods available?"""
    available = sum(status_count(rs, "availableReplicas") for rs in all_replica_sets)
    wanted_total = sum(replicas(rs) for rs in all_replica_sets)
    old = d.get("status") or {}
    status: Obj = {
        "observedGeneration": d["metadata"].get("generation", 1),
        "replicas": sum(status_count(rs, "replicas") for rs in all_replica_sets),
        "updatedReplicas": status_count(new_rs, "replicas"),
        "readyReplicas": sum(status_count(rs, "readyReplicas") for rs in all_replica_sets),
        "availableReplicas": available,
        "unavailableReplicas": max(wanted_total - available, 0),
    }
    status = {k: v for k, v in status.items() if v}  # Kubernetes omits zero counts (omitempty)
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        status["conditions"] = [dict(c) for c in old["conditions"]]
    if available >= replicas(d) - max_unavailable(d):
        set_condition(status, new_condition(AVAILABLE, "True", MIN_AVAILABLE,
                                             "Deployment has minimum availability.", now))
    else:
        set_condition(status, new_condition(AVAILABLE, "False", MIN_UNAVAILABLE,
                                             "Deployment does not have minimum availability.", now))
    return status


def deployment_complete(d: Obj, status: Obj) -> bool:
    """Every pod updated and available, none left over, and this generation observed."""
    want = replicas(d)
    return (status.get("updatedReplicas", 0) == want and status.get("replicas", 0) == want
            and status.get("availableReplicas", 0) == want
            and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 1))


def deployment_progressing(d: Obj, new: Obj) -> bool:
    """More pods updated, ready or available than last time, or fewer old ones."""
    old = d.get("status") or {}
    old_leftovers = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_leftovers = new.get("replicas", 0) - new.get("updatedReplicas", 0)
    return (new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or new_leftovers < old_leftovers
            or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or new.get("availableReplicas", 0) > old.get("availableReplicas", 0))


def progress_deadline(d: Obj, status: Obj) -> datetime | None:
    """When the rollout runs out of time without progress; None when it cannot (done, timed out, no deadline)."""
    current = condition(status, PROGRESSING)
    if not has_progress_deadline(d) or current is None or current.get("reason") in (NEW_RS_AVAILABLE, TIMED_OUT):
        return None
    since = parse_time(current.get("lastUpdateTime"))
    return None if since is None else since + timedelta(seconds=d["spec"]["progressDeadlineSeconds"])


def deployment_timed_out(d: Obj, status: Obj, now: datetime) -> bool:
    current = condition(status, PROGRESSING)
    if current is not None and current.get("reason") == TIMED_OUT:
        return True
    deadline = progress_deadline(d, status)
    return deadline is not None and deadline < now


def replica_failure(all_replica_sets: list[Obj], new_rs: Obj | None) -> Obj | None:
    """The first ReplicaFailure among the ReplicaSets (the new one first), as a Deployment condition."""
    for rs in ([new_rs] if new_rs is not None else []) + all_replica_sets:
        found = condition(rs.get("status") or {}, REPLICA_FAILURE)
        if found is not None:
            return {"type": REPLICA_FAILURE, "status": found.get("status"), "reason": found.get("reason"),
                    "message": found.get("message"), "lastUpdateTime": found.get("lastTransitionTime"),
                    "lastTransitionTime": found.get("lastTransitionTime")}
    return None
