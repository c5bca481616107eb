"""The functions a kubectl go-template may call: Go's builtins plus kubectl's `exists` and `base64decode`.

Each is listed with its parameter kinds, which decide how the executor
evaluates arguments (and which errors it gives) before the call:

    "value"   reflect.Value: anything, unchanged (index, len, eq, ...)
    "any"     interface{}: the plain value, nil for nothing (print, printf's args)
    "string"  a string, or "wrong type for value; expected string; got int64"

A function signals failure with FunctionError; the executor reports it as
`error calling index: index out of range: 5`. `and`, `or` and `call` are
listed here but evaluated by the executor, which they need to short-circuit
or to name their argument.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cli.go_format import GoInt, basic_kind, format_arg, sprint, sprintf, sprintln, type_name
from cli.gotemplate.values import NO_VALUE, Iface, truth, unbox


class FunctionError(Exception):
    """A builtin refused its arguments; the message is Go's."""


@dataclass(frozen=True)
class Function:
    call: Callable[..., Any]
    params: tuple[str, ...]  # kinds of the fixed parameters
    variadic: str | None = None  # kind of the trailing ...parameter, if any


# ----- index, slice, len


def _index_arg(index: Any, limit: int) -> int:
    if index is NO_VALUE:
        raise FunctionError("cannot index slice/array with nil")
    if isinstance(index, Iface) or isinstance(index, bool) or not isinstance(index, int):
        kind = "interface {}" if isinstance(index, Iface) else type_name(index)
        raise FunctionError(f"cannot index slice/array with type {kind}")
    if index < 0 or index > limit:
        raise FunctionError(f"index out of range: {index}")
    return index


def index(item: Any, *indexes: Any) -> Any:
    """`index x 1 2` is x[1][2]; a missing map key gives nil, not an error."""
    item = unbox(item)
    if item is NO_VALUE:
        raise FunctionError("index of untyped nil")
    for key in indexes:
        key = unbox(key)
        if isinstance(item, Iface):
            if item.value is None:
                raise FunctionError("index of nil pointer")
            item = item.value
        if isinstance(item, (list, str)):
            data = item.encode() if isinstance(item, str) else item
            position = _index_arg(key, len(data))
            if position == len(data):  # Go checks against the capacity, then reflect panics
                raise FunctionError(f"reflect: {'string' if isinstance(item, str) else 'slice'} index out of range")
            item = data[position] if isinstance(item, str) else Iface(data[position])
        elif isinstance(item, dict):
            if key is NO_VALUE:
                raise FunctionError("value is nil; should be of type string")
            if not isinstance(key, str):
                raise FunctionError(f"value has type {type_name(key)}; should be string")
            item = Iface(item.get(key))
        else:
            raise FunctionError(f"can't index item of type {type_name(item)}")
    return item


def slice_(item: Any, *indexes: Any) -> Any:
    """`slice x 1 2` is x[1:2]; strings are sliced by bytes, as in Go."""
    item = unbox(item)
    if item is NO_VALUE:
        raise FunctionError("slice of untyped nil")
    if len(indexes) > 3:
        raise FunctionError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FunctionError("cannot 3-index slice a string")
        data: Any = item.encode()
    elif isinstance(item, list):
        data = item
    else:
        raise FunctionError(f"can't slice item of type {type_name(item)}")
    bounds = [0, len(data), len(data)]
    for i, key in enumerate(indexes):
        bounds[i] = _index_arg(key, len(data))
    if bounds[0] > bounds[1]:
        raise FunctionError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if len(indexes) == 3 and bounds[1] > bounds[2]:
        raise FunctionError(f"invalid slice index: {bounds[1]} > {bounds[2]}")
    result = data[bounds[0]:bounds[1]]
    return result.decode(errors="replace") if isinstance(item, str) else result


def length(item: Any) -> GoInt:
    if isinstance(item, Iface):
        if item.value is None:
            raise FunctionError("len of nil pointer")
        item = item.value
    if item is NO_VALUE:
        raise FunctionError("reflect: call of reflect.Value.Type on zero Value")
    if isinstance(item, str):
        return GoInt(len(item.encode()))
    if isinstance(item, (list, dict)):
        return GoInt(len(item))
    raise FunctionError(f"len of type {type_name(item)}")


# ----- comparison


def _reflect_kind(value: Any) -> str:
    return "invalid" if value is NO_VALUE else type(value).__name__


def eq(first: Any, *others: Any) -> bool:
    """`eq a b c` is a == b || a == c; values of different kinds are an error unless one is nil."""
    first = unbox(first)
    first_kind = basic_kind(first)
    if not others:
        raise FunctionError("missing argument for comparison")
    for other in map(unbox, others):
        other_kind = basic_kind(other)
        if first_kind != other_kind:
            if first is not NO_VALUE and other is not NO_VALUE:
                raise FunctionError("incompatible types for comparison")
            equal = False
        elif first_kind is not None:
            equal = first == other
        else:
            if _reflect_kind(first) != _reflect_kind(other) and NO_VALUE not in (first, other):
                raise FunctionError(f"non-comparable types {format_arg(first, 's')}: {type_name(first)}, "
                                    f"{type_name(other)}: {format_arg(other, 'v')}")
            if NO_VALUE in (first, other):
                equal = first is other
            else:
                raise FunctionError(f"non-comparable type {format_arg(other, 's')}: {type_name(other)}")
        if equal:
            return True
    return False


def ne(first: Any, second: Any) -> bool:
    return not eq(first, second)


def lt(first: Any, second: Any) -> bool:
    first, second = unbox(first), unbox(second)
    first_kind, second_kind = basic_kind(first), basic_kind(second)
    if first_kind is None or second_kind is None:
        raise FunctionError("invalid type for comparison")
    if first_kind != second_kind:
        raise FunctionError("incompatible types for comparison")
    if first_kind in ("bool", "complex"):
        raise FunctionError("invalid type for comparison")
    return first < second


def le(first: Any, second: Any) -> bool:
    return lt(first, second) or eq(first, second)


def gt(first: Any, second: Any) -> bool:
    return not le(first, second)


def ge(first: Any, second: Any) -> bool:
    return not lt(first, second)


# ----- printing and escaping


def _text_of(args: tuple[Any, ...]) -> str:
    """Go's evalArgs: one string as is, else fmt.Sprint with nil shown as <no value>."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(["<no value>" if arg is None else arg for arg in args])


_HTML = {"\0": "\ufffd", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


def html(*args: Any) -> str:
    return "".join(_HTML.get(char, char) for char in _text_of(args))


def _js_char(char: str) -> str:
    if char in _JS:
        return _JS[char]
    if char < " ":
        return f"\\u{ord(char):04X}"
    if char >= "\x80" and not char.isprintable():
        return f"\\u{ord(char):04X}"
    return char


def js(*args: Any) -> str:
    return "".join(_js_char(char) for char in _text_of(args))


def urlquery(*args: Any) -> str:
    return urllib.parse.quote_plus(_text_of(args), safe="")


def printf(fmt: str, *args: Any) -> str:
    return sprintf(fmt, list(args))


# ----- kubectl's own


def exists(item: Any, *indexes: Any) -> bool:
    """Whether `index item indexes...` would find something that is not nil."""
    current = item
    for key in indexes:
        if isinstance(current, (list, str)):
            data = current.encode() if isinstance(current, str) else current
            if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key < len(data):
                return False
            current = data[key]
        elif isinstance(current, dict):
            if not isinstance(key, (str, type(None))):
                return False
            current = current.get(key or "")
        else:
            return False
    return current is not None or not indexes


def base64decode(text: str) -> str:
    cleaned = text.replace("\r", "").replace("\n", "")
    try:
        return base64.b64decode(cleaned, validate=True).decode(errors="replace")
    except (binascii.Error, ValueError):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        offset = next((i for i, char in enumerate(cleaned) if char not in alphabet), len(cleaned))
        raise FunctionError(f"base64 decode failed: illegal base64 data at input byte {offset}") from None


def _special(*_: Any) -> Any:
    raise AssertionError("evaluated by the executor")


def builtins() -> dict[str, Function]:
    """Every function name a template may use, as kubectl registers them."""
    return {
        "and": Function(_special, ("value",), "value"),
        "or": Function(_special, ("value",), "value"),
        "call": Function(_special, ("value",), "value"),
        "not": Function(lambda arg: not truth(arg), ("value",)),
        "index": Function(index, ("value",), "value"),
        "slice": Function(slice_, ("value",), "value"),
        "len": Function(length, ("value",)),
        "eq": Function(eq, ("value",), "value"),
        "ne": Function(ne, ("value", "value")),
        "lt": Function(lt, ("value", "value")),
        "le": Function(le, ("value", "value")),
        "gt": Function(gt, ("value", "value")),
        "ge": Function(ge, ("value", "value")),
        "print": Function(lambda *args: sprint(list(args)), (), "any"),
        "println": Function(lambda *args: sprintln(list(args)), (), "any"),
        "printf": Function(printf, ("string",), "any"),
        "html": Function(html, (), "any"),
        "js": Function(js, (), "any"),
        "urlquery": Function(urlquery, (), "any"),
        "exists": Function(exists, ("any",), "any"),
        "base64decode": Function(base64decode, ("string",)),
    }

