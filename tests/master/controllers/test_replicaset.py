"""The ReplicaSet controller against a live master: pods created, replaced, adopted, released and counted.

No kubelet runs: pods stay Pending unless a test plays kubelet with `report_running`.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone

import pytest

from apiclient import ApiClient, ApiStatusError, load_kubeconfig
from apiclient.client import LOOPBACK_BASE_URL
from apiclient.kubeconfig import Connection
from master.api.app import create_app
from master.api.loopback import LoopbackTransport
from master.auth import TokenAuthenticator
from master.controllers.cache_view import PodView
from master.controllers.replicaset import ReplicaSetController, calculate_status, pods_to_delete
from master.store import ObjectKey, SqlStore
from objects.apps import ReplicaSet
from objects.kinds import NAMESPACE, POD, REPLICASET
from tests.support.cluster import wait_for
from tests.support.revision_log import revision_rows


# ----- helpers shared with the other controller tests




def start_controllers(master, *controller_types):
    """Start controllers in-process against the master; returns the event that stops them.

    They get a client of their own that is never closed: closing it under a watch
    still blocked in a read lets that read steal bytes from whatever socket
    reuses the descriptor (seen as "bad record mac" in the next test).
    """
    stop = threading.Event()
    client = ApiClient(load_kubeconfig(master.kubeconfig))
    for controller_type in controller_types:
        controller = controller_type(client)
        controller.start(stop)
        for informer in controller.informers:
            assert informer.synced.wait(10), f"{controller.name}: {informer.rt.plural} never synced"
    return stop


def report_running(client, pod, *, ready=True, phase="Running"):
    """Play kubelet: write the pod's status as a kubelet would once its containers run."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    status = "True" if ready else "False"
    containers = pod["spec"]["containers"]
    pod = {**pod, "status": {
        **(pod.get("status") or {}), "phase": phase, "startTime": now,
        "conditions": [{"type": kind, "status": status, "lastTransitionTime": now}
                       for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
        "containerStatuses": [{"name": c["name"], "image": c["image"], "imageID": "", "ready": ready,
                               "restartCount": 0, "started": ready, "state": {"running": {"startedAt": now}}}
                              for c in containers],
    }}
    try:
        return client.update(POD, pod, subresource="status")
    except ApiStatusError as error:
        if error.code in (404, 409):  # deleted or changed meanwhile; the caller polls again
            return None
        raise


def active_pods(client, namespace, selector=""):
    pods = client.list(POD, namespace, label_selector=selector)["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")
            and p["status"].get("phase") not in ("Succeeded", "Failed")]


def is_ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def template(app, image="tinykube/bootcamp:v1"):
    return {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "app", "image": image}]}}


def replica_set(name, replicas, **spec):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template(name),
                     **spec}}


# ----- fixtures


@pytest.fixture
def controller(master):
    stop = start_controllers(master, ReplicaSetController)
    yield
    stop.set()


def get_rs(client, namespace, name):
    return client.get(REPLICASET, name, namespace)


def scale(client, namespace, name, replicas):
    client.patch(REPLICASET, name, {"spec": {"replicas": replicas}}, namespace,
                 patch_type="application/merge-patch+json")


# ----- tests


def test_a_replica_set_creates_its_pods_named_after_it_and_controlled_by_it(client, namespace, controller):
    rs = client.create(REPLICASET, replica_set("web", 3), namespace)

    pods = wait_for(lambda: len(p := active_pods(client, namespace, "app=web")) == 3 and p, message="3 pods")
    for pod in pods:
        assert pod["metadata"]["name"].startswith("web-") and len(pod["metadata"]["name"]) == len("web-") + 5
        assert pod["metadata"]["ownerReferences"] == [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": rs["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}]
    status = wait_for(lambda: (s := get_rs(client, namespace, "web")["status"]).get("replicas") == 3 and s)
    assert status["fullyLabeledReplicas"] == 3 and status["observedGeneration"] == 1
    assert not status.get("readyReplicas")


def test_deleted_and_failed_pods_are_replaced(client, namespace, controller):
    client.create(REPLICASET, replica_set("web", 3), namespace)
    pods = wait_for(lambda: len(p := active_pods(client, namespace, "app=web")) == 3 and p)
    doomed, failed = pods[0]["metadata"]["name"], pods[1]["metadata"]["name"]

    client.delete(POD, doomed, namespace)
    report_running(client, pods[1], ready=False, phase="Failed")

    replaced = wait_for(lambda: len(p := active_pods(client, namespace, "app=web")) == 3 and p,
                        message="replacements")
    assert {doomed, failed}.isdisjoint(p["metadata"]["name"] for p in replaced)
    wait_for(lambda: get_rs(client, namespace, "web")["status"].get("replicas") == 3)


def test_ready_and_available_counts_follow_the_pods_and_min_ready_seconds(client, namespace, controller):
    client.create(REPLICASET, replica_set("web", 2, minReadySeconds=2), namespace)
    for pod in wait_for(lambda: len(p := active_pods(client, namespace, "app=web")) == 2 and p):
        report_running(client, pod)

    status = wait_for(lambda: (s := get_rs(client, namespace, "web")["status"]).get("readyReplicas") == 2 and s)
    assert not status.get("availableReplicas")  # ready, but not yet for minReadySeconds
    wait_for(lambda: get_rs(client, namespace, "web")["status"].get("availableReplicas") == 2, timeout=8,
             message="available after minReadySeconds")


def test_scaling_down_deletes_the_pods_that_are_not_ready_first(client, namespace, controller):
    client.create(REPLICASET, replica_set("web", 3), namespace)
    pods = wait_for(lambda: len(p := active_pods(client, namespace, "app=web")) == 3 and p)
    for pod in pods[:2]:
        report_running(client, pod)
    wait_for(lambda: get_rs(client, namespace, "web")["status"].get("readyReplicas") == 2)

    scale(client, namespace, "web", 2)

    left = wait_for(lambda: len(p := active_pods(client, namespace, "app=web")) == 2 and p)
    assert all(is_ready(p) for p in left)
    wait_for(lambda: get_rs(client, namespace, "web")["status"].get("replicas") == 2)


def test_a_matching_orphan_is_adopted_and_a_pod_that_stops_matching_is_released(client, namespace, controller):
    orphan = client.create(POD, {"metadata": {"name": "orphan", "labels": {"app": "web"}},
                                 "spec": template("web")["spec"]}, namespace)
    # The controller watches pods and replica sets on two streams, in no order between them: it may
    # create two pods before it sees the orphan, and then delete the newest of three. Timestamps have
    # seconds, so once the clock has passed the orphan's second, the orphan is never the newest.
    born = orphan["metadata"]["creationTimestamp"]
    wait_for(lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") > born, timeout=3)
    rs = client.create(REPLICASET, replica_set("web", 2), namespace)

    def owned_by_rs(pod):
        return any(ref["uid"] == rs["metadata"]["uid"] for ref in pod["metadata"].get("ownerReferences") or [])

    pods = wait_for(lambda: len(p := active_pods(client, namespace, "app=web")) == 2 and all(map(owned_by_rs, p))
                    and p, message="two pods, both the replica set's")
    adopted = client.get(POD, "orphan", namespace)
    assert adopted["metadata"]["uid"] == orphan["metadata"]["uid"]
    assert adopted["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]

    client.patch(POD, "orphan", {"metadata": {"labels": {"app": "elsewhere"}}}, namespace)

    wait_for(lambda: not client.get(POD, "orphan", namespace)["metadata"].get("ownerReferences"), message="release")
    replaced = wait_for(lambda: len(p := active_pods(client, namespace, "app=web")) == 2 and p)
    assert "orphan" not in {p["metadata"]["name"] for p in replaced}
    assert len(pods) == 2


def test_a_failed_create_becomes_a_replica_failure_condition():
    rs = ReplicaSet.model_validate(replica_set("web", 2))
    rs.metadata.generation = 1
    status = calculate_status(rs, [], ApiStatusError(403, "Forbidden", "exceeded quota"))
    assert status.to_wire()["conditions"][0] | {"lastTransitionTime": None} == {
        "type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "exceeded quota",
        "lastTransitionTime": None}
    assert status.observed_generation == 1 and status.replicas == 0
    assert calculate_status(rs.model_copy(update={"status": status}), [], None).conditions is None


def test_unscheduled_pods_go_before_scheduled_ones_and_newer_before_older():
    def pod(name, node="", created="2024-01-01T00:00:00Z"):
        return PodView({"metadata": {"name": name, "creationTimestamp": created},
                        "spec": {"nodeName": node} if node else {}, "status": {"phase": "Pending"}})

    pods = [pod("old-bound", "n1"), pod("new-bound", "n2", "2024-01-02T00:00:00Z"), pod("unbound")]
    assert [p.name for p in pods_to_delete(pods, 2)] == ["unbound", "new-bound"]


def test_a_replica_set_whose_namespace_is_terminating_records_no_failed_create(tmp_path):
    """Its pods are refused with a NamespaceTerminating cause: that is the namespace going away, not a failure.

    Over HTTPS a namespace is Terminating only while its delete request runs, so this test serves the
    app in process and holds the namespace there through the store.
    """
    store = SqlStore(f"sqlite:///{tmp_path / 'tinykube.db'}")
    app = create_app(store=store, authenticator=TokenAuthenticator(admin_token="admin-token", node_token="node-token"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    client = ApiClient(Connection(LOOPBACK_BASE_URL, None, "admin-token"), transport=LoopbackTransport(app, loop))
    stop = threading.Event()
    try:
        client.create(NAMESPACE, {"metadata": {"name": "going"}})
        client.create(REPLICASET, replica_set("web", 0), "going")

        def mark_terminating(ns):
            ns["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
            ns["status"] = {"phase": "Terminating"}
            return ns
        store.guaranteed_update(ObjectKey("namespaces", "", "going"), mark_terminating)
        controller = ReplicaSetController(client)
        controller.start(stop)
        for informer in controller.informers:
            assert informer.synced.wait(10)

        scale(client, "going", "web", 2)

        status = wait_for(lambda: (s := get_rs(client, "going", "web")["status"]).get("observedGeneration") == 2 and s,
                          message="the replica set synced at generation 2")
        assert "conditions" not in status
        assert client.list(POD, "going")["items"] == []
    finally:
        stop.set()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        store.close()


def test_a_replica_set_whose_pods_are_refused_names_the_refusal_on_its_why(client, namespace, controller):
    # Kubernetes admits an image with surrounding whitespace in a template, and refuses it in a pod.
    rs = replica_set("web", 2)
    rs["spec"]["template"]["spec"]["containers"][0]["image"] = " tinykube/bootcamp:v1"
    client.create(REPLICASET, rs, namespace)
    path = f"/apis/apps/v1/namespaces/{namespace}/replicasets/web/why"

    report = wait_for(lambda: (r := client.get_path(path).get("replicaSet") or {}).get("failedCreates") and r,
                      message="a FailedCreate on the ReplicaSet's why")

    [refusal] = report["failedCreates"]
    assert refusal.startswith("Error creating: ") and "must not have leading or trailing whitespace" in refusal
    assert (report["replicas"], report["current"]) == (2, 0)
    assert report["message"].startswith("short of 2: its last create was refused")

    client.patch(REPLICASET, "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "tinykube/bootcamp:v1"}]}}}}, namespace)
    fixed = wait_for(lambda: (r := client.get_path(path).get("replicaSet") or {}).get("current") == 2 and r,
                     timeout=15, message="the pods created once the image is fixed")
    assert fixed["failedCreates"] == [] and fixed["message"] == "2 of 2 pods, 0 Ready"


def test_a_replacement_pod_reacts_to_the_deletion_that_queued_its_replica_set(master, client, namespace, controller):
    rs = client.create(REPLICASET, replica_set("web", 1), namespace)
    [first] = wait_for(lambda: active_pods(client, namespace, "app=web"), message="the first pod")
    client.delete(POD, first["metadata"]["name"], namespace)
    [replacement] = wait_for(lambda: (p := active_pods(client, namespace, "app=web")) and
                             p[0]["metadata"]["name"] != first["metadata"]["name"] and p, message="a replacement")

    def row_of(name, event):
        return next(r for r in revision_rows(master.data_dir, resource="pods", namespace=namespace, name=name)
                    if r.event == event)

    assert row_of(first["metadata"]["name"], "ADDED").cause == int(rs["metadata"]["resourceVersion"])
    # an unbound pod goes at once: its DELETED revision is what the controller saw
    deleted = row_of(first["metadata"]["name"], "DELETED")
    assert row_of(replacement["metadata"]["name"], "ADDED").cause == deleted.revision
