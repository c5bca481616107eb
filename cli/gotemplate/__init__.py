"""Go's text/template, the engine behind `kubectl get -o go-template=...`.

kubectl parses the template under the name "output", with Go's builtin
functions plus its own `exists` and `base64decode`, and runs it over the
object (or `kind: List`) decoded from JSON. This package does the same, in
three stages that mirror Go's own files:

    text ──lexer──> tokens ──parser──> tree (nodes) ──execute──> output
                                                       └─ functions, values

Errors keep Go's wording, because users paste them into searches:
ParseError (`template: output:1: unexpected "," in operand`) and ExecError
(`template: output:1:2: executing "output" at <...>: ...`).
"""

from __future__ import annotations

from cli.gotemplate.execute import ExecError, execute
from cli.gotemplate.functions import builtins
from cli.gotemplate.parser import ParseError, Template, parse

TEMPLATE_NAME = "output"  # kubectl's name for the template; it appears in every error


def parse_template(text: str) -> Template:
    """Parse a template as kubectl does; raises ParseError."""
    return parse(text, name=TEMPLATE_NAME, functions=set(builtins()))


__all__ = ["ExecError", "ParseError", "Template", "execute", "parse_template"]
