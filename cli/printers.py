"""Print what `get` fetched: the server's Tables as kubectl lays them out, and every `-o` format.

kubectl has no client-side columns for built-in kinds: READY, STATUS, AGE and
the rest come from the server's Table (`as=Table` in the Accept header). tkctl
only picks the columns (priority 0, or all with `-o wide`), adds NAMESPACE
(with -A), one column per `-L` label and LABELS (with --show-labels), and
aligns them with Go's tabwriter: three spaces between columns, upper-case
headers, one table per kind, tables separated by a blank line.

The other formats print whole objects: json, yaml, name, and the template
printers go-template, jsonpath and custom-columns (chosen by `choose_output`,
which follows kubectl's order of trying them and its error messages). A
template sees what kubectl's sees: one object when one was named, else a
`kind: List`, with numbers decoded as Go decodes them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

from cli.custom_columns import Column, ColumnsError, columns_from_file, columns_from_spec, render_columns
from cli.encoding import go_yaml, indented_json
from cli.errors import CommandError
from cli.go_format import format_value, go_json, go_quote, go_syntax
from cli.gotemplate import ExecError, ParseError, Template, execute, parse_template
from cli.jsonpath import JSONPathError, JSONPathParseError, ListNode
from cli.jsonpath import execute as execute_jsonpath
from cli.jsonpath import parse as parse_jsonpath
from cli.resources import kind_label
from cli.tabwriter import align
from objects.kinds import ResourceType

TABLE_PADDING = 3
TABLE_MIN_WIDTH = 6
NONE = "<none>"


@dataclass
class TableOptions:
    wide: bool = False
    with_namespace: bool = False  # -A: a NAMESPACE column for namespaced kinds
    with_kind: bool = False  # several kinds: names read `pod/web`
    no_headers: bool = False
    show_labels: bool = False
    label_columns: tuple[str, ...] = ()  # -L: one column per label key, headed by its last path segment


def render_tables(tables: list[tuple[ResourceType, dict[str, Any]]], options: TableOptions) -> str:
    """All non-empty tables, in order, separated by blank lines."""
    rendered = [align(table_lines(resource, table, options), padding=TABLE_PADDING, min_width=TABLE_MIN_WIDTH)
                for resource, table in tables if table.get("rows")]
    return "\n".join(rendered)


def table_lines(resource: ResourceType, table: dict[str, Any], options: TableOptions, *,
                event: str | None = None) -> list[list[str]]:
    """The header (unless no_headers) and one line of cells per row; `event` adds kubectl's EVENT column."""
    columns = [(index, column) for index, column in enumerate(table.get("columnDefinitions") or [])
               if options.wide or not column.get("priority")]
    with_namespace = options.with_namespace and resource.namespaced
    lines: list[list[str]] = []
    if not options.no_headers:
        header = [column["name"].upper() for _, column in columns]
        lines.append((["EVENT"] if event else []) + (["NAMESPACE"] if with_namespace else []) + header
                     + [label.split("/")[-1].upper() for label in options.label_columns]
                     + (["LABELS"] if options.show_labels else []))
    for row in table.get("rows") or []:
        cells = row.get("cells") or []
        metadata = (row.get("object") or {}).get("metadata") or {}
        labels = metadata.get("labels") or {}
        line = [event_label(event)] if event else []
        line += [metadata.get("namespace", "")] if with_namespace else []
        for index, column in columns:
            text = _cell_text(cells[index] if index < len(cells) else None)
            if options.with_kind and column.get("format") == "name":
                text = f"{kind_label(resource)}/{text}"
            line.append(text)
        line.extend(labels.get(label, "") for label in options.label_columns)
        if options.show_labels:
            line.append(format_labels(labels))
        lines.append(line)
    return lines


def event_label(event: str) -> str:
    """kubectl pads the known watch event types to one width: `ADDED   `, `MODIFIED`, `DELETED `."""
    return event.ljust(8) if event in ("ADDED", "MODIFIED", "DELETED", "ERROR") else event


def _cell_text(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def format_labels(labels: dict[str, str] | None) -> str:
    """`a=1,b=2` sorted by key, or <none>."""
    if not labels:
        return NONE
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    """kubectl rewraps everything it got as one `kind: List`."""
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def render_objects(objects: list[dict[str, Any]], output: str, *, single: bool) -> str:
    """`-o json|yaml`: the object itself when one was named, else a List."""
    document = objects[0] if single and len(objects) == 1 else as_list(objects)
    return indented_json(document) if output == "json" else go_yaml(document)


def render_names(objects: list[tuple[ResourceType, dict[str, Any]]]) -> str:
    """`-o name`: one `pod/web` (`deployment.apps/web`) per line."""
    return "".join(f"{kind_label(resource)}/{obj['metadata']['name']}\n" for resource, obj in objects)


# ----- the template printers: go-template, jsonpath, custom-columns

TEMPLATE_FORMATS = ("go-template", "go-template-file", "template", "templatefile")
JSONPATH_FORMATS = ("jsonpath", "jsonpath-as-json", "jsonpath-file")
COLUMNS_FORMATS = ("custom-columns", "custom-columns-file")
OBJECT_FORMATS = ("json", "yaml", "name")
TABLE_FORMATS = ("", "wide")
ALLOWED_FORMATS = ",".join(sorted(TEMPLATE_FORMATS + JSONPATH_FORMATS + COLUMNS_FORMATS + OBJECT_FORMATS + ("wide",)))
NO_TEMPLATE = "template format specified but no template given"


class PrintFailure(CommandError):
    """A template that failed on the fetched objects; kubectl first prints `output` on stdout."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


class TemplatePrinter(Protocol):
    def render(self, document: dict[str, Any]) -> str:
        """The text for one object, or for the `kind: List` of several; pure, so safe to call again.

        Raises PrintFailure, carrying what kubectl would have written before the error.
        """


def _decoded(value: Any, *, integral_floats: bool) -> Any:
    """Numbers as kubectl's decoders leave them: int64 when integral and in range, float64 otherwise.

    With `integral_floats`, 1.0 is an int64 too: the go-template printer encodes the object to JSON and
    decodes it again before it runs the template.
    """
    if isinstance(value, dict):
        return {key: _decoded(item, integral_floats=integral_floats) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item, integral_floats=integral_floats) for item in value]
    in_range = isinstance(value, (int, float)) and -(2 ** 63) <= value < 2 ** 63
    if isinstance(value, float) and integral_floats and value.is_integer() and in_range:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and not in_range:
        return float(value)
    return value


@dataclass(frozen=True)
class GoTemplatePrinter:
    source: str
    template: Template
    allow_missing_keys: bool

    def render(self, document: dict[str, Any]) -> str:
        data = _decoded(document, integral_floats=True)
        try:
            return execute(self.template, data, allow_missing_keys=self.allow_missing_keys)
        except ExecError as error:
            # kubectl writes this to stdout too, after what the template had written
            debugging = (f"Error executing template: {error}. Printing more information for debugging the template:\n"
                         f"\ttemplate was:\n\t\t{self.source}\n"
                         f"\traw data was:\n\t\t{go_json(_decoded(document, integral_floats=False))}\n"
                         f"\tobject given to template engine was:\n\t\t{format_value(data)}\n\n")
            raise PrintFailure(f"error executing template {go_quote(self.source)}: {error}",
                               error.output + debugging) from None


@dataclass(frozen=True)
class JSONPathPrinter:
    source: str
    template: ListNode
    allow_missing_keys: bool
    as_json: bool  # -o jsonpath-as-json: each expression's results as one indented JSON array

    def render(self, document: dict[str, Any]) -> str:
        data = _decoded(document, integral_floats=False)
        try:
            return execute_jsonpath(self.template, data, allow_missing_keys=self.allow_missing_keys,
                                    as_json=self.as_json)
        except JSONPathError as error:
            raise PrintFailure(f"error executing jsonpath {go_quote(self.source)}: Error executing template: "
                               f"{error}. Printing more information for debugging the template:\n"
                               f"\ttemplate was:\n\t\t{self.source}\n"
                               f"\tobject given to jsonpath engine was:\n\t\t{go_syntax(data)}\n\n") from None


@dataclass(frozen=True)
class ColumnsPrinter:
    columns: list[Column]
    no_headers: bool

    def render(self, document: dict[str, Any]) -> str:
        data = _decoded(document, integral_floats=False)
        # kubectl's test for a list: an `items` array, whatever the kind says
        items = data["items"] if isinstance(data.get("items"), list) else [data]
        try:
            return render_columns(self.columns, items, no_headers=self.no_headers)
        except ColumnsError as error:
            raise PrintFailure(str(error), error.output) from None


def render_template(printer: TemplatePrinter, objects: list[dict[str, Any]], *, single: bool) -> str:
    """What a template printer writes: over the object itself when one was named, else over a List."""
    return printer.render(objects[0] if single and len(objects) == 1 else as_list(objects))


def choose_output(output: str | None, template: str | None, *, no_headers: bool,
                  allow_missing_keys: bool) -> str | TemplatePrinter:
    """`-o` and `--template` as kubectl reads them: "" or "wide" (tables), "json", "yaml", "name", or a printer.

    `--template` alone means go-template; with `-o jsonpath` or `-o custom-columns` it is their argument.
    The formats are tried in kubectl's order, so the same mistakes get the same errors.
    """
    requested = output or ("go-template" if template else "")
    columns = _split_format(requested, template, COLUMNS_FORMATS)
    if columns:
        return _columns_printer(*columns, no_headers=no_headers)
    if requested in TABLE_FORMATS + OBJECT_FORMATS:
        return requested
    go_template = _split_format(requested, template, TEMPLATE_FORMATS)
    if go_template:
        source = _template_text(*go_template, file_formats=("go-template-file", "templatefile"))
        try:
            return GoTemplatePrinter(source, parse_template(source), allow_missing_keys)
        except ParseError as error:
            raise CommandError(f"error parsing template {source}, {error}") from None
    jsonpath = _split_format(requested, template, JSONPATH_FORMATS)
    if jsonpath:
        source = _template_text(*jsonpath, file_formats=("jsonpath-file",))
        try:
            as_json = jsonpath[0] == "jsonpath-as-json"
            return JSONPathPrinter(source, parse_jsonpath(source), allow_missing_keys, as_json)
        except JSONPathParseError as error:
            raise CommandError(f"error parsing jsonpath {source}, {error}") from None
    raise CommandError(f'unable to match a printer suitable for the output format "{requested}", '
                       f"allowed formats are: {ALLOWED_FORMATS}")


def _split_format(requested: str, template: str | None, formats: tuple[str, ...]) -> tuple[str, str] | None:
    """(format, argument) when `requested` is one of `formats`, as `format=argument` or with --template."""
    name, argument = requested, template or ""
    if not template:
        for candidate in formats:
            if requested.startswith(candidate + "="):
                name, argument = candidate, requested[len(candidate) + 1:]
                break
    return (name, argument) if name in formats else None


def _read(path: str, what: str) -> str:
    """A template file, or kubectl's complaint in Go's words: `open /x: no such file or directory`."""
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except OSError as error:
        step = "read" if isinstance(error, IsADirectoryError) else "open"
        reason = os.strerror(error.errno).lower() if error.errno else str(error)
        raise CommandError(f"error reading {what} {path}, {step} {path}: {reason}") from None


def _template_text(name: str, argument: str, *, file_formats: tuple[str, ...]) -> str:
    if not argument:
        raise CommandError(NO_TEMPLATE)
    return _read(argument, "--template") if name in file_formats else argument


def _columns_printer(name: str, argument: str, *, no_headers: bool) -> ColumnsPrinter:
    try:
        if not argument:
            raise ColumnsError("custom-columns format specified but no custom columns given")
        if name == "custom-columns-file":
            # kubectl ignores --no-headers for a columns file
            return ColumnsPrinter(columns_from_file(_read(argument, "template")), no_headers=False)
        return ColumnsPrinter(columns_from_spec(argument), no_headers=no_headers)
    except ColumnsError as error:
        raise CommandError(str(error)) from None
