"""The revision log's provenance on a real SQLite file: recorded, read back, off when asked, and migrated."""

import sqlite3
import threading
import time

import pytest

from master.store import Expired, ObjectKey, SqlStore
from master.store.provenance import WriteOrigin, recording
from master.store.revision_log import LogQuery

POD = ObjectKey("pods", "default", "web")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "store.db"


@pytest.fixture
def store(db_path):
    s = SqlStore(f"sqlite:///{db_path}")
    yield s
    s.close()


def pod(name="web", image="nginx"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": image}]}}


def test_each_write_records_its_origin_and_commit_time(store):
    before = time.time()
    with recording(WriteOrigin(user="admin", component="kubectl", verb="create")):
        created = store.create(POD, pod())
    with recording(WriteOrigin(user="system:node", component="kubelet/node-1", verb="patch", subresource="status",
                               cause=int(created["metadata"]["resourceVersion"]), note="sandbox 3 ms")):
        store.update(POD, pod(image="nginx:2"), expected_revision=int(created["metadata"]["resourceVersion"]))

    first, second = store.log(LogQuery(resource="pods"))
    assert (first.origin.user, first.origin.component, first.origin.verb, first.origin.cause) == (
        "admin", "kubectl", "create", None)
    assert second.origin == WriteOrigin(user="system:node", component="kubelet/node-1", verb="patch",
                                        subresource="status", cause=first.revision, note="sandbox 3 ms")
    assert before <= first.at <= second.at <= time.time()


def test_a_write_outside_any_request_is_the_apiservers_own(store):
    store.create(POD, pod())
    store.delete(POD)
    created, deleted = store.log(LogQuery(name="web"))
    assert (created.origin.component, created.origin.verb, created.origin.user) == ("apiserver", "create", None)
    assert (deleted.type, deleted.origin.verb) == ("DELETED", "delete")


def test_an_origin_set_in_one_thread_does_not_leak_into_another(store):
    """A context variable is per thread: a concurrent writer elsewhere must not borrow this origin."""
    done = threading.Event()

    def other_writer():
        store.create(ObjectKey("pods", "default", "other"), pod("other"))
        done.set()

    with recording(WriteOrigin(user="admin", component="kubectl")):
        thread = threading.Thread(target=other_writer)
        thread.start()
        thread.join()
    assert done.is_set()
    (other,) = store.log(LogQuery(name="other"))
    assert other.origin.component == "apiserver"


def test_with_recording_off_the_provenance_columns_stay_empty_but_the_time_is_kept(db_path):
    store = SqlStore(f"sqlite:///{db_path}", record_provenance=False)
    try:
        with recording(WriteOrigin(user="admin", component="kubectl", verb="create", cause=7, note="hi")):
            store.create(POD, pod())
        (entry,) = store.log(LogQuery())
        assert entry.origin == WriteOrigin()
        assert entry.at is not None
    finally:
        store.close()


OLD_SCHEMA = """
CREATE TABLE revisions (revision INTEGER NOT NULL PRIMARY KEY, resource VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL, name VARCHAR NOT NULL, event VARCHAR NOT NULL, value TEXT NOT NULL);
CREATE INDEX revisions_by_resource ON revisions (resource, revision);
CREATE TABLE objects (resource VARCHAR NOT NULL, namespace VARCHAR NOT NULL, name VARCHAR NOT NULL,
    revision INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (resource, namespace, name));
CREATE TABLE settings (key VARCHAR NOT NULL PRIMARY KEY, value VARCHAR NOT NULL);
"""


def test_a_database_from_before_provenance_is_migrated_on_open_and_keeps_its_history(db_path):
    old = sqlite3.connect(db_path)
    old.executescript(OLD_SCHEMA)
    value = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default","resourceVersion":"1"}}'
    old.execute("INSERT INTO revisions VALUES (1, 'pods', 'default', 'web', 'ADDED', ?)", (value,))
    old.execute("INSERT INTO objects VALUES ('pods', 'default', 'web', 1, ?)", (value,))
    old.commit()
    old.close()

    store = SqlStore(f"sqlite:///{db_path}")
    try:
        assert store.get(POD)["metadata"]["resourceVersion"] == "1"
        with recording(WriteOrigin(user="admin", component="kubectl", verb="delete")):
            store.delete(POD)
        old_row, new_row = store.log(LogQuery())
        assert (old_row.revision, old_row.at, old_row.origin.user) == (1, None, None)
        assert (new_row.revision, new_row.origin.user, new_row.origin.component) == (2, "admin", "kubectl")
    finally:
        store.close()
    indexes = {row[0] for row in sqlite3.connect(db_path).execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"revisions_by_key", "revisions_by_cause"} <= indexes


def test_a_database_an_older_tinykube_compacted_lists_every_live_object_at_its_newest_revision(db_path):
    """The older compaction dropped the rows of live objects too: a (rev 1) and b (rev 2) lost theirs
    at compacted revision 10, c kept only its write at 12. Migration puts their current rows back."""
    old = sqlite3.connect(db_path)
    old.executescript(OLD_SCHEMA)

    def pod(name: str, revision: int) -> str:
        return (f'{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}","namespace":"default",'
                f'"resourceVersion":"{revision}"}}}}')

    for name, revision in (("a", 1), ("b", 2), ("c", 12)):
        old.execute("INSERT INTO objects VALUES ('pods', 'default', ?, ?, ?)", (name, revision, pod(name, revision)))
    old.execute("INSERT INTO revisions VALUES (12, 'pods', 'default', 'c', 'MODIFIED', ?)", (pod("c", 12),))
    old.execute("INSERT INTO settings VALUES ('compacted', '10')")
    old.commit()
    old.close()

    store = SqlStore(f"sqlite:///{db_path}")
    try:
        assert [p["metadata"]["name"] for p in store.list_at("pods", "default", 12)] == ["a", "b", "c"]
        # Between 10 and 12 the state of c is not known: those revisions are compacted now.
        assert store.compacted_revision == 12
        with pytest.raises(Expired):
            store.list_at("pods", "default", 11)
        with recording(WriteOrigin(user="admin", component="kubectl", verb="delete")):
            store.delete(ObjectKey("pods", "default", "a"))
        assert [p["metadata"]["name"] for p in store.list_at("pods", "default", 13)] == ["b", "c"]
    finally:
        store.close()
