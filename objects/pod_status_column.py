"""kubectl's pod STATUS column (`ContainerCreating`, `CrashLoopBackOff`, `Init:0/2`, `Terminating`, ...).

One word for where a pod is, worked out from its status the way kube-apiserver's
printPod works it out (pkg/printers/internalversion/printers.go). The server's
Table output, `tkctl why` and the dashboard's map all say the same word, so it
lives here, below all three. Reads the pod as its wire dict (camelCase JSON):
the Table printer and the dashboard hold pods in that form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from objects.meta import parse_time
from objects.phases import is_finished_phase

Obj = Mapping[str, Any]

_NODE_LOST = "NodeLost"  # node.NodeUnreachablePodReason: the node controller gave up on this pod's node


def _get(obj: Any, path: str, default: Any = None) -> Any:
    for part in path.split("."):
        if not isinstance(obj, Mapping) or part not in obj:
            return default
        obj = obj[part]
    return default if obj is None else obj


def _condition_true(pod: Obj, condition_type: str) -> bool:
    for condition in _get(pod, "status.conditions", []):
        if condition.get("type") == condition_type:
            return condition.get("status") == "True"
    return False


def _later(current: datetime | None, state: Obj) -> datetime | None:
    """Keep the latest lastState.terminated.finishedAt seen so far."""
    finished = parse_time(_get(state, "lastState.terminated.finishedAt"))
    if finished is not None and (current is None or current < finished):
        return finished
    return current


def _terminated_reason(terminated: Obj, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + terminated["reason"]
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


@dataclass
class PodTally:
    """What printPod accumulates while walking the container statuses."""

    reason: str
    ready: int = 0
    restarts: int = 0
    last_restart: datetime | None = None


def pod_status_reason(pod: Obj) -> PodTally:
    """The STATUS, READY count and RESTARTS of a pod, walked the way printPod walks them.

    Init containers run first, in order: the first one not yet done names the
    status (`Init:1/3`, `Init:CrashLoopBackOff`, `Init:Error`). Once the pod is
    initialised, the last app container with a waiting or terminated reason
    names it (`CrashLoopBackOff`, `Completed`, `OOMKilled`); a running ready
    container only counts toward READY.
    """
    status = pod.get("status") or {}
    spec = pod.get("spec") or {}
    reason = status.get("reason") or status.get("phase") or ""
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    tally = PodTally(reason)

    init_specs = spec.get("initContainers") or []
    # A restartable init container (restartPolicy: Always) is a sidecar and counts as a container.
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    sidecar_restarts, last_sidecar_restart = 0, None
    initializing = False
    for index, cs in enumerate(status.get("initContainerStatuses") or []):
        tally.restarts += cs.get("restartCount", 0)
        tally.last_restart = _later(tally.last_restart, cs)
        is_sidecar = cs.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += cs.get("restartCount", 0)
            last_sidecar_restart = _later(last_sidecar_restart, cs)
        terminated = _get(cs, "state.terminated")
        waiting_reason = _get(cs, "state.waiting.reason", "")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if is_sidecar and cs.get("started"):
            tally.ready += 1 if cs.get("ready") else 0
            continue
        if terminated is not None:
            tally.reason = _terminated_reason(terminated, "Init:")
        elif waiting_reason and waiting_reason != "PodInitializing":
            tally.reason = "Init:" + waiting_reason
        else:
            tally.reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(pod, "Initialized"):
        tally.restarts, tally.last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            tally.restarts += cs.get("restartCount", 0)
            tally.last_restart = _later(tally.last_restart, cs)
            terminated = _get(cs, "state.terminated")
            if _get(cs, "state.waiting.reason"):
                tally.reason = cs["state"]["waiting"]["reason"]
            elif terminated is not None:
                tally.reason = _terminated_reason(terminated)
            elif cs.get("ready") and _get(cs, "state.running") is not None:
                has_running = True
                tally.ready += 1
        # A "Completed" container next to one still running is a partial completion, not the pod's end.
        if tally.reason == "Completed" and has_running:
            tally.reason = "Running" if _condition_true(pod, "Ready") else "NotReady"

    deleting = _get(pod, "metadata.deletionTimestamp") is not None
    if deleting and status.get("reason") == _NODE_LOST:
        tally.reason = "Unknown"
    elif deleting and not is_finished_phase(status.get("phase")):
        tally.reason = "Terminating"
    return tally
