"""DockerExecSession against the real engine: when its read loop may decide the process has ended.

CI once lost `tkctl exec -i ... cat`'s whole output: the socket stayed quiet for a
quiet check while the engine had not yet started the exec, and "not Running" was
read as "ended". An exec that has not started has no exit code yet.
"""

from __future__ import annotations

import socket
import threading

import pytest

from kubelet.runtime import docker_stream
from kubelet.runtime.docker_exec import DockerExecSession
from kubelet.runtime.docker_runtime import engine_errors

from tests.support.cluster import wait_for

WAIT_FOREVER = ["sleep", "3600"]


class CountingApi:
    """The real docker API, counting how often the session asks whether the exec is running."""

    def __init__(self, api):
        self._api = api
        self.inspections = 0

    def exec_inspect(self, exec_id):
        self.inspections += 1
        return self._api.exec_inspect(exec_id)


@pytest.fixture
def running(harness) -> str:
    if harness.kind != "docker":
        pytest.skip("the engine's exec states are the docker runtime's")
    pod = harness.pod()
    return harness.run(pod, harness.sandbox(pod), command=WAIT_FOREVER)


def frame(stream: int, payload: bytes) -> bytes:
    return docker_stream.FRAME_HEADER.pack(stream, len(payload)) + payload


def test_an_exec_not_yet_started_keeps_its_stream_open_through_quiet_checks(harness, running, monkeypatch):
    monkeypatch.setattr(docker_stream, "QUIET_CHECK_SECONDS", 0.01)
    api = CountingApi(harness.docker_client.api)
    exec_id = harness.docker_client.api.exec_create(running, ["true"])["Id"]  # created, never started
    ours, engine_side = socket.socketpair()
    session = DockerExecSession(api, exec_id, ours, tty=False, translate=engine_errors)
    output: list[tuple[int, bytes]] = []
    reader = threading.Thread(target=lambda: output.extend(session.output()), daemon=True)
    reader.start()
    try:
        wait_for(lambda: api.inspections >= 3, timeout=10, message="three quiet checks")
        engine_side.sendall(frame(1, b"late output\n"))
        engine_side.close()
        reader.join(timeout=10)
        assert output == [(1, b"late output\n")]
    finally:
        session.close()
        engine_side.close()
