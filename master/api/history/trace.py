"""The causal tree through one object: what led to its writes and everything that followed from them.

Every revision row may name the revision its writer reacted to (`cause`), so
the log is a forest. A trace of object X over a window:

    1. X's revisions in the window
    2. up: each one's causes, then theirs, to a root (no cause, or a cause compacted away)
    3. down: every write that reacted to X's revisions, then to those, ... (breadth first,
       one `cause IN (...)` query per level on its index)
    4. the tree of 1-3; an ancestor's other children are left out (they did not lead to X)

    kubectl scale deploy/web ── Deployment spec.replicas 3 -> 6            (root: no cause)
      └─ controller/deployment ── ReplicaSet spec.replicas 3 -> 6     +4 ms
           └─ controller/replicaset ── Pod created                    +7 ms
                └─ scheduler ── bound to node-2                       +12 ms
                     └─ kubelet/node-2 ── phase Running               +820 ms

Each hop's latency is its commit time minus its cause's. A root that is only a
heartbeat and that nothing reacted to is left out. The tree stops at MAX_HOPS
writes (`truncated`).
"""

from __future__ import annotations

import json
import time

from starlette.datastructures import QueryParams

from master.api import status
from objects.field_changes import field_changes
from master.api.history.revisions import time_param
from objects.revision_summary import is_heartbeat, summarize
from master.store import SqlStore
from master.store.revision_log import LogEntry, LogQuery
from objects.kinds import ResourceType
from objects.revisions import FieldChange, Provenance, Trace, TraceHop
from objects.why import moment

MAX_HOPS = 1_000


def trace(store: SqlStore, rt: ResourceType, namespace: str, name: str, query: QueryParams) -> Trace:
    since = _since(query)
    # The newest MAX_HOPS of the subject's writes: a long-lived object's recent past is what is asked about.
    subject_entries = store.log(LogQuery(resource=rt.group_resource, namespace=namespace, name=name,
                                         since_time=since, with_previous=True, limit=MAX_HOPS, descending=True))
    subject_entries.reverse()
    entries = {entry.revision: entry for entry in subject_entries}
    _add_ancestors(store, entries)
    truncated = _add_descendants(store, entries, [entry.revision for entry in subject_entries])
    truncated = truncated or len(subject_entries) == MAX_HOPS
    answer = Trace(subject={"apiVersion": rt.api_version, "kind": rt.kind, "name": name,
                            **({"namespace": namespace} if namespace else {})},
                   since=moment(since) if since is not None else None, truncated=truncated)
    answer.roots = _tree(entries)
    return answer


def _add_ancestors(store: SqlStore, entries: dict[int, LogEntry]) -> None:
    """Walk up through causes until every chain ends at a root."""
    wanted = {entry.origin.cause for entry in entries.values()} - set(entries) - {None}
    while wanted and len(entries) < MAX_HOPS:
        found = store.log_entries(sorted(wanted), with_previous=True)
        for entry in found:
            entries[entry.revision] = entry
        wanted = {entry.origin.cause for entry in found} - set(entries) - {None}


def _add_descendants(store: SqlStore, entries: dict[int, LogEntry], start: list[int]) -> bool:
    """Breadth first down from `start`; True when the tree reached MAX_HOPS and stopped.

    A write already present as an ancestor is still explored: the subject's own writes may
    descend from one child of an ancestor (a ReplicaSet that made three pods, of which one led
    to the Deployment's status), and the other children are as much part of what followed."""
    explored = set(start)
    frontier = start
    while frontier:
        found = [entry for entry in store.caused_by(frontier) if entry.revision not in explored]
        new = [entry for entry in found if entry.revision not in entries]
        room = MAX_HOPS - len(entries)
        if len(new) > room:
            for entry in new[:max(room, 0)]:
                entries[entry.revision] = entry
            return True
        for entry in found:
            entries.setdefault(entry.revision, entry)
            explored.add(entry.revision)
        frontier = [entry.revision for entry in found]
    return False


def _tree(entries: dict[int, LogEntry]) -> list[TraceHop]:
    hops: dict[int, TraceHop] = {}
    heartbeats: set[int] = set()
    for revision in sorted(entries):
        hops[revision], heartbeat = _hop(entries[revision], entries)
        if heartbeat:
            heartbeats.add(revision)
    roots = []
    for revision in sorted(entries):
        cause = entries[revision].origin.cause
        if cause in hops:
            hops[cause].children.append(hops[revision])
        else:
            roots.append(hops[revision])
    return [root for root in roots if root.children or root.revision not in heartbeats]


def _hop(entry: LogEntry, entries: dict[int, LogEntry]) -> tuple[TraceHop, bool]:
    obj = entry.object
    changes: list[FieldChange] | None = None
    if entry.type == "MODIFIED" and entry.previous is not None:
        changes = field_changes(json.loads(entry.previous), obj)
    origin = entry.origin
    cause = entries.get(origin.cause) if origin.cause is not None else None
    latency = None
    if cause is not None and cause.at is not None and entry.at is not None:
        latency = round((entry.at - cause.at) * 1000, 1)
    hop = TraceHop(
        revision=entry.revision, time=moment(entry.at) if entry.at is not None else "", type=entry.type,
        resource=entry.resource, namespace=entry.namespace or None, name=entry.name,
        provenance=Provenance(user=origin.user, component=origin.component, verb=origin.verb,
                              subresource=origin.subresource or None, reacted_to=origin.cause, note=origin.note),
        summary=summarize(entry.type, entry.resource, origin.subresource, obj, changes), latency_milliseconds=latency,
    )
    return hop, entry.type == "MODIFIED" and changes is not None and is_heartbeat(changes)


def _since(query: QueryParams) -> float | None:
    """`since` (RFC 3339) or `sinceSeconds` (this many seconds back); neither: every retained revision."""
    since = time_param(query, "since")
    seconds = query.get("sinceSeconds")
    if seconds:
        try:
            back = float(seconds)
        except ValueError:
            back = -1
        if back < 0:
            raise status.bad_request(f'invalid value "{seconds}" for query parameter sinceSeconds: '
                                     "must be a non-negative number of seconds")
        since = max(since or 0.0, time.time() - back)
    return since
