"""Read a test master's revision log straight from its SQLite file: each write with its provenance.

The API serves the same rows (GET /apis/tinykube.io/v1alpha1/revisions); reading
the table keeps a component's tests about what it wrote, apart from how the log
is served.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLUMNS = "revision, resource, namespace, name, event, value, at, component, verb, subresource, cause, note"


@dataclass(frozen=True)
class Row:
    revision: int
    resource: str  # group-qualified plural; "pods/explanation" for what the store keeps beside a pod
    namespace: str
    name: str
    event: str  # ADDED | MODIFIED | DELETED
    object: dict[str, Any]
    at: float | None
    component: str | None
    verb: str | None
    subresource: str | None
    cause: int | None
    note: str | None


def revision_rows(data_dir: Path, *, resource: str | None = None, namespace: str | None = None,
                  name: str | None = None) -> list[Row]:
    """The log rows (oldest first) of the master whose data directory is `data_dir`, optionally of one key."""
    where, params = [], []
    for column, value in (("resource", resource), ("namespace", namespace), ("name", name)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    query = f"SELECT {COLUMNS} FROM revisions {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY revision"
    with sqlite3.connect(f"file:{data_dir / 'tinykube.db'}?mode=ro", uri=True, timeout=10) as db:
        raw = db.execute(query, params).fetchall()
    return [Row(*row[:5], json.loads(row[5]), *row[6:]) for row in raw]


def revision(data_dir: Path, number: int) -> Row | None:
    """One row of the log by its revision, or None (compacted, or never written)."""
    with sqlite3.connect(f"file:{data_dir / 'tinykube.db'}?mode=ro", uri=True, timeout=10) as db:
        row = db.execute(f"SELECT {COLUMNS} FROM revisions WHERE revision = ?", (number,)).fetchone()
    return Row(*row[:5], json.loads(row[5]), *row[6:]) if row else None
