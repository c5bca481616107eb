"""Pure translations between the runtime's specs and Docker's JSON: names, labels,
create arguments, and container statuses read back from `docker inspect`.

Nothing here talks to the engine, so each rule can be read (and tested) on its own;
`docker_runtime` calls these and does the I/O.
"""

from __future__ import annotations

import posixpath
from typing import Any

from kubelet.runtime.protocol import (
    LABEL_CONTAINER_NAME,
    LABEL_NODE,
    LABEL_OWNER,
    LABEL_POD_NAME,
    LABEL_POD_NAMESPACE,
    LABEL_POD_UID,
    LABEL_RESTART_COUNT,
    SANDBOX_CONTAINER_NAME,
    ContainerSpec,
    ContainerStatus,
    CreateFailed,
    Mount,
    PodRef,
    PortMapping,
)

NAME_PREFIX = "tk"
MIN_CPU_SHARES = 2  # what the kubelet gives a container that requests no CPU
CPU_SHARES_PER_CPU = 1024
DOCKER_ZERO_TIME_PREFIX = "0001-01-01"
SANDBOX_VOLUME_DIR = "/volumes"  # where the pause container holds the pod's emptyDirs


# ----- names and labels

def sandbox_name(pod: PodRef) -> str:
    """`tk_<node>_<ns>_<pod>_POD_<uid[:8]>`: one per pod incarnation (the uid changes when a pod is recreated)."""
    return "_".join([NAME_PREFIX, pod.node_name, pod.namespace, pod.name, SANDBOX_CONTAINER_NAME, pod.uid[:8]])


def container_name(spec: ContainerSpec) -> str:
    """`tk_<node>_<ns>_<pod>_<container>_<restart count>_<uid[:8]>`: each restart is a new container."""
    pod = spec.pod
    return "_".join([NAME_PREFIX, pod.node_name, pod.namespace, pod.name, spec.name,
                     str(spec.restart_count), pod.uid[:8]])


def volume_name(pod: PodRef, volume: str) -> str:
    return "_".join([NAME_PREFIX, pod.node_name, pod.uid[:8], volume])


def pod_labels(pod: PodRef) -> dict[str, str]:
    labels = {
        LABEL_NODE: pod.node_name,
        LABEL_POD_NAMESPACE: pod.namespace,
        LABEL_POD_NAME: pod.name,
        LABEL_POD_UID: pod.uid,
    }
    if pod.owner:
        labels[LABEL_OWNER] = pod.owner
    return labels


def pod_from_labels(labels: dict[str, str]) -> PodRef:
    return PodRef(
        namespace=labels.get(LABEL_POD_NAMESPACE, ""),
        name=labels.get(LABEL_POD_NAME, ""),
        uid=labels.get(LABEL_POD_UID, ""),
        node_name=labels.get(LABEL_NODE, ""),
        owner=labels.get(LABEL_OWNER, ""),
    )


def label_filters(node_name: str, *, pod_uid: str | None = None, container_name: str | None = None) -> list[str]:
    """Docker `label=` filters selecting what one node (optionally one pod) owns."""
    filters = [f"{LABEL_NODE}={node_name}"]
    if pod_uid is not None:
        filters.append(f"{LABEL_POD_UID}={pod_uid}")
    if container_name is not None:
        filters.append(f"{LABEL_CONTAINER_NAME}={container_name}")
    return filters


# ----- create arguments

def port_bindings(mappings: tuple[PortMapping, ...]) -> tuple[list[tuple[int, str]], dict[str, list[tuple[str, int]]]]:
    """The exposed ports and the hostPort bindings of a sandbox, as docker-py takes them."""
    exposed: list[tuple[int, str]] = []
    bindings: dict[str, list[tuple[str, int]]] = {}
    for mapping in mappings:
        protocol = mapping.protocol.lower()
        exposed.append((mapping.container_port, protocol))
        if mapping.host_port:
            bindings.setdefault(f"{mapping.container_port}/{protocol}", []).append(
                (mapping.host_ip, mapping.host_port))
    return exposed, bindings


def cpu_shares(request_millis: int) -> int:
    return max(MIN_CPU_SHARES, request_millis * CPU_SHARES_PER_CPU // 1000)


def bind(mount: Mount, volume_mountpoint: str = "") -> str:
    """One mount in Docker's legacy `binds` form, `<source>:<target>:<rw|ro>`.

    A source starting with "/" is a host path; anything else is an engine volume.
    A subPath of a host path binds `<source>/<sub_path>`. Docker 20.10 cannot mount
    a subdirectory of a volume, so a volume with a subPath is bound through its host
    `volume_mountpoint` instead. The legacy form (unlike `Mounts`) makes the daemon
    create a missing source directory, as the kubelet does for subPaths.
    A tmpfs-backed volume (emptyDir medium Memory) is only mounted at its mountpoint
    while some container mounts the volume itself: the sandbox does (SandboxSpec.volumes),
    so a subPath of it binds into the tmpfs rather than the directory underneath.
    """
    mode = "ro" if mount.read_only else "rw"
    sub_path = checked_sub_path(mount.sub_path)
    if mount.source.startswith("/"):
        source = posixpath.join(mount.source, sub_path) if sub_path else mount.source
    elif sub_path:
        source = posixpath.join(volume_mountpoint, sub_path)
    else:
        source = mount.source
    return f"{source}:{mount.container_path}:{mode}"


def sandbox_volume_bind(source: str) -> str:
    """How the sandbox holds an emptyDir: mounted read-only, for as long as the pod lives."""
    return f"{source}:{SANDBOX_VOLUME_DIR}/{source}:ro"


def checked_sub_path(sub_path: str) -> str:
    normalized = posixpath.normpath(sub_path) if sub_path else ""
    if normalized.startswith(("/", "..")):
        raise CreateFailed(f"subPath {sub_path!r} must be a relative path inside the volume")
    return "" if normalized == "." else normalized


def command_and_args(spec: ContainerSpec) -> tuple[list[str] | None, list[str] | None]:
    """Kubernetes `command` is Docker's entrypoint and `args` its cmd.

    With `command` alone the image's cmd is dropped (Docker does not merge the image's
    cmd once an entrypoint is given); with `args` alone the image's entrypoint stays.
    """
    entrypoint = list(spec.command) if spec.command is not None else None
    cmd = list(spec.args) if spec.args is not None else None
    if entrypoint is not None and cmd is None:
        cmd = []
    return entrypoint, cmd


# ----- statuses

def engine_time(docker_time: str) -> str:
    """Docker's `2024-05-01T12:00:00.123456789Z` as it is (the kubelet times backoff from it and
    rounds to seconds only for the API); "" for Docker's zero time."""
    if not docker_time or docker_time.startswith(DOCKER_ZERO_TIME_PREFIX):
        return ""
    return docker_time


def state_of(docker_status: str) -> str:
    """Docker's created|running|paused|restarting|removing|exited|dead as created|running|exited."""
    if docker_status == "created":
        return "created"
    if docker_status in ("running", "paused", "restarting"):
        return "running"
    return "exited"


def exit_reason(state: dict[str, Any]) -> str:
    if state.get("OOMKilled"):
        return "OOMKilled"
    return "Completed" if state.get("ExitCode", 0) == 0 else "Error"


def container_status(inspect: dict[str, Any], image_id: str) -> ContainerStatus:
    """A ContainerStatus from `docker inspect`; `image_id` is resolved by the caller."""
    labels = inspect["Config"].get("Labels") or {}
    docker_state = inspect["State"]
    state = state_of(docker_state["Status"])
    return ContainerStatus(
        id=inspect["Id"],
        pod=pod_from_labels(labels),
        name=labels.get(LABEL_CONTAINER_NAME, ""),
        image=inspect["Config"]["Image"],
        image_id=image_id,
        state=state,
        exit_code=docker_state.get("ExitCode", 0) if state == "exited" else 0,
        reason=exit_reason(docker_state) if state == "exited" else "",
        started_at=engine_time(docker_state.get("StartedAt", "")),
        finished_at=engine_time(docker_state.get("FinishedAt", "")) if state == "exited" else "",
        restart_count=int(labels.get(LABEL_RESTART_COUNT, "0")),
    )


def image_reference_id(image_inspect: dict[str, Any]) -> str:
    """`docker-pullable://<repo>@<digest>` for an image that came from a registry, else its `sha256:` id."""
    digests = image_inspect.get("RepoDigests") or []
    if digests:
        return f"docker-pullable://{digests[0]}"
    return image_inspect["Id"]
