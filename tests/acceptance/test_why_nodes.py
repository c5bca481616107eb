"""A node's why on a master and two real kubelets, read with the real kubectl, every timer scaled by 0.1.

The node lifecycle controller publishes its verdict and its timers; these tests
hold them against what the cluster then does: a stopped kubelet's node turns
Unknown, and each of its pods is evicted when its published countdown said.
At this scale the grace period is 4 s and the default toleration 30 s.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiclient import ApiClient, load_kubeconfig
from apiclient.informer import Informer
from objects.kinds import POD
from objects.why import NodeHealthReport, Why, epoch_of
from tests.support.cluster import Kubectl, Kubelet, Master, live_cluster, wait_for

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

TIME_SCALE = 0.1
# Unscaled: the controller's node monitor grace period, and what every pod tolerates unreachable for by default.
NODE_MONITOR_GRACE_SECONDS = 40
DEFAULT_TOLERATION_SECONDS = 300
SOLO_TOLERATION_SECONDS = 100
OWNER = "node-lifecycle-controller"
UNREACHABLE = "node.kubernetes.io/unreachable"
PODS = "/api/v1/namespaces/default/pods"


@dataclass
class Cluster:
    master: Master
    kubelets: list[Kubelet]
    kubectl: Kubectl


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("why-nodes")
    with live_cluster(root, nodes=2, time_scale=TIME_SCALE, master_args=["--controllers=*"]) as (master, kubelets):
        yield Cluster(master, kubelets, Kubectl(master.kubeconfig, root / "kube-cache"))


@pytest.fixture
def api(cluster):
    with cluster.master.client() as client:
        yield client


@pytest.fixture(autouse=True)
def remove_workloads(cluster, api):
    yield
    cluster.kubectl("delete", "deployments,daemonsets,pods", "--all", "--wait=false", timeout=60)
    wait_for(lambda: api.get(PODS).json()["items"] == [], timeout=60, message="every pod removed")


@pytest.fixture
def deletions(cluster):
    """When each pod's deletion reached a watch (wall-clock seconds), by pod name."""
    seen: dict[str, float] = {}
    stop = threading.Event()
    client = ApiClient(load_kubeconfig(cluster.master.kubeconfig))
    watcher = Informer(client, POD, namespace="default",
                       on_delete=lambda pod: seen.setdefault(pod["metadata"]["name"], time.time()))
    watcher.start(stop)
    watcher.synced.wait(10)
    yield seen
    stop.set()
    client.close()


# ----- manifests and reading

def deployment(name: str, replicas: int) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": "tinykube/busybox:test",
                                                       "command": ["sleep", "3600"]}]}}},
    })


DAEMONSET = json.dumps({
    "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
    "spec": {"selector": {"matchLabels": {"app": "agent"}},
             "template": {"metadata": {"labels": {"app": "agent"}},
                          "spec": {"containers": [{"name": "agent", "image": "tinykube/busybox:test",
                                                   "command": ["sleep", "3600"]}]}}},
})


def solo_pod(node: str) -> str:
    """A pod no controller owns, bound to `node`, that tolerates unreachable for less than the default."""
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo"},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "tinykube/busybox:test",
                                                    "command": ["sleep", "3600"]}],
                 "tolerations": [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                                  "tolerationSeconds": SOLO_TOLERATION_SECONDS}]},
    })


def why_node(cluster: Cluster, node: str) -> Why:
    raw = cluster.kubectl("get", "--raw", f"/api/v1/nodes/{node}/why").stdout
    return Why.model_validate_json(raw)


def running(api: httpx.Client, label: str | None = None) -> list[dict[str, Any]]:
    params = {"labelSelector": label} if label else None
    pods = api.get(PODS, params=params).json()["items"]
    return [p for p in pods
            if p.get("status", {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


# ----- tests

def test_a_ready_nodes_why_says_it_renews_its_lease_and_when_it_would_turn_unknown(cluster):
    node = cluster.kubelets[0].node_name
    why = wait_for(lambda: (lambda w: w if w.node_health else None)(why_node(cluster, node)),
                   message="the controller's report on a ready node")
    health = why.node_health
    assert (why.state, health.ready, health.message) == ("Ready", "True", "Ready: renewing its Lease")
    assert health.grace_period_seconds == NODE_MONITOR_GRACE_SECONDS * TIME_SCALE
    [countdown] = health.countdowns
    assert (countdown.name, countdown.owner) == ("NodeUnknown", OWNER)
    # as of the heartbeat it names: the moment silence since then would turn the node Unknown
    assert abs(epoch_of(countdown.at) - epoch_of(health.last_heartbeat) - health.grace_period_seconds) < 1.0


def test_a_stopped_kubelets_node_shows_each_pods_eviction_countdown_and_the_eviction_keeps_it(
        cluster, api, deletions):
    cluster.kubectl("apply", "-f", "-", input=deployment("web", 4))
    cluster.kubectl("apply", "-f", "-", input=DAEMONSET)
    wait_for(lambda: len(running(api, "app=web")) == 4 and len(running(api, "app=agent")) == 2, timeout=60,
             message="four web pods and an agent per node running")
    victim = max(cluster.kubelets, key=lambda k: sum(p["spec"]["nodeName"] == k.node_name
                                                     for p in running(api, "app=web")))
    cluster.kubectl("apply", "-f", "-", input=solo_pod(victim.node_name))
    wait_for(lambda: any(p["metadata"]["name"] == "solo" for p in running(api)), timeout=30, message="solo running")
    on_victim = {p["metadata"]["name"]: p for p in running(api) if p["spec"]["nodeName"] == victim.node_name}
    web = {name for name, p in on_victim.items() if p["metadata"].get("labels", {}).get("app") == "web"}
    [agent] = [name for name, p in on_victim.items() if p["metadata"].get("labels", {}).get("app") == "agent"]
    assert web

    stopped_at = time.time()
    victim.stop()
    try:
        def unknown_with_every_pod() -> NodeHealthReport | None:
            health = why_node(cluster, victim.node_name).node_health
            if health and health.ready == "Unknown" and {p.name for p in health.pods} == set(on_victim):
                return health
            return None

        health = wait_for(unknown_with_every_pod, timeout=30, interval=0.2, message="the node's why: Unknown")
        grace = NODE_MONITOR_GRACE_SECONDS * TIME_SCALE
        assert health.message.startswith("no heartbeat since ")
        assert health.message.endswith(f"; Unknown after a {grace:.1f} s grace period")
        assert health.grace_period_seconds == grace
        assert epoch_of(health.last_heartbeat) <= stopped_at + 0.5
        assert health.not_ready_since
        no_execute = next(t for t in health.taints if (t.key, t.effect) == (UNREACHABLE, "NoExecute"))
        assert no_execute.time_added

        pods = {p.name: p for p in health.pods}
        owners = {name: on_victim[name]["metadata"]["ownerReferences"][0]["name"] for name in web}
        for name in web:
            assert pods[name].toleration_seconds == DEFAULT_TOLERATION_SECONDS * TIME_SCALE
            assert pods[name].replaced_by == f"ReplicaSet default/{owners[name]} creates a replacement"
        assert pods["solo"].toleration_seconds == SOLO_TOLERATION_SECONDS * TIME_SCALE
        assert pods["solo"].replaced_by == "nothing: the pod has no controller"
        assert pods[agent].toleration_seconds is None and pods[agent].countdowns == []
        assert pods[agent].replaced_by == \
            "DaemonSet default/agent does not replace it: it tolerates the taints and stays"

        evicted = web | {"solo"}
        due = {}
        for name in evicted:
            [countdown] = pods[name].countdowns
            assert (countdown.name, countdown.owner) == ("Eviction", OWNER)
            assert countdown.seconds_left is not None and countdown.seconds_left > 0
            due[name] = epoch_of(countdown.at)
        assert due["solo"] < min(due[name] for name in web)  # the shorter toleration goes first

        bound = max(due.values()) - time.time() + 10
        wait_for(lambda: evicted <= deletions.keys(), timeout=bound, interval=0.2, message="every eviction")
        for name in sorted(evicted):
            late = deletions[name] - due[name]
            print(f"\n{name}: evicted {late:+.3f}s from its countdown")
            assert -0.1 < late < 1.0, f"{name} evicted {late:+.3f}s from its countdown"
        assert agent not in deletions

        # what the report promised: the ReplicaSet replaces its pods on the node that is left
        wait_for(lambda: len([p for p in running(api, "app=web") if p["spec"]["nodeName"] != victim.node_name]) == 4,
                 timeout=60, message="four web pods running off the stopped node")
    finally:
        victim.start()  # the cluster is whole again for anything that follows
