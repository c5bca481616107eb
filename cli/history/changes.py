"""A revision in a few words: its values, its field changes, who made it and what it changed.

    value("nginx:1.25")                 -> nginx:1.25
    value({"app": "web"})               -> {"app":"web"}
    change_line(spec.replicas 3 -> 6)   -> "  spec.replicas: 3 -> 6"     (a field that changed)
                                           "+ metadata.labels.app: web"   (one that appeared)
                                           "- spec.nodeSelector"          (one that went away)
    summary(revision)                   -> "spec.replicas 3 -> 6", "created", "deleted", "3 fields"
    actor(provenance)                   -> "controller/replicaset", else the user, else "?"

The +, - and two spaces form one column, as in a unified diff, so a block of
changes reads down its left edge.
"""

from __future__ import annotations

import json
from typing import Any

from objects.revisions import FieldChange, Provenance, Revision

PLAIN_VERBS = ("create", "update", "patch", "delete")
LONGEST_VALUE = 60  # characters of a value shown on a line; the rest is cut with "..."
SUMMARY_CHANGES = 2  # changes named in a one-line summary before "+N more"


def value(shown: Any) -> str:
    """A field's value on one line: strings as they are, anything else as compact JSON."""
    text = shown if isinstance(shown, str) and shown else json.dumps(shown, separators=(",", ":"), sort_keys=True)
    text = " ".join(text.split())
    return text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE - 3] + "..."


def change_line(change: FieldChange) -> str:
    if change.old is None:  # absent: the field appeared (a null value is no value, as apply reads it)
        return f"+ {change.path}: {value(change.new)}"
    if change.new is None:
        return f"- {change.path}"
    return f"  {change.path}: {value(change.old)} -> {value(change.new)}"


def change_words(change: FieldChange) -> str:
    """A change inside a one-line summary: `spec.replicas 3 -> 6`, `+labels.app=web`, `-spec.nodeName`."""
    if change.old is None:
        return f"+{change.path}={value(change.new)}"
    if change.new is None:
        return f"-{change.path}"
    return f"{change.path} {value(change.old)} -> {value(change.new)}"


def summary(revision: Revision) -> str:
    """What the revision did, in a few words."""
    if revision.type == "ADDED":
        return "created"
    if revision.type == "DELETED":
        return "deleted"
    if revision.changes is None:
        return "changed"
    if not revision.changes:
        return "no field changed"
    named = ", ".join(change_words(change) for change in revision.changes[:SUMMARY_CHANGES])
    more = len(revision.changes) - SUMMARY_CHANGES
    return f"{named} (+{more} more)" if more > 0 else named


def actor(provenance: Provenance) -> str:
    """Who wrote: the component it declared (scheduler, kubelet/node-1, kubectl), else its user."""
    return provenance.component or provenance.user or "?"


def verb(provenance: Provenance) -> str:
    """`create`, `update status`, `bind`: the verb, and the subresource a plain write went to (a
    subresource's own verb, bind for pods/binding, already says it)."""
    said = provenance.verb or "?"
    if provenance.subresource and said in PLAIN_VERBS:
        return f"{said} {provenance.subresource}"
    return said


def object_name(revision: Revision | Any) -> str:
    """`pods default/web-1`, `nodes node-2`: a revision's (or a hop's) resource and key."""
    key = f"{revision.namespace}/{revision.name}" if revision.namespace else revision.name
    return f"{revision.resource} {key}"
