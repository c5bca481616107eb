"""sync_pod and terminate_pod: make the runtime match one pod's spec, or tear it down.

sync_pod is level-triggered and idempotent: it looks at what the runtime has
for the pod and does only what is missing, so calling it again (after a crash,
a restart of the kubelet, or every few seconds) is always safe.

    sandbox missing or dead ─► (stop leftovers) ─► run the pause container
    pod network             ─► DNS config and Service rules in the sandbox (kubelet.services), every sync
    volumes                 ─► emptyDir storage exists
    each container          ─► running: nothing to do
                               never ran: pull (per imagePullPolicy) ─► create ─► start
                               exited: restartPolicy says restart? ─► in backoff: CrashLoopBackOff
                                                                      else start a new instance

As it goes, it notes in `notes` (kubelet.why) what the status cannot say: the
step under way, the backoff timers it waits on, the engine's pull errors and the
SIGKILL deadline of a termination, which GET /why/{ns}/{pod} answers from.

It also times the steps it takes to start a pod (sandbox, pull, create, start,
summed over the pod's containers); the first status write that shows one of
the containers running carries them as its note (apiclient.provenance), so a
trace of the pod says where the kubelet spent its time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from apiclient.events import now_rfc3339
from apiclient.provenance import explaining
from kubelet.backoff import Backoff
from kubelet.config import KubeletConfig
from kubelet.pod_status import Waiting, container_status, epoch, pod_status
from kubelet.prober import ProbeManager
from kubelet.reporter import SyncReporter
from kubelet.runtime.protocol import (
    ContainerRuntime, ContainerSpec, ContainerStatus, CreateFailed, ImageNotPresent, ImagePullFailed, Mount,
    PodRef, PortMapping, RuntimeFailure, Sandbox, SandboxSpec,
)
from kubelet.services.pod_network import NoPodNetwork, PodNetwork, PodNetworkFailed
from kubelet.why import PodNotebook, ReportSources, Stage, Step, Termination, Timer, pod_report
from objects import pod as api
from objects.container import Container
from objects.phases import PullPolicy, RestartPolicy, is_finished_phase
from objects.pod import Pod
from objects.quantity import cpu_millicores, to_bytes
from objects.why import KubeletPodReport

log = logging.getLogger(__name__)


@dataclass
class StepTimings:
    """Seconds this kubelet spent starting one pod, per step, summed over its containers."""

    sandbox: float = 0.0
    pull: float = 0.0  # 0 when the image was already present
    create: float = 0.0
    start: float = 0.0
    started: bool = False  # this kubelet started a container of the pod (an adopted pod's steps ran elsewhere)
    told: bool = False  # a status write carried them

    def note(self) -> str:
        return ", ".join(f"{step} {round(seconds * 1000)} ms" for step, seconds in (
            ("sandbox", self.sandbox), ("pull", self.pull), ("create", self.create), ("start", self.start)))


def pod_ref(pod: Pod, config: KubeletConfig) -> PodRef:
    meta = pod.metadata
    return PodRef(meta.namespace or "", meta.name or "", meta.uid or "", config.node_name, config.owner)


class PodSyncer:
    """Runs one pod's containers through the runtime and reports what it sees to `reporter`."""

    def __init__(self, runtime: ContainerRuntime, config: KubeletConfig, reporter: SyncReporter, *,
                 pod_network: PodNetwork | None = None):
        self.runtime = runtime
        self.config = config
        self.reporter = reporter
        self.pod_network = pod_network or NoPodNetwork()
        self.backoff = Backoff(time_scale=config.time_scale)
        self.probes = ProbeManager(runtime, reporter, time_scale=config.time_scale)
        self.notes = PodNotebook()  # what `why` tells beyond the status: steps, timers, pull errors
        self._waiting: dict[tuple[str, str], Waiting] = {}
        self._timings: dict[str, StepTimings] = {}  # pod uid -> its start-up steps, until a status tells them
        self._lock = threading.Lock()

    # ----- sync

    def sync_pod(self, pod: Pod) -> float | None:
        """Bring the pod's containers to what its spec says, then report the pod's status. Returns when
        the soonest backoff this sync waits on runs out (wall clock), or None."""
        ref = pod_ref(pod, self.config)
        self.notes.sync_started(ref.uid)
        sandbox, instances = self._sync(pod, ref)
        status = self.status(pod, sandbox, instances)
        due = self.notes.sync_finished(ref.uid, status, instances)
        written = self._report(pod, ref.uid, status)
        if written and is_finished_phase(status.phase) and sandbox is not None:
            # Only once the API holds the final phase: a sandbox stopped earlier would look like a
            # lost network namespace to the next sync, which would make a new one.
            self.runtime.stop_sandbox(sandbox.id)
            self.pod_network.tear_down(ref.uid)  # its DNS sockets would keep the stopped namespace alive
        return due

    def _report(self, pod: Pod, uid: str, status: api.PodStatus) -> bool:
        """Report the status; the first write showing a container this kubelet started running tells
        how long each start-up step took."""
        with self._lock:
            timings = self._timings.get(uid)
            tell = timings is not None and timings.started and not timings.told and _any_running(status)
        with explaining(timings.note() if tell else None):
            written = self.reporter.pod_status_changed(pod, status)
        if tell and written:
            with self._lock:
                timings.told = True
        return written

    @contextlib.contextmanager
    def _timed(self, uid: str, step: str) -> Iterator[None]:
        """Add the time the block takes to the pod's `step` (a StepTimings field)."""
        began = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                timings = self._timings.setdefault(uid, StepTimings())
                setattr(timings, step, getattr(timings, step) + time.monotonic() - began)

    def explain(self, pod: Pod) -> KubeletPodReport:
        """What `why` says of `pod`: its containers' states, steps, timers, probes, termination."""
        sources = ReportSources(node_name=self.config.node_name, probes=self.probes,
                                backoff_sequence=self.backoff.sequence(), log_tail=self._log_tail)
        return pod_report(pod, self.notes.copy(pod.metadata.uid or ""), sources)

    def _log_tail(self, container_id: str, lines: int) -> list[str]:
        try:
            text = b"".join(self.runtime.logs(container_id, tail=lines)).decode(errors="replace")
        except RuntimeFailure:
            return []  # removed meanwhile: nothing left to show
        return text.splitlines()[-lines:]

    def _sync(self, pod: Pod, ref: PodRef) -> tuple[Sandbox | None, dict[str, list[ContainerStatus]]]:
        """Do what is missing; returns the running sandbox (if any) and the container instances."""
        instances = self._instances(ref)
        sandbox = self._sandbox(ref)
        if pod.is_finished:
            return sandbox, instances
        self.notes.step(ref.uid, Step.VOLUMES)
        memory_volumes = self._ensure_volumes(pod, ref)
        if memory_volumes is None:  # a volume could not be made; FailedMount was recorded
            return sandbox, instances
        if sandbox is None:
            self._stop_all(ref, instances, grace=0)  # a new network namespace means new containers
            self.notes.step(ref.uid, Step.SANDBOX)
            with self._timed(ref.uid, "sandbox"):
                sandbox = self._run_sandbox(pod, ref, memory_volumes)
            instances = self._instances(ref)
        if sandbox is not None and not self._set_up_network(pod, sandbox):
            return sandbox, instances
        if sandbox is not None:
            for container in _containers(pod):
                self._sync_container(pod, ref, sandbox, container, instances.get(container.name or "", []))
            instances = self._instances(ref)
            self.probes.sync(pod, [versions[0] for versions in instances.values() if versions[0].state == "running"],
                             pod_ip=sandbox.ip)
        return sandbox, instances

    def _set_up_network(self, pod: Pod, sandbox: Sandbox) -> bool:
        """The pod's DNS config and Service rules, before its containers start (a no-op once done)."""
        try:
            self.pod_network.set_up(pod, sandbox)
        except Exception as error:  # PodNetworkFailed, or a fault of the data path: the pod must say so
            if isinstance(error, PodNetworkFailed):
                log.warning("pod %s/%s: %s", pod.metadata.namespace, pod.metadata.name, error)
            else:
                log.exception("pod %s/%s: setting up its network failed", pod.metadata.namespace, pod.metadata.name)
            self.reporter.record_event(pod, type_="Warning", reason="FailedCreatePodSandBox",
                                       message=f"Failed to create pod sandbox: {error}")
            return False
        return True

    def status(self, pod: Pod, sandbox: Sandbox | None,
               instances: dict[str, list[ContainerStatus]]) -> api.PodStatus:
        uid = pod.metadata.uid or ""
        containers = []
        for container in _containers(pod):
            name = container.name or ""
            with self._lock:
                waiting = self._waiting.get((uid, name))
            versions = instances.get(name, [])
            current_id = versions[0].id if versions else ""
            containers.append(container_status(container, versions, waiting,
                                               self.runtime.image_id(container.image or ""),
                                               ready=self.probes.ready(current_id),
                                               started=self.probes.started(current_id)))
        return pod_status(pod, sandbox=sandbox, containers=containers, host_ip=self.config.address,
                          now=now_rfc3339())

    def _sync_container(self, pod: Pod, ref: PodRef, sandbox: Sandbox, container: Container,
                        instances: list[ContainerStatus]) -> None:
        name = container.name or ""
        current = instances[0] if instances else None
        if current is not None and current.state == "running":
            self._set_waiting(ref.uid, name, None)
            return
        if current is not None and current.state == "created":
            self.runtime.remove_container(current.id)  # a half-made instance from an interrupted sync
            current = instances[1] if len(instances) > 1 else None
        restart_count = 0
        if current is not None:
            if not _should_restart(pod, current):
                self._set_waiting(ref.uid, name, None)
                return
            restart_count = current.restart_count + 1
            key = (ref.uid, name)
            exited_at = epoch(current.finished_at)
            wait = self.backoff.remaining(key, since=exited_at)
            if wait > 0:
                self.notes.timer(ref.uid, name, Timer.NEXT_RESTART, self.backoff.ends_at(key, since=exited_at))
                message = f"back-off {wait:.0f}s restarting failed container={name} " \
                          f"pod={ref.name}_{ref.namespace}({ref.uid})"
                if self._set_waiting(ref.uid, name, Waiting("CrashLoopBackOff", message)):
                    self.reporter.record_event(pod, type_="Warning", reason="BackOff",
                                               message=f"Back-off restarting failed container {name} in pod "
                                                       f"{ref.name}_{ref.namespace}({ref.uid})",
                                               field_path=f"spec.containers{{{name}}}")
                return
            self.backoff.failed(key, at=exited_at)  # the next exit waits longer, unless it ran for 10 minutes
        self._start_container(pod, ref, sandbox, container, restart_count)

    def _start_container(self, pod: Pod, ref: PodRef, sandbox: Sandbox, container: Container,
                         restart_count: int) -> None:
        name = container.name or ""
        field_path = f"spec.containers{{{name}}}"
        if not self._ensure_image(pod, ref, container):
            return
        self.notes.step(ref.uid, Step.START)
        try:
            with self._timed(ref.uid, "create"):
                container_id = self.runtime.create_container(self._container_spec(pod, ref, sandbox, container,
                                                                                  restart_count))
        except CreateFailed as error:
            self._set_waiting(ref.uid, name, Waiting("CreateContainerError", str(error)))
            self.reporter.record_event(pod, type_="Warning", reason="Failed", message=f"Error: {error}",
                                       field_path=field_path)
            return
        self.reporter.record_event(pod, type_="Normal", reason="Created", message=f"Created container: {name}",
                                   field_path=field_path)
        try:
            with self._timed(ref.uid, "start"):
                self.runtime.start_container(container_id)
        except RuntimeFailure as error:
            self._set_waiting(ref.uid, name, Waiting("RunContainerError", str(error)))
            self.reporter.record_event(pod, type_="Warning", reason="Failed", message=f"Error: {error}",
                                       field_path=field_path)
            return
        with self._lock:
            self._timings.setdefault(ref.uid, StepTimings()).started = True
        self._set_waiting(ref.uid, name, None)
        self.reporter.record_event(pod, type_="Normal", reason="Started", message=f"Started container {name}",
                                   field_path=field_path)

    def _ensure_image(self, pod: Pod, ref: PodRef, container: Container) -> bool:
        image, name = container.image or "", container.name or ""
        policy = container.image_pull_policy or PullPolicy.IF_NOT_PRESENT
        field_path = f"spec.containers{{{name}}}"
        present = self.runtime.image_present(image)
        if policy == PullPolicy.NEVER and not present:
            message = f'Container image "{image}" is not present with pull policy of Never'
            if self._set_waiting(ref.uid, name, Waiting("ErrImageNeverPull", message)):
                self.reporter.record_event(pod, type_="Warning", reason="ErrImageNeverPull", message=message,
                                           field_path=field_path)
            return False
        if present and policy != PullPolicy.ALWAYS:
            self.reporter.record_event(pod, type_="Normal", reason="Pulled",
                                       message=f'Container image "{image}" already present on machine',
                                       field_path=field_path)
            return True
        key = (ref.uid, f"image:{image}")
        if self.backoff.remaining(key) > 0:
            self.notes.timer(ref.uid, name, Timer.NEXT_PULL, self.backoff.ends_at(key))
            self._set_waiting(ref.uid, name, Waiting("ImagePullBackOff", f'Back-off pulling image "{image}"'))
            return False
        self.reporter.record_event(pod, type_="Normal", reason="Pulling", message=f'Pulling image "{image}"',
                                   field_path=field_path)
        self.notes.step(ref.uid, Step.IMAGE_PULL)
        started = time.monotonic()
        try:
            with self._timed(ref.uid, "pull"):
                self.runtime.pull_image(image)
        except (ImagePullFailed, ImageNotPresent) as error:
            self.backoff.failed(key)
            self.notes.pull_failed(ref.uid, name, str(error))
            self.notes.timer(ref.uid, name, Timer.NEXT_PULL, self.backoff.ends_at(key))
            message = f'Failed to pull image "{image}": {error}'
            self._set_waiting(ref.uid, name, Waiting("ErrImagePull", message))
            self.reporter.record_event(pod, type_="Warning", reason="Failed", message=message, field_path=field_path)
            self.reporter.record_event(pod, type_="Warning", reason="Failed", message="Error: ErrImagePull",
                                       field_path=field_path)
            return False
        self.notes.pulled(ref.uid, name)
        self.reporter.record_event(pod, type_="Normal", reason="Pulled",
                                   message=f'Successfully pulled image "{image}" in {time.monotonic() - started:.3f}s',
                                   field_path=field_path)
        return True

    # ----- terminate

    def terminate_pod(self, pod: Pod, *, grace_seconds: float, confirm_deletion: bool) -> None:
        """Stop every container (SIGTERM, then SIGKILL after the grace period), remove all traces, and
        report the pod terminated (confirm_deletion: a graceful delete, which the API waits for)."""
        ref = pod_ref(pod, self.config)
        self.probes.forget_pod(ref.uid)  # a terminating pod is not probed (nor killed by a liveness probe)
        instances = self._instances(ref)
        running = [i for versions in instances.values() for i in versions if i.state == "running"]
        for instance in running:
            self.reporter.record_event(pod, type_="Normal", reason="Killing",
                                       message=f"Stopping container {instance.name}",
                                       field_path=f"spec.containers{{{instance.name}}}")
        started = time.time()
        termination = Termination(grace_seconds, started, kill_at=started + grace_seconds)
        self.notes.terminating(ref.uid, termination)
        stops = {i.id: threading.Thread(target=self.runtime.stop_container, args=(i.id, grace_seconds))
                 for i in running}
        for thread in stops.values():
            thread.start()
        for thread in stops.values():
            thread.join(max(0.0, termination.kill_at - time.time()))
        late = [container_id for container_id, thread in stops.items() if thread.is_alive()]
        if late:
            # The deadline is the kubelet's (the one `why` shows), not the engine's: Docker counts
            # the grace period in whole seconds.
            self.notes.stage(ref.uid, Stage.SIG_KILL)
            for container_id in late:
                try:
                    self.runtime.stop_container(container_id, 0)
                except RuntimeFailure as error:  # gone already, or the engine balked: the first stop still ends it
                    log.warning("SIGKILL of %s at the grace deadline failed: %s", container_id[:12], error)
        for thread in stops.values():
            thread.join()
        self.notes.stage(ref.uid, Stage.STOPPED)
        self.remove_pod(ref)
        self.reporter.pod_terminated(pod, confirm_deletion=confirm_deletion)

    def remove_pod(self, ref: PodRef) -> None:
        """Remove containers, sandboxes and volumes of a pod; safe to repeat."""
        for versions in self._instances(ref).values():
            for instance in versions:
                self.runtime.remove_container(instance.id)
        for sandbox in self.runtime.list_sandboxes(self.config.node_name, pod_uid=ref.uid):
            self.runtime.stop_sandbox(sandbox.id)
            self.runtime.remove_sandbox(sandbox.id)
        self.runtime.remove_pod_volumes(ref)
        self.pod_network.tear_down(ref.uid)
        self.backoff.forget_pod(ref.uid)
        self.probes.forget_pod(ref.uid)
        self.notes.forget(ref.uid)
        with self._lock:
            for key in [k for k in self._waiting if k[0] == ref.uid]:
                del self._waiting[key]
            self._timings.pop(ref.uid, None)

    # ----- building blocks

    def _instances(self, ref: PodRef) -> dict[str, list[ContainerStatus]]:
        by_name: dict[str, list[ContainerStatus]] = {}
        for status in self.runtime.list_containers(self.config.node_name, pod_uid=ref.uid):
            by_name.setdefault(status.name, []).append(status)
        for versions in by_name.values():
            versions.sort(key=lambda s: s.restart_count, reverse=True)
        return by_name

    def _sandbox(self, ref: PodRef) -> Sandbox | None:
        for sandbox in self.runtime.list_sandboxes(self.config.node_name, pod_uid=ref.uid):
            if sandbox.running:
                return sandbox
        return None

    def _run_sandbox(self, pod: Pod, ref: PodRef, memory_volumes: tuple[str, ...]) -> Sandbox | None:
        """The pause container; it also keeps the pod's tmpfs (Memory emptyDir) volumes mounted for the
        pod's whole life, since the engine drops a tmpfs volume's files when no container uses it."""
        for stale in self.runtime.list_sandboxes(self.config.node_name, pod_uid=ref.uid):
            self.runtime.remove_sandbox(stale.id)
        ports = tuple(
            PortMapping(p.container_port or 0, p.host_port, p.protocol or "TCP", p.host_ip or "")
            for c in _containers(pod) for p in c.ports or [] if p.host_port
        )
        hostname = (pod.spec and pod.spec.hostname) or ref.name[:63]
        spec = SandboxSpec(ref, self.config.pod_infra_image, self.config.network, hostname, ports,
                           volumes=memory_volumes)
        try:
            if not self.runtime.image_present(spec.image):
                self.runtime.pull_image(spec.image)
            return self.runtime.run_sandbox(spec)
        except RuntimeFailure as error:
            log.warning("pod %s/%s: sandbox failed: %s", ref.namespace, ref.name, error)
            self.reporter.record_event(pod, type_="Warning", reason="FailedCreatePodSandBox",
                                       message=f"Failed to create pod sandbox: {error}")
            return None

    def _ensure_volumes(self, pod: Pod, ref: PodRef) -> tuple[str, ...] | None:
        """Make every emptyDir's storage; returns the sources of the Memory ones, or None on failure."""
        memory = []
        try:
            for volume in (pod.spec and pod.spec.volumes) or []:
                if volume.empty_dir is not None:
                    medium = volume.empty_dir.medium or ""
                    source = self.runtime.volume_source(ref, volume.name or "", medium=medium)
                    if medium == "Memory":
                        memory.append(source)
        except RuntimeFailure as error:
            self.reporter.record_event(pod, type_="Warning", reason="FailedMount", message=str(error))
            return None
        return tuple(memory)

    def _container_spec(self, pod: Pod, ref: PodRef, sandbox: Sandbox, container: Container,
                        restart_count: int) -> ContainerSpec:
        resources = container.resources
        limits, requests = (resources and resources.limits) or {}, (resources and resources.requests) or {}
        command, args = container.command, container.args
        return ContainerSpec(
            pod=ref, sandbox_id=sandbox.id, name=container.name or "", image=container.image or "",
            command=tuple(command) if command else None, args=tuple(args) if args else None,
            env=tuple(self._env(pod, sandbox, container)), working_dir=container.working_dir or "",
            mounts=tuple(self._mounts(pod, ref, container)),
            memory_limit_bytes=to_bytes(limits["memory"]) if "memory" in limits else 0,
            cpu_limit_millis=cpu_millicores(limits["cpu"]) if "cpu" in limits else 0,
            cpu_request_millis=cpu_millicores(requests["cpu"]) if "cpu" in requests else 0,
            restart_count=restart_count, stdin=bool(container.stdin), tty=bool(container.tty),
        )

    def _env(self, pod: Pod, sandbox: Sandbox, container: Container) -> list[tuple[str, str]]:
        """The container's own variables in order ($(VAR) may name Services' too), then the Services'
        it does not set itself, as the kubelet's makeEnvironmentVariables orders them."""
        services = self.pod_network.env(pod)
        own = self._own_env(pod, sandbox, container, dict(services))
        named = {name for name, _ in own}
        return own + [(name, value) for name, value in services if name not in named]

    def _own_env(self, pod: Pod, sandbox: Sandbox, container: Container,
                 services: dict[str, str]) -> list[tuple[str, str]]:
        meta = pod.metadata
        fields = {"metadata.name": meta.name or "", "metadata.namespace": meta.namespace or "",
                  "metadata.uid": meta.uid or "", "spec.nodeName": self.config.node_name,
                  "spec.serviceAccountName": (pod.spec and pod.spec.service_account_name) or "",
                  "status.podIP": sandbox.ip, "status.hostIP": self.config.address}
        env: list[tuple[str, str]] = []
        for var in container.env or []:
            source = var.value_from.field_ref if var.value_from else None
            if source is not None:
                env.append((var.name or "", fields.get(source.field_path or "", "")))
            else:
                env.append((var.name or "", _expand(var.value or "", {**services, **dict(env)})))
        return env

    def _mounts(self, pod: Pod, ref: PodRef, container: Container) -> list[Mount]:
        volumes = {v.name: v for v in (pod.spec and pod.spec.volumes) or []}
        mounts = []
        for mount in container.volume_mounts or []:
            volume = volumes.get(mount.name)
            if volume is not None and volume.empty_dir is not None:
                source = self.runtime.volume_source(ref, mount.name or "", medium=volume.empty_dir.medium or "")
            elif volume is not None and volume.host_path is not None:
                source = volume.host_path.path or ""
            else:
                continue  # other volume kinds are not supported by tinykube's kubelet (validation says so)
            mounts.append(Mount(source, mount.mount_path or "", bool(mount.read_only), mount.sub_path or ""))
        return mounts

    def _stop_all(self, ref: PodRef, instances: dict[str, list[ContainerStatus]], *, grace: float) -> None:
        for versions in instances.values():
            for instance in versions:
                if instance.state == "running":
                    self.runtime.stop_container(instance.id, grace)

    def _set_waiting(self, uid: str, name: str, waiting: Waiting | None) -> bool:
        """Remember why a container waits; True when the reason is new (so events are not repeated)."""
        with self._lock:
            previous = self._waiting.get((uid, name))
            if waiting is None:
                self._waiting.pop((uid, name), None)
            else:
                self._waiting[(uid, name)] = waiting
        return waiting is not None and (previous is None or previous.reason != waiting.reason)


def _containers(pod: Pod) -> list[Container]:
    return (pod.spec and pod.spec.containers) or []


def _any_running(status: api.PodStatus) -> bool:
    return any(c.state is not None and c.state.running is not None for c in status.container_statuses or [])


def _should_restart(pod: Pod, exited: ContainerStatus) -> bool:
    policy = (pod.spec and pod.spec.restart_policy) or RestartPolicy.ALWAYS
    return policy == RestartPolicy.ALWAYS or (policy == RestartPolicy.ON_FAILURE and exited.exit_code != 0)


def _expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion from earlier variables; $$ escapes."""
    out, i = [], 0
    while i < len(value):
        if value.startswith("$$", i):
            out.append("$")
            i += 2
        elif value.startswith("$(", i) and ")" in value[i:]:
            end = value.index(")", i)
            name = value[i + 2:end]
            out.append(env.get(name, value[i:end + 1]))
            i = end + 1
        else:
            out.append(value[i])
            i += 1
    return "".join(out)
