"""The DaemonSet controller against a live master (its scheduler binds the pods), with hollow nodes.

No kubelet runs: the test registers Node objects and plays their kubelet for
the pods bound to them, posting Ready through pods/status and confirming
graceful deletes with a zero-grace delete, as a kubelet does once a pod stopped.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from apiclient import ApiClient, ApiStatusError
from apiclient.events import now_rfc3339
from master.controllers.daemonset import (
    CONTROLLER_REVISION_HASH, DaemonSetController, Placement, daemon_pod_info, placement,
)
from master.scheduler.framework import NodeInfo
from objects.apps import DaemonSet
from objects.kinds import DAEMONSET, NODE, POD
from tests.support.cluster import Master, wait_for

TIME_SCALE = 0.05
TIMEOUT = 15.0


class HollowKubelets:
    """Nodes without kubelets; the test answers for them: pods become Ready, graceful deletes are confirmed."""

    def __init__(self, client: ApiClient, namespace: str, *, auto_ready: bool = True):
        self.client = client
        self.namespace = namespace
        self.auto_ready = auto_ready
        self.serving: set[str] = set()
        self.registered: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve_forever, name="hollow-kubelets", daemon=True)
        self._thread.start()

    def register(self, name: str, *, taints: list[dict[str, str]] | None = None) -> str:
        self.client.create(NODE, {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "spec": {"taints": taints} if taints else {},
            "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "lastHeartbeatTime": now_rfc3339(), "lastTransitionTime": now_rfc3339()}]},
        })
        self.registered.append(name)
        self.serving.add(name)
        return name

    def delete(self, name: str) -> None:
        """The machine is gone: its kubelet answers for nothing any more."""
        self.serving.discard(name)
        self.client.delete(NODE, name)

    def taint(self, name: str, taint: dict[str, str]) -> None:
        taints = self.client.get(NODE, name)["spec"].get("taints") or []
        # A merge patch, as kubectl taint sends: the node's status may change meanwhile.
        self.client.patch(NODE, name, {"spec": {"taints": [*taints, taint]}},
                          patch_type="application/merge-patch+json")

    def make_ready(self, pod: dict[str, Any]) -> None:
        self.client.patch(POD, pod["metadata"]["name"], {"status": {"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": now_rfc3339()}]}},
            self.namespace, subresource="status")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for name in self.registered:
            try:
                self.client.delete(NODE, name)
            except ApiStatusError:
                pass

    def _serve_forever(self) -> None:
        while not self._stop.wait(0.05):
            try:
                for pod in self.client.list(POD, self.namespace)["items"]:
                    if pod["spec"].get("nodeName") not in self.serving:
                        continue
                    if pod["metadata"].get("deletionTimestamp"):
                        self.client.delete(POD, pod["metadata"]["name"], self.namespace, grace_period_seconds=0)
                    elif self.auto_ready and not is_ready(pod):
                        self.make_ready(pod)
            except ApiStatusError:
                continue  # a pod went away under us; look again next round


def is_ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


# ----- fixtures


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("daemonset") / "data", extra_args=["--time-scale", str(TIME_SCALE)]).start()
    yield server
    server.stop()




@pytest.fixture
def hollow(client, namespace):
    kubelets = HollowKubelets(client, namespace)
    yield kubelets
    kubelets.close()


@pytest.fixture
def controller(client):
    stop = threading.Event()
    controller = DaemonSetController(client, time_scale=TIME_SCALE)
    thread = controller.start(stop)
    yield controller
    stop.set()
    thread.join(timeout=5)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def daemon_set(name: str, *, image: str = "tinykube/bootcamp:v1", strategy: str = "RollingUpdate") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}}, "updateStrategy": {"type": strategy},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "agent", "image": image}]}}},
    }


def set_image(client: ApiClient, namespace: str, name: str, image: str) -> None:
    """What `kubectl set image` sends: a patch, so a status the controller writes meanwhile is no conflict."""
    client.patch(DAEMONSET, name, {"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": image}]}}}},
                 namespace)


def live_pods(client: ApiClient, namespace: str) -> list[dict[str, Any]]:
    return [p for p in client.list(POD, namespace)["items"] if not p["metadata"].get("deletionTimestamp")]


def pods_by_node(client: ApiClient, namespace: str) -> dict[str, list[dict[str, Any]]]:
    """Bound, live pods by node name."""
    by_node: dict[str, list[dict[str, Any]]] = {}
    for pod in live_pods(client, namespace):
        if pod["spec"].get("nodeName"):
            by_node.setdefault(pod["spec"]["nodeName"], []).append(pod)
    return by_node


def wait_for_one_pod_on(client: ApiClient, namespace: str, nodes: set[str], *, ready: bool = True) -> dict[str, Any]:
    """Wait until exactly `nodes` each run one bound (and, by default, Ready) pod, and no pod is anywhere else."""
    def check():
        by_node = pods_by_node(client, namespace)
        if set(by_node) != nodes or any(len(pods) != 1 for pods in by_node.values()):
            return None
        if ready and not all(is_ready(pods[0]) for pods in by_node.values()):
            return None
        return {node: pods[0] for node, pods in by_node.items()}
    return wait_for(check, timeout=TIMEOUT, message=f"one pod on each of {sorted(nodes)}")


def ds_status(client: ApiClient, namespace: str, name: str) -> dict[str, Any]:
    return client.get(DAEMONSET, name, namespace).get("status") or {}


# ----- placement, as a pure function


def test_an_untolerated_no_schedule_taint_keeps_new_pods_off_but_lets_a_running_one_stay():
    ds = DaemonSet.model_validate({"metadata": {"name": "agent", "namespace": "default"},
                                   "spec": daemon_set("agent")["spec"]})
    node = {"metadata": {"name": "n1"}, "status": {},
            "spec": {"taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}}
    assert placement(daemon_pod_info(ds), ds, NodeInfo.from_node(node)) == Placement(should_run=False, should_continue_running=True)
    node["spec"]["taints"][0]["effect"] = "NoExecute"
    assert placement(daemon_pod_info(ds), ds, NodeInfo.from_node(node)) == Placement(should_run=False, should_continue_running=False)
    # the taints the node lifecycle controller puts on sick nodes are tolerated by every daemon pod
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
                              {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    assert placement(daemon_pod_info(ds), ds, NodeInfo.from_node(node)) == Placement(should_run=True, should_continue_running=True)


# ----- against a live master


def test_a_daemon_set_runs_one_pod_per_node_and_a_joining_node_gets_one(client, hollow, controller, namespace):
    nodes = {hollow.register(unique("node")) for _ in range(3)}
    client.create(DAEMONSET, daemon_set("agent"), namespace)

    pods = wait_for_one_pod_on(client, namespace, nodes)
    for node_name, pod in pods.items():
        assert pod["metadata"]["labels"][CONTROLLER_REVISION_HASH]
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
        term = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert term == {"nodeSelectorTerms": [{"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}
        tolerated = {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]}
        assert {("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
                ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                ("node.kubernetes.io/unschedulable", "NoSchedule")} <= tolerated
        assert not any("tolerationSeconds" in t for t in pod["spec"]["tolerations"])
    wait_for(lambda: ds_status(client, namespace, "agent") == {
        "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberMisscheduled": 0, "numberReady": 3,
        "numberAvailable": 3, "numberUnavailable": 0, "updatedNumberScheduled": 3, "observedGeneration": 1,
    }, message="the DaemonSet status to count three ready pods")

    nodes.add(hollow.register(unique("joiner")))
    wait_for_one_pod_on(client, namespace, nodes)
    wait_for(lambda: ds_status(client, namespace, "agent").get("numberAvailable") == 4, message="four available")


def test_a_node_with_an_untolerated_taint_gets_none_and_one_whose_taint_stops_being_tolerated_loses_it(
        client, hollow, controller, namespace):
    keeps, loses = hollow.register(unique("keeps")), hollow.register(unique("loses"))
    hollow.register(unique("dedicated"), taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    client.create(DAEMONSET, daemon_set("agent"), namespace)
    before = wait_for_one_pod_on(client, namespace, {keeps, loses})
    wait_for(lambda: ds_status(client, namespace, "agent").get("desiredNumberScheduled") == 2,
             message="two nodes desired")

    hollow.taint(keeps, {"key": "maintenance", "value": "soon", "effect": "NoSchedule"})
    hollow.taint(loses, {"key": "maintenance", "value": "now", "effect": "NoExecute"})

    after = wait_for_one_pod_on(client, namespace, {keeps})
    assert after[keeps]["metadata"]["uid"] == before[keeps]["metadata"]["uid"]  # NoSchedule does not evict
    wait_for(lambda: ds_status(client, namespace, "agent").get("desiredNumberScheduled") == 0,
             message="no node desired any more")


def test_the_pod_of_a_deleted_node_is_removed(client, hollow, controller, namespace):
    nodes = {hollow.register(unique("node")) for _ in range(3)}
    client.create(DAEMONSET, daemon_set("agent"), namespace)
    pods = wait_for_one_pod_on(client, namespace, nodes)

    doomed = sorted(nodes)[0]
    hollow.delete(doomed)  # no kubelet confirms anything for it from now on

    wait_for(lambda: all(p["metadata"]["uid"] != pods[doomed]["metadata"]["uid"]
                         for p in client.list(POD, namespace)["items"]),
             timeout=TIMEOUT, message="the deleted node's pod to be gone entirely")
    wait_for_one_pod_on(client, namespace, nodes - {doomed})
    wait_for(lambda: ds_status(client, namespace, "agent").get("desiredNumberScheduled") == 2, message="two desired")


def test_a_template_change_rolls_the_pods_one_node_at_a_time(client, hollow, controller, namespace):
    nodes = {hollow.register(unique("node")) for _ in range(3)}
    client.create(DAEMONSET, daemon_set("agent"), namespace)
    old = wait_for_one_pod_on(client, namespace, nodes)
    old_hash = next(iter(old.values()))["metadata"]["labels"][CONTROLLER_REVISION_HASH]
    hollow.auto_ready = False  # from now on the test says when a new pod is Ready

    set_image(client, namespace, "agent", "tinykube/bootcamp:v2")

    replaced: set[str] = set()
    for step in range(1, 4):
        def one_new_pod_waiting():
            by_node = pods_by_node(client, namespace)
            new = [(node, p) for node, pods in by_node.items() for p in pods
                   if p["metadata"]["labels"][CONTROLLER_REVISION_HASH] != old_hash and node not in replaced]
            return (new, by_node) if new else None
        new, by_node = wait_for(one_new_pod_waiting, timeout=TIMEOUT, message=f"new pod number {step}")
        assert len(new) == 1, f"step {step}: more than one node rolled at once: {[n for n, _ in new]}"
        node_name, pod = new[0]
        assert pod["spec"]["containers"][0]["image"] == "tinykube/bootcamp:v2"
        assert by_node[node_name] == [pod]  # the old pod went before the new one came
        still_old = [p for n, pods in by_node.items() if n != node_name and n not in replaced for p in pods]
        assert len(still_old) == 3 - step and all(is_ready(p) for p in still_old)
        replaced.add(node_name)
        hollow.make_ready(pod)

    wait_for(lambda: (s := ds_status(client, namespace, "agent")).get("updatedNumberScheduled") == 3
             and s.get("numberAvailable") == 3 and s.get("observedGeneration") == 2,
             message="every node updated and available")


def test_on_delete_replaces_only_the_pods_deleted_by_hand(client, hollow, controller, namespace):
    nodes = {hollow.register(unique("node")) for _ in range(2)}
    ds = daemon_set("agent", strategy="OnDelete")
    client.create(DAEMONSET, ds, namespace)
    old = wait_for_one_pod_on(client, namespace, nodes)

    set_image(client, namespace, "agent", "tinykube/bootcamp:v2")
    # once generation 2 is observed, the reconcile that saw it has already done all it would do
    wait_for(lambda: ds_status(client, namespace, "agent").get("observedGeneration") == 2, message="generation 2")
    assert {p["metadata"]["uid"] for p in wait_for_one_pod_on(client, namespace, nodes).values()} == {
        p["metadata"]["uid"] for p in old.values()}
    assert ds_status(client, namespace, "agent")["updatedNumberScheduled"] == 0

    chosen = sorted(nodes)[0]
    client.delete(POD, old[chosen]["metadata"]["name"], namespace)
    now = wait_for(lambda: (pods := wait_for_one_pod_on(client, namespace, nodes))[chosen]["metadata"]["uid"]
                   != old[chosen]["metadata"]["uid"] and pods, message="a replacement on the chosen node")
    assert now[chosen]["spec"]["containers"][0]["image"] == "tinykube/bootcamp:v2"
    other = (nodes - {chosen}).pop()
    assert now[other]["metadata"]["uid"] == old[other]["metadata"]["uid"]


def test_the_daemon_sets_why_names_the_selector_term_and_the_taint_that_keep_it_off_nodes(
        client, hollow, controller, namespace):
    ssd, hdd, tainted = unique("ssd"), unique("hdd"), unique("tainted")
    hollow.register(ssd)
    hollow.register(hdd)
    hollow.register(tainted, taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    for name, disk in ((ssd, "ssd"), (hdd, "hdd"), (tainted, "ssd")):
        client.patch(NODE, name, {"metadata": {"labels": {"disk": disk}}}, patch_type="application/merge-patch+json")
    ds = daemon_set("agent")
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    client.create(DAEMONSET, ds, namespace)
    wait_for_one_pod_on(client, namespace, {ssd})
    path = f"/apis/apps/v1/namespaces/{namespace}/daemonsets/agent/why"

    def reported():
        report = client.get_path(path).get("daemonSet") or {}
        lines = {n["node"]: n for n in report.get("nodes", [])}
        return report if lines.get(ssd, {}).get("runs") and {hdd, tainted} <= set(lines) else None

    report = wait_for(reported, timeout=TIMEOUT, message="the DaemonSet's why with its node running")
    lines = {n["node"]: n for n in report["nodes"]}
    assert lines[ssd]["reason"].startswith(f"runs pod {namespace}/agent-")
    assert lines[hdd] == {"node": hdd, "runs": False, "reason": "nodeSelector disk=ssd (node has disk=hdd)"}
    assert lines[tainted] == {"node": tainted, "runs": False,
                              "reason": "taint dedicated=db:NoSchedule is not tolerated"}
