"""A scale traces from the user's command down to running containers: a master with every controller and
two real kubelets on Docker, the real `kubectl scale`, then the Deployment's trace subresource.

    kubectl (admin) ── Deployment scaled 2 -> 4
      └─ controller/deployment ── ReplicaSet spec.replicas 2 -> 4
           └─ controller/replicaset ── Pod created           (two of them)
                └─ scheduler ── bound to <node>
                     └─ kubelet/<node> ── Running, "sandbox N ms, pull N ms, create N ms, start N ms"

Every hop names its actor, comes no earlier than its cause, and has a latency of zero or more.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from objects.revisions import Trace, TraceHop
from objects.why import epoch_of, moment
from tests.support.cluster import Kubectl, Kubelet, Master, live_cluster, wait_for

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

TIME_SCALE = 0.1
PODS = "/api/v1/namespaces/default/pods"
TRACE = "/apis/apps/v1/namespaces/default/deployments/web/trace"
BUSYBOX = "tinykube/busybox:test"
STEP_TIMINGS = re.compile(r"sandbox \d+ ms, pull \d+ ms, create \d+ ms, start \d+ ms")


@dataclass
class Cluster:
    master: Master
    kubelets: list[Kubelet]
    kubectl: Kubectl


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("trace-scale")
    with live_cluster(root, nodes=2, time_scale=TIME_SCALE, master_args=["--controllers=*"]) as (master, kubelets):
        yield Cluster(master, kubelets, Kubectl(master.kubeconfig, root / "kube-cache"))


@pytest.fixture
def api(cluster):
    with cluster.master.client() as client:
        yield client


def deployment(replicas: int) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"terminationGracePeriodSeconds": 0,
                                       "containers": [{"name": "web", "image": BUSYBOX,
                                                       "command": ["sleep", "3600"]}]}}}})


def ready_pods(api) -> list[dict[str, Any]]:
    return [p for p in api.get(PODS, params={"labelSelector": "app=web"}).json()["items"]
            if any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))]


def walk(hops: list[TraceHop], parent: TraceHop | None = None) -> Iterator[tuple[TraceHop | None, TraceHop]]:
    for hop in hops:
        yield parent, hop
        yield from walk(hop.children, hop)


def children(hop: TraceHop, *, resource: str, component: str, summary: str = "") -> list[TraceHop]:
    return [c for c in hop.children if c.resource == resource and c.provenance.component == component
            and summary in c.summary]


def test_a_scale_traces_patch_resize_pods_bindings_and_running_containers_with_actors_and_timings(cluster, api):
    cluster.kubectl("apply", "-f", "-", input=deployment(2))
    wait_for(lambda: len(ready_pods(api)) == 2, timeout=60, message="2 ready pods")
    before = {p["metadata"]["name"] for p in ready_pods(api)}
    since = moment(time.time() - 0.001)

    cluster.kubectl("scale", "deployment", "web", "--replicas=4")
    wait_for(lambda: len(ready_pods(api)) == 4, timeout=60, message="4 ready pods")
    added = {p["metadata"]["name"] for p in ready_pods(api)} - before

    def traced() -> Trace | None:
        answer = api.get(TRACE, params={"since": since})
        assert answer.status_code == 200, answer.text
        trace = Trace.model_validate(answer.json())
        return trace if _running_hops(trace) >= 2 else None

    trace = wait_for(traced, timeout=15, message="a trace reaching both new pods' Running")

    # kubectl (admin) scaled the Deployment: a root, since a person reacts to nothing the log holds. (The
    # apply may be a root too: a status write inside the window can descend from the first two pods.)
    [scale] = [hop for hop in trace.roots if hop.resource == "deployments.apps"
               and hop.provenance.component == "kubectl" and hop.summary == "spec.replicas 2 -> 4"]
    assert (scale.provenance.user, scale.provenance.verb, scale.provenance.subresource) == ("admin", "patch", "scale")
    assert scale.provenance.reacted_to is None and scale.latency_milliseconds is None
    [resize] = children(scale, resource="replicasets.apps", component="controller/deployment",
                        summary="spec.replicas 2 -> 4")
    created = children(resize, resource="pods", component="controller/replicaset", summary="created")
    assert {hop.name for hop in created} == added
    for pod in created:
        [binding] = children(pod, resource="pods", component="scheduler", summary="bound to")
        node = binding.summary.removeprefix("bound to ")
        assert node in {k.node_name for k in cluster.kubelets}
        statuses = children(binding, resource="pods", component=f"kubelet/{node}")
        [running] = [hop for hop in statuses if hop.provenance.note]  # told once, by the write that says Running
        assert "phase Running" in running.summary and STEP_TIMINGS.fullmatch(running.provenance.note)

    # along every path time moves forward, and each hop's latency from its cause is zero or more
    for parent, hop in walk(trace.roots):
        if parent is None:
            continue
        assert epoch_of(hop.time) >= epoch_of(parent.time), f"{hop.revision} before its cause {parent.revision}"
        assert hop.latency_milliseconds is not None and hop.latency_milliseconds >= 0
        assert hop.provenance.reacted_to == parent.revision


def _running_hops(trace: Trace) -> int:
    return sum(1 for _, hop in walk(trace.roots) if hop.provenance.note and STEP_TIMINGS.fullmatch(hop.provenance.note))
