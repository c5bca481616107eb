"""A hijacked Docker stream: the two-way socket both `docker exec` and `docker attach` leave behind.

`exec_start(socket=True)` and `attach_socket` upgrade the HTTP connection into a raw byte stream:
what we write is the process's stdin, what we read is its output. Without a tty the engine
multiplexes stdout and stderr on that stream in frames:

    +--------+-----------+-----------------------+------------------+
    | stream | 0 0 0     | payload size (uint32, | payload          |
    | 1 byte | 3 bytes   |  big-endian)          | (size bytes)     |
    +--------+-----------+-----------------------+------------------+

With a tty there is one stream and no framing.

The read loop must end when the process does. The engine closes the stream then, but it
never hurts to check: on a quiet socket the loop asks the subclass's `_ended()` (an exec's
or a container's state); once it has ended, what the engine still copies arrives within a
short grace, then the loop stops.
"""

from __future__ import annotations

import select
import socket
import struct
from collections.abc import Callable, Iterator
from typing import Any

from kubelet.runtime.protocol import RuntimeFailure

FRAME_HEADER = struct.Struct(">BxxxL")
READ_CHUNK = 64 * 1024
QUIET_CHECK_SECONDS = 0.5  # how long the socket may stay silent before we ask whether the process ended
DRAIN_GRACE_SECONDS = 0.2  # after the process ended, how long to wait for the engine's last bytes
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


class HijackedStream:
    """Reads, writes and closes one hijacked socket; subclasses say when their process has ended.

    `name` ("exec 1a2b3c4d5e6f") prefixes errors; `translate` is the runtime's error boundary,
    so engine errors raised by a subclass's checks become RuntimeFailure too.
    """

    def __init__(self, sock: Any, *, tty: bool, name: str, translate: Callable[[], Any]) -> None:
        self._socket_io = sock  # docker-py's SocketIO; it keeps the HTTP response (and so the connection) alive
        self._sock: socket.socket = getattr(sock, "_sock", sock)
        self.tty = tty
        self._name = name
        self._translate = translate
        self._closed = False

    def _ended(self) -> bool:
        raise NotImplementedError

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
            except (OSError, ValueError):  # closed under us
                return
            if readable:
                chunk = self._recv()
                if not chunk:
                    return
                yield chunk
            elif self._ended():
                # The process is gone but the stream stayed open: take what the engine still copies.
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

    def write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as error:
            raise RuntimeFailure(f"{self._name}: stdin closed: {error}") from error

    def close_stdin(self) -> None:
        """Half-close: the process reads EOF while we keep reading its output."""
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # already closed, or the process already ended

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._sock.close()
            except OSError:
                pass
