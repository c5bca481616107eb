"""Field errors, worded and printed the way the apiserver's field errors are.

Each bad field becomes one cause, `{"reason", "message", "field"}`, and the
message reads `<field>: <what is wrong>`:

    FieldValueRequired      spec.containers[0].image: Required value
    FieldValueInvalid       spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between ...
    FieldValueNotSupported  spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", ...
    FieldValueDuplicate     spec.containers[1].name: Duplicate value: "app"
    FieldValueNotFound      spec.containers[0].volumeMounts[0].name: Not found: "data"
    FieldValueForbidden     spec: Forbidden: pod updates may not change fields other than ...
    FieldValueTooLong       metadata.annotations: Too long: may not be more than 262144 bytes

Required, Forbidden and TooLong never repeat the bad value; the others print it
as Go does (strings quoted, numbers and booleans bare, maps and structs in Go
syntax), because clients and people compare these strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Cause = dict[str, str]


@dataclass(frozen=True)
class GoValue:
    """A bad value already spelled as Go would print it, such as a map or a struct."""

    text: str


def required(path: str, detail: str = "") -> Cause:
    return _cause("FieldValueRequired", path, _with_detail("Required value", detail))


def forbidden(path: str, detail: str) -> Cause:
    return _cause("FieldValueForbidden", path, _with_detail("Forbidden", detail))


def too_long(path: str, max_bytes: int) -> Cause:
    unit = "byte" if max_bytes == 1 else "bytes"
    return _cause("FieldValueTooLong", path, f"Too long: may not be more than {max_bytes} {unit}")


def invalid(path: str, value: Any, detail: str) -> Cause:
    return _cause("FieldValueInvalid", path, _with_detail(f"Invalid value: {go_repr(value)}", detail))


def duplicate(path: str, value: Any, detail: str = "") -> Cause:
    return _cause("FieldValueDuplicate", path, _with_detail(f"Duplicate value: {go_repr(value)}", detail))


def not_found(path: str, value: Any) -> Cause:
    return _cause("FieldValueNotFound", path, f"Not found: {go_repr(value)}")


def not_supported(path: str, value: Any, supported: Iterable[str]) -> Cause:
    listed = ", ".join(go_quote(v) for v in supported)
    return _cause("FieldValueNotSupported", path,
                  _with_detail(f"Unsupported value: {go_repr(value)}", f"supported values: {listed}" if listed else ""))


def go_repr(value: Any) -> str:
    """A bad value as field.Error prints it."""
    if isinstance(value, GoValue):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return go_quote(str(value))


def go_string_map(values: Mapping[str, str] | None) -> GoValue:
    """Go's %#v of a map[string]string: keys sorted, `map[string]string(nil)` when absent."""
    if values is None:
        return GoValue("map[string]string(nil)")
    pairs = ", ".join(f"{go_quote(k)}:{go_quote(v)}" for k, v in sorted(values.items()))
    return GoValue("map[string]string{" + pairs + "}")


def go_string_slice(values: Iterable[str] | None) -> str:
    if values is None:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def go_quote(text: str) -> str:
    """Close to Go's %q: double quotes, backslash escapes, printable Unicode kept."""
    return json.dumps(text, ensure_ascii=False)


def _with_detail(body: str, detail: str) -> str:
    return f"{body}: {detail}" if detail else body


def _cause(reason: str, path: str, body: str) -> Cause:
    return {"reason": reason, "message": f"{path}: {body}", "field": path}
