"""The protobuf wire format, read-only: tags, varints and length-delimited records.

A message is a flat run of records. Each starts with a varint tag that packs the
field number and a wire type; the wire type says how long the value is, so a
reader can step over a field it has no schema for:

    tag = field_number << 3 | wire_type

    wire type   value on the wire                      used for
    0 VARINT    7 bits a byte, high bit = "more"       int32, int64, bool, enum
    1 I64       8 bytes, little-endian                 fixed64, double
    2 LEN       varint length, then that many bytes    string, bytes, messages, packed lists
    5 I32       4 bytes, little-endian                 fixed32, float

(Wire types 3 and 4, proto2 groups, are deprecated; Kubernetes never writes them.)
Nothing here knows about Kubernetes: decoder.py gives the records their meaning.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

VARINT, I64, LEN, I32 = 0, 1, 2, 5

# The longest varint: 64 bits at 7 bits a byte.
MAX_VARINT_BYTES = 10


class WireFormatError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint starting at `pos`, and the position just after it."""
    result = 0
    for i in range(MAX_VARINT_BYTES):
        if pos + i >= len(data):
            raise WireFormatError("truncated varint")
        byte = data[pos + i]
        result |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return result, pos + i + 1
    raise WireFormatError(f"varint longer than {MAX_VARINT_BYTES} bytes")


def records(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Each (field number, wire type, value) in order: an int for VARINT, I64 and I32, bytes for LEN."""
    pos = 0
    while pos < len(data):
        tag, pos = read_varint(data, pos)
        number, wire_type = tag >> 3, tag & 0x7
        if number == 0:
            raise WireFormatError("field number 0 is not allowed")
        if wire_type == VARINT:
            value, pos = read_varint(data, pos)
        elif wire_type == LEN:
            length, pos = read_varint(data, pos)
            if pos + length > len(data):
                raise WireFormatError(f"field {number} claims {length} bytes but only {len(data) - pos} remain")
            value, pos = data[pos:pos + length], pos + length
        elif wire_type in (I64, I32):
            size = 8 if wire_type == I64 else 4
            if pos + size > len(data):
                raise WireFormatError(f"truncated fixed-width field {number}")
            value, pos = int.from_bytes(data[pos:pos + size], "little"), pos + size
        else:
            raise WireFormatError(f"field {number} has unsupported wire type {wire_type}")
        yield number, wire_type, value


def packed_varints(data: bytes) -> list[int]:
    """The varints of a packed repeated field, one after another in a single LEN record."""
    values, pos = [], 0
    while pos < len(data):
        value, pos = read_varint(data, pos)
        values.append(value)
    return values


def signed(value: int, bits: int) -> int:
    """Reinterpret an unsigned varint as a two's-complement integer of `bits` bits.

    A negative int32 travels sign-extended to 64 bits, so truncating to `bits`
    first gives the value Go would read.
    """
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def as_double(value: int) -> float:
    return struct.unpack("<d", value.to_bytes(8, "little"))[0]
