"""Reading the revision log: a key's history, the cluster's writes in a window, a list as it was, causes.

SqlStore keeps one row per write (schema.revisions). Watches read it forward
from a revision; these queries read it the other ways the flight recorder
needs, each one statement on an index:

    LogQuery(resource, namespace, name, revisions, times, limit, order)  ─► [LogEntry]   revisions_by_key
    snapshot(resource, namespace, N): each key's newest row <= N unless DELETED        revisions_by_key
    caused_by([r1, r2, ...]): the rows whose cause is one of them                      revisions_by_cause

Each function takes an open connection; SqlStore wraps them with its error
translation and its compacted-revision checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Row

from master.store import schema
from master.store.provenance import WriteOrigin

_r = schema.revisions.c
DELETED = "DELETED"
# SQLite allows 32,766 bound parameters per statement; stay far below.
IN_CHUNK = 500


@dataclass(frozen=True)
class LogEntry:
    """One row of the log: a write, when it committed and who made it."""

    revision: int
    type: str  # ADDED | MODIFIED | DELETED
    resource: str
    namespace: str
    name: str
    value: str  # the object's JSON as written (its last state for DELETED)
    at: float | None  # epoch seconds of the commit; None for rows from before it was recorded
    origin: WriteOrigin
    previous: str | None = None  # the key's previous retained row's JSON, when asked for

    @property
    def object(self) -> dict[str, Any]:
        return json.loads(self.value)


@dataclass(frozen=True)
class LogQuery:
    """Which rows: every bound optional; revisions since (exclusive) and until (inclusive)."""

    resource: str | None = None
    namespace: str | None = None
    name: str | None = None
    since_revision: int | None = None
    until_revision: int | None = None
    since_time: float | None = None
    until_time: float | None = None
    limit: int | None = None
    descending: bool = False
    with_previous: bool = False  # also read each row's previous row of the same key (for diffs)


def read(conn: Connection, query: LogQuery) -> list[LogEntry]:
    statement = _select(with_previous=query.with_previous)
    for column, value in ((_r.resource, query.resource), (_r.namespace, query.namespace), (_r.name, query.name)):
        if value is not None:
            statement = statement.where(column == value)
    if query.since_revision is not None:
        statement = statement.where(_r.revision > query.since_revision)
    if query.until_revision is not None:
        statement = statement.where(_r.revision <= query.until_revision)
    if query.since_time is not None:
        statement = statement.where(_r.at >= query.since_time)
    if query.until_time is not None:
        statement = statement.where(_r.at <= query.until_time)
    statement = statement.order_by(_r.revision.desc() if query.descending else _r.revision)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return [_entry(row) for row in conn.execute(statement)]


def snapshot(conn: Connection, resource: str, namespace: str | None, revision: int) -> list[dict[str, Any]]:
    """Every object of `resource` as it was at `revision`: for each key, its newest row up to it, unless
    that row is its deletion. In key order, as a list is."""
    newest = select(_r.namespace, _r.name, func.max(_r.revision).label("revision")).where(
        _r.resource == resource, _r.revision <= revision)
    if namespace is not None:
        newest = newest.where(_r.namespace == namespace)
    newest = newest.group_by(_r.namespace, _r.name).subquery()
    statement = (
        select(_r.value)
        .join(newest, and_(_r.resource == resource, _r.namespace == newest.c.namespace,
                           _r.name == newest.c.name, _r.revision == newest.c.revision))
        .where(_r.event != DELETED)
        .order_by(_r.namespace, _r.name)
    )
    return [json.loads(row.value) for row in conn.execute(statement)]


def caused_by(conn: Connection, causes: Iterable[int]) -> list[LogEntry]:
    """The rows that reacted to any of `causes`, oldest first."""
    return _by_column(conn, _r.cause, causes)


def entries(conn: Connection, revisions: Iterable[int], *, with_previous: bool = False) -> list[LogEntry]:
    """The rows of these revisions that are still retained, oldest first."""
    return _by_column(conn, _r.revision, revisions, with_previous=with_previous)


def _by_column(conn: Connection, column: Any, values: Iterable[int], *, with_previous: bool = True) -> list[LogEntry]:
    wanted = sorted(set(values))
    found: list[LogEntry] = []
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start:start + IN_CHUNK]
        statement = _select(with_previous=with_previous).where(column.in_(chunk)).order_by(_r.revision)
        found.extend(_entry(row) for row in conn.execute(statement))
    found.sort(key=lambda entry: entry.revision)
    return found


def _select(*, with_previous: bool):
    columns = [_r.revision, _r.event, _r.resource, _r.namespace, _r.name, _r.value, _r.at, _r.user,
               _r.component, _r.verb, _r.subresource, _r.cause, _r.note]
    if with_previous:
        previous = schema.revisions.alias("previous")
        p = previous.c
        columns.append(
            select(p.value)
            .where(p.resource == _r.resource, p.namespace == _r.namespace, p.name == _r.name,
                   p.revision < _r.revision)
            .order_by(p.revision.desc()).limit(1)
            .scalar_subquery().label("previous")
        )
    return select(*columns)


def _entry(row: Row) -> LogEntry:
    origin = WriteOrigin(user=row.user, component=row.component, verb=row.verb, subresource=row.subresource or "",
                         cause=row.cause, note=row.note)
    return LogEntry(row.revision, row.event, row.resource, row.namespace, row.name, row.value, row.at, origin,
                    getattr(row, "previous", None))
