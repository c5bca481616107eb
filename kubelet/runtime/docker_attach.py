"""An attach session over Docker's hijacked attach socket (`docker attach`).

`POST /containers/{id}/attach?stream=1&stdout=1&stderr=1[&stdin=1]` upgrades the
HTTP connection into a raw two-way byte stream, as exec does (see docker_exec):
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

import select
import socket
from collections.abc import Callable, Iterator
from typing import Any

from kubelet.runtime.docker_exec import DRAIN_GRACE_SECONDS, QUIET_CHECK_SECONDS, READ_CHUNK, STDOUT, demultiplex
from kubelet.runtime.protocol import RuntimeFailure


class DockerAttachSession:
    """One attachment: created by `DockerRuntime.attach`, which hands over the hijacked socket.

    `translate` is the runtime's error boundary, so engine errors raised here become RuntimeFailure too.
    """

    def __init__(self, api: Any, container_id: str, sock: Any, *, tty: bool, translate: Callable[[], Any]) -> None:
        self._api = api
        self._container_id = container_id
        self._socket_io = sock  # docker-py's SocketIO; it keeps the HTTP response (and so the connection) alive
        self._sock: socket.socket = getattr(sock, "_sock", sock)
        self.tty = tty
        self._translate = translate
        self._closed = False

    def output(self) -> Iterator[tuple[int, bytes]]:
        chunks = self._raw_chunks()
        if self.tty:
            for chunk in chunks:
                yield STDOUT, chunk
        else:
            yield from demultiplex(chunks)

    def _raw_chunks(self) -> Iterator[bytes]:
        while not self._closed:
            try:
                readable, _, _ = select.select([self._sock], [], [], QUIET_CHECK_SECONDS)
            except (OSError, ValueError):  # closed under us: detached
                return
            if readable:
                chunk = self._recv()
                if not chunk:
                    return
                yield chunk
            elif not self._running():
                yield from self._drain()
                return

    def _drain(self) -> Iterator[bytes]:
        while not self._closed:
            readable, _, _ = select.select([self._sock], [], [], DRAIN_GRACE_SECONDS)
            chunk = self._recv() if readable else b""
            if not chunk:
                return
            yield chunk

    def _recv(self) -> bytes:
        try:
            return self._sock.recv(READ_CHUNK)
        except OSError:  # reset by the engine, or closed by us: the stream is over
            return b""

    def _running(self) -> bool:
        try:
            with self._translate():
                return bool(self._api.inspect_container(self._container_id)["State"]["Running"])
        except RuntimeFailure:
            return False  # removed: nothing runs any more

    def write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as error:
            raise RuntimeFailure(f"attach {self._container_id[:12]}: stdin closed: {error}") from error

    def close_stdin(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # already closed, or the container already ended

    def resize(self, width: int, height: int) -> None:
        if not self.tty:
            return  # no terminal to size
        with self._translate():
            self._api.resize(self._container_id, height=height, width=width)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._sock.close()
            except OSError:
                pass
