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

from sqlalchemy import bindparam, create_engine, delete, event, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from master.store import revision_log, schema
from master.store.provenance import current_origin
from master.store.revision_log import LogEntry, LogQuery
from master.store.errors import AlreadyExists, Conflict, Expired, FutureRevision, NotFound, StoreUnavailable
from master.store.watch_hub import Subscription, WatchHub

log = logging.getLogger(__name__)

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
# Every conflict means another writer succeeded, so retrying makes progress; the
# deadline only bounds how long one unlucky caller may keep losing.
GUARANTEED_UPDATE_DEADLINE_SECONDS = 10.0
# Revisions dropped per compaction transaction (a few milliseconds of SQLite each).
COMPACTION_BATCH_REVISIONS = 2_000


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
    # The object as the store wrote it (compact JSON): watchers send it as is,
    # so one write is encoded once however many watch streams carry it.
    encoded: str = ""


class SqlStore:
    """The store behind the API server. Thread-safe; one writer at a time.

    Reads (get, list) are answered from memory: the current value of every key
    is loaded at start and replaced after each committed write, as the
    apiserver's watch cache answers reads without asking etcd. The database is
    the durable truth; the memory copy is only ever updated after a commit
    succeeded, so a failed write leaves both unchanged. Objects returned by
    reads are shared: treat them as read-only (guaranteed_update hands
    `mutate` a private copy).

    Every method either does what it says or raises a `StoreError`; a database
    failure is `StoreUnavailable`, never an empty answer.
    """

    def __init__(self, url: str, *, engine: Engine | None = None, record_provenance: bool = True):
        """`record_provenance=False` leaves the provenance columns NULL (to measure what recording costs);
        the commit time `at` is kept either way: retention by age needs it."""
        self.engine = engine or _make_engine(url)
        self.record_provenance = record_provenance
        self.hub = WatchHub()
        self._write_lock = threading.Lock()
        # Writes are serialized anyway, so they share one connection, held open: checking one out
        # of the pool per write was a tenth of a write's cost. Reset after any database error.
        self._writer: Connection | None = None
        self._state_lock = threading.Lock()  # guards _current and _revision together
        self._current: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        with self._translate_errors():
            schema.metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                schema.migrate(conn)
                self._compacted = int(
                    conn.scalar(select(schema.settings.c.value).where(schema.settings.c.key == "compacted")) or 0
                )
                newest = conn.scalar(select(func.max(schema.revisions.c.revision))) or 0
                o = schema.objects.c
                for row in conn.execute(select(o.resource, o.namespace, o.name, o.value)):
                    self._current.setdefault(row.resource, {})[(row.namespace, row.name)] = json.loads(row.value)
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
        with self._state_lock:
            obj = self._current.get(key.resource, {}).get((key.namespace, key.name))
        if obj is None:
            raise NotFound(key)
        return obj

    def list(self, resource: str, namespace: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Every current object of a resource (in one namespace, or all), and the revision of that snapshot."""
        with self._state_lock:
            entries = list(self._current.get(resource, {}).items())
            revision = self._revision
        if namespace is not None:
            entries = [entry for entry in entries if entry[0][0] == namespace]
        entries.sort(key=lambda entry: entry[0])
        return [obj for _, obj in entries], revision

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
            WatchEvent(row.event, row.revision, ObjectKey(resource, row.namespace, row.name), json.loads(row.value),
                       row.value)
            for row in rows
        ]

    def list_at(self, resource: str, namespace: str | None, revision: int) -> list[dict[str, Any]]:
        """Every object of a resource as it was at `revision`, read from the log.

        Expired when compaction has taken the rows that state needs; FutureRevision past the newest write.
        """
        if revision > self._revision:
            raise FutureRevision(revision, self._revision)
        if revision < self._compacted:
            raise Expired(revision, self._compacted)
        with self._translate_errors(), self.engine.begin() as conn:
            items = revision_log.snapshot(conn, resource, namespace, revision)
        if revision < self._compacted:  # compaction ran while we read
            raise Expired(revision, self._compacted)
        return items

    def log(self, query: LogQuery) -> list[LogEntry]:
        """The retained rows of the log that `query` selects (master/store/revision_log.py)."""
        with self._translate_errors(), self.engine.begin() as conn:
            return revision_log.read(conn, query)

    def log_entries(self, revisions: list[int], *, with_previous: bool = False) -> list[LogEntry]:
        """The retained rows of these revisions, oldest first (a missing one was compacted away)."""
        with self._translate_errors(), self.engine.begin() as conn:
            return revision_log.entries(conn, revisions, with_previous=with_previous)

    def caused_by(self, revisions: list[int]) -> list[LogEntry]:
        """The retained writes that reacted to any of `revisions`, oldest first, with their previous rows."""
        with self._translate_errors(), self.engine.begin() as conn:
            return revision_log.caused_by(conn, revisions)

    def subscribe(self, resource: str, deliver: Callable[[WatchEvent], None]) -> Subscription:
        """Receive every write to `resource` committed from now on (see WatchHub)."""
        return self.hub.subscribe(resource, deliver)

    # ----- writes

    def create(self, key: ObjectKey, obj: dict[str, Any]) -> dict[str, Any]:
        with self._write() as (conn, revision, commit):
            if self._current_of(key) is not None:
                raise AlreadyExists(key)
            value = _encode(_with_revision(obj, revision))
            try:
                conn.execute(_INSERT_OBJECT, _row(key, revision, value))
            except IntegrityError:
                raise AlreadyExists(key) from None
            conn.execute(_INSERT_REVISION, self._log_row(key, revision, value, ADDED))
            commit.append(WatchEvent(ADDED, revision, key, json.loads(value), value))
        return commit[0].object

    def update(self, key: ObjectKey, obj: dict[str, Any], *, expected_revision: int) -> dict[str, Any]:
        """Replace the object if its current revision is still `expected_revision` (compare-and-swap)."""
        with self._write() as (conn, revision, commit):
            current = self._current_of(key)
            if current is None:
                raise NotFound(key)
            if int(current["metadata"]["resourceVersion"]) != expected_revision:
                raise Conflict(key)
            value = _encode(_with_revision(obj, revision))
            moved = conn.execute(_UPDATE_OBJECT, {**_key_params(key), "expected": expected_revision,
                                                  "new_revision": revision, "new_value": value}).rowcount
            if moved != 1:  # the memory copy and the table disagree: trust the table, refuse the write
                raise Conflict(key)
            conn.execute(_INSERT_REVISION, self._log_row(key, revision, value, MODIFIED))
            commit.append(WatchEvent(MODIFIED, revision, key, json.loads(value), value))
        return commit[0].object

    def delete(self, key: ObjectKey, *, expected_revision: int | None = None) -> dict[str, Any]:
        """Remove the object; returns its last state, stamped with the revision of the delete."""
        with self._write() as (conn, revision, commit):
            current = self._current_of(key)
            if current is None:
                raise NotFound(key)
            if expected_revision is not None and int(current["metadata"]["resourceVersion"]) != expected_revision:
                raise Conflict(key)
            conn.execute(_DELETE_OBJECT, _key_params(key))
            value = _encode(_with_revision(current, revision))
            conn.execute(_INSERT_REVISION, self._log_row(key, revision, value, DELETED))
            commit.append(WatchEvent(DELETED, revision, key, json.loads(value), value))
        return commit[0].object

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

    def compact(self, keep: int, *, min_age_seconds: float = 0.0, max_revisions: int | None = None) -> int:
        """Trim the log up to a compaction point; returns the compacted revision.

        The point leaves the newest `keep` revisions and every revision younger than
        `min_age_seconds` above it, but never more than `max_revisions` (a busy cluster's
        hour must not fill the disk). At and below it, each key keeps its newest row unless
        that row deleted it (as etcd keeps the state at its compacted revision), so the
        latest write of a live object is never dropped and a list at the compacted
        revision is still answered. Watches and lists from before it are Expired.

        A batch of COMPACTION_BATCH_REVISIONS at a time, each its own transaction: the API
        server writes on its event loop, which must never wait behind one long delete.
        """
        target = self._revision - max(keep, 1)
        if min_age_seconds > 0:
            target = min(target, self._newest_revision_older_than(time.time() - min_age_seconds))
        if max_revisions is not None:
            target = max(target, self._revision - max(max_revisions, keep, 1))
        while self._compacted < target:
            with self._write_lock, self._translate_errors():
                step = min(target, self._compacted + COMPACTION_BATCH_REVISIONS)
                # Published before the rows go: a reader that checks it after reading then
                # answers Expired rather than a state the trim already took rows from.
                previous, self._compacted = self._compacted, step
                try:
                    with self._writer_transaction() as conn:
                        conn.execute(_COMPACT, {"step": step})
                        conn.execute(delete(schema.settings).where(schema.settings.c.key == "compacted"))
                        conn.execute(insert(schema.settings).values(key="compacted", value=str(step)))
                except BaseException:
                    self._compacted = previous
                    raise
        return self._compacted

    def _newest_revision_older_than(self, cutoff: float) -> int:
        """The revision just before the first one committed at or after `cutoff` (rows without a time count
        as old). Walks the log from its oldest row, which is the part compaction is about to trim anyway."""
        young = select(_r.revision).where(_r.at >= cutoff).order_by(_r.revision).limit(1)
        with self._translate_errors(), self.engine.begin() as conn:
            first_young = conn.scalar(young)
        return self._revision if first_young is None else first_young - 1

    def close(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self.engine.dispose()

    # ----- internals

    @contextmanager
    def _write(self) -> Iterator[tuple[Connection, int, list[WatchEvent]]]:
        """One write transaction under the single-writer lock.

        Yields the connection, the revision this write will commit as, and a list
        the body appends its WatchEvent to. Only after the commit succeeded is the
        memory copy moved and the event published, in revision order.
        """
        with self._write_lock, self._translate_errors():
            revision = self._revision + 1
            committed: list[WatchEvent] = []
            with self._writer_transaction() as conn:
                yield conn, revision, committed
            with self._state_lock:
                for change in committed:
                    objects = self._current.setdefault(change.key.resource, {})
                    if change.type == DELETED:
                        objects.pop((change.key.namespace, change.key.name), None)
                    else:
                        objects[(change.key.namespace, change.key.name)] = change.object
                self._revision = revision
            for change in committed:
                self.hub.publish(change)

    @contextmanager
    def _writer_transaction(self) -> Iterator[Connection]:
        """One transaction on the writer connection; the caller holds the write lock."""
        if self._writer is None:
            self._writer = self.engine.connect()
        try:
            with self._writer.begin():
                yield self._writer
        except SQLAlchemyError:
            self._writer.close()  # whatever state it is in, the next write starts on a fresh one
            self._writer = None
            raise

    def _log_row(self, key: ObjectKey, revision: int, value: str, event: str) -> dict[str, Any]:
        """The revision row of a write, stamped with its commit time and, if recorded, its origin."""
        row = {**_row(key, revision, value), "event": event, "at": time.time()}
        if not self.record_provenance:
            return {**row, **_NO_PROVENANCE}
        origin = current_origin()
        return {**row, "user": origin.user, "component": origin.component,
                "verb": origin.verb or _VERB_OF_EVENT[event], "subresource": origin.subresource,
                "cause": _earlier(origin.cause, revision), "note": origin.note}

    def _current_of(self, key: ObjectKey) -> dict[str, Any] | None:
        with self._state_lock:
            return self._current.get(key.resource, {}).get((key.namespace, key.name))

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as error:
            log.error("store query failed: %s", error)
            raise StoreUnavailable(str(error)) from error


# Built once: SQLAlchemy then reuses their compiled form instead of rebuilding
# each statement per write, which dominated the cost of a write.
_o, _r = schema.objects.c, schema.revisions.c
_KEY_MATCH = (_o.resource == bindparam("k_resource"), _o.namespace == bindparam("k_namespace"),
              _o.name == bindparam("k_name"))
_INSERT_OBJECT = insert(schema.objects)
_INSERT_REVISION = insert(schema.revisions)
_UPDATE_OBJECT = (update(schema.objects).where(*_KEY_MATCH, _o.revision == bindparam("expected"))
                  .values(revision=bindparam("new_revision"), value=bindparam("new_value")))
_DELETE_OBJECT = delete(schema.objects).where(*_KEY_MATCH)
# Compaction up to :step drops a row that is a deletion, or that a newer row of its key up to :step
# replaces; what stays at or below :step is exactly the state at :step.
_newer = schema.revisions.alias("newer")
_COMPACT = delete(schema.revisions).where(
    _r.revision <= bindparam("step"),
    or_(_r.event == DELETED,
        exists().where(_newer.c.resource == _r.resource, _newer.c.namespace == _r.namespace,
                       _newer.c.name == _r.name, _newer.c.revision > _r.revision,
                       _newer.c.revision <= bindparam("step"))),
)


_VERB_OF_EVENT = {ADDED: "create", MODIFIED: "update", DELETED: "delete"}
_NO_PROVENANCE = dict.fromkeys(("user", "component", "verb", "subresource", "cause", "note"))


def _earlier(cause: int | None, revision: int) -> int | None:
    """A write can only react to an earlier one: any other claimed cause (a client's bad header)
    would make a cycle a trace never reaches, so it is not kept."""
    return cause if cause is not None and 0 < cause < revision else None


def _key_params(key: ObjectKey) -> dict[str, str]:
    return {"k_resource": key.resource, "k_namespace": key.namespace, "k_name": key.name}


def _row(key: ObjectKey, revision: int, value: str) -> dict[str, Any]:
    return {"resource": key.resource, "namespace": key.namespace, "name": key.name, "revision": revision,
            "value": value}


def _with_revision(obj: dict[str, Any], revision: int) -> dict[str, Any]:
    stored = dict(obj)
    stored["metadata"] = {**obj.get("metadata", {}), "resourceVersion": str(revision)}
    return stored


def _encode(obj: dict[str, Any]) -> str:
    # U+2028 and U+2029 escaped, as Go's encoding/json always does: watch streams carry this text
    # as is, and line readers that split on them (Python's splitlines) would cut an event in two.
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


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
        # The WAL file keeps its largest size unless told otherwise: after a compaction freed tens
        # of MiB it would stay that big. Truncated back to this at each checkpoint.
        cursor.execute("PRAGMA journal_size_limit=67108864")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine
