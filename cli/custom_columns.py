"""`-o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName`: a table whose columns are JSONPaths.

Each column is `HEADER:path`, the path in kubectl's relaxed form (`.a.b`,
`a.b`, `{.a.b}` all mean `{.a.b}`). A cell is every value the path finds,
printed with Go's `%v` and joined by commas, or `<none>` when it finds
nothing. Rows are aligned like every kubectl table (cli/tabwriter.py).

The `-file` variant reads a file of two lines: headers, then paths, each
separated by whitespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cli.go_format import format_value
from cli.jsonpath import JSONPathError, JSONPathParseError, find_results, parse
from cli.tabwriter import align

PADDING = 3
MIN_WIDTH = 6
NONE = "<none>"
_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")
_FILE_FORMAT = "Expected format is one line of space separated headers, one line of space separated column specs."


class ColumnsError(Exception):
    """A bad column spec, or a path that failed on an object; `output` is what kubectl printed before it."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class Column:
    header: str
    path: str  # always in the braced form, `{.metadata.name}`


def relaxed_path(expression: str) -> str:
    """kubectl's RelaxedJSONPathExpression: `.a.b`, `a.b` and `{a.b}` all become `{.a.b}`."""
    if not expression:
        return expression
    match = _RELAXED.match(expression)
    if match is None:
        raise ColumnsError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                           "'{name1.name2}' or '{.name1.name2}'")
    return "{." + (match.group(1) or match.group(2)) + "}"


def columns_from_spec(spec: str) -> list[Column]:
    """`NAME:.metadata.name,NODE:.spec.nodeName`; commas always split columns, as in kubectl."""
    if not spec:
        raise ColumnsError("custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, colon, path = part.partition(":")
        if not colon:
            raise ColumnsError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append(Column(header, relaxed_path(path)))
    return columns


def columns_from_file(text: str) -> list[Column]:
    lines = text.splitlines()
    if not lines:
        raise ColumnsError(f"invalid template, missing header line. {_FILE_FORMAT}")
    if len(lines) < 2:
        raise ColumnsError(f"invalid template, missing spec line. {_FILE_FORMAT}")
    headers, paths = lines[0].split(), lines[1].split()
    if len(headers) != len(paths):
        raise ColumnsError(f"number of headers ({len(headers)}) and field specifications ({len(paths)}) don't match")
    return [Column(header, relaxed_path(path)) for header, path in zip(headers, paths)]


def _cell(values: list[list[Any]]) -> str:
    if not values or not values[0]:
        return NONE
    return ",".join(format_value(value) for group in values for value in group)


def render_columns(columns: list[Column], objects: list[dict[str, Any]], *, no_headers: bool) -> str:
    """The table for `objects`; paths are parsed only now, after the header, which is when kubectl fails."""
    lines: list[list[str]] = [] if no_headers else [[column.header for column in columns]]
    try:
        templates = [parse(column.path) for column in columns]
        for obj in objects:
            lines.append([_cell(find_results(template, obj)) for template in templates])
    except (JSONPathParseError, JSONPathError) as error:
        raise ColumnsError(str(error), align(lines, padding=PADDING, min_width=MIN_WIDTH)) from None
    return align(lines, padding=PADDING, min_width=MIN_WIDTH)
