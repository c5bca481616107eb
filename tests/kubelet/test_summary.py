"""GET /stats/summary over real TLS and HTTP, on the fake runtime."""

import uuid

import httpx
import pytest

from kubelet.runtime.fake import FAKE_WORKING_SET_BYTES
from tests.support.kubelet_app import KubeletServer, fake_runtime, start_pod

NODE = "node-a"
TOKEN = "node-token-for-tests"
MI = 1 << 20


@pytest.fixture
def fake():
    return fake_runtime()


@pytest.fixture
def kubelet(fake, tmp_path):
    server = KubeletServer(fake, node_name=NODE, token=TOKEN, cert_dir=tmp_path / "pki",
                           find_pod=lambda namespace, name: None).start()
    yield server
    server.stop()


def summary(kubelet, token=TOKEN) -> httpx.Response:
    with httpx.Client(base_url=kubelet.url, verify=False, timeout=10) as client:
        return client.get("/stats/summary", headers={"Authorization": f"Bearer {token}"})


def run_pod(fake, name, containers, *, node=NODE):
    pod = {"metadata": {"name": name, "namespace": "default", "uid": str(uuid.uuid4())},
           "spec": {"containers": [{"name": c} for c in containers]}}
    return pod, start_pod(fake, pod, node_name=node)


def test_the_summary_needs_the_node_token(kubelet):
    answer = summary(kubelet, token="wrong")
    assert answer.status_code == 401
    assert answer.json()["reason"] == "Unauthorized"


def test_each_pod_reports_its_containers_and_their_sum(fake, kubelet):
    pod, ids = run_pod(fake, "web", ["b", "a"])
    fake.set_usage(ids["a"], cpu_nano_cores=250_000_000, memory_working_set_bytes=3 * MI)
    fake.set_usage(ids["b"], cpu_nano_cores=1_000_000, memory_working_set_bytes=5 * MI)

    answer = summary(kubelet)

    assert answer.status_code == 200, answer.text
    [entry] = answer.json()["pods"]
    assert entry["podRef"] == {"name": "web", "namespace": "default", "uid": pod["metadata"]["uid"]}
    assert [c["name"] for c in entry["containers"]] == ["a", "b"]
    assert entry["containers"][0]["cpu"]["usageNanoCores"] == 250_000_000
    assert entry["containers"][0]["memory"]["workingSetBytes"] == 3 * MI
    assert entry["cpu"]["usageNanoCores"] == 251_000_000
    assert entry["memory"]["workingSetBytes"] == 8 * MI


def test_the_node_is_the_sum_of_its_pods_only(fake, kubelet):
    _, first = run_pod(fake, "one", ["app"])
    _, second = run_pod(fake, "two", ["app"])
    run_pod(fake, "elsewhere", ["app"], node="node-b")  # another kubelet's pod on the same engine
    fake.set_usage(first["app"], cpu_nano_cores=100_000_000)
    fake.set_usage(second["app"], cpu_nano_cores=20_000_000)

    node = summary(kubelet).json()["node"]

    assert node["nodeName"] == NODE
    assert node["cpu"]["usageNanoCores"] == 120_000_000
    assert node["memory"]["workingSetBytes"] == 2 * FAKE_WORKING_SET_BYTES


def test_containers_that_are_not_running_are_left_out(fake, kubelet):
    _, ids = run_pod(fake, "web", ["up", "down"])
    fake.exit(ids["down"], 0)

    [entry] = summary(kubelet).json()["pods"]

    assert [c["name"] for c in entry["containers"]] == ["up"]


def test_a_node_without_pods_reports_zero(kubelet):
    body = summary(kubelet).json()
    assert body["pods"] == []
    assert (body["node"]["cpu"]["usageNanoCores"], body["node"]["memory"]["workingSetBytes"]) == (0, 0)
