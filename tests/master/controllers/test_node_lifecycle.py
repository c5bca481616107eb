"""The node lifecycle controller against a live master, with hollow nodes whose heartbeats the test controls.

No kubelet runs: the test registers Node objects, renews their Leases in
kube-node-lease as a kubelet would (or stops, to play a node that vanished),
and posts their Ready condition itself.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import pytest

from apiclient import ApiClient, ApiStatusError, load_kubeconfig
from apiclient.events import now_rfc3339
from apiclient.informer import Informer
from master.controllers.node_lifecycle import (
    DEFAULT_TOLERATION_SECONDS, NodeLifecycleController, effective_tolerations, toleration_wait,
)
from master.scheduler.framework import Taint
from objects.kinds import EVENT, LEASE, NODE, POD
from objects.pod import Toleration as PodToleration
from objects.why import NodeHealthReport, Why, epoch_of
from tests.support.cluster import Master, wait_for
from tests.support.revision_log import revision_rows

TIME_SCALE = 0.05
GRACE_SECONDS = 40 * TIME_SCALE
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"


class HollowNodes:
    """Nodes with no kubelet behind them: registered, kept alive (Lease renewals) and reported on by the test."""

    def __init__(self, client: ApiClient, *, renew_every: float):
        self.client = client
        self.renew_every = renew_every
        self.names: list[str] = []
        self.alive: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_forever, name="hollow-leases", daemon=True)
        self._thread.start()

    def register(self, name: str) -> None:
        self.client.create(NODE, {
            "apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "conditions": kubelet_conditions("True")},
        })
        self.names.append(name)
        self.renew(name)
        self.alive.add(name)

    def silence(self, name: str) -> None:
        self.alive.discard(name)

    def resume(self, name: str) -> None:
        """The kubelet is back: it renews its Lease and posts its conditions again."""
        self.renew(name)
        self.alive.add(name)
        self.post_ready(name, "True")

    def post_ready(self, name: str, status: str) -> None:
        self.client.patch(NODE, name, {"status": {"conditions": kubelet_conditions(status)}},
                          patch_type="application/merge-patch+json", subresource="status")

    def renew(self, name: str) -> None:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        try:
            lease = self.client.get(LEASE, name, "kube-node-lease")
        except ApiStatusError as error:
            if error.code != 404:
                raise
            self.client.create(LEASE, {
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": "kube-node-lease"},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": now, "acquireTime": now},
            }, "kube-node-lease")
            return
        lease["spec"]["renewTime"] = now
        self.client.update(LEASE, lease)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for name in self.names:
            for rt, namespace in ((NODE, None), (LEASE, "kube-node-lease")):
                try:
                    self.client.delete(rt, name, namespace)
                except ApiStatusError:
                    pass

    def _renew_forever(self) -> None:
        while not self._stop.wait(self.renew_every):
            for name in list(self.alive):
                try:
                    self.renew(name)
                except ApiStatusError:
                    pass


def kubelet_conditions(ready: str) -> list[dict[str, str]]:
    now = now_rfc3339()
    pressure = [("MemoryPressure", "KubeletHasSufficientMemory"), ("DiskPressure", "KubeletHasNoDiskPressure"),
                ("PIDPressure", "KubeletHasSufficientPID")]
    ready_reason = "KubeletReady" if ready == "True" else "KubeletNotReady"
    return [
        *({"type": t, "status": "False", "reason": r, "lastHeartbeatTime": now, "lastTransitionTime": now}
          for t, r in pressure),
        {"type": "Ready", "status": ready, "reason": ready_reason, "lastHeartbeatTime": now, "lastTransitionTime": now},
    ]


# ----- fixtures


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("node-lifecycle") / "data",
                    extra_args=["--time-scale", str(TIME_SCALE)]).start()
    yield server
    server.stop()




@pytest.fixture
def hollow(client):
    nodes = HollowNodes(client, renew_every=10 * TIME_SCALE)
    yield nodes
    nodes.close()


@pytest.fixture
def controller(client):
    stop = threading.Event()
    controller = NodeLifecycleController(client, time_scale=TIME_SCALE)
    thread = controller.start(stop)
    yield controller
    stop.set()
    thread.join(timeout=5)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def node(client: ApiClient, name: str) -> dict[str, Any]:
    return client.get(NODE, name)


def wait_for_node(client: ApiClient, name: str, claim, *, timeout: float = 10.0, message: str) -> dict[str, Any]:
    """Poll the node until `claim(node)` holds, and return it as it was then."""
    def check():
        current = node(client, name)
        return current if claim(current) else None
    return wait_for(check, timeout=timeout, message=message)


def conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def taints(obj: dict[str, Any]) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in (obj.get("spec") or {}).get("taints") or []}


def create_pod(client: ApiClient, namespace: str, name: str, node_name: str,
               tolerations: list[dict[str, Any]] | None = None, *, controller: str = "") -> dict[str, Any]:
    """`controller`: "Kind/name" for a controller ownerReference (no such object needs to exist here)."""
    owners = [{"apiVersion": "apps/v1", "kind": controller.split("/")[0], "name": controller.split("/")[1],
               "uid": str(uuid.uuid4()), "controller": True}] if controller else []
    return client.create(POD, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "ownerReferences": owners},
        "spec": {"nodeName": node_name, "containers": [{"name": "app", "image": "tinykube/bootcamp:v1"}],
                 "tolerations": tolerations or []},
    }, namespace)


def pod_exists(client: ApiClient, namespace: str, name: str) -> bool:
    try:
        client.get(POD, name, namespace)
    except ApiStatusError as error:
        if error.code == 404:
            return False
        raise
    return True


def events_for(client: ApiClient, namespace: str, name: str, reason: str) -> list[dict[str, Any]]:
    return [e for e in client.list(EVENT, namespace)["items"]
            if e["involvedObject"]["name"] == name and e["reason"] == reason]


# ----- the decisions, as pure functions


def test_a_pod_without_its_own_toleration_waits_the_default_300_seconds():
    assert toleration_wait([Taint(UNREACHABLE, "", "NoExecute")], effective_tolerations([])) == 300


def test_a_toleration_without_seconds_tolerates_forever_and_the_shortest_seconds_win():
    forever = PodToleration(key=UNREACHABLE, operator="Exists", effect="NoExecute")
    brief = PodToleration(key=NOT_READY, operator="Exists", effect="NoExecute", toleration_seconds=20)
    both = [Taint(UNREACHABLE, "", "NoExecute"), Taint(NOT_READY, "", "NoExecute")]
    assert toleration_wait(both[:1], effective_tolerations([forever])) is None
    assert toleration_wait(both, effective_tolerations([forever, brief])) == 20
    assert DEFAULT_TOLERATION_SECONDS == 300


def test_a_no_execute_taint_the_pod_does_not_tolerate_evicts_it_at_once():
    assert toleration_wait([Taint("dedicated", "db", "NoExecute")], effective_tolerations([])) == 0


# ----- against a live master


def test_a_node_whose_lease_stops_goes_unknown_with_unreachable_taints_and_a_node_not_ready_event(
        client, hollow, controller):
    silent, live = unique("silent"), unique("live")
    hollow.register(silent)
    hollow.register(live)
    hollow.silence(silent)

    gone = wait_for_node(client, silent, lambda n: conditions(n)["Ready"]["status"] == "Unknown",
                         timeout=GRACE_SECONDS + 10, message=f"{silent} Ready=Unknown")
    for type_ in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        condition = conditions(gone)[type_]
        assert (condition["status"], condition["reason"], condition["message"]) == (
            "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    tainted = wait_for_node(client, silent, lambda n: (UNREACHABLE, "NoExecute") in taints(n),
                            message="the unreachable taints")
    assert taints(tainted) == {(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")}
    no_execute = next(t for t in tainted["spec"]["taints"] if t["effect"] == "NoExecute")
    assert no_execute.get("timeAdded")
    wait_for(lambda: events_for(client, "default", silent, "NodeNotReady"), message="a NodeNotReady event")

    # the node that kept renewing its Lease was left alone all along
    still = node(client, live)
    assert conditions(still)["Ready"]["status"] == "True" and not taints(still)


def test_pods_that_do_not_tolerate_unreachable_are_evicted_after_300_scaled_seconds_and_tolerating_pods_stay(
        client, hollow, controller, namespace):
    lost, live = unique("lost"), unique("live")
    hollow.register(lost)
    hollow.register(live)
    forever = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"},
               {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute"}]
    brief = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}]
    create_pod(client, namespace, "plain", lost)
    create_pod(client, namespace, "brief", lost, brief)
    create_pod(client, namespace, "daemon", lost, forever)
    create_pod(client, namespace, "elsewhere", live)
    client.patch(POD, "daemon", {"status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True", "lastTransitionTime": now_rfc3339()}]}}, namespace, subresource="status")
    deleted: dict[str, dict[str, Any]] = {}
    stop = threading.Event()
    watcher = Informer(client, POD, namespace=namespace,
                       on_delete=lambda pod: deleted.setdefault(pod["metadata"]["name"], pod))
    watcher.start(stop)
    watcher.synced.wait(10)

    try:
        hollow.silence(lost)
        wait_for(lambda: (UNREACHABLE, "NoExecute") in taints(node(client, lost)), timeout=GRACE_SECONDS + 10,
                 message="the unreachable NoExecute taint")
        tainted_at = time.monotonic()

        wait_for(lambda: "brief" in deleted, timeout=10, message="the pod tolerating 60s to go")
        assert time.monotonic() - tainted_at >= 0.8 * 60 * TIME_SCALE
        assert pod_exists(client, namespace, "plain")  # 300 (scaled) seconds are not over yet

        wait_for(lambda: "plain" in deleted, timeout=300 * TIME_SCALE + 10, message="the pod without tolerations to go")
        assert time.monotonic() - tainted_at >= 0.8 * 300 * TIME_SCALE
        evicted = deleted["plain"]
        assert evicted["status"]["reason"] == "NodeLost"
        disruption = conditions(evicted)["DisruptionTarget"]
        assert (disruption["status"], disruption["reason"]) == ("True", "DeletionByTaintManager")
        assert not pod_exists(client, namespace, "plain")  # deleted outright: no kubelet would confirm
        for name in ("plain", "brief"):
            wait_for(lambda: events_for(client, namespace, name, "TaintManagerEviction"),
                     message=f"a TaintManagerEviction event for {name}")

        daemon = client.get(POD, "daemon", namespace)
        assert not daemon["metadata"].get("deletionTimestamp")
        assert conditions(daemon)["Ready"]["status"] == "False"  # its node vouches for it no more
        assert pod_exists(client, namespace, "elsewhere")
    finally:
        stop.set()


def test_the_taints_are_removed_when_the_lease_resumes_and_the_node_reports_ready(client, hollow, controller):
    name = unique("flaky")
    hollow.register(name)
    hollow.silence(name)
    wait_for(lambda: (UNREACHABLE, "NoExecute") in taints(node(client, name)), timeout=GRACE_SECONDS + 10,
             message="the unreachable taints")

    hollow.resume(name)
    back = wait_for_node(client, name, lambda n: not taints(n), message="the taints to go")
    assert conditions(back)["Ready"]["status"] == "True"


def test_a_node_reporting_ready_false_gets_the_not_ready_taints(client, hollow, controller):
    name = unique("sick")
    hollow.register(name)
    hollow.post_ready(name, "False")

    sick = wait_for_node(client, name, lambda n: bool(taints(n)), message="the not-ready taints")
    assert taints(sick) == {(NOT_READY, "NoExecute"), (NOT_READY, "NoSchedule")}
    assert conditions(sick)["Ready"]["status"] == "False"  # its Lease is fresh: the kubelet's word stands


# ----- its why report


def node_health(client: ApiClient, name: str) -> NodeHealthReport | None:
    """The node's why as the API answers it: the controller's report, with the seconds left filled in."""
    return Why.model_validate(client.get(NODE, name, subresource="why")).node_health


def test_a_ready_node_is_reported_once_and_its_unknown_countdown_follows_the_lease(
        client, hollow, controller):
    name = unique("steady")
    hollow.register(name)
    first = wait_for(lambda: node_health(client, name), message="the controller's first report")
    assert (first.ready, first.message, first.grace_period_seconds) == ("True", "Ready: renewing its Lease",
                                                                       GRACE_SECONDS)
    [countdown] = first.countdowns
    assert countdown.name == "NodeUnknown" and countdown.owner == "node-lifecycle-controller"
    assert abs(epoch_of(countdown.at) - (epoch_of(first.last_heartbeat) + GRACE_SECONDS)) < 0.5

    renewed = {client.get(LEASE, name, "kube-node-lease")["spec"]["renewTime"]}
    wait_for(lambda: renewed.add(client.get(LEASE, name, "kube-node-lease")["spec"]["renewTime"]) or len(renewed) >= 3,
             message="two more Lease renewals")
    # a write per heartbeat is what the report avoids: the stored report is the first one still, and
    # the answer moves its heartbeat and countdown to the Lease's latest renewal instead
    later = node_health(client, name)
    assert later.metadata.resource_version == first.metadata.resource_version
    assert epoch_of(later.last_heartbeat) > epoch_of(first.last_heartbeat)
    assert abs(epoch_of(later.countdowns[0].at) - (epoch_of(later.last_heartbeat) + GRACE_SECONDS)) < 0.01


def test_a_silent_node_reports_its_taints_and_each_pods_eviction_countdown_which_the_eviction_keeps(
        client, hollow, controller, namespace):
    name = unique("lost")
    hollow.register(name)
    forever = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}]

    def tolerating(seconds: int) -> list[dict[str, Any]]:
        return [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}]

    create_pod(client, namespace, "web-1", name, tolerating(40), controller="ReplicaSet/web-5d8f")
    create_pod(client, namespace, "solo", name, tolerating(60))
    create_pod(client, namespace, "agent", name, forever, controller="DaemonSet/agent")
    deleted_at: dict[str, float] = {}
    stop = threading.Event()
    watcher = Informer(client, POD, namespace=namespace,
                       on_delete=lambda pod: deleted_at.setdefault(pod["metadata"]["name"], time.time()))
    watcher.start(stop)
    watcher.synced.wait(10)
    wait_for(lambda: node_health(client, name), message="the controller's first report")

    try:
        hollow.silence(name)
        report = wait_for(lambda: (lambda r: r if r and r.ready == "Unknown" and len(r.pods) == 3 else None)(
            node_health(client, name)), timeout=GRACE_SECONDS + 10, message="a report of the node Unknown")
        assert report.message.startswith("no heartbeat since ")
        assert report.message.endswith(f"; Unknown after a {GRACE_SECONDS:.1f} s grace period")
        assert report.countdowns == [] and report.not_ready_since
        assert {(t.key, t.effect) for t in report.taints} == {(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")}
        assert next(t for t in report.taints if t.effect == "NoExecute").time_added

        pods = {p.name: p for p in report.pods}
        assert (pods["web-1"].toleration_seconds, pods["solo"].toleration_seconds, pods["agent"].toleration_seconds) \
            == (40 * TIME_SCALE, 60 * TIME_SCALE, None)
        assert pods["web-1"].replaced_by == "ReplicaSet " + namespace + "/web-5d8f creates a replacement"
        assert pods["solo"].replaced_by == "nothing: the pod has no controller"
        assert pods["agent"].replaced_by.startswith("DaemonSet " + namespace + "/agent does not replace it")
        assert pods["agent"].countdowns == []

        wait_for(lambda: {"web-1", "solo"} <= deleted_at.keys(), timeout=10, message="both evictions")
        for pod in ("web-1", "solo"):
            [eviction] = pods[pod].countdowns
            assert eviction.name == "Eviction" and eviction.owner == "node-lifecycle-controller"
            late = deleted_at[pod] - epoch_of(eviction.at)
            assert -0.05 < late < 1.0, f"{pod} evicted {late:+.3f}s from its countdown"
        assert "agent" not in deleted_at

        # the evicted pods leave the report; the one that stays is still listed
        wait_for(lambda: [p.name for p in node_health(client, name).pods] == ["agent"],
                 message="a report without the evicted pods")
    finally:
        stop.set()


# ----- what its writes react to (the revision log)


@contextmanager
def named_controller_running(master) -> Iterator[None]:
    """A controller with its own client, named as the master names it, so the log tells its writes apart."""
    client = ApiClient(load_kubeconfig(master.kubeconfig), user_agent="tinykube-controller/node-lifecycle")
    stop = threading.Event()
    thread = NodeLifecycleController(client, time_scale=TIME_SCALE).start(stop)
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        client.close()


@pytest.fixture
def named_controller(master):
    with named_controller_running(master):
        yield


def test_a_lost_node_chains_its_last_lease_the_unknown_mark_the_taint_and_the_eviction(
        master, client, hollow, named_controller, namespace):
    name = unique("traced")
    hollow.register(name)
    at_once = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 0}]
    create_pod(client, namespace, "web-1", name, at_once)
    hollow.silence(name)
    wait_for(lambda: not pod_exists(client, namespace, "web-1"), timeout=GRACE_SECONDS + 10, message="the eviction")

    rows = revision_rows(master.data_dir)
    mine = [row for row in rows if row.component == "controller/node-lifecycle"]
    unknown = next(row for row in mine if row.resource == "nodes" and row.name == name
                   and row.subresource == "status" and conditions(row.object)["Ready"]["status"] == "Unknown")
    last_lease = max(row.revision for row in rows if row.resource.startswith("leases") and row.name == name
                     and row.revision < unknown.revision)
    assert unknown.cause == last_lease  # what went silent: the last renewal it saw
    taint = next(row for row in mine if row.resource == "nodes" and row.name == name and not row.subresource
                 and (UNREACHABLE, "NoExecute") in taints(row.object))
    assert taint.cause == unknown.revision
    evictions = [row for row in mine if row.resource == "pods" and row.name == "web-1"]
    assert {row.verb for row in evictions} >= {"delete"} and len(evictions) == 2  # DisruptionTarget, then delete
    assert {row.cause for row in evictions} == {taint.revision}


DRAIN = [{"key": "example.com/drain", "value": "now", "effect": "NoExecute"}]


def evictions_of(master, namespace: str, pod: str):
    """The controller's writes evicting `pod`, once it has deleted it (no kubelet here confirms the deletion)."""
    rows = [row for row in revision_rows(master.data_dir, resource="pods", namespace=namespace, name=pod)
            if row.component == "controller/node-lifecycle"]
    return rows if any(row.verb == "delete" for row in rows) else []


def test_an_eviction_reacts_to_the_revision_a_taint_written_by_someone_else_appeared_at(
        master, client, hollow, named_controller, namespace):
    name = unique("drained")
    hollow.register(name)
    tainted = client.patch(NODE, name, {"spec": {"taints": DRAIN}}, patch_type="application/merge-patch+json")
    hollow.post_ready(name, "True")  # a heartbeat after the taint: the node's newest revision is not the taint's
    create_pod(client, namespace, "web-1", name)
    rows = wait_for(lambda: evictions_of(master, namespace, "web-1"), message="the eviction")
    assert {row.cause for row in rows} == {int(tainted["metadata"]["resourceVersion"])}


def test_an_eviction_for_a_taint_older_than_the_controller_names_no_cause_rather_than_a_heartbeat(
        master, client, hollow, namespace):
    # Guards a wrong cause: after a restart the controller took the node's newest revision (a heartbeat) as
    # the taint's, and every eviction said it reacted to that heartbeat.
    name = unique("restarted")
    hollow.register(name)
    client.patch(NODE, name, {"spec": {"taints": DRAIN}}, patch_type="application/merge-patch+json")
    hollow.post_ready(name, "True")
    with named_controller_running(master):
        create_pod(client, namespace, "web-1", name)
        rows = wait_for(lambda: evictions_of(master, namespace, "web-1"), message="the eviction")
    assert {row.cause for row in rows} == {None}
