"""`tkctl diff --from A --to B`: the whole cluster between two revisions, an object per line.

    + pods default/web-7d4-x2                                   created after A
    - pods default/web-5c9-q1                                   gone by B
    ~ deployments.apps default/web: spec.replicas 3 -> 6, ...   there at both, with other fields

Each kind is listed as it was at A and at B (Kubernetes' own
`resourceVersion=N&resourceVersionMatch=Exact`), and the two sets compared by
uid, so a pod deleted and created again under its name shows as - and +.
Fields are compared leaf by leaf by the same rules as a revision's changes
(objects/field_changes.py), so both name `status.conditions[Ready].status` alike.

Unless asked for everything (--all), the noise a living cluster makes on its
own is left out: Events (a record of what happened, not the cluster's state)
and heartbeat timestamps (a Lease's spec.renewTime, a node condition's
lastHeartbeatTime), so an object whose only change is a heartbeat is not listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cli.history.changes import change_words
from objects.field_changes import field_changes
from objects.kinds import EVENT, LEASE, NODE, ResourceType
from objects.revisions import FieldChange

CREATED, DELETED, CHANGED = "+", "-", "~"
SAID_CHANGES = 3  # field changes named on an object's line before "+N more"
NOISY_KINDS = (EVENT,)  # left out unless --all
HEARTBEATS = {  # field paths, by kind, that only say "still alive"; left out unless --all
    LEASE: re.compile(r"spec\.renewTime"),
    NODE: re.compile(r"status\.conditions\[[^\]]+\]\.lastHeartbeatTime"),
}


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


def is_noisy_kind(resource: ResourceType) -> bool:
    return resource in NOISY_KINDS


def is_heartbeat(resource: ResourceType, change: FieldChange) -> bool:
    pattern = HEARTBEATS.get(resource)
    return pattern is not None and pattern.fullmatch(change.path) is not None


def diff_kind(resource: ResourceType, before: list[dict[str, Any]], after: list[dict[str, Any]], *,
              heartbeats: bool = False) -> list[ObjectDiff]:
    """The objects of one kind created, deleted and changed between the two lists, by namespace and name;
    heartbeat changes are left out unless `heartbeats`."""
    old, new = _by_uid(before), _by_uid(after)
    found = []
    for uid in old.keys() - new.keys():
        found.append(_object_diff(DELETED, resource, old[uid]))
    for uid in new.keys() - old.keys():
        found.append(_object_diff(CREATED, resource, new[uid]))
    for uid in old.keys() & new.keys():
        changes = [change for change in field_changes(old[uid], new[uid])
                   if heartbeats or not is_heartbeat(resource, change)]
        if changes:
            found.append(_object_diff(CHANGED, resource, new[uid], changes))
    return sorted(found, key=lambda diff: (diff.namespace or "", diff.name, diff.sign != DELETED))


def _by_uid(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {_identity(obj): obj for obj in objects}


def _identity(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    return metadata.get("uid") or f"{metadata.get('namespace')}/{metadata.get('name')}"


def _object_diff(sign: str, resource: ResourceType, obj: dict[str, Any],
                 changes: list[FieldChange] | None = None) -> ObjectDiff:
    metadata = obj.get("metadata") or {}
    return ObjectDiff(sign, resource, metadata.get("namespace"), metadata.get("name", "?"), changes or [])
