"""The master's store: every API object and its history, in SQL, in the spirit of k3s's kine.

Talks to: one SQL database through SQLAlchemy (SQLite by default). Owns: the
revision log and the current state of every object.

    write ──► revisions (append-only log, id = global revision) ──► watch hub ──► watchers
          └─► objects   (current value of each key) ──► memory copy, which answers get and list

Every create, update and delete appends one row to `revisions`; its id is the
cluster's new revision and becomes the object's `metadata.resourceVersion`.
The same transaction moves the key's row in `objects`, guarded by the revision
the caller read (compare-and-swap), so an update based on a stale read is a
Conflict, never a lost write. Watches replay `revisions` after the revision a
client names and then follow live writes; compaction trims old rows, and a
watch from before the trim gets `Expired`.

Each log row also records when it committed and who made it (provenance.py:
the API server names the origin of the request, the store stamps it), and the
log answers history, time-travel and trace queries (revision_log.py).

Errors (`master.store.errors`): database failures become `StoreUnavailable` at
this boundary and are never reported as "not found" or as an empty list.
"""

from master.store.errors import (
    AlreadyExists, Conflict, Expired, FutureRevision, NotFound, StoreError, StoreUnavailable,
)
from master.store.sql_store import ObjectKey, SqlStore, WatchEvent

__all__ = [
    "AlreadyExists", "Conflict", "Expired", "FutureRevision", "NotFound", "ObjectKey", "SqlStore", "StoreError",
    "StoreUnavailable", "WatchEvent",
]
