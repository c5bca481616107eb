"""Which protobuf field number is which JSON field, for every message tinykube decodes.

Kubernetes' generated.proto files give each Go field a number; the JSON name is the
proto field name (go-to-protobuf names fields after their `json:"..."` tag). The
tables in core_v1.py, meta_v1.py, apps_v1.py and other_v1.py transcribe those
numbers in a compact form, one message at the left margin, then one field a line:

    PodSpec
      2 containers []Container        a repeated message
      7 nodeSelector map<string,string>
      4 terminationGracePeriodSeconds *int64
    Volume
      2 - VolumeSource                a Go struct embedded with `json:",inline"`

Types are the proto scalars (string, int32, int64, bool, bytes, double), a message
name from the tables, or one of WELL_KNOWN, whose JSON form is not a plain object.

`*` marks a field whose zero value must be kept. Go writes every non-pointer field
to protobuf, zero or not, while its JSON encoder drops the zero ones (`omitempty`);
so the decoder drops a zero string, number or false unless the field is a Go
pointer (nil means unset, so a 0 that arrived was meant: `replicas: 0`) or a
field JSON never omits (`exitCode: 0`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from master.api.protobuf import apps_v1, core_v1, meta_v1, other_v1
from objects.kinds import ALL_KINDS

SCALARS = frozenset({"string", "int32", "int64", "bool", "bytes", "double"})

# Messages with their own JSON form (see decoder.WELL_KNOWN_DECODERS):
#   Time        {1: seconds, 2: nanos}           -> "2024-01-02T03:04:05Z"
#   MicroTime   {1: seconds, 2: nanos}           -> "2024-01-02T03:04:05.123456Z"
#   Quantity    {1: string}                      -> "100m"
#   IntOrString {1: type, 2: intVal, 3: strVal}  -> 8080 or "http"
#   FieldsV1    {1: raw JSON bytes}              -> the JSON object itself
#   RawExtension {1: raw JSON bytes}             -> the JSON value itself
WELL_KNOWN = frozenset({"Time", "MicroTime", "Quantity", "IntOrString", "FieldsV1", "RawExtension"})

_FIELD_LINE = re.compile(r"^\s+(\d+) (\S+) (\*?)(\[\])?(map<string,(\w+)>|\w+)$")


@dataclass(frozen=True)
class Field:
    number: int
    json_name: str  # "" for an inline-embedded struct: its fields land in the parent object
    type: str  # a scalar, a message name, or for a map the type of its values
    repeated: bool = False
    is_map: bool = False  # map<string, type>, sent as repeated {1: key, 2: value} entries
    keep_zero: bool = False

    @property
    def inline(self) -> bool:
        return self.json_name == ""


Message = dict[int, Field]


def parse_table(text: str) -> dict[str, Message]:
    """A table in the notation of this module's docstring, as message name -> field number -> Field."""
    messages: dict[str, Message] = {}
    current: Message | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            name = line.strip()
            if name in messages:
                raise ValueError(f"message {name} is listed twice")
            current = messages[name] = {}
            continue
        match = _FIELD_LINE.match(line)
        if match is None or current is None:
            raise ValueError(f"cannot read schema line {line!r}")
        number, json_name, star, repeated, type_, map_value = match.groups()
        current[int(number)] = Field(
            number=int(number), json_name="" if json_name == "-" else json_name,
            type=map_value or type_, repeated=bool(repeated), is_map=map_value is not None, keep_zero=bool(star),
        )
    return messages


@cache
def messages() -> dict[str, Message]:
    """Every message of every table; names are unique across the API groups tinykube serves."""
    merged: dict[str, Message] = {}
    for table in (meta_v1.TABLE, core_v1.TABLE, apps_v1.TABLE, other_v1.TABLE):
        for name, fields in parse_table(table).items():
            if name in merged:
                raise ValueError(f"message {name} is defined in two tables")
            merged[name] = fields
    # EphemeralContainerCommon repeats Container field for field, numbers included.
    merged["EphemeralContainerCommon"] = merged["Container"]
    return merged


def undefined_types() -> set[str]:
    """Types some field names that no table defines; empty when the tables are complete."""
    known = SCALARS | WELL_KNOWN | messages().keys()
    return {f.type for fields in messages().values() for f in fields.values()} - known


# Kinds whose body is a standalone request, not an object stored under a resource.
_REQUEST_KINDS = {
    ("v1", "Binding"): "Binding",
    ("policy/v1", "Eviction"): "Eviction",
    ("policy/v1beta1", "Eviction"): "Eviction",
    ("autoscaling/v1", "Scale"): "Scale",
}


def message_for_kind(api_version: str, kind: str) -> str | None:
    """The top-level message of a body that declares `api_version` and `kind`, or None if unknown."""
    if kind == "DeleteOptions":
        return "DeleteOptions"  # client-go sends it in the group version of whatever it deletes
    if (api_version, kind) in _REQUEST_KINDS:
        return _REQUEST_KINDS[(api_version, kind)]
    served = any(k.api_version == api_version and k.kind == kind for k in ALL_KINDS)
    return kind if served and kind in messages() else None
