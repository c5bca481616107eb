"""The three tables of the store.

`revisions` is the log: one row per write, never updated, trimmed only by compaction.
Each row also keeps when it was committed (`at`) and its provenance (who wrote it,
through which component and verb, in reaction to which revision: master/store/provenance.py).
`objects` is the current value of each key, moved in the same transaction as the log row.
`settings` keeps the compacted revision, so a restart still answers Expired correctly.
"""

from sqlalchemy import (
    Column, Float, Index, Integer, MetaData, String, Table, Text, delete, exists, func, insert, inspect, literal, select,
    text,
)
from sqlalchemy.engine import Connection

metadata = MetaData()

revisions = Table(
    "revisions",
    metadata,
    Column("revision", Integer, primary_key=True),
    Column("resource", String, nullable=False),  # "pods", "deployments.apps"
    Column("namespace", String, nullable=False),  # "" for cluster-scoped kinds
    Column("name", String, nullable=False),
    Column("event", String, nullable=False),  # ADDED | MODIFIED | DELETED
    Column("value", Text, nullable=False),  # the object's JSON after this write
    # Provenance, NULL where not recorded (rows from before these columns, or recording off).
    Column("at", Float),  # epoch seconds of the commit
    Column("user", String),  # the authenticated user: admin, system:node
    Column("component", String),  # from the User-Agent: kubectl, scheduler, controller/replicaset
    Column("verb", String),  # create, update, patch, delete, bind, evict
    Column("subresource", String),  # status, binding, scale ... ("" for the object itself)
    Column("cause", Integer),  # the revision this write reacted to
    Column("note", String),  # the writer's one line
)
Index("revisions_by_resource", revisions.c.resource, revisions.c.revision)
# A key's history, its state at a revision, and compaction's "newest row per key".
Index("revisions_by_key", revisions.c.resource, revisions.c.namespace, revisions.c.name, revisions.c.revision)
# The writes that reacted to a revision: a trace walks down through these.
# Partial: only rows that name a cause are indexed, so a write with none (recording off, a
# person's command) pays nothing for it.
Index("revisions_by_cause", revisions.c.cause, sqlite_where=revisions.c.cause.isnot(None),
      postgresql_where=revisions.c.cause.isnot(None))

objects = Table(
    "objects",
    metadata,
    Column("resource", String, primary_key=True),
    Column("namespace", String, primary_key=True),
    Column("name", String, primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("value", Text, nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)


def migrate(conn: Connection) -> None:
    """Bring a database made by an older tinykube up to this schema: add missing columns and indexes.

    create_all makes missing tables only; a table that exists keeps its old
    columns, so each new one is added (NULL in every existing row).

    An older tinykube compacted by dropping every row up to the compacted
    revision, the newest row of a live object included; this one keeps that row,
    and lists at a revision rely on it. So a database from before the provenance
    columns gets back the current row of each object whose row was dropped, and
    its compacted revision moves up to its newest revision: the states between
    are not all known, so lists at those revisions answer Expired, as watches from
    before a restart do anyway.
    """
    present = {column["name"] for column in inspect(conn).get_columns(revisions.name)}
    for column in revisions.columns:
        if column.name not in present:
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f'ALTER TABLE {revisions.name} ADD COLUMN "{column.name}" {kind}'))
    for index in revisions.indexes:
        index.create(conn, checkfirst=True)
    if "at" not in present:
        _restore_current_rows(conn)


def _restore_current_rows(conn: Connection) -> None:
    o, r = objects.c, revisions.c
    dropped = select(o.revision, o.resource, o.namespace, o.name, literal("MODIFIED"), o.value).where(
        ~exists().where(r.revision == o.revision))
    conn.execute(insert(revisions).from_select(["revision", "resource", "namespace", "name", "event", "value"],
                                               dropped))
    newest = conn.scalar(select(func.max(r.revision)))
    if newest:
        conn.execute(delete(settings).where(settings.c.key == "compacted"))
        conn.execute(insert(settings).values(key="compacted", value=str(newest)))
