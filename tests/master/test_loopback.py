"""The loopback transport the master's own scheduler and controllers use: the same app, the same
token checks and answers as over HTTPS, with no socket in between."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from apiclient import ApiClient, ApiStatusError
from apiclient.kubeconfig import Connection
from master.api.app import create_app
from master.api.loopback import LoopbackTransport
from master.auth import TokenAuthenticator
from master.main import create_system_namespaces
from master.store import SqlStore
from objects.kinds import NAMESPACE, POD
from tests.support.cluster import wait_for

ADMIN_TOKEN, NODE_TOKEN = "admin-token", "node-token"


@pytest.fixture
def served(tmp_path):
    """The app on an event loop of its own thread, as the master runs it, and its store."""
    store = SqlStore(f"sqlite:///{tmp_path / 'tinykube.db'}")
    create_system_namespaces(store)
    app = create_app(store=store, authenticator=TokenAuthenticator(admin_token=ADMIN_TOKEN, node_token=NODE_TOKEN))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield app, loop, store
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    store.close()


def client(served, token: str | None = ADMIN_TOKEN) -> ApiClient:
    app, loop, _ = served
    return ApiClient(Connection("https://unused", None, token), transport=LoopbackTransport(app, loop))


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_a_request_without_a_valid_token_is_refused(served, token):
    with pytest.raises(ApiStatusError) as refused:
        client(served, token).list(NAMESPACE)
    assert refused.value.code == 401
    assert refused.value.status.kind == "Status"


def test_the_node_token_has_the_limits_it_has_over_https(served):
    with pytest.raises(ApiStatusError) as forbidden:
        client(served, NODE_TOKEN).list(POD)  # a kubelet may only list the pods of its node
    assert forbidden.value.code == 403
    assert "spec.nodeName" in forbidden.value.message


def test_writes_and_their_errors_come_back_as_over_https(served):
    admin = client(served)
    created = admin.create(NAMESPACE, {"metadata": {"name": "loop"}})
    assert created["metadata"]["resourceVersion"]
    names = {ns["metadata"]["name"] for ns in admin.list(NAMESPACE)["items"]}
    assert {"default", "loop"} <= names
    with pytest.raises(ApiStatusError) as conflict:
        admin.create(NAMESPACE, {"metadata": {"name": "loop"}})
    assert conflict.value.code == 409
    assert conflict.value.reason == "AlreadyExists"


def test_a_query_reaches_the_app(served):
    admin = client(served)
    admin.create(NAMESPACE, {"metadata": {"name": "labelled", "labels": {"team": "a"}}})
    listed = admin.list(NAMESPACE, label_selector="team=a")
    assert [ns["metadata"]["name"] for ns in listed["items"]] == ["labelled"]


def test_any_httpx_client_can_use_the_transport(served):
    app, loop, _ = served
    with httpx.Client(base_url="http://loopback", transport=LoopbackTransport(app, loop),
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
        answer = http.get("/api/v1/namespaces/default")
        missing = http.get("/api/v1/namespaces/nowhere")
    assert answer.status_code == 200 and answer.json()["metadata"]["name"] == "default"
    assert answer.headers["content-type"] == "application/json"
    assert missing.status_code == 404 and missing.json()["reason"] == "NotFound"


def test_a_watch_streams_events_and_stop_ends_it_at_once(served):
    admin = client(served)
    admin.create(NAMESPACE, {"metadata": {"name": "loop"}})
    stop, seen, ended = threading.Event(), [], threading.Event()

    def watch():
        for kind, obj in admin.watch(POD, "loop", timeout_seconds=300, stop=stop):
            seen.append((kind, obj["metadata"]["name"]))
        ended.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        admin.create(POD, {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
                     "loop")
        wait_for(lambda: ("ADDED", "p") in seen, message="the pod's ADDED event through the loopback")
        started = time.monotonic()
        stop.set()  # the informers' way of ending a quiet watch
        assert ended.wait(5), "the watch kept reading after stop"
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        watcher.join(timeout=5)


def test_a_watch_reads_events_whose_strings_hold_line_separators(served):
    admin = client(served)
    admin.create(NAMESPACE, {"metadata": {"name": "loop"}})
    odd = "one\u2028two\u2029three\x85four"
    stop, seen = threading.Event(), []

    def watch():
        for kind, obj in admin.watch(POD, "loop", timeout_seconds=300, stop=stop):
            seen.append(obj["metadata"]["annotations"]["note"])

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        admin.create(POD, {"metadata": {"name": "p", "annotations": {"note": odd}},
                           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}, "loop")
        wait_for(lambda: seen == [odd], message="the event, whole")
    finally:
        stop.set()
        watcher.join(timeout=5)


def test_a_closed_watch_lets_go_of_its_subscription(served):
    _, _, store = served
    admin = client(served)
    stop = threading.Event()
    watcher = threading.Thread(target=lambda: list(admin.watch(POD, "default", timeout_seconds=300, stop=stop)))
    watcher.start()
    try:
        wait_for(lambda: store.hub.subscriber_count("pods") == 1, message="the watch subscribed")
        stop.set()
        wait_for(lambda: store.hub.subscriber_count("pods") == 0, message="the app noticed the client went away")
    finally:
        stop.set()
        watcher.join(timeout=5)


def test_the_transport_refuses_to_run_on_the_loop_it_would_block(served):
    app, loop, _ = served

    async def on_the_loop():
        LoopbackTransport(app, loop).handle_request(httpx.Request("GET", "http://loopback/api/v1/namespaces"))

    with pytest.raises(RuntimeError, match="event loop"):
        asyncio.run_coroutine_threadsafe(on_the_loop(), loop).result(timeout=5)
