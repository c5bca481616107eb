"""An exec session over Docker's hijacked exec socket.

`exec_start(socket=True)` upgrades the HTTP connection into a raw, two-way byte
stream: what we write is the process's stdin, what we read is its output. Without
a tty the engine multiplexes stdout and stderr on that stream in frames:

    +--------+-----------+-----------------------+------------------+
    | stream | 0 0 0     | payload size (uint32, | payload          |
    | 1 byte | 3 bytes   |  big-endian)          | (size bytes)     |
    +--------+-----------+-----------------------+------------------+

With a tty there is one stream and no framing.

The read loop must end when the process does. The engine closes the stream then,
but it never hurts to check: on a quiet socket the loop asks `exec_inspect`
whether the process is still running.
"""

from __future__ import annotations

import select
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

from kubelet.runtime.protocol import RuntimeFailure

FRAME_HEADER = struct.Struct(">BxxxL")
READ_CHUNK = 64 * 1024
QUIET_CHECK_SECONDS = 0.5  # how long the socket may stay silent before we ask whether the process ended
DRAIN_GRACE_SECONDS = 0.2  # after the process ended, how long to wait for the engine's last bytes
RESIZE_WAIT_SECONDS = 5.0  # a resize before the process has started is refused; wait for it this long
EXIT_CODE_WAIT_SECONDS = 5.0
STDOUT, STDERR = 1, 2


def demultiplex(chunks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    """(stream, payload) frames from Docker's multiplexed byte chunks, however the chunks are cut."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= FRAME_HEADER.size:
            stream, size = FRAME_HEADER.unpack_from(buffer)
            end = FRAME_HEADER.size + size
            if len(buffer) < end:
                break
            yield (STDERR if stream == STDERR else STDOUT), buffer[FRAME_HEADER.size:end]
            buffer = buffer[end:]


class DockerExecSession:
    """One `docker exec`: created by `DockerRuntime.exec`, which hands over the started socket.

    `translate` is the runtime's error boundary, so engine errors raised here become
    RuntimeFailure too.
    """

    def __init__(self, api: Any, exec_id: str, sock: Any, *, tty: bool,
                 translate: Callable[[], Any]) -> None:
        self._api = api
        self._exec_id = exec_id
        self._socket_io = sock  # docker-py's SocketIO; it keeps the HTTP response (and so the connection) alive
        self._sock: socket.socket = getattr(sock, "_sock", sock)
        self._tty = tty
        self._translate = translate
        self._closed = False

    def output(self) -> Iterator[tuple[int, bytes]]:
        chunks = self._raw_chunks()
        if self._tty:
            for chunk in chunks:
                yield STDOUT, chunk
        else:
            yield from demultiplex(chunks)

    def _raw_chunks(self) -> Iterator[bytes]:
        while not self._closed:
            readable, _, _ = select.select([self._sock], [], [], QUIET_CHECK_SECONDS)
            if readable:
                chunk = self._recv()
                if not chunk:
                    return
                yield chunk
            elif self._ended():
                # The process is gone but the stream stayed open: what the engine still
                # copies arrives within the grace; then stop.
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
        except BlockingIOError:
            raise
        except OSError:  # reset by the engine: the stream is over
            return b""

    def _ended(self) -> bool:
        # Not "not Running": an exec the engine has not started yet is not running either, and
        # under load that can last longer than a quiet check, which would cut its output off.
        with self._translate():
            state = self._api.exec_inspect(self._exec_id)
        return not state["Running"] and state["ExitCode"] is not None

    def write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as error:
            raise RuntimeFailure(f"exec {self._exec_id[:12]}: stdin closed: {error}") from error

    def close_stdin(self) -> None:
        """Half-close: the process reads EOF while we keep reading its output."""
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # already closed or the process already ended

    def resize(self, width: int, height: int) -> None:
        deadline = time.monotonic() + RESIZE_WAIT_SECONDS
        while not self._running_or_ended():
            if time.monotonic() > deadline:
                raise RuntimeFailure(f"exec {self._exec_id[:12]} did not start")
            time.sleep(0.02)
        with self._translate():
            self._api.exec_resize(self._exec_id, height=height, width=width)

    def _running_or_ended(self) -> bool:
        with self._translate():
            state = self._api.exec_inspect(self._exec_id)
        return bool(state["Running"]) or state.get("Pid", 0) != 0

    def exit_code(self) -> int:
        # The stream can close a moment before the engine records the exit code.
        deadline = time.monotonic() + EXIT_CODE_WAIT_SECONDS
        while True:
            with self._translate():
                state = self._api.exec_inspect(self._exec_id)
            if not state["Running"] and state["ExitCode"] is not None:
                return int(state["ExitCode"])
            if time.monotonic() > deadline:
                raise RuntimeFailure(f"exec {self._exec_id[:12]} is still running")
            time.sleep(0.02)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._sock.close()
            except OSError:
                pass
