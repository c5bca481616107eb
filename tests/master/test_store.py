"""The store on a real SQLite file: CAS, replay, compaction, restart, concurrency, failures."""

import threading

import pytest
from sqlalchemy import text

from master.store import AlreadyExists, Conflict, Expired, NotFound, ObjectKey, SqlStore, StoreUnavailable

POD = ObjectKey("pods", "default", "web")


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(db_url):
    s = SqlStore(db_url)
    yield s
    s.close()


def pod(name="web", **labels):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "labels": labels}}


def test_every_write_gets_the_next_global_revision_as_its_resource_version(store):
    first = store.create(POD, pod())
    other = store.create(ObjectKey("nodes", "", "n1"), {"metadata": {"name": "n1"}})
    updated = store.update(POD, first, expected_revision=1)
    assert [first["metadata"]["resourceVersion"], other["metadata"]["resourceVersion"],
            updated["metadata"]["resourceVersion"]] == ["1", "2", "3"]
    assert store.revision == 3


def test_create_of_an_existing_name_is_already_exists(store):
    store.create(POD, pod())
    with pytest.raises(AlreadyExists):
        store.create(POD, pod())
    assert store.revision == 1  # the failed create wrote nothing


def test_update_with_stale_resource_version_is_a_conflict(store):
    created = store.create(POD, pod())
    store.update(POD, pod(tier="a"), expected_revision=1)
    with pytest.raises(Conflict):
        store.update(POD, pod(tier="b"), expected_revision=int(created["metadata"]["resourceVersion"]))
    assert store.get(POD)["metadata"]["labels"] == {"tier": "a"}


def test_update_and_delete_of_a_missing_object_are_not_found(store):
    with pytest.raises(NotFound):
        store.update(POD, pod(), expected_revision=1)
    with pytest.raises(NotFound):
        store.delete(POD)
    with pytest.raises(NotFound):
        store.get(POD)


def test_delete_returns_the_last_state_stamped_with_the_delete_revision(store):
    store.create(POD, pod(tier="a"))
    gone = store.delete(POD)
    assert gone["metadata"]["labels"] == {"tier": "a"}
    assert gone["metadata"]["resourceVersion"] == "2"
    assert store.list("pods") == ([], 2)


def test_list_returns_the_snapshot_revision_and_filters_by_namespace(store):
    store.create(POD, pod())
    store.create(ObjectKey("pods", "other", "db"), pod("db"))
    items, revision = store.list("pods", "default")
    assert [i["metadata"]["name"] for i in items] == ["web"]
    assert revision == 2
    assert len(store.list("pods")[0]) == 2


def test_watch_replays_every_write_after_a_revision_in_order(store):
    store.create(POD, pod())
    store.update(POD, pod(v="2"), expected_revision=1)
    store.create(ObjectKey("nodes", "", "n1"), {"metadata": {"name": "n1"}})  # another resource
    store.delete(POD)
    events = store.events_since("pods", 1)
    assert [(e.type, e.revision) for e in events] == [("MODIFIED", 2), ("DELETED", 4)]


def test_watch_from_a_compacted_revision_is_expired(store):
    for i in range(10):
        store.create(ObjectKey("pods", "default", f"p{i}"), pod(f"p{i}"))
    assert store.compact(keep=3) == 7
    with pytest.raises(Expired):
        store.events_since("pods", 2)
    assert [e.revision for e in store.events_since("pods", 7)] == [8, 9, 10]


def test_compaction_goes_in_batches_and_each_batch_moves_the_compacted_revision(store, db_url, monkeypatch):
    import master.store.sql_store as sql_store

    monkeypatch.setattr(sql_store, "COMPACTION_BATCH_REVISIONS", 3)
    store.create(POD, pod())
    for revision in range(1, 10):
        store.update(POD, pod(n=str(revision)), expected_revision=revision)
    assert store.compact(keep=2) == 8  # 0 -> 3 -> 6 -> 8
    with pytest.raises(Expired):
        store.events_since("pods", 7)
    assert [e.revision for e in store.events_since("pods", 8)] == [9, 10]
    with store.engine.connect() as conn:  # the pod's write at 8 stays: it is its state at the compacted revision
        assert conn.execute(text("select min(revision) from revisions")).scalar() == 8
    reopened = SqlStore(db_url)
    try:
        assert reopened.compacted_revision == 8
    finally:
        reopened.close()


def test_a_watch_line_never_holds_a_raw_line_separator(store):
    """U+2028 and U+2029 go out escaped, as Go's encoding/json writes them: line readers that split
    on them (Python's splitlines, httpx's iter_lines) would otherwise cut an event in two."""
    created = store.create(POD, pod(note="a\u2028b\u2029c"))
    assert created["metadata"]["labels"]["note"] == "a\u2028b\u2029c"
    (event,) = store.events_since("pods", 0)
    assert "\u2028" not in event.encoded and "\u2029" not in event.encoded
    assert "\\u2028" in event.encoded


def test_restart_loses_nothing(db_url):
    first = SqlStore(db_url)
    created = first.create(POD, {**pod(), "metadata": {**pod()["metadata"], "uid": "u-1",
                                                         "creationTimestamp": "2026-01-01T00:00:00Z"}})
    first.create(ObjectKey("pods", "default", "gone"), pod("gone"))
    first.delete(ObjectKey("pods", "default", "gone"))
    first.compact(keep=1)
    first.close()

    second = SqlStore(db_url)
    assert second.get(POD) == created
    assert second.revision == 3
    assert second.compacted_revision == 2
    assert second.create(ObjectKey("pods", "default", "next"), pod("next"))["metadata"]["resourceVersion"] == "4"
    with pytest.raises(Expired):
        second.events_since("pods", 1)
    second.close()


def test_concurrent_writers_lose_no_update(store):
    store.create(POD, {**pod(), "count": 0})

    def increment(obj):
        obj["count"] += 1
        return obj

    def worker():
        for _ in range(50):
            store.guaranteed_update(POD, increment)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(POD)["count"] == 400
    assert store.revision == 401


def test_concurrent_creates_of_one_name_succeed_exactly_once(store):
    outcomes = []

    def worker():
        try:
            store.create(POD, pod())
            outcomes.append("created")
        except AlreadyExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created"] + ["exists"] * 7


def test_live_subscribers_see_each_commit_once_in_order(store):
    seen = []
    subscription = store.subscribe("pods", seen.append)
    store.create(POD, pod())
    store.create(ObjectKey("nodes", "", "n1"), {"metadata": {"name": "n1"}})
    store.delete(POD)
    subscription.close()
    store.create(ObjectKey("pods", "default", "after"), pod("after"))
    assert [(e.type, e.revision) for e in seen] == [("ADDED", 1), ("DELETED", 3)]


def test_a_failed_query_is_an_error_never_not_found_or_empty(store):
    # Guards against kine's lost-delete bug: a broken query must not look like absence.
    store.create(POD, pod())
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE revisions"))
    with pytest.raises(StoreUnavailable):
        store.events_since("pods", 0)
    with pytest.raises(StoreUnavailable):
        store.delete(POD)


def test_a_failed_write_changes_nothing_readers_see(store):
    created = store.create(POD, pod())
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE revisions"))
    with pytest.raises(StoreUnavailable):
        store.update(POD, pod(tier="lost"), expected_revision=1)
    assert store.get(POD) == created
    assert store.revision == 1


def test_reads_are_served_from_memory_and_match_the_database_after_a_restart(db_url):
    first = SqlStore(db_url)
    for i in range(5):
        first.create(ObjectKey("pods", "default", f"p{i}"), pod(f"p{i}"))
    first.update(ObjectKey("pods", "default", "p1"), pod("p1", v="2"), expected_revision=2)
    first.delete(ObjectKey("pods", "default", "p3"))
    in_memory = first.list("pods")
    first.close()
    assert SqlStore(db_url).list("pods") == in_memory
