"""The controllers (ReplicaSet, Deployment, DaemonSet, garbage collector, node lifecycle) on a master and
three real kubelets, driven with the real kubectl, every timer scaled by 0.1.

One cluster serves the whole module; each test removes its workloads afterwards. The node-failure
test runs last because it stops (and then restarts) a kubelet.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from kubelet.runtime.protocol import LABEL_POD_UID
from tests.support.cluster import Kubectl, Kubelet, Master, live_cluster, wait_for
from tests.support.docker_cleanup import remove_owned

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

TIME_SCALE = 0.1
# Unscaled: the node monitor grace period, and the tolerationSeconds every pod gets for unreachable.
NODE_MONITOR_GRACE_SECONDS = 40
DEFAULT_TOLERATION_SECONDS = 300
RECOVERY_MARGIN_SECONDS = 30
KUBELET_ARGS = ["--cpu", "2", "--memory", "2Gi"]  # as live_cluster starts its kubelets

PODS = "/api/v1/namespaces/default/pods"
REPLICASETS = "/apis/apps/v1/namespaces/default/replicasets"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
DAEMONSETS = "/apis/apps/v1/namespaces/default/daemonsets"


@dataclass
class Cluster:
    master: Master
    kubelets: list[Kubelet]
    kubectl: Kubectl
    root: Path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("controllers")
    with live_cluster(root, nodes=3, time_scale=TIME_SCALE, master_args=["--controllers=*"]) as (master, kubelets):
        yield Cluster(master, kubelets, Kubectl(master.kubeconfig, root / "kube-cache"), root)


@pytest.fixture
def api(cluster):
    with cluster.master.client() as client:
        yield client


@pytest.fixture(autouse=True)
def remove_workloads(cluster, api):
    """Each test starts on an empty namespace: its workloads and their pods are gone before the next one."""
    yield
    cluster.kubectl("delete", "deployments,daemonsets,replicasets,pods", "--all", "--wait=false", timeout=60)
    wait_for(lambda: api.get(PODS).json()["items"] == [], timeout=60, message="every pod removed")


# ----- manifests

def bootcamp_deployment(name: str, *, replicas: int, image: str = "tinykube/bootcamp:v1", probe_port: int = 8080,
                        **spec: Any) -> str:
    container = {
        "name": "bootcamp", "image": image, "ports": [{"containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/", "port": probe_port}, "periodSeconds": 1},
    }
    if image.startswith("tinykube/absent"):
        container["imagePullPolicy"] = "Never"
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
            **spec,
        },
    })


def rolling(*, max_unavailable: int, max_surge: int) -> dict[str, Any]:
    return {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": max_unavailable, "maxSurge": max_surge}}


DAEMONSET = json.dumps({
    "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
    "spec": {
        "selector": {"matchLabels": {"app": "agent"}},
        "template": {"metadata": {"labels": {"app": "agent"}},
                     "spec": {"containers": [{"name": "agent", "image": "tinykube/busybox:test",
                                              "command": ["sleep", "3600"]}]}},
    },
})


# ----- reading the cluster

def pods_of(api: httpx.Client, app: str) -> list[dict[str, Any]]:
    return api.get(PODS, params={"labelSelector": f"app={app}"}).json()["items"]


def live(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pods not being deleted: the ones a ReplicaSet counts."""
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def is_ready(pod: dict[str, Any]) -> bool:
    conditions = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
    return conditions.get("Ready") == "True"


def is_running(pod: dict[str, Any]) -> bool:
    return pod.get("status", {}).get("phase") == "Running"


def image_of(pod: dict[str, Any]) -> str:
    return pod["spec"]["containers"][0]["image"]


def all_ready(api: httpx.Client, app: str, count: int, *, image: str | None = None) -> list[dict[str, Any]] | None:
    """The app's pods when there are exactly `count`, none terminating, all Ready (and on `image`)."""
    pods = pods_of(api, app)
    if len(pods) == count and len(live(pods)) == count and all(map(is_ready, pods)):
        if image is None or all(image_of(p) == image for p in pods):
            return pods
    return None


def greeting(api: httpx.Client, pod: str) -> str:
    response = api.get(f"{PODS}/{pod}:8080/proxy/")
    assert response.status_code == 200, response.text
    return response.text.strip()


class ReadyWatcher:
    """Samples, on a thread of its own, how many of an app's pods are Ready (and not terminating)."""

    def __init__(self, api: httpx.Client, app: str):
        self.api, self.app = api, app
        self.samples: list[int] = []
        self.stopped = threading.Event()
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ReadyWatcher:
        self.thread.start()
        wait_for(lambda: self.samples, message="a first sample")
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self.stopped.is_set():
                self.samples.append(sum(map(is_ready, live(pods_of(self.api, self.app)))))
                self.stopped.wait(0.05)
        except Exception as error:  # reported by the test, not lost on the thread
            self.error = error


# ----- DaemonSet

def test_a_daemonset_runs_one_pod_per_node_and_on_a_joining_node_but_not_a_tainted_one(cluster, api):
    cluster.kubectl("apply", "-f", "-", input=DAEMONSET)
    nodes = {k.node_name for k in cluster.kubelets}

    def placed(expected: set[str]):
        pods = pods_of(api, "agent")
        on = sorted(p["spec"].get("nodeName", "") for p in pods)
        return pods if on == sorted(expected) and all(map(is_running, pods)) else None

    wait_for(lambda: placed(nodes), timeout=30, message="one running agent per node")

    first = cluster.kubelets[0]
    prefix = first.node_name.rsplit("-", 1)[0]
    # Its own owner label, so removing its containers leaves the cluster's alone; the node prefix keeps
    # it within live_cluster's own clean-up too.
    owner = f"{first.owner}-joined"
    tainted = Kubelet(cluster.master, f"{prefix}-tainted", owner=owner, network=first.network,
                      root_dir=cluster.root / "nodes", time_scale=TIME_SCALE,
                      extra_args=[*KUBELET_ARGS, "--taints", "dedicated=x:NoSchedule"])
    joined = Kubelet(cluster.master, f"{prefix}-joined", owner=owner, network=first.network,
                     root_dir=cluster.root / "nodes", time_scale=TIME_SCALE, extra_args=KUBELET_ARGS)
    extra = [tainted, joined]
    try:
        # The tainted node registers first, so the controller has seen it by the time it places the joiner's pod.
        tainted.start()
        joined.start()
        wait_for(lambda: placed(nodes | {joined.node_name}), timeout=30, message="an agent on the joining node")
        status = wait_for(lambda: (lambda s: s if s.get("desiredNumberScheduled") == 4 and s.get("numberReady") == 4
                                   else None)(api.get(f"{DAEMONSETS}/agent").json().get("status", {})),
                          timeout=20, message="the DaemonSet's status counting four nodes")
        assert status["currentNumberScheduled"] == 4 and status["numberMisscheduled"] == 0
        assert not [p for p in pods_of(api, "agent") if p["spec"].get("nodeName") == tainted.node_name]
        rows = cluster.kubectl("get", "daemonset", "agent", "--no-headers").stdout.split()
        assert rows[1:4] == ["4", "4", "4"]  # DESIRED CURRENT READY
    finally:
        for kubelet in extra:
            kubelet.stop()
            api.delete(f"/api/v1/nodes/{kubelet.node_name}")
        for pod in api.get(PODS).json()["items"]:  # no kubelet is left to confirm these deletions
            if pod["spec"].get("nodeName") in {k.node_name for k in extra}:
                api.delete(f"{PODS}/{pod['metadata']['name']}", params={"gracePeriodSeconds": 0})
        for kubelet in extra:
            remove_owned(owner, node_prefix=kubelet.node_name)


# ----- Deployment: rolling update, stalled rollout and undo

def test_a_rolling_update_keeps_replicas_minus_max_unavailable_ready_and_ends_on_the_new_image(cluster, api):
    manifest = dict(replicas=4, strategy=rolling(max_unavailable=1, max_surge=1))
    cluster.kubectl("apply", "-f", "-", input=bootcamp_deployment("web", **manifest))
    cluster.kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=70)
    wait_for(lambda: all_ready(api, "web", 4), timeout=30, message="four ready v1 pods")

    with ReadyWatcher(api, "web") as watcher:
        cluster.kubectl("apply", "-f", "-", input=bootcamp_deployment("web", image="tinykube/bootcamp:v2", **manifest))
        status = cluster.kubectl("rollout", "status", "deployment/web", "--timeout=120s", timeout=130)
        assert status.returncode == 0
        assert 'deployment "web" successfully rolled out' in status.stdout
    assert watcher.error is None, watcher.error
    print(f"\nrolling update: {len(watcher.samples)} samples, fewest Ready pods {min(watcher.samples)}")
    assert min(watcher.samples) >= 4 - 1, watcher.samples

    pods = wait_for(lambda: all_ready(api, "web", 4, image="tinykube/bootcamp:v2"), timeout=30,
                    message="only the four v2 pods left")
    for pod in pods:
        name = pod["metadata"]["name"]
        assert greeting(api, name) == f"Hello tinykube! | Running on: {name} | v=2"
    replicasets = api.get(REPLICASETS, params={"labelSelector": "app=web"}).json()["items"]
    assert sorted((rs["spec"]["template"]["spec"]["containers"][0]["image"], rs["spec"]["replicas"])
                  for rs in replicasets) == [("tinykube/bootcamp:v1", 0), ("tinykube/bootcamp:v2", 4)]


def test_a_rollout_to_an_image_that_cannot_start_stalls_keeping_the_old_pods_and_undo_restores_it(cluster, api):
    manifest = dict(replicas=4, strategy=rolling(max_unavailable=1, max_surge=1), progressDeadlineSeconds=10)
    cluster.kubectl("apply", "-f", "-", input=bootcamp_deployment("stuck", **manifest))
    cluster.kubectl("rollout", "status", "deployment/stuck", "--timeout=60s", timeout=70)

    cluster.kubectl("apply", "-f", "-", input=bootcamp_deployment("stuck", image="tinykube/absent:1", **manifest))
    stalled = cluster.kubectl("rollout", "status", "deployment/stuck", "--timeout=60s", check=False, timeout=70)
    assert stalled.returncode != 0
    assert 'deployment "stuck" exceeded its progress deadline' in stalled.stderr, stalled.stderr

    deployment = api.get(f"{DEPLOYMENTS}/stuck").json()
    progressing = next(c for c in deployment["status"]["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    pods = live(pods_of(api, "stuck"))
    old = [p for p in pods if image_of(p) == "tinykube/bootcamp:v1"]
    new = [p for p in pods if image_of(p) == "tinykube/absent:1"]
    assert len([p for p in old if is_ready(p)]) >= 4 - 1, old
    assert new and not any(map(is_ready, new))
    waiting = {s["state"].get("waiting", {}).get("reason") for p in new for s in p["status"]["containerStatuses"]}
    assert waiting == {"ErrImageNeverPull"}
    assert deployment["status"]["availableReplicas"] >= 4 - 1
    replicasets = {rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs
                   for rs in api.get(REPLICASETS, params={"labelSelector": "app=stuck"}).json()["items"]}
    assert replicasets["tinykube/bootcamp:v1"]["status"].get("readyReplicas", 0) >= 4 - 1
    assert not replicasets["tinykube/absent:1"]["status"].get("readyReplicas")

    cluster.kubectl("rollout", "undo", "deployment/stuck")
    restored = cluster.kubectl("rollout", "status", "deployment/stuck", "--timeout=60s", check=False, timeout=70)
    assert restored.returncode == 0, restored.stderr
    wait_for(lambda: all_ready(api, "stuck", 4, image="tinykube/bootcamp:v1"), timeout=30,
             message="four ready pods on the old image")
    assert api.get(f"{DEPLOYMENTS}/stuck").json()["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "tinykube/bootcamp:v1"


# ----- deletion: cascading and orphaning

def engine_containers(pod_uids: set[str]) -> list[Any]:
    client = docker.from_env()
    try:
        return [c for c in client.containers.list(all=True, filters={"label": LABEL_POD_UID})
                if c.labels.get(LABEL_POD_UID) in pod_uids]
    finally:
        client.close()


def test_deleting_a_deployment_removes_its_replicasets_pods_and_containers(cluster, api):
    cluster.kubectl("apply", "-f", "-", input=bootcamp_deployment("doomed", replicas=2))
    pods = wait_for(lambda: all_ready(api, "doomed", 2), timeout=30, message="two ready pods")
    uids = {p["metadata"]["uid"] for p in pods}
    assert len(engine_containers(uids)) == 4  # a sandbox and the app, per pod

    cluster.kubectl("delete", "deployment", "doomed")
    wait_for(lambda: api.get(REPLICASETS, params={"labelSelector": "app=doomed"}).json()["items"] == [],
             timeout=20, message="the ReplicaSet removed")
    wait_for(lambda: pods_of(api, "doomed") == [], timeout=30, message="the pods removed")
    wait_for(lambda: engine_containers(uids) == [], timeout=30, message="the containers removed from the engine")


def test_deleting_with_cascade_orphan_leaves_the_pods_running_without_owners(cluster, api):
    cluster.kubectl("apply", "-f", "-", input=bootcamp_deployment("kept", replicas=2))
    pods = wait_for(lambda: all_ready(api, "kept", 2), timeout=30, message="two ready pods")
    uids = {p["metadata"]["uid"] for p in pods}
    [replicaset] = api.get(REPLICASETS, params={"labelSelector": "app=kept"}).json()["items"]
    name = replicaset["metadata"]["name"]

    cluster.kubectl("delete", "deployment", "kept", "--cascade=orphan")
    wait_for(lambda: not api.get(f"{REPLICASETS}/{name}").json()["metadata"].get("ownerReferences"),
             timeout=20, message="the ReplicaSet orphaned")
    cluster.kubectl("delete", "replicaset", name, "--cascade=orphan")
    orphans = wait_for(lambda: (lambda ps: ps if not any(p["metadata"].get("ownerReferences") for p in ps) else None)(
        pods_of(api, "kept")), timeout=20, message="the pods orphaned")

    assert api.get(f"{REPLICASETS}/{name}").status_code == 404
    assert {p["metadata"]["uid"] for p in orphans} == uids
    assert all(is_running(p) and is_ready(p) for p in orphans)
    running = engine_containers(uids)
    assert len(running) == 4 and all(c.status == "running" for c in running)
    for pod in orphans:
        assert greeting(api, pod["metadata"]["name"]).endswith("v=1")


# ----- readiness and availability

def test_a_failing_readiness_probe_keeps_pods_out_of_available_replicas(cluster, api):
    # nothing listens on 9090, so the probe is refused every time
    cluster.kubectl("apply", "-f", "-", input=bootcamp_deployment("unready", replicas=2, probe_port=9090))

    def running_and_probed():
        pods = pods_of(api, "unready")
        events = api.get("/api/v1/namespaces/default/events").json()["items"]
        probed = {e["involvedObject"]["name"] for e in events
                  if e["reason"] == "Unhealthy" and "Readiness probe failed" in e.get("message", "")}
        return pods if len(pods) == 2 and all(map(is_running, pods)) and \
            {p["metadata"]["name"] for p in pods} <= probed else None

    pods = wait_for(running_and_probed, timeout=30, message="two running pods whose readiness probe failed")
    status = wait_for(lambda: (lambda s: s if s.get("replicas") == 2 else None)(
        api.get(f"{DEPLOYMENTS}/unready").json().get("status", {})), timeout=20, message="the deployment's status")
    assert not status.get("availableReplicas")
    assert not status.get("readyReplicas")
    assert status.get("unavailableReplicas") == 2
    for pod in pods:
        assert not is_ready(pod)
        [container] = pod["status"]["containerStatuses"]
        assert "running" in container["state"] and container["ready"] is False
    row = cluster.kubectl("get", "deployment", "unready", "--no-headers").stdout.split()
    assert row[1:4] == ["0/2", "2", "0"]  # READY UP-TO-DATE AVAILABLE


# ----- node failure (last: it stops a kubelet)

def node_ready(api: httpx.Client, node: str) -> str | None:
    conditions = api.get(f"/api/v1/nodes/{node}").json()["status"].get("conditions", [])
    return {c["type"]: c["status"] for c in conditions}.get("Ready")


def test_the_pods_of_a_stopped_node_are_replaced_on_the_others_within_grace_plus_eviction(cluster, api):
    replicas = 6
    cluster.kubectl("apply", "-f", "-", input=bootcamp_deployment("resilient", replicas=replicas))
    pods = wait_for(lambda: all_ready(api, "resilient", replicas), timeout=60, message="six ready pods")
    by_node: dict[str, list[str]] = {}
    for pod in pods:
        by_node.setdefault(pod["spec"]["nodeName"], []).append(pod["metadata"]["name"])
    victim = max(cluster.kubelets, key=lambda k: len(by_node.get(k.node_name, [])))
    lost = set(by_node[victim.node_name])
    assert lost

    started = time.monotonic()
    victim.stop()
    try:
        wait_for(lambda: node_ready(api, victim.node_name) == "Unknown", timeout=30, message="the node Ready=Unknown")
        unknown_after = time.monotonic() - started
        rows = {line.split()[0]: line.split()[1] for line in
                cluster.kubectl("get", "nodes", "--no-headers").stdout.splitlines()}
        assert rows[victim.node_name] == "NotReady"
        assert all(rows[k.node_name] == "Ready" for k in cluster.kubelets if k is not victim)

        bound = (NODE_MONITOR_GRACE_SECONDS + DEFAULT_TOLERATION_SECONDS) * TIME_SCALE + RECOVERY_MARGIN_SECONDS

        def recovered():
            now = all_ready(api, "resilient", replicas)
            if now and not lost & {p["metadata"]["name"] for p in now}:
                return now
            return None

        replaced = wait_for(recovered, timeout=bound + 10, interval=0.2, message="six ready pods off the stopped node")
        elapsed = time.monotonic() - started
        print(f"\nnode failure: Ready=Unknown after {unknown_after:.1f}s, {len(lost)} pods replaced and all "
              f"{replicas} Running after {elapsed:.1f}s (bound {bound:.0f}s)")
        assert elapsed <= bound
        assert all(is_running(p) and p["spec"]["nodeName"] != victim.node_name for p in replaced)
        taints = {t["key"] for t in api.get(f"/api/v1/nodes/{victim.node_name}").json()["spec"].get("taints", [])}
        assert "node.kubernetes.io/unreachable" in taints
    finally:
        victim.start()  # the cluster is whole again for anything that follows
