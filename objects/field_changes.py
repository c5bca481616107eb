"""Field-level diffs between two states of one object: the leaves that differ, with dotted paths.

Shared by the API server (a revision's `changes`, a trace hop's summary) and tkctl (`diff` of two
points of the cluster), so both name a field alike.

    spec.replicas                          3 -> 6
    spec.containers[web].image             nginx:1.26 -> nginx:1.27   (list items named by their name)
    status.conditions[Ready].status        False -> True              (... or by their type)
    metadata.labels[app.kubernetes.io/name]                           (a key with dots stays one step)
    spec.nodeName                          (absent) -> node-2

Lists whose items are objects with a unique `name` (or `type`, as conditions
are) are matched item by item; other lists are one value. A subtree present on
one side only is one change, not one per leaf. The resourceVersion (it always
differs) and managedFields (the writers' bookkeeping) are left out.
"""

from __future__ import annotations

from typing import Any

from objects.revisions import FieldChange

SKIPPED = {"metadata.resourceVersion", "metadata.managedFields"}
ITEM_KEYS = ("name", "type")  # what names a list item, in order of preference
_ABSENT = object()


def field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    changes: list[FieldChange] = []
    _compare("", old, new, changes)
    return changes


def _compare(path: str, old: Any, new: Any, changes: list[FieldChange]) -> None:
    if path in SKIPPED or old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            _compare(_child(path, key), old.get(key, _ABSENT), new.get(key, _ABSENT), changes)
        return
    old_items, new_items = _named_items(old), _named_items(new)
    if old_items is not None and new_items is not None:
        for name in [*old_items, *(name for name in new_items if name not in old_items)]:
            _compare(f"{path}[{name}]", old_items.get(name, _ABSENT), new_items.get(name, _ABSENT), changes)
        return
    change = FieldChange(path=path)
    if old is not _ABSENT:
        change.old = old
    if new is not _ABSENT:
        change.new = new
    changes.append(change)


def _named_items(value: Any) -> dict[str, Any] | None:
    """A list of named objects as {name: item}; None for any other value."""
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        return None
    for key in ITEM_KEYS:
        names = [item.get(key) for item in value]
        if all(isinstance(name, str) for name in names) and len(set(names)) == len(names):
            return dict(zip(names, value))
    return None


def _child(path: str, key: str) -> str:
    if "." in key or "[" in key:
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key
