"""A Kubernetes protobuf body -> the JSON dict a JSON client would have sent.

The body is an envelope around the object's own message:

    "k8s\\x00"                       4-byte magic number
    runtime.Unknown {
      1 typeMeta {1 apiVersion, 2 kind}   which message `raw` holds
      2 raw                                 the object, e.g. a k8s.io.api.core.v1.Pod
      3 contentEncoding                     must be empty (no compression)
      4 contentType                         empty or the protobuf media type
    }

The object's message carries no apiVersion or kind of its own: they come from
the envelope and open the dict, as they open a JSON body.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

from master.api.protobuf import schema, wire
from master.api.protobuf.schema import Field

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"


class ProtobufError(ValueError):
    """The body is not a Kubernetes protobuf object that tinykube can read."""


def decode_kubernetes_protobuf(raw: bytes) -> dict[str, Any]:
    """The object in a protobuf request body, shaped like its JSON form."""
    if not raw.startswith(MAGIC):
        raise ProtobufError("protobuf: the body does not start with the Kubernetes magic number 'k8s\\x00'")
    try:
        api_version, kind, payload = _open_envelope(raw[len(MAGIC):])
        message = schema.message_for_kind(api_version, kind)
        if message is None:
            raise ProtobufError(f'protobuf: no schema for kind "{kind}" in apiVersion "{api_version}"')
        return {"apiVersion": api_version, "kind": kind, **_message(message, payload, "")}
    except wire.WireFormatError as error:
        raise ProtobufError(f"protobuf: {error}") from None


def _open_envelope(data: bytes) -> tuple[str, str, bytes]:
    type_meta, payload, encoding, content_type = b"", b"", "", ""
    for number, wire_type, value in wire.records(data):
        if wire_type != wire.LEN:
            continue  # every field of Unknown is length-delimited; anything else is not ours
        if number == 1:
            type_meta = value
        elif number == 2:
            payload = value
        elif number == 3:
            encoding = _text(value, "contentEncoding")
        elif number == 4:
            content_type = _text(value, "contentType")
    if encoding:
        raise ProtobufError(f'protobuf: contentEncoding "{encoding}" is not supported')
    if content_type not in ("", MEDIA_TYPE):
        raise ProtobufError(f'protobuf: the envelope holds "{content_type}", not a protobuf object')
    api_version = kind = ""
    for number, wire_type, value in wire.records(type_meta):
        if wire_type == wire.LEN and number == 1:
            api_version = _text(value, "apiVersion")
        elif wire_type == wire.LEN and number == 2:
            kind = _text(value, "kind")
    if not kind:
        raise ProtobufError("protobuf: the envelope does not name the kind of the object")
    return api_version, kind, payload


def _message(name: str, data: bytes, path: str) -> dict[str, Any]:
    """One message as a JSON object; fields the table does not know are skipped."""
    fields = schema.messages()[name]
    out: dict[str, Any] = {}
    for number, wire_type, value in wire.records(data):
        field = fields.get(number)
        if field is None:
            continue  # newer than our table, as an older apiserver would treat it
        where = f"{path}.{field.json_name}" if path and field.json_name else field.json_name or path
        if field.inline:
            out.update(_message(field.type, _expect_len(field, wire_type, value, where), path))
        elif field.is_map:
            key, item = _map_entry(field, _expect_len(field, wire_type, value, where), where)
            out.setdefault(field.json_name, {})[key] = item
        elif field.repeated:
            out.setdefault(field.json_name, []).extend(_list_items(field, wire_type, value, where))
        else:
            _set_single(out, field, _value(field, wire_type, value, where))
    return out


def _set_single(out: dict[str, Any], field: Field, value: Any) -> None:
    if isinstance(value, dict) and isinstance(out.get(field.json_name), dict):
        value = {**out[field.json_name], **value}  # a message sent twice is merged, as protobuf says
    if field.keep_zero or not _is_zero(value):
        out[field.json_name] = value
    else:
        out.pop(field.json_name, None)  # the last value wins, and JSON would omit this one


def _is_zero(value: Any) -> bool:
    return value in ("", 0)  # False == 0 too; dicts, lists and None are never zero


def _list_items(field: Field, wire_type: int, value: int | bytes, where: str) -> list[Any]:
    if wire_type == wire.LEN and field.type in ("int32", "int64", "bool"):
        return [_scalar(field.type, wire.VARINT, v, where) for v in wire.packed_varints(value)]
    return [_value(field, wire_type, value, f"{where}[]")]


def _map_entry(field: Field, data: bytes, where: str) -> tuple[str, Any]:
    key, item = "", None
    for number, wire_type, value in wire.records(data):
        if number == 1:
            key = _scalar("string", wire_type, value, f"{where} key")
        elif number == 2:
            item = _value(field, wire_type, value, f"{where}[{key}]")
    if item is None:  # an absent value is the zero value of its type
        item = _value(field, wire.LEN, b"", f"{where}[{key}]") if field.type not in ("int32", "int64", "bool") else 0
    return key, item


def _value(field: Field, wire_type: int, value: int | bytes, where: str) -> Any:
    if field.type in schema.SCALARS:
        return _scalar(field.type, wire_type, value, where)
    data = _expect_len(field, wire_type, value, where)
    if field.type in WELL_KNOWN_DECODERS:
        return WELL_KNOWN_DECODERS[field.type](data, where)
    return _message(field.type, data, where)


def _scalar(type_: str, wire_type: int, value: int | bytes, where: str) -> Any:
    expected = {"string": wire.LEN, "bytes": wire.LEN, "double": wire.I64}.get(type_, wire.VARINT)
    if wire_type != expected:
        raise ProtobufError(f"protobuf: {where or 'the object'}: a {type_} cannot have wire type {wire_type}")
    if type_ == "string":
        return _text(value, where)
    if type_ == "bytes":
        return base64.b64encode(value).decode("ascii")  # how JSON spells a Go []byte
    if type_ == "bool":
        return value != 0
    if type_ == "int32":
        return wire.signed(value, 32)
    if type_ == "int64":
        return wire.signed(value, 64)
    return wire.as_double(value)


def _expect_len(field: Field, wire_type: int, value: int | bytes, where: str) -> bytes:
    if wire_type != wire.LEN:
        raise ProtobufError(f"protobuf: {where}: a {field.type} must be length-delimited, got wire type {wire_type}")
    return value


def _text(value: bytes, where: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtobufError(f"protobuf: {where}: a string that is not UTF-8") from None


# ----- the well-known messages whose JSON form is not an object


def _fields(data: bytes, where: str, types: dict[int, str]) -> dict[int, Any]:
    return {n: _scalar(types[n], wt, v, where) for n, wt, v in wire.records(data) if n in types}


def _time(data: bytes, where: str, *, micro: bool = False) -> str | None:
    """metav1.Time keeps whole seconds (its JSON has none finer); MicroTime keeps microseconds."""
    if not data:
        return None  # Go writes the zero time as an empty message; JSON writes it as null
    parts = _fields(data, where, {1: "int64", 2: "int32"})
    try:
        moment = datetime.fromtimestamp(parts.get(1, 0), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ProtobufError(f"protobuf: {where}: {parts.get(1)} seconds is not a representable time") from None
    if micro:
        return moment.replace(microsecond=parts.get(2, 0) // 1000).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_or_string(data: bytes, where: str) -> int | str:
    parts = _fields(data, where, {1: "int64", 2: "int32", 3: "string"})
    return parts.get(3, "") if parts.get(1) == 1 else parts.get(2, 0)


def _fields_v1(data: bytes, where: str) -> Any:
    raw = _fields(data, where, {1: "bytes"}).get(1)
    if raw is None:
        return {}
    try:
        return json.loads(base64.b64decode(raw))
    except ValueError:
        raise ProtobufError(f"protobuf: {where}: managed fields are not JSON") from None


def _raw_extension(data: bytes, where: str) -> Any:
    """An embedded object (a ControllerRevision's data): its raw JSON bytes, as the object they spell."""
    raw = _fields(data, where, {1: "bytes"}).get(1)
    if raw is None:
        return None
    try:
        return json.loads(base64.b64decode(raw))
    except ValueError:
        raise ProtobufError(f"protobuf: {where}: an embedded object that is not JSON") from None


WELL_KNOWN_DECODERS = {
    "Time": _time,
    "MicroTime": lambda data, where: _time(data, where, micro=True),
    "Quantity": lambda data, where: _fields(data, where, {1: "string"}).get(1, ""),
    "IntOrString": _int_or_string,
    "FieldsV1": _fields_v1,
    "RawExtension": _raw_extension,
}
