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
from dataclasses import dataclass
from typing import Any

import httpx

from kubelet.reporter import SyncReporter
from kubelet.runtime.protocol import ContainerRuntime, ContainerStatus, RuntimeFailure

log = logging.getLogger(__name__)

KINDS = ("startupProbe", "livenessProbe", "readinessProbe")
EVENT_NAMES = {"startupProbe": "Startup", "livenessProbe": "Liveness", "readinessProbe": "Readiness"}


@dataclass(frozen=True)
class ProbeOutcome:
    ok: bool
    message: str = ""


def run_probe(probe: dict[str, Any], *, runtime: ContainerRuntime, container: ContainerStatus,
              container_spec: dict[str, Any], pod_ip: str, timeout: float) -> ProbeOutcome:
    """One probe attempt. Pure of state: whatever happens becomes an outcome, never an exception."""
    try:
        if "exec" in probe:
            return _exec_probe(runtime, container.id, probe["exec"].get("command") or [], timeout)
        if "httpGet" in probe:
            return _http_probe(probe["httpGet"], container_spec, pod_ip, timeout)
        if "tcpSocket" in probe:
            return _tcp_probe(probe["tcpSocket"], container_spec, pod_ip, timeout)
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


def _http_probe(action: dict[str, Any], container: dict[str, Any], pod_ip: str, timeout: float) -> ProbeOutcome:
    scheme = (action.get("scheme") or "HTTP").lower()
    host = action.get("host") or pod_ip
    port = resolve_port(action.get("port"), container)
    path = action.get("path") or "/"
    headers = {h["name"]: h["value"] for h in action.get("httpHeaders") or []}
    url = f"{scheme}://{host}:{port}{path if path.startswith('/') else '/' + path}"
    response = httpx.get(url, headers=headers, timeout=timeout, verify=False, follow_redirects=False)
    if 200 <= response.status_code < 400:
        return ProbeOutcome(True)
    return ProbeOutcome(False, f"HTTP probe failed with statuscode: {response.status_code}")


def _tcp_probe(action: dict[str, Any], container: dict[str, Any], pod_ip: str, timeout: float) -> ProbeOutcome:
    host, port = action.get("host") or pod_ip, resolve_port(action.get("port"), container)
    with socket.create_connection((host, port), timeout=timeout):
        return ProbeOutcome(True)


def resolve_port(port: int | str | None, container: dict[str, Any]) -> int:
    """A probe's port may name one of the container's ports."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for declared in container.get("ports") or []:
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise ValueError(f"port {port!r} is not a number and names no port of container {container.get('name')}")


class ProbeWorker:
    """Probes one kind for one container instance until stopped."""

    def __init__(self, kind: str, probe: dict[str, Any], *, manager: ProbeManager, pod: dict[str, Any],
                 pod_ip: str, container: ContainerStatus, container_spec: dict[str, Any]):
        self.kind, self.probe, self.manager = kind, probe, manager
        self.pod, self.pod_ip, self.container, self.container_spec = pod, pod_ip, container, container_spec
        self.stop_event = threading.Event()
        # Liveness starts out passing (nothing is known against the container); readiness and startup
        # start out failing: a container is neither ready nor started until its probe says so.
        self.passing = kind == "livenessProbe"
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"probe-{kind}-{container.name}")
        self._thread.start()

    def update(self, pod: dict[str, Any], pod_ip: str) -> None:
        """The newest pod (its IP, its grace period) for the next attempt."""
        self.pod, self.pod_ip = pod, pod_ip

    def stop(self) -> None:
        self.stop_event.set()

    def _run(self) -> None:
        scale = self.manager.time_scale
        probe = self.probe
        if self.stop_event.wait(probe.get("initialDelaySeconds", 0) * scale):
            return
        period = max(probe.get("periodSeconds", 10), 1) * scale
        timeout = max(probe.get("timeoutSeconds", 1), 1) * max(scale, 0.5)
        failure_threshold = probe.get("failureThreshold", 3)
        success_threshold = probe.get("successThreshold", 1)
        successes = failures = 0
        while not self.stop_event.is_set():
            if self.kind == "startupProbe" or self.manager.started(self.container.id):
                outcome = run_probe(probe, runtime=self.manager.runtime, container=self.container,
                                    container_spec=self.container_spec, pod_ip=self.pod_ip,
                                    timeout=timeout)
                if outcome.ok:
                    successes, failures = successes + 1, 0
                    if not self.passing and successes >= success_threshold:
                        self._flip(True)
                    if self.kind == "startupProbe" and self.passing:
                        return  # a startup probe's job ends with its first success
                else:
                    successes, failures = 0, failures + 1
                    self.manager.unhealthy(self.pod, self.container, self.kind, outcome)
                    if failures >= failure_threshold and (self.passing or self.kind == "startupProbe"):
                        self._flip(False)
                        if self.kind != "readinessProbe":
                            return  # the container is being killed; its next instance gets new workers
            self.stop_event.wait(period)

    def _flip(self, passing: bool) -> None:
        self.passing = passing
        if self.kind == "startupProbe" and passing:
            self.manager.mark_started(self.container.id)
        if not passing and self.kind in ("livenessProbe", "startupProbe"):
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

    def sync(self, pod: dict[str, Any], running: list[ContainerStatus], *, pod_ip: str) -> None:
        """Start workers for newly running instances, stop those of instances that are gone."""
        specs = {c["name"]: c for c in (pod.get("spec") or {}).get("containers") or []}
        with self._lock:
            for instance in running:
                spec = specs.get(instance.name) or {}
                for kind in KINDS:
                    if spec.get(kind):
                        if (instance.id, kind) not in self._workers:
                            self._workers[(instance.id, kind)] = ProbeWorker(
                                kind, spec[kind], manager=self, pod=pod, pod_ip=pod_ip, container=instance,
                                container_spec=spec)
                if not spec.get("startupProbe"):
                    self._started.add(instance.id)
            running_ids = {instance.id for instance in running}
            gone = [key for key, worker in self._workers.items()
                    if worker.pod["metadata"]["uid"] == pod["metadata"]["uid"] and key[0] not in running_ids]
            for key in gone:
                self._workers.pop(key).stop()
            for worker in self._workers.values():
                if worker.pod["metadata"]["uid"] == pod["metadata"]["uid"]:
                    worker.update(pod, pod_ip)

    def forget_pod(self, uid: str) -> None:
        with self._lock:
            for key in [k for k, w in self._workers.items() if w.pod["metadata"]["uid"] == uid]:
                self._workers.pop(key).stop()

    def ready(self, container_id: str) -> bool:
        with self._lock:
            worker = self._workers.get((container_id, "readinessProbe"))
            started = container_id in self._started
        return started and (worker is None or worker.passing)

    def started(self, container_id: str) -> bool:
        with self._lock:
            return container_id in self._started

    # ----- called by workers

    def mark_started(self, container_id: str) -> None:
        with self._lock:
            self._started.add(container_id)

    def changed(self, pod: dict[str, Any]) -> None:
        """A result flipped: the pod's status (ready, started) must be computed and written again."""
        self.reporter.resync_pod(pod["metadata"]["uid"])

    def unhealthy(self, pod: dict[str, Any], container: ContainerStatus, kind: str, outcome: ProbeOutcome) -> None:
        self.reporter.record_event(pod, type_="Warning", reason="Unhealthy",
                                   message=f"{EVENT_NAMES[kind]} probe failed: {outcome.message}",
                                   field_path=f"spec.containers{{{container.name}}}")

    def kill(self, pod: dict[str, Any], container: ContainerStatus, kind: str) -> None:
        grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30) * self.time_scale
        self.reporter.record_event(pod, type_="Normal", reason="Killing",
                                   message=f"Container {container.name} failed {EVENT_NAMES[kind].lower()} probe, "
                                           "will be restarted",
                                   field_path=f"spec.containers{{{container.name}}}")
        try:
            self.runtime.stop_container(container.id, grace)
        except RuntimeFailure as error:
            log.warning("could not stop %s after a failed %s: %s", container.name, kind, error)
