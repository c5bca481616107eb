"""Run a parsed template over JSON-decoded data, following Go's text/template/exec.go step by step.

Text is copied out; an action's pipeline is evaluated command by command,
each command's result piped into the next as its last argument, and the
final value printed with Go's `%v`. `if`, `with` and `range` open a scope
whose variables vanish at their `{{end}}`.

An error stops execution at once and names the node being evaluated:
`template: output:1:2: executing "output" at <index .items 5>: error calling
index: index out of range: 5`. What was written before it stays in
ExecError.output, since kubectl prints it too.
"""

from __future__ import annotations

from typing import Any

from cli.go_format import GoInt, format_value, go_quote, type_name
from cli.gotemplate.functions import Function, FunctionError, builtins
from cli.gotemplate.lexer import line_of
from cli.gotemplate.nodes import (ActionNode, BoolNode, BranchNode, BreakNode, ChainNode, CommandNode,
                                  ContinueNode, DotNode, FieldNode, IdentifierNode, ListNode, NilNode, Node,
                                  NumberNode, PipeNode, StringNode, TemplateNode, TextNode, VariableNode)
from cli.gotemplate.parser import Template
from cli.gotemplate.values import MISSING, NO_VALUE, Iface, to_interface, truth, unbox

MAX_TEMPLATE_DEPTH = 100000


class ExecError(Exception):
    """A template that failed while running; `output` is what it had written until then."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def execute(template: Template, data: Any, *, allow_missing_keys: bool = True) -> str:
    """The text `template` writes for `data`; with allow_missing_keys=False a missing map key is an error."""
    state = _State(template, missing_key_is_error=not allow_missing_keys)
    state.variables = [["$", data]]
    try:
        state.walk(data, template.root)
    except ExecError as error:
        error.output = "".join(state.out)
        raise
    except RecursionError:
        raise ExecError(f"template: {template.name}: exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})",
                        "".join(state.out)) from None
    return "".join(state.out)


class _State:
    def __init__(self, template: Template, *, missing_key_is_error: bool):
        self.template = template
        self.missing_key_is_error = missing_key_is_error
        self.functions: dict[str, Function] = builtins()
        self.out: list[str] = []
        self.variables: list[list[Any]] = []  # [name, value], innermost last
        self.node: Node | None = None  # where we are, for error messages

    # ----- errors and variables

    def at(self, node: Node) -> None:
        self.node = node

    def error(self, message: str) -> None:
        name = self.template.name
        if self.node is None:
            raise ExecError(f"template: {name}: {message}")
        line, column = line_of(self.template.text, self.node.pos)
        raise ExecError(f"template: {name}:{line}:{column}: executing {go_quote(name)} at <{self.node}>: {message}")

    def variable(self, name: str) -> Any:
        for entry in reversed(self.variables):
            if entry[0] == name:
                return entry[1]
        self.error(f"undefined variable: {name}")

    def set_variable(self, name: str, value: Any) -> None:
        for entry in reversed(self.variables):
            if entry[0] == name:
                entry[1] = value
                return
        self.error(f"undefined variable: {name}")

    # ----- walking the tree

    def walk(self, dot: Any, node: Node) -> None:
        self.at(node)
        if isinstance(node, TextNode):
            self.out.append(node.text)
        elif isinstance(node, ActionNode):
            value = self.pipeline(dot, node.pipe)
            if not node.pipe.decl:  # {{$x := 1}} prints nothing
                self.at(node)
                self.out.append("<no value>" if value is NO_VALUE else format_value(value))
        elif isinstance(node, ListNode):
            for child in node.nodes:
                self.walk(dot, child)
        elif isinstance(node, BranchNode):
            if node.keyword == "range":
                self.walk_range(dot, node)
            else:
                self.walk_if_or_with(dot, node)
        elif isinstance(node, TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        else:
            self.error(f"unknown node: {node}")

    def walk_if_or_with(self, dot: Any, node: BranchNode) -> None:
        mark = len(self.variables)
        try:
            value = self.pipeline(dot, node.pipe)
            if truth(value):
                self.walk(value if node.keyword == "with" else dot, node.body)
            elif node.else_body is not None:
                self.walk(dot, node.else_body)
        finally:
            del self.variables[mark:]

    def walk_range(self, dot: Any, node: BranchNode) -> None:
        self.at(node)
        outer_mark = len(self.variables)
        try:
            collection = self.pipeline(dot, node.pipe)
            mark = len(self.variables)  # the range's own $i, $e sit just below
            if isinstance(collection, list) and collection:
                pairs = [(GoInt(i), Iface(item)) for i, item in enumerate(collection)]
            elif isinstance(collection, dict) and collection:
                pairs = [(key, Iface(collection[key])) for key in sorted(collection)]  # Go sorts map keys
            elif collection is NO_VALUE or isinstance(collection, (list, dict)):
                pairs = []
            else:
                self.error(f"range can't iterate over {format_value(collection)}")
            try:
                for key, element in pairs:
                    self.range_iteration(node, key, element, mark)
            except _Break:
                return
            if not pairs and node.else_body is not None:
                self.walk(dot, node.else_body)
        finally:
            del self.variables[outer_mark:]

    def range_iteration(self, node: BranchNode, key: Any, element: Any, mark: int) -> None:
        decl = node.pipe.decl
        if decl:
            if node.pipe.is_assign:
                self.set_variable(decl[0].idents[0], key if len(decl) > 1 else element)
            else:
                self.variables[-1][1] = element
        if len(decl) > 1:
            if node.pipe.is_assign:
                self.set_variable(decl[1].idents[0], element)
            else:
                self.variables[-2][1] = key
        try:
            self.walk(element, node.body)
        except _Continue:
            pass
        finally:
            del self.variables[mark:]

    def walk_template(self, dot: Any, node: TemplateNode) -> None:
        self.at(node)
        tree = self.template.trees.get(node.name)
        if tree is None:
            self.error(f"template {go_quote(node.name)} not defined")
        dot = self.pipeline(dot, node.pipe)
        outer = self.variables
        self.variables = [["$", dot]]  # no dynamic scoping: a template sees only its own $
        try:
            self.walk(dot, tree)
        finally:
            self.variables = outer

    # ----- evaluating pipelines

    def pipeline(self, dot: Any, pipe: PipeNode | None) -> Any:
        if pipe is None:
            return NO_VALUE
        self.at(pipe)
        value = MISSING
        for command in pipe.cmds:
            # each result is taken out of its interface{}; a nil one becomes no value
            value = unbox(self.command(dot, command, value))
        for variable in pipe.decl:
            if pipe.is_assign:
                self.set_variable(variable.idents[0], value)
            else:
                self.variables.append([variable.idents[0], value])
        return value

    def not_a_function(self, args: list[Node] | None, final: Any) -> None:
        if (args is not None and len(args) > 1) or final is not MISSING:
            self.error(f"can't give argument to non-function {args[0] if args else ''}")

    def command(self, dot: Any, command: CommandNode, final: Any) -> Any:
        first = command.args[0]
        if isinstance(first, FieldNode):
            return self.field_node(dot, first, command.args, final)
        if isinstance(first, ChainNode):
            return self.chain_node(dot, first, command.args, final)
        if isinstance(first, IdentifierNode):
            return self.function(dot, first, command, command.args, final)
        if isinstance(first, PipeNode):
            self.not_a_function(command.args, final)
            return self.pipeline(dot, first)
        if isinstance(first, VariableNode):
            return self.variable_node(dot, first, command.args, final)
        self.at(first)
        self.not_a_function(command.args, final)
        if isinstance(first, BoolNode):
            return first.value
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            self.error("nil is not a command")
        if isinstance(first, NumberNode):
            return self.constant(first)
        if isinstance(first, StringNode):
            return first.text
        self.error(f"can't evaluate command {go_quote(str(first))}")

    def constant(self, number: NumberNode) -> Any:
        """A number with no type to fit: its spelling decides, as Go's idealConstant does."""
        self.at(number)
        text = number.text
        if number.is_complex:
            return number.complex_value
        is_hex_int = len(text) > 2 and text[0] == "0" and text[1] in "xX" and not any(c in text for c in "pP")
        if number.is_float and not is_hex_int and text[0] != "'" and any(c in text for c in ".eEpP"):
            return number.float_value
        if number.is_int:
            return GoInt(number.int_value)
        if number.is_uint:
            self.error(f"{text} overflows int")
        return NO_VALUE

    def field_node(self, dot: Any, field: FieldNode, args: list[Node] | None, final: Any) -> Any:
        self.at(field)
        return self.field_chain(dot, dot, field, field.idents, args, final)

    def chain_node(self, dot: Any, chain: ChainNode, args: list[Node] | None, final: Any) -> Any:
        self.at(chain)
        if isinstance(chain.node, NilNode):
            self.error(f"indirection through explicit nil in {chain}")
        receiver = self.argument(dot, None, chain.node)
        return self.field_chain(dot, receiver, chain, chain.fields, args, final)

    def variable_node(self, dot: Any, variable: VariableNode, args: list[Node] | None, final: Any) -> Any:
        self.at(variable)
        value = self.variable(variable.idents[0])
        if len(variable.idents) == 1:
            self.not_a_function(args, final)
            return value
        return self.field_chain(dot, value, variable, variable.idents[1:], args, final)

    def field_chain(self, dot: Any, receiver: Any, node: Node, idents: list[str], args: list[Node] | None,
                    final: Any) -> Any:
        for ident in idents[:-1]:
            receiver = self.field(ident, None, MISSING, receiver)
        return self.field(idents[-1], args, final, receiver)

    def field(self, name: str, args: list[Node] | None, final: Any, receiver: Any) -> Any:
        """`.name` on `receiver`: a map lookup; a missing key is no value (or an error if asked)."""
        if receiver is NO_VALUE:
            if self.missing_key_is_error:
                self.error(f"nil data; no entry for key {go_quote(name)}")
            return NO_VALUE
        boxed = isinstance(receiver, Iface)
        inner = receiver.value if boxed else receiver
        if boxed and inner is None:
            self.error(f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(inner, dict):
            if (args is not None and len(args) > 1) or final is not MISSING:
                self.error(f"{name} is not a method but has arguments")
            if name in inner:
                return Iface(inner[name])
            if self.missing_key_is_error:
                self.error(f"map has no entry for key {go_quote(name)}")
            return NO_VALUE
        self.error(f"can't evaluate field {name} in type {'interface {}' if boxed else type_name(inner)}")

    # ----- functions and their arguments

    def function(self, dot: Any, name: IdentifierNode, node: Node, args: list[Node] | None, final: Any) -> Any:
        self.at(name)
        return self.call(dot, self.functions[name.name], node, name.name, args, final)

    def call(self, dot: Any, function: Function, node: Node, name: str, args: list[Node] | None,
             final: Any) -> Any:
        args = args[1:] if args is not None else []
        count = len(args) + (final is not MISSING)
        fixed = len(function.params)
        if function.variadic is not None:
            if count < fixed:
                self.error(f"wrong number of args for {name}: want at least {fixed} got {len(args)}")
        elif count != fixed:
            self.error(f"wrong number of args for {name}: want {fixed} got {count}")
        if name in ("and", "or"):
            return self.and_or(dot, name, args, final)
        values = [self.argument(dot, function.params[i] if i < fixed else function.variadic, arg)
                  for i, arg in enumerate(args)]
        if final is not MISSING:
            last = count - 1
            values.append(self.validate(final, function.params[last] if last < fixed else function.variadic))
        try:
            if name == "call":
                return self.call_builtin(str(args[0]) if args else str(final), values[0])
            return function.call(*values)
        except FunctionError as error:
            self.at(node)
            self.error(f"error calling {name}: {error}")

    def and_or(self, dot: Any, name: str, args: list[Node], final: Any) -> Any:
        """`and` stops at the first false argument, `or` at the first true one; both return it."""
        value = NO_VALUE
        for arg in args:
            value = self.argument(dot, "value", arg)
            if truth(value) == (name == "or"):
                return value
        if final is not MISSING:
            value = self.validate(final, "value")
        return value

    @staticmethod
    def call_builtin(callee: str, function: Any) -> Any:
        """JSON data holds no functions, so `call` can only fail, with Go's words."""
        function = unbox(function)
        if function is NO_VALUE:
            raise FunctionError("call of nil")
        raise FunctionError(f"non-function {callee} of type {type_name(function)}")

    def argument(self, dot: Any, kind: str | None, node: Node) -> Any:
        """Evaluate one argument for a parameter of `kind` ("value", "any", "string", or None)."""
        self.at(node)
        if isinstance(node, DotNode):
            return self.validate(dot, kind)
        if isinstance(node, NilNode):
            if kind == "string":
                self.error("cannot assign nil to string")
            return None if kind == "any" else NO_VALUE
        if isinstance(node, FieldNode):
            return self.validate(self.field_node(dot, node, [node], MISSING), kind)
        if isinstance(node, VariableNode):
            return self.validate(self.variable_node(dot, node, None, MISSING), kind)
        if isinstance(node, PipeNode):
            return self.validate(self.pipeline(dot, node), kind)
        if isinstance(node, IdentifierNode):
            return self.validate(self.function(dot, node, node, None, MISSING), kind)
        if isinstance(node, ChainNode):
            return self.validate(self.chain_node(dot, node, None, MISSING), kind)
        if kind == "string":
            if isinstance(node, StringNode):
                return node.text
            self.error(f"expected string; found {node}")
        if isinstance(node, BoolNode):
            return node.value
        if isinstance(node, NumberNode):
            return self.constant(node)
        if isinstance(node, StringNode):
            return node.text
        self.error(f"can't handle {node} for arg of type {kind}")

    def validate(self, value: Any, kind: str | None) -> Any:
        """The value as a parameter of `kind` receives it, or Go's complaint that it does not fit."""
        if kind == "any":
            return to_interface(value)
        if kind != "string":
            return value
        if value is NO_VALUE:
            self.error("invalid value; expected string")
        inner = unbox(value)
        if isinstance(inner, str):
            return inner
        got = "interface {}" if inner is NO_VALUE else type_name(inner)
        self.error(f"wrong type for value; expected string; got {got}")
