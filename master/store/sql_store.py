"""SqlStore: the revision log and current objects on SQLAlchemy (SQLite by default)."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from master.store import schema
from master.store.errors import AlreadyExists, Conflict, Expired, NotFound, StoreUnavailable
from master.store.watch_hub import Subscription, WatchHub

log = logging.getLogger(__name__)

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
# Every conflict means another writer succeeded, so retrying makes progress; the
# deadline only bounds how long one unlucky caller may keep losing.
GUARANTEED_UPDATE_DEADLINE_SECONDS = 10.0


@dataclass(frozen=True)
class ObjectKey:
    resource: str  # group-qualified plural: "pods", "deployments.apps"
    namespace: str  # "" for cluster-scoped kinds
    name: str


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED | MODIFIED | DELETED
    revision: int
    key: ObjectKey
    object: dict[str, Any]


class SqlStore:
    """The store behind the API server. Thread-safe; one writer at a time.

    Every method either does what it says or raises a `StoreError`; a database
    failure is `StoreUnavailable`, never an empty answer.
    """

    def __init__(self, url: str, *, engine: Engine | None = None):
        self.engine = engine or _make_engine(url)
        self.hub = WatchHub()
        self._write_lock = threading.Lock()
        with self._translate_errors():
            schema.metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                self._compacted = int(
                    conn.scalar(select(schema.settings.c.value).where(schema.settings.c.key == "compacted")) or 0
                )
                newest = conn.scalar(select(func.max(schema.revisions.c.revision))) or 0
        self._revision = max(newest, self._compacted)

    # ----- reads

    @property
    def revision(self) -> int:
        """The revision of the newest committed write."""
        return self._revision

    @property
    def compacted_revision(self) -> int:
        return self._compacted

    def get(self, key: ObjectKey) -> dict[str, Any]:
        with self._translate_errors(), self.engine.begin() as conn:
            value = conn.scalar(select(schema.objects.c.value).where(*_key_clause(key)))
        if value is None:
            raise NotFound(key)
        return json.loads(value)

    def list(self, resource: str, namespace: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Every current object of a resource (in one namespace, or all), and the revision of that snapshot."""
        query = select(schema.objects.c.value).where(schema.objects.c.resource == resource)
        if namespace is not None:
            query = query.where(schema.objects.c.namespace == namespace)
        query = query.order_by(schema.objects.c.namespace, schema.objects.c.name)
        with self._translate_errors(), self.engine.begin() as conn:
            rows = conn.scalars(query).all()
            # Same read transaction: the revision describes exactly this snapshot.
            revision = conn.scalar(select(func.max(schema.revisions.c.revision))) or self._compacted
        return [json.loads(value) for value in rows], revision

    def events_since(self, resource: str, revision: int) -> list[WatchEvent]:
        """Every write to `resource` after `revision`, oldest first; Expired if compaction took some."""
        if revision < self._compacted:
            raise Expired(revision, self._compacted)
        r = schema.revisions.c
        query = (
            select(r.revision, r.event, r.namespace, r.name, r.value)
            .where(r.resource == resource, r.revision > revision)
            .order_by(r.revision)
        )
        with self._translate_errors(), self.engine.begin() as conn:
            rows = conn.execute(query).all()
        if revision < self._compacted:  # compaction ran while we read
            raise Expired(revision, self._compacted)
        return [
            WatchEvent(row.event, row.revision, ObjectKey(resource, row.namespace, row.name), json.loads(row.value))
            for row in rows
        ]

    def subscribe(self, resource: str, deliver: Callable[[WatchEvent], None]) -> Subscription:
        """Receive every write to `resource` committed from now on (see WatchHub)."""
        return self.hub.subscribe(resource, deliver)

    # ----- writes

    def create(self, key: ObjectKey, obj: dict[str, Any]) -> dict[str, Any]:
        with self._write() as (conn, revision):
            stored = _with_revision(obj, revision)
            value = _encode(stored)
            try:
                conn.execute(insert(schema.objects).values(
                    resource=key.resource, namespace=key.namespace, name=key.name, revision=revision, value=value,
                ))
            except IntegrityError:
                raise AlreadyExists(key) from None
            self._append(conn, key, revision, ADDED, value)
        self._committed(WatchEvent(ADDED, revision, key, stored))
        return stored

    def update(self, key: ObjectKey, obj: dict[str, Any], *, expected_revision: int) -> dict[str, Any]:
        """Replace the object if its current revision is still `expected_revision` (compare-and-swap)."""
        with self._write() as (conn, revision):
            stored = _with_revision(obj, revision)
            value = _encode(stored)
            moved = conn.execute(
                update(schema.objects)
                .where(*_key_clause(key), schema.objects.c.revision == expected_revision)
                .values(revision=revision, value=value)
            ).rowcount
            if moved != 1:
                self._raise_missing_or_conflict(conn, key)
            self._append(conn, key, revision, MODIFIED, value)
        self._committed(WatchEvent(MODIFIED, revision, key, stored))
        return stored

    def delete(self, key: ObjectKey, *, expected_revision: int | None = None) -> dict[str, Any]:
        """Remove the object; returns its last state, stamped with the revision of the delete."""
        with self._write() as (conn, revision):
            current = conn.execute(
                select(schema.objects.c.revision, schema.objects.c.value).where(*_key_clause(key))
            ).first()
            if current is None:
                raise NotFound(key)
            if expected_revision is not None and current.revision != expected_revision:
                raise Conflict(key)
            conn.execute(delete(schema.objects).where(*_key_clause(key)))
            last = _with_revision(json.loads(current.value), revision)
            self._append(conn, key, revision, DELETED, _encode(last))
        self._committed(WatchEvent(DELETED, revision, key, last))
        return last

    def guaranteed_update(
        self, key: ObjectKey, mutate: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """Read, mutate, compare-and-swap; retry on Conflict, as the apiserver's GuaranteedUpdate does.

        `mutate` gets a private copy of the current object and returns the new one,
        or None to leave it unchanged (then nothing is written). It may raise to abort.
        """
        deadline = time.monotonic() + GUARANTEED_UPDATE_DEADLINE_SECONDS
        while time.monotonic() < deadline:
            current = self.get(key)
            revision = int(current["metadata"]["resourceVersion"])
            changed = mutate(copy.deepcopy(current))
            if changed is None:
                return current
            try:
                return self.update(key, changed, expected_revision=revision)
            except Conflict:
                continue
        raise Conflict(key)

    def compact(self, keep: int) -> int:
        """Drop log rows older than the newest `keep` revisions; returns the compacted revision."""
        with self._write_lock, self._translate_errors(), self.engine.begin() as conn:
            target = self._revision - max(keep, 1)
            if target <= self._compacted:
                return self._compacted
            conn.execute(delete(schema.revisions).where(schema.revisions.c.revision <= target))
            conn.execute(delete(schema.settings).where(schema.settings.c.key == "compacted"))
            conn.execute(insert(schema.settings).values(key="compacted", value=str(target)))
            self._compacted = target
        return target

    def close(self) -> None:
        self.engine.dispose()

    # ----- internals

    @contextmanager
    def _write(self) -> Iterator[tuple[Connection, int]]:
        """One write transaction under the single-writer lock, with the revision it will commit as."""
        with self._write_lock, self._translate_errors():
            revision = self._revision + 1
            with self.engine.begin() as conn:
                yield conn, revision
            self._revision = revision

    def _committed(self, event: WatchEvent) -> None:
        self.hub.publish(event)

    @staticmethod
    def _append(conn: Connection, key: ObjectKey, revision: int, event_type: str, value: str) -> None:
        conn.execute(insert(schema.revisions).values(
            revision=revision, resource=key.resource, namespace=key.namespace, name=key.name,
            event=event_type, value=value,
        ))

    @staticmethod
    def _raise_missing_or_conflict(conn: Connection, key: ObjectKey) -> None:
        exists = conn.scalar(select(schema.objects.c.revision).where(*_key_clause(key)))
        raise (NotFound(key) if exists is None else Conflict(key))

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as error:
            log.error("store query failed: %s", error)
            raise StoreUnavailable(str(error)) from error


def _key_clause(key: ObjectKey) -> tuple:
    c = schema.objects.c
    return (c.resource == key.resource, c.namespace == key.namespace, c.name == key.name)


def _with_revision(obj: dict[str, Any], revision: int) -> dict[str, Any]:
    stored = dict(obj)
    stored["metadata"] = {**obj.get("metadata", {}), "resourceVersion": str(revision)}
    return stored


def _encode(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8, max_overflow=24,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below start every transaction, reads included:
        # pysqlite would otherwise run SELECTs outside a transaction and a list
        # and its revision could come from two different snapshots.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across a crash of the process in WAL mode
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine
