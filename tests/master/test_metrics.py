"""metrics.k8s.io end to end: real master -> real kubelet server (fake runtime) -> NodeMetrics and PodMetrics.

Two Ready nodes share a label: one with a kubelet answering /stats/summary, one
whose kubelet port has nobody listening, as a node that died a moment ago.
"""

import uuid

import pytest

from tests.support.kubelet_app import answering_and_silent_nodes, run_bound_pod

MI = 1 << 20
GROUP_VERSION = "/apis/metrics.k8s.io/v1beta1"


@pytest.fixture(scope="module")
def nodes(master, tmp_path_factory):
    """(label selector, live node, dead node, the live node's fake runtime)."""
    run = uuid.uuid4().hex[:6]
    live, dead = f"metrics-{run}-live", f"metrics-{run}-dead"
    with answering_and_silent_nodes(master, tmp_path_factory.mktemp("kubelet-pki"), live=live, dead=dead,
                                    live_labels={"metrics-test": run, "zone": "a"},
                                    dead_labels={"metrics-test": run, "zone": "b"}) as runtime:
        yield f"metrics-test={run}", live, dead, runtime


@pytest.fixture
def busy(api, namespace, nodes):
    """Pod "busy" on the live node: containers "spin" (250m, 3Mi) and "idle" (1m, 5Mi)."""
    _, live, _, runtime = nodes
    ids = run_bound_pod(api, runtime, namespace, live, "busy", ["spin", "idle"], labels={"app": "busy"})
    runtime.set_usage(ids["spin"], cpu_nano_cores=250_000_000, memory_working_set_bytes=3 * MI)
    runtime.set_usage(ids["idle"], cpu_nano_cores=1_234_567, memory_working_set_bytes=5 * MI + 100)
    return ids


# ----- discovery


def test_the_metrics_group_is_in_legacy_and_aggregated_discovery(api):
    legacy = api.get("/apis").json()
    entry = next(g for g in legacy["groups"] if g["name"] == "metrics.k8s.io")
    assert entry["preferredVersion"] == {"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}

    aggregated = api.get("/apis", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}).json()
    [group] = [g for g in aggregated["items"] if g["metadata"].get("name") == "metrics.k8s.io"]
    resources = {r["resource"]: r for r in group["versions"][0]["resources"]}
    assert resources["nodes"]["responseKind"]["kind"] == "NodeMetrics"
    assert (resources["pods"]["scope"], resources["pods"]["verbs"]) == ("Namespaced", ["get", "list"])

    listed = api.get(GROUP_VERSION).json()
    assert {(r["name"], r["kind"], r["namespaced"]) for r in listed["resources"]} == {
        ("nodes", "NodeMetrics", False), ("pods", "PodMetrics", True)}


# ----- nodes


def test_node_metrics_come_from_the_kubelets_that_answer(api, nodes, busy):
    selector, live, _, _ = nodes

    answer = api.get(f"{GROUP_VERSION}/nodes", params={"labelSelector": selector})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["kind"], body["apiVersion"]) == ("NodeMetricsList", "metrics.k8s.io/v1beta1")
    [item] = body["items"]  # the dead node is left out, as metrics-server leaves it out
    assert item["metadata"]["name"] == live
    assert item["metadata"]["labels"]["zone"] == "a"
    assert item["usage"] == {"cpu": "251234567n", "memory": "8388708"}  # 8Mi + 100: no binary suffix fits
    assert item["window"] == "1s"
    assert item["timestamp"].endswith("Z") and len(item["timestamp"]) == 20


def test_node_metrics_honour_the_label_selector(api, nodes, busy):
    selector, *_ = nodes
    answer = api.get(f"{GROUP_VERSION}/nodes", params={"labelSelector": f"{selector},zone=b"})
    assert answer.json()["items"] == []


def test_a_node_without_metrics_is_not_found(api, nodes):
    _, _, dead, _ = nodes
    missing = api.get(f"{GROUP_VERSION}/nodes/{dead}")
    assert missing.status_code == 404
    assert missing.json()["message"] == f'nodes.metrics.k8s.io "{dead}" not found'
    assert api.get(f"{GROUP_VERSION}/nodes/no-such-node").json()["message"] == 'nodes "no-such-node" not found'


# ----- pods


def test_pod_metrics_list_each_running_pods_containers(api, namespace, nodes, busy):
    _, _, dead, _ = nodes
    api.post(f"/api/v1/namespaces/{namespace}/pods", json={  # never started: no metrics
        "metadata": {"name": "pending"}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}})
    api.post(f"/api/v1/namespaces/{namespace}/pods", json={  # on the node that does not answer
        "metadata": {"name": "stranded"},
        "spec": {"nodeName": dead, "containers": [{"name": "app", "image": "busybox"}]}})

    body = api.get(f"{GROUP_VERSION}/namespaces/{namespace}/pods").json()

    assert body["kind"] == "PodMetricsList"
    [item] = body["items"]
    assert (item["metadata"]["name"], item["metadata"]["namespace"]) == ("busy", namespace)
    assert item["metadata"]["labels"] == {"app": "busy"}
    assert item["containers"] == [{"name": "idle", "usage": {"cpu": "1234567n", "memory": "5242980"}},
                                  {"name": "spin", "usage": {"cpu": "250m", "memory": "3Mi"}}]


def test_one_pods_metrics_and_their_absence(api, namespace, busy):
    one = api.get(f"{GROUP_VERSION}/namespaces/{namespace}/pods/busy").json()
    assert (one["kind"], one["metadata"]["name"]) == ("PodMetrics", "busy")
    assert api.get(f"{GROUP_VERSION}/namespaces/{namespace}/pods/busy",
                   params={"labelSelector": "app=other"}).status_code == 200  # selectors are for lists

    api.post(f"/api/v1/namespaces/{namespace}/pods", json={
        "metadata": {"name": "pending"}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}})
    missing = api.get(f"{GROUP_VERSION}/namespaces/{namespace}/pods/pending")
    assert (missing.status_code, missing.json()["message"]) == (
        404, f'pods.metrics.k8s.io "{namespace}/pending" not found')


def test_pod_metrics_honour_the_label_selector(api, namespace, busy):
    listed = api.get(f"{GROUP_VERSION}/namespaces/{namespace}/pods", params={"labelSelector": "app!=busy"})
    assert listed.json()["items"] == []


# ----- what may not be done


def test_metrics_are_read_only(api, namespace):
    refused = api.post(f"{GROUP_VERSION}/namespaces/{namespace}/pods", json={"metadata": {"name": "x"}})
    assert (refused.status_code, refused.json()["reason"]) == (405, "MethodNotAllowed")
    assert api.get(f"{GROUP_VERSION}/nodes", params={"watch": "true"}).status_code == 405


def test_the_node_token_may_not_read_metrics(master):
    with master.client(token=master.token("node")) as node:
        denied = node.get(f"{GROUP_VERSION}/nodes")
    assert denied.status_code == 403
    assert 'cannot list resource "nodes" in API group "metrics.k8s.io"' in denied.json()["message"]
