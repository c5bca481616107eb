"""Compute a pod's status from what the runtime reports: phase, conditions, container states.

The rules follow the kubelet's (pkg/kubelet/kubelet_pods.go, getPhase):

    any container never started yet (and not restarting)        -> Pending
    some container running                                      -> Running
    all stopped: restartPolicy Always                           -> Running (it is restarting)
                 all exited 0                                   -> Succeeded
                 OnFailure with a failure (it will restart)     -> Running
                 Never with a failure                           -> Failed

The results are `objects.pod` models; the sync loop dumps them with `to_wire()`,
which keeps the zero values clients rely on (`restartCount: 0`, `ready: false`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kubelet.runtime.protocol import ContainerStatus, Sandbox
from objects import pod as api
from objects.container import Container
from objects.phases import ConditionStatus, PodConditionType, PodPhase, RestartPolicy


@dataclass(frozen=True)
class Waiting:
    """Why a container is not running right now (ContainerCreating, CrashLoopBackOff, ErrImagePull ...)."""

    reason: str
    message: str = ""


def container_status(spec: Container, instances: list[ContainerStatus], waiting: Waiting | None,
                     image_id: str, *, ready: bool = True, started: bool = True) -> api.ContainerStatus:
    """One entry of status.containerStatuses; `instances` newest first.

    `ready` and `started` are the probes' verdicts on the running instance (True without probes).
    """
    current = instances[0] if instances else None
    previous = instances[1] if len(instances) > 1 else None
    status = api.ContainerStatus(name=spec.name, image=spec.image or "",
                                 image_id=current.image_id if current else image_id,
                                 restart_count=current.restart_count if current else 0, ready=False, started=False)
    if current is not None:
        status.container_id = f"docker://{current.id}"
    if current is not None and current.state == "running" and waiting is None:
        status.state = api.ContainerState(running=api.ContainerStateRunning(started_at=api_time(current.started_at)))
        status.ready, status.started = ready and started, started
        last_terminated = previous
    elif current is not None and current.state == "exited" and waiting is None:
        status.state = api.ContainerState(terminated=_terminated(current))
        last_terminated = previous
    else:
        reason = waiting or Waiting("ContainerCreating")
        status.state = api.ContainerState(waiting=api.ContainerStateWaiting(reason=reason.reason,
                                                                           message=reason.message or None))
        last_terminated = current if current is not None and current.state == "exited" else previous
    status.last_state = api.ContainerState(terminated=_terminated(last_terminated) if last_terminated else None)
    return status


def phase(pod: api.Pod, statuses: list[api.ContainerStatus]) -> PodPhase:
    restart_policy = (pod.spec and pod.spec.restart_policy) or RestartPolicy.ALWAYS
    pending = running = stopped = succeeded = failed = 0
    for status in statuses:
        state, last = status.state or api.ContainerState(), status.last_state or api.ContainerState()
        if state.running is not None:
            running += 1
        elif state.terminated is not None:
            stopped += 1
            succeeded += state.terminated.exit_code == 0
            failed += state.terminated.exit_code != 0
        elif last.terminated is not None:
            stopped += 1  # waiting to restart after having run
            failed += last.terminated.exit_code != 0
            succeeded += last.terminated.exit_code == 0
        else:
            pending += 1
    if pending:
        return PodPhase.PENDING
    if running:
        return PodPhase.RUNNING
    if restart_policy == RestartPolicy.ALWAYS:
        return PodPhase.RUNNING
    if failed == 0:
        return PodPhase.SUCCEEDED
    return PodPhase.RUNNING if restart_policy == RestartPolicy.ON_FAILURE else PodPhase.FAILED


def pod_status(pod: api.Pod, *, sandbox: Sandbox | None, containers: list[api.ContainerStatus],
               host_ip: str, now: str) -> api.PodStatus:
    """The whole status.* the kubelet reports, keeping what others own (PodScheduled, startTime)."""
    old = pod.status or api.PodStatus()
    current_phase = phase(pod, containers)
    all_ready = bool(containers) and all(c.ready for c in containers) and current_phase == PodPhase.RUNNING
    sandbox_ready = sandbox is not None and sandbox.running
    conditions = _scheduled(old)
    for type_, ok in ((PodConditionType.POD_READY_TO_START_CONTAINERS, sandbox_ready),
                      (PodConditionType.INITIALIZED, True), (PodConditionType.READY, all_ready),
                      (PodConditionType.CONTAINERS_READY, all_ready)):
        conditions.append(_condition(old, type_, ok, now))
    status = api.PodStatus(phase=current_phase, conditions=conditions, host_ip=host_ip,
                           host_ips=[api.HostIP(ip=host_ip)], start_time=old.start_time or now,
                           container_statuses=containers, qos_class=old.qos_class or "BestEffort")
    if sandbox is not None and sandbox.ip:
        status.pod_ip, status.pod_ips = sandbox.ip, [api.PodIP(ip=sandbox.ip)]
    elif old.pod_ip:
        status.pod_ip, status.pod_ips = old.pod_ip, old.pod_ips or [api.PodIP(ip=old.pod_ip)]
    return status


def rejected_status(pod: api.Pod, *, reason: str, message: str, host_ip: str, now: str) -> api.PodStatus:
    """Admission refused the pod: it fails without ever running (OutOfcpu, OutOfmemory, OutOfpods)."""
    old = pod.status or api.PodStatus()
    return api.PodStatus(phase=PodPhase.FAILED, reason=reason, message=message, host_ip=host_ip,
                         host_ips=[api.HostIP(ip=host_ip)], start_time=old.start_time or now,
                         qos_class=old.qos_class or "BestEffort", conditions=_scheduled(old))


def api_time(engine_time: str) -> str | None:
    """The API's Time has second precision: `2024-05-01T12:00:00.123456789Z` -> `2024-05-01T12:00:00Z`."""
    return engine_time[:19] + "Z" if engine_time else None


def epoch(engine_time: str) -> float | None:
    """A runtime timestamp as wall-clock seconds, to the engine's precision; None when unknown."""
    if not engine_time:
        return None
    whole, _, fraction = engine_time.rstrip("Z").partition(".")
    try:
        seconds = datetime.fromisoformat(whole + "+00:00").timestamp()
    except ValueError:
        return None
    return seconds + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)


def _terminated(instance: ContainerStatus) -> api.ContainerStateTerminated:
    return api.ContainerStateTerminated(
        exit_code=instance.exit_code, reason=instance.reason or ("Completed" if instance.exit_code == 0 else "Error"),
        started_at=api_time(instance.started_at), finished_at=api_time(instance.finished_at),
        container_id=f"docker://{instance.id}")


def _scheduled(old_status: api.PodStatus) -> list[api.PodCondition]:
    """The scheduler's condition, which the kubelet carries over untouched."""
    return [c for c in old_status.conditions or [] if c.type == PodConditionType.POD_SCHEDULED]


def _condition(old_status: api.PodStatus, type_: PodConditionType, ok: bool, now: str) -> api.PodCondition:
    value = ConditionStatus.TRUE if ok else ConditionStatus.FALSE
    previous = next((c for c in old_status.conditions or [] if c.type == type_), None)
    since = previous.last_transition_time if previous and previous.status == value else now
    condition = api.PodCondition(type=type_, status=value, last_probe_time=None, last_transition_time=since)
    if not ok and type_ in (PodConditionType.READY, PodConditionType.CONTAINERS_READY):
        condition.reason = "ContainersNotReady"
    return condition
