"""The master's own process over its data directory: a restart keeps everything (history too), compaction
expires old watches and old lists but keeps what live objects need."""

import json

import httpx
import kubernetes
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.support.cluster import Master, wait_for

# History age 0: compaction may take every revision past the newest five at once.
COMPACTION_ARGS = ["--compaction-keep", "5", "--compaction-interval", "0.2", "--history-age", "0"]


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


def test_history_and_its_provenance_survive_a_master_restart(start_master):
    first = start_master()
    with first.client() as api:
        created(api.post("/api/v1/namespaces/default/pods", json=pod("web"),
                         headers={"User-Agent": "tkctl/0.1.0", "X-Tinykube-Note": "first"}))
        patched = api.patch("/api/v1/namespaces/default/pods/web", json={"metadata": {"labels": {"v": "2"}}},
                            headers={"Content-Type": "application/merge-patch+json"})
        assert patched.status_code == 200
        before = api.get("/api/v1/namespaces/default/pods/web/history").json()["items"]
        first.stop()
        start_master(port=first.port)

        after = api.get("/api/v1/namespaces/default/pods/web/history").json()["items"]
        assert after == before
        assert [(i["type"], i["provenance"]["component"], i["provenance"].get("note")) for i in after] == [
            ("ADDED", "tkctl", "first"), ("MODIFIED", "python-httpx", None)]


def _compacted_revision(api: httpx.Client) -> int:
    return api.get("/apis/tinykube.io/v1alpha1/revisions", params={"limit": "1"}).json()["compactedRevision"]


def test_a_list_before_the_compacted_revision_is_410_and_live_objects_keep_their_newest_write(start_master):
    master = start_master(extra_args=COMPACTION_ARGS)
    with master.client() as api:
        newest = int(_write_twenty_times(api))
        compacted = newest - 5  # --compaction-keep 5, --history-age 0
        wait_for(lambda: _compacted_revision(api) == compacted, timeout=15, message="compaction to catch up")

        expired = api.get("/api/v1/namespaces/default/pods", params={
            "resourceVersion": str(compacted - 1), "resourceVersionMatch": "Exact"})
        assert expired.status_code == 410
        assert (expired.json()["reason"], expired.json()["message"]) == (
            "Expired", "The resourceVersion for the provided list is too old.")
        # Every pod's last write is retained, however far below the compacted revision it lies.
        at_compacted = api.get("/api/v1/namespaces/default/pods", params={
            "resourceVersion": str(compacted), "resourceVersionMatch": "Exact"}).json()
        assert len(at_compacted["items"]) == 10
        history = api.get("/api/v1/namespaces/default/pods/p0/history").json()["items"]
        assert [item["type"] for item in history] == ["MODIFIED"]  # its creation is gone, its last write kept
