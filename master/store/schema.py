"""The three tables of the store.

`revisions` is the log: one row per write, never updated, trimmed only by compaction.
Each row also keeps when it was committed (`at`) and its provenance (who wrote it,
through which component and verb, in reaction to which revision: master/store/provenance.py).
`objects` is the current value of each key, moved in the same transaction as the log row.
`settings` keeps the compacted revision, so a restart still answers Expired correctly.
"""

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text, inspect, text
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
Index("revisions_by_cause", revisions.c.cause)

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
    """
    present = {column["name"] for column in inspect(conn).get_columns(revisions.name)}
    for column in revisions.columns:
        if column.name not in present:
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f'ALTER TABLE {revisions.name} ADD COLUMN "{column.name}" {kind}'))
    for index in revisions.indexes:
        index.create(conn, checkfirst=True)
