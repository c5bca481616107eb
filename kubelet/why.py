"""Why: what the kubelet knows of a pod's containers beyond their status, for GET /why/{ns}/{pod}.

A pod's status says *that* a container waits; the reasons and the timers live
in the kubelet. The syncer notes them here as it acts, and the server's /why
answers them, joined with the prober's counters and the tail of a crashed
container's log, as the KubeletPodReport the API server embeds in the pod's why:

    PodSyncer ── step under way, backoff timers, pull failures, termination, last status ──► PodNotebook
    ProbeManager ── each probe worker's run of successes and failures ──────────────┐           │
    GET /why/{ns}/{pod} ─► SyncLoop.explain ─► PodSyncer.explain ─► pod_report ◄────┴───────────┘

Every countdown is a timer the kubelet holds, as the wall-clock moment it runs
out (its Backoff's, its termination deadline), never recomputed from constants.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from kubelet.pod_status import container_status, epoch
from kubelet.prober import ProbeManager
from kubelet.runtime.protocol import ContainerStatus
from objects import pod as api
from objects.container import Container
from objects.pod import Pod
from objects.why import ContainerReport, Countdown, KubeletPodReport, TerminationReport, moment

LOG_TAIL_LINES = 10  # of the previous instance's log, for a crash loop


class Step(StrEnum):
    """What the syncer is doing for a pod whose containers are still ContainerCreating."""

    VOLUMES = "Volumes"
    SANDBOX = "Sandbox"
    IMAGE_PULL = "ImagePull"
    START = "Start"


class Stage(StrEnum):
    """How far the termination of a pod has got: SIGTERM sent, SIGKILL sent at the deadline, all stopped."""

    PRE_STOP = "PreStop"  # not reached: tinykube's kubelet runs no preStop hooks
    SIG_TERM = "SigTerm"
    SIG_KILL = "SigKill"
    STOPPED = "Stopped"


class Timer(StrEnum):
    """The countdowns a sync can leave running for a container."""

    NEXT_RESTART = "NextRestart"  # its crash-loop backoff ends
    NEXT_PULL = "NextPull"  # its image pull backoff ends


@dataclass
class PullFailures:
    """The failed pulls of a container's image since its last good one."""

    error: str  # the engine's, as it said it the last time
    attempts: int


@dataclass
class Termination:
    grace_seconds: float  # real seconds
    started_at: float  # wall clock
    kill_at: float  # the deadline the kubelet holds: SIGKILL for whatever still runs then
    stage: Stage = Stage.SIG_TERM


@dataclass
class PodNotes:
    """One pod, as its syncer last left it."""

    step: Step | None = None
    status: api.PodStatus | None = None  # the one the last finished sync computed
    instances: dict[str, list[ContainerStatus]] = field(default_factory=dict)  # of that sync, newest first
    timers: dict[tuple[str, Timer], float] = field(default_factory=dict)  # (container, timer) -> when
    pulls: dict[str, PullFailures] = field(default_factory=dict)  # container -> failures
    termination: Termination | None = None
    pending_timers: dict[tuple[str, Timer], float] = field(default_factory=dict)  # of the sync under way


class PodNotebook:
    """Every pod's notes, keyed by uid. Written by pod workers' threads, read by the server's: one lock."""

    def __init__(self) -> None:
        self._pods: dict[str, PodNotes] = {}
        self._lock = threading.Lock()

    def _notes(self, uid: str) -> PodNotes:
        return self._pods.setdefault(uid, PodNotes())  # under self._lock

    def sync_started(self, uid: str) -> None:
        with self._lock:
            self._notes(uid).pending_timers = {}

    def step(self, uid: str, step: Step) -> None:
        with self._lock:
            self._notes(uid).step = step

    def timer(self, uid: str, container: str, timer: Timer, at: float) -> None:
        with self._lock:
            self._notes(uid).pending_timers[(container, timer)] = at

    def pull_failed(self, uid: str, container: str, error: str) -> None:
        with self._lock:
            pulls = self._notes(uid).pulls
            attempts = pulls[container].attempts + 1 if container in pulls else 1
            pulls[container] = PullFailures(error, attempts)

    def pulled(self, uid: str, container: str) -> None:
        with self._lock:
            self._notes(uid).pulls.pop(container, None)

    def sync_finished(self, uid: str, status: api.PodStatus,
                      instances: dict[str, list[ContainerStatus]]) -> float | None:
        """The sync's outcome and the timers it left running; returns the soonest of them."""
        with self._lock:
            notes = self._notes(uid)
            notes.status, notes.instances, notes.timers = status, instances, notes.pending_timers
            return min(notes.timers.values(), default=None)

    def terminating(self, uid: str, termination: Termination) -> None:
        with self._lock:
            self._notes(uid).termination = termination

    def stage(self, uid: str, stage: Stage) -> None:
        with self._lock:
            termination = self._notes(uid).termination
            if termination is not None:
                termination.stage = stage

    def forget(self, uid: str) -> None:
        with self._lock:
            self._pods.pop(uid, None)

    def copy(self, uid: str) -> PodNotes:
        """A copy the caller may read without the lock (empty for a pod not synced yet)."""
        with self._lock:
            return copy.deepcopy(self._pods.get(uid) or PodNotes())


# ----- the report


@dataclass(frozen=True)
class ReportSources:
    """What a report reads besides a pod's notes."""

    node_name: str
    probes: ProbeManager
    backoff_sequence: list[float]  # the syncer's Backoff's waits, scaled
    log_tail: Callable[[str, int], list[str]]  # (container id, lines) -> the last lines of its log


def pod_report(pod: Pod, notes: PodNotes, sources: ReportSources) -> KubeletPodReport:
    """The kubelet's account of `pod`: init containers first, then each container, then its termination."""
    owner = f"kubelet/{sources.node_name}"
    statuses = {s.name: s for s in (notes.status.container_statuses if notes.status else None) or []}
    spec = pod.spec
    containers = [ContainerReport(name=c.name or "", init=True, image=c.image or "", state="Waiting",
                                  message="not run: tinykube's kubelet runs no init containers")
                  for c in (spec and spec.init_containers) or []]
    for container in (spec and spec.containers) or []:
        containers.append(_container_report(container, statuses.get(container.name or ""), notes, sources, owner))
    return KubeletPodReport(node=sources.node_name, containers=containers,
                            termination=_termination_report(pod, notes.termination, owner))


def _container_report(spec: Container, status: api.ContainerStatus | None, notes: PodNotes,
                      sources: ReportSources, owner: str) -> ContainerReport:
    name = spec.name or ""
    instances = notes.instances.get(name, [])
    # No sync has finished yet: the status the syncer will compute says ContainerCreating.
    status = status or container_status(spec, [], None, "")
    state_name, reason, message = _state(status.state)
    report = ContainerReport(name=name, image=spec.image or "", state=state_name, reason=reason, message=message,
                             ready=status.ready, restart_count=status.restart_count or 0)
    if reason == "ContainerCreating":
        report.step = notes.step
    last = status.last_state.terminated if status.last_state else None
    previous = _instance(instances, last.container_id if last else None)
    if last is not None:
        report.last_exit_code, report.last_reason = last.exit_code, last.reason
        finished = epoch(previous.finished_at) if previous else None
        report.last_finished_at = moment(finished) if finished is not None else last.finished_at
    if reason == "CrashLoopBackOff":
        report.backoff_sequence_seconds = sources.backoff_sequence
        if previous is not None:
            report.last_log_lines = sources.log_tail(previous.id, LOG_TAIL_LINES)
    pull = notes.pulls.get(name)
    if reason in ("ErrImagePull", "ImagePullBackOff") and pull is not None:
        report.pull_error, report.pull_attempts = pull.error, pull.attempts
        report.backoff_sequence_seconds = sources.backoff_sequence
    for (container, timer), at in notes.timers.items():
        if container == name:
            report.countdowns.append(Countdown(name=timer, message=_countdown_message(timer, spec), at=moment(at),
                                               owner=owner))
    current = instances[0].id if instances else ""
    report.probes = sources.probes.reports(spec, current)
    return report


def _termination_report(pod: Pod, termination: Termination | None, owner: str) -> TerminationReport | None:
    if termination is None:
        return None
    report = TerminationReport(stage=termination.stage, grace_period_seconds=termination.grace_seconds,
                               started_at=moment(termination.started_at))
    if termination.stage == Stage.SIG_TERM:
        report.countdowns.append(Countdown(
            name="SigKill", at=moment(termination.kill_at), owner=owner,
            message=f"containers of pod {pod.metadata.namespace}/{pod.metadata.name} still running get SIGKILL"))
    return report


def _state(state: api.ContainerState | None) -> tuple[str, str, str]:
    """(Waiting | Running | Terminated, reason, message) of a container status's state."""
    if state is not None and state.running is not None:
        return "Running", "", ""
    if state is not None and state.terminated is not None:
        return "Terminated", state.terminated.reason or "", state.terminated.message or ""
    waiting = state.waiting if state is not None else None
    return "Waiting", (waiting.reason or "") if waiting else "", (waiting.message or "") if waiting else ""


def _instance(instances: list[ContainerStatus], container_id: str | None) -> ContainerStatus | None:
    """The instance a status names by its container ID ("docker://<id>")."""
    if not container_id:
        return None
    runtime_id = container_id.rpartition("://")[2]
    return next((i for i in instances if i.id == runtime_id), None)


def _countdown_message(timer: Timer, container: Container) -> str:
    if timer == Timer.NEXT_RESTART:
        return f"container {container.name} restarts"
    return f'image "{container.image}" is pulled again for container {container.name}'
