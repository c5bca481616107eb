"""SPDY/3.1 frames: what `kubectl port-forward` speaks, written to and read from bytes.

Every frame starts with 8 bytes. A control frame (the high bit set):

    +-+-------------+---------------+  version is 3; type is one of FrameType;
    |1| version (15)| type (16)     |  flags: FIN 0x01 ends the sender's half of the stream
    +---------------+---------------+
    | flags (8)     | length (24)   |  length counts the bytes after these 8
    +---------------+---------------+

A data frame (the high bit clear):

    +-+-----------------------------+
    |0| stream id (31)              |
    +---------------+---------------+
    | flags (8)     | length (24)   |  then `length` bytes of the stream's data
    +---------------+---------------+

Streams are opened by SYN_STREAM (client ids odd, server ids even) and
accepted by SYN_REPLY or refused by RST_STREAM; both sides then send DATA until
each has sent FIN. Header blocks are compressed in one zlib stream per
direction (wire.spdy_headers), so a `FrameEncoder` must encode frames in the
order they are sent and a `FrameDecoder` must see every byte received, in order.

kubectl's client (moby/spdystream) does no flow control: it ignores
WINDOW_UPDATE and SETTINGS, and so may we; both are still parsed so that
a peer which sends them does not break the connection.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

from wire.spdy_headers import HeaderCompressor, HeaderDecompressor, Headers

VERSION = 3
FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02  # SYN_STREAM only: the receiver will not send on it
FLAG_CLEAR_SETTINGS = 0x01  # SETTINGS only
MAX_LENGTH = (1 << 24) - 1
STREAM_ID_MASK = 0x7FFF_FFFF
HEADER = struct.Struct(">II")  # the 8 bytes every frame starts with, as two words
_U32 = struct.Struct(">I")
_TWO_U32 = struct.Struct(">II")


class FrameType(IntEnum):
    SYN_STREAM = 1
    SYN_REPLY = 2
    RST_STREAM = 3
    SETTINGS = 4
    PING = 6
    GOAWAY = 7
    HEADERS = 8
    WINDOW_UPDATE = 9


class RstStatus(IntEnum):
    """Why a stream was reset (RST_STREAM's status code)."""

    PROTOCOL_ERROR = 1
    INVALID_STREAM = 2
    REFUSED_STREAM = 3
    UNSUPPORTED_VERSION = 4
    CANCEL = 5
    INTERNAL_ERROR = 6
    FLOW_CONTROL_ERROR = 7
    STREAM_IN_USE = 8
    STREAM_ALREADY_CLOSED = 9


class GoAwayStatus(IntEnum):
    OK = 0
    PROTOCOL_ERROR = 1
    INTERNAL_ERROR = 2


class ProtocolError(Exception):
    """Bytes that are not SPDY/3: the connection must be dropped."""


@dataclass(frozen=True)
class DataFrame:
    stream_id: int
    data: bytes
    fin: bool = False


@dataclass(frozen=True)
class SynStream:
    stream_id: int
    headers: Headers
    associated_to: int = 0
    priority: int = 0  # 0 (highest) to 7
    fin: bool = False
    unidirectional: bool = False


@dataclass(frozen=True)
class SynReply:
    stream_id: int
    headers: Headers = field(default_factory=dict)
    fin: bool = False


@dataclass(frozen=True)
class RstStream:
    stream_id: int
    status: int  # RstStatus, or a code this side does not know


@dataclass(frozen=True)
class Setting:
    flags: int
    id: int
    value: int


@dataclass(frozen=True)
class Settings:
    settings: tuple[Setting, ...] = ()
    clear: bool = False


@dataclass(frozen=True)
class Ping:
    ping_id: int  # odd from the client, even from the server


@dataclass(frozen=True)
class GoAway:
    last_good_stream_id: int
    status: int = GoAwayStatus.OK


@dataclass(frozen=True)
class HeadersFrame:
    stream_id: int
    headers: Headers
    fin: bool = False


@dataclass(frozen=True)
class WindowUpdate:
    stream_id: int
    delta: int


@dataclass(frozen=True)
class UnknownControlFrame:
    """A control frame of a type SPDY/3.1 does not define (such as CREDENTIAL): the draft says to ignore it."""

    frame_type: int
    flags: int
    payload: bytes


Frame = (DataFrame | SynStream | SynReply | RstStream | Settings | Ping | GoAway | HeadersFrame | WindowUpdate
         | UnknownControlFrame)


# ----- writing


class FrameEncoder:
    """Frames to bytes for one sending side (it owns that side's header compressor)."""

    def __init__(self) -> None:
        self._headers = HeaderCompressor()

    def encode(self, frame: Frame) -> bytes:
        match frame:
            case DataFrame(stream_id, data, fin):
                _check_length(len(data))
                return HEADER.pack(stream_id & STREAM_ID_MASK, _flags_length(FLAG_FIN if fin else 0, len(data))) + data
            case SynStream():
                flags = (FLAG_FIN if frame.fin else 0) | (FLAG_UNIDIRECTIONAL if frame.unidirectional else 0)
                body = (_TWO_U32.pack(frame.stream_id & STREAM_ID_MASK, frame.associated_to & STREAM_ID_MASK)
                        + bytes([(frame.priority & 0x7) << 5, 0]) + self._headers.compress(frame.headers))
                return _control(FrameType.SYN_STREAM, flags, body)
            case SynReply(stream_id, headers, fin):
                body = _U32.pack(stream_id & STREAM_ID_MASK) + self._headers.compress(headers)
                return _control(FrameType.SYN_REPLY, FLAG_FIN if fin else 0, body)
            case HeadersFrame(stream_id, headers, fin):
                body = _U32.pack(stream_id & STREAM_ID_MASK) + self._headers.compress(headers)
                return _control(FrameType.HEADERS, FLAG_FIN if fin else 0, body)
            case RstStream(stream_id, status):
                return _control(FrameType.RST_STREAM, 0, _TWO_U32.pack(stream_id & STREAM_ID_MASK, status))
            case Settings(settings, clear):
                body = _U32.pack(len(settings)) + b"".join(
                    _TWO_U32.pack((s.flags << 24) | (s.id & 0xFFFFFF), s.value) for s in settings)
                return _control(FrameType.SETTINGS, FLAG_CLEAR_SETTINGS if clear else 0, body)
            case Ping(ping_id):
                return _control(FrameType.PING, 0, _U32.pack(ping_id))
            case GoAway(last_good_stream_id, status):
                return _control(FrameType.GOAWAY, 0, _TWO_U32.pack(last_good_stream_id & STREAM_ID_MASK, status))
            case WindowUpdate(stream_id, delta):
                return _control(FrameType.WINDOW_UPDATE, 0, _TWO_U32.pack(stream_id & STREAM_ID_MASK,
                                                                           delta & STREAM_ID_MASK))
            case UnknownControlFrame(frame_type, flags, payload):
                return _control(frame_type, flags, payload)
        raise TypeError(f"not a SPDY frame: {frame!r}")


def _control(frame_type: int, flags: int, body: bytes) -> bytes:
    _check_length(len(body))
    return HEADER.pack(0x8000_0000 | (VERSION << 16) | frame_type, _flags_length(flags, len(body))) + body


def _flags_length(flags: int, length: int) -> int:
    return (flags << 24) | length


def _check_length(length: int) -> None:
    if length > MAX_LENGTH:
        raise ValueError(f"a SPDY frame carries at most {MAX_LENGTH} bytes, not {length}")


# ----- reading


class FrameDecoder:
    """Bytes to frames for one receiving side: feed it what arrives, however it is cut, and get whole frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._headers = HeaderDecompressor()

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by `data`, in order; raises ProtocolError on bytes that are not SPDY/3."""
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= HEADER.size:
            first, flags_length = HEADER.unpack_from(self._buffer)
            length = flags_length & MAX_LENGTH
            end = HEADER.size + length
            if len(self._buffer) < end:
                break
            body = bytes(self._buffer[HEADER.size:end])
            del self._buffer[:end]
            flags = flags_length >> 24
            if first & 0x8000_0000:
                frames.append(self._control((first >> 16) & 0x7FFF, first & 0xFFFF, flags, body))
            else:
                frames.append(DataFrame(first & STREAM_ID_MASK, body, fin=bool(flags & FLAG_FIN)))
        return frames

    def _control(self, version: int, frame_type: int, flags: int, body: bytes) -> Frame:
        if version != VERSION:
            raise ProtocolError(f"SPDY version {version} is not supported (only {VERSION})")
        fin = bool(flags & FLAG_FIN)
        try:
            match frame_type:
                case FrameType.SYN_STREAM:
                    stream_id, associated = _TWO_U32.unpack_from(body)
                    return SynStream(stream_id & STREAM_ID_MASK, self._headers.decompress(body[10:]),
                                     associated_to=associated & STREAM_ID_MASK, priority=body[8] >> 5, fin=fin,
                                     unidirectional=bool(flags & FLAG_UNIDIRECTIONAL))
                case FrameType.SYN_REPLY:
                    (stream_id,) = _U32.unpack_from(body)
                    return SynReply(stream_id & STREAM_ID_MASK, self._headers.decompress(body[4:]), fin=fin)
                case FrameType.HEADERS:
                    (stream_id,) = _U32.unpack_from(body)
                    return HeadersFrame(stream_id & STREAM_ID_MASK, self._headers.decompress(body[4:]), fin=fin)
                case FrameType.RST_STREAM:
                    stream_id, status = _TWO_U32.unpack(body)
                    return RstStream(stream_id & STREAM_ID_MASK, status)
                case FrameType.SETTINGS:
                    (count,) = _U32.unpack_from(body)
                    pairs = [_TWO_U32.unpack_from(body, 4 + 8 * i) for i in range(count)]
                    return Settings(tuple(Setting(word >> 24, word & 0xFFFFFF, value) for word, value in pairs),
                                    clear=bool(flags & FLAG_CLEAR_SETTINGS))
                case FrameType.PING:
                    (ping_id,) = _U32.unpack(body)
                    return Ping(ping_id)
                case FrameType.GOAWAY:
                    last_good, status = _TWO_U32.unpack(body)
                    return GoAway(last_good & STREAM_ID_MASK, status)
                case FrameType.WINDOW_UPDATE:
                    stream_id, delta = _TWO_U32.unpack(body)
                    return WindowUpdate(stream_id & STREAM_ID_MASK, delta & STREAM_ID_MASK)
        except struct.error as error:
            raise ProtocolError(f"malformed {FrameType(frame_type).name} frame: {error}") from None
        except ValueError as error:  # a header block that does not inflate or parse
            raise ProtocolError(str(error)) from None
        return UnknownControlFrame(frame_type, flags, body)
