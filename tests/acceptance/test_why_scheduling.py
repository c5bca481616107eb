"""A Pending pod's why suggests its way out, and the suggestion works: a master with every controller
and three real kubelets (2 cpu, 2Gi each), time scale 0.1, the why read and the suggestion applied
with the real kubectl.

For each way a Deployment's pod can fit nowhere (a request larger than any node, a taint on every
node, a nodeSelector no node matches, every node cordoned, every node full), the test waits for the
suggestion of the matching kind in `kubectl get --raw .../pods/P/why` (`.scheduling.suggestions`),
runs the suggestion's own `command` with kubectl, and waits for the Deployment's pod to be bound.
A bare pod's lowered request, which cannot be patched in place, is applied by its command's
re-creation of the pod.

One cluster serves the module; each test removes its workloads, taints and cordons afterwards.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.cluster import Kubectl, Kubelet, Master, live_cluster, wait_for
from tests.support.images import BUSYBOX_IMAGE

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

TIME_SCALE = 0.1
PODS = "/api/v1/namespaces/default/pods"
TAINT = "dedicated=why:NoSchedule"
SUGGESTION_TIMEOUT = 30
SCHEDULE_TIMEOUT = 30


@dataclass
class Cluster:
    master: Master
    kubelets: list[Kubelet]
    kubectl: Kubectl

    @property
    def node_names(self) -> list[str]:
        return [kubelet.node_name for kubelet in self.kubelets]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("why-scheduling")
    with live_cluster(root, nodes=3, time_scale=TIME_SCALE, master_args=["--controllers=*"]) as (master, kubelets):
        yield Cluster(master, kubelets, Kubectl(master.kubeconfig, root / "kube-cache"))


@pytest.fixture
def api(cluster):
    with cluster.master.client() as client:
        yield client


@pytest.fixture(autouse=True)
def restore_the_cluster(cluster, api):
    """Each test starts with untainted, uncordoned nodes and no pods."""
    yield
    cluster.kubectl("taint", "nodes", "--all", f"{TAINT}-", check=False)
    for name in cluster.node_names:
        cluster.kubectl("uncordon", name)
    cluster.kubectl("delete", "deployments,replicasets,pods", "--all", "--wait=false", timeout=60)
    wait_for(lambda: api.get(PODS).json()["items"] == [], timeout=60, message="every pod removed")


# ----- the workloads


def deploy(cluster: Cluster, name: str, *, cpu: str = "100m", **pod_spec: Any) -> None:
    container = {"name": "app", "image": BUSYBOX_IMAGE, "imagePullPolicy": "IfNotPresent",
                 "command": ["sleep", "3600"], "resources": {"requests": {"cpu": cpu, "memory": "32Mi"}}}
    cluster.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [container], "terminationGracePeriodSeconds": 1, **pod_spec}}},
    }))


def run_filler(cluster: Cluster, name: str, *, cpu: str) -> None:
    """A bare pod holding `cpu` on whichever node the scheduler gives it."""
    cluster.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"role": "filler"}},
        "spec": {"containers": [{"name": "app", "image": BUSYBOX_IMAGE, "imagePullPolicy": "IfNotPresent",
                                 "command": ["sleep", "3600"], "resources": {"requests": {"cpu": cpu}}}],
                 "terminationGracePeriodSeconds": 1},
    }))


# ----- reading and acting


def pods_of(api: httpx.Client, app: str) -> list[dict[str, Any]]:
    return [p for p in api.get(PODS, params={"labelSelector": f"app={app}"}).json()["items"]
            if not p["metadata"].get("deletionTimestamp")]


def why(cluster: Cluster, pod: str) -> dict[str, Any]:
    return json.loads(cluster.kubectl("get", "--raw", f"/api/v1/namespaces/default/pods/{pod}/why").stdout)


def suggested(cluster: Cluster, api: httpx.Client, app: str, kind: str) -> list[dict[str, Any]]:
    """The suggestions of `kind` in the why of the app's Pending pod, once the scheduler has made them."""
    def found() -> list[dict[str, Any]] | None:
        for pod in pods_of(api, app):
            scheduling = why(cluster, pod["metadata"]["name"]).get("scheduling") or {}
            matching = [s for s in scheduling.get("suggestions", []) if s["type"] == kind]
            if scheduling.get("result") == "Unschedulable" and matching:
                return matching
        return None

    return wait_for(found, timeout=SUGGESTION_TIMEOUT, message=f"a {kind} suggestion for {app}")


def apply(cluster: Cluster, suggestion: dict[str, Any]) -> None:
    """Run the suggestion's command as a user pastes it: kubectl commands, joined by &&."""
    for command in suggestion["command"].split(" && "):
        words = shlex.split(command)
        assert words[0] == "kubectl", suggestion["command"]
        cluster.kubectl(*words[1:])


def bound(api: httpx.Client, app: str) -> list[str]:
    """The nodes of the app's pods once it has exactly one pod and that pod is bound."""
    pods = pods_of(api, app)
    nodes = [p["spec"].get("nodeName") for p in pods]
    return nodes if len(pods) == 1 and all(nodes) else []


def deployment_ref(name: str) -> dict[str, str]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "namespace": "default"}


# ----- one test per way out


def test_a_request_larger_than_any_node_is_lowered_on_the_deployment(cluster, api):
    deploy(cluster, "big", cpu="3")
    [lower] = suggested(cluster, api, "big", "LowerRequests")
    assert lower["target"] == deployment_ref("big")
    assert lower["patch"] == {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "resources": {"requests": {"cpu": "2"}}}]}}}}
    assert lower["command"].startswith("kubectl patch deployment big -n default -p '")
    assert sorted(lower["nodes"]) == sorted(cluster.node_names)
    apply(cluster, lower)
    [node] = wait_for(lambda: bound(api, "big"), timeout=SCHEDULE_TIMEOUT, message="big's pod bound")
    assert node in cluster.node_names


def test_a_taint_on_every_node_is_tolerated_on_the_deployment(cluster, api):
    cluster.kubectl("taint", "nodes", "--all", TAINT)
    deploy(cluster, "tainted")
    [tolerate] = suggested(cluster, api, "tainted", "TolerateTaint")
    assert tolerate["target"] == deployment_ref("tainted")
    assert tolerate["patch"] == {"spec": {"template": {"spec": {"tolerations": [
        {"key": "dedicated", "operator": "Equal", "value": "why", "effect": "NoSchedule"}]}}}}
    assert sorted(tolerate["nodes"]) == sorted(cluster.node_names)
    apply(cluster, tolerate)
    wait_for(lambda: bound(api, "tainted"), timeout=SCHEDULE_TIMEOUT, message="tainted's pod bound")


def test_a_node_selector_no_node_matches_is_dropped_from_the_deployment(cluster, api):
    deploy(cluster, "picky", nodeSelector={"disk": "nvme"})
    [relax] = suggested(cluster, api, "picky", "RelaxNodeSelector")
    assert relax["target"] == deployment_ref("picky")
    assert relax["patch"] == {"spec": {"template": {"spec": {"nodeSelector": {"disk": None}}}}}
    apply(cluster, relax)
    wait_for(lambda: bound(api, "picky"), timeout=SCHEDULE_TIMEOUT, message="picky's pod bound")


def test_a_cordoned_node_is_uncordoned_and_takes_the_pod(cluster, api):
    for name in cluster.node_names:
        cluster.kubectl("cordon", name)
    deploy(cluster, "waiting")
    uncordon = suggested(cluster, api, "waiting", "UncordonNode")[0]
    [node] = uncordon["nodes"]
    assert uncordon["command"] == f"kubectl uncordon {node}"
    assert uncordon["target"] == {"apiVersion": "v1", "kind": "Node", "name": node}
    apply(cluster, uncordon)
    assert wait_for(lambda: bound(api, "waiting"), timeout=SCHEDULE_TIMEOUT, message="waiting's pod bound") == [node]


def test_a_full_node_is_freed_by_deleting_the_pods_it_names(cluster, api):
    for i, _ in enumerate(cluster.node_names):  # 1500m of each node's 2 cpu: one filler fits per node
        run_filler(cluster, f"filler-{i}", cpu="1500m")
    wait_for(lambda: all(p["spec"].get("nodeName") for p in api.get(PODS).json()["items"]),
             timeout=SCHEDULE_TIMEOUT, message="the fillers bound")
    deploy(cluster, "squeezed", cpu="1")
    remove = suggested(cluster, api, "squeezed", "RemovePods")[0]
    [node] = remove["nodes"]
    [victim] = remove["pods"]
    placed = {p["metadata"]["name"]: p["spec"].get("nodeName") for p in api.get(PODS).json()["items"]}
    assert victim.startswith("default/filler-") and placed[victim.split("/")[1]] == node
    assert remove["command"] == f"kubectl delete pod -n default {victim.split('/')[1]}"
    apply(cluster, remove)
    assert wait_for(lambda: bound(api, "squeezed"), timeout=SCHEDULE_TIMEOUT, message="squeezed's pod bound") == [node]


def test_a_bare_pods_lowered_request_is_applied_by_re_creating_it_as_its_command_says(cluster, api):
    cluster.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo", "labels": {"app": "solo"}},
        "spec": {"containers": [{"name": "app", "image": BUSYBOX_IMAGE, "imagePullPolicy": "IfNotPresent",
                                 "command": ["sleep", "3600"], "resources": {"requests": {"cpu": "3"}}}],
                 "terminationGracePeriodSeconds": 1},
    }))
    [lower] = suggested(cluster, api, "solo", "LowerRequests")
    assert lower["target"] == {"apiVersion": "v1", "kind": "Pod", "name": "solo", "namespace": "default"}
    assert lower["command"].endswith("| kubectl replace --force -f -")  # a pod's requests cannot change in place
    subprocess.run(lower["command"], shell=True, env=cluster.kubectl.env, check=True, capture_output=True, timeout=60)
    wait_for(lambda: bound(api, "solo"), timeout=SCHEDULE_TIMEOUT, message="the re-created pod bound")
    assert pods_of(api, "solo")[0]["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "2"}
