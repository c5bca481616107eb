"""An in-memory `ContainerRuntime` for fast kubelet tests, held to the same contract
suite as the Docker runtime (tests/kubelet/test_runtime_contract.py).

What it simulates, and how:

- Images: a set present and a set pullable (`FakeImage` gives an entrypoint and cmd).
- Ids and addresses are deterministic: `fake-1`, `fake-2`, ...; pod IPs 10.88.0.2, .3, ...
- A started container "runs" its command through a tiny shell (`fake_shell.Shell`).
  Commands that wait (sleep, wait, while, nc, httpd, the pause program) leave the
  container running until it is stopped or `exit()`ed, and so does any program the
  shell does not know (taken for a server that exits 0 on SIGTERM):

      created --start--> running --(script ends | stop | exit())--> exited
                  \\--(script ends at once)---------------------------^

- As PID 1 in Docker, a process ignores SIGTERM unless it traps it: `stop_container`
  runs a `trap '...' TERM` handler at once, otherwise it waits the grace period
  (through the `sleep` callable given to the constructor) and kills with 137.
- Files live in memory: each volume or host path is a dict shared by every container
  that mounts it; host paths are never read from or written to the real disk. An
  emptyDir keeps its files until `remove_pod_volumes`, whether or not the sandbox
  holds it (`SandboxSpec.volumes`), and "Memory" is no different from disk.
- What cannot be computed is triggered by the test: `exit(id, code, oom=True)`
  for an OOM kill, `append_log(id, data)` for output, `set_usage(id, ...)` for
  the CPU and memory a running container reports (idle, FAKE_WORKING_SET_BYTES,
  until told; CPU is capped at the container's limit, as the kernel caps it).
- An attach session follows the container's log from the moment it attaches;
  what it writes to stdin is kept (`attached_stdin(id)`), never read;
  `attachments(id)` counts the sessions open.
"""

from __future__ import annotations

import hashlib
import queue
import signal as signals
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from kubelet.runtime import docker_specs as specs
from kubelet.runtime.fake_shell import Blocked, FileSystem, Shell
from kubelet.runtime.protocol import (
    SANDBOX_CONTAINER_NAME,
    AttachSession,
    ContainerNotFound,
    ContainerSpec,
    ContainerStats,
    ContainerStatus,
    CreateFailed,
    ExecSession,
    ImageNotPresent,
    ImagePullFailed,
    Mount,
    PodRef,
    RuntimeFailure,
    Sandbox,
    SandboxSpec,
)

FAKE_VERSION = "fake://0.1.0"
KILLED_EXIT_CODE = 137  # 128 + SIGKILL
SIGKILL = 9
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
FAKE_WORKING_SET_BYTES = 1 << 20  # what a small idle process holds, so memory is never reported as none


@dataclass(frozen=True)
class FakeImage:
    name: str
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ("sh",)


def _normalized(image: str) -> str:
    """`busybox` and `busybox:latest` name one image, as in Docker."""
    last = image.rsplit("/", 1)[-1]
    return image if (":" in last or "@" in image) else f"{image}:latest"


def _image_of(image: FakeImage | str) -> FakeImage:
    return image if isinstance(image, FakeImage) else FakeImage(image)


def _rfc3339_nano(moment: float) -> str:
    nanos = int(round(moment * 1e9)) % 1_000_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{nanos:09d}Z"


# ----- the runtime

@dataclass
class _Container:
    id: str
    seq: int
    pod: PodRef
    name: str  # the pod's container name ("POD" for a sandbox)
    docker_name: str
    image: str
    argv: list[str]
    env: dict[str, str]
    working_dir: str
    mounts: tuple[Mount, ...]
    network_namespace: str  # the sandbox whose network the container joins (its own id for a sandbox)
    restart_count: int = 0
    stdin: bool = False
    tty: bool = False
    cpu_limit_millis: int = 0
    cpu_nano_cores: int = 0
    memory_working_set_bytes: int = FAKE_WORKING_SET_BYTES
    started: float = 0.0  # time.time() of the start, for the cumulative CPU counter
    ip: str = ""
    host_ports: tuple[int, ...] = ()
    state: str = "created"
    exit_code: int = 0
    reason: str = ""
    started_at: str = ""
    finished_at: str = ""
    log: list[tuple[float, bytes]] = field(default_factory=list)
    root: dict[str, bytes] = field(default_factory=dict)
    shell: Shell | None = None
    stopped: threading.Event = field(default_factory=threading.Event)
    attached_stdin: bytearray = field(default_factory=bytearray)
    attachments: int = 0


class FakeRuntime:
    """`ContainerRuntime` in memory. `sleep` is what waiting out a stop's grace period calls."""

    def __init__(self, *, images: Iterable[FakeImage | str] = (), pullable: Iterable[FakeImage | str] = (),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.images: dict[str, FakeImage] = {_normalized(i.name): i for i in map(_image_of, images)}
        self.pullable: dict[str, FakeImage] = {_normalized(i.name): i for i in map(_image_of, pullable)}
        self.networks: set[str] = set()
        self.volumes: dict[str, PodRef] = {}
        self._sleep = sleep
        self._containers: dict[str, _Container] = {}
        self._stores: dict[str, dict[str, bytes]] = {}  # volume name or host path -> files
        self._seq = 0
        self._ips = 0
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)

    # ----- controls for tests

    def exit(self, container_id: str, code: int, *, oom: bool = False) -> None:
        """End a running container as if its process had exited (or been OOM-killed)."""
        with self._lock:
            self._finish(self._get(container_id), code, reason="OOMKilled" if oom else "")

    def append_log(self, container_id: str, data: bytes) -> None:
        with self._lock:
            self._log(self._get(container_id), data)

    def set_usage(self, container_id: str, *, cpu_nano_cores: int | None = None,
                  memory_working_set_bytes: int | None = None) -> None:
        """What the container's process uses from now on, as its next stats sample will say."""
        with self._lock:
            container = self._get(container_id)
            if cpu_nano_cores is not None:
                container.cpu_nano_cores = cpu_nano_cores
            if memory_working_set_bytes is not None:
                container.memory_working_set_bytes = memory_working_set_bytes

    def attached_stdin(self, container_id: str) -> bytes:
        """What attach sessions wrote to the container's stdin (the fake's processes never read it)."""
        with self._lock:
            return bytes(self._get(container_id).attached_stdin)

    def attachments(self, container_id: str) -> int:
        """How many attach sessions are open on the container now (so a test knows it is attached)."""
        with self._lock:
            return self._get(container_id).attachments

    def network_namespace(self, container_id: str) -> str:
        """The id of the sandbox whose network namespace the container joined."""
        with self._lock:
            return self._get(container_id).network_namespace

    # ----- the protocol

    def version(self) -> str:
        return FAKE_VERSION

    def image_present(self, image: str) -> bool:
        with self._lock:
            return _normalized(image) in self.images

    def pull_image(self, image: str) -> None:
        with self._lock:
            pulled = self.pullable.get(_normalized(image))
            if pulled is None:
                raise ImagePullFailed(f"pull access denied for {image}, repository does not exist")
            self.images[_normalized(image)] = pulled

    def image_id(self, image: str) -> str:
        with self._lock:
            if _normalized(image) not in self.images:
                return ""
        return "sha256:" + hashlib.sha256(_normalized(image).encode()).hexdigest()

    def run_sandbox(self, spec: SandboxSpec) -> Sandbox:
        with self._lock:
            self.networks.add(spec.network)
            host_ports = tuple(m.host_port for m in spec.port_mappings if m.host_port)
            taken = {port for c in self._containers.values() if c.state == "running" for port in c.host_ports}
            if taken & set(host_ports):
                raise CreateFailed(f"Bind for 0.0.0.0:{min(taken & set(host_ports))} failed: port is already allocated")
            container = self._new(spec.pod, SANDBOX_CONTAINER_NAME, spec.image, name=specs.sandbox_name(spec.pod),
                                  env={"HOSTNAME": spec.hostname})
            container.network_namespace = container.id
            container.mounts = tuple(Mount(source=source, container_path=f"/volumes/{source}", read_only=True)
                                     for source in spec.volumes)
            self._ips += 1
            container.ip = f"10.88.{self._ips // 250}.{self._ips % 250 + 1}"
            container.host_ports = host_ports
            self._start(container)
            return self._sandbox(container)

    def list_sandboxes(self, node_name: str, *, pod_uid: str | None = None) -> list[Sandbox]:
        with self._lock:
            return [self._sandbox(c) for c in self._newest_first(node_name)
                    if c.name == SANDBOX_CONTAINER_NAME and pod_uid in (None, c.pod.uid)]

    def stop_sandbox(self, sandbox_id: str) -> None:
        self.stop_container(sandbox_id, 0)

    def remove_sandbox(self, sandbox_id: str) -> None:
        self.remove_container(sandbox_id)

    def create_container(self, spec: ContainerSpec) -> str:
        with self._lock:
            if spec.sandbox_id not in self._containers:
                raise CreateFailed(f"sandbox {spec.sandbox_id} not found")
            for mount in spec.mounts:
                specs.checked_sub_path(mount.sub_path)
            container = self._new(spec.pod, spec.name, spec.image, name=specs.container_name(spec),
                                  command=spec.command, args=spec.args, env=dict(spec.env))
            container.network_namespace = spec.sandbox_id
            container.working_dir = spec.working_dir
            container.mounts = spec.mounts
            container.restart_count = spec.restart_count
            container.stdin, container.tty = spec.stdin, spec.tty
            container.cpu_limit_millis = spec.cpu_limit_millis
            return container.id

    def start_container(self, container_id: str) -> None:
        with self._lock:
            container = self._get(container_id)
            if container.state == "created":
                self._start(container)

    def stop_container(self, container_id: str, grace_seconds: float) -> None:
        with self._lock:
            container = self._get(container_id)
            if container.state != "running":
                return
            code = container.shell.on_signal("TERM") if container.shell else None
            if code is not None:
                self._finish(container, code)
                return
        self._sleep(max(0.0, grace_seconds))  # PID 1 ignores an untrapped SIGTERM: wait out the grace
        with self._lock:
            if container.state == "running":
                self._finish(container, KILLED_EXIT_CODE)

    def kill_container(self, container_id: str, signal: int) -> None:
        with self._lock:
            container = self._get(container_id)
            if container.state != "running":
                raise RuntimeFailure(f"container {container_id} is not running")
            if signal == SIGKILL:
                self._finish(container, KILLED_EXIT_CODE)
                return
            try:
                name = signals.Signals(signal).name.removeprefix("SIG")  # as a trap names it
            except ValueError:  # a real-time signal: no trap names it
                name = str(signal)
            code = container.shell.on_signal(name) if container.shell else None
            if code is not None:  # a trapped signal ends the process as its handler says
                self._finish(container, code)
            # else: PID 1 ignores a signal it has no handler for

    def remove_container(self, container_id: str) -> None:
        with self._lock:
            container = self._containers.pop(container_id, None)
            if container is not None and container.state == "running":
                self._finish(container, KILLED_EXIT_CODE)

    def list_containers(self, node_name: str, *, pod_uid: str | None = None) -> list[ContainerStatus]:
        with self._lock:
            return [self._status(c) for c in self._newest_first(node_name)
                    if c.name != SANDBOX_CONTAINER_NAME and pod_uid in (None, c.pod.uid)]

    def container_status(self, container_id: str) -> ContainerStatus:
        with self._lock:
            return self._status(self._get(container_id))

    def container_stats(self, container_id: str) -> ContainerStats | None:
        with self._lock:
            container = self._get(container_id)
            if container.state != "running":
                return None
            cpu = container.cpu_nano_cores
            if container.cpu_limit_millis:
                cpu = min(cpu, container.cpu_limit_millis * 1_000_000)
            now = time.time()
            return ContainerStats(
                timestamp=_rfc3339_nano(now), cpu_usage_nano_cores=cpu,
                cpu_usage_core_nano_seconds=int(cpu * max(0.0, now - container.started)),
                memory_usage_bytes=container.memory_working_set_bytes,
                memory_working_set_bytes=container.memory_working_set_bytes,
            )

    def volume_source(self, pod: PodRef, volume_name: str, *, medium: str = "") -> str:
        name = specs.volume_name(pod, volume_name)
        with self._lock:
            self.volumes[name] = pod
            self._stores.setdefault(name, {})
        return name

    def remove_pod_volumes(self, pod: PodRef) -> None:
        with self._lock:
            owned = [name for name, owner in self.volumes.items()
                     if (owner.uid, owner.node_name) == (pod.uid, pod.node_name)]
            for name in owned:
                if any(m.source == name for c in self._containers.values() for m in c.mounts):
                    raise RuntimeFailure(f"remove {name}: volume is in use")
                del self.volumes[name]
                self._stores.pop(name, None)

    def logs(self, container_id: str, *, follow: bool = False, tail: int | None = None, timestamps: bool = False,
             since_seconds: int | None = None, limit_bytes: int | None = None) -> Iterator[bytes]:
        with self._lock:
            container = self._get(container_id)
            first = 0 if tail is None else max(0, len(container.log) - tail)
        return self._follow_log(container, first, follow=follow, timestamps=timestamps,
                                since=None if since_seconds is None else time.time() - since_seconds,
                                limit_bytes=limit_bytes)

    def exec(self, container_id: str, command: list[str], *, stdin: bool, tty: bool) -> ExecSession:
        with self._lock:
            container = self._get(container_id)
            if container.state != "running":
                raise RuntimeFailure(f"Container {container_id} is not running")
            return _FakeExecSession(self, container, command, stdin=stdin, tty=tty)

    def attach(self, container_id: str, *, stdin: bool) -> AttachSession:
        with self._lock:
            container = self._get(container_id)
            if container.state != "running":
                raise RuntimeFailure(f"container {container_id} is not running")
            container.attachments += 1
            return _FakeAttachSession(self, container, stdin=stdin and container.stdin)

    # ----- internals

    def _new(self, pod: PodRef, container_name: str, image: str, *, name: str,
             command: tuple[str, ...] | None = None, args: tuple[str, ...] | None = None,
             env: dict[str, str]) -> _Container:
        fake_image = self.images.get(_normalized(image))
        if fake_image is None:
            raise ImageNotPresent(f"No such image: {image}")
        if any(c.docker_name == name for c in self._containers.values()):
            raise CreateFailed(f'Conflict. The container name "/{name}" is already in use')
        # The same rule as Docker's: `command` drops the image's cmd, `args` alone keeps its entrypoint.
        entrypoint = list(command) if command is not None else list(fake_image.entrypoint)
        cmd = list(args) if args is not None else ([] if command is not None else list(fake_image.cmd))
        if not entrypoint + cmd:
            raise CreateFailed("No command specified")
        self._seq += 1
        container = _Container(id=f"fake-{self._seq}", seq=self._seq, pod=pod, name=container_name,
                               docker_name=name, image=image, argv=entrypoint + cmd,
                               env={"PATH": DEFAULT_PATH} | env, working_dir="", mounts=(), network_namespace="")
        self._containers[container.id] = container
        return container

    def _start(self, container: _Container) -> None:
        container.state = "running"
        container.started = time.time()
        container.started_at = _rfc3339_nano(container.started)
        container.shell = Shell(env=container.env, cwd=container.working_dir, files=self._files(container),
                                 read_stdin=self._container_stdin(container),
                                 write=lambda stream, data: self._log(container, data))
        # A sandbox runs the pause program, whatever its image says.
        argv = ["/pause"] if container.name == SANDBOX_CONTAINER_NAME else container.argv
        try:
            code = container.shell.run(argv)
        except Blocked:
            return
        self._finish(container, code)

    @staticmethod
    def _container_stdin(container: _Container) -> Callable[[], bytes]:
        def read() -> bytes:
            if container.stdin:  # stdin is kept open and nothing attaches: a reader waits forever
                raise Blocked()
            return b""
        return read

    def _files(self, container: _Container) -> FileSystem:
        mounts = [(mount, self._stores.setdefault(mount.source, {})) for mount in container.mounts]
        return FileSystem(container.root, mounts)

    def _finish(self, container: _Container, code: int, *, reason: str = "") -> None:
        if container.state == "exited":
            return
        container.state = "exited"
        container.exit_code = code
        container.reason = reason or ("Completed" if code == 0 else "Error")
        container.finished_at = _rfc3339_nano(time.time())
        container.stopped.set()
        self._changed.notify_all()

    def _log(self, container: _Container, data: bytes) -> None:
        moment = time.time()
        container.log.extend((moment, line) for line in data.splitlines(keepends=True))
        self._changed.notify_all()

    def _get(self, container_id: str) -> _Container:
        container = self._containers.get(container_id)
        if container is None:
            raise ContainerNotFound(f"No such container: {container_id}")
        return container

    def _newest_first(self, node_name: str) -> list[_Container]:
        owned = [c for c in self._containers.values() if c.pod.node_name == node_name]
        return sorted(owned, key=lambda c: -c.seq)

    @staticmethod
    def _sandbox(container: _Container) -> Sandbox:
        running = container.state == "running"
        return Sandbox(id=container.id, pod=container.pod, ip=container.ip if running else "", running=running)

    def _status(self, container: _Container) -> ContainerStatus:
        exited = container.state == "exited"
        return ContainerStatus(
            id=container.id, pod=container.pod, name=container.name, image=container.image,
            image_id=self.image_id(container.image), state=container.state,
            exit_code=container.exit_code if exited else 0, reason=container.reason if exited else "",
            started_at=container.started_at, finished_at=container.finished_at if exited else "",
            restart_count=container.restart_count,
        )

    def _follow_log(self, container: _Container, index: int, *, follow: bool, timestamps: bool,
                    since: float | None, limit_bytes: int | None) -> Iterator[bytes]:
        remaining = limit_bytes
        while True:
            with self._lock:
                while follow and index >= len(container.log) and container.state == "running":
                    self._changed.wait(timeout=1.0)
                entries = container.log[index:]
                index += len(entries)
                ended = not follow or container.state != "running"
            for moment, line in entries:
                if since is not None and moment < since:
                    continue
                data = f"{_rfc3339_nano(moment)} ".encode() + line if timestamps else line
                if remaining is not None:
                    data, remaining = data[:remaining], remaining - len(data[:remaining])
                if data:
                    yield data
                if remaining == 0:
                    return
            if ended and index >= len(container.log):
                return


class _FakeAttachSession:
    """Follows the container's log from the moment of attaching, as stream 1, until it exits or is detached."""

    def __init__(self, runtime: FakeRuntime, container: _Container, *, stdin: bool) -> None:
        self._runtime, self._container, self._stdin = runtime, container, stdin
        self.tty = container.tty
        self._next = len(container.log)  # output from now on, not the log so far
        self._closed = False

    def output(self) -> Iterator[tuple[int, bytes]]:
        changed = self._runtime._changed
        while True:
            with changed:
                while (not self._closed and self._next >= len(self._container.log)
                       and self._container.state == "running"):
                    changed.wait(timeout=1.0)
                entries = self._container.log[self._next:]
                self._next += len(entries)
                over = self._closed or self._container.state != "running"
            for _moment, line in entries:
                yield 1, line
            if over and not entries:
                return

    def write(self, data: bytes) -> None:
        if self._stdin:
            with self._runtime._lock:
                self._container.attached_stdin.extend(data)

    def close_stdin(self) -> None:
        self._stdin = False

    def resize(self, width: int, height: int) -> None:
        pass

    def close(self) -> None:
        with self._runtime._changed:
            if not self._closed:
                self._closed = True
                self._container.attachments -= 1
            self._runtime._changed.notify_all()


class _FakeExecSession:
    """An exec run by `Shell` on a thread; stdin and output are queues."""

    def __init__(self, runtime: FakeRuntime, container: _Container, command: list[str], *,
                 stdin: bool, tty: bool) -> None:
        self._stdin: queue.Queue[bytes | None] = queue.Queue()
        if not stdin:
            self._stdin.put(None)
        self._output: queue.Queue[tuple[int, bytes] | None] = queue.Queue()
        self._tty = tty
        self._size = (80, 24)
        self._code = -1
        shell = Shell(env=dict(container.env), cwd=container.working_dir, files=runtime._files(container),
                       read_stdin=self._read_stdin, write=self._emit, tty_size=lambda: self._size)
        self._thread = threading.Thread(target=self._run, args=(shell, command, container), daemon=True,
                                        name=f"fake-exec-{container.id}")
        self._thread.start()

    def _run(self, shell: Shell, command: list[str], container: _Container) -> None:
        try:
            self._code = shell.run(command)
        except Blocked:
            container.stopped.wait()  # the process waits until its container ends
            self._code = KILLED_EXIT_CODE
        finally:
            self._output.put(None)

    def _read_stdin(self) -> bytes:
        chunk = self._stdin.get()
        if chunk is None:
            self._stdin.put(None)  # EOF stays EOF for every later read
            return b""
        return chunk

    def _emit(self, stream: int, data: bytes) -> None:
        if self._tty:  # a terminal merges the streams and turns \n into \r\n
            stream, data = 1, data.replace(b"\n", b"\r\n")
        self._output.put((stream, data))

    def output(self) -> Iterator[tuple[int, bytes]]:
        while (item := self._output.get()) is not None:
            yield item
        self._output.put(None)  # a second output() ends at once too

    def write(self, data: bytes) -> None:
        self._stdin.put(data)

    def close_stdin(self) -> None:
        self._stdin.put(None)

    def resize(self, width: int, height: int) -> None:
        self._size = (width, height)

    def exit_code(self) -> int:
        self._thread.join()
        return self._code

    def close(self) -> None:
        self.close_stdin()
