"""The kubelet's fault loop in-process, on the fake runtime, against a real master: how a fault ends when
the master is away, a crash cannot be carried out, a fault comes too late, or partitions overlap.

What each fault does to a real node on the real Docker engine is tests/kubelet/test_faults.py.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import dataclasses

import httpx
import pytest

from apiclient import ApiClient, ApiStatusError, Unreachable, load_kubeconfig
from apiclient.events import EventRecorder
from kubelet.config import DEFAULT_PAUSE_IMAGE, KubeletConfig
from kubelet.faults import FaultLoop, Partition
from kubelet.node_status import NodeStatusReporter
from kubelet.runtime.fake import FakeRuntime
from kubelet.runtime.faulty import FaultyRuntime
from kubelet.runtime.protocol import ContainerStatus, RuntimeFailure
from kubelet.sync_loop import SyncLoop
from objects.kinds import POD
from tests.support.cluster import wait_for
from tests.support.kubelet_app import IMAGE, fake_runtime, start_pod
from tests.support.revision_log import revision_rows

FAULTS = "/apis/tinykube.io/v1alpha1/faults"


class Outage:
    """A second gate on the kubelet's client: while down, the master looks unreachable."""

    def __init__(self) -> None:
        self.down = False

    def __call__(self) -> None:
        if self.down:
            raise httpx.ConnectError("the master is down (test outage)")


@dataclass
class Node:
    """One kubelet's fault loop, its runtime and its gates."""

    name: str
    runtime: FaultyRuntime
    partition: Partition
    outage: Outage
    client: ApiClient

    def cut_off(self) -> bool:
        """Whether the kubelet's own API calls fail, as they do while it is partitioned."""
        try:
            self.client.request("GET", "/version")
        except Unreachable:
            return True
        return False


@pytest.fixture
def node_name(api) -> Iterator[str]:
    name = f"node-{uuid.uuid4().hex[:6]}"
    yield name
    for fault in api.get(FAULTS, params={"fieldSelector": f"spec.nodeName={name}"}).json()["items"]:
        api.delete(f"{FAULTS}/{fault['metadata']['name']}")


@pytest.fixture
def start_loop(master, node_name) -> Iterator[Callable[..., Node]]:
    """Start the fault loop of node `node_name`; stopped afterwards."""
    stops: list[tuple[threading.Event, ApiClient]] = []

    recorders: list[EventRecorder] = []

    def start(*, runtime: FakeRuntime | None = None, client_type: type[ApiClient] = ApiClient,
              run_pods: bool = False) -> Node:
        """With `run_pods`, the kubelet's sync loop runs the node's pods too, and a crash fault resyncs them."""
        partition, outage = Partition(), Outage()
        client = client_type(load_kubeconfig(master.node_kubeconfig), user_agent=f"tinykube-kubelet/{node_name}",
                           gate=lambda: (partition(), outage()))
        faulty = FaultyRuntime(runtime or fake_runtime())
        config = KubeletConfig(node_name=node_name, kubeconfig=master.node_kubeconfig)
        stop = threading.Event()
        stops.append((stop, client))
        resync_pod: Callable[[str], None] = lambda uid: None
        if run_pods:
            recorders.append(events := EventRecorder(client, component="kubelet", host=node_name))
            sync_loop = SyncLoop(client, faulty, config, events, {"cpu": "4", "memory": "8Gi", "pods": "110"})
            sync_loop.start(stop)
            resync_pod = sync_loop.resync_pod
        FaultLoop(client, faulty, partition, NodeStatusReporter(client, faulty, config), config,
                  resync_pod=resync_pod).start(stop)
        return Node(node_name, faulty, partition, outage, client)

    yield start
    for stop, client in stops:
        stop.set()
    for recorder in recorders:
        recorder.close()
    for _stop, client in stops:
        client.close()


class PodsUnreadable(ApiClient):
    """A kubelet's client whose every read of a pod the master answers with a 503."""

    def get(self, rt, name, namespace=None, *, subresource=""):
        if rt == POD:
            raise ApiStatusError(503, "ServiceUnavailable", "the store is busy")
        return super().get(rt, name, namespace, subresource=subresource)


class EngineDown(FakeRuntime):
    """A container engine that cannot list containers."""

    def list_containers(self, node_name: str, *, pod_uid: str | None = None) -> list[ContainerStatus]:
        raise RuntimeFailure("Cannot connect to the Docker daemon")


class SlowToSeeExits(FakeRuntime):
    """An engine whose inspection of a killed container says "running" for a while, as a loaded Docker
    can: the relist, which lists containers, sees the crash before the fault does."""

    LAG_SECONDS = 1.5  # past one relist (1 s), within the fault's wait for the container to go down

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.killed_at: dict[str, float] = {}

    def kill_container(self, container_id: str, signal: int) -> None:
        super().kill_container(container_id, signal)
        self.killed_at[container_id] = time.monotonic()

    def container_status(self, container_id: str) -> ContainerStatus:
        status = super().container_status(container_id)
        if time.monotonic() - self.killed_at.get(container_id, -self.LAG_SECONDS) < self.LAG_SECONDS:
            return dataclasses.replace(status, state="running")
        return status


def run_pod(api, namespace: str, node: str, runtime: FakeRuntime, name: str = "web") -> dict:
    """A pod bound to `node`, its containers running in `runtime` as the node's kubelet would run them."""
    body = {"metadata": {"name": name}, "spec": {"nodeName": node, "containers": [{"name": "app", "image": IMAGE}]}}
    answer = api.post(f"/api/v1/namespaces/{namespace}/pods", json=body)
    assert answer.status_code == 201, answer.text
    pod = answer.json()
    start_pod(runtime, pod, node_name=node)
    return pod


def inject(api, type_: str, node: str, **spec) -> str:
    body = {"apiVersion": "tinykube.io/v1alpha1", "kind": "Fault",
            "metadata": {"name": f"{type_.lower()}-{uuid.uuid4().hex[:5]}"},
            "spec": {"type": type_, "nodeName": node, **spec}}
    answer = api.post(FAULTS, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["metadata"]["name"]


def status_of(api, name: str) -> dict:
    return api.get(f"{FAULTS}/{name}").json().get("status") or {}


def test_an_expiry_the_master_missed_is_written_once_it_is_back(api, node_name, start_loop):
    # Guards against a lost final write: the fault stayed Active forever after an outage at its expiry.
    node = start_loop()
    fault = inject(api, "FailPulls", node_name, image=IMAGE, durationSeconds=1)
    wait_for(lambda: status_of(api, fault).get("phase") == "Active", message="the fault active")
    node.outage.down = True
    wait_for(lambda: node.runtime.image_present(IMAGE), timeout=10, message="the fault put back at its expiry")
    assert status_of(api, fault)["phase"] == "Active"  # the master did not hear of it
    node.outage.down = False
    wait_for(lambda: status_of(api, fault).get("phase") == "Expired", timeout=10, message="Expired written")


def test_a_crash_whose_pod_cannot_be_read_fails_saying_why(api, node_name, start_loop, namespace):
    # Guards against a crash reported done without crashing: a 5xx on the pod left it Active, then Expired.
    start_loop(client_type=PodsUnreadable)
    fault = inject(api, "CrashContainer", node_name, pod=f"{namespace}/web")
    wait_for(lambda: status_of(api, fault).get("phase") == "Failed", timeout=10, message="the crash Failed")
    assert "could not be read" in status_of(api, fault)["message"]


def test_a_crash_on_an_engine_that_cannot_list_containers_fails_saying_why(api, node_name, start_loop, namespace):
    runtime = EngineDown(images=[IMAGE, "pause:3.10"])
    run_pod(api, namespace, node_name, runtime)
    start_loop(runtime=runtime)
    fault = inject(api, "CrashContainer", node_name, pod=f"{namespace}/web")
    wait_for(lambda: status_of(api, fault).get("phase") == "Failed", timeout=10, message="the crash Failed")
    assert "Cannot connect to the Docker daemon" in status_of(api, fault)["message"]


def test_a_fault_first_seen_after_its_time_had_passed_expires_without_being_carried_out(api, node_name,
                                                                                         start_loop):
    # Guards against late faults: a node whose kubelet was down struck when it came back, hours later.
    fault = inject(api, "FailPulls", node_name, image=IMAGE, durationSeconds=1)
    created = datetime.fromisoformat(api.get(f"{FAULTS}/{fault}").json()["metadata"]["creationTimestamp"])
    wait_for(lambda: time.time() > created.timestamp() + 1.5, timeout=5, message="the fault's time to pass")
    node = start_loop()
    status = wait_for(lambda: (s := status_of(api, fault)).get("phase") == "Expired" and s, timeout=10,
                      message=lambda: f"Expired: {status_of(api, fault)}")
    assert "not carried out" in status["message"] and "startedAt" not in status
    assert node.runtime.image_present(IMAGE)


def active_since_a_restart(api, name: str, *, expires_in: float) -> None:
    """Mark a fault Active as its kubelet would have before restarting, expiring `expires_in` s from now."""
    now = datetime.now(timezone.utc)
    status = {"phase": "Active", "startedAt": now.isoformat().replace("+00:00", "Z"),
              "expiresAt": (now + timedelta(seconds=expires_in)).isoformat().replace("+00:00", "Z")}
    answer = api.patch(f"{FAULTS}/{name}/status", json={"status": status},
                       headers={"Content-Type": "application/merge-patch+json"})
    assert answer.status_code == 200, answer.text


def test_a_node_stays_cut_off_while_any_of_two_overlapping_partitions_lasts(api, node_name, start_loop):
    # Guards against one shared gate: the first partition to expire reconnected the node under the second.
    short, long = (inject(api, "Partition", node_name, durationSeconds=60) for _ in range(2))
    active_since_a_restart(api, short, expires_in=1.5)
    active_since_a_restart(api, long, expires_in=5)
    short_ends = time.time() + 1.5
    node = start_loop()
    wait_for(node.cut_off, timeout=5, message="the node cut off")
    wait_for(lambda: time.time() > short_ends + 1, timeout=5, message="the short partition to end")
    assert node.cut_off(), "the long partition still lasts"
    wait_for(lambda: not node.cut_off(), timeout=10, message="the node reconnected when the long one ended")
    for name in (short, long):
        wait_for(lambda: status_of(api, name).get("phase") == "Expired", timeout=10, message=f"{name} Expired")


def test_the_status_write_that_reports_a_crash_names_the_fault_whichever_sync_makes_it(
        api, master, node_name, start_loop, namespace):
    # Guards a lost cause: the relist reported the crash reacting to the binding before the fault saw the
    # container down, and the sync the fault then asked for had nothing left to write.
    start_loop(runtime=SlowToSeeExits(images=[IMAGE, DEFAULT_PAUSE_IMAGE]), run_pods=True)
    body = {"metadata": {"name": "web"}, "spec": {"nodeName": node_name, "containers": [
        {"name": "app", "image": IMAGE, "command": ["sleep", "3600"]}]}}
    assert api.post(f"/api/v1/namespaces/{namespace}/pods", json=body).status_code == 201
    pod_path = f"/api/v1/namespaces/{namespace}/pods/web"
    wait_for(lambda: any(s.get("ready") for s in (api.get(pod_path).json().get("status") or {}).get(
        "containerStatuses") or []), timeout=10, message="the pod's container ready")
    answer = api.post(FAULTS, json={"apiVersion": "tinykube.io/v1alpha1", "kind": "Fault",
                                    "metadata": {"name": f"crash-{uuid.uuid4().hex[:5]}"},
                                    "spec": {"type": "CrashContainer", "nodeName": node_name,
                                             "pod": f"{namespace}/web", "exitCode": 137}})
    assert answer.status_code == 201, answer.text
    fault, fault_revision = answer.json()["metadata"]["name"], int(answer.json()["metadata"]["resourceVersion"])
    wait_for(lambda: status_of(api, fault).get("phase") == "Expired", timeout=10, message="the crash done")

    def crash_reported(row) -> bool:
        statuses = (row.object.get("status") or {}).get("containerStatuses") or []
        return any("terminated" in s.get("state", {}) or "terminated" in s.get("lastState", {}) for s in statuses)

    reports = wait_for(lambda: [row for row in revision_rows(master.data_dir, resource="pods", namespace=namespace,
                                                             name="web") if crash_reported(row)],
                       timeout=10, message="a status write reporting the crash")
    assert reports[0].component == f"kubelet/{node_name}"
    assert reports[0].cause == fault_revision
