"""One SPDY/3.1 connection over asyncio: its streams opened, accepted, read, written and ended.

    transport: any ordered byte pipe; here WebSocket binary messages, each an arbitrary slice of it
       │ receive()                                                              send(bytes) ▲
       ▼                                                                                    │
    FrameDecoder ──> SpdySession.serve ── SYN_STREAM ──> on_stream(stream): reply() or reset()
                            │            ── SYN_REPLY ──> open_stream() returns
                            │            ── DATA ──────> stream.read()          stream.write() ──> FrameEncoder
                            │            ── RST_STREAM ─> the stream ends at once, both ways
                            └─────────── ── PING (the peer's) ─> echoed back

A stream is two halves. Ours ends when we send FIN (`close()`); the peer's when
its FIN arrives, after which `read()` returns b"". A reset ends both at once
and drops what was not read yet. The session forgets a stream once both halves
have ended.

Backpressure: SPDY/3.1 has flow-control windows, but kubectl's implementation
(moby/spdystream) ignores them, so neither side can rely on them. Instead, a
stream buffers at most BUFFER_LIMIT bytes the reader has not taken; past that
the session stops reading the transport until the reader catches up (as
spdystream does), which pushes back on the sender through the transport.

Errors: `SessionClosed` when the transport is gone, `StreamReset` when the peer
refused or reset a stream; `ProtocolError` (wire.spdy) ends `serve`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from wire.spdy import (
    DataFrame,
    FrameDecoder,
    FrameEncoder,
    Frame,
    GoAway,
    GoAwayStatus,
    HeadersFrame,
    Ping,
    RstStatus,
    RstStream,
    SynReply,
    SynStream,
)
from wire.spdy_headers import Headers

MAX_DATA_FRAME = 32 * 1024  # what Go's io.Copy writes at once, so frames are the size kubectl's are
BUFFER_LIMIT = 1024 * 1024  # bytes one stream may hold unread before the session stops reading
REPLY_TIMEOUT_SECONDS = 30.0  # as client-go waits for a stream's SYN_REPLY

Send = Callable[[bytes], Awaitable[None]]
Receive = Callable[[], Awaitable["bytes | None"]]  # None: the transport has closed
OnStream = Callable[["SpdyStream"], Awaitable[None]]


class SessionClosed(Exception):
    """The transport under the session is gone: nothing more can be sent or received."""


class StreamReset(Exception):
    """The peer refused the stream, or reset it."""


class SpdyStream:
    """One stream: the headers it was opened with, and data both ways."""

    def __init__(self, session: SpdySession, stream_id: int, headers: Headers) -> None:
        self.session = session
        self.id = stream_id
        self.headers = headers
        self.reset_by_peer = False
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._changed = asyncio.Condition()
        self._remote_ended = False  # FIN or RST received, or the session ended
        self._local_ended = False  # FIN or RST sent
        self._replied: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # ----- reading

    async def read(self) -> bytes:
        """The next chunk the peer sent; b"" once it has ended its half (or reset the stream)."""
        async with self._changed:
            while not self._chunks and not self._remote_ended:
                await self._changed.wait()
            if not self._chunks:
                return b""
            chunk = self._chunks.popleft()
            self._buffered -= len(chunk)
            self._changed.notify_all()
            return chunk

    async def read_all(self) -> bytes:
        """Everything the peer sends until it ends its half."""
        parts = []
        while chunk := await self.read():
            parts.append(chunk)
        return b"".join(parts)

    # ----- writing

    async def write(self, data: bytes) -> None:
        """Send `data`; StreamReset if the stream was reset, SessionClosed if the transport is gone."""
        if self.reset_by_peer:
            raise StreamReset(f"stream {self.id} was reset")
        if self._local_ended:
            raise SessionClosed(f"stream {self.id} is closed for writing")
        for start in range(0, len(data), MAX_DATA_FRAME):
            await self.session.send(DataFrame(self.id, data[start:start + MAX_DATA_FRAME]))

    async def close(self) -> None:
        """End our half (FIN): the peer reads the end of the data, and may still send."""
        if self._local_ended or self.reset_by_peer:
            return
        self._local_ended = True
        try:
            await self.session.send(DataFrame(self.id, b"", fin=True))
        finally:
            self.session.forget_if_done(self)

    async def reset(self, status: RstStatus = RstStatus.CANCEL) -> None:
        """End both halves at once, dropping unread data (RST_STREAM)."""
        already_over = self.reset_by_peer or (self._local_ended and self._remote_ended)
        self._local_ended = True
        await self.end_remote(discard=True)
        self.session.forget(self)
        if not already_over:
            try:
                await self.session.send(RstStream(self.id, status))
            except SessionClosed:
                pass  # nobody is left to tell

    async def reply(self) -> None:
        """Accept a stream the peer opened (SYN_REPLY)."""
        await self.session.send(SynReply(self.id))

    async def wait_for_reply(self, timeout: float = REPLY_TIMEOUT_SECONDS) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self._replied), timeout)
        except TimeoutError:
            raise StreamReset(f"timed out waiting for the reply to stream {self.id}") from None

    # ----- what the session tells the stream

    async def deliver(self, data: bytes) -> None:
        """Data from the peer; waits while the reader is BUFFER_LIMIT behind."""
        async with self._changed:
            while self._buffered >= BUFFER_LIMIT and not self._remote_ended:
                await self._changed.wait()
            if self._remote_ended:
                return  # reset meanwhile: the data has no reader
            self._chunks.append(data)
            self._buffered += len(data)
            self._changed.notify_all()

    async def end_remote(self, *, discard: bool = False) -> None:
        async with self._changed:
            self._remote_ended = True
            if discard:
                self._chunks.clear()
                self._buffered = 0
            self._changed.notify_all()

    def replied(self, error: Exception | None = None) -> None:
        if not self._replied.done():
            if error is None:
                self._replied.set_result(None)
            else:
                self._replied.set_exception(error)
                self._replied.exception()  # retrieved here, so an unawaited failure is not logged as lost

    @property
    def done(self) -> bool:
        return self._local_ended and self._remote_ended


class SpdySession:
    """Both ends use this; `server` decides stream and ping id parity (client odd, server even)."""

    def __init__(self, send: Send, *, server: bool) -> None:
        self._transport_send = send
        self._encoder = FrameEncoder()
        self._decoder = FrameDecoder()
        self._send_lock = asyncio.Lock()
        self._streams: dict[int, SpdyStream] = {}
        self._next_stream_id = 2 if server else 1
        self._peer_parity = 1 if server else 0
        self._last_peer_stream_id = 0
        self._going_away = False
        self.closed = asyncio.Event()

    # ----- sending

    async def send(self, frame: Frame) -> None:
        """Encode and send one frame; frames leave in the order their header blocks were compressed."""
        async with self._send_lock:
            if self.closed.is_set():
                raise SessionClosed("the connection is closed")
            data = self._encoder.encode(frame)
            try:
                await self._transport_send(data)
            except Exception as error:  # whatever the transport raises, the session is over
                self.closed.set()
                raise SessionClosed(f"the connection is closed: {error}") from error

    async def open_stream(self, headers: Headers, *, timeout: float = REPLY_TIMEOUT_SECONDS) -> SpdyStream:
        """Open a stream and wait for the peer to accept it; StreamReset if it refuses."""
        if self._going_away:
            raise SessionClosed("the peer is going away")
        stream = SpdyStream(self, self._next_stream_id, headers)
        self._next_stream_id += 2
        self._streams[stream.id] = stream
        await self.send(SynStream(stream.id, headers))
        await stream.wait_for_reply(timeout)
        return stream

    async def go_away(self) -> None:
        """Tell the peer no new streams will be accepted (best effort; the transport closes after)."""
        try:
            await self.send(GoAway(self._last_peer_stream_id, GoAwayStatus.OK))
        except SessionClosed:
            pass

    # ----- receiving

    async def serve(self, receive: Receive, on_stream: OnStream | None = None) -> None:
        """Read frames until the transport closes. `on_stream` decides on each stream the peer opens
        (reply or reset), before any later frame is handled; without it, every such stream is refused."""
        try:
            while (data := await receive()) is not None:
                for frame in self._decoder.feed(data):
                    await self._handle(frame, on_stream)
        finally:
            await self._end()

    async def _handle(self, frame: Frame, on_stream: OnStream | None) -> None:
        match frame:
            case DataFrame(stream_id, data, fin):
                stream = self._streams.get(stream_id)
                if stream is None:
                    return  # reset or finished: as spdystream, late data is dropped
                if data:
                    await stream.deliver(data)
                if fin:
                    await stream.end_remote()
                    self.forget_if_done(stream)
            case SynStream():
                await self._accept(frame, on_stream)
            case SynReply(stream_id, _, fin):
                stream = self._streams.get(stream_id)
                if stream is not None:
                    stream.replied()
                    if fin:
                        await stream.end_remote()
            case RstStream(stream_id, status):
                stream = self._streams.pop(stream_id, None)
                if stream is not None:
                    stream.reset_by_peer = True
                    stream.replied(StreamReset(f"stream {stream_id} was reset ({_status_name(status)})"))
                    await stream.end_remote(discard=True)
            case Ping(ping_id) if ping_id % 2 == self._peer_parity:
                await self.send(frame)  # the peer's ping: answer with the same id
            case GoAway():
                self._going_away = True
            case HeadersFrame(stream_id, _, fin) if fin:
                if (stream := self._streams.get(stream_id)) is not None:
                    await stream.end_remote()
            # Our own pings' answers, SETTINGS, WINDOW_UPDATE and unknown frames need nothing.

    async def _accept(self, frame: SynStream, on_stream: OnStream | None) -> None:
        stream = SpdyStream(self, frame.stream_id, frame.headers)
        valid = frame.stream_id % 2 == self._peer_parity and frame.stream_id > self._last_peer_stream_id
        if not valid or self._going_away:
            await self.send(RstStream(frame.stream_id, RstStatus.PROTOCOL_ERROR))
            return
        self._last_peer_stream_id = frame.stream_id
        self._streams[stream.id] = stream
        if frame.fin:
            await stream.end_remote()
        if on_stream is None:
            await stream.reset(RstStatus.REFUSED_STREAM)
            return
        await on_stream(stream)

    async def _end(self) -> None:
        self.closed.set()
        streams, self._streams = list(self._streams.values()), {}
        for stream in streams:
            stream.replied(SessionClosed("the connection closed"))
            await stream.end_remote()

    # ----- bookkeeping

    def forget(self, stream: SpdyStream) -> None:
        self._streams.pop(stream.id, None)

    def forget_if_done(self, stream: SpdyStream) -> None:
        if stream.done:
            self.forget(stream)


def _status_name(status: int) -> str:
    try:
        return RstStatus(status).name
    except ValueError:
        return str(status)
