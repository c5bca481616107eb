"""The shared API client against a live master."""

import socket
import threading
import time

import pytest
import yaml

from apiclient import ApiClient, ApiStatusError, Connection, Unreachable, load_kubeconfig
from objects.kinds import NAMESPACE, POD


def test_a_quiet_watch_ends_promptly_when_told_to_stop(master):
    client = ApiClient(load_kubeconfig(master.kubeconfig))
    stop = threading.Event()
    ended = threading.Event()

    def watch():
        for _ in client.watch(POD, "kube-system", resource_version="", timeout_seconds=300, stop=stop):
            pass
        ended.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert not ended.wait(0.5)  # nothing happens in kube-system: the stream is quiet
        started = time.monotonic()
        stop.set()
        assert ended.wait(5), "the watch kept reading after stop"
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        watcher.join(timeout=5)
        client.close()


def test_a_token_file_named_relative_to_the_kubeconfig_authenticates(master, tmp_path):
    config = yaml.safe_load(master.kubeconfig.read_text())
    user = config["users"][0]["user"]
    (tmp_path / "token").write_text(user.pop("token") + "\n")  # a trailing newline, as `echo` writes one
    user["tokenFile"] = "token"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    with ApiClient(load_kubeconfig(kubeconfig)) as client:
        assert client.get(NAMESPACE, "default")["metadata"]["name"] == "default"


def test_kubeconfig_env_is_read_at_its_first_file_that_exists(master, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}:{master.kubeconfig}")
    with ApiClient(load_kubeconfig()) as client:
        assert client.get_path("/version")["gitVersion"]


def test_a_status_answer_reads_back_field_for_field(master):
    missing = f"{POD.collection_path('default')}/no-such-pod"
    with master.client() as raw:
        sent = raw.get(missing).json()
    with ApiClient(load_kubeconfig(master.kubeconfig)) as client, pytest.raises(ApiStatusError) as raised:
        client.get_path(missing)
    error = raised.value
    assert error.status.to_wire() == sent
    assert (error.code, error.reason, error.message) == (404, "NotFound", 'pods "no-such-pod" not found')
    assert (error.details.name, error.details.kind) == ("no-such-pod", "pods")


def test_a_refused_connection_is_unreachable_and_says_so():
    with socket.socket() as listener:  # a port nobody listens on once closed
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    with ApiClient(Connection(f"https://127.0.0.1:{port}", None, None)) as client, \
            pytest.raises(Unreachable) as raised:
        client.get_path("/version")
    assert raised.value.refused and raised.value.server == f"127.0.0.1:{port}"
