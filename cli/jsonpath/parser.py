"""Parse a kubectl JSONPath template (k8s.io/client-go/util/jsonpath/parser.go), errors included.

Text outside braces is printed as is; each `{...}` becomes a list of steps:

    {.items[*].metadata.name}      Field(items) Array(*) Field(metadata) Field(name)
    {..image}                      Recursive Field(image)
    {.items[?(@.kind=="Pod")]}     Field(items) Filter(left, ==, right)
    {range .items[*]} ... {end}    Identifier(range) ... and later Identifier(end)
    {"\\n"}                         Text
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Union

_DICT_KEY = re.compile(r"^'([^']*)'$")
_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$", re.DOTALL)


class JSONPathParseError(Exception):
    """A template that does not parse; the message is kubectl's, e.g. `unclosed action`."""


@dataclass
class ListNode:
    nodes: list[Node] = field(default_factory=list)


@dataclass
class TextNode:
    text: str


@dataclass
class FieldNode:
    name: str


@dataclass
class IdentifierNode:
    name: str  # only `range` and `end` mean something


@dataclass
class SliceParam:
    value: int = 0
    known: bool = False
    derived: bool = False  # the end of `[i]`, which is i+1


@dataclass
class ArrayNode:
    params: tuple[SliceParam, SliceParam, SliceParam]


@dataclass
class FilterNode:
    left: ListNode
    right: ListNode
    operator: str  # ==, !=, <, >, <=, >= or "exists"


@dataclass
class IntNode:
    value: int


@dataclass
class FloatNode:
    value: float


@dataclass
class BoolNode:
    value: bool


@dataclass
class WildcardNode:
    pass


@dataclass
class RecursiveNode:
    pass


@dataclass
class UnionNode:
    branches: list[ListNode]


Node = Union[ListNode, TextNode, FieldNode, IdentifierNode, ArrayNode, FilterNode, IntNode, FloatNode, BoolNode,
             WildcardNode, RecursiveNode, UnionNode]


def _is_alphanumeric(char: str) -> bool:
    return char != "" and (char == "_" or char.isalpha() or unicodedata.category(char) == "Nd")


def _is_terminator(char: str) -> bool:
    return char == "" or char in " \t\r\n.,[]$@{}"


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    return f"{code} '{char}'" if char.isprintable() else code


def parse(text: str) -> ListNode:
    """The whole template: a list of TextNodes and one ListNode per `{...}`."""
    return _Parser(text).parse()


def _parse_action(text: str) -> ListNode:
    """The steps of one action's text, as kubectl re-parses filter sides and bracket contents."""
    return parse("{" + text + "}").nodes[0]  # type: ignore[return-value]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.start = 0
        self.root = ListNode()

    def consume(self) -> str:
        value = self.text[self.start:self.pos]
        self.start = self.pos
        return value

    def peek(self) -> str:
        return self.text[self.pos:self.pos + 1]

    def next(self) -> str:
        char = self.peek()
        self.pos += len(char)
        return char

    def parse(self) -> ListNode:
        while True:
            brace = self.text.find("{", self.pos)
            if brace < 0:
                self.pos = len(self.text)
                if self.pos > self.start:
                    self.root.nodes.append(TextNode(self.consume()))
                return self.root
            self.pos = brace
            if self.pos > self.start:
                self.root.nodes.append(TextNode(self.consume()))
            self.pos += 1
            self.consume()
            action = ListNode()
            self.root.nodes.append(action)
            self.parse_action(action)

    def parse_action(self, current: ListNode) -> None:
        """Steps up to and including the closing `}`."""
        while True:
            rest = self.text[self.pos:]
            if rest.startswith("}"):
                self.pos += 1
                self.consume()
                return
            if rest.startswith("[?("):
                self.parse_filter(current)
                continue
            if rest.startswith(".."):
                self.parse_recursive(current)
                continue
            char = self.next()
            if char == "" or char in "\r\n":
                raise JSONPathParseError("unclosed action")
            if char in " @$":  # @ and $ both mean the current object
                self.consume()
            elif char == "[":
                self.parse_array(current)
            elif char in "\"'":
                self.parse_quote(current, char)
            elif char == ".":
                self.parse_field(current)
            elif char in "+-" or unicodedata.category(char) == "Nd":
                self.pos -= len(char)
                self.parse_number(current)
            elif _is_alphanumeric(char):
                self.pos -= len(char)
                self.parse_identifier(current)
            else:
                raise JSONPathParseError(f"unrecognized character in action: {_describe(char)}")

    def parse_identifier(self, current: ListNode) -> None:
        while not _is_terminator(self.peek()):
            self.pos += 1
        value = self.consume()
        current.nodes.append(BoolNode(value == "true") if value in ("true", "false") else IdentifierNode(value))

    def parse_recursive(self, current: ListNode) -> None:
        if current.nodes and isinstance(current.nodes[-1], RecursiveNode):
            raise JSONPathParseError("invalid multiple recursive descent")
        self.pos += 2
        self.consume()
        current.nodes.append(RecursiveNode())
        if _is_alphanumeric(self.peek()):
            self.parse_field(current)

    def parse_number(self, current: ListNode) -> None:
        if self.peek() in ("+", "-"):
            self.pos += 1
        while self.peek() == "." or (self.peek() and unicodedata.category(self.peek()) == "Nd"):
            self.pos += 1
        value = self.consume()
        if re.fullmatch(r"[+-]?\d+", value):
            current.nodes.append(IntNode(int(value)))
            return
        try:
            current.nodes.append(FloatNode(float(value)))
        except ValueError:
            raise JSONPathParseError(f"cannot parse number {value}") from None

    def parse_array(self, current: ListNode) -> None:
        while True:
            char = self.next()
            if char in ("", "\n"):
                raise JSONPathParseError("unterminated array")
            if char == "]":
                break
        text = self.consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            current.nodes.append(UnionNode([_parse_action(f"[{part.strip(' ')}]") for part in parts]))
            return
        key = _DICT_KEY.match(text)
        if key:
            current.nodes.extend(_parse_action("." + key.group(1)).nodes)
            return
        current.nodes.append(ArrayNode(_slice_params(text)))

    def parse_filter(self, current: ListNode) -> None:
        self.pos += 3
        self.consume()
        opened = closed = False
        pair = ""
        while True:
            char = self.next()
            if char in ("", "\n"):
                raise JSONPathParseError("unterminated filter")
            if char in "\"'":
                if not opened:
                    opened, pair = True, char
                elif self.text[self.pos - 2] != "\\" and char == pair:
                    closed = True
            elif char == ")" and opened == closed:
                break
        if self.next() != "]":
            raise JSONPathParseError("unclosed array expect ]")
        text = self.consume()[:-2]
        comparison = _FILTER.match(text)
        if comparison is None:
            current.nodes.append(FilterNode(_parse_action(text), ListNode(), "exists"))
        else:
            left, operator, right = comparison.groups()
            current.nodes.append(FilterNode(_parse_action(left), _parse_action(right), operator))

    def parse_quote(self, current: ListNode, quote: str) -> None:
        while True:
            char = self.next()
            if char in ("", "\n"):
                raise JSONPathParseError("unterminated quoted string")
            if char == quote and self.text[self.pos - 2] != "\\":
                break
        literal = self.consume()
        try:
            current.nodes.append(TextNode(_unquote(literal)))
        except ValueError as error:
            raise JSONPathParseError(f"unquote string {literal} error {error}") from None

    def parse_field(self, current: ListNode) -> None:
        self.consume()  # the dot
        while True:
            char = self.next()
            if char == "\\":
                self.next()  # an escaped character, e.g. `\.`, belongs to the name
            elif _is_terminator(char):
                self.pos -= len(char)
                break
        value = self.consume()
        current.nodes.append(WildcardNode() if value == "*" else FieldNode(value.replace("\\", "")))


def _slice_params(text: str) -> tuple[SliceParam, SliceParam, SliceParam]:
    match = _SLICE.match(text)
    if match is None:
        raise JSONPathParseError(f"invalid array index {text}")
    params = (SliceParam(), SliceParam(), SliceParam())
    for i, part in enumerate(match.groups(default="")):
        if part:
            if i > 0:
                part = part[1:]
            if i > 0 and part == "":
                continue  # `[2:]`: an empty end is unknown
            try:
                params[i].value, params[i].known = int(part), True
            except ValueError:
                raise JSONPathParseError(f"array index {part} is not a number") from None
        elif i == 1:  # `[2]` is `[2:3]`
            params[1].value, params[1].known, params[1].derived = params[0].value + 1, True, True
    return params


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
                   "'": "'", '"': '"'}


def _unquote(literal: str) -> str:
    """kubectl's UnquoteExtend: strconv.Unquote that also takes 'single-quoted' strings."""
    if len(literal) < 2 or literal[0] != literal[-1] or literal[0] not in "\"'":
        raise ValueError("invalid syntax")
    quote, body = literal[0], literal[1:-1]
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == quote:
            raise ValueError("invalid syntax")
        if char != "\\":
            out.append(char)
            i += 1
            continue
        escape = body[i + 1:i + 2]
        if escape in _SIMPLE_ESCAPES and (escape not in "'\"" or escape == quote):
            out.append(_SIMPLE_ESCAPES[escape])
            i += 2
        elif escape in ("x", "u", "U"):
            size = {"x": 2, "u": 4, "U": 8}[escape]
            digits = body[i + 2:i + 2 + size]
            if len(digits) != size or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise ValueError("invalid syntax")
            out.append(chr(int(digits, 16)))
            i += 2 + size
        elif escape and escape in "01234567":
            digits = body[i + 1:i + 4]
            if len(digits) != 3 or not all(d in "01234567" for d in digits) or int(digits, 8) > 255:
                raise ValueError("invalid syntax")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ValueError("invalid syntax")
    return "".join(out)

