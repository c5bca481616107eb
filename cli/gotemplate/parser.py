"""Build the parse tree of a template: a port of Go's text/template/parse, errors included.

The parser reads tokens with up to three tokens of look-ahead (needed to tell
`$x := ...` from `$x arg`), checks that every function exists and every
variable is declared, and reports the first problem the way Go does:
`template: output:1: unexpected "," in operand`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cli.go_format import go_quote
from cli.gotemplate.lexer import Kind, Token, tokenize
from cli.gotemplate.literals import number_node, unquote
from cli.gotemplate.nodes import (ActionNode, BoolNode, BranchNode, BreakNode, ChainNode, CommandNode,
                                  ContinueNode, DotNode, ElseNode, EndNode, FieldNode, IdentifierNode, ListNode,
                                  NilNode, Node, NumberNode, PipeNode, StringNode, TemplateNode, TextNode,
                                  VariableNode)

OPERAND_STARTS = {Kind.BOOL, Kind.CHAR_CONSTANT, Kind.COMPLEX, Kind.DOT, Kind.FIELD, Kind.IDENTIFIER, Kind.NUMBER,
                  Kind.NIL, Kind.RAW_STRING, Kind.STRING, Kind.VARIABLE, Kind.LEFT_PAREN}


class ParseError(Exception):
    """A template that does not parse; the message is Go's, e.g. `template: output:1: unexpected EOF`."""


@dataclass
class Template:
    """A parsed template: the main tree and any `{{define}}`d ones, by name."""

    name: str
    text: str
    trees: dict[str, ListNode] = field(default_factory=dict)

    @property
    def root(self) -> ListNode:
        return self.trees[self.name]


def parse(text: str, *, name: str, functions: set[str]) -> Template:
    """Parse `text`; `functions` are the names a template may call."""
    template = Template(name, text)
    _Parser(template, functions).parse()
    return template


class _Parser:
    def __init__(self, template: Template, functions: set[str]):
        self.template = template
        self.functions = functions
        self.tokens = iter(tokenize(template.text))
        self.last: Token | None = None
        self.lookahead: list[Token] = [None, None, None]  # type: ignore[list-item]
        self.peek_count = 0
        self.variables = ["$"]
        self.action_line = 0
        self.range_depth = 0

    # ----- tokens

    def _lex(self) -> Token:
        self.last = next(self.tokens, self.last)  # past the end, the final EOF or ERROR repeats
        return self.last

    def next(self) -> Token:
        if self.peek_count > 0:
            self.peek_count -= 1
        else:
            self.lookahead[0] = self._lex()
        return self.lookahead[self.peek_count]

    def backup(self) -> None:
        self.peek_count += 1

    def backup2(self, t1: Token) -> None:
        self.lookahead[1] = t1
        self.peek_count = 2

    def backup3(self, t2: Token, t1: Token) -> None:
        self.lookahead[1] = t1
        self.lookahead[2] = t2
        self.peek_count = 3

    def peek(self) -> Token:
        if self.peek_count > 0:
            return self.lookahead[self.peek_count - 1]
        self.peek_count = 1
        self.lookahead[0] = self._lex()
        return self.lookahead[0]

    def next_non_space(self) -> Token:
        token = self.next()
        while token.kind is Kind.SPACE:
            token = self.next()
        return token

    def peek_non_space(self) -> Token:
        token = self.next_non_space()
        self.backup()
        return token

    # ----- errors

    def error(self, message: str) -> None:
        # Go reports the line of the last token read, wherever the parser had got to
        raise ParseError(f"template: {self.template.name}:{self.last.line if self.last else 1}: {message}")

    def expect(self, kind: Kind, context: str) -> Token:
        token = self.next_non_space()
        if token.kind is not kind:
            self.unexpected(token, context)
        return token

    def unexpected(self, token: Token, context: str) -> None:
        if token.kind is Kind.ERROR:
            extra = ""
            if self.action_line and self.action_line != token.line:
                extra = f" in action started at {self.template.name}:{self.action_line}"
                if token.value.endswith(" action"):
                    extra = extra[len(" in action"):]  # not "unclosed action in action"
            self.error(f"{token}{extra}")
        self.error(f"unexpected {token} in {context}")

    # ----- structure

    def parse(self) -> None:
        root = ListNode(self.peek().pos)
        while self.peek().kind is not Kind.EOF:
            if self.peek().kind is Kind.LEFT_DELIM:
                delim = self.next()
                if self.next_non_space().kind is Kind.DEFINE:
                    self.parse_definition()
                    continue
                self.backup2(delim)
            node = self.text_or_action()
            if isinstance(node, (EndNode, ElseNode)):
                self.error(f"unexpected {node}")
            root.nodes.append(node)
        self.add(self.template.name, root)

    def add(self, name: str, root: ListNode) -> None:
        existing = self.template.trees.get(name)
        if existing is not None and not _is_empty(existing) and not _is_empty(root):
            self.error(f"template: multiple definition of template {go_quote(name)}")
        if existing is None or _is_empty(existing):
            self.template.trees[name] = root

    def parse_definition(self) -> None:
        context = "define clause"
        token = self.next_non_space()
        if token.kind not in (Kind.STRING, Kind.RAW_STRING):
            self.unexpected(token, context)
        name = self.unquote(token.value)
        self.expect(Kind.RIGHT_DELIM, context)
        self.named_body(name, context)

    def named_body(self, name: str, context: str) -> None:
        """The body of `define` or `block` up to its `{{end}}`, added as template `name`; it sees
        only `$` (its own dot), as in Go, whatever variables surround it."""
        outer = self.variables, self.range_depth
        self.variables, self.range_depth = ["$"], 0
        root, end = self.item_list()
        if not isinstance(end, EndNode):
            self.error(f"unexpected {end} in {context}")
        self.add(name, root)
        self.variables, self.range_depth = outer

    def item_list(self) -> tuple[ListNode, Node]:
        """Nodes up to the `{{end}}` or `{{else}}` that closes them, returned apart."""
        nodes = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().kind is not Kind.EOF:
            node = self.text_or_action()
            if isinstance(node, (EndNode, ElseNode)):
                return nodes, node
            nodes.nodes.append(node)
        self.error("unexpected EOF")
        raise AssertionError("unreachable")

    def text_or_action(self) -> Node:
        token = self.next_non_space()
        if token.kind is Kind.TEXT:
            return TextNode(token.pos, token.value)
        if token.kind is Kind.LEFT_DELIM:
            self.action_line = token.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        self.unexpected(token, "input")
        raise AssertionError("unreachable")

    def action(self) -> Node:
        token = self.next_non_space()
        kind = token.kind
        if kind is Kind.BLOCK:
            return self.block_control()
        if kind in (Kind.BREAK, Kind.CONTINUE):
            return self.loop_control(token)
        if kind is Kind.ELSE:
            return self.else_control()
        if kind is Kind.END:
            return EndNode(self.expect(Kind.RIGHT_DELIM, "end").pos)
        if kind in (Kind.IF, Kind.RANGE, Kind.WITH):
            return self.branch_control(token.value)
        if kind is Kind.TEMPLATE:
            return self.template_control()
        self.backup()
        token = self.peek()
        # variables declared here live until the enclosing {{end}}
        return ActionNode(token.pos, token.line, self.pipeline("command", Kind.RIGHT_DELIM))

    def loop_control(self, keyword: Token) -> Node:
        word = "{{" + keyword.value + "}}"
        token = self.next_non_space()
        if token.kind is not Kind.RIGHT_DELIM:
            self.unexpected(token, word)
        if self.range_depth == 0:
            self.error(f"{word} outside {{{{range}}}}")
        node_type = BreakNode if keyword.kind is Kind.BREAK else ContinueNode
        return node_type(keyword.pos, keyword.line)

    def branch_control(self, keyword: str) -> BranchNode:
        mark = len(self.variables)
        pipe = self.pipeline(keyword, Kind.RIGHT_DELIM)
        if keyword == "range":
            self.range_depth += 1
        body, end = self.item_list()
        if keyword == "range":
            self.range_depth -= 1
        else_body = None
        if isinstance(end, ElseNode):
            # {{else if x}} and {{else with x}} read as {{else}}{{if x}}...{{end}}{{end}}
            follows = self.peek().kind
            if keyword in ("if", "with") and follows is (Kind.IF if keyword == "if" else Kind.WITH):
                self.next()
                else_body = ListNode(end.pos, [self.branch_control(keyword)])
            else:
                else_body, end = self.item_list()
                if not isinstance(end, EndNode):
                    self.error(f"expected end; found {end}")
        del self.variables[mark:]
        return BranchNode(keyword, pipe.pos, pipe.line, pipe, body, else_body)

    def else_control(self) -> ElseNode:
        peek = self.peek_non_space()
        if peek.kind in (Kind.IF, Kind.WITH):
            return ElseNode(peek.pos, peek.line)
        token = self.expect(Kind.RIGHT_DELIM, "else")
        return ElseNode(token.pos, token.line)

    def template_control(self) -> TemplateNode:
        context = "template clause"
        token = self.next_non_space()
        name = self.template_name(token, context)
        pipe = None
        if self.next_non_space().kind is not Kind.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, Kind.RIGHT_DELIM)
        return TemplateNode(token.pos, token.line, name, pipe)

    def block_control(self) -> TemplateNode:
        context = "block clause"
        token = self.next_non_space()
        name = self.template_name(token, context)
        pipe = self.pipeline(context, Kind.RIGHT_DELIM)
        self.named_body(name, context)
        return TemplateNode(token.pos, token.line, name, pipe)

    def template_name(self, token: Token, context: str) -> str:
        if token.kind not in (Kind.STRING, Kind.RAW_STRING):
            self.unexpected(token, context)
        return self.unquote(token.value)

    # ----- pipelines

    def pipeline(self, context: str, end: Kind) -> PipeNode:
        token = self.peek_non_space()
        pipe = PipeNode(token.pos, token.line)
        self.declarations(pipe, context)
        while True:
            token = self.next_non_space()
            if token.kind is end:
                self.check_pipeline(pipe, context)
                return pipe
            if token.kind in OPERAND_STARTS:
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(token, context)

    def declarations(self, pipe: PipeNode, context: str) -> None:
        """`$x :=`, `$x =` or, in a range, `$i, $e :=`; anything else is pushed back."""
        while True:
            variable = self.peek_non_space()
            if variable.kind is not Kind.VARIABLE:
                return
            self.next()
            # "$x foo" needs the token after the variable to tell an argument from a declaration
            after_variable = self.peek()
            following = self.peek_non_space()
            if following.kind in (Kind.ASSIGN, Kind.DECLARE):
                pipe.is_assign = following.kind is Kind.ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(variable.pos, variable.value.split(".")))
                self.variables.append(variable.value)
                return
            if following.kind is Kind.CHAR and following.value == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(variable.pos, variable.value.split(".")))
                self.variables.append(variable.value)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().kind in (Kind.VARIABLE, Kind.RIGHT_DELIM, Kind.RIGHT_PAREN):
                        continue  # the second variable of `range $i, $e :=`
                    self.error("range can only initialize variables")
                self.error(f"too many declarations in {context}")
            if after_variable.kind is Kind.SPACE:
                self.backup3(variable, after_variable)
            else:
                self.backup2(variable)
            return

    def check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            self.error(f"missing value for {context}")
        for stage, command in enumerate(pipe.cmds[1:], start=2):
            if isinstance(command.args[0], (BoolNode, DotNode, NilNode, NumberNode, StringNode)):
                self.error(f"non executable command in pipeline stage {stage}")

    def command(self) -> CommandNode:
        command = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                command.args.append(operand)
            token = self.next()
            if token.kind is Kind.SPACE:
                continue
            if token.kind in (Kind.RIGHT_DELIM, Kind.RIGHT_PAREN):
                self.backup()
            elif token.kind is not Kind.PIPE:
                self.unexpected(token, "operand")
            break
        if not command.args:
            self.error("empty command")
        return command

    def operand(self) -> Node | None:
        node = self.term()
        if node is None or self.peek().kind is not Kind.FIELD:
            return node
        chain = ChainNode(self.peek().pos, node)
        while self.peek().kind is Kind.FIELD:
            chain.fields.append(self.next().value[1:])
        # fields after a field or variable just lengthen it; after a literal they make no sense
        if isinstance(node, FieldNode):
            return FieldNode(chain.pos, node.idents + chain.fields)
        if isinstance(node, VariableNode):
            return VariableNode(chain.pos, node.idents + chain.fields)
        if isinstance(node, (BoolNode, StringNode, NumberNode, NilNode, DotNode)):
            self.error(f"unexpected . after term {go_quote(str(node))}")
        return chain

    def term(self) -> Node | None:
        token = self.next_non_space()
        kind = token.kind
        if kind is Kind.IDENTIFIER:
            if token.value not in self.functions:
                self.error(f"function {go_quote(token.value)} not defined")
            return IdentifierNode(token.pos, token.value)
        if kind is Kind.DOT:
            return DotNode(token.pos)
        if kind is Kind.NIL:
            return NilNode(token.pos)
        if kind is Kind.VARIABLE:
            return self.use_variable(token)
        if kind is Kind.FIELD:
            return FieldNode(token.pos, token.value[1:].split("."))
        if kind is Kind.BOOL:
            return BoolNode(token.pos, token.value == "true")
        if kind in (Kind.CHAR_CONSTANT, Kind.COMPLEX, Kind.NUMBER):
            try:
                return number_node(token)
            except ValueError as error:
                self.error(str(error))
        if kind is Kind.LEFT_PAREN:
            return self.pipeline("parenthesized pipeline", Kind.RIGHT_PAREN)
        if kind in (Kind.STRING, Kind.RAW_STRING):
            return StringNode(token.pos, token.value, self.unquote(token.value))
        self.backup()
        return None

    def use_variable(self, token: Token) -> VariableNode:
        node = VariableNode(token.pos, token.value.split("."))
        if node.idents[0] not in self.variables:
            self.error(f"undefined variable {go_quote(node.idents[0])}")
        return node

    def unquote(self, literal: str) -> str:
        try:
            return unquote(literal)
        except ValueError as error:
            self.error(str(error))
            raise AssertionError("unreachable") from error


def _is_empty(root: ListNode) -> bool:
    return all(isinstance(node, TextNode) and not node.text.strip() for node in root.nodes)
