"""Faults carried out by a real kubelet on the real Docker engine: each one bites, and the node heals after.

The master runs its controllers (the node lifecycle controller marks a silent
node), every timer scaled by 0.1: a node turns Unknown 4 s after its last
heartbeat and its pods are evicted 30 s later, so a partition of 8 s makes the
node NotReady without costing it its pods. Fault durations are wall-clock.
"""

from __future__ import annotations

import time
import uuid

import docker
import pytest

from kubelet.runtime.protocol import LABEL_CONTAINER_NAME, LABEL_POD_UID
from tests.support.cluster import live_cluster, wait_for
from tests.support.images import BUSYBOX_IMAGE

TIME_SCALE = 0.1
FAULTS = "/apis/tinykube.io/v1alpha1/faults"
PODS = "/api/v1/namespaces/default/pods"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with live_cluster(tmp_path_factory.mktemp("faults"), nodes=1, time_scale=TIME_SCALE,
                      master_args=["--controllers=*"]) as (master, kubelets):
        yield master, kubelets[0]


@pytest.fixture
def api(cluster):
    with cluster[0].client() as client:
        yield client


@pytest.fixture
def node(cluster):
    return cluster[1].node_name


@pytest.fixture
def engine():
    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture(autouse=True)
def remove_pods_and_faults(api):
    yield
    for fault in api.get(FAULTS).json()["items"]:
        api.delete(f"{FAULTS}/{fault['metadata']['name']}")
    for pod in api.get(PODS).json()["items"]:
        api.delete(f"{PODS}/{pod['metadata']['name']}", params={"gracePeriodSeconds": "0"})
    wait_for(lambda: api.get(PODS).json()["items"] == [], timeout=30, message="every pod removed")


def run_pod(api, node, name, **container):
    pod = {"metadata": {"name": name},
           "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1, "containers": [
               {"name": "app", "image": BUSYBOX_IMAGE, "command": ["sleep", "3600"], **container}]}}
    answer = api.post(PODS, json=pod)
    assert answer.status_code == 201, answer.text
    return answer.json()


def pod_of(api, name):
    return api.get(f"{PODS}/{name}").json()


def app_status(api, name):
    statuses = (pod_of(api, name).get("status") or {}).get("containerStatuses") or []
    return next((s for s in statuses if s["name"] == "app"), {})


def is_running(api, name):
    return (pod_of(api, name).get("status") or {}).get("phase") == "Running" and app_status(api, name).get("ready")


def inject(api, type_, node, **spec):
    body = {"apiVersion": "tinykube.io/v1alpha1", "kind": "Fault",
            "metadata": {"name": f"{type_.lower()}-{uuid.uuid4().hex[:5]}"},
            "spec": {"type": type_, "nodeName": node, **spec}}
    answer = api.post(FAULTS, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["metadata"]["name"]


def fault_phase(api, name):
    return (api.get(f"{FAULTS}/{name}").json().get("status") or {}).get("phase")


def node_ready(api, node):
    conditions = api.get(f"/api/v1/nodes/{node}").json()["status"].get("conditions") or []
    return next((c["status"] for c in conditions if c["type"] == "Ready"), None)


def test_crash_container_kills_it_once_and_the_restart_policy_brings_it_back(api, node):
    run_pod(api, node, "crash-me")
    wait_for(lambda: is_running(api, "crash-me"), timeout=30, message="crash-me running")
    fault = inject(api, "CrashContainer", node, pod="default/crash-me", exitCode=137)

    restarted = wait_for(lambda: (s := app_status(api, "crash-me")).get("restartCount") == 1 and s.get("ready")
                         and s, timeout=30, message=lambda: f"a restart: {app_status(api, 'crash-me')}")
    assert restarted["lastState"]["terminated"]["exitCode"] == 137
    wait_for(lambda: fault_phase(api, fault) == "Expired", timeout=10, message="the crash fault expired")
    assert app_status(api, "crash-me")["restartCount"] == 1  # killed once, not again once it was back


def test_a_crash_of_a_pod_not_on_the_node_fails_saying_why(api, node):
    fault = inject(api, "CrashContainer", node, pod="default/nowhere")
    wait_for(lambda: fault_phase(api, fault) == "Failed", timeout=10, message="the fault failed")
    assert "not found" in api.get(f"{FAULTS}/{fault}").json()["status"]["message"]


def test_fail_pulls_reports_err_image_pull_naming_the_fault_until_it_expires(api, node):
    fault = inject(api, "FailPulls", node, image=BUSYBOX_IMAGE, durationSeconds=5)
    wait_for(lambda: fault_phase(api, fault) == "Active", timeout=10, message="the pull fault active")
    run_pod(api, node, "pulls")
    waiting = wait_for(lambda: (w := app_status(api, "pulls").get("state", {}).get("waiting") or {}).get(
        "reason") == "ErrImagePull" and w, timeout=20, interval=0.02,
        message=lambda: f"ErrImagePull: {app_status(api, 'pulls')}")
    assert f"fault {fault}" in waiting["message"]

    wait_for(lambda: fault_phase(api, fault) == "Expired", timeout=15, message="the pull fault expired")
    wait_for(lambda: is_running(api, "pulls"), timeout=40, message=lambda: f"pulls running: {app_status(api, 'pulls')}")


def test_delay_runtime_slows_a_pod_start_by_at_least_the_delay(api, node):
    def start_seconds(name):
        started = time.monotonic()
        run_pod(api, node, name)
        wait_for(lambda: is_running(api, name), timeout=60, interval=0.02, message=f"{name} running")
        return time.monotonic() - started

    delay_ms = 500
    fault = inject(api, "DelayRuntime", node, delayMilliseconds=delay_ms, durationSeconds=60)
    wait_for(lambda: fault_phase(api, fault) == "Active", timeout=10, message="the delay fault active")
    slowed = start_seconds("slowed")
    # A start takes at least four runtime calls one after another (look for the image, run the
    # sandbox, create and start the container), each waiting the delay.
    assert slowed >= 4 * delay_ms / 1000, slowed

    api.delete(f"{FAULTS}/{fault}")  # a deleted fault ends at once
    healed = start_seconds("healed")
    assert healed < slowed, (healed, slowed)


def test_partition_makes_the_node_not_ready_while_its_pods_keep_running_then_it_heals(api, node, engine):
    pod = run_pod(api, node, "survivor")
    wait_for(lambda: is_running(api, "survivor"), timeout=30, message="survivor running")
    fault = inject(api, "Partition", node, durationSeconds=8)

    wait_for(lambda: node_ready(api, node) not in ("True", None), timeout=20, message="the node NotReady")
    assert fault_phase(api, fault) == "Active"
    running = engine.containers.list(filters={"label": [f"{LABEL_POD_UID}={pod['metadata']['uid']}",
                                                        f"{LABEL_CONTAINER_NAME}=app"]})
    assert [c.status for c in running] == ["running"]
    assert api.get(f"{PODS}/survivor").status_code == 200

    wait_for(lambda: fault_phase(api, fault) == "Expired", timeout=20, message="the partition expired")
    wait_for(lambda: node_ready(api, node) == "True", timeout=20, message="the node Ready again")
    wait_for(lambda: is_running(api, "survivor"), timeout=20, message="survivor still running")
    assert app_status(api, "survivor")["restartCount"] == 0
