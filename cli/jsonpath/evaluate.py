"""Run a parsed JSONPath template over JSON-decoded data (k8s.io/client-go/util/jsonpath/jsonpath.go).

Each step maps a list of values to a new list: `.items` looks up a key in
every map, `[*]` spreads every list, a filter keeps the elements it likes.
Every `{...}` yields one list, printed space-separated: maps and lists as
compact JSON, strings and numbers with Go's `%v`, nil as `null`.

`{range X}...{end}` runs the steps between them once per value of X. kubectl
does this with counters and by re-running the template from the step after
`range` with each value as the data; that is kept here, quirks included,
because the output must match.

Go walks maps in random order for `*` and `..`; here keys go in sorted order,
so the output is at least stable.
"""

from __future__ import annotations

from typing import Any

from cli.go_format import basic_kind, format_value, go_json, type_name
from cli.jsonpath.parser import (ArrayNode, BoolNode, FieldNode, FilterNode, FloatNode, IdentifierNode, IntNode,
                                 ListNode, Node, RecursiveNode, TextNode, UnionNode, WildcardNode)


class JSONPathError(Exception):
    """The template failed on this data; the message is kubectl's, e.g. `foo is not found`."""


class _NoValue:
    """What a range body runs on for a null element (Go's invalid reflect.Value): it prints `<no value>`."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()


class _Evaluation:
    def __init__(self, root: ListNode, *, allow_missing_keys: bool):
        self.nodes = root.nodes
        self.allow_missing_keys = allow_missing_keys
        self.begin_range = 0
        self.in_range = 0
        self.end_range = 0
        self.last_end: int | None = None  # index of the {end} that closed the latest range

    def find_results(self, data: Any, start: int = 0) -> list[list[Any]]:
        """One list of values per action, for the actions from `start` on (a range body starts later)."""
        current = [data]
        full: list[list[Any]] = []
        i = start
        while i < len(self.nodes):
            results = self.walk(current, self.nodes[i])
            if 0 < self.end_range <= self.in_range:  # an {end}: this range body is done
                self.end_range -= 1
                self.last_end = i
                break
            if self.begin_range > 0:  # a {range}: run the rest once per value
                self.begin_range -= 1
                self.in_range += 1
                if results:
                    for value in results:
                        full.extend(self.find_results(NO_VALUE if value is None else value, i + 1))
                else:
                    self.find_results(NO_VALUE, i + 1)  # only to find where the body ends
                self.in_range -= 1
                for k in range(i + 1, len(self.nodes)):
                    if k == self.last_end:
                        i = k
                        break
                i += 1
                continue
            full.append(results)
            i += 1
        return full

    def walk(self, values: list[Any], node: Node) -> list[Any]:
        if isinstance(node, ListNode):
            for step in node.nodes:
                values = self.walk(values, step)
            return values
        if isinstance(node, TextNode):
            return [node.text]
        if isinstance(node, FieldNode):
            return self.field(values, node.name)
        if isinstance(node, ArrayNode):
            return self.array(values, node)
        if isinstance(node, FilterNode):
            return self.filter(values, node)
        if isinstance(node, (IntNode, FloatNode, BoolNode)):
            return [node.value] * len(values)
        if isinstance(node, WildcardNode):
            return [child for value in values for child in _children(value)]
        if isinstance(node, RecursiveNode):
            return self.recursive(values)
        if isinstance(node, UnionNode):
            return [result for branch in node.branches for result in self.walk(values, branch)]
        if isinstance(node, IdentifierNode):
            return self.identifier(values, node.name)
        raise JSONPathError(f"unexpected Node {node}")

    def identifier(self, values: list[Any], name: str) -> list[Any]:
        if name == "range":
            self.begin_range += 1
            return values
        if name == "end":
            if self.in_range > 0:
                self.end_range += 1
                return []
            raise JSONPathError("not in range, nothing to end")
        raise JSONPathError(f"unrecognized identifier {name}")

    def field(self, values: list[Any], name: str) -> list[Any]:
        results = [value[name] for value in values if isinstance(value, dict) and name in value]
        if values and not results and not self.allow_missing_keys:
            raise JSONPathError(f"{name} is not found")
        return results

    def array(self, values: list[Any], node: ArrayNode) -> list[Any]:
        results: list[Any] = []
        for value in values:
            if value is None or value is NO_VALUE:
                continue
            if not isinstance(value, list):
                raise JSONPathError(f"{type_name(value)} is not array or slice")
            first, last, step = node.params
            length = len(value)
            start = first.value if first.known else 0
            if start < 0:
                start += length
            end = last.value if last.known else length
            if end < 0 or (end == 0 and last.derived):
                end += length
            if start == end:
                return results  # an empty selection ends the step for every value (kubectl's quirk)
            if start >= length or start < 0:
                raise JSONPathError(f"array index out of bounds: index {start}, length {length}")
            if end > length or end < 0:
                raise JSONPathError(f"array index out of bounds: index {end - 1}, length {length}")
            if start > end:
                raise JSONPathError(f"starting index {start} is greater than ending index {end}")
            if step.known and step.value <= 0:
                raise JSONPathError("step must be > 0")
            results.extend(value[start:end:step.value if step.known else 1])
        return results

    def recursive(self, values: list[Any]) -> list[Any]:
        """Every map, list and non-empty string below (and including) each value, depth first."""
        results: list[Any] = []
        for value in values:
            if value is None:
                continue
            children = _children(value)
            if children:
                results.append(value)
                results.extend(self.recursive([c for c in children if not isinstance(value, str)]))
        return results

    def filter(self, values: list[Any], node: FilterNode) -> list[Any]:
        results: list[Any] = []
        for value in values:
            if not isinstance(value, list):
                shown = ("<nil>" if value is None else "<invalid reflect.Value>" if value is NO_VALUE
                         else format_value(value))
                raise JSONPathError(f"{shown} is not array or slice and cannot be filtered")
            for element in value:
                if node.operator == "exists":
                    try:
                        found = self.walk([element], node.left)
                    except JSONPathError:
                        found = []
                    if found:
                        results.append(element)
                    continue
                left = self.walk([element], node.left)
                if not left:
                    continue
                if len(left) > 1:
                    raise JSONPathError("can only compare one element at a time")
                right = self.walk([element], node.right)
                if not right:
                    continue
                if len(right) > 1:
                    raise JSONPathError("can only compare one element at a time")
                if compare(left[0], node.operator, right[0]):
                    results.append(element)
        return results


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value[key] for key in sorted(value)]
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return list(value.encode())  # Go indexes a string by bytes
    return []


def _kind(value: Any) -> str:
    kind = basic_kind(value)
    if kind is None:
        raise JSONPathError("invalid type for comparison")
    return kind


def compare(left: Any, operator: str, right: Any) -> bool:
    """A filter's comparison, with the rules of kubectl's fork of Go's template `eq` and `lt`."""
    left_kind, right_kind = _kind(left), _kind(right)
    if left_kind != right_kind:
        raise JSONPathError("incompatible types for comparison")
    if operator in ("==", "!="):
        return (left == right) == (operator == "==")
    if operator not in ("<", ">", "<=", ">="):
        raise JSONPathError(f"unrecognized filter operator {operator}")
    if left_kind == "bool":
        raise JSONPathError("invalid type for comparison")
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[operator]


def find_results(root: ListNode, data: Any, *, allow_missing_keys: bool = True) -> list[list[Any]]:
    return _Evaluation(root, allow_missing_keys=allow_missing_keys).find_results(data)


def print_results(results: list[Any], *, as_json: bool = False) -> str:
    """One action's values as kubectl writes them: space-separated, maps and lists as JSON."""
    if as_json:
        return go_json([None if value is NO_VALUE else value for value in results], indent="    ") + "\n"
    texts = []
    for value in results:
        if isinstance(value, (dict, list)):
            texts.append(go_json(value))
        elif value is None:
            texts.append("null")
        elif value is NO_VALUE:
            texts.append("<no value>")
        else:
            texts.append(format_value(value))
    return " ".join(texts)
