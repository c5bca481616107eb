"""Workloads explain themselves: a master with every controller and two real kubelets, time scale 0.1,
the why read with the real kubectl (`kubectl get --raw .../why`).

- a rollout with maxUnavailable 0 held by a new pod that never gets Ready: the Deployment's why gives
  the fence arithmetic, the pod it waits for, and a progress deadline countdown that matches the moment
  the controller marks ProgressDeadlineExceeded;
- a ReplicaSet whose pods the API server refuses: its why names the refusal;
- a DaemonSet kept off a tainted node: its why names the taint.

One cluster serves the module; each test removes its workloads afterwards.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from objects.why import epoch_of
from tests.support.cluster import Kubectl, Kubelet, Master, live_cluster, wait_for

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

TIME_SCALE = 0.1
PODS = "/api/v1/namespaces/default/pods"
WHY = "/apis/apps/v1/namespaces/default/{plural}/{name}/why"
BUSYBOX = "tinykube/busybox:test"


@dataclass
class Cluster:
    master: Master
    kubelets: list[Kubelet]
    kubectl: Kubectl


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("why-workloads")
    with live_cluster(root, nodes=2, time_scale=TIME_SCALE, master_args=["--controllers=*"]) as (master, kubelets):
        yield Cluster(master, kubelets, Kubectl(master.kubeconfig, root / "kube-cache"))


@pytest.fixture
def api(cluster):
    with cluster.master.client() as client:
        yield client


@pytest.fixture(autouse=True)
def remove_workloads(cluster, api):
    yield
    cluster.kubectl("delete", "deployments,daemonsets,replicasets,pods", "--all", "--wait=false", timeout=60)
    wait_for(lambda: api.get(PODS).json()["items"] == [], timeout=60, message="every pod removed")


def why(cluster: Cluster, plural: str, name: str) -> dict[str, Any]:
    return json.loads(cluster.kubectl("get", "--raw", WHY.format(plural=plural, name=name)).stdout)


def pods_of(api: httpx.Client, app: str) -> list[dict[str, Any]]:
    return api.get(PODS, params={"labelSelector": f"app={app}"}).json()["items"]


def sleeper(app: str, **container: Any) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"terminationGracePeriodSeconds": 0,
                     "containers": [{"name": app, "image": BUSYBOX, "command": ["sleep", "3600"], **container}]}}


def is_ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


# ----- Deployment


def deployment(*, readiness: dict[str, Any] | None = None) -> str:
    container = {"readinessProbe": readiness} if readiness else {}
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "progressDeadlineSeconds": 8, "selector": {"matchLabels": {"app": "web"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                 "template": sleeper("web", **container)},
    })


def test_a_rollout_held_by_a_new_pod_that_is_not_ready_explains_its_arithmetic_and_its_deadline(cluster, api):
    cluster.kubectl("apply", "-f", "-", input=deployment())
    cluster.kubectl("rollout", "status", "deployment/web", "--timeout=40s", timeout=50)
    never_ready = {"exec": {"command": ["cat", "/tmp/never"]}, "periodSeconds": 1}
    cluster.kubectl("apply", "-f", "-", input=deployment(readiness=never_ready))

    def held():
        new = [p for p in pods_of(api, "web") if p["spec"]["containers"][0].get("readinessProbe")]
        rollout = why(cluster, "deployments", "web").get("rollout") or {}
        if len(new) == 1 and new[0].get("status", {}).get("phase") == "Running" and rollout.get("waitingFor") \
                and rollout.get("oldAvailable") == 2:
            return new[0], rollout
        return None

    new_pod, rollout = wait_for(held, timeout=30, message="the rollout held by its new, running, unready pod")

    assert not is_ready(new_pod)
    assert (rollout["strategy"], rollout["replicas"], rollout["maxSurge"], rollout["maxUnavailable"]) == \
        ("RollingUpdate", 2, 1, 0)
    assert (rollout["maxTotal"], rollout["minAvailable"]) == (3, 2)
    assert (rollout["newReplicas"], rollout["newAvailable"], rollout["oldReplicas"]) == (1, 0, 2)
    assert (rollout["mayCreate"], rollout["mayRemove"], rollout["complete"]) == (0, 0, False)
    assert rollout["message"] == ("maxSurge 1, maxUnavailable 0: at most 3 pods and at least 2 available; "
                                  "2 old available + 0 new available = 2, so no old pod may go until a new one is "
                                  "available")
    assert rollout["waitingFor"] == [f"pod default/{new_pod['metadata']['name']} to become Ready"]
    [deadline] = rollout["countdowns"]
    assert (deadline["name"], deadline["owner"]) == ("ProgressDeadline", "deployment-controller")
    answer = why(cluster, "deployments", "web")
    assert answer["state"] == "Progressing" and answer["summary"] == rollout["message"]

    # The countdown is the controller's own timer: the rollout is marked when it runs out.
    def timed_out():
        status = api.get("/apis/apps/v1/namespaces/default/deployments/web").json()["status"]
        return any(c["type"] == "Progressing" and c["reason"] == "ProgressDeadlineExceeded"
                   for c in status.get("conditions", []))

    wait_for(timed_out, timeout=20, interval=0.05, message="ProgressDeadlineExceeded")
    marked_at = time.time()
    print(f"\nprogress deadline: marked {marked_at - epoch_of(deadline['at']):+.2f}s from the countdown's moment")
    assert -0.2 <= marked_at - epoch_of(deadline["at"]) <= 1.0
    after = why(cluster, "deployments", "web")
    assert after["state"] == "ProgressDeadlineExceeded"
    assert after["rollout"]["message"].endswith("is marked ProgressDeadlineExceeded")
    assert not after["rollout"].get("countdowns")


# ----- ReplicaSet


def refusals(api: httpx.Client, name: str) -> int:
    """How many creates the ReplicaSet was refused, by its FailedCreate events (counted as they repeat)."""
    events = api.get("/api/v1/namespaces/default/events").json()["items"]
    return sum(e.get("count") or 1 for e in events
               if e["reason"] == "FailedCreate" and e["involvedObject"]["name"] == name)


def test_a_replica_set_whose_pods_are_refused_names_the_refusal(cluster, api):
    # Kubernetes admits an image with surrounding whitespace in a template, and refuses it in a pod.
    template = sleeper("refused")
    template["spec"]["containers"][0]["image"] = f" {BUSYBOX}"
    cluster.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "refused"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "refused"}}, "template": template}}))

    wait_for(lambda: refusals(api, "refused") >= 3, timeout=15, message="three refused creates")
    answer = wait_for(lambda: (w := why(cluster, "replicasets", "refused")).get("replicaSet", {}).get("failedCreates")
                      and w, timeout=15, message="a refused create on the ReplicaSet's why")

    report = answer["replicaSet"]
    assert (report["replicas"], report["current"], report["ready"]) == (2, 0, 0)
    # Every retry is refused for a pod of another generated name: the same refusal, listed once.
    assert len(report["failedCreates"]) == 1, report["failedCreates"]
    [refusal] = report["failedCreates"]
    assert "must not have leading or trailing whitespace" in refusal
    assert answer["state"] == "Short"
    assert answer["summary"].startswith("short of 2: its last create was refused (Error creating: ")


# ----- DaemonSet


def test_a_daemon_set_kept_off_a_tainted_node_names_the_taint(cluster, api):
    plain, tainted = (k.node_name for k in cluster.kubelets)
    cluster.kubectl("taint", "nodes", tainted, "dedicated=db:NoSchedule")
    try:
        cluster.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": sleeper("agent")}}))

        def running_on_plain():
            answer = why(cluster, "daemonsets", "agent")
            lines = {n["node"]: n for n in (answer.get("daemonSet") or {}).get("nodes", [])}
            return answer if lines.get(plain, {}).get("runs") and tainted in lines else None

        answer = wait_for(running_on_plain, timeout=30, message="the daemon running on the untainted node")
        lines = {n["node"]: n for n in answer["daemonSet"]["nodes"]}
        [pod] = pods_of(api, "agent")
        assert lines[plain]["reason"] == f"runs pod default/{pod['metadata']['name']}"
        assert lines[tainted] == {"node": tainted, "runs": False,
                                  "reason": "taint dedicated=db:NoSchedule is not tolerated"}
        assert answer["summary"] == (f"runs on 1 of 2 nodes; not on {tainted}: "
                                     "taint dedicated=db:NoSchedule is not tolerated")
    finally:
        cluster.kubectl("taint", "nodes", tainted, "dedicated=db:NoSchedule-")
