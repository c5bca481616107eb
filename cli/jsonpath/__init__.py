"""kubectl's JSONPath, the engine behind `kubectl get -o jsonpath=...` and custom-columns.

It is not the JSONPath of RFC 9535: kubectl wraps expressions in braces, lets
text sit between them, and adds `{range ...}{end}`. The syntax is documented at
https://kubernetes.io/docs/reference/kubectl/jsonpath/.

    template ──parser──> nodes ──evaluate──> lists of values ──print──> text

Two errors, both with kubectl's wording: JSONPathParseError (`unclosed
action`) and JSONPathError, raised while evaluating (`array index out of
bounds: index 5, length 2`).
"""

from __future__ import annotations

from typing import Any

from cli.jsonpath.evaluate import JSONPathError, find_results, print_results
from cli.jsonpath.parser import JSONPathParseError, ListNode, parse


def execute(template: ListNode, data: Any, *, allow_missing_keys: bool = True, as_json: bool = False) -> str:
    """The text a parsed template prints for `data`; nothing is printed if any step fails."""
    results = find_results(template, data, allow_missing_keys=allow_missing_keys)
    return "".join(print_results(values, as_json=as_json) for values in results)


__all__ = ["JSONPathError", "JSONPathParseError", "ListNode", "execute", "find_results", "parse"]
