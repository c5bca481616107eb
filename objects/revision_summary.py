"""A revision in a few words, for a trace hop or a timeline entry: what a reader needs to follow a chain of writes.

    ADDED                                  created            (an Event: "event Scheduled: Successfully ...")
    DELETED                                deleted
    pods/binding                           bound to node-2
    spec.replicas                          spec.replicas 3 -> 6
    status.phase                           phase Running
    status.conditions[Ready].status        Ready True
    spec.taints                            taint node.kubernetes.io/unreachable:NoExecute added
    spec.unschedulable                     cordoned / uncordoned
    count (an Event seen again)            seen 4 times
    metadata.deletionTimestamp             deletionTimestamp set
    anything else                          up to three changed paths, with short values

A write that only moved heartbeat timestamps (a node's lastHeartbeatTime, a
Lease's renewTime) is a heartbeat: traces leave such roots out when nothing
reacted to them.
"""

from __future__ import annotations

import json
from typing import Any

from objects.field_changes import field_changes
from objects.revisions import FieldChange

HEARTBEAT_FIELDS = ("lastHeartbeatTime", "renewTime", "lastProbeTime")
MOST_CHANGES_NAMED = 3
SHORT_VALUE = 40  # characters of a value shown in a summary


def summarize(type_: str, resource: str, subresource: str | None, obj: dict[str, Any],
              changes: list[FieldChange] | None) -> str:
    if type_ == "ADDED":
        return _created(resource, obj)
    if type_ == "DELETED":
        return "deleted"
    if subresource == "binding":  # the object, or (when a listing left it out) the change, names the node
        node = (obj.get("spec") or {}).get("nodeName") or _new_value(changes, "spec.nodeName") or "?"
        return f"bound to {node}"
    if changes is None:  # the key's previous revision was compacted away: nothing to compare with
        return "changes unknown (the previous revision is no longer kept)"
    if is_heartbeat(changes):
        return "heartbeat"
    phrases = [phrase for change in _leaves(changes) if (phrase := _phrase(change))]
    return ", ".join(dict.fromkeys(phrases)) if phrases else _paths(changes)


def is_heartbeat(changes: list[FieldChange] | None) -> bool:
    """Only heartbeat timestamps moved (or nothing did)."""
    return all(change.path.rsplit(".", 1)[-1] in HEARTBEAT_FIELDS for change in changes or [])


def _leaves(changes: list[FieldChange]) -> list[FieldChange]:
    """A whole subtree added or removed (a node's first `spec`) as the fields in it, so a taint
    inside is still named."""
    leaves = []
    for change in changes:
        old, new = change.old or {}, change.new or {}
        if isinstance(old, dict) and isinstance(new, dict) and (not old or not new):
            for inner in field_changes(old, new):
                joined = change.path + (inner.path if inner.path.startswith("[") else f".{inner.path}")
                leaves.append(inner.model_copy(update={"path": joined}))
        else:
            leaves.append(change)
    return leaves


def _created(resource: str, obj: dict[str, Any]) -> str:
    if resource in ("events", "events.events.k8s.io"):
        reason, message = obj.get("reason") or "", obj.get("message") or obj.get("note") or ""
        return _short(f"event {reason}: {message}".rstrip(": "), 80)
    return "created"


def _phrase(change: FieldChange) -> str | None:
    path = change.path
    if path == "status.phase":
        return f"phase {change.new}"
    if path.startswith("status.conditions[") and path.endswith("].status"):
        return f"{path[len('status.conditions['):-len('].status')]} {change.new}"
    if path == "spec.taints" or path.startswith("spec.taints["):
        return _taints(change)
    if path == "spec.unschedulable":
        return "cordoned" if change.new else "uncordoned"
    if path == "count":
        return f"seen {change.new} times"
    if path == "metadata.deletionTimestamp":
        return "deletionTimestamp set" if change.new is not None else "deletionTimestamp cleared"
    if path in ("spec.replicas", "status.replicas", "status.readyReplicas", "spec.nodeName"):
        return _change_text(change)
    return None


def _new_value(changes: list[FieldChange] | None, path: str) -> Any:
    return next((change.new for change in changes or [] if change.path == path), None)


def _taints(change: FieldChange) -> str:
    old, new = _taint_names(change.old), _taint_names(change.new)
    added = [f"taint {name} added" for name in new if name not in old]
    removed = [f"taint {name} removed" for name in old if name not in new]
    return ", ".join(added + removed) or "taints changed"


def _taint_names(taints: Any) -> list[str]:
    if not isinstance(taints, list):
        return []
    return [f"{t.get('key')}:{t.get('effect')}" for t in taints if isinstance(t, dict)]


def _paths(changes: list[FieldChange]) -> str:
    named = [_change_text(change) for change in changes[:MOST_CHANGES_NAMED]]
    more = len(changes) - MOST_CHANGES_NAMED
    return ", ".join(named) + (f" (+{more} more)" if more > 0 else "") if named else "no change"


def _change_text(change: FieldChange) -> str:
    if isinstance(change.old, (dict, list)) or isinstance(change.new, (dict, list)):
        return change.path
    if change.old is None:
        return f"{change.path} {_short(_text(change.new))}"
    return f"{change.path} {_short(_text(change.old))} -> {_short(_text(change.new))}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _short(text: str, limit: int = SHORT_VALUE) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
