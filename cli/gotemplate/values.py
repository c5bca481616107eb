"""Values during execution, with the two distinctions Go's reflect makes and plain Python does not.

1. *No value* (an invalid reflect.Value) is not nil. `{{.missing}}` yields a
   nil interface; at the end of each pipeline command Go looks inside
   interfaces, and a nil one becomes no value, which prints `<no value>`.
2. A value reached through a map or list is held in an `interface{}` (`Iface`
   here). That changes which error a field lookup gives: `.a.b` on a missing
   `.a` is "nil pointer evaluating interface {}.b", and `.kind.x` is
   "can't evaluate field x in type interface {}".

Everything else is the JSON-decoded value itself (see cli/go_format.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class _NoValue:
    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Any = _NoValue()


class _Missing:
    """No value piped in from the previous command (Go's missingVal)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Iface:
    """A value seen through Go's `interface{}`: every map entry and list element; None is a nil interface."""

    value: Any


def unbox(value: Any) -> Any:
    """Go's indirectInterface: the value inside an interface, a nil one giving no value."""
    if isinstance(value, Iface):
        return NO_VALUE if value.value is None else value.value
    return value


def to_interface(value: Any) -> Any:
    """What a function taking `interface{}` receives: the plain value, None for nil or no value."""
    value = unbox(value)
    return None if value is NO_VALUE else value


def truth(value: Any) -> bool:
    """Go's template truth: false, 0, "", nil, no value and empty maps and lists are false."""
    value = unbox(value)
    if value is NO_VALUE or value is None:
        return False
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return bool(value)
