"""`get -w` / `--watch-only`: print what is there, then one entry per change, as kubectl does.

    list (or get the named object) ──> print it, unless --watch-only
        │ resourceVersion of the list ("0" for one object: its first event
        │ is a replay of what was just printed, and is skipped)
        ▼
    watch ──> print each event ──> ... until the server ends the stream (exit 0)
                                   or the user interrupts (exit 1, silently)

Tables keep one header, printed once, and remember column widths across
events like kubectl's tabwriter (columns only ever widen), so later rows are
aligned with earlier ones as long as they fit. Other formats print each
object on its own: json and yaml (yaml with `---` between objects), names,
templates. `--output-watch-events` adds the event type: an EVENT column, or a
`{"type": ..., "object": ...}` wrapper around the object.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import click

from apiclient.errors import status_error
from cli.errors import CommandError
from cli.encoding import go_yaml, indented_json
from cli.go_format import go_json
from cli.printers import (TABLE_MIN_WIDTH, TABLE_PADDING, ColumnsPrinter, TableOptions, TemplatePrinter,
                          table_lines)
from cli.resources import Target, kind_label, object_path
from cli.session import Session
from cli.sorting import SortError, sort_objects, sort_table
from cli.watch_stream import watch_events
from objects.kinds import ResourceType

ONE_KIND_ONLY = "you may only specify a single resource type"
ONE_TARGET_ONLY = "you may only watch a single resource or type of resource at a time"
SORT_IGNORED = "warning: --watch requested, --sort-by will be ignored for watch events received"


@dataclass(frozen=True)
class WatchRequest:
    target: Target
    namespace: str | None
    query: dict[str, str]  # labelSelector / fieldSelector
    watch_only: bool
    output_events: bool
    sort_by: str | None


def watch(session: Session, request: WatchRequest, printer: str | TemplatePrinter, options: TableOptions) -> None:
    """Print the current state, then every change, until the server ends the stream."""
    rt = request.target.resource
    name = request.target.names[0] if request.target.names else None
    as_table = printer in ("", "wide")
    out: TableWatch | ObjectWatch = TableWatch(rt, options) if as_table else ObjectWatch(rt, printer)
    if request.sort_by:
        click.echo(SORT_IGNORED, err=True)

    current, resource_version = _current(session, request, name, table=as_table)
    if not request.watch_only:
        added = "ADDED" if request.output_events else None
        click.echo(out.print_initial(current, added, request.sort_by), nl=False)

    params = {**request.query, "resourceVersion": resource_version}
    if name is not None:
        by_name = f"metadata.name={name}"
        params["fieldSelector"] = ",".join(filter(None, [params.get("fieldSelector"), by_name]))
    skip_replay = name is not None
    for event in watch_events(session.client(), rt.collection_path(request.namespace), params, table=as_table):
        if skip_replay:
            skip_replay = False
            continue
        if event.get("type") == "ERROR":
            status = event.get("object") or {}
            raise status_error(status.get("code") or 500, status)
        shown = event.get("type") if request.output_events else None
        click.echo(out.print_event(event.get("object") or {}, shown), nl=False)


def check_one_kind(targets: list[Target]) -> None:
    """Several names of one kind are refused later: kubectl first lists them, then complains."""
    if len(targets) != 1:
        raise CommandError(ONE_KIND_ONLY)


def _current(session: Session, request: WatchRequest, name: str | None, *,
             table: bool) -> tuple[dict[str, Any], str]:
    """What to print first, and the resourceVersion to watch from."""
    client = session.client()
    rt = request.target.resource
    if name is not None:
        return client.get_path(object_path(rt, request.namespace, name), table=table), "0"
    params = dict(request.query)
    if table and request.sort_by:
        params["includeObject"] = "Object"  # the rows need whole objects to sort by any field
    listed = client.get_path(rt.collection_path(request.namespace), params=params, table=table)
    return listed, (listed.get("metadata") or {}).get("resourceVersion", "0")


class TableWatch:
    """Tables in watch mode: one header until the columns change, widths that only grow."""

    def __init__(self, resource: ResourceType, options: TableOptions):
        self.resource = resource
        self.options = options
        self.last_columns: list[dict[str, Any]] = []
        self.printed_headers = False
        self.widths: list[int] = []

    def print_initial(self, table: dict[str, Any], event: str | None, sort_by: str | None) -> str:
        if sort_by:
            try:
                table = sort_table(table, sort_by)
            except SortError:
                return ""  # kubectl prints nothing when the rows cannot be sorted
        return self._print(table, event)

    def print_event(self, table: dict[str, Any], event: str | None) -> str:
        return self._print(table, event)

    def _print(self, table: dict[str, Any], event: str | None) -> str:
        columns = table.get("columnDefinitions") or []
        no_headers = self.options.no_headers or (self.printed_headers and columns in ([], self.last_columns))
        if not columns:
            table = {**table, "columnDefinitions": self.last_columns}
        elif columns != self.last_columns:
            self.last_columns = columns
            self.printed_headers = False
        if not table.get("rows"):
            return ""
        self.printed_headers = True
        options = dataclasses.replace(self.options, no_headers=no_headers)
        return self._align(table_lines(self.resource, table, options, event=event))

    def _align(self, lines: list[list[str]]) -> str:
        """Go's tabwriter with RememberWidths, for lines that all have the same cells."""
        cells = max(len(line) for line in lines) - 1
        for column in range(cells):
            width = max(TABLE_MIN_WIDTH, max(len(line[column]) + TABLE_PADDING for line in lines))
            if column < len(self.widths):
                self.widths[column] = max(self.widths[column], width)
            else:
                self.widths.append(width)
        return "".join("".join(cell.ljust(width) for cell, width in zip(line[:-1], self.widths)) + line[-1] + "\n"
                       for line in lines)


class ObjectWatch:
    """Every other format: each object printed on its own as it comes."""

    def __init__(self, resource: ResourceType, printer: str | TemplatePrinter):
        self.resource = resource
        self.printer = printer
        self.printed = 0

    def print_initial(self, current: dict[str, Any], event: str | None, sort_by: str | None) -> str:
        if "items" not in current:  # one named object
            return self.print_event(current, event)
        found = [(self.resource, item) for item in current.get("items") or []]
        if sort_by:
            found = sort_objects(found, sort_by)
        return "".join(self.print_event(obj, event) for _, obj in found)

    def print_event(self, obj: dict[str, Any], event: str | None) -> str:
        obj = {"apiVersion": self.resource.api_version, "kind": self.resource.kind, **obj}
        text = self._render(obj, event)
        self.printed += 1
        return text

    def _render(self, obj: dict[str, Any], event: str | None) -> str:
        if self.printer == "name":
            return f"{kind_label(self.resource)}/{obj['metadata']['name']}\n"
        document = {"type": event, "object": obj} if event else obj
        if self.printer == "json":
            if event:  # kubectl writes a watch event as one compact line
                return f'{{"type":{go_json(event)},"object":{go_json(obj)}}}\n'
            return indented_json(obj)
        if isinstance(self.printer, str):  # yaml: the only other format by name
            return ("---\n" if self.printed else "") + go_yaml(document)
        if isinstance(self.printer, ColumnsPrinter) and self.printed:
            return dataclasses.replace(self.printer, no_headers=True).render(document)
        return self.printer.render(document)
