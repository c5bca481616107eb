"""The timeline under the map: the cluster's recent revisions, and the map as it was at one of them.

    GET /api/timeline?limit=300   ─► Timeline: newest revision, oldest still kept, entries oldest first
    GET /api/timeline?since=N     ─► the same, with only the entries after revision N (the page's refresh)
    GET /api/at/{revision}        ─► Snapshot of nodes, pods and Deployments as they were (time travel)

Entries come from the revision log (one request per kind the map draws, newest
first, merged). A refresh passes the `revision` of its last answer as `since`, so the
master reads only what is new: asking for 300 pod revisions each time cost it
about 100 ms of CPU (docs/benchmarks.md, "The dashboard"). Leases are never asked for, and a node write that only moved a
heartbeat timestamp is left out: those are the cluster staying alive, not
something that happened to it. Time travel is Kubernetes' own list with
resourceVersionMatch=Exact; a revision compacted away is a 410 the page shows.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from apiclient import ApiClient, ApiClientError, ApiStatusError
from apiclient.informer import object_key
from cli.dashboard.upstream import UpstreamFailure, failure_message
from cli.dashboard.views import Snapshot, controller_of, deployment_view, node_view, pod_view
from cli.history.changes import actor
from objects.base import K8sModel
from objects.kinds import DEPLOYMENT, EVENT, NODE, POD, REPLICASET, ResourceType
from objects.revision_summary import is_heartbeat, summarize
from objects.revisions import API_VERSION, Revision, RevisionList

REVISIONS_PATH = f"/apis/{API_VERSION}/revisions"
DEFAULT_LIMIT = 300
MAX_LIMIT = 2000
TIMELINE_KINDS = (POD, NODE, DEPLOYMENT, REPLICASET, EVENT)


class TimelineEntry(K8sModel):
    revision: int
    time: str
    type: str
    resource: str
    namespace: str | None = None
    name: str
    actor: str
    summary: str


class Timeline(K8sModel):
    revision: int  # the store's newest revision
    oldest_revision: int  # the oldest a time-travel request can still ask for
    entries: list[TimelineEntry] = Field(default_factory=list)  # oldest first


def recent(client: ApiClient, *, limit: int = DEFAULT_LIMIT, since: int | None = None) -> Timeline:
    """The newest `limit` entries, or with `since` only the newest `limit` after that revision.

    Every kind is read up to the same revision, the store's newest when the first was asked: the answer
    is then whole up to its `revision`, so a write landing between two of the requests is left to the
    next refresh (since=revision) rather than skipped by it.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    newest: int | None = None
    compacted, revisions = 0, []
    for kind in TIMELINE_KINDS:
        page = _revisions(client, kind, limit, since=since, until=newest)
        if newest is None:
            newest = int(page.metadata.resource_version or 0)  # read by the master before its items
        compacted = max(compacted, page.compacted_revision)
        revisions.extend(r for r in page.items if r.revision <= newest and not _is_heartbeat(r))
    revisions.sort(key=lambda r: r.revision)
    entries = [TimelineEntry(revision=r.revision, time=r.time, type=r.type, resource=r.resource,
                             namespace=r.namespace, name=r.name, actor=actor(r.provenance), summary=summary(r))
               for r in revisions[-limit:]]
    return Timeline(revision=newest or 0, oldest_revision=compacted + 1, entries=entries)


def _revisions(client: ApiClient, kind: ResourceType, limit: int, *, since: int | None,
               until: int | None) -> RevisionList:
    # Only an Event's own words need its body; every other summary reads the field changes.
    params = {"resource": kind.group_resource, "order": "desc", "limit": str(limit),
              "objects": "true" if kind is EVENT else "false"}
    if since is not None:
        params["sinceRevision"] = str(since)  # exclusive: the entries after it
    if until is not None:
        params["untilRevision"] = str(until)  # inclusive
    try:
        return RevisionList.model_validate(client.get_path(REVISIONS_PATH, params=params))
    except ApiClientError as error:
        raise UpstreamFailure.of(error, client.connection.server) from error


def _is_heartbeat(revision: Revision) -> bool:
    return revision.type == "MODIFIED" and revision.changes is not None and is_heartbeat(revision.changes)


def summary(revision: Revision) -> str:
    """A revision in a few words, as a trace hop says it: "bound to node-2", "phase Running", "cordoned"."""
    return summarize(revision.type, revision.resource, revision.provenance.subresource, revision.object or {},
                     revision.changes)


# ----- time travel


def snapshot_at(client: ApiClient, revision: int) -> Snapshot:
    nodes, pods, deployments, replica_sets = (_list_at(client, kind, revision)
                                              for kind in (NODE, POD, DEPLOYMENT, REPLICASET))
    owners = {object_key(rs): controller_of(rs) for rs in replica_sets}
    return Snapshot(revision=revision, nodes=[node_view(n) for n in nodes],
                    pods=[pod_view(p, lambda namespace, name: owners.get(f"{namespace}/{name}")) for p in pods],
                    deployments=[deployment_view(d) for d in deployments])


def _list_at(client: ApiClient, kind: ResourceType, revision: int) -> list[dict[str, Any]]:
    params = {"resourceVersion": str(revision), "resourceVersionMatch": "Exact"}
    try:
        return client.get_path(kind.collection_path(None), params=params).get("items") or []
    except ApiStatusError as error:
        if error.code == 410:
            raise UpstreamFailure(f"Revision {revision} is no longer kept: the API server at "
                                  f"{client.connection.server} compacted its history past it", code=410) from error
        if error.code == 504 or "Too large resource version" in error.message:
            raise UpstreamFailure(f"Revision {revision} has not happened yet: {error.message}", code=422) from error
        raise UpstreamFailure(failure_message(error, client.connection.server)) from error
    except ApiClientError as error:
        raise UpstreamFailure.of(error, client.connection.server) from error
