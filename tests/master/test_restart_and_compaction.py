"""The master's own process over its data directory: a restart keeps everything, compaction expires old watches."""

import json

import httpx
import kubernetes
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.support.cluster import Master, wait_for

COMPACTION_ARGS = ["--compaction-keep", "5", "--compaction-interval", "0.2"]


@pytest.fixture
def start_master(tmp_path):
    """Start masters on a data directory of this test's own; every one is stopped at teardown, pass or fail.

    They run no scheduler: its writes (pod conditions, events) would make revisions unpredictable.
    """
    started: list[Master] = []

    def start(*, port: int | None = None, extra_args: list[str] | None = None) -> Master:
        server = Master(tmp_path / "data", port=port, extra_args=["--no-scheduler", *(extra_args or [])])
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]}}


def deployment(name: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]}}}}


def node(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}}


def created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def watch_lines(api: httpx.Client, path: str, *, resource_version: str, count: int | None = None,
                timeout_seconds: int = 5) -> list[dict]:
    """The events of one watch: the first `count` of them, or all until the server ends the stream."""
    events = []
    params = {"watch": "true", "resourceVersion": resource_version, "timeoutSeconds": str(timeout_seconds)}
    with api.stream("GET", path, params=params) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.strip():
                events.append(json.loads(line))
            if count is not None and len(events) == count:
                break
    return events


# ----- restart


OBJECT_PATHS = [
    "/api/v1/namespaces/shop/pods/web",
    "/api/v1/namespaces/shop/pods/worker",
    "/apis/apps/v1/namespaces/shop/deployments/web",
    "/api/v1/nodes/node-1",
    "/api/v1/namespaces/shop",
    "/api/v1/namespaces/default",
]
LIST_PATHS = ["/api/v1/pods", "/apis/apps/v1/deployments", "/api/v1/nodes", "/api/v1/namespaces"]


def test_a_restart_on_the_same_data_dir_and_port_loses_nothing(start_master):
    first = start_master()
    kubeconfig, admin_token = first.kubeconfig.read_bytes(), first.token()
    api = first.client()
    python_client = kubernetes.config.new_client_from_config(config_file=str(first.kubeconfig))
    try:
        created(api.post("/api/v1/namespaces", json={"metadata": {"name": "shop"}}))
        for name in ("web", "worker", "doomed"):
            created(api.post("/api/v1/namespaces/shop/pods", json=pod(name)))
        created(api.post("/apis/apps/v1/namespaces/shop/deployments", json=deployment("web")))
        created(api.post("/api/v1/nodes", json=node("node-1")))
        assert api.delete("/api/v1/namespaces/shop/pods/doomed").status_code == 200
        before = {path: api.get(path).content for path in [*OBJECT_PATHS, *LIST_PATHS]}
        list_revision = json.loads(before["/api/v1/pods"])["metadata"]["resourceVersion"]

        first.stop()
        second = start_master(port=first.port)

        # The old credentials and the old clients keep working: nothing was regenerated.
        assert second.kubeconfig.read_bytes() == kubeconfig and second.token() == admin_token
        after = {path: api.get(path).content for path in [*OBJECT_PATHS, *LIST_PATHS]}
        for path in before:
            assert after[path] == before[path], path
        assert api.get("/api/v1/namespaces/shop/pods/doomed").status_code == 404
        assert [p.metadata.name for p in client.CoreV1Api(python_client).list_namespaced_pod("shop").items] == [
            "web", "worker"]

        # The revision counter resumes where it stopped.
        newest = created(api.post("/api/v1/namespaces/shop/pods", json=pod("after-restart")))
        assert int(newest["metadata"]["resourceVersion"]) == int(list_revision) + 1
    finally:
        api.close()
        python_client.close()


def test_a_watch_resumed_across_a_restart_replays_the_writes_after_its_revision(start_master):
    first = start_master()
    with first.client() as api:
        resume_from = created(api.post("/api/v1/namespaces/default/pods", json=pod("a")))["metadata"]["resourceVersion"]
        created(api.post("/api/v1/namespaces/default/pods", json=pod("b")))
        assert api.delete("/api/v1/namespaces/default/pods/a").status_code == 200
        first.stop()
        start_master(port=first.port)

        events = watch_lines(api, "/api/v1/namespaces/default/pods", resource_version=resume_from, count=2)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "b"), ("DELETED", "a")]


# ----- compaction


def _write_twenty_times(api: httpx.Client) -> str:
    """Twenty writes to pods; returns the revision of the last one."""
    for index in range(10):
        created(api.post("/api/v1/namespaces/default/pods", json=pod(f"p{index}")))
    for index in range(10):
        patched = api.patch(f"/api/v1/namespaces/default/pods/p{index}",
                            json={"metadata": {"labels": {"n": str(index)}}},
                            headers={"Content-Type": "application/merge-patch+json"})
        assert patched.status_code == 200, patched.text
    return patched.json()["metadata"]["resourceVersion"]


def _expired(api: httpx.Client) -> list[dict] | None:
    events = watch_lines(api, "/api/v1/namespaces/default/pods", resource_version="1", timeout_seconds=1)
    return events if events and events[0]["type"] == "ERROR" else None


def test_a_watch_from_a_compacted_revision_gets_one_410_expired_error_event(start_master):
    master = start_master(extra_args=COMPACTION_ARGS)
    with master.client() as api:
        newest = _write_twenty_times(api)

        events = wait_for(lambda: _expired(api), timeout=15, message="revision 1 to be compacted away")
        assert len(events) == 1
        error = events[0]["object"]
        assert error["kind"] == "Status" and error["apiVersion"] == "v1"
        assert (error["status"], error["code"], error["reason"]) == ("Failure", 410, "Expired")

        # A watch from a revision inside the kept window still replays what came after it.
        recent = str(int(newest) - 2)
        replayed = watch_lines(api, "/api/v1/namespaces/default/pods", resource_version=recent, count=2)
        assert [(e["type"], e["object"]["metadata"]["name"], e["object"]["metadata"]["resourceVersion"])
                for e in replayed] == [("MODIFIED", "p8", str(int(newest) - 1)), ("MODIFIED", "p9", newest)]

        # A list is unaffected: it reads current objects, not the log.
        listed = api.get("/api/v1/namespaces/default/pods").json()
        assert len(listed["items"]) == 10 and listed["metadata"]["resourceVersion"] == newest


def test_the_python_client_raises_410_for_a_watch_from_an_expired_resource_version(start_master):
    """kubernetes.watch turns an ERROR event into ApiException(status=code, reason="<reason>: <message>").

    With timeout_seconds it raises at once; without, it first retries once from the
    same resource_version, is refused again, and then raises.
    """
    master = start_master(extra_args=COMPACTION_ARGS)
    with master.client() as api:
        _write_twenty_times(api)
        wait_for(lambda: _expired(api), timeout=15, message="revision 1 to be compacted away")
    python_client = kubernetes.config.new_client_from_config(config_file=str(master.kubeconfig))
    core = client.CoreV1Api(python_client)
    try:
        with pytest.raises(ApiException) as raised:
            list(kubernetes.watch.Watch().stream(core.list_namespaced_pod, "default", resource_version="1",
                                                 timeout_seconds=5))
        assert raised.value.status == 410
        assert raised.value.reason.startswith("Expired: ")

        with pytest.raises(ApiException) as raised:
            list(kubernetes.watch.Watch().stream(core.list_namespaced_pod, "default", resource_version="1",
                                                 _request_timeout=10))
        assert raised.value.status == 410
    finally:
        python_client.close()
