"""The container runtime seam: what the kubelet needs from a container engine, and nothing more.

Every container and sandbox the runtime creates is labelled with the node name,
the pod's namespace, name and uid, and the container's name, so a runtime shared
by several kubelets (several nodes on one Docker engine) lists only what a node
owns, and a restarted kubelet can rebuild its view from the engine alone.

Errors (the `RuntimeFailure` tree; after `->`, the waiting reason sync_pod reports):

    RuntimeFailure        any other failure of the engine              (-> RunContainerError, from a start)
    ├── ImageNotPresent   the engine has no such image
    ├── ImagePullFailed   the pull failed                              (-> ErrImagePull)
    ├── ContainerNotFound the id names nothing (already removed)
    └── CreateFailed      the engine refused the container             (-> CreateContainerError)

ErrImageNeverPull is no error: sync_pod asks `image_present` before it would pull.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

# Label keys on every container and sandbox.
LABEL_NODE = "io.tinykube.node"
LABEL_POD_NAMESPACE = "io.tinykube.pod.namespace"
LABEL_POD_NAME = "io.tinykube.pod.name"
LABEL_POD_UID = "io.tinykube.pod.uid"
LABEL_CONTAINER_NAME = "io.tinykube.container.name"  # "POD" for the sandbox (pause) container
LABEL_RESTART_COUNT = "io.tinykube.container.restart-count"
LABEL_OWNER = "io.tinykube.owner"  # free-form, e.g. a test's unique id, so a fixture can remove what it started
SANDBOX_CONTAINER_NAME = "POD"


class RuntimeFailure(Exception):
    pass


class ImageNotPresent(RuntimeFailure):
    pass


class ImagePullFailed(RuntimeFailure):
    pass


class ContainerNotFound(RuntimeFailure):
    pass


class CreateFailed(RuntimeFailure):
    pass


@dataclass(frozen=True)
class PodRef:
    namespace: str
    name: str
    uid: str
    node_name: str
    owner: str = ""  # copied into LABEL_OWNER when set


@dataclass(frozen=True)
class PortMapping:
    container_port: int
    host_port: int
    protocol: str = "TCP"
    host_ip: str = ""


@dataclass(frozen=True)
class SandboxSpec:
    pod: PodRef
    image: str  # the pause image
    network: str  # the Docker network the pod's address comes from
    hostname: str
    port_mappings: tuple[PortMapping, ...] = ()
    # emptyDir sources (from `volume_source`, so created before the sandbox) the sandbox keeps
    # mounted for the pod's life: Docker unmounts a medium "Memory" emptyDir's tmpfs, and its files
    # are lost, as soon as no container mounts it, e.g. between an init container and the app.
    volumes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sandbox:
    id: str
    pod: PodRef
    ip: str  # "" when not running
    running: bool
    pid: int = 0  # the pause process (host PID namespace), whose network namespace is the pod's; 0 when none


@dataclass(frozen=True)
class Mount:
    source: str  # what `volume_source` returned (host path or engine volume name)
    container_path: str
    read_only: bool = False
    sub_path: str = ""


@dataclass(frozen=True)
class ContainerSpec:
    pod: PodRef
    sandbox_id: str
    name: str
    image: str
    command: tuple[str, ...] | None = None  # replaces the image's entrypoint (Kubernetes `command`)
    args: tuple[str, ...] | None = None  # replaces the image's cmd (Kubernetes `args`)
    env: tuple[tuple[str, str], ...] = ()
    working_dir: str = ""
    mounts: tuple[Mount, ...] = ()
    memory_limit_bytes: int = 0  # 0: no limit
    cpu_limit_millis: int = 0  # 0: no limit
    cpu_request_millis: int = 0  # becomes CPU shares (1 cpu = 1024)
    restart_count: int = 0
    stdin: bool = False
    tty: bool = False


@dataclass(frozen=True)
class ContainerStatus:
    id: str
    pod: PodRef
    name: str
    image: str
    image_id: str
    state: str  # created | running | exited
    exit_code: int = 0
    reason: str = ""  # for exited: Completed, Error, OOMKilled
    started_at: str = ""  # RFC 3339 as precise as the engine reports it, "" if never started
    finished_at: str = ""
    restart_count: int = 0


@dataclass(frozen=True)
class ContainerStats:
    """One sample of a running container's resource usage, as the kubelet's Summary API reports it."""

    timestamp: str  # RFC 3339 with nanoseconds: when the engine took the sample
    cpu_usage_nano_cores: int  # average over the engine's sampling interval (Docker: about one second)
    cpu_usage_core_nano_seconds: int  # cumulative CPU time since the container started
    memory_usage_bytes: int
    memory_working_set_bytes: int  # usage minus inactive file cache: what the OOM killer looks at


@dataclass
class ExecResult:
    exit_code: int


class ExecSession(Protocol):
    """A running exec. Output is read with `output()`, stdin written with `write()`."""

    def output(self) -> Iterator[tuple[int, bytes]]:
        """(1 for stdout or 2 for stderr, data) until the process ends; with a tty everything is stream 1."""
        ...

    def write(self, data: bytes) -> None: ...

    def close_stdin(self) -> None: ...

    def resize(self, width: int, height: int) -> None: ...

    def exit_code(self) -> int:
        """Valid once output() is exhausted."""
        ...

    def close(self) -> None: ...


class AttachSession(Protocol):
    """An attachment to a running container's own process (`kubectl attach`), as `docker attach` is.

    Output is what the process writes from the moment of attaching, not its
    log so far. Closing the session detaches: the process goes on running.
    """

    tty: bool  # the container has a terminal: then output is all stream 1, and resize() applies

    def output(self) -> Iterator[tuple[int, bytes]]:
        """(1 for stdout or 2 for stderr, data) until the process ends or the session is closed."""
        ...

    def write(self, data: bytes) -> None:
        """To the process's stdin; dropped when the container keeps no stdin open or it was not attached."""
        ...

    def close_stdin(self) -> None: ...

    def resize(self, width: int, height: int) -> None: ...

    def close(self) -> None: ...


class ContainerRuntime(Protocol):
    """Everything is synchronous and thread-safe; every call either does what it says or raises RuntimeFailure."""

    def version(self) -> str:
        """`docker://20.10.24`, as nodeInfo.containerRuntimeVersion shows it."""
        ...

    # ----- images
    def image_present(self, image: str) -> bool: ...

    def pull_image(self, image: str) -> None:
        """Raises ImagePullFailed with the engine's message."""
        ...

    def image_id(self, image: str) -> str:
        """`docker-pullable://...` or `sha256:...` for containerStatuses[].imageID; "" when absent."""
        ...

    # ----- sandboxes (the pause container holding the pod's network namespace)
    def run_sandbox(self, spec: SandboxSpec) -> Sandbox:
        """Create and start the pause container on `spec.network`; its address is the pod IP."""
        ...

    def list_sandboxes(self, node_name: str, *, pod_uid: str | None = None) -> list[Sandbox]:
        """This node's sandboxes (of one pod when `pod_uid` is given), newest first."""
        ...

    def stop_sandbox(self, sandbox_id: str) -> None: ...

    def remove_sandbox(self, sandbox_id: str) -> None:
        """Idempotent."""
        ...

    # ----- containers (each joins its sandbox's network namespace)
    def create_container(self, spec: ContainerSpec) -> str:
        """Returns the container id; raises CreateFailed."""
        ...

    def start_container(self, container_id: str) -> None: ...

    def stop_container(self, container_id: str, grace_seconds: float) -> None:
        """SIGTERM, wait up to grace_seconds, then SIGKILL. Idempotent on a stopped container."""
        ...

    def kill_container(self, container_id: str, signal: int) -> None:
        """Send `signal` to the container's process, as a crash would (kubelet/faults.py); a process
        that dies of it exits with 128 + signal. PID 1 ignores signals it has no handler for, except
        SIGKILL. Raises ContainerNotFound; a failure on a container not running is RuntimeFailure."""
        ...

    def remove_container(self, container_id: str) -> None:
        """Idempotent."""
        ...

    def list_containers(self, node_name: str, *, pod_uid: str | None = None) -> list[ContainerStatus]:
        """The app containers (not sandboxes) this node owns, newest first."""
        ...

    def container_status(self, container_id: str) -> ContainerStatus:
        """Raises ContainerNotFound."""
        ...

    def container_stats(self, container_id: str) -> ContainerStats | None:
        """A fresh usage sample of a running container; None when it is not running.

        May block for the engine's sampling interval (a second on Docker): call it off
        the event loop, and for several containers at once. Raises ContainerNotFound.
        """
        ...

    # ----- volumes
    def volume_source(self, pod: PodRef, volume_name: str, *, medium: str = "") -> str:
        """Storage for an emptyDir, created on first use and shared by the pod's containers
        (medium "Memory" is a tmpfs). Returns the Mount.source for it."""
        ...

    def remove_pod_volumes(self, pod: PodRef) -> None:
        """Idempotent."""
        ...

    # ----- streams
    def logs(self, container_id: str, *, follow: bool = False, tail: int | None = None, timestamps: bool = False,
             since_seconds: int | None = None, limit_bytes: int | None = None) -> Iterator[bytes]: ...

    def exec(self, container_id: str, command: list[str], *, stdin: bool, tty: bool) -> ExecSession: ...

    def attach(self, container_id: str, *, stdin: bool) -> AttachSession:
        """Attach to the running container's process; its stdin only when asked and the container was
        created with `stdin` (kept open). Whether there is a terminal is the container's, not the caller's,
        choice: it was made at create. Raises ContainerNotFound; RuntimeFailure when it is not running."""
        ...
