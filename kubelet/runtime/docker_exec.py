"""An exec session over Docker's hijacked exec socket (the stream itself: docker_stream).

An exec has ended when the engine says it is not running AND has an exit code: an exec
the engine has not started yet is not running either, and under load that can last
longer than a quiet check, which would otherwise cut its output off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kubelet.runtime.docker_stream import HijackedStream
from kubelet.runtime.protocol import RuntimeFailure

RESIZE_WAIT_SECONDS = 5.0  # a resize before the process has started is refused; wait for it this long
EXIT_CODE_WAIT_SECONDS = 5.0


class DockerExecSession(HijackedStream):
    """One `docker exec`: created by `DockerRuntime.exec`, which hands over the started socket."""

    def __init__(self, api: Any, exec_id: str, sock: Any, *, tty: bool,
                 translate: Callable[[], Any]) -> None:
        super().__init__(sock, tty=tty, name=f"exec {exec_id[:12]}", translate=translate)
        self._api = api
        self._exec_id = exec_id

    def _state(self) -> dict[str, Any]:
        with self._translate():
            return self._api.exec_inspect(self._exec_id)

    def _ended(self) -> bool:
        state = self._state()
        return not state["Running"] and state["ExitCode"] is not None

    def resize(self, width: int, height: int) -> None:
        deadline = time.monotonic() + RESIZE_WAIT_SECONDS
        while not self._running_or_ended():
            if time.monotonic() > deadline:
                raise RuntimeFailure(f"{self._name} did not start")
            time.sleep(0.02)
        with self._translate():
            self._api.exec_resize(self._exec_id, height=height, width=width)

    def _running_or_ended(self) -> bool:
        state = self._state()
        return bool(state["Running"]) or state.get("Pid", 0) != 0

    def exit_code(self) -> int:
        # The stream can close a moment before the engine records the exit code.
        deadline = time.monotonic() + EXIT_CODE_WAIT_SECONDS
        while True:
            if self._ended():
                return int(self._state()["ExitCode"])
            if time.monotonic() > deadline:
                raise RuntimeFailure(f"{self._name} is still running")
            time.sleep(0.02)
