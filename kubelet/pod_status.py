"""Compute a pod's status from what the runtime reports: phase, conditions, container states.

The rules follow the kubelet's (pkg/kubelet/kubelet_pods.go, getPhase):

    any container never started yet (and not restarting)        -> Pending
    some container running                                      -> Running
    all stopped: restartPolicy Always                           -> Running (it is restarting)
                 all exited 0                                   -> Succeeded
                 OnFailure with a failure (it will restart)     -> Running
                 Never with a failure                           -> Failed
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubelet.runtime.protocol import ContainerStatus, Sandbox


@dataclass(frozen=True)
class Waiting:
    """Why a container is not running right now (ContainerCreating, CrashLoopBackOff, ErrImagePull ...)."""

    reason: str
    message: str = ""


def container_status(spec: dict[str, Any], instances: list[ContainerStatus], waiting: Waiting | None,
                     image_id: str, *, ready: bool = True, started: bool = True) -> dict[str, Any]:
    """One entry of status.containerStatuses; `instances` newest first.

    `ready` and `started` are the probes' verdicts on the running instance (True without probes).
    """
    current = instances[0] if instances else None
    previous = instances[1] if len(instances) > 1 else None
    status: dict[str, Any] = {"name": spec["name"], "image": spec.get("image", ""),
                              "imageID": current.image_id if current else image_id,
                              "restartCount": current.restart_count if current else 0,
                              "ready": False, "started": False}
    if current is not None:
        status["containerID"] = f"docker://{current.id}"
    last_terminated = None
    if current is not None and current.state == "running" and waiting is None:
        status["state"] = {"running": {"startedAt": api_time(current.started_at)}}
        status["ready"], status["started"] = ready and started, started
        last_terminated = previous
    elif current is not None and current.state == "exited" and waiting is None:
        status["state"] = {"terminated": _terminated(current)}
        last_terminated = previous
    else:
        reason = waiting or Waiting("ContainerCreating")
        status["state"] = {"waiting": {"reason": reason.reason, **({"message": reason.message} if reason.message else {})}}
        last_terminated = current if current is not None and current.state == "exited" else previous
    status["lastState"] = {"terminated": _terminated(last_terminated)} if last_terminated else {}
    return status


def phase(pod: dict[str, Any], statuses: list[dict[str, Any]]) -> str:
    restart_policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
    pending = running = stopped = succeeded = failed = 0
    for status in statuses:
        state = status["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"]["exitCode"] == 0
            failed += state["terminated"]["exitCode"] != 0
        elif status.get("lastState", {}).get("terminated"):
            stopped += 1  # waiting to restart after having run
            failed += status["lastState"]["terminated"]["exitCode"] != 0
            succeeded += status["lastState"]["terminated"]["exitCode"] == 0
        else:
            pending += 1
    if pending:
        return "Pending"
    if running:
        return "Running"
    if restart_policy == "Always":
        return "Running"
    if failed == 0:
        return "Succeeded"
    return "Running" if restart_policy == "OnFailure" else "Failed"


def pod_status(pod: dict[str, Any], *, sandbox: Sandbox | None, containers: list[dict[str, Any]],
               host_ip: str, now: str) -> dict[str, Any]:
    """The whole status.* the kubelet reports, keeping what others own (PodScheduled, startTime)."""
    old = pod.get("status") or {}
    current_phase = phase(pod, containers)
    all_ready = bool(containers) and all(c["ready"] for c in containers) and current_phase == "Running"
    sandbox_ready = sandbox is not None and sandbox.running
    conditions = [c for c in old.get("conditions") or [] if c.get("type") == "PodScheduled"]
    for type_, ok in (("PodReadyToStartContainers", sandbox_ready), ("Initialized", True),
                      ("Ready", all_ready), ("ContainersReady", all_ready)):
        conditions.append(_condition(old, type_, ok, now))
    status: dict[str, Any] = {
        "phase": current_phase, "conditions": conditions, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "startTime": old.get("startTime") or now, "containerStatuses": containers,
        "qosClass": old.get("qosClass", "BestEffort"),
    }
    if sandbox is not None and sandbox.ip:
        status["podIP"] = sandbox.ip
        status["podIPs"] = [{"ip": sandbox.ip}]
    elif old.get("podIP"):
        status["podIP"], status["podIPs"] = old["podIP"], old.get("podIPs", [{"ip": old["podIP"]}])
    return status


def rejected_status(pod: dict[str, Any], *, reason: str, message: str, host_ip: str, now: str) -> dict[str, Any]:
    """Admission refused the pod: it fails without ever running (OutOfcpu, OutOfmemory, OutOfpods)."""
    old = pod.get("status") or {}
    return {"phase": "Failed", "reason": reason, "message": message, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
            "startTime": old.get("startTime") or now, "qosClass": old.get("qosClass", "BestEffort"),
            "conditions": [c for c in old.get("conditions") or [] if c.get("type") == "PodScheduled"]}


def api_time(engine_time: str) -> str | None:
    """The API's Time has second precision: `2024-05-01T12:00:00.123456789Z` -> `2024-05-01T12:00:00Z`."""
    return engine_time[:19] + "Z" if engine_time else None


def _terminated(instance: ContainerStatus) -> dict[str, Any]:
    return {"exitCode": instance.exit_code, "reason": instance.reason or ("Completed" if instance.exit_code == 0
                                                                          else "Error"),
            "startedAt": api_time(instance.started_at), "finishedAt": api_time(instance.finished_at),
            "containerID": f"docker://{instance.id}"}


def _condition(old_status: dict[str, Any], type_: str, ok: bool, now: str) -> dict[str, Any]:
    value = "True" if ok else "False"
    previous = next((c for c in old_status.get("conditions") or [] if c.get("type") == type_), None)
    since = previous["lastTransitionTime"] if previous and previous.get("status") == value else now
    condition = {"type": type_, "status": value, "lastProbeTime": None, "lastTransitionTime": since}
    if not ok and type_ in ("Ready", "ContainersReady"):
        condition["reason"] = "ContainersNotReady" if type_ == "Ready" else "ContainersNotReady"
    return condition
