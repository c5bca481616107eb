"""A Partition fault traced through the revision log: from the fault to the evicted pod's replacement Running.

Two real kubelets and a Deployment whose pods tolerate an unreachable node for
only 10 s (1 s at this time scale). The node of one of its pods is cut off by a
Partition fault, and the log must then hold, each write reacting to the one
before (`provenance.reactedTo`):

    Fault created
      └─ the kubelet's last Lease renewal (the fault is its cause)
           └─ node Ready=Unknown (node lifecycle: the last heartbeat it saw)
                └─ the unreachable NoExecute taint
                     └─ the eviction: the pod's deletion
                          └─ the replacement pod (replicaset controller)
                               └─ bound to the other node (scheduler)
                                    └─ Running (the other node's kubelet)

Read from GET /apis/tinykube.io/v1alpha1/revisions, so the assertion names the
first missing link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.cluster import live_cluster, wait_for
from tests.support.images import BUSYBOX_IMAGE

TIME_SCALE = 0.1
FAULTS = "/apis/tinykube.io/v1alpha1/faults"
REVISIONS = "/apis/tinykube.io/v1alpha1/revisions"
PODS = "/api/v1/namespaces/default/pods"
UNREACHABLE = "node.kubernetes.io/unreachable"

Revision = dict[str, Any]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with live_cluster(tmp_path_factory.mktemp("trace-partition"), nodes=2, time_scale=TIME_SCALE,
                      master_args=["--controllers=*"]) as (master, kubelets):
        yield master, kubelets


def deployment(replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"terminationGracePeriodSeconds": 1,
                     "tolerations": [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                                      "tolerationSeconds": 10}],
                     "containers": [{"name": "app", "image": BUSYBOX_IMAGE, "command": ["sleep", "3600"]}]}}},
    }


def running_pods(api) -> list[dict]:
    return [p for p in api.get(PODS, params={"labelSelector": "app=web"}).json()["items"]
            if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


class Log:
    """The revision log from the fault on, and its writes by what they reacted to."""

    def __init__(self, revisions: list[Revision]):
        self.revisions = revisions
        self.reactions: dict[int, list[Revision]] = defaultdict(list)
        for revision in revisions:
            if cause := (revision.get("provenance") or {}).get("reactedTo"):
                self.reactions[cause].append(revision)

    def reaction(self, cause: Revision, matches: Callable[[Revision], bool]) -> Revision | None:
        return next((r for r in self.reactions[cause["revision"]] if matches(r)), None)

    def descendant(self, cause: Revision, matches: Callable[[Revision], bool], depth: int = 6) -> Revision | None:
        """The first write at most `depth` reactions below `cause` that matches (a pod's status reports
        may come one after another before the one that says Running)."""
        frontier = [cause]
        for _ in range(depth):
            frontier = [r for c in frontier for r in self.reactions[c["revision"]]]
            if found := next((r for r in frontier if matches(r)), None):
                return found
        return None


def of(resource: str, *, name: str | None = None, verb: str | None = None,
       test: Callable[[dict], bool] = lambda obj: True) -> Callable[[Revision], bool]:
    def matches(revision: Revision) -> bool:
        return (revision["resource"] == resource and name in (None, revision["name"])
                and verb in (None, (revision.get("provenance") or {}).get("verb"))
                and test(revision.get("object") or {}))
    return matches


def ready_status(node: dict) -> str | None:
    conditions = (node.get("status") or {}).get("conditions") or []
    return next((c["status"] for c in conditions if c["type"] == "Ready"), None)


def tainted_unreachable(node: dict) -> bool:
    return any(t.get("key") == UNREACHABLE and t.get("effect") == "NoExecute"
               for t in (node.get("spec") or {}).get("taints") or [])


def test_a_partition_traces_to_the_replacement_pod_running_elsewhere(cluster):
    master, kubelets = cluster
    with master.client() as api:
        assert api.post("/apis/apps/v1/namespaces/default/deployments", json=deployment(2)).status_code == 201
        pods = wait_for(lambda: len(r := running_pods(api)) == 2 and r, timeout=60, message="two web pods running")
        victim = pods[0]
        node = victim["spec"]["nodeName"]
        other = next(k.node_name for k in kubelets if k.node_name != node)
        fault = api.post(FAULTS, json={"apiVersion": "tinykube.io/v1alpha1", "kind": "Fault",
                                       "metadata": {"name": "cut-off"},
                                       "spec": {"type": "Partition", "nodeName": node, "durationSeconds": 30}})
        assert fault.status_code == 201, fault.text
        fault_revision = int(fault.json()["metadata"]["resourceVersion"])

        # The cluster's answer: the pods of the lost node replaced on the other one.
        wait_for(lambda: len([p for p in running_pods(api) if p["spec"]["nodeName"] == other]) == 2, timeout=45,
                 message=lambda: f"both web pods running on {other}: {running_pods(api)}")

        answer = api.get(REVISIONS, params={"sinceRevision": str(fault_revision - 1)})
        assert answer.status_code == 200, answer.text
        log = Log(answer.json()["items"])
        trace = api.get(f"{FAULTS}/cut-off/trace")
        assert trace.status_code == 200, trace.text

    found: list[str] = []

    def link(what: str, revision: Revision | None) -> Revision:
        assert revision is not None, f"no {what} in the chain; found so far: {' -> '.join(found) or 'nothing'}"
        provenance = revision.get("provenance") or {}
        found.append(f"{what} (rv {revision['revision']}, {provenance.get('component')})")
        return revision

    created = link("fault created", next((r for r in log.revisions if r["revision"] == fault_revision), None))
    lease = link("last lease renewal", log.reaction(created, of("leases.coordination.k8s.io", name=node)))
    assert lease["provenance"]["component"] == f"kubelet/{node}"
    not_ready = link("node Ready=Unknown", log.reaction(lease, of(
        "nodes", name=node, test=lambda obj: ready_status(obj) not in ("True", None))))
    taint = link("unreachable taint", log.descendant(not_ready, of("nodes", name=node, test=tainted_unreachable),
                                                     depth=2))
    eviction = link("eviction of the pod", log.reaction(taint, of("pods", verb="delete", test=lambda obj: obj.get(
        "spec", {}).get("nodeName") == node)))
    replacement = link("replacement pod", log.descendant(eviction, of("pods", verb="create"), depth=2))
    assert replacement["provenance"]["component"] == "controller/replicaset"
    bound = link("binding", log.reaction(replacement, of(
        "pods", name=replacement["name"], test=lambda obj: obj.get("spec", {}).get("nodeName") == other)))
    assert bound["provenance"]["component"] == "scheduler"
    running = log.descendant(bound, of(
        "pods", name=replacement["name"], test=lambda obj: obj.get("status", {}).get("phase") == "Running"))
    assert running is not None, f"no Running reacting to the binding; found: {' -> '.join(found)}"
    running = link("Running", running)
    assert running["provenance"]["component"] == f"kubelet/{other}"
    chain = (created, lease, not_ready, taint, eviction, replacement, bound, running)
    times = [r["time"] for r in chain]
    assert times == sorted(times), found
    # `tkctl trace fault/cut-off` draws the same chain: one path from the fault down to Running.
    assert [r["revision"] for r in chain if r["revision"] in path_to(running["revision"], trace.json()["roots"])] \
        == [r["revision"] for r in chain], found


def path_to(revision: int, hops: list[dict]) -> list[int]:
    """The revisions from a root of the trace down to `revision`, or [] when the trace does not reach it."""
    for hop in hops:
        if hop["revision"] == revision:
            return [revision]
        below = path_to(revision, hop.get("children") or [])
        if below:
            return [hop["revision"], *below]
    return []
