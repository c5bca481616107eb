"""The shared API client against a live master."""

import threading
import time

from apiclient import ApiClient, load_kubeconfig
from objects.kinds import POD


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
