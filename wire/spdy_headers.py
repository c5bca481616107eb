"""SPDY/3 name/value header blocks, and the zlib compression every block goes through.

A SYN_STREAM, SYN_REPLY or HEADERS frame carries its headers as one block:

    +------------------------------------+
    | number of pairs (uint32)           |
    +------------------------------------+
    | name length (uint32) | name        |   names are lowercase
    | value length (uint32)| value       |   several values joined by NUL bytes
    +------------------------------------+
    | ...                                |

and the block is deflated. The compressor is not reset between frames: one
zlib stream runs for the life of the connection in each direction, each block
ends with a SYNC_FLUSH, and the stream starts from a fixed dictionary of common
header words (SPDY/3 draft, section 2.6.10.1). So a block can only be read by
the decompressor that read every block before it, in order: one
`HeaderCompressor` per sending side, one `HeaderDecompressor` per receiving side.

kubectl's port-forward headers are `streamtype`, `port` and `requestid`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

Headers = dict[str, list[str]]  # lowercase name -> its values, in order

_LENGTH = struct.Struct(">I")
VALUE_SEPARATOR = b"\x00"

# The SPDY/3 dictionary, as the draft spells it: length-prefixed words, then a run of plain text.
# zlib names a dictionary by its Adler-32 (0xE3C6A7C2 for this one), so it must match byte for byte.
_DICTIONARY_WORDS = (
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
    "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
    "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
    "keep-alive", "origin",
)
_DICTIONARY_TEXT = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = b"".join(_LENGTH.pack(len(word)) + word.encode() for word in _DICTIONARY_WORDS) + _DICTIONARY_TEXT.encode()


class HeaderBlockError(ValueError):
    """A header block that cannot be inflated or parsed: the connection cannot go on."""


def header_value(headers: Headers, name: str) -> str | None:
    """The first value of `name`, or None when the header is absent."""
    values = headers.get(name.lower())
    return values[0] if values else None


def encode_block(headers: Headers | Iterable[tuple[str, str]]) -> bytes:
    """The uncompressed block: names lowercased, a repeated name's values joined by NUL."""
    merged: Headers = {}
    pairs = headers.items() if isinstance(headers, dict) else ((name, [value]) for name, value in headers)
    for name, values in pairs:
        merged.setdefault(name.lower(), []).extend(values)
    out = [_LENGTH.pack(len(merged))]
    for name, values in merged.items():
        raw_name, raw_value = name.encode(), VALUE_SEPARATOR.join(v.encode() for v in values)
        out += [_LENGTH.pack(len(raw_name)), raw_name, _LENGTH.pack(len(raw_value)), raw_value]
    return b"".join(out)


def decode_block(block: bytes) -> Headers:
    """The headers in an uncompressed block; raises HeaderBlockError if it is cut short or malformed."""
    try:
        (count,), offset = _LENGTH.unpack_from(block), _LENGTH.size
        headers: Headers = {}
        for _ in range(count):
            name, offset = _read_string(block, offset)
            value, offset = _read_string(block, offset)
            if not name:
                continue  # the draft: a receiver ignores a pair with an empty name
            # Values arrive NUL-joined; empty ones, from doubled NULs, are to be ignored.
            headers.setdefault(name.decode().lower(), []).extend(
                part.decode() for part in value.split(VALUE_SEPARATOR) if part)
    except (struct.error, UnicodeDecodeError) as error:
        raise HeaderBlockError(f"malformed header block: {error}") from None
    if offset != len(block):
        raise HeaderBlockError(f"header block has {len(block) - offset} bytes after its last pair")
    return headers


def _read_string(block: bytes, offset: int) -> tuple[bytes, int]:
    (length,) = _LENGTH.unpack_from(block, offset)
    start = offset + _LENGTH.size
    if start + length > len(block):
        raise HeaderBlockError("header block ends inside a name or value")
    return block[start:start + length], start + length


class HeaderCompressor:
    """Deflates the blocks one side sends, all in one zlib stream (call in the order frames are sent)."""

    def __init__(self) -> None:
        self._zlib = zlib.compressobj(level=9, zdict=DICTIONARY)

    def compress(self, headers: Headers | Iterable[tuple[str, str]]) -> bytes:
        block = encode_block(headers)
        return self._zlib.compress(block) + self._zlib.flush(zlib.Z_SYNC_FLUSH)


class HeaderDecompressor:
    """Inflates the blocks one side receives, in the order they arrive."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(zdict=DICTIONARY)

    def decompress(self, data: bytes) -> Headers:
        try:
            block = self._zlib.decompress(data)
        except zlib.error as error:
            raise HeaderBlockError(f"cannot inflate header block: {error}") from None
        return decode_block(block)
