"""Probes: liveness, readiness and startup checks of running containers, as the kubelet runs them.

One worker thread per (container instance, probe kind), started when the
container runs and stopped when it goes. Each worker waits initialDelaySeconds,
then probes every periodSeconds; a result flips only after failureThreshold
failures or successThreshold successes in a row.

    startup  ─ until it succeeds, liveness and readiness do not run; a failure kills the container
    liveness ─ failure: event Unhealthy, Killing; the container is stopped and restarted per restartPolicy
    readiness ─ drives the container's `ready`, hence the pod's Ready condition (and Deployment availability)

Every duration is multiplied by the kubelet's time scale.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from kubelet.reporter import SyncReporter
from kubelet.runtime.protocol import ContainerRuntime, ContainerStatus, RuntimeFailure
from objects.container import Container, HTTPGetAction, Probe, TCPSocketAction
from objects.meta import IntOrString
from objects.pod import Pod
from objects.why import ProbeReport, moment

log = logging.getLogger(__name__)

OUTPUT_LIMIT = 500  # characters of a failed probe's output that `why` shows


class ProbeKind(StrEnum):
    """The three probes a container may declare, named as its spec fields are."""

    STARTUP = "startupProbe"
    LIVENESS = "livenessProbe"
    READINESS = "readinessProbe"

    @property
    def report_name(self) -> str:
        """As `why` names it: readiness, liveness, startup."""
        return self.event_name.lower()

    @property
    def event_name(self) -> str:
        """As the kubelet's events say it: "Liveness probe failed: ..."."""
        return {ProbeKind.STARTUP: "Startup", ProbeKind.LIVENESS: "Liveness", ProbeKind.READINESS: "Readiness"}[self]

    def of(self, container: Container) -> Probe | None:
        """The container's probe of this kind, or None when it declares none."""
        return {ProbeKind.STARTUP: container.startup_probe, ProbeKind.LIVENESS: container.liveness_probe,
                ProbeKind.READINESS: container.readiness_probe}[self]


@dataclass(frozen=True)
class ProbeOutcome:
    ok: bool
    message: str = ""


def run_probe(probe: Probe, *, runtime: ContainerRuntime, container: ContainerStatus, container_spec: Container,
              pod_ip: str, timeout: float) -> ProbeOutcome:
    """One probe attempt. Pure of state: whatever happens becomes an outcome, never an exception."""
    try:
        if probe.exec is not None:
            return _exec_probe(runtime, container.id, probe.exec.command or [], timeout)
        if probe.http_get is not None:
            return _http_probe(probe.http_get, container_spec, pod_ip, timeout)
        if probe.tcp_socket is not None:
            return _tcp_probe(probe.tcp_socket, container_spec, pod_ip, timeout)
        return ProbeOutcome(False, "probe has no handler tinykube supports (exec, httpGet, tcpSocket)")
    except Exception as error:  # a probe that crashes is a failed probe, with the reason
        return ProbeOutcome(False, str(error) or type(error).__name__)


def _exec_probe(runtime: ContainerRuntime, container_id: str, command: list[str], timeout: float) -> ProbeOutcome:
    result: dict[str, Any] = {}

    def attempt() -> None:
        session = runtime.exec(container_id, list(command), stdin=False, tty=False)
        try:
            result["output"] = b"".join(data for _, data in session.output())
            result["code"] = session.exit_code()
        finally:
            session.close()

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return ProbeOutcome(False, f"command timed out after {timeout:g}s")
    if "code" not in result:
        return ProbeOutcome(False, "exec failed")
    output = result["output"].decode(errors="replace").strip()
    return ProbeOutcome(result["code"] == 0, output or f"exit code {result['code']}")


def _http_probe(action: HTTPGetAction, container: Container, pod_ip: str, timeout: float) -> ProbeOutcome:
    scheme = (action.scheme or "HTTP").lower()
    host = action.host or pod_ip
    port = resolve_port(action.port, container)
    path = action.path or "/"
    headers = {h.name or "": h.value or "" for h in action.http_headers or []}
    url = f"{scheme}://{host}:{port}{path if path.startswith('/') else '/' + path}"
    response = httpx.get(url, headers=headers, timeout=timeout, verify=False, follow_redirects=False)
    if 200 <= response.status_code < 400:
        return ProbeOutcome(True)
    return ProbeOutcome(False, f"HTTP probe failed with statuscode: {response.status_code}")


def _tcp_probe(action: TCPSocketAction, container: Container, pod_ip: str, timeout: float) -> ProbeOutcome:
    host, port = action.host or pod_ip, resolve_port(action.port, container)
    with socket.create_connection((host, port), timeout=timeout):
        return ProbeOutcome(True)


def resolve_port(port: IntOrString | None, container: Container) -> int:
    """A probe's port may name one of the container's ports."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for declared in container.ports or []:
        if declared.name == port and declared.container_port is not None:
            return declared.container_port
    raise ValueError(f"port {port!r} is not a number and names no port of container {container.name}")


class ProbeWorker:
    """Probes one kind for one container instance until stopped."""

    def __init__(self, kind: ProbeKind, probe: Probe, *, manager: ProbeManager, pod: Pod, pod_ip: str,
                 container: ContainerStatus, container_spec: Container):
        self.kind, self.probe, self.manager = kind, probe, manager
        self.pod, self.pod_ip, self.container, self.container_spec = pod, pod_ip, container, container_spec
        self.stop_event = threading.Event()
        self.period = period_seconds(probe, manager.time_scale)
        self.failure_threshold = _given(probe.failure_threshold, 3)
        self.success_threshold = _given(probe.success_threshold, 1)
        # Liveness starts out passing (nothing is known against the container); readiness and startup
        # start out failing: a container is neither ready nor started until its probe says so.
        self.passing = kind == ProbeKind.LIVENESS
        # The run so far, read by `why` from the server's threads while this worker writes it.
        self._lock = threading.Lock()
        self.successes = self.failures = 0
        self.last_failure = ""
        self.last_probe_at: float | None = None
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"probe-{kind}-{container.name}")
        self._thread.start()

    def update(self, pod: Pod, pod_ip: str) -> None:
        """The newest pod (its IP, its grace period) for the next attempt."""
        self.pod, self.pod_ip = pod, pod_ip

    def stop(self) -> None:
        self.stop_event.set()

    def _run(self) -> None:
        scale = self.manager.time_scale
        probe = self.probe
        if self.stop_event.wait(_given(probe.initial_delay_seconds, 0) * scale):
            return
        timeout = max(_given(probe.timeout_seconds, 1), 1) * max(scale, 0.5)
        while not self.stop_event.is_set():
            if self.kind == ProbeKind.STARTUP or self.manager.started(self.container.id):
                outcome = run_probe(probe, runtime=self.manager.runtime, container=self.container,
                                    container_spec=self.container_spec, pod_ip=self.pod_ip,
                                    timeout=timeout)
                successes, failures = self._count(outcome)
                if outcome.ok:
                    if not self.passing and successes >= self.success_threshold:
                        self._flip(True)
                    if self.kind == ProbeKind.STARTUP and self.passing:
                        return  # a startup probe's job ends with its first success
                else:
                    self.manager.unhealthy(self.pod, self.container, self.kind, outcome)
                    if failures >= self.failure_threshold and (self.passing or self.kind == ProbeKind.STARTUP):
                        self._flip(False)
                        if self.kind != ProbeKind.READINESS:
                            return  # the container is being killed; its next instance gets new workers
            self.stop_event.wait(self.period)

    def _count(self, outcome: ProbeOutcome) -> tuple[int, int]:
        """Add one attempt to the run of successes or failures; returns both runs."""
        with self._lock:
            self.last_probe_at = time.time()
            if outcome.ok:
                self.successes, self.failures = self.successes + 1, 0
            else:
                self.successes, self.failures = 0, self.failures + 1
                self.last_failure = outcome.message
            return self.successes, self.failures

    def report(self) -> ProbeReport:
        """Where this probe stands, for `why`."""
        with self._lock:
            return ProbeReport(
                type=self.kind.report_name, handler=handler_text(self.probe), passing=self.passing,
                consecutive_failures=self.failures, failure_threshold=self.failure_threshold,
                consecutive_successes=self.successes, success_threshold=self.success_threshold,
                last_output=self.last_failure[:OUTPUT_LIMIT],
                last_probe_time=moment(self.last_probe_at) if self.last_probe_at is not None else None,
                period_seconds=self.period)

    def _flip(self, passing: bool) -> None:
        self.passing = passing
        if self.kind == ProbeKind.STARTUP and passing:
            self.manager.mark_started(self.container.id)
        if not passing and self.kind in (ProbeKind.LIVENESS, ProbeKind.STARTUP):
            self.manager.kill(self.pod, self.container, self.kind)
        self.manager.changed(self.pod)


class ProbeManager:
    """Keeps one worker per (running container instance, probe kind) and answers `ready` and `started`.

    A flipped result is told to the reporter (resync_pod), which has the pod synced and its status written.
    """

    def __init__(self, runtime: ContainerRuntime, reporter: SyncReporter, *, time_scale: float):
        self.runtime = runtime
        self.reporter = reporter
        self.time_scale = time_scale
        self._workers: dict[tuple[str, str], ProbeWorker] = {}
        self._started: set[str] = set()
        self._lock = threading.Lock()

    def sync(self, pod: Pod, running: list[ContainerStatus], *, pod_ip: str) -> None:
        """Start workers for newly running instances, stop those of instances that are gone."""
        specs = {c.name: c for c in (pod.spec and pod.spec.containers) or []}
        uid = pod.metadata.uid
        with self._lock:
            for instance in running:
                spec = specs.get(instance.name) or Container(name=instance.name)
                for kind in ProbeKind:
                    probe = kind.of(spec)
                    if probe is not None and (instance.id, kind) not in self._workers:
                        self._workers[(instance.id, kind)] = ProbeWorker(
                            kind, probe, manager=self, pod=pod, pod_ip=pod_ip, container=instance, container_spec=spec)
                if spec.startup_probe is None:
                    self._started.add(instance.id)
            running_ids = {instance.id for instance in running}
            gone = [key for key, worker in self._workers.items()
                    if worker.pod.metadata.uid == uid and key[0] not in running_ids]
            for key in gone:
                self._workers.pop(key).stop()
            for worker in self._workers.values():
                if worker.pod.metadata.uid == uid:
                    worker.update(pod, pod_ip)

    def forget_pod(self, uid: str) -> None:
        with self._lock:
            for key in [k for k, w in self._workers.items() if w.pod.metadata.uid == uid]:
                self._workers.pop(key).stop()

    def ready(self, container_id: str) -> bool:
        with self._lock:
            worker = self._workers.get((container_id, ProbeKind.READINESS))
            started = container_id in self._started
        return started and (worker is None or worker.passing)

    def started(self, container_id: str) -> bool:
        with self._lock:
            return container_id in self._started

    def reports(self, container: Container, container_id: str) -> list[ProbeReport]:
        """Every probe `container` declares, as its worker on instance `container_id` sees it; a probe
        with no worker (the container is not running) is reported as not yet run."""
        reports = []
        for kind in ProbeKind:
            probe = kind.of(container)
            if probe is None:
                continue
            with self._lock:
                worker = self._workers.get((container_id, kind))
            reports.append(worker.report() if worker is not None else ProbeReport(
                type=kind.report_name, handler=handler_text(probe), passing=False,
                failure_threshold=_given(probe.failure_threshold, 3),
                success_threshold=_given(probe.success_threshold, 1),
                period_seconds=period_seconds(probe, self.time_scale)))
        return reports

    # ----- called by workers

    def mark_started(self, container_id: str) -> None:
        with self._lock:
            self._started.add(container_id)

    def changed(self, pod: Pod) -> None:
        """A result flipped: the pod's status (ready, started) must be computed and written again."""
        self.reporter.resync_pod(pod.metadata.uid or "")

    def unhealthy(self, pod: Pod, container: ContainerStatus, kind: ProbeKind, outcome: ProbeOutcome) -> None:
        self.reporter.record_event(pod, type_="Warning", reason="Unhealthy",
                                   message=f"{kind.event_name} probe failed: {outcome.message}",
                                   field_path=f"spec.containers{{{container.name}}}")

    def kill(self, pod: Pod, container: ContainerStatus, kind: ProbeKind) -> None:
        grace = _given(pod.spec and pod.spec.termination_grace_period_seconds, 30) * self.time_scale
        self.reporter.record_event(pod, type_="Normal", reason="Killing",
                                   message=f"Container {container.name} failed {kind.event_name.lower()} probe, "
                                           "will be restarted",
                                   field_path=f"spec.containers{{{container.name}}}")
        try:
            self.runtime.stop_container(container.id, grace)
        except RuntimeFailure as error:
            log.warning("could not stop %s after a failed %s: %s", container.name, kind, error)


def period_seconds(probe: Probe, time_scale: float) -> float:
    """How often the probe runs, in real seconds (at least one second before scaling, as Kubernetes)."""
    return max(_given(probe.period_seconds, 10), 1) * time_scale


def handler_text(probe: Probe) -> str:
    """The probe's action in one line: "exec cat /tmp/ready", "http-get :8080/healthz", "tcp-socket :5432"."""
    if probe.exec is not None:
        return "exec " + " ".join(probe.exec.command or [])
    if probe.http_get is not None:
        action = probe.http_get
        scheme = "https://" if (action.scheme or "HTTP").upper() == "HTTPS" else ""
        path = action.path or "/"
        return f"http-get {scheme}{action.host or ''}:{action.port}{path if path.startswith('/') else '/' + path}"
    if probe.tcp_socket is not None:
        return f"tcp-socket {probe.tcp_socket.host or ''}:{probe.tcp_socket.port}"
    return "none"


def _given(value: int | None, default: int) -> int:
    """A probe field as set, or Kubernetes' default when it is absent (an explicit 0 stays 0)."""
    return default if value is None else value
