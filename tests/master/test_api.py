"""The API server over real HTTPS: auth, verbs, conflicts, watch, and bad input that writes nothing."""

import asyncio
import json
import threading

import httpx
import pytest

from apiclient.client import LOOPBACK_BASE_URL
from master.api.app import create_app
from master.api.loopback import LoopbackTransport
from master.auth import TokenAuthenticator
from master.store import ObjectKey, SqlStore
from tests.support.cluster import wait_for

ADMIN_TOKEN, NODE_TOKEN = "admin-token", "node-token"


def pod(name="web", image="busybox:1.36", **extra):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": image}]}, **extra}


def deployment(name="web", replicas=2):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]}}}}


def pods_path(namespace, name=""):
    return f"/api/v1/namespaces/{namespace}/pods" + (f"/{name}" if name else "")


# ----- security


def test_every_endpoint_but_health_and_version_needs_a_token(master):
    with httpx.Client(base_url=master.url, verify=master.ca) as anonymous:
        for path in ("/healthz", "/readyz", "/version"):
            assert anonymous.get(path).status_code == 200
        for path in ("/api", "/apis", "/api/v1/pods", "/openapi/v3", "/api/v1/namespaces/default/pods/x"):
            answer = anonymous.get(path)
            assert answer.status_code == 401, path
            assert answer.json()["kind"] == "Status" and answer.json()["reason"] == "Unauthorized"


def test_a_wrong_token_is_unauthorized(master):
    with master.client(token="not-the-token") as client:
        assert client.get("/api/v1/pods").status_code == 401


def test_the_master_serves_only_https_on_loopback(master):
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{master.port}/healthz", timeout=2)


def test_the_node_token_cannot_create_pods_or_touch_deployments(master, namespace):
    with master.client(token=master.token("node")) as node:
        denied = node.post(pods_path(namespace), json=pod())
        assert denied.status_code == 403
        assert denied.json()["message"] == (
            f'pods is forbidden: User "system:node" cannot create resource "pods" in API group "" '
            f'in the namespace "{namespace}"')
        assert node.get(f"/apis/apps/v1/namespaces/{namespace}/deployments").status_code == 403
        assert node.get("/api/v1/pods?fieldSelector=spec.nodeName=node-1").status_code == 200
        assert node.get("/api/v1/nodes").status_code == 200


# ----- verbs


def test_create_defaults_server_fields_and_get_returns_the_same_object(api, namespace):
    created = api.post(pods_path(namespace), json=pod())
    assert created.status_code == 201
    body = created.json()
    meta = body["metadata"]
    assert meta["namespace"] == namespace and meta["uid"] and meta["creationTimestamp"]
    assert body["status"]["phase"] == "Pending"
    assert api.get(pods_path(namespace, "web")).json() == body


def test_create_of_an_existing_name_is_409_already_exists(api, namespace):
    api.post(pods_path(namespace), json=pod())
    again = api.post(pods_path(namespace), json=pod())
    assert again.status_code == 409
    assert again.json()["reason"] == "AlreadyExists"
    assert again.json()["message"] == 'pods "web" already exists'


def test_update_with_a_stale_resource_version_is_409_conflict(api, namespace):
    created = api.post(pods_path(namespace), json=pod()).json()
    fresh = {**created, "metadata": {**created["metadata"], "labels": {"v": "1"}}}
    assert api.put(pods_path(namespace, "web"), json=fresh).status_code == 200
    stale = {**created, "metadata": {**created["metadata"], "labels": {"v": "2"}}}
    answer = api.put(pods_path(namespace, "web"), json=stale)
    assert answer.status_code == 409
    assert answer.json()["reason"] == "Conflict"
    assert answer.json()["message"].startswith('Operation cannot be fulfilled on pods "web": the object has been modified')
    assert api.get(pods_path(namespace, "web")).json()["metadata"]["labels"] == {"v": "1"}


def test_merge_json_and_strategic_patches_apply(api, namespace):
    api.post(pods_path(namespace), json=pod())
    merge = api.patch(pods_path(namespace, "web"), content=json.dumps({"metadata": {"labels": {"tier": "a"}}}),
                      headers={"Content-Type": "application/merge-patch+json"})
    assert merge.json()["metadata"]["labels"] == {"app": "web", "tier": "a"}
    jsonpatch = api.patch(pods_path(namespace, "web"),
                          content=json.dumps([{"op": "remove", "path": "/metadata/labels/tier"}]),
                          headers={"Content-Type": "application/json-patch+json"})
    assert jsonpatch.json()["metadata"]["labels"] == {"app": "web"}
    strategic = api.patch(pods_path(namespace, "web"),
                          content=json.dumps({"spec": {"containers": [{"name": "app", "image": "busybox:1.37"}]}}),
                          headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert strategic.status_code == 200, strategic.text
    assert [c["image"] for c in strategic.json()["spec"]["containers"]] == ["busybox:1.37"]


def test_a_patch_that_changes_nothing_writes_nothing(api, namespace):
    created = api.post(pods_path(namespace), json=pod()).json()
    same = api.patch(pods_path(namespace, "web"), content=json.dumps({"metadata": {"labels": {"app": "web"}}}),
                     headers={"Content-Type": "application/merge-patch+json"}).json()
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_list_filters_by_label_and_field_selectors(api, namespace):
    for name in ("a", "b", "c"):
        api.post(pods_path(namespace), json=pod(name))
    by_label = api.get(pods_path(namespace), params={"labelSelector": "app in (a,b)"}).json()
    assert [p["metadata"]["name"] for p in by_label["items"]] == ["a", "b"]
    by_field = api.get(pods_path(namespace), params={"fieldSelector": "metadata.name!=a,spec.nodeName="}).json()
    assert [p["metadata"]["name"] for p in by_field["items"]] == ["b", "c"]
    assert by_field["kind"] == "PodList" and int(by_field["metadata"]["resourceVersion"]) > 0


def test_cluster_wide_lists_span_namespaces(api, namespace):
    api.post(pods_path(namespace), json=pod())
    names = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in api.get("/api/v1/pods").json()["items"]}
    assert (namespace, "web") in names
    assert api.get("/api/v1/events").status_code == 200


def test_an_unbound_pod_is_deleted_at_once(api, namespace):
    api.post(pods_path(namespace), json=pod())
    assert api.delete(pods_path(namespace, "web")).status_code == 200
    assert api.get(pods_path(namespace, "web")).status_code == 404


def test_a_bound_pod_is_only_marked_until_its_kubelet_confirms(api, namespace):
    api.post(pods_path(namespace), json=pod())
    bound = api.post(pods_path(namespace, "web") + "/binding",
                     json={"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web"},
                           "target": {"kind": "Node", "name": "node-1"}})
    assert bound.status_code == 201
    marked = api.delete(pods_path(namespace, "web")).json()
    assert marked["metadata"]["deletionTimestamp"] and marked["metadata"]["deletionGracePeriodSeconds"] == 30
    assert api.get(pods_path(namespace, "web")).status_code == 200
    assert api.delete(pods_path(namespace, "web"), params={"gracePeriodSeconds": "0"}).status_code == 200
    assert api.get(pods_path(namespace, "web")).status_code == 404


def test_binding_sets_the_node_and_the_pod_scheduled_condition_once(api, namespace):
    api.post(pods_path(namespace), json=pod())
    binding = {"metadata": {"name": "web"}, "target": {"kind": "Node", "name": "node-1"}}
    assert api.post(pods_path(namespace, "web") + "/binding", json=binding).status_code == 201
    bound = api.get(pods_path(namespace, "web")).json()
    assert bound["spec"]["nodeName"] == "node-1"
    assert {"type": "PodScheduled", "status": "True"}.items() <= bound["status"]["conditions"][0].items()
    again = api.post(pods_path(namespace, "web") + "/binding", json={**binding, "target": {"name": "node-2"}})
    assert again.status_code == 409


def test_status_subresource_writes_only_status_and_main_resource_only_spec(api, namespace):
    created = api.post(pods_path(namespace), json=pod()).json()
    with_status = {**created, "status": {"phase": "Running"}, "metadata": {**created["metadata"], "labels": {"x": "y"}}}
    after_status = api.put(pods_path(namespace, "web") + "/status", json=with_status).json()
    assert after_status["status"]["phase"] == "Running"
    assert after_status["metadata"]["labels"] == {"app": "web"}
    after_main = api.put(pods_path(namespace, "web"), json={**after_status, "status": {"phase": "Failed"}}).json()
    assert after_main["status"]["phase"] == "Running"


def test_deployment_scale_subresource_reads_and_writes_replicas(api, namespace):
    base = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    created = api.post(base, json=deployment()).json()
    assert created["metadata"]["generation"] == 1
    scale = api.get(f"{base}/web/scale").json()
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1" and scale["spec"]["replicas"] == 2
    assert scale["status"]["selector"] == "app=web"
    patched = api.patch(f"{base}/web/scale", content=json.dumps({"spec": {"replicas": 5}}),
                        headers={"Content-Type": "application/merge-patch+json"})
    assert patched.json()["spec"]["replicas"] == 5
    after = api.get(f"{base}/web").json()
    assert after["spec"]["replicas"] == 5 and after["metadata"]["generation"] == 2


def test_create_in_a_missing_namespace_is_not_found(api):
    answer = api.post(pods_path("no-such-namespace"), json=pod())
    assert answer.status_code == 404
    assert answer.json()["message"] == 'namespaces "no-such-namespace" not found'


def test_unknown_paths_and_kinds_answer_a_status(api):
    for path in ("/api/v1/widgets", "/apis/nope/v1/things", "/api/v1/namespaces/default/pods/x/nosuch"):
        answer = api.get(path)
        assert answer.status_code == 404 and answer.json()["kind"] == "Status", path


# ----- watch


def test_watch_from_a_resource_version_replays_then_follows(api, namespace, master):
    first = api.post(pods_path(namespace), json=pod("a")).json()
    api.post(pods_path(namespace), json=pod("b"))
    events = []

    def watch():
        with master.client() as client, client.stream(
            "GET", pods_path(namespace),
            params={"watch": "true", "resourceVersion": first["metadata"]["resourceVersion"], "timeoutSeconds": "10"},
        ) as stream:
            for line in stream.iter_lines():
                events.append(json.loads(line))
                if len(events) == 2:
                    return

    watcher = threading.Thread(target=watch)
    watcher.start()
    wait_for(lambda: len(events) >= 1, message="the replayed event")
    api.delete(pods_path(namespace, "a"))
    watcher.join(timeout=15)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "b"), ("DELETED", "a")]


def test_watch_without_a_resource_version_starts_with_synthetic_added_events(api, namespace):
    api.post(pods_path(namespace), json=pod("a"))
    with api.stream("GET", pods_path(namespace), params={"watch": "1", "timeoutSeconds": "1"}) as stream:
        lines = [json.loads(line) for line in stream.iter_lines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in lines] == [("ADDED", "a")]


def test_watch_with_table_accept_streams_table_rows(api, namespace):
    api.post(pods_path(namespace), json=pod("a"))
    headers = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
    with api.stream("GET", pods_path(namespace), params={"watch": "1", "resourceVersion": "0", "timeoutSeconds": "1"},
                    headers=headers) as stream:
        event = json.loads(next(stream.iter_lines()))
    assert event["object"]["kind"] == "Table"
    assert event["object"]["rows"][0]["cells"][0] == "a"


# ----- bad input: a clear Status naming the field, and nothing written


def _revision(api):
    return int(api.get("/api/v1/namespaces").json()["metadata"]["resourceVersion"])


@pytest.mark.parametrize("content, content_type, code, reason, mentions", [
    (b'{"metadata": {"name": "x"', "application/json", 400, "BadRequest", "could not be decoded"),
    (b"metadata: [unclosed", "application/yaml", 400, "BadRequest", "could not be decoded"),
    (json.dumps(pod(spec={"containers": "nope"})).encode(), "application/json", 400, "BadRequest", "spec.containers"),
    (b"x" * (3 * 1024 * 1024 + 1), "application/json", 413, "RequestEntityTooLarge", "limit"),
    (json.dumps({**pod(), "apiVersion": "apps/v1"}).encode(), "application/json", 400, "BadRequest", "apps/v1"),
])
def test_malformed_bodies_get_a_status_and_write_nothing(api, namespace, content, content_type, code, reason, mentions):
    before = _revision(api)
    answer = api.post(pods_path(namespace), content=content, headers={"Content-Type": content_type})
    assert answer.status_code == code, answer.text
    assert answer.json()["kind"] == "Status" and answer.json()["reason"] == reason
    assert mentions in answer.json()["message"]
    assert _revision(api) == before


def test_unknown_fields_are_rejected_under_strict_validation_with_the_field_named(api, namespace):
    before = _revision(api)
    manifest = pod()
    manifest["spec"]["containers"][0]["imagee"] = "typo"
    answer = api.post(pods_path(namespace), params={"fieldValidation": "Strict"}, json=manifest)
    assert answer.status_code == 400
    assert 'unknown field "spec.containers[0].imagee"' in answer.json()["message"]
    assert _revision(api) == before


def test_unknown_fields_are_dropped_with_a_warning_by_default(api, namespace):
    manifest = pod()
    manifest["spec"]["bogus"] = 1
    answer = api.post(pods_path(namespace), json=manifest)
    assert answer.status_code == 201
    assert "bogus" not in answer.json()["spec"]
    assert 'unknown field \\"spec.bogus\\"' in answer.headers["warning"]


def test_deleting_a_namespace_answers_it_terminating_and_removes_its_contents(api):
    api.post("/api/v1/namespaces", json={"metadata": {"name": "doomed"}})
    api.post(pods_path("doomed"), json=pod())
    answer = api.delete("/api/v1/namespaces/doomed")
    assert answer.status_code == 200
    assert answer.json()["kind"] == "Namespace" and answer.json()["status"]["phase"] == "Terminating"
    assert answer.json()["metadata"]["deletionTimestamp"]
    assert api.get("/api/v1/namespaces/doomed").status_code == 404
    assert api.get(pods_path("doomed", "web")).status_code == 404
    assert api.delete("/api/v1/namespaces/default").status_code == 403


def test_legacy_discovery_serves_groups_their_versions_and_resources(api):
    assert api.get("/apis/apps").json() == {
        "kind": "APIGroup", "apiVersion": "v1", "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}
    resources = {r["name"] for r in api.get("/apis/apps/v1").json()["resources"]}
    assert {"deployments", "deployments/scale", "replicasets", "daemonsets"} <= resources
    assert api.get("/apis/nosuchgroup").status_code == 404


def test_a_status_write_for_a_recreated_namesake_is_refused_by_its_uid(api, namespace):
    # Guards against a stale kubelet worker writing an old pod's status onto a new pod of the same name.
    old = api.post(pods_path(namespace), json=pod()).json()
    api.delete(pods_path(namespace, "web"))
    api.post(pods_path(namespace), json=pod())
    stale = api.patch(pods_path(namespace, "web") + "/status",
                      content=json.dumps({"metadata": {"uid": old["metadata"]["uid"]}, "status": {"phase": "Failed"}}),
                      headers={"Content-Type": "application/merge-patch+json"})
    assert stale.status_code == 409
    assert "Precondition failed: UID in precondition" in stale.json()["message"]
    assert api.get(pods_path(namespace, "web")).json()["status"]["phase"] == "Pending"


# ----- a namespace being deleted


@pytest.fixture
def served_in_process(tmp_path):
    """The app on an event loop thread over a real SQLite store, and that store.

    Over HTTPS a namespace is Terminating only while its own delete request runs;
    in process, a test can mark it through the store and hold it there.
    """
    store = SqlStore(f"sqlite:///{tmp_path / 'tinykube.db'}")
    app = create_app(store=store, authenticator=TokenAuthenticator(admin_token=ADMIN_TOKEN, node_token=NODE_TOKEN))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    with httpx.Client(base_url=LOOPBACK_BASE_URL, transport=LoopbackTransport(app, loop),
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
        yield http, store
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    store.close()


def mark_terminating(store, namespace):
    """What a namespace delete writes first, before it empties the namespace."""
    def mark(ns):
        ns["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
        ns["status"] = {"phase": "Terminating"}
        return ns
    store.guaranteed_update(ObjectKey("namespaces", "", namespace), mark)


@pytest.mark.parametrize(("path", "manifest", "subject", "details"), [
    (pods_path("going"), pod(), 'pods "web"', {"name": "web", "kind": "pods"}),
    ("/apis/apps/v1/namespaces/going/deployments", {**deployment(), "metadata": {"generateName": "web-"}},
     "deployments.apps", {"group": "apps", "kind": "deployments"}),  # a generated name is not chosen yet
])
def test_a_create_in_a_terminating_namespace_is_forbidden_with_a_namespace_terminating_cause(
        served_in_process, path, manifest, subject, details):
    http, store = served_in_process
    assert http.post("/api/v1/namespaces", json={"metadata": {"name": "going"}}).status_code == 201
    mark_terminating(store, "going")

    answer = http.post(path, json=manifest)

    assert answer.status_code == 403
    assert answer.content == json.dumps({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f"{subject} is forbidden: unable to create new content in namespace going "
                   "because it is being terminated",
        "reason": "Forbidden",
        "details": {**details, "causes": [{"reason": "NamespaceTerminating",
                                           "message": "namespace going is being terminated",
                                           "field": "metadata.namespace"}]},
        "code": 403,
    }, separators=(",", ":")).encode()
