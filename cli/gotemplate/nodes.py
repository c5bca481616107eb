"""The parse tree of a template, with Go's node kinds and Go's way of printing them back.

Printing matters: an execution error names the node it failed at, as in
`executing "output" at <index .items 5>: ...`, so `str(node)` must give the
text Go's `Node.String()` gives.

    List ── Text | Action(Pipe) | If / Range / With(Pipe, List, else List)
                 | Template(name, Pipe) | Break | Continue
    Pipe ── [$x :=] Command ( | Command )*
    Command ── operand operand ...   (an operand: Field, Variable, Dot, Nil,
               Bool, Number, String, Identifier (a function), Chain, or a
               parenthesised Pipe)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from cli.go_format import go_quote


@dataclass
class TextNode:
    pos: int
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class FieldNode:
    """`.a.b`: a chain of map keys looked up from dot."""

    pos: int
    idents: list[str]

    def __str__(self) -> str:
        return "".join("." + ident for ident in self.idents)


@dataclass
class VariableNode:
    """`$x` or `$x.a.b`; `idents[0]` is the variable, with its `$`."""

    pos: int
    idents: list[str]

    def __str__(self) -> str:
        return ".".join(self.idents)


@dataclass
class DotNode:
    pos: int

    def __str__(self) -> str:
        return "."


@dataclass
class NilNode:
    pos: int

    def __str__(self) -> str:
        return "nil"


@dataclass
class BoolNode:
    pos: int
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass
class NumberNode:
    """A number constant; the flags say which Go types it can be, as in text/template/parse."""

    pos: int
    text: str
    is_int: bool = False
    is_float: bool = False
    is_uint: bool = False
    is_complex: bool = False
    int_value: int = 0
    float_value: float = 0.0
    complex_value: complex = 0j

    def __str__(self) -> str:
        return self.text


@dataclass
class StringNode:
    pos: int
    quoted: str  # as written, with its quotes
    text: str

    def __str__(self) -> str:
        return self.quoted


@dataclass
class IdentifierNode:
    """The name of a function."""

    pos: int
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass
class ChainNode:
    """`(pipeline).a.b`: fields looked up on something other than dot or a variable."""

    pos: int
    node: Node
    fields: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return head + "".join("." + name for name in self.fields)


@dataclass
class CommandNode:
    pos: int
    args: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return " ".join(f"({arg})" if isinstance(arg, PipeNode) else str(arg) for arg in self.args)


@dataclass
class PipeNode:
    pos: int
    line: int
    decl: list[VariableNode] = field(default_factory=list)
    is_assign: bool = False  # `$x = ...` rather than `$x := ...`
    cmds: list[CommandNode] = field(default_factory=list)

    def __str__(self) -> str:
        text = ""
        if self.decl:
            text = ", ".join(map(str, self.decl)) + (" = " if self.is_assign else " := ")
        return text + " | ".join(map(str, self.cmds))


@dataclass
class ActionNode:
    pos: int
    line: int
    pipe: PipeNode

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass
class ListNode:
    pos: int
    nodes: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(map(str, self.nodes))


@dataclass
class BranchNode:
    """`if`, `range` and `with` share one shape: a pipeline, a body and an optional else body."""

    keyword: str
    pos: int
    line: int
    pipe: PipeNode
    body: ListNode
    else_body: ListNode | None

    def __str__(self) -> str:
        text = "{{" + f"{self.keyword} {self.pipe}" + "}}" + str(self.body)
        if self.else_body is not None:
            text += "{{else}}" + str(self.else_body)
        return text + "{{end}}"


@dataclass
class TemplateNode:
    """`{{template "name" pipeline}}`: run a `define`d template."""

    pos: int
    line: int
    name: str
    pipe: PipeNode | None

    def __str__(self) -> str:
        pipe = f" {self.pipe}" if self.pipe is not None else ""
        return "{{template " + go_quote(self.name) + pipe + "}}"


@dataclass
class BreakNode:
    pos: int
    line: int

    def __str__(self) -> str:
        return "{{break}}"


@dataclass
class ContinueNode:
    pos: int
    line: int

    def __str__(self) -> str:
        return "{{continue}}"


@dataclass
class EndNode:
    """`{{end}}`: only ever seen by the parser, which uses it to close a list."""

    pos: int

    def __str__(self) -> str:
        return "{{end}}"


@dataclass
class ElseNode:
    pos: int
    line: int

    def __str__(self) -> str:
        return "{{else}}"


Node = Union[TextNode, FieldNode, VariableNode, DotNode, NilNode, BoolNode, NumberNode, StringNode,
             IdentifierNode, ChainNode, CommandNode, PipeNode, ActionNode, ListNode, BranchNode, TemplateNode,
             BreakNode, ContinueNode, EndNode, ElseNode]
