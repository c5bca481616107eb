"""The flight recorder through the API of a live master: who made each write, and why."""

import sqlite3
import uuid

import kubernetes
import pytest
from kubernetes import client

from apiclient import ApiClient, load_kubeconfig
from apiclient.provenance import explaining, reacting_to
from objects.kinds import DEPLOYMENT, POD, REPLICASET


def pod(name: str, image: str = "busybox:1.36") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": image}]}}


def stored_origins(master, namespace: str, name: str) -> list[dict]:
    """The provenance of every retained write of one pod, oldest first, as the master's database holds it."""
    db = sqlite3.connect(f"file:{master.data_dir / 'tinykube.db'}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        rows = db.execute(
            "SELECT revision, event, user, component, verb, subresource, cause, note, at FROM revisions"
            " WHERE resource = 'pods' AND namespace = ? AND name = ? ORDER BY revision", (namespace, name))
        return [dict(row) for row in rows]
    finally:
        db.close()


# ----- provenance of writes


def test_kubectl_writes_are_recorded_as_the_admin_through_kubectl(master, kubectl, namespace):
    kubectl("run", "web", "--image=busybox:1.36", "-n", namespace)
    kubectl("label", "pod", "web", "tier=front", "-n", namespace)
    kubectl("delete", "pod", "web", "-n", namespace, "--wait=false")

    created, labelled, deleted = stored_origins(master, namespace, "web")
    assert (created["user"], created["component"], created["verb"]) == ("admin", "kubectl", "create")
    assert (labelled["component"], labelled["verb"], labelled["cause"]) == ("kubectl", "patch", None)
    assert (deleted["event"], deleted["verb"]) == ("DELETED", "delete")
    assert created["at"] <= labelled["at"] <= deleted["at"]


def test_the_python_client_sends_what_it_reacted_to_and_a_note_as_headers(master, namespace):
    api_client = kubernetes.config.new_client_from_config(config_file=str(master.kubeconfig))
    try:
        core = client.CoreV1Api(api_client)
        first = core.create_namespaced_pod(namespace, pod("web"))
        api_client.set_default_header("X-Tinykube-Reacted-To", first.metadata.resource_version)
        api_client.set_default_header("X-Tinykube-Note", "because  I\tsaid so " + "x" * 400)
        core.patch_namespaced_pod("web", namespace, {"metadata": {"labels": {"seen": "yes"}}})
    finally:
        api_client.close()

    created, patched = stored_origins(master, namespace, "web")
    assert created["component"] == "OpenAPI-Generator" and created["cause"] is None
    assert patched["cause"] == int(first.metadata.resource_version)
    assert patched["note"].startswith("because I said so x") and len(patched["note"]) == 300


def test_apiclient_carries_the_cause_and_note_of_its_context_and_a_subresource_has_its_own_verb(master, namespace):
    with ApiClient(load_kubeconfig(master.kubeconfig), user_agent="tinykube-kubelet/node-1") as api:
        created = api.create(POD, pod("web"), namespace)
        rv = created["metadata"]["resourceVersion"]
        with reacting_to(rv), explaining("sandbox 12 ms, pull 0 ms"):
            api.update(POD, {**created, "status": {"phase": "Running"}}, subresource="status")
        api.post_path(f"/api/v1/namespaces/{namespace}/pods/web/binding",
                      {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web"},
                       "target": {"kind": "Node", "name": "node-1"}})

    created_row, status_row, bound_row = stored_origins(master, namespace, "web")
    assert created_row["component"] == "kubelet/node-1"
    assert (status_row["verb"], status_row["subresource"], status_row["cause"], status_row["note"]) == (
        "update", "status", int(rv), "sandbox 12 ms, pull 0 ms")
    assert (bound_row["verb"], bound_row["subresource"]) == ("bind", "binding")


@pytest.mark.parametrize("value", ["abc", "-3", "0", "12.5", "", "99999999999999999999", "1000000000"])
def test_a_malformed_cause_header_is_ignored_and_the_write_still_succeeds(master, api, namespace, value):
    response = api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod("web"),
                        headers={"X-Tinykube-Reacted-To": value, "User-Agent": "tkctl/0.1.0"})
    assert response.status_code == 201, response.text
    (row,) = stored_origins(master, namespace, "web")
    assert (row["cause"], row["component"]) == (None, "tkctl")


def test_the_writes_of_a_namespace_delete_made_in_a_worker_thread_carry_the_requests_origin(master, api):
    """The namespace's content is deleted in run_in_threadpool: the origin must follow it there."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/namespaces", json={"metadata": {"name": name}}).status_code == 201
    assert api.post(f"/api/v1/namespaces/{name}/pods", json=pod("web")).status_code == 201
    response = api.delete(f"/api/v1/namespaces/{name}", headers={"User-Agent": "tkctl/0.1.0",
                                                                 "X-Tinykube-Note": "cleanup"})
    assert response.status_code == 200, response.text

    deleted = stored_origins(master, name, "web")[-1]
    assert (deleted["event"], deleted["user"], deleted["component"], deleted["verb"], deleted["note"]) == (
        "DELETED", "admin", "tkctl", "delete", "cleanup")


def test_a_deletecollection_in_a_worker_thread_records_each_delete_with_the_requests_origin(master, api, namespace):
    for name in ("a", "b"):
        assert api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod(name)).status_code == 201
    response = api.delete(f"/api/v1/namespaces/{namespace}/pods", headers={"User-Agent": "tkctl/0.1.0"})
    assert response.status_code == 200, response.text
    for name in ("a", "b"):
        deleted = stored_origins(master, namespace, name)[-1]
        assert (deleted["event"], deleted["component"], deleted["verb"]) == ("DELETED", "tkctl", "deletecollection")


# ----- history and the revisions endpoint

REVISIONS = "/apis/tinykube.io/v1alpha1/revisions"


def merge_patch(api, path: str, patch: dict):
    response = api.patch(path, json=patch, headers={"Content-Type": "application/merge-patch+json"})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_pods_history_lists_each_revision_with_its_field_changes_even_after_it_is_deleted(api, namespace):
    path = f"/api/v1/namespaces/{namespace}/pods/web"
    created = api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod("web", "nginx:1.26"))
    assert created.status_code == 201
    merge_patch(api, path, {"metadata": {"labels": {"app.kubernetes.io/name": "web"}}})
    api.patch(path, json={"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}},
              headers={"Content-Type": "application/strategic-merge-patch+json"}).raise_for_status()
    merge_patch(api, f"{path}/status", {"status": {"phase": "Running"}})
    assert api.delete(path).status_code == 200

    history = api.get(f"{path}/history")
    assert history.status_code == 200, history.text
    answer = history.json()
    assert (answer["apiVersion"], answer["kind"]) == ("tinykube.io/v1alpha1", "RevisionList")
    items = answer["items"]
    assert [item["type"] for item in items] == ["ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED"]
    assert [item["kind"] for item in items] == ["Revision"] * 5
    assert "changes" not in items[0]
    assert items[1]["changes"] == [{"path": "metadata.labels", "new": {"app.kubernetes.io/name": "web"}}]
    assert items[2]["changes"] == [{"path": "spec.containers[app].image", "old": "nginx:1.26", "new": "nginx:1.27"}]
    assert {"path": "status.phase", "old": "Pending", "new": "Running"} in items[3]["changes"] or \
        {"path": "status.phase", "new": "Running"} in items[3]["changes"]
    assert items[3]["provenance"]["subresource"] == "status"
    assert items[-1]["changes"] == [] and items[-1]["object"]["metadata"]["name"] == "web"
    revisions = [item["revision"] for item in items]
    assert revisions == sorted(revisions) and items[0]["metadata"]["name"] == str(revisions[0])
    assert all(item["time"].endswith("Z") and item["provenance"]["user"] == "admin" for item in items)
    assert int(answer["metadata"]["resourceVersion"]) >= revisions[-1]


def test_the_revisions_endpoint_filters_orders_limits_and_leaves_out_objects(api, namespace):
    pods = f"/api/v1/namespaces/{namespace}/pods"
    for name in ("a", "b"):
        assert api.post(pods, json=pod(name)).status_code == 201
    merge_patch(api, f"{pods}/a", {"metadata": {"labels": {"x": "1"}}})

    everything = api.get(REVISIONS, params={"resource": "po", "namespace": namespace}).json()
    assert [(i["name"], i["type"]) for i in everything["items"]] == [("a", "ADDED"), ("b", "ADDED"), ("a", "MODIFIED")]
    assert all(i["resource"] == "pods" and i["namespace"] == namespace for i in everything["items"])
    first = everything["items"][0]["revision"]

    newest = api.get(REVISIONS, params={"namespace": namespace, "order": "desc", "limit": "1",
                                        "objects": "false"}).json()["items"]
    assert [(i["name"], i["type"]) for i in newest] == [("a", "MODIFIED")] and "object" not in newest[0]
    after_first = api.get(REVISIONS, params={"namespace": namespace, "sinceRevision": str(first),
                                             "untilRevision": str(first + 1)}).json()["items"]
    assert [i["name"] for i in after_first] == ["b"]
    named = api.get(REVISIONS, params={"namespace": namespace, "name": "a", "resource": "pods"}).json()["items"]
    assert [i["type"] for i in named] == ["ADDED", "MODIFIED"]
    one = api.get(f"{REVISIONS}/{first}").json()
    assert (one["kind"], one["revision"], one["name"]) == ("Revision", first, "a")
    assert api.get(f"{REVISIONS}/999999999").status_code == 404

    times = [i["time"] for i in everything["items"]]
    in_window = api.get(REVISIONS, params={"namespace": namespace, "since": times[1], "until": times[2]}).json()
    assert [i["revision"] for i in in_window["items"]] == [i["revision"] for i in everything["items"][1:]]
    assert api.get(REVISIONS, params={"namespace": namespace, "until": "2000-01-01T00:00:00Z"}).json()["items"] == []


def test_kubectl_get_revisions_shows_each_revision_with_its_age(kubectl, api, namespace):
    assert api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod("aged")).status_code == 201
    lines = kubectl("get", "revisions").stdout.splitlines()
    assert lines[0].split() == ["NAME", "AGE"]
    assert lines[1:] and all(not line.endswith("<unknown>") for line in lines[1:]), lines


@pytest.mark.parametrize("param, value", [
    ("sinceRevision", "yesterday"), ("untilRevision", "-1"), ("limit", "many"), ("order", "sideways"),
    ("objects", "maybe"), ("since", "last tuesday"), ("until", "2026-01-01T00:00:00"), ("resource", "widgets"),
])
def test_a_bad_revisions_parameter_is_a_400_status_naming_it(api, param, value):
    answer = api.get(REVISIONS, params={param: value})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["kind"], body["reason"]) == ("Status", "BadRequest") and param in body["message"]
    on_history = api.get("/api/v1/namespaces/default/pods/any/history", params={param: value})
    if param != "resource":
        assert on_history.status_code == 400


def test_only_admins_read_the_log(master, namespace):
    with master.client(master.token("node")) as node:
        assert node.get(REVISIONS).status_code == 403
        assert node.get(f"/api/v1/namespaces/{namespace}/pods/web/history").status_code == 403
        assert node.get("/api/v1/nodes/n1/history").status_code == 403


def test_discovery_serves_the_revisions_resource_and_history_and_trace_on_every_stored_kind(api):
    listed = api.get("/apis/tinykube.io/v1alpha1").json()
    by_name = {entry["name"]: entry for entry in listed["resources"]}
    assert by_name["revisions"]["verbs"] == ["get", "list"] and by_name["revisions"]["kind"] == "Revision"
    core = {entry["name"]: entry for entry in api.get("/api/v1").json()["resources"]}
    for name in ("pods/history", "nodes/history", "events/trace", "namespaces/trace"):
        assert core[name]["verbs"] == ["get"], name
    assert (core["pods/history"]["kind"], core["pods/history"]["group"]) == ("RevisionList", "tinykube.io")
    aggregated = api.get("/apis", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}).json()
    apps = next(group for group in aggregated["items"] if group["metadata"].get("name") == "apps")
    deployments = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    trace = next(s for s in deployments["subresources"] if s["subresource"] == "trace")
    assert trace == {"subresource": "trace", "verbs": ["get"],
                     "responseKind": {"group": "tinykube.io", "version": "v1alpha1", "kind": "Trace"}}


# ----- trace


def write_as(master, user_agent: str):
    return ApiClient(load_kubeconfig(master.kubeconfig), user_agent=user_agent)


WEB_TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}}


def web_deployment() -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": WEB_TEMPLATE}}


def web_replicaset() -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": WEB_TEMPLATE}}


def flatten(hops: list[dict], depth: int = 0) -> list[tuple[int, str, str, str]]:
    """Each hop as (depth, component, resource/name, summary), depth first."""
    rows = []
    for hop in hops:
        rows.append((depth, hop["provenance"].get("component"), f"{hop['resource']}/{hop['name']}", hop["summary"]))
        rows.extend(flatten(hop["children"], depth + 1))
    return rows


def test_a_trace_follows_causes_down_from_a_deployment_and_up_from_one_of_its_pods(master, api, namespace):
    deployment, replicaset = web_deployment(), web_replicaset()
    created = api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=deployment).json()
    assert api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments",
                    json={**deployment, "metadata": {"name": "other"}}).status_code == 201
    with write_as(master, "tinykube-controller/deployment") as controller, \
            reacting_to(created["metadata"]["resourceVersion"]):
        rs = controller.create(REPLICASET, replicaset, namespace)
    with write_as(master, "tinykube-controller/replicaset") as controller, \
            reacting_to(rs["metadata"]["resourceVersion"]):
        pods = [controller.create(POD, pod(name), namespace) for name in ("web-1-a", "web-1-b")]
    with write_as(master, "tinykube-scheduler") as scheduler, reacting_to(pods[0]["metadata"]["resourceVersion"]):
        scheduler.post_path(f"/api/v1/namespaces/{namespace}/pods/web-1-a/binding",
                            {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web-1-a"},
                             "target": {"kind": "Node", "name": "node-2"}})
    bound = api.get(f"/api/v1/namespaces/{namespace}/pods/web-1-a").json()
    with write_as(master, "tinykube-kubelet/node-2") as kubelet, reacting_to(bound["metadata"]["resourceVersion"]), \
            explaining("sandbox 3 ms, pull 0 ms, create 5 ms, start 7 ms"):
        kubelet.update(POD, {**bound, "status": {"phase": "Running"}}, subresource="status")

    answer = api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/web/trace")
    assert answer.status_code == 200, answer.text
    traced = answer.json()
    assert (traced["kind"], traced["subject"]["kind"], traced["truncated"]) == ("Trace", "Deployment", False)
    assert flatten(traced["roots"]) == [
        (0, "python-httpx", "deployments.apps/web", "created"),
        (1, "controller/deployment", "replicasets.apps/web-1", "created"),
        (2, "controller/replicaset", "pods/web-1-a", "created"),
        (3, "scheduler", "pods/web-1-a", "bound to node-2"),
        (4, "kubelet/node-2", "pods/web-1-a", "phase Running"),
        (2, "controller/replicaset", "pods/web-1-b", "created"),
    ]
    root = traced["roots"][0]
    assert "latencyMilliseconds" not in root
    running = root["children"][0]["children"][0]["children"][0]["children"][0]
    assert running["provenance"]["note"] == "sandbox 3 ms, pull 0 ms, create 5 ms, start 7 ms"
    assert running["latencyMilliseconds"] >= 0

    # From a pod: its ancestors up to the root, but not its sibling's branch.
    from_pod = api.get(f"/api/v1/namespaces/{namespace}/pods/web-1-a/trace").json()
    assert [row[2:] for row in flatten(from_pod["roots"])] == [
        ("deployments.apps/web", "created"), ("replicasets.apps/web-1", "created"), ("pods/web-1-a", "created"),
        ("pods/web-1-a", "bound to node-2"), ("pods/web-1-a", "phase Running")]
    times = [hop["time"] for hop in _depth_first(from_pod["roots"])]
    assert times == sorted(times)


def test_a_trace_keeps_every_child_of_an_ancestor_its_subject_also_descends_from(master, api, namespace):
    """The Deployment's status reacts to one of the pods its ReplicaSet made: walking up from that
    status write meets the ReplicaSet first, and its other pod must still be in the tree."""
    deployment, replicaset = web_deployment(), web_replicaset()
    created = api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=deployment).json()
    with write_as(master, "tinykube-controller/deployment") as controller, \
            reacting_to(created["metadata"]["resourceVersion"]):
        rs = controller.create(REPLICASET, replicaset, namespace)
    with write_as(master, "tinykube-controller/replicaset") as controller, \
            reacting_to(rs["metadata"]["resourceVersion"]):
        first, _second = [controller.create(POD, pod(name), namespace) for name in ("web-1-a", "web-1-b")]
    live = api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/web").json()
    with write_as(master, "tinykube-controller/deployment") as controller, \
            reacting_to(first["metadata"]["resourceVersion"]):
        controller.update(DEPLOYMENT, {**live, "status": {"replicas": 1}}, subresource="status")

    traced = api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/web/trace").json()
    objects = [row[2] for row in flatten(traced["roots"])]
    assert objects.count("deployments.apps/web") == 2, objects
    assert "pods/web-1-a" in objects and "pods/web-1-b" in objects, objects


def _depth_first(hops):
    for hop in hops:
        yield hop
        yield from _depth_first(hop["children"])


def test_a_nodes_trace_leaves_out_heartbeats_nothing_reacted_to(master, api):
    name = f"trace-node-{uuid.uuid4().hex[:6]}"
    ready = {"type": "Ready", "status": "True", "lastHeartbeatTime": "2026-01-01T00:00:00Z"}
    api.post("/api/v1/nodes", json={"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                                    "status": {"conditions": [ready]}}).raise_for_status()
    try:
        for second in ("10", "20"):
            merge_patch(api, f"/api/v1/nodes/{name}/status", {"status": {"conditions": [
                {**ready, "lastHeartbeatTime": f"2026-01-01T00:00:{second}Z"}]}})
        with write_as(master, "tinykube-controller/nodelifecycle") as controller:
            not_ready = controller.patch_path(
                f"/api/v1/nodes/{name}/status", {"status": {"conditions": [{**ready, "status": "Unknown"}]}},
                content_type="application/strategic-merge-patch+json")
            with reacting_to(not_ready["metadata"]["resourceVersion"]):
                controller.patch_path(f"/api/v1/nodes/{name}", {"spec": {"taints": [
                    {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]}},
                    content_type="application/merge-patch+json")

        traced = api.get(f"/api/v1/nodes/{name}/trace", params={"sinceSeconds": "600"}).json()
        assert [row[3] for row in flatten(traced["roots"])] == [
            "created", "Ready Unknown", "taint node.kubernetes.io/unreachable:NoExecute added"]
        assert traced["since"].endswith("Z")
    finally:
        api.delete(f"/api/v1/nodes/{name}")


@pytest.mark.parametrize("param, value", [("since", "an hour ago"), ("sinceSeconds", "-5"), ("sinceSeconds", "x")])
def test_a_bad_trace_window_is_a_400_naming_its_parameter(api, param, value):
    answer = api.get("/api/v1/namespaces/default/pods/any/trace", params={param: value})
    assert answer.status_code == 400 and param in answer.json()["message"]
