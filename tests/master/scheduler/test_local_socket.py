"""The unix socket the in-process scheduler and controllers reach their master on: private, and
guarded by the same tokens as HTTPS."""

from __future__ import annotations

import stat
import threading
import time

import httpx
import pytest

from apiclient import ApiClient, ApiStatusError, load_kubeconfig
from master.main import LOCAL_SOCKET_NAME
from objects.kinds import NAMESPACE, POD
from tests.support.cluster import Master, wait_for


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("uds") / "data", extra_args=["--no-scheduler"]).start()
    yield server
    server.stop()


def local(master, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url="http://localhost", headers=headers, timeout=10,
                        transport=httpx.HTTPTransport(uds=str(master.data_dir / LOCAL_SOCKET_NAME)))


def test_the_socket_file_is_private_to_the_masters_user(master):
    mode = (master.data_dir / LOCAL_SOCKET_NAME).stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600


@pytest.mark.parametrize("token, code", [(None, 401), ("not-a-token", 401)])
def test_the_socket_refuses_requests_without_a_valid_token(master, token, code):
    with local(master, token) as client:
        assert client.get("/api/v1/namespaces").status_code == code


def test_the_socket_answers_the_same_api_with_a_token(master):
    with local(master, master.token()) as client:
        names = {ns["metadata"]["name"] for ns in client.get("/api/v1/namespaces").json()["items"]}
    assert "kube-system" in names


def test_the_node_token_has_the_same_limits_on_the_socket_as_over_https(master):
    with local(master, master.token("node")) as over_socket, master.client(master.token("node")) as over_https:
        path = "/api/v1/namespaces/default/secrets"
        assert over_socket.get(path).status_code == over_https.get(path).status_code


def test_an_api_client_over_the_socket_writes_and_watches(master):
    client = ApiClient(load_kubeconfig(master.kubeconfig), uds=master.data_dir / LOCAL_SOCKET_NAME)
    stop, seen, ended = threading.Event(), [], threading.Event()

    def watch():
        for kind, obj in client.watch(POD, "uds-test", timeout_seconds=300, stop=stop):
            seen.append((kind, obj["metadata"]["name"]))
        ended.set()

    watcher = threading.Thread(target=watch)
    try:
        client.create(NAMESPACE, {"metadata": {"name": "uds-test"}})
        watcher.start()
        client.create(POD, {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
                      "uds-test")
        wait_for(lambda: ("ADDED", "p") in seen, message="the pod's ADDED event over the socket")
        with pytest.raises(ApiStatusError) as conflict:
            client.create(NAMESPACE, {"metadata": {"name": "uds-test"}})
        assert conflict.value.code == 409
        started = time.monotonic()
        stop.set()  # the informers' way of ending a quiet watch must work on a unix socket too
        assert ended.wait(5), "the watch kept reading after stop"
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        watcher.join(timeout=5)
        client.close()


def test_the_socket_file_is_removed_when_the_master_stops(tmp_path):
    server = Master(tmp_path / "data", extra_args=["--no-scheduler"]).start()
    path = server.data_dir / LOCAL_SOCKET_NAME
    try:
        assert path.is_socket()
    finally:
        server.stop()
    assert not path.exists()


def test_a_socket_left_by_a_killed_master_does_not_stop_the_next_one(tmp_path):
    first = Master(tmp_path / "data", extra_args=["--no-scheduler"]).start()
    first.process.kill()  # no shutdown: the socket file stays behind
    first.process.wait()
    assert (first.data_dir / LOCAL_SOCKET_NAME).is_socket()
    second = Master(tmp_path / "data", extra_args=["--no-scheduler"]).start()
    try:
        with local(second, second.token()) as client:
            assert client.get("/api/v1/namespaces").status_code == 200
    finally:
        second.stop()
