"""`ContainerRuntime` on the Docker Engine, through the Docker SDK.

A pod is a sandbox plus its app containers:

    user-defined bridge network (created on first use, labelled io.tinykube.network=1)
      └── sandbox: the pause container, tk_<node>_<ns>_<pod>_POD_<uid8>
            │  owns the pod's network namespace: its address is the pod IP,
            │  hostPorts are published on it
            ├── app container  tk_<node>_<ns>_<pod>_<name>_<restarts>_<uid8>
            └── app container     (network_mode "container:<sandbox id>")

emptyDir volumes are named Docker volumes `tk_<node>_<uid8>_<volume>` labelled
with the pod; hostPath volumes are host directories bound into the containers.

This module is the runtime's one error boundary: every docker.errors (and
connection) exception is translated by `engine_errors` into the protocol's
RuntimeFailure tree, and none escapes.
"""

from __future__ import annotations

import threading

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import docker
import docker.errors
import docker.utils
import requests.exceptions

from kubelet.runtime import docker_specs as specs
from kubelet.runtime import docker_stats
from kubelet.runtime.docker_attach import DockerAttachSession
from kubelet.runtime.docker_exec import DockerExecSession
from kubelet.runtime.protocol import (
    LABEL_CONTAINER_NAME,
    LABEL_OWNER,
    LABEL_RESTART_COUNT,
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

LABEL_NETWORK = "io.tinykube.network"
SANDBOX_STOP_GRACE_SECONDS = 2  # the pause process exits at once on SIGTERM
DEFAULT_PULL_TIMEOUT_SECONDS = 300.0
ALREADY_BEING_REMOVED = "is already in progress"


@contextmanager
def engine_errors(*, not_found: type[RuntimeFailure] = ContainerNotFound,
                  image_not_found: type[RuntimeFailure] = ImageNotPresent,
                  failure: type[RuntimeFailure] = RuntimeFailure) -> Iterator[None]:
    """Translate engine errors raised inside the block into the protocol's errors."""
    try:
        yield
    except docker.errors.ImageNotFound as error:
        raise image_not_found(_message(error)) from error
    except docker.errors.NotFound as error:
        raise not_found(_message(error)) from error
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as error:
        raise failure(_message(error)) from error


def _message(error: Exception) -> str:
    return getattr(error, "explanation", None) or str(error)


class DockerRuntime:
    def __init__(self, client: docker.DockerClient | None = None, *,
                 pull_timeout_seconds: float = DEFAULT_PULL_TIMEOUT_SECONDS, owner: str = "") -> None:
        with engine_errors():
            self._client = client if client is not None else docker.from_env()
        self._api = self._client.api
        # With an owner, this runtime sees only the containers stamped with it, so two clusters on
        # one engine (a demo and a test run, say) never take each other's node-1 pods for orphans.
        self._owner_filter = [f"{LABEL_OWNER}={owner}"] if owner else []
        self._pull_timeout_seconds = pull_timeout_seconds
        self._network_lock = threading.Lock()

    def version(self) -> str:
        with engine_errors():
            return f"docker://{self._api.version()['Version']}"

    # ----- images

    def image_present(self, image: str) -> bool:
        return self._inspect_image(image) is not None

    def pull_image(self, image: str) -> None:
        """Pull, giving up after the pull timeout.

        The deadline is checked between the engine's progress messages; a pull that
        sends nothing at all is cut by the client's socket timeout instead.
        """
        repository, tag = docker.utils.parse_repository_tag(image)
        deadline = time.monotonic() + self._pull_timeout_seconds
        with engine_errors(not_found=ImagePullFailed, image_not_found=ImagePullFailed, failure=ImagePullFailed):
            progress = self._api.pull(repository, tag=tag or "latest", stream=True, decode=True)
            try:
                for message in progress:
                    if "error" in message:
                        raise ImagePullFailed(message["error"])
                    if time.monotonic() > deadline:
                        raise ImagePullFailed(f"pulling {image}: timed out after {self._pull_timeout_seconds:g}s")
            finally:
                progress.close()  # drops the connection, which cancels an unfinished pull in the engine

    def image_id(self, image: str) -> str:
        inspect = self._inspect_image(image)
        return specs.image_reference_id(inspect) if inspect is not None else ""

    def _inspect_image(self, image: str) -> dict[str, Any] | None:
        with engine_errors():
            try:
                return self._api.inspect_image(image)
            except docker.errors.NotFound:
                return None

    # ----- sandboxes

    def run_sandbox(self, spec: SandboxSpec) -> Sandbox:
        self._ensure_network(spec.network)
        exposed, bindings = specs.port_bindings(spec.port_mappings)
        labels = specs.pod_labels(spec.pod) | {LABEL_CONTAINER_NAME: SANDBOX_CONTAINER_NAME}
        with engine_errors(failure=CreateFailed):
            created = self._api.create_container(
                spec.image,
                name=specs.sandbox_name(spec.pod),
                hostname=spec.hostname,
                labels=labels,
                ports=exposed or None,
                host_config=self._api.create_host_config(
                    network_mode=spec.network, port_bindings=bindings or None,
                    binds=[specs.sandbox_volume_bind(source) for source in spec.volumes] or None),
                networking_config=self._api.create_networking_config(
                    {spec.network: self._api.create_endpoint_config()}),
            )
        try:
            with engine_errors(failure=CreateFailed):
                self._api.start(created["Id"])
        except RuntimeFailure:
            # A sandbox that never started would hold the pod's name and block the retry.
            self.remove_sandbox(created["Id"])
            raise
        return self._sandbox(created["Id"])

    def _ensure_network(self, network: str) -> None:
        """Create the pods' network once. The engine does not refuse a second network of the same
        name, so when kubelets race (or sandboxes of one kubelet do) every one of them keeps the
        oldest network of that name and removes the rest: all converge on the same one."""
        with self._network_lock, engine_errors(failure=CreateFailed):
            if self._api.networks(names=[network]):
                self._remove_duplicate_networks(network)
                return
            self._api.create_network(network, driver="bridge", labels={LABEL_NETWORK: "1"}, check_duplicate=True)
            self._remove_duplicate_networks(network)

    def _remove_duplicate_networks(self, network: str) -> None:
        same_name = [n for n in self._api.networks(names=[network]) if n["Name"] == network]
        if len(same_name) < 2:
            return
        same_name.sort(key=lambda n: (n.get("Created", ""), n["Id"]))
        for duplicate in same_name[1:]:
            try:
                self._api.remove_network(duplicate["Id"])
            except docker.errors.NotFound:
                pass  # another kubelet removed it first

    def list_sandboxes(self, node_name: str, *, pod_uid: str | None = None) -> list[Sandbox]:
        filters = specs.label_filters(node_name, pod_uid=pod_uid, container_name=SANDBOX_CONTAINER_NAME)
        return [sandbox for sandbox_id in self._ids(filters)
                if (sandbox := self._sandbox_if_present(sandbox_id)) is not None]

    def _sandbox_if_present(self, sandbox_id: str) -> Sandbox | None:
        try:
            return self._sandbox(sandbox_id)
        except ContainerNotFound:  # removed between the list and the inspect
            return None

    def _sandbox(self, sandbox_id: str) -> Sandbox:
        with engine_errors():
            inspect = self._api.inspect_container(sandbox_id)
        running = bool(inspect["State"]["Running"])
        networks = inspect["NetworkSettings"].get("Networks") or {}
        ip = next((endpoint.get("IPAddress", "") for endpoint in networks.values()), "")
        return Sandbox(id=inspect["Id"], pod=specs.pod_from_labels(inspect["Config"].get("Labels") or {}),
                       ip=ip if running else "", running=running,
                       pid=int(inspect["State"].get("Pid") or 0) if running else 0)

    def stop_sandbox(self, sandbox_id: str) -> None:
        self.stop_container(sandbox_id, SANDBOX_STOP_GRACE_SECONDS)

    def remove_sandbox(self, sandbox_id: str) -> None:
        self.remove_container(sandbox_id)

    # ----- containers

    def create_container(self, spec: ContainerSpec) -> str:
        self._require_sandbox(spec.sandbox_id)
        entrypoint, cmd = specs.command_and_args(spec)
        labels = specs.pod_labels(spec.pod) | {
            LABEL_CONTAINER_NAME: spec.name,
            LABEL_RESTART_COUNT: str(spec.restart_count),
        }
        limits: dict[str, Any] = {"cpu_shares": specs.cpu_shares(spec.cpu_request_millis)}
        if spec.memory_limit_bytes:
            # No swap beyond the limit, as the kubelet does: the limit is what OOM-kills.
            limits |= {"mem_limit": spec.memory_limit_bytes, "memswap_limit": spec.memory_limit_bytes}
        if spec.cpu_limit_millis:
            limits["nano_cpus"] = spec.cpu_limit_millis * 1_000_000
        binds = [specs.bind(mount, self._volume_mountpoint(mount)) for mount in spec.mounts]
        with engine_errors(failure=CreateFailed, not_found=CreateFailed):
            created = self._api.create_container(
                spec.image,
                name=specs.container_name(spec),
                entrypoint=entrypoint,
                command=cmd,
                environment=[f"{name}={value}" for name, value in spec.env],
                working_dir=spec.working_dir or None,
                labels=labels,
                # detach=True, or docker-py also sets StdinOnce for a container with stdin open, and the
                # first attach to end would close its stdin; Kubernetes' stdinOnce defaults to false.
                detach=True,
                stdin_open=spec.stdin,
                tty=spec.tty,
                host_config=self._api.create_host_config(
                    network_mode=f"container:{spec.sandbox_id}",
                    binds=binds or None,
                    **limits,
                ),
            )
        return created["Id"]

    def _require_sandbox(self, sandbox_id: str) -> None:
        try:
            with engine_errors():
                self._api.inspect_container(sandbox_id)
        except ContainerNotFound as error:
            raise CreateFailed(f"sandbox {sandbox_id} not found") from error

    def _volume_mountpoint(self, mount: Mount) -> str:
        """The host directory of an engine volume, needed only to bind a subPath of it."""
        if not mount.sub_path or mount.source.startswith("/"):
            return ""
        with engine_errors(failure=CreateFailed, not_found=CreateFailed):
            return self._api.inspect_volume(mount.source)["Mountpoint"]

    def start_container(self, container_id: str) -> None:
        with engine_errors():
            self._api.start(container_id)

    def stop_container(self, container_id: str, grace_seconds: float) -> None:
        # The engine sends the image's stop signal (SIGTERM), waits `t` seconds, then SIGKILLs;
        # on a stopped container it answers 304 and does nothing.
        with engine_errors():
            self._api.stop(container_id, timeout=max(0, math.ceil(grace_seconds)))

    def kill_container(self, container_id: str, signal: int) -> None:
        with engine_errors():
            self._api.kill(container_id, signal=signal)

    def remove_container(self, container_id: str) -> None:
        with engine_errors():
            try:
                self._api.remove_container(container_id, force=True, v=True)
            except docker.errors.NotFound:
                pass  # already removed
            except docker.errors.APIError as error:
                if ALREADY_BEING_REMOVED not in _message(error):
                    raise

    def list_containers(self, node_name: str, *, pod_uid: str | None = None) -> list[ContainerStatus]:
        statuses = []
        for container_id in self._ids(specs.label_filters(node_name, pod_uid=pod_uid), exclude_sandboxes=True):
            try:
                statuses.append(self.container_status(container_id))
            except ContainerNotFound:  # removed between the list and the inspect
                continue
        return statuses

    def _ids(self, label_filters: list[str], *, exclude_sandboxes: bool = False) -> list[str]:
        """Ids of the labelled containers, newest first (the engine sorts by creation time)."""
        with engine_errors():
            summaries = self._api.containers(all=True, filters={"label": label_filters + self._owner_filter})
        return [summary["Id"] for summary in summaries
                if not (exclude_sandboxes
                        and (summary.get("Labels") or {}).get(LABEL_CONTAINER_NAME) == SANDBOX_CONTAINER_NAME)]

    def container_status(self, container_id: str) -> ContainerStatus:
        with engine_errors():
            inspect = self._api.inspect_container(container_id)
        image = self._inspect_image(inspect["Image"])
        image_id = specs.image_reference_id(image) if image is not None else inspect["Image"]
        return specs.container_status(inspect, image_id)

    def container_stats(self, container_id: str) -> ContainerStats | None:
        """The engine's one-shot sample pair (see docker_stats); blocks about a second while it takes them."""
        with engine_errors():
            if not self._api.inspect_container(container_id)["State"]["Running"]:
                return None  # the engine would wait for samples a stopped container never gives
            raw = self._api.stats(container_id, stream=False)
        return docker_stats.container_stats(raw)

    # ----- volumes

    def volume_source(self, pod: PodRef, volume_name: str, *, medium: str = "") -> str:
        name = specs.volume_name(pod, volume_name)
        driver_opts = {"type": "tmpfs", "device": "tmpfs"} if medium == "Memory" else None
        with engine_errors(failure=CreateFailed):
            # Creating an existing local volume returns it: this is idempotent.
            self._api.create_volume(name, driver="local", driver_opts=driver_opts,
                                    labels=specs.pod_labels(pod))
        return name

    def remove_pod_volumes(self, pod: PodRef) -> None:
        label_filters = specs.label_filters(pod.node_name, pod_uid=pod.uid)
        with engine_errors():  # a volume still mounted by a container is a RuntimeFailure: remove those first
            volumes = self._api.volumes(filters={"label": label_filters}).get("Volumes") or []
            for volume in volumes:
                try:
                    self._api.remove_volume(volume["Name"])
                except docker.errors.NotFound:
                    pass  # already removed

    # ----- streams

    def logs(self, container_id: str, *, follow: bool = False, tail: int | None = None, timestamps: bool = False,
             since_seconds: int | None = None, limit_bytes: int | None = None) -> Iterator[bytes]:
        """The container's stdout and stderr, interleaved as the engine stored them.

        An unknown container raises ContainerNotFound here, not at the first read.
        """
        with engine_errors():
            chunks = self._api.logs(
                container_id, stdout=True, stderr=True, stream=True, follow=follow,
                timestamps=timestamps, tail="all" if tail is None else tail,
                since=int(time.time()) - since_seconds if since_seconds is not None else None,
            )
        return self._limited(chunks, limit_bytes)

    @staticmethod
    def _limited(chunks: Iterator[bytes], limit_bytes: int | None) -> Iterator[bytes]:
        remaining = limit_bytes
        try:
            with engine_errors():
                for chunk in chunks:
                    if remaining is not None:
                        chunk = chunk[:remaining]
                        remaining -= len(chunk)
                    if chunk:
                        yield chunk
                    if remaining == 0:
                        return
        finally:
            chunks.close()  # a followed stream holds a connection open until closed

    def exec(self, container_id: str, command: list[str], *, stdin: bool, tty: bool) -> ExecSession:
        with engine_errors():
            exec_id = self._api.exec_create(container_id, command, stdin=stdin, tty=tty,
                                            stdout=True, stderr=True)["Id"]
            sock = self._api.exec_start(exec_id, socket=True, tty=tty)
        return DockerExecSession(self._api, exec_id, sock, tty=tty, translate=engine_errors)

    def attach(self, container_id: str, *, stdin: bool) -> AttachSession:
        with engine_errors():
            config = self._api.inspect_container(container_id)
            if not config["State"]["Running"]:
                raise RuntimeFailure(f"container {container_id[:12]} is not running")
            # Only output from now on (logs=0), as kubectl attach shows; stdin only where it is kept open.
            with_stdin = stdin and bool(config["Config"].get("OpenStdin"))
            sock = self._api.attach_socket(container_id, params={
                "stdin": int(with_stdin), "stdout": 1, "stderr": 1, "stream": 1, "logs": 0})
        return DockerAttachSession(self._api, container_id, sock, tty=bool(config["Config"].get("Tty")),
                                   translate=engine_errors)
