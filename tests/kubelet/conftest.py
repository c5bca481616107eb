"""Fixtures for the runtime contract suite: one `runtime` per kind (fake, docker) and a
`harness` with the few steps that differ between them.

Every docker object a test creates carries LABEL_OWNER=<the test's id> and is removed
after the test, pass or fail; the session's network is removed at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import docker
import docker.errors
import pytest

from kubelet.runtime.docker_runtime import DockerRuntime
from kubelet.runtime.fake import FakeImage, FakeRuntime
from kubelet.runtime.protocol import (
    LABEL_OWNER,
    ContainerRuntime,
    ContainerSpec,
    ContainerStatus,
    Mount,
    PodRef,
    Sandbox,
    SandboxSpec,
)
from tests.support.cluster import wait_for
from tests.support.images import BUSYBOX_IMAGE, ENTRYPOINT_IMAGE, PAUSE_IMAGE, ensure_test_images

EXIT_TIMEOUT_SECONDS = 30.0  # a loaded 2-core machine can take seconds to start a container


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        pytest.skip(f"no Docker engine: {error}")
    ensure_test_images()
    yield client
    client.close()


@pytest.fixture(scope="session")
def test_network(docker_client: docker.DockerClient) -> Iterator[str]:
    """The network the docker runtime creates on the session's first sandbox."""
    name = f"tk-test-{uuid.uuid4().hex[:8]}"
    yield name
    try:
        docker_client.networks.get(name).remove()
    except docker.errors.NotFound:
        pass


@pytest.fixture
def owner() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=["fake", "docker"])
def runtime(request: pytest.FixtureRequest, owner: str) -> Iterator[ContainerRuntime]:
    if request.param == "fake":
        yield FakeRuntime(images=[
            FakeImage(PAUSE_IMAGE, entrypoint=("/pause",), cmd=()),
            FakeImage(BUSYBOX_IMAGE),
            FakeImage(ENTRYPOINT_IMAGE, entrypoint=("echo", "entrypoint"), cmd=("default", "cmd")),
        ])
        return
    client: docker.DockerClient = request.getfixturevalue("docker_client")
    try:
        yield DockerRuntime(client)
    finally:
        _remove_owned(client, owner)


def _remove_owned(client: docker.DockerClient, owner: str) -> None:
    selector = {"label": f"{LABEL_OWNER}={owner}"}
    for container in client.containers.list(all=True, filters=selector):
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
    for volume in client.volumes.list(filters=selector):
        volume.remove(force=True)


@dataclass
class Harness:
    """The steps a contract test takes, named; the few that differ by runtime branch on `kind`."""

    runtime: ContainerRuntime
    kind: str
    owner: str
    network: str
    docker_client: docker.DockerClient | None = None

    def node(self, name: str = "a") -> str:
        """A node name no other test (or concurrent test session) uses."""
        return f"node-{name}-{self.owner}"

    def pod(self, name: str = "web", *, node: str = "a") -> PodRef:
        return PodRef(namespace="default", name=name, uid=uuid.uuid4().hex, node_name=self.node(node),
                      owner=self.owner)

    def sandbox(self, pod: PodRef, **kwargs) -> Sandbox:
        return self.runtime.run_sandbox(SandboxSpec(pod=pod, image=PAUSE_IMAGE, network=self.network,
                                                    hostname=pod.name, **kwargs))

    def create(self, pod: PodRef, sandbox: Sandbox, name: str = "app", *, image: str = BUSYBOX_IMAGE,
               **kwargs) -> str:
        for key in ("command", "args"):
            if kwargs.get(key) is not None:
                kwargs[key] = tuple(kwargs[key])
        return self.runtime.create_container(
            ContainerSpec(pod=pod, sandbox_id=sandbox.id, name=name, image=image, **kwargs))

    def run(self, pod: PodRef, sandbox: Sandbox, name: str = "app", **kwargs) -> str:
        container_id = self.create(pod, sandbox, name, **kwargs)
        self.runtime.start_container(container_id)
        return container_id

    def run_to_exit(self, pod: PodRef, sandbox: Sandbox, name: str = "app", **kwargs) -> ContainerStatus:
        return self.wait_exited(self.run(pod, sandbox, name, **kwargs))

    def wait_exited(self, container_id: str, timeout: float = EXIT_TIMEOUT_SECONDS) -> ContainerStatus:
        return wait_for(lambda: (status := self.runtime.container_status(container_id)).state == "exited" and status,
                        timeout=timeout, message=f"container {container_id[:12]} to exit")

    def wait_output(self, container_id: str, text: str, timeout: float = EXIT_TIMEOUT_SECONDS) -> bytes:
        return wait_for(lambda: text.encode() in (output := self.output(container_id)) and output,
                        timeout=timeout, message=f"{text!r} in the logs of {container_id[:12]}")

    def output(self, container_id: str, **kwargs) -> bytes:
        return b"".join(self.runtime.logs(container_id, **kwargs))

    def volume(self, pod: PodRef, name: str = "data", **mount) -> Mount:
        return Mount(source=self.runtime.volume_source(pod, name), **mount)

    def simulate_oom(self, container_id: str) -> None:
        """Docker's kernel OOM-kills the process by itself; the fake is told to."""
        if isinstance(self.runtime, FakeRuntime):
            self.runtime.exit(container_id, 137, oom=True)

    def simulate_output(self, container_id: str, data: bytes) -> None:
        """A Docker container's process writes by itself; the fake's is told what it wrote."""
        if isinstance(self.runtime, FakeRuntime):
            self.runtime.append_log(container_id, data)

    def simulate_cpu(self, container_id: str, nano_cores: int) -> None:
        """Docker's kernel accounts a busy process's CPU by itself; the fake is told to."""
        if isinstance(self.runtime, FakeRuntime):
            self.runtime.set_usage(container_id, cpu_nano_cores=nano_cores)

    def network_namespace(self, container_id: str) -> str:
        """The id of the container whose network namespace `container_id` uses."""
        if isinstance(self.runtime, FakeRuntime):
            return self.runtime.network_namespace(container_id)
        mode = self.docker_client.api.inspect_container(container_id)["HostConfig"]["NetworkMode"]
        return mode.removeprefix("container:")


@pytest.fixture
def harness(request: pytest.FixtureRequest, runtime: ContainerRuntime, owner: str) -> Harness:
    if isinstance(runtime, FakeRuntime):
        return Harness(runtime=runtime, kind="fake", owner=owner, network="tk-test-fake")
    return Harness(runtime=runtime, kind="docker", owner=owner, network=request.getfixturevalue("test_network"),
                   docker_client=request.getfixturevalue("docker_client"))
