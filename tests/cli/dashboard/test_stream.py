"""/api/stream: the API status, then the snapshot, then one change per object change, live."""

from __future__ import annotations

from tests.cli.dashboard.conftest import create_hollow_node, create_pod, unique
from tests.cli.dashboard.sse import EventStream, MapMirror


def test_the_stream_gives_status_then_snapshot_then_a_change_per_pod(cluster_api, page, namespace):
    node = unique("node")
    create_hollow_node(cluster_api, node)
    with EventStream(page) as stream:
        status = stream.next()
        assert status.name == "status" and status.data["state"] in ("connecting", "live")
        snapshot = stream.until(lambda e: e.name == "snapshot", what="the snapshot")
        assert snapshot.data["revision"] > 0

        create_pod(cluster_api, namespace, "web-1", node=node, cpu="350m", memory="128Mi")
        change = stream.until(lambda e: e.name == "change" and e.data["kind"] == "Pod"
                              and e.data["pod"]["name"] == "web-1", what="the pod's change")
    pod = change.data["pod"]
    assert change.data["type"] == "ADDED" and change.data["revision"] >= snapshot.data["revision"]
    assert pod["namespace"] == namespace and pod["nodeName"] == node
    assert pod["cpuRequestMillis"] == 350 and pod["memoryRequestBytes"] == 128 * 1024 * 1024
    assert pod["phase"] == "Pending" and pod["status"] == "Pending" and pod["ready"] is False


def test_nodes_show_allocatable_cordon_and_taints(cluster_api, page):
    node = unique("node")
    create_hollow_node(cluster_api, node, cpu="2", memory="4Gi")
    with EventStream(page) as stream:
        mirror = MapMirror(stream)
        view = mirror.wait_until(lambda m: m.nodes.get(node), what=f"node {node}")
        assert view["ready"] == "True" and view["unschedulable"] is False
        assert view["cpuAllocatableMillis"] == 2000 and view["memoryAllocatableBytes"] == 4 * 1024 ** 3
        cluster_api.patch(f"/api/v1/nodes/{node}", headers={"Content-Type": "application/merge-patch+json"},
                          json={"spec": {"unschedulable": True,
                                         "taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}})
        cordoned = mirror.wait_until(lambda m: m.nodes[node]["unschedulable"] and m.nodes[node], what="the cordon")
    assert cordoned["taints"] == ["dedicated=db:NoSchedule"]


def test_a_pod_of_a_deployment_is_owned_by_the_deployment_through_its_replica_set(cluster_api, page, namespace):
    node = unique("node")
    create_hollow_node(cluster_api, node)
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
    deployment = cluster_api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json={
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template}}).json()
    replica_set = cluster_api.post(f"/apis/apps/v1/namespaces/{namespace}/replicasets", json={
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-abc", "labels": {"app": "web"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                          "uid": deployment["metadata"]["uid"], "controller": True}]},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template}}).json()
    create_pod(cluster_api, namespace, "web-abc-1", node=node, owner={
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
        "uid": replica_set["metadata"]["uid"], "controller": True})
    create_pod(cluster_api, namespace, "bare", node=node)

    with EventStream(page) as stream:
        mirror = MapMirror(stream)
        pods = mirror.wait_until(lambda m: all(f"{namespace}/{name}" in m.pods for name in ("web-abc-1", "bare"))
                                 and m.pods, what="both pods")
        deployment_view = mirror.wait_until(lambda m: m.deployments.get(f"{namespace}/web"), what="the Deployment")
    assert pods[f"{namespace}/web-abc-1"]["owner"] == "Deployment/web"
    assert pods[f"{namespace}/bare"]["owner"] is None
    assert deployment_view["replicas"] == 3 and deployment_view["readyReplicas"] == 0


def test_a_deleted_pod_is_a_deleted_change(cluster_api, page, namespace):
    node = unique("node")
    create_hollow_node(cluster_api, node)
    create_pod(cluster_api, namespace, "short-lived", node=node)
    key = f"{namespace}/short-lived"
    with EventStream(page) as stream:
        mirror = MapMirror(stream)
        mirror.wait_until(lambda m: key in m.pods, what="the pod")
        cluster_api.delete(f"/api/v1/namespaces/{namespace}/pods/short-lived", params={"gracePeriodSeconds": "0"})
        mirror.wait_until(lambda m: key not in m.pods or m.pods[key]["deleting"], what="the pod going")


def test_a_replica_set_adopted_or_released_by_a_deployment_redraws_its_pods_owner(cluster_api, page, namespace):
    # The bug: only a new ReplicaSet redrew its pods; its controller changing left them with the old owner.
    node = unique("node")
    create_hollow_node(cluster_api, node)
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
    deployment = cluster_api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json={
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template}}).json()
    replica_set_path = f"/apis/apps/v1/namespaces/{namespace}/replicasets"
    replica_set = cluster_api.post(replica_set_path, json={
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-abc", "labels": {"app": "web"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template}}).json()
    create_pod(cluster_api, namespace, "web-abc-1", node=node, owner={
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
        "uid": replica_set["metadata"]["uid"], "controller": True})
    key = f"{namespace}/web-abc-1"
    merge_patch = {"Content-Type": "application/merge-patch+json"}

    with EventStream(page) as stream:
        mirror = MapMirror(stream)
        mirror.wait_until(lambda m: key in m.pods and m.pods[key]["owner"] == "ReplicaSet/web-abc", what="the pod")
        cluster_api.patch(f"{replica_set_path}/web-abc", headers=merge_patch, json={"metadata": {"ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": deployment["metadata"]["uid"],
             "controller": True}]}}).raise_for_status()
        mirror.wait_until(lambda m: m.pods[key]["owner"] == "Deployment/web", what="the adoption")
        cluster_api.patch(f"{replica_set_path}/web-abc", headers=merge_patch,
                          json={"metadata": {"ownerReferences": None}}).raise_for_status()
        mirror.wait_until(lambda m: m.pods[key]["owner"] == "ReplicaSet/web-abc", what="the release")
