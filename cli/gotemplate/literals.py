"""Go's literals in a template, decoded as strconv and text/template/parse decode them.

Strings ("a\\n" and `raw`), characters ('a', which are numbers) and numbers
(1, -2, 0x1F, 1_000, 1.5e3, 2i). A number constant records every Go type it
can take, because the executor picks one by context; a ValueError carries Go's
complaint, e.g. `illegal number syntax: "1a"`.
"""

from __future__ import annotations

import math

from cli.go_format import go_quote
from cli.gotemplate.lexer import Kind, Token
from cli.gotemplate.nodes import NumberNode

_ESCAPES = {"a": 0x07, "b": 0x08, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B, "\\": 0x5C}
_INVALID = "invalid syntax"


def _unescape(body: str, i: int, quote: str, out: bytearray) -> int:
    """Decode the escape at body[i] (just after the backslash) into `out`; return where the next char is."""
    if i >= len(body):
        raise ValueError(_INVALID)
    char = body[i]
    if char in _ESCAPES:
        out.append(_ESCAPES[char])
        return i + 1
    if char == quote:
        out += quote.encode()
        return i + 1
    if char in "xuU":
        size = {"x": 2, "u": 4, "U": 8}[char]
        digits = body[i + 1:i + 1 + size]
        if len(digits) != size or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise ValueError(_INVALID)
        value = int(digits, 16)
        if char == "x":
            out.append(value)
        elif value > 0x10FFFF or 0xD800 <= value < 0xE000:
            raise ValueError(_INVALID)
        else:
            out += chr(value).encode()
        return i + 1 + size
    if char in "01234567":
        digits = body[i:i + 3]
        if len(digits) != 3 or any(d not in "01234567" for d in digits) or int(digits, 8) > 255:
            raise ValueError(_INVALID)
        out.append(int(digits, 8))
        return i + 3
    raise ValueError(_INVALID)


def unquote(literal: str) -> str:
    """strconv.Unquote of a "double-quoted" or `raw` Go string literal."""
    if len(literal) >= 2 and literal[0] == literal[-1] == "`":
        return literal[1:-1].replace("\r", "")
    if len(literal) < 2 or literal[0] != '"' or literal[-1] != '"':
        raise ValueError(_INVALID)
    body, out, i = literal[1:-1], bytearray(), 0
    while i < len(body):
        char = body[i]
        if char in '"\n':
            raise ValueError(_INVALID)
        if char == "\\":
            i = _unescape(body, i + 1, '"', out)
        else:
            out += char.encode()
            i += 1
    return out.decode(errors="replace")


def _char_value(literal: str) -> int:
    """The rune of a 'c' character constant."""
    body = literal[1:]
    if body.startswith("\\"):
        out = bytearray()
        rest = _unescape(body, 1, "'", out)
        # \x and octal escapes give one byte; \u gives a rune, encoded as UTF-8
        value = out[0] if len(out) == 1 else ord(out.decode())
    elif body and body[0] not in "'\n":
        value, rest = ord(body[0]), 1
    else:
        raise ValueError(_INVALID)
    if body[rest:] != "'":
        raise ValueError(f"malformed character constant: {literal}")
    return value


def _underscores_ok(text: str) -> bool:
    """Go's rule: an underscore separates digits, or a base prefix from a digit."""
    saw = "^"
    text = text[1:] if text[:1] in "+-" else text
    i, is_hex = 0, False
    if len(text) >= 2 and text[0] == "0" and text[1].lower() in "box":
        i, saw, is_hex = 2, "0", text[1].lower() == "x"
    for char in text[i:]:
        if char.isdigit() or (is_hex and char.lower() in "abcdef"):
            saw = "0"
        elif char == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def _parse_integer(text: str, *, signed: bool) -> int | None:
    """strconv.ParseInt / ParseUint with base 0, or None."""
    sign, body = 1, text
    if body[:1] in "+-":
        if not signed:
            return None
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    base = 10
    if body[:2].lower() in ("0x", "0o", "0b"):
        base, body = {"x": 16, "o": 8, "b": 2}[body[1].lower()], body[2:]
    elif len(body) > 1 and body[0] == "0":
        base, body = 8, body[1:]
    if not body or ("_" in text and not _underscores_ok(text)):
        return None
    try:
        value = sign * int(body.replace("_", ""), base)
    except ValueError:
        return None
    low, high = (-(2 ** 63), 2 ** 63) if signed else (0, 2 ** 64)
    return value if low <= value < high else None


def _parse_float(text: str) -> float | None:
    try:
        value = float.fromhex(text) if text.lstrip("+-")[:2].lower() == "0x" else float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _complex_node(node: NumberNode, kind: Kind) -> NumberNode:
    """`1+2i` or `2i`; one with no imaginary part can also be a float or an int, as in Go."""
    text = node.text.replace("_", "")
    try:
        value = complex(text[:-1] + "j") if kind is Kind.COMPLEX else complex(0, float(text[:-1]))
    except ValueError:
        raise ValueError(f"illegal number syntax: {go_quote(node.text)}") from None
    node.is_complex, node.complex_value = True, value
    if value.imag == 0:
        node.is_float, node.float_value = True, value.real
        if value.real.is_integer():
            node.is_int = node.is_uint = True
            node.int_value = int(value.real)
    return node


def number_node(token: Token) -> NumberNode:
    """A number constant and every Go type it can take, as text/template/parse's newNumber decides."""
    node = NumberNode(token.pos, token.value)
    text = token.value
    if token.kind is Kind.CHAR_CONSTANT:
        value = _char_value(text)
        node.is_int = node.is_uint = node.is_float = True
        node.int_value, node.float_value = value, float(value)
        return node
    if token.kind is Kind.COMPLEX or text.endswith("i"):
        return _complex_node(node, token.kind)
    unsigned = _parse_integer(text, signed=False)
    signed = _parse_integer(text, signed=True)
    node.is_uint = unsigned is not None
    if signed is not None:
        node.is_int, node.int_value = True, signed
    if node.is_int or node.is_uint:
        node.is_float = True
        node.float_value = float(signed if signed is not None else unsigned)
    else:
        value = _parse_float(text)
        if value is not None:
            if not any(char in text for char in ".eEpP"):
                raise ValueError(f"integer overflow: {go_quote(text)}")
            node.is_float, node.float_value = True, value
            if value.is_integer() and -(2 ** 63) <= value < 2 ** 63:
                node.is_int, node.int_value = True, int(value)
            if value.is_integer() and 0 <= value < 2 ** 64:
                node.is_uint = True
    if not (node.is_int or node.is_uint or node.is_float):
        raise ValueError(f"illegal number syntax: {go_quote(text)}")
    return node
