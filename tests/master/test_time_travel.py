"""Lists at an exact past revision (Kubernetes' resourceVersionMatch=Exact), against a live master.

The claim: what a watch had seen at revision N is what a list at revision N answers.
"""

import json
import threading

import httpx
import pytest

from tests.support.cluster import wait_for


def pod(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]}}


def node(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}


def deployment(name: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]}}}}


class WatchedState:
    """A watch from a list's revision, applying each event to a copy of the state and keeping every step."""

    def __init__(self, api: httpx.Client, path: str):
        self.api, self.path = api, path
        listed = api.get(path).json()
        self.state = {self._key(item): item for item in listed["items"]}
        self.seen: dict[int, dict] = {int(listed["metadata"]["resourceVersion"]): dict(self.state)}
        self.newest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, args=(listed["metadata"]["resourceVersion"],),
                                        daemon=True)
        self._thread.start()

    @staticmethod
    def _key(obj: dict) -> tuple:
        return obj["metadata"].get("namespace"), obj["metadata"]["name"]

    def _follow(self, resource_version: str) -> None:
        params = {"watch": "true", "resourceVersion": resource_version, "timeoutSeconds": "30"}
        try:
            self._apply_events(params)
        except httpx.HTTPError:
            pass  # the master went away at the end of the session: nothing left to see

    def _apply_events(self, params: dict) -> None:
        with self.api.stream("GET", self.path, params=params) as response:
            for line in response.iter_lines():
                if self._stop.is_set():  # the test reads `seen` from now on: it must stop moving
                    return
                if not line.strip():
                    continue
                event = json.loads(line)
                obj = event["object"]
                if event["type"] == "DELETED":
                    self.state.pop(self._key(obj), None)
                else:
                    self.state[self._key(obj)] = obj
                revision = int(obj["metadata"]["resourceVersion"])
                self.seen[revision] = dict(self.state)
                self.newest = revision

    def wait_until(self, revision: int) -> None:
        wait_for(lambda: self.newest >= revision, timeout=10, message=f"the watch to reach {revision}")
        self._stop.set()

    def wait_until_gone(self, name: str) -> None:
        wait_for(lambda: (None, name) not in self.state and self.newest, timeout=10,
                 message=f"the watch to see {name} deleted")
        self._stop.set()


def exactly_at(api: httpx.Client, path: str, revision: int, **params: str) -> httpx.Response:
    return api.get(path, params={"resourceVersion": str(revision), "resourceVersionMatch": "Exact", **params})


def assert_lists_reproduce_the_watch(api: httpx.Client, path: str, watched: WatchedState) -> None:
    assert len(watched.seen) > 3
    for revision, state in list(watched.seen.items()):
        answer = exactly_at(api, path, revision)
        assert answer.status_code == 200, answer.text
        listed = answer.json()
        assert listed["metadata"]["resourceVersion"] == str(revision)
        assert {WatchedState._key(item): item for item in listed["items"]} == state, revision


def test_a_pod_list_at_each_revision_is_what_a_watch_had_seen_then(api, namespace):
    path = f"/api/v1/namespaces/{namespace}/pods"
    watched = WatchedState(api, path)
    for name in ("a", "b", "c"):
        assert api.post(path, json=pod(name, app=name)).status_code == 201
    assert api.patch(f"{path}/a", json={"metadata": {"labels": {"tier": "front"}}},
                     headers={"Content-Type": "application/merge-patch+json"}).status_code == 200
    assert api.delete(f"{path}/b").status_code == 200
    last = api.post(path, json=pod("b", app="b-again")).json()
    watched.wait_until(int(last["metadata"]["resourceVersion"]))

    assert_lists_reproduce_the_watch(api, path, watched)


def test_a_node_list_at_each_revision_is_what_a_watch_had_seen_then(api):
    path = "/api/v1/nodes"
    watched = WatchedState(api, path)
    names = [f"tt-node-{i}" for i in range(3)]
    try:
        for name in names:
            assert api.post(path, json=node(name)).status_code == 201
        patched = api.patch(f"{path}/{names[0]}/status",
                            json={"status": {"conditions": [{"type": "Ready", "status": "False"}]}},
                            headers={"Content-Type": "application/merge-patch+json"})
        assert patched.status_code == 200, patched.text
        assert api.delete(f"{path}/{names[1]}").status_code == 200
        watched.wait_until_gone(names[1])
        assert_lists_reproduce_the_watch(api, path, watched)
    finally:
        for name in names:
            api.delete(f"{path}/{name}")


def test_a_deployment_list_at_each_revision_is_what_a_watch_had_seen_then(api, namespace):
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    watched = WatchedState(api, path)
    for name in ("web", "api"):
        assert api.post(path, json=deployment(name)).status_code == 201
    scaled = api.patch(f"{path}/web/scale", json={"spec": {"replicas": 3}},
                       headers={"Content-Type": "application/merge-patch+json"})
    assert scaled.status_code == 200, scaled.text
    deleted = api.delete(f"{path}/api")
    assert deleted.status_code == 200
    last = api.get(f"{path}/web").json()
    watched.wait_until(max(int(last["metadata"]["resourceVersion"]), int(deleted.json()["metadata"].get(
        "resourceVersion", 0))))

    assert_lists_reproduce_the_watch(api, path, watched)


def test_selectors_and_tables_apply_to_a_past_list(api, namespace):
    path = f"/api/v1/namespaces/{namespace}/pods"
    assert api.post(path, json=pod("web", app="web")).status_code == 201
    then = api.post(path, json=pod("db", app="db")).json()["metadata"]["resourceVersion"]
    assert api.delete(f"{path}/web").status_code == 200

    selected = exactly_at(api, path, int(then), labelSelector="app=web").json()
    assert [item["metadata"]["name"] for item in selected["items"]] == ["web"]
    by_field = exactly_at(api, path, int(then), fieldSelector="metadata.name=db").json()
    assert [item["metadata"]["name"] for item in by_field["items"]] == ["db"]
    table = api.get(path, params={"resourceVersion": then, "resourceVersionMatch": "Exact"},
                    headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}).json()
    assert table["kind"] == "Table" and table["metadata"]["resourceVersion"] == then
    assert sorted(row["cells"][0] for row in table["rows"]) == ["db", "web"]
    assert [item["metadata"]["name"] for item in api.get(path).json()["items"]] == ["db"]


def test_not_older_than_and_no_match_keep_answering_the_current_list(api, namespace):
    path = f"/api/v1/namespaces/{namespace}/pods"
    first = api.post(path, json=pod("web")).json()["metadata"]["resourceVersion"]
    assert api.delete(f"{path}/web").status_code == 200
    for params in ({"resourceVersion": first, "resourceVersionMatch": "NotOlderThan"}, {"resourceVersion": first}):
        assert api.get(path, params=params).json()["items"] == []


def test_a_revision_past_the_newest_is_kubernetes_too_large_resource_version(api, namespace):
    newest = int(api.get("/api/v1/namespaces").json()["metadata"]["resourceVersion"])
    answer = exactly_at(api, f"/api/v1/namespaces/{namespace}/pods", newest + 1000)
    assert answer.status_code == 504
    body = answer.json()
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "Timeout", 504)
    assert body["message"].startswith(f"Timeout: Too large resource version: {newest + 1000}, current: ")
    assert body["details"]["causes"] == [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}]


@pytest.mark.parametrize("params, message", [
    ({"resourceVersionMatch": "Exact"},
     'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
     "resourceVersionMatch is forbidden unless resourceVersion is provided"),
    ({"resourceVersion": "5", "resourceVersionMatch": "Sometime"},
     'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Sometime": '
     'supported values: "Exact", "NotOlderThan", ""'),
    ({"resourceVersion": "0", "resourceVersionMatch": "Exact"},
     'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
     'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'),
])
def test_a_bad_resource_version_match_is_the_apiservers_invalid_list_options(api, namespace, params, message):
    answer = api.get(f"/api/v1/namespaces/{namespace}/pods", params=params)
    assert answer.status_code == 422
    body = answer.json()
    assert (body["reason"], body["message"]) == ("Invalid", message)
    assert body["details"]["causes"][0]["field"] == "resourceVersionMatch"


def test_a_resource_version_that_is_no_number_is_a_bad_request_naming_it(api, namespace):
    answer = api.get(f"/api/v1/namespaces/{namespace}/pods",
                     params={"resourceVersion": "yesterday", "resourceVersionMatch": "Exact"})
    assert answer.status_code == 400
    assert "resourceVersion" in answer.json()["message"]
