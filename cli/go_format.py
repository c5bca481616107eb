"""How Go prints JSON-decoded values, for kubectl's template outputs to match byte for byte.

kubectl hands go-template and jsonpath a `map[string]interface{}` decoded from
JSON, so every value is one of: map, []interface{}, string, bool, int64 (an
integral JSON number), float64 (any other number) or nil. Templates add Go's
`int` (number constants, `len`, range indexes), which prints like int64 but
has its own type name in error messages, so it gets its own class here.

What is Go's and not Python's:

- `%v` of a float64 is `%g` with the shortest digits and an exponent from
  1e+06 on (`1.2345675e+06`), not Python's repr;
- maps print as `map[a:1 b:x]` with sorted keys, lists as `[a b]`, nil as `<nil>`;
- a verb that does not fit its argument prints `%!d(string=x)` instead of failing;
- encoding/json writes floats without exponent between 1e-6 and 1e21.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cli.encoding import compact_json


class GoInt(int):
    """Go's `int`, as opposed to the int64 of JSON numbers (plain Python ints)."""


def type_name(value: Any) -> str:
    """The Go type of a JSON-decoded value, as `%T` and error messages spell it."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, GoInt):
        return "int"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, complex):
        return "complex128"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return type(value).__name__


def basic_kind(value: Any) -> str | None:
    """The kind Go's template comparisons (`eq`, `lt`; jsonpath filters use the same rules) give a
    JSON-decoded value; None for maps, lists and nil, which have no order and only nil-equality."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, complex):
        return "complex"
    if isinstance(value, str):
        return "string"
    return None


# ----- numbers


def _decimal_digits(x: float) -> tuple[str, int]:
    """Shortest digits that read back as `x` (> 0), and where the point goes: 0.DIGITS x 10^point."""
    _, digits, exponent = Decimal(repr(x)).as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + int(exponent)
    return text.rstrip("0") or "0", point


def _fixed(digits: str, point: int, decimals: int) -> str:
    whole = digits[:point].ljust(point, "0") if point > 0 else "0"
    fraction = "".join(digits[i] if 0 <= i < len(digits) else "0" for i in range(point, point + decimals))
    return whole + ("." + fraction if decimals else "")


def _exponent(digits: str, point: int, letter: str = "e") -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exponent = point - 1 if digits != "0" else 0
    return f"{mantissa}{letter}{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _special(x: float) -> str | None:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return None


def format_float(x: float, verb: str = "g", precision: int | None = None) -> str:
    """strconv.FormatFloat(x, verb, precision, 64); precision None is Go's -1, the shortest."""
    special = _special(x)
    if special:
        return special
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    x = abs(x)
    if precision is not None:
        return sign + format(x, f".{precision}{verb}")
    digits, point = _decimal_digits(x) if x else ("0", 1)
    if verb in "eE":
        return sign + _exponent(digits, point, verb)
    if verb in "fF":
        return sign + _fixed(digits, point, max(len(digits) - point, 0))
    # 'g' with the shortest digits switches to an exponent outside 1e-4 .. 1e+06
    exponent = point - 1
    if x and (exponent < -4 or exponent >= 6):
        return sign + _exponent(digits, point, "E" if verb == "G" else "e")
    return sign + _fixed(digits, point, max(len(digits) - point, 0))


def json_float(x: float) -> str:
    """encoding/json's float64: plain digits between 1e-6 and 1e21, `1e-7` style outside."""
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign = "-" if x < 0 else ""
    digits, point = _decimal_digits(abs(x))
    if abs(x) < 1e-6 or abs(x) >= 1e21:
        text = _exponent(digits, point)
        return sign + (text[:-2] + text[-1] if text[-4:-1] == "e-0" else text)  # e-07 -> e-7
    return sign + _fixed(digits, point, max(len(digits) - point, 0))


# ----- %v and friends


def format_value(value: Any) -> str:
    """fmt's `%v`: what `{{.x}}` prints and how custom-columns writes a cell."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, complex):
        imaginary = format_float(value.imag)
        return f"({format_float(value.real)}{'' if imaginary[0] in '+-' else '+'}{imaginary}i)"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{format_value(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(format_value(item) for item in value) + "]"
    return str(value)


def sprint(args: list[Any]) -> str:
    """fmt.Sprint: a space between two operands only when neither is a string."""
    out = []
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(format_value(arg))
    return "".join(out)


def sprintln(args: list[Any]) -> str:
    return " ".join(format_value(arg) for arg in args) + "\n"


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
            "\\": "\\\\"}


def go_quote(text: str, quote: str = '"') -> str:
    """strconv.Quote: printable runes as they are, the rest as \\n, \\x01, \\u00ad."""
    out = [quote]
    for char in text:
        code = ord(char)
        if char == quote:
            out.append("\\" + char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append(quote)
    return "".join(out)


def go_syntax(value: Any, *, top: bool = True) -> str:
    """fmt's `%#v` of a JSON-decoded value: `map[string]interface {}{"a":1}`."""
    if value is None:
        return "<nil>" if top else "interface {}(nil)"
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{go_quote(key)}:{go_syntax(value[key], top=False)}" for key in sorted(value))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(go_syntax(item, top=False) for item in value) + "}"
    return format_value(value)


# ----- encoding/json


def go_json(value: Any, *, indent: str = "", level: int = 0) -> str:
    """json.Marshal (or MarshalIndent with `indent`): sorted keys, HTML-safe, Go's floats."""
    if isinstance(value, float):
        return json_float(value)
    if not isinstance(value, (dict, list)) or not value:
        return compact_json(value)
    inner = indent * (level + 1)
    if isinstance(value, dict):
        colon = ": " if indent else ":"
        parts = [f"{compact_json(key)}{colon}{go_json(value[key], indent=indent, level=level + 1)}"
                 for key in sorted(value)]
        opening, closing = "{", "}"
    else:
        parts = [go_json(item, indent=indent, level=level + 1) for item in value]
        opening, closing = "[", "]"
    if not indent:
        return opening + ",".join(parts) + closing
    return f"{opening}\n{inner}" + f",\n{inner}".join(parts) + f"\n{indent * level}{closing}"


# ----- Sprintf


@dataclass
class _Spec:
    """One verb's flags, width and precision, as in `%-08.3f`."""

    flags: str = ""
    width: int | None = None
    precision: int | None = None

    def pad(self, text: str, *, zeros: bool = False, numeric: bool = False) -> str:
        """Pad to the width: left-justified with `-`, with zeros (after any sign) with `0` where Go allows it."""
        if self.width is None or len(text) >= self.width:
            return text
        if "-" in self.flags:
            return text.ljust(self.width)
        if zeros and "0" in self.flags:
            sign = text[0] if numeric and text[:1] in "+- " else ""
            return sign + text[len(sign):].rjust(self.width - len(sign), "0")
        return text.rjust(self.width)

    def signed(self, text: str) -> str:
        if text.startswith("-"):
            return text
        if "+" in self.flags:
            return "+" + text
        if " " in self.flags:
            return " " + text
        return text


def _bad_verb(verb: str, value: Any) -> str:
    if value is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(value)}={format_value(value)})"


def _rune(value: int) -> str:
    """The character for a code point, or U+FFFD for a number that is none, as Go substitutes."""
    return chr(value) if 0 <= value <= 0x10FFFF and not 0xD800 <= value < 0xE000 else "\ufffd"


def _format_int(value: int, verb: str, spec: _Spec) -> str:
    if verb == "c":
        return spec.pad(_rune(value))
    if verb == "q":
        return spec.pad(go_quote(_rune(value), "'"))
    if verb == "U":
        text = f"U+{value:04X}" if value >= 0 else f"U+-{-value:04X}"
        return spec.pad(text + (f" '{_rune(value)}'" if "#" in spec.flags else ""))
    if verb in "eEfFgG":
        return _bad_verb(verb, value)
    base = {"v": "d", "d": "d", "b": "b", "o": "o", "O": "o", "x": "x", "X": "X"}[verb]
    digits = format(abs(value), base)
    sign = "-" if value < 0 else spec.signed("")
    if spec.precision is not None:
        digits = digits.rjust(spec.precision, "0") if spec.precision or value else ""
    elif spec.width is not None and "0" in spec.flags and "-" not in spec.flags:
        digits = digits.rjust(spec.width - len(sign), "0")  # Go pads the digits, then adds 0x and the sign
    prefix = ""
    if "#" in spec.flags:
        prefix = {"x": "0x", "X": "0X", "b": "0b", "o": "" if digits.startswith("0") else "0"}.get(verb, "")
    if verb == "O":
        prefix = "0o"
    return spec.pad(sign + prefix + digits)


def _format_float_verb(value: float, verb: str, spec: _Spec) -> str:
    if verb == "v":
        verb = "g"
    precision = spec.precision
    if precision is None and verb in "eEfF":
        precision = 6
    text = format_float(value, verb, precision)
    return spec.pad(spec.signed(text), zeros=math.isfinite(value), numeric=True)


def _format_str(value: str, verb: str, spec: _Spec) -> str:
    if spec.precision is not None:
        value = value[:spec.precision]
    if verb in "vs":
        return spec.pad(value, zeros=True)
    if verb == "q":
        return spec.pad(go_quote(value), zeros=True)
    hexed = value.encode().hex()
    return spec.pad(hexed.upper() if verb == "X" else hexed, zeros=True)


def format_arg(value: Any, verb: str, spec: _Spec | None = None, *, nested: bool = False) -> str:
    """One argument of Sprintf under one verb; maps and lists apply it to each element, as fmt does."""
    spec = spec or _Spec()
    if verb == "T":
        return spec.pad(type_name(value))
    if verb == "v" and "#" in spec.flags:
        return spec.pad(go_syntax(value))
    if value is None:
        # a nil inside a map or list prints as <nil> whatever the verb; on its own only %v accepts it
        return spec.pad("<nil>") if verb == "v" or nested else _bad_verb(verb, value)
    if isinstance(value, bool):
        return spec.pad("true" if value else "false") if verb in "tv" else _bad_verb(verb, value)
    if isinstance(value, int):
        return _format_int(value, verb, spec) if verb in "vdboOxXcqUeEfFgG" else _bad_verb(verb, value)
    if isinstance(value, float):
        return _format_float_verb(value, verb, spec) if verb in "veEfFgG" else _bad_verb(verb, value)
    if isinstance(value, complex):
        return spec.pad(format_value(value)) if verb == "v" else _bad_verb(verb, value)
    if isinstance(value, str):
        return _format_str(value, verb, spec) if verb in "vsqxX" else _bad_verb(verb, value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{format_arg(key, verb, spec, nested=True)}:"
                                 f"{format_arg(value[key], verb, spec, nested=True)}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(format_arg(item, verb, spec, nested=True) for item in value) + "]"
    return _bad_verb(verb, value)


def _number(fmt: str, i: int) -> tuple[int | None, int]:
    start = i
    while i < len(fmt) and fmt[i].isdigit():
        i += 1
    return (int(fmt[start:i]) if i > start else None), i


def sprintf(fmt: str, args: list[Any]) -> str:
    """fmt.Sprintf, with Go's in-band complaints (`%!d(MISSING)`, `%!(EXTRA int=2)`) instead of errors."""
    out: list[str] = []
    used = 0
    i = 0
    while i < len(fmt):
        percent = fmt.find("%", i)
        if percent < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:percent])
        i = percent + 1
        spec = _Spec()
        while i < len(fmt) and fmt[i] in "+-# 0":
            spec.flags += fmt[i]
            i += 1
        if i < len(fmt) and fmt[i] == "*":
            i += 1
            if used < len(args) and isinstance(args[used], int) and not isinstance(args[used], bool):
                spec.width = abs(args[used])
                spec.flags += "-" if args[used] < 0 else ""
            else:
                out.append("%!(BADWIDTH)")
            used += 1
        else:
            spec.width, i = _number(fmt, i)
        if i < len(fmt) and fmt[i] == ".":
            i += 1
            if i < len(fmt) and fmt[i] == "*":
                i += 1
                if used < len(args) and isinstance(args[used], int) and not isinstance(args[used], bool):
                    spec.precision = max(args[used], 0)
                else:
                    out.append("%!(BADPREC)")
                used += 1
            else:
                precision, i = _number(fmt, i)
                spec.precision = precision or 0
        if i >= len(fmt):
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "v":  # %+v and %#v are their own verbs: the flags do not reach the numbers inside
            spec.flags = spec.flags.replace("+", "")
        if verb == "%":
            out.append("%")
        elif used >= len(args):
            out.append(f"%!{verb}(MISSING)")
        else:
            out.append(format_arg(args[used], verb, spec))
            used += 1
    if used < len(args):
        extra = ", ".join("<nil>" if arg is None else f"{type_name(arg)}={format_value(arg)}" for arg in args[used:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)
