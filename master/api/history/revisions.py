"""The revision log served: the whole cluster's (`revisions`) and one object's (`history`).

    GET /apis/tinykube.io/v1alpha1/revisions?resource=&namespace=&name=&sinceRevision=&untilRevision=
                                             &since=&until=&limit=&order=asc|desc&objects=true|false
    GET {any stored object's path}/history?<the same, but resource, namespace and name>
        ─► RevisionList (objects/revisions.py)

Every parameter is optional: `resource` names a kind as kubectl would (`pods`,
`po`, `deployments.apps`), `sinceRevision` is exclusive and `untilRevision`
inclusive, `since`/`until` are RFC 3339 times, `limit` keeps the first that
many in `order` (asc: oldest first, the default), `objects=false` leaves out
the object bodies. A bad value is a 400 Status naming its parameter. An
object's history needs no live object: a deleted one's retained revisions
are served too.

Each Revision carries its provenance and `changes`, its field diff against the
key's previous retained revision (objects/field_changes.py); list metadata.resourceVersion is
the store's newest revision and `compactedRevision` says where retention ends
(the newest write of each live object below it is still kept).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from starlette.datastructures import QueryParams

from master.api import status
from objects.field_changes import field_changes
from master.store import SqlStore
from master.store.revision_log import LogEntry, LogQuery
from objects.kinds import ResourceType, resolve
from objects.meta import ListMeta, ObjectMeta
from objects.revisions import Provenance, Revision, RevisionList
from objects.why import moment

ORDERS = ("asc", "desc")
MAX_LIMIT = 10_000  # the most one answer carries, and what an answer without `limit` is capped at


def revision_list(store: SqlStore, query: QueryParams, *, subject: tuple[ResourceType, str, str] | None = None
                  ) -> RevisionList:
    """The log's retained rows the query selects; `subject` (kind, namespace, name) pins one object."""
    log_query = parse_query(query, subject=subject)
    newest, compacted = store.revision, store.compacted_revision
    entries = store.log(log_query)
    with_objects = _flag(query, "objects", default=True)
    return RevisionList(metadata=ListMeta(resource_version=str(newest)), compacted_revision=compacted,
                        items=[revision_of(entry, with_object=with_objects) for entry in entries])


def revision_of(entry: LogEntry, *, with_object: bool) -> Revision:
    origin = entry.origin
    new = entry.object
    changes = None
    if entry.type != "ADDED" and entry.previous is not None:
        changes = field_changes(json.loads(entry.previous), new) if entry.type == "MODIFIED" else []
    return Revision(
        # creationTimestamp: the commit time in whole seconds, so `kubectl get revisions` shows an AGE.
        metadata=ObjectMeta(name=str(entry.revision),
                            creation_timestamp=_whole_seconds(entry.at) if entry.at is not None else None),
        revision=entry.revision,
        time=moment(entry.at) if entry.at is not None else "", type=entry.type, resource=entry.resource,
        namespace=entry.namespace or None, name=entry.name,
        provenance=Provenance(user=origin.user, component=origin.component, verb=origin.verb,
                              subresource=origin.subresource or None, reacted_to=origin.cause, note=origin.note),
        changes=changes, object=new if with_object else None,
    )


def _whole_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_query(query: QueryParams, *, subject: tuple[ResourceType, str, str] | None = None) -> LogQuery:
    if subject is not None:
        rt, namespace, name = subject
        resource, namespace, name = rt.group_resource, namespace, name
    else:
        resource, namespace, name = _resource(query.get("resource")), query.get("namespace"), query.get("name")
    order = query.get("order") or "asc"
    if order not in ORDERS:
        raise _bad("order", order, 'must be "asc" or "desc"')
    _flag(query, "objects", default=True)  # validated here, read by the caller
    limit = _integer(query, "limit")
    return LogQuery(
        resource=resource, namespace=namespace, name=name,
        since_revision=_integer(query, "sinceRevision"), until_revision=_integer(query, "untilRevision"),
        since_time=time_param(query, "since"), until_time=_end_of_millisecond(time_param(query, "until")),
        limit=min(limit, MAX_LIMIT) if limit else MAX_LIMIT, descending=order == "desc", with_previous=True,
    )


def _resource(value: str | None) -> str | None:
    if not value:
        return None
    rt = resolve(value)
    if rt is None:
        raise _bad("resource", value, "no such resource type (a plural such as pods or deployments.apps)")
    return rt.group_resource


def _integer(query: QueryParams, name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise _bad(name, value, "must be a non-negative integer")
    return number


def time_param(query: QueryParams, name: str) -> float | None:
    """An RFC 3339 query parameter as epoch seconds; a 400 naming it when it is not one."""
    value = query.get(name)
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        stamp = None
    if stamp is None or stamp.tzinfo is None:
        raise _bad(name, value, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
    return stamp.timestamp()


def _end_of_millisecond(moment: float | None) -> float | None:
    """`until` names a time as revisions show theirs, to the millisecond: it takes in that whole millisecond."""
    return None if moment is None else moment + 0.000999


def _flag(query: QueryParams, name: str, *, default: bool) -> bool:
    value = query.get(name)
    if value is None or value == "":
        return default
    if value not in ("true", "false"):
        raise _bad(name, value, 'must be "true" or "false"')
    return value == "true"


def _bad(name: str, value: str, why: str) -> status.ApiError:
    return status.bad_request(f'invalid value "{value}" for query parameter {name}: {why}')
