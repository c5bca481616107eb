"""An attach session over Docker's hijacked attach socket (`docker attach`).

`POST /containers/{id}/attach?stream=1&stdout=1&stderr=1[&stdin=1]` upgrades the
HTTP connection into a raw two-way byte stream, as exec does (see docker_stream):
what we write is the process's stdin, what we read is its output from now on,
multiplexed in frames unless the container has a tty.

The stream ends when the container's process does; the read loop also asks the
engine, whenever the socket stays quiet, whether the container still runs.
Closing the socket detaches without stopping anything. Half-closing it
(`close_stdin`) is what `docker attach` does at the end of its input: the
engine closes the process's stdin when the container was created with
stdinOnce, and otherwise ends the attachment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubelet.runtime.docker_stream import HijackedStream
from kubelet.runtime.protocol import RuntimeFailure


class DockerAttachSession(HijackedStream):
    """One attachment: created by `DockerRuntime.attach`, which hands over the hijacked socket."""

    def __init__(self, api: Any, container_id: str, sock: Any, *, tty: bool, translate: Callable[[], Any]) -> None:
        super().__init__(sock, tty=tty, name=f"attach {container_id[:12]}", translate=translate)
        self._api = api
        self._container_id = container_id

    def _ended(self) -> bool:
        try:
            with self._translate():
                return not self._api.inspect_container(self._container_id)["State"]["Running"]
        except RuntimeFailure:
            return True  # removed: nothing runs any more

    def resize(self, width: int, height: int) -> None:
        if not self.tty:
            return  # no terminal to size
        with self._translate():
            self._api.resize(self._container_id, height=height, width=width)
