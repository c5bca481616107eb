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
from datetime import datetime

import httpx
import pytest

from apiclient import ApiClient, Unreachable, load_kubeconfig
from kubelet.config import KubeletConfig
from kubelet.faults import FaultLoop, Partition
from kubelet.node_status import NodeStatusReporter
from kubelet.runtime.fake import FakeRuntime
from kubelet.runtime.faulty import FaultyRuntime
from tests.support.cluster import wait_for
from tests.support.kubelet_app import IMAGE, fake_runtime, start_pod

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

    def start(*, runtime: FakeRuntime | None = None) -> Node:
        partition, outage = Partition(), Outage()
        client = ApiClient(load_kubeconfig(master.node_kubeconfig), user_agent=f"tinykube-kubelet/{node_name}",
                           gate=lambda: (partition(), outage()))
        faulty = FaultyRuntime(runtime or fake_runtime())
        config = KubeletConfig(node_name=node_name, kubeconfig=master.node_kubeconfig)
        stop = threading.Event()
        stops.append((stop, client))
        FaultLoop(client, faulty, partition, NodeStatusReporter(client, faulty, config), config).start(stop)
        return Node(node_name, faulty, partition, outage, client)

    yield start
    for stop, client in stops:
        stop.set()
        client.close()


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
