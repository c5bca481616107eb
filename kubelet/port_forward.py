"""Port forwarding: kubectl's local connections carried to a port of a pod, over SPDY/3.1 in a WebSocket.

    kubectl port-forward ──WebSocket "SPDY/3.1+portforward.k8s.io"──> master ──(relays every message)──>
    kubelet WS /portForward/{namespace}/{pod}: one SPDY session (wire.spdy_session), server side

For each local connection kubectl opens two streams tagged with the same request id:

    streamtype=error  port=8080  requestid=N    the kubelet writes why forwarding failed here, if it did
    streamtype=data   port=8080  requestid=N    the connection's bytes, both ways

Once both have arrived the kubelet dials podIP:8080 (the kubelet reaches pod
IPs on the node's network; real kubelets dial localhost inside the pod's
network namespace, so a server listening on 127.0.0.1 only is reached there
and not here) and copies:

    data stream ──> pod socket      kubectl's FIN ──> shutdown(SHUT_WR): the pod reads EOF
    pod socket  ──> data stream     the pod's EOF ──> FIN, then the error stream is closed too

A stream with a missing or bad port or stream type is reset, as the kubelet's
httpStreamReceived rejects it; its reason goes to the log. Either stream of a
pair left alone for STREAM_CREATION_TIMEOUT_SECONDS gets an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from wire.spdy import ProtocolError
from wire.spdy_headers import header_value
from wire.spdy_session import SessionClosed, SpdySession, SpdyStream, StreamReset
from wire.spdy_tunnel import PORT_FORWARD_SUBPROTOCOL

SUBPROTOCOL = PORT_FORWARD_SUBPROTOCOL  # SPDY tunnelled in WebSocket binary messages (see wire.spdy_tunnel)
PORT_HEADER, STREAM_TYPE_HEADER, REQUEST_ID_HEADER = "port", "streamType", "requestID"  # as core/v1 spells them
STREAM_TYPE_ERROR, STREAM_TYPE_DATA = "error", "data"
STREAM_CREATION_TIMEOUT_SECONDS = 30.0  # the kubelet's default --streaming-connection... stream creation timeout
DIAL_TIMEOUT_SECONDS = 10.0
READ_SIZE = 32 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PodAddress:
    """The pod connections go to, and how the error messages name it."""

    name: str
    uid: str
    ip: str


def validate_stream(stream: SpdyStream) -> int:
    """The stream's port; ValueError with the kubelet's message when a header is missing or wrong."""
    port_text = header_value(stream.headers, PORT_HEADER)
    if not port_text:
        raise ValueError(f'"{PORT_HEADER}" header is required')
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f'unable to parse "{port_text}" as a port: strconv.ParseUint: parsing "{port_text}": '
                         + ("value out of range" if port_text.isdigit() else "invalid syntax"))
    if int(port_text) < 1:
        raise ValueError(f'port "{port_text}" must be > 0')
    stream_type = header_value(stream.headers, STREAM_TYPE_HEADER)
    if not stream_type:
        raise ValueError(f'"{STREAM_TYPE_HEADER}" header is required')
    if stream_type not in (STREAM_TYPE_ERROR, STREAM_TYPE_DATA):
        raise ValueError(f'invalid stream type "{stream_type}"')
    return int(port_text)


def request_id(stream: SpdyStream) -> str:
    """The pair a stream belongs to. Clients before requestid sent error then data streams back to back
    (ids n and n+2), so the kubelet pairs those by stream id; so does this."""
    given = header_value(stream.headers, REQUEST_ID_HEADER)
    if given:
        return given
    is_error = header_value(stream.headers, STREAM_TYPE_HEADER) == STREAM_TYPE_ERROR
    return str(stream.id if is_error else stream.id - 2)


@dataclass
class StreamPair:
    request_id: str
    error: SpdyStream | None = None
    data: SpdyStream | None = None
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, stream: SpdyStream) -> None:
        if header_value(stream.headers, STREAM_TYPE_HEADER) == STREAM_TYPE_ERROR:
            if self.error is not None:
                raise ValueError("error stream already assigned")
            self.error = stream
        else:
            if self.data is not None:
                raise ValueError("data stream already assigned")
            self.data = stream
        if self.error is not None and self.data is not None:
            self.complete.set()

    async def print_error(self, message: str) -> None:
        if self.error is not None:
            with contextlib.suppress(SessionClosed, StreamReset):
                await self.error.write(message.encode())


class PortForwarder:
    """The stream handler of one port-forward session: pairs streams and forwards each complete pair."""

    def __init__(self, pod: PodAddress) -> None:
        self.pod = pod
        self._pairs: dict[str, StreamPair] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_stream(self, stream: SpdyStream) -> None:
        try:
            validate_stream(stream)
        except ValueError as error:
            log.warning("port-forward to pod %s: stream rejected: %s", self.pod.name, error)
            await stream.reset()
            return
        await stream.reply()
        key = request_id(stream)
        pair = self._pairs.get(key)
        if pair is None:
            pair = self._pairs[key] = StreamPair(key)
            self._spawn(self._watch_creation(pair))
        try:
            pair.add(stream)
        except ValueError as error:
            await pair.print_error(f"error processing stream for request {key}: {error}")
            return
        if pair.complete.is_set():
            self._spawn(self._forward(pair))

    async def _watch_creation(self, pair: StreamPair) -> None:
        try:
            await asyncio.wait_for(pair.complete.wait(), STREAM_CREATION_TIMEOUT_SECONDS)
        except TimeoutError:
            await pair.print_error(f"(request={pair.request_id}) timed out waiting for streams")
            if pair.error is not None:
                with contextlib.suppress(SessionClosed):
                    await pair.error.close()  # kubectl reads the error stream to its end
        finally:
            self._pairs.pop(pair.request_id, None)

    async def _forward(self, pair: StreamPair) -> None:
        assert pair.data is not None and pair.error is not None
        port = validate_stream(pair.data)
        try:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(self.pod.ip, port),
                                                        DIAL_TIMEOUT_SECONDS)
            except (OSError, TimeoutError) as error:
                reason = _dial_error(self.pod.ip, port, error)
                await pair.print_error(f"error forwarding port {port} to pod {self.pod.name}, uid {self.pod.uid}: "
                                       f"{reason}")
                return
            await _copy_both_ways(pair.data, reader, writer)
        finally:
            for stream in (pair.data, pair.error):
                with contextlib.suppress(SessionClosed):
                    await stream.close()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel every forwarding still running (the session is over)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def _copy_both_ways(data: SpdyStream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Until the pod ends its side or kubectl resets the stream; kubectl ending its side only half-closes."""

    async def client_to_pod() -> None:
        while chunk := await data.read():
            writer.write(chunk)
            await writer.drain()
        if data.reset_by_peer:
            writer.close()  # kubectl gave up on the connection: so do we, which ends pod_to_client too
        elif writer.can_write_eof():
            writer.write_eof()

    async def pod_to_client() -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(READ_SIZE):
                await data.write(chunk)

    upstream = asyncio.create_task(client_to_pod())
    try:
        with contextlib.suppress(StreamReset, SessionClosed):
            await pod_to_client()
    finally:
        upstream.cancel()
        await asyncio.gather(upstream, return_exceptions=True)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _dial_error(ip: str, port: int, error: BaseException) -> str:
    """Go's wording, as kubectl users see it from a real kubelet: `dial tcp 10.1.0.5:8080: connect: connection refused`."""
    address = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
    if isinstance(error, TimeoutError):
        return f"dial tcp {address}: i/o timeout"
    code = getattr(error, "errno", None)
    reason = os.strerror(code).lower() if code in errno.errorcode else str(error)
    return f"dial tcp {address}: connect: {reason}"


async def serve_port_forward(websocket: WebSocket, pod: PodAddress) -> None:
    """Accept, run the session until kubectl goes, then stop every forwarding. The caller has validated the pod."""
    await websocket.accept(subprotocol=SUBPROTOCOL)
    session = SpdySession(websocket.send_bytes, server=True)
    forwarder = PortForwarder(pod)

    async def receive() -> bytes | None:
        try:
            message = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return None
        if message["type"] == "websocket.disconnect":
            return None
        return message.get("bytes") or (message.get("text") or "").encode()

    try:
        await session.serve(receive, forwarder.on_stream)
    except ProtocolError as error:
        log.warning("port-forward to pod %s: %s", pod.name, error)
    finally:
        await forwarder.stop()
        if websocket.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await websocket.close(code=1000)
