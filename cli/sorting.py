"""`get --sort-by=EXPRESSION`: order objects, or a Table's rows, as kubectl's sorter does.

The expression is a JSONPath in kubectl's relaxed form (`.metadata.name`,
`{.spec.priority}`); only its first result counts. Values compare by their
JSON type: numbers numerically, strings as resource quantities when both
parse as one ("250m" < "1") and byte-wise otherwise. An object without the
field sorts first. The order is exactly kubectl's, ties and missing fields
included, because the sort itself is Go's (see cli/go_sort.py).

Two kinds of failure, as in kubectl:
- SortError: a bad expression, or a field no object has; reported as `error: ...`.
- UnsortableField: values of a kind kubectl cannot compare (a map, a bool);
  kubectl dies with a klog fatal line, so this carries that line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from cli.custom_columns import ColumnsError, relaxed_path
from cli.errors import TkctlError
from cli.go_format import go_quote
from cli.go_sort import go_sort
from cli.jsonpath import JSONPathError, JSONPathParseError, ListNode, find_results, parse
from objects.quantity import parse_quantity

T = TypeVar("T")
MISSING = object()  # the object has no value at the path

# The lines of kubectl 1.32's sorter.go whose klog.Fatalf an unsortable field reaches: its fatal
# message names them, and tkctl prints that message as kubectl does.
KLOG_LINE_SORTING_OBJECTS = 329
KLOG_LINE_SORTING_ROWS = 375


class SortError(TkctlError):
    """The expression does not parse, or names a field none of the objects has."""


class UnsortableField(Exception):
    """kubectl's `klog.Exitf` when two values cannot be compared: the message is its whole stderr line,
    not an `error: ...`, so `get` prints it itself."""


class _Incomparable(Exception):
    """isLess refused the pair; the message is kubectl's `err` part."""


@dataclass(frozen=True)
class SortField:
    """A parsed --sort-by expression."""

    path: str  # the relaxed, braced form: `{.metadata.name}`
    template: ListNode

    def value(self, obj: dict[str, Any]) -> Any:
        """The first value at the path, or MISSING."""
        try:
            results = find_results(self.template, obj, allow_missing_keys=True)
        except JSONPathError as error:
            raise SortError(str(error)) from None
        return results[0][0] if results and results[0] else MISSING


def parse_sort_field(expression: str, *, strict: bool) -> SortField:
    """kubectl reads the expression two ways: objects need the relaxed form (`strict`); Tables fall back
    to the raw text when it is not in that form."""
    try:
        path = relaxed_path(expression)
    except ColumnsError as error:
        if strict:
            raise SortError(str(error)) from None
        path = expression
    try:
        return SortField(path, parse(path))
    except JSONPathParseError as error:
        raise SortError(str(error) if strict else f"sorting error: {error}") from None


def sort_objects(found: list[tuple[T, dict[str, Any]]], expression: str) -> list[tuple[T, dict[str, Any]]]:
    """(kind, object) pairs in kubectl's order for `-o json|yaml|name|...`: all kinds sorted together."""
    if len(found) <= 1:
        return found
    field = parse_sort_field(expression, strict=True)
    return _sorted(found, field, [field.value(obj) for _, obj in found],
                   subject="*unstructured.Unstructured", line=KLOG_LINE_SORTING_OBJECTS)


def sort_table(table: dict[str, Any], expression: str) -> dict[str, Any]:
    """The Table with its rows in kubectl's order, found in each row's full object (`includeObject=Object`)."""
    rows = table.get("rows") or []
    if len(rows) <= 1:
        return table
    field = parse_sort_field(expression, strict=False)
    values = [field.value((row.get("object") or {})) for row in rows]
    return {**table, "rows": _sorted(rows, field, values, subject="[][][]reflect.Value", line=KLOG_LINE_SORTING_ROWS)}


def _sorted(items: list[Any], field: SortField, values: list[Any], *, subject: str, line: int) -> list[Any]:
    if all(value is MISSING for value in values):
        raise SortError(not_found(field.path))

    def less(left: tuple[Any, Any], right: tuple[Any, Any]) -> bool:
        if left[1] is MISSING:
            return True
        if right[1] is MISSING:
            return False
        try:
            return is_less(left[1], right[1])
        except _Incomparable as error:
            raise UnsortableField(_klog_fatal(f"Field {field.path} in {subject} is an unsortable type: "
                                              f"interface, err: {error}", line=line)) from None

    return [item for item, _ in go_sort(list(zip(items, values)), less)]


def not_found(expression: str) -> str:
    try:
        path = relaxed_path(expression)
    except ColumnsError:
        path = expression
    return f"couldn't find any field with path {go_quote(path)} in the list of objects"


def is_less(left: Any, right: Any) -> bool:
    """kubectl's isLess for two JSON values (Go's `interface{}` case); _Incomparable when it gives up."""
    if left is None or right is None:
        return left is None and right is not None
    if isinstance(left, bool) or not isinstance(left, (int, float, str)):
        raise _Incomparable(f"unsortable type: {_go_type(left)}")
    if type(left) is type(right):
        if isinstance(left, str):
            quantities = _quantity(left), _quantity(right)
            if quantities[0] is not None and quantities[1] is not None:
                return quantities[0] < quantities[1]
        return left < right
    raise _Incomparable("unsortable interface: interface")


def _quantity(text: str) -> Decimal | None:
    try:
        return parse_quantity(text)
    except ValueError:
        return None


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return "[]interface {}"


def _klog_fatal(message: str, *, line: int) -> str:
    """klog's header, `F1127 10:34:46.663573    8948 sorter.go:375] `, then the message."""
    now = datetime.now()
    return f"F{now:%m%d %H:%M:%S.%f} {os.getpid():7d} sorter.go:{line}] {message}"
