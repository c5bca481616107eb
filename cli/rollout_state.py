"""What `tkctl rollout` reads off a workload: its progress sentence, and a Deployment's revisions.

A Deployment keeps its history in its ReplicaSets: each carries the revision
it was (`deployment.kubernetes.io/revision`) and the change cause of that time.
Pure functions of the objects, in kubectl's words (its status viewers and
deploymentRevision), so tests can call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cli.errors import CommandError

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
TEMPLATE_HASH_LABEL = "pod-template-hash"
# Deployment annotations that undo keeps from the Deployment rather than taking from the old ReplicaSet.
NOT_ROLLED_BACK = ("kubectl.kubernetes.io/last-applied-configuration", REVISION,
                   "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
                   "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to")


@dataclass(frozen=True)
class Progress:
    message: str
    done: bool


def deployment_progress(d: dict[str, Any]) -> Progress:
    """kubectl's DeploymentStatusViewer; raises when the rollout exceeded its progress deadline."""
    name, spec, status = d["metadata"]["name"], d.get("spec") or {}, d.get("status") or {}
    if d["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return Progress("Waiting for deployment spec update to be observed...", False)
    progressing = next((c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), None)
    if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        raise CommandError(f'deployment "{name}" exceeded its progress deadline')
    wanted, updated = spec.get("replicas", 1), status.get("updatedReplicas", 0)
    total, available = status.get("replicas", 0), status.get("availableReplicas", 0)
    prefix = f'Waiting for deployment "{name}" rollout to finish:'
    if updated < wanted:
        return Progress(f"{prefix} {updated} out of {wanted} new replicas have been updated...", False)
    if total > updated:
        return Progress(f"{prefix} {total - updated} old replicas are pending termination...", False)
    if available < updated:
        return Progress(f"{prefix} {available} of {updated} updated replicas are available...", False)
    return Progress(f'deployment "{name}" successfully rolled out', True)


def daemonset_progress(ds: dict[str, Any]) -> Progress:
    """kubectl's DaemonSetStatusViewer."""
    name, spec, status = ds["metadata"]["name"], ds.get("spec") or {}, ds.get("status") or {}
    if ((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate") != "RollingUpdate":
        raise CommandError("rollout status is only available for RollingUpdate strategy type")
    if ds["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return Progress("Waiting for daemon set spec update to be observed...", False)
    desired, updated = status.get("desiredNumberScheduled", 0), status.get("updatedNumberScheduled", 0)
    available = status.get("numberAvailable", 0)
    prefix = f'Waiting for daemon set "{name}" rollout to finish:'
    if updated < desired:
        return Progress(f"{prefix} {updated} out of {desired} new pods have been updated...", False)
    if available < desired:
        return Progress(f"{prefix} {available} of {desired} updated pods are available...", False)
    return Progress(f'daemon set "{name}" successfully rolled out', True)


def revision(obj: dict[str, Any]) -> int | None:
    try:
        return int((obj["metadata"].get("annotations") or {})[REVISION])
    except (KeyError, ValueError):
        return None


def owned_replica_sets(d: dict[str, Any], replica_sets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ReplicaSets whose controller is this Deployment (by uid, not only by labels)."""
    return [rs for rs in replica_sets if _controller_uid(rs) == d["metadata"].get("uid")]


def _controller_uid(obj: dict[str, Any]) -> str | None:
    references = obj["metadata"].get("ownerReferences") or []
    return next((ref.get("uid") for ref in references if ref.get("controller")), None)


def history(replica_sets: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(revision, change cause) in revision order, as `rollout history` lists them."""
    rows = {}
    for rs in replica_sets:
        number = revision(rs)
        if number is not None:
            rows[number] = (rs["metadata"].get("annotations") or {}).get(CHANGE_CAUSE) or "<none>"
    return sorted(rows.items())


def rollback_target(d: dict[str, Any], replica_sets: list[dict[str, Any]], to_revision: int) -> dict[str, Any]:
    """The ReplicaSet to roll back to: the one of `to_revision`, or (0) the one before the latest."""
    numbered = sorted(((revision(rs), rs) for rs in replica_sets if revision(rs) is not None),
                      key=lambda pair: pair[0])
    if to_revision > 0:
        for number, rs in numbered:
            if number == to_revision:
                return rs
        raise CommandError(f"unable to find specified revision {to_revision} in history")
    if len(numbered) < 2:
        raise CommandError(f'no rollout history found for deployment "{d["metadata"]["name"]}"')
    return numbered[-2][1]


def template_without_hash(template: dict[str, Any]) -> dict[str, Any]:
    """A ReplicaSet's pod template as its Deployment had it: without the pod-template-hash label."""
    metadata = dict(template.get("metadata") or {})
    labels = {k: v for k, v in (metadata.get("labels") or {}).items() if k != TEMPLATE_HASH_LABEL}
    metadata["labels"] = labels
    return {**template, "metadata": metadata}


def rolled_back_annotations(d: dict[str, Any], rs: dict[str, Any]) -> dict[str, str]:
    """The Deployment's annotations after undo: its bookkeeping ones, and the rest from the old ReplicaSet."""
    current = d["metadata"].get("annotations") or {}
    kept = {k: v for k, v in current.items() if k in NOT_ROLLED_BACK}
    taken = {k: v for k, v in (rs["metadata"].get("annotations") or {}).items() if k not in NOT_ROLLED_BACK}
    return {**kept, **taken}
