"""The pod syncer and the PodNetwork seam: the network is set up before any app container, a failed
set-up holds the containers back, and Service variables join the container's own as Kubernetes orders them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelet.config import KubeletConfig
from kubelet.pod_sync import PodSyncer
from kubelet.runtime.fake import FakeImage, FakeRuntime
from kubelet.runtime.protocol import ContainerSpec, Sandbox
from kubelet.services.pod_network import PodNetworkFailed
from objects.pod import Pod, PodStatus
from tests.support.images import BUSYBOX_IMAGE

PAUSE = "tinykube/pause:local"


class RecordingRuntime(FakeRuntime):
    def __init__(self) -> None:
        super().__init__(images=[FakeImage(PAUSE, entrypoint=("/pause",), cmd=()), FakeImage(BUSYBOX_IMAGE)])
        self.created: list[ContainerSpec] = []

    def create_container(self, spec: ContainerSpec) -> str:
        self.created.append(spec)
        return super().create_container(spec)


class RecordingNetwork:
    def __init__(self, runtime: RecordingRuntime, *, fail: Exception | None = None) -> None:
        self.runtime, self.fail = runtime, fail
        self.set_up_calls: list[tuple[str, int]] = []  # (sandbox id, containers created before it)
        self.torn_down: list[str] = []

    def set_up(self, pod: Pod, sandbox: Sandbox) -> None:
        self.set_up_calls.append((sandbox.id, len(self.runtime.created)))
        if self.fail is not None:
            raise self.fail

    def tear_down(self, pod_uid: str) -> None:
        self.torn_down.append(pod_uid)

    def env(self, pod: Pod) -> list[tuple[str, str]]:
        return [("WEB_SERVICE_HOST", "10.96.0.5"), ("MODE", "from-service")]


class Reporter:
    def __init__(self) -> None:
        self.events: list[str] = []

    def pod_status_changed(self, pod: Pod, status: PodStatus) -> bool:
        return True

    def record_event(self, pod: Pod, *, type_: str, reason: str, message: str, field_path: str = "") -> None:
        self.events.append(reason)

    def pod_terminated(self, pod: Pod, *, confirm_deletion: bool) -> None:
        pass

    def resync_pod(self, uid: str, *, cause: int | None = None) -> None:
        pass


def pod() -> Pod:
    return Pod.model_validate({
        "metadata": {"name": "p", "namespace": "default", "uid": "u-1"},
        "spec": {"nodeName": "n", "containers": [{
            "name": "app", "image": BUSYBOX_IMAGE, "command": ["sleep", "60"],
            "env": [{"name": "MODE", "value": "own"}, {"name": "TARGET", "value": "$(WEB_SERVICE_HOST):80"}],
        }]},
    })


def syncer(runtime: RecordingRuntime, network: RecordingNetwork, reporter: Reporter) -> PodSyncer:
    config = KubeletConfig(node_name="n", kubeconfig=Path("/dev/null"), pod_infra_image=PAUSE)
    return PodSyncer(runtime, config, reporter, pod_network=network)


def test_the_network_is_set_up_before_the_app_containers_and_service_variables_follow_the_containers_own() -> None:
    runtime = RecordingRuntime()
    network = RecordingNetwork(runtime)
    pod_syncer = syncer(runtime, network, Reporter())
    pod_syncer.sync_pod(pod())
    assert network.set_up_calls[0][1] == 0
    assert runtime.created[0].env == (("MODE", "own"), ("TARGET", "10.96.0.5:80"),
                                      ("WEB_SERVICE_HOST", "10.96.0.5"))
    pod_syncer.remove_pod(runtime.created[0].pod)
    assert network.torn_down == ["u-1"]


@pytest.mark.parametrize("failure", [PodNetworkFailed("no namespace today"),
                                     PermissionError(13, "Permission denied")])  # a fault, not a refusal
def test_a_failed_network_set_up_holds_the_containers_back_with_failed_create_pod_sandbox(failure) -> None:
    runtime = RecordingRuntime()
    reporter = Reporter()
    network = RecordingNetwork(runtime, fail=failure)
    syncer(runtime, network, reporter).sync_pod(pod())
    assert runtime.created == []
    assert "FailedCreatePodSandBox" in reporter.events
