"""The why subresource on a real master: what it assembles, the reports it keeps, and its errors."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from objects.why import Countdown, RolloutReport, moment
from tests.support.cluster import Master, wait_for

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]}}},
}


def rollout_report(name: str, *, deadline_in: float) -> dict:
    report = RolloutReport(
        strategy="RollingUpdate", replicas=3, max_surge=1, max_unavailable=0, max_total=4, min_available=3,
        new_replicas=1, new_available=0, old_replicas=3, old_available=3, may_create=0, may_remove=0,
        waiting_for=["pod web-2 to become Ready"], message="maxUnavailable 0: no old pod may go yet",
        countdowns=[Countdown(name="ProgressDeadline", message="the rollout is marked failed",
                              at=moment(time.time() + deadline_in), owner="deployment-controller")])
    report.metadata.name = name
    return report.to_wire()


@pytest.fixture
def deployment(api, namespace):
    created = api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=DEPLOYMENT)
    assert created.status_code == 201, created.text
    return f"/apis/apps/v1/namespaces/{namespace}/deployments/web"


def test_a_controllers_report_is_served_with_the_seconds_left_on_its_countdowns(api, deployment):
    stored = api.put(f"{deployment}/why", json=rollout_report("web", deadline_in=60))
    assert stored.status_code == 200, stored.text

    why = api.get(f"{deployment}/why").json()

    assert (why["apiVersion"], why["kind"]) == ("tinykube.io/v1alpha1", "Why")
    assert why["subject"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                              "namespace": deployment.split("/")[5]}
    assert why["state"] == "Progressing"
    assert why["summary"] == "maxUnavailable 0: no old pod may go yet"
    assert why["rollout"]["waitingFor"] == ["pod web-2 to become Ready"]
    (countdown,) = why["countdowns"]
    assert countdown["name"] == "ProgressDeadline" and 55 < countdown["secondsLeft"] <= 60


def test_a_report_goes_with_its_object(api, namespace, deployment):
    api.put(f"{deployment}/why", json=rollout_report("web", deadline_in=60))
    assert api.delete(deployment).status_code == 200
    wait_for(lambda: api.get(deployment).status_code == 404)
    api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=DEPLOYMENT)

    why = api.get(f"{deployment}/why").json()

    assert "rollout" not in why
    assert "has not reported" in why["summary"]


def test_a_report_of_the_wrong_kind_is_refused_and_nothing_is_stored(api, deployment):
    wrong = {"apiVersion": "tinykube.io/v1alpha1", "kind": "ReplicaSetReport", "metadata": {"name": "web"},
             "replicas": 1, "current": 0, "ready": 0, "message": "x"}

    answer = api.put(f"{deployment}/why", json=wrong)

    assert answer.status_code == 400
    assert answer.json()["message"] == "the body of a PUT on deployments/why must be a RolloutReport"
    assert "rollout" not in api.get(f"{deployment}/why").json()


def test_why_of_a_missing_object_is_kubernetes_not_found(api, namespace):
    answer = api.get(f"/api/v1/namespaces/{namespace}/pods/nope/why")

    assert answer.status_code == 404
    assert answer.json()["message"] == 'pods "nope" not found'


def test_pods_take_no_report(api, namespace):
    api.post(f"/api/v1/namespaces/{namespace}/pods",
             json={"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "busybox:1.36"}]}})

    answer = api.put(f"/api/v1/namespaces/{namespace}/pods/p/why", json={"kind": "RolloutReport"})

    assert answer.status_code == 405


def test_discovery_names_the_why_kind(api):
    resources = {r["name"]: r for r in api.get("/api/v1").json()["resources"]}

    assert resources["pods/why"]["kind"] == "Why"
    assert resources["nodes/why"]["verbs"] == ["get", "update"]


def test_kubectl_reads_it_raw(kubectl, namespace):
    kubectl("create", "-n", namespace, "-f", "-", input='{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},'
            ' "spec": {"containers": [{"name": "a", "image": "busybox:1.36"}]}}')

    why = json.loads(kubectl("get", "--raw", f"/api/v1/namespaces/{namespace}/pods/p/why").stdout)

    # The session's master runs no scheduler: nobody has explained the pod yet, and the why says so.
    assert why["state"] == "Pending"
    assert why["summary"] == "waiting for the scheduler's first attempt"


# ----- with a scheduler: what it explains reaches the pod's why


@pytest.fixture(scope="module")
def scheduling_master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("why") / "data", extra_args=["--time-scale", "0.05"]).start()
    yield server
    server.stop()


def test_a_pending_pod_says_what_the_scheduler_said(scheduling_master):
    ns = f"w-{uuid.uuid4().hex[:6]}"
    with scheduling_master.client() as api:
        api.post("/api/v1/namespaces", json={"metadata": {"name": ns}})
        api.post(f"/api/v1/namespaces/{ns}/pods", json={
            "metadata": {"name": "big"},
            "spec": {"containers": [{"name": "a", "image": "busybox:1.36",
                                     "resources": {"requests": {"cpu": "64"}}}]}})

        why = wait_for(lambda: (w := api.get(f"/api/v1/namespaces/{ns}/pods/big/why").json()).get("scheduling") and w,
                       message="the scheduler's explanation in the why")

        assert why["state"] == "Pending"
        assert why["summary"].startswith(f"Unschedulable: {why['scheduling']['message']}")  # then the suggestions
        assert why["scheduling"]["result"] == "Unschedulable"
        api.delete(f"/api/v1/namespaces/{ns}")


def test_a_placed_pod_compares_its_node_with_the_runner_up_and_says_when_its_kubelet_is_away(scheduling_master):
    ns = f"w-{uuid.uuid4().hex[:6]}"
    with scheduling_master.client() as api:
        api.post("/api/v1/namespaces", json={"metadata": {"name": ns}})
        for name, cpu in ((f"{ns}-small", "1"), (f"{ns}-large", "8")):
            api.post("/api/v1/nodes", json={
                "metadata": {"name": name},
                "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
                           "conditions": [{"type": "Ready", "status": "True"}]}})
        api.post(f"/api/v1/namespaces/{ns}/pods", json={
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "busybox:1.36",
                                     "resources": {"requests": {"cpu": "500m", "memory": "64Mi"}}}]}})
        node = wait_for(lambda: api.get(f"/api/v1/namespaces/{ns}/pods/p").json()["spec"].get("nodeName"))

        why = wait_for(lambda: (w := api.get(f"/api/v1/namespaces/{ns}/pods/p/why").json()).get("placement") and w,
                       message="the placement comparison")

        placement = why["placement"]
        assert placement["node"] == node
        # The scheduler may have placed the pod before its watch showed it the second node.
        if placement.get("runnerUp") is not None:
            assert {placement["node"], placement["runnerUp"]} == {f"{ns}-small", f"{ns}-large"}
            assert placement["total"] >= placement["runnerUpTotal"]
            fit = next(p for p in placement["plugins"] if p["name"] == "NodeResourcesFit")
            assert fit["nodeScore"] >= fit["runnerUpScore"]
        # A hollow node has no kubelet: the why still answers, and says so.
        assert "kubelet endpoint" in why["kubeletError"]
        assert why["summary"].startswith(f"bound to {node}; its kubelet did not answer")
        for name in (f"{ns}-small", f"{ns}-large"):
            api.delete(f"/api/v1/nodes/{name}")
        api.delete(f"/api/v1/namespaces/{ns}")


def test_a_nodes_unknown_countdown_follows_its_lease_renewals(api, namespace):
    name = f"{namespace}-node"
    api.post("/api/v1/nodes", json={"metadata": {"name": name},
                                    "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    published = time.time() - 30
    report = {"apiVersion": "tinykube.io/v1alpha1", "kind": "NodeHealthReport", "metadata": {"name": name},
              "ready": "True", "message": "Ready: renewing its Lease", "lastHeartbeat": moment(published),
              "gracePeriodSeconds": 40.0,
              "countdowns": [{"name": "NodeUnknown", "message": "marked Unknown without a heartbeat",
                              "at": moment(published + 40), "owner": "node-lifecycle-controller"}]}
    assert api.put(f"/api/v1/nodes/{name}/why", json=report).status_code == 200
    renewed = time.time()
    api.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
             json={"metadata": {"name": name}, "spec": {"holderIdentity": name, "renewTime": moment(renewed)}})

    why = api.get(f"/api/v1/nodes/{name}/why").json()

    (countdown,) = why["countdowns"]
    assert 38 < countdown["secondsLeft"] <= 40  # from the renewal, not from the published heartbeat
    assert why["nodeHealth"]["lastHeartbeat"] == moment(renewed)
    api.delete(f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}")
    api.delete(f"/api/v1/nodes/{name}")


def test_discovery_offers_no_update_on_a_pods_why(api):
    resources = {r["name"]: r for r in api.get("/api/v1").json()["resources"]}

    assert resources["pods/why"]["verbs"] == ["get"]
