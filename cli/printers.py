"""Print what `get` fetched: the server's Tables as kubectl lays them out, and json/yaml/name output.

kubectl has no client-side columns for built-in kinds: READY, STATUS, AGE and
the rest come from the server's Table (`as=Table` in the Accept header). tkctl
only picks the columns (priority 0, or all with `-o wide`), adds NAMESPACE
(with -A) and LABELS (with --show-labels), and aligns them with Go's
tabwriter: three spaces between columns, upper-case headers, one table per
kind, tables separated by a blank line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cli.encoding import go_yaml, indented_json
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


def render_tables(tables: list[tuple[ResourceType, dict[str, Any]]], options: TableOptions) -> str:
    """All non-empty tables, in order, separated by blank lines."""
    rendered = [_render_table(resource, table, options) for resource, table in tables if table.get("rows")]
    return "\n".join(rendered)


def _render_table(resource: ResourceType, table: dict[str, Any], options: TableOptions) -> str:
    columns = [(index, column) for index, column in enumerate(table.get("columnDefinitions") or [])
               if options.wide or not column.get("priority")]
    with_namespace = options.with_namespace and resource.namespaced
    lines: list[list[str]] = []
    if not options.no_headers:
        header = [column["name"].upper() for _, column in columns]
        lines.append((["NAMESPACE"] if with_namespace else []) + header + (["LABELS"] if options.show_labels else []))
    for row in table["rows"]:
        cells = row.get("cells") or []
        metadata = (row.get("object") or {}).get("metadata") or {}
        line = [metadata.get("namespace", "")] if with_namespace else []
        for index, column in columns:
            text = _cell_text(cells[index] if index < len(cells) else None)
            if options.with_kind and column.get("format") == "name":
                text = f"{kind_label(resource)}/{text}"
            line.append(text)
        if options.show_labels:
            line.append(format_labels(metadata.get("labels")))
        lines.append(line)
    return align(lines, padding=TABLE_PADDING, min_width=TABLE_MIN_WIDTH)


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
