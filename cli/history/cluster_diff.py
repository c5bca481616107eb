"""`tkctl diff --from A --to B`: the whole cluster between two revisions, an object per line.

    + pods default/web-7d4-x2                                   created after A
    - pods default/web-5c9-q1                                   gone by B
    ~ deployments.apps default/web: spec.replicas 3 -> 6, ...   there at both, with other fields

Each kind is listed as it was at A and at B (Kubernetes' own
`resourceVersion=N&resourceVersionMatch=Exact`), and the two sets compared by
uid, so a pod deleted and created again under its name shows as - and +.
Fields are compared leaf by leaf, named as a revision's changes are
(`status.conditions[Ready].status`); resourceVersion and managedFields change
on every write and say nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cli.history.changes import change_words
from objects.kinds import ResourceType
from objects.revisions import FieldChange

CREATED, DELETED, CHANGED = "+", "-", "~"
SAID_CHANGES = 3  # field changes named on an object's line before "+N more"
IGNORED = {"metadata.resourceVersion", "metadata.managedFields"}
ITEM_KEYS = ("name", "type")  # what names a list item, in order of preference


@dataclass(frozen=True)
class ObjectDiff:
    sign: str
    resource: ResourceType
    namespace: str | None
    name: str
    changes: list[FieldChange] = field(default_factory=list)

    def line(self) -> str:
        key = f"{self.namespace}/{self.name}" if self.namespace else self.name
        text = f"{self.sign} {self.resource.group_resource} {key}"
        if not self.changes:
            return text
        said = ", ".join(change_words(change) for change in self.changes[:SAID_CHANGES])
        more = len(self.changes) - SAID_CHANGES
        return f"{text}: {said}" + (f" (+{more} more)" if more > 0 else "")


def diff_kind(resource: ResourceType, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[ObjectDiff]:
    """The objects of one kind created, deleted and changed between the two lists, by namespace and name."""
    old, new = _by_uid(before), _by_uid(after)
    found = []
    for uid in old.keys() - new.keys():
        found.append(_object_diff(DELETED, resource, old[uid]))
    for uid in new.keys() - old.keys():
        found.append(_object_diff(CREATED, resource, new[uid]))
    for uid in old.keys() & new.keys():
        changes = field_changes(old[uid], new[uid])
        if changes:
            found.append(_object_diff(CHANGED, resource, new[uid], changes))
    return sorted(found, key=lambda diff: (diff.namespace or "", diff.name, diff.sign != DELETED))


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """The leaves that differ, named as the server names a revision's changes (master/api/history/diff.py,
    whose rules this follows until that pure function moves down to objects/ for both sides)."""
    changes: list[FieldChange] = []
    _compare("", before, after, changes)
    return changes


def _compare(path: str, old: Any, new: Any, changes: list[FieldChange]) -> None:
    if path in IGNORED or old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            _compare(_child(path, key), old.get(key), new.get(key), changes)
        return
    old_items, new_items = _named_items(old), _named_items(new)
    if old_items is not None and new_items is not None:
        for name in [*old_items, *(name for name in new_items if name not in old_items)]:
            _compare(f"{path}[{name}]", old_items.get(name), new_items.get(name), changes)
        return
    changes.append(FieldChange(path=path, old=old, new=new))  # None: absent on that side


def _named_items(value: Any) -> dict[str, Any] | None:
    """A list of objects with a unique name (or type, as conditions have) as {name: item}; else None."""
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        return None
    for key in ITEM_KEYS:
        names = [item.get(key) for item in value]
        if all(isinstance(name, str) for name in names) and len(set(names)) == len(names):
            return dict(zip(names, value))
    return None


def _child(path: str, key: str) -> str:
    """`metadata.labels[app.kubernetes.io/name]`: a key with dots stays one step."""
    if "." in key or "[" in key:
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _by_uid(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {_identity(obj): obj for obj in objects}


def _identity(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    return metadata.get("uid") or f"{metadata.get('namespace')}/{metadata.get('name')}"


def _object_diff(sign: str, resource: ResourceType, obj: dict[str, Any],
                 changes: list[FieldChange] | None = None) -> ObjectDiff:
    metadata = obj.get("metadata") or {}
    return ObjectDiff(sign, resource, metadata.get("namespace"), metadata.get("name", "?"), changes or [])
