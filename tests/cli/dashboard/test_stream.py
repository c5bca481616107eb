"""/api/stream: the API status, then the snapshot, then one change per object change, live."""

from __future__ import annotations

import httpx

from tests.cli.dashboard.conftest import compact_past, create_hollow_node, create_pod, kubeconfig_with_server, unique
from tests.cli.dashboard.relay import relay_to
from tests.cli.dashboard.sse import EventStream, MapMirror
from tests.support.dashboard import running_dashboard


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


def test_a_pod_deleted_and_created_again_while_the_watch_was_down_is_a_delete_then_an_add(
        cluster, cluster_api, namespace, tmp_path):
    # The bug: the relist called it one MODIFIED with a new uid, and the page (which keys pods by uid) kept
    # the old pod's chip beside the new one.
    key = f"{namespace}/again"
    with relay_to(cluster.port) as relay:
        kubeconfig = kubeconfig_with_server(cluster.kubeconfig, tmp_path / "relayed.kubeconfig",
                                            f"https://127.0.0.1:{relay.port}")
        with running_dashboard(kubeconfig) as dashboard, httpx.Client(base_url=dashboard.base_url,
                                                                      timeout=30) as page:
            assert page.get(dashboard.url).status_code == 303
            with EventStream(page) as stream:
                mirror = MapMirror(stream)
                first = create_pod(cluster_api, namespace, "again", node_selector={"disk": "nowhere"})
                mirror.wait_until(lambda m: key in m.pods, timeout=15, what="the first pod")

                relay.cut()  # the dashboard's watches fail; the master goes on
                cluster_api.delete(f"/api/v1/namespaces/{namespace}/pods/again",
                                   params={"gracePeriodSeconds": "0"}).raise_for_status()
                second = create_pod(cluster_api, namespace, "again", node_selector={"disk": "nowhere"})
                compact_past(cluster_api, namespace, int(second["metadata"]["resourceVersion"]))
                relay.restore()  # the watch resumes from a compacted revision: 410, so the informer lists again

                new_uid = second["metadata"]["uid"]
                mirror.wait_until(lambda m: key in m.pods and m.pods[key]["uid"] == new_uid, timeout=40,
                                  what="the second pod after the relist")
    changes = [(e.data["type"], e.data["pod"]["uid"]) for e in mirror.events
               if e.name == "change" and e.data["kind"] == "Pod" and e.data["pod"]["namespace"] == namespace]
    assert changes[-2:] == [("DELETED", first["metadata"]["uid"]), ("ADDED", new_uid)]
