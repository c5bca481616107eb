"""The flight recorder's answers: revisions of the store's log with their provenance, and traces of causes.

Every write to the store is one row of its revision log, kept with who made it
and why (master/store). These tinykube.io kinds are how the API serves that
log; they are answers, never stored objects, and nothing a Kubernetes client
sees changes:

    GET /apis/tinykube.io/v1alpha1/revisions?...              -> RevisionList (the whole cluster's log)
    GET /apis/tinykube.io/v1alpha1/revisions/{N}              -> Revision
    GET {any object's path}/history                           -> RevisionList (that object's revisions)
    GET {any object's path}/trace?since=...                   -> Trace (the causal tree through it)
    GET {a collection}?resourceVersion=N&resourceVersionMatch=Exact
                                                              -> the list as it was at revision N
                                                                 (Kubernetes' own parameters)

Query parameters of `revisions` (all optional): `resource` (group-qualified
plural: `pods`, `deployments.apps`), `namespace`, `name`, `sinceRevision`
(exclusive), `untilRevision` (inclusive), `since` / `until` (RFC 3339),
`limit` (at most this many, up to 10,000), `order=asc|desc` (oldest or newest
first), `objects=false` to leave out the object bodies. A bad value is a 400
naming the parameter; docs/history.md has examples.

A revision's `provenance`:

    user         the authenticated identity: admin, system:node
    component    what the client declared (its User-Agent, tinykube's own
                 prefix dropped): kubectl, tkctl, scheduler,
                 controller/replicaset, kubelet/node-1
    verb         create, update, patch, delete, or the subresource's verb
                 (bind for pods/binding, evict for pods/eviction)
    subresource  status, binding, scale ... ("" for the object itself)
    reactedTo    the resourceVersion of the watch event the writer reacted to
                 (apiclient/provenance.py), absent for a person's command
    note         the writer's one line: "containers started: sandbox 12 ms, ..."
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from objects.base import K8sModel
from objects.meta import ListMeta, ObjectMeta

API_VERSION = "tinykube.io/v1alpha1"
REVISION_KIND = "Revision"
TRACE_KIND = "Trace"


class Provenance(K8sModel):
    user: str | None = None
    component: str | None = None
    verb: str | None = None
    subresource: str | None = None
    reacted_to: int | None = None
    note: str | None = None


class FieldChange(K8sModel):
    """One leaf that differs from the key's previous revision: `spec.replicas` 3 -> 6."""

    path: str  # dotted, list items by index or by name: spec.containers[web].image
    old: Any = None  # absent when the field was added
    new: Any = None  # absent when the field was removed


class Revision(K8sModel):
    api_version: str = API_VERSION
    kind: str = REVISION_KIND
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)  # name: the revision number, as text
    revision: int
    time: str  # RFC 3339 with milliseconds: when the store committed it
    type: str  # ADDED | MODIFIED | DELETED
    resource: str  # group-qualified plural: pods, deployments.apps
    namespace: str | None = None
    name: str
    provenance: Provenance = Field(default_factory=Provenance)
    changes: list[FieldChange] | None = None  # against the key's previous retained revision; None for ADDED
    object: dict[str, Any] | None = None  # the object as written (its last state for DELETED)


class RevisionList(K8sModel):
    api_version: str = API_VERSION
    kind: str = "RevisionList"
    metadata: ListMeta = Field(default_factory=ListMeta)  # resourceVersion: the newest revision of the store
    # Below it only each key's state at this revision is kept (superseded and deleted rows are gone):
    # an Exact list at an older revision is 410 Expired; this list holds what is retained.
    compacted_revision: int = 0
    items: list[Revision] = Field(default_factory=list)


class TraceHop(K8sModel):
    """One write in a causal tree, with the writes made in reaction to it."""

    revision: int
    time: str
    type: str
    resource: str
    namespace: str | None = None
    name: str
    provenance: Provenance = Field(default_factory=Provenance)
    summary: str  # what changed, in a few words: "spec.replicas 3 -> 6", "bound to node-2", "Running"
    latency_milliseconds: float | None = None  # from the write it reacted to; None for a root
    children: list[TraceHop] = Field(default_factory=list)


class Trace(K8sModel):
    api_version: str = API_VERSION
    kind: str = TRACE_KIND
    subject: dict[str, str]  # apiVersion, kind, name, namespace of the object asked about
    since: str | None = None  # the earliest revision time considered
    roots: list[TraceHop] = Field(default_factory=list)  # each a write that reacted to nothing retained
    truncated: bool = False  # the tree was cut at its size limit
