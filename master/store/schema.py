"""The three tables of the store.

`revisions` is the log: one row per write, never updated, trimmed only by compaction.
`objects` is the current value of each key, moved in the same transaction as the log row.
`settings` keeps the compacted revision, so a restart still answers Expired correctly.
"""

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

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
)
Index("revisions_by_resource", revisions.c.resource, revisions.c.revision)

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
