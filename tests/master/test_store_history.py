"""The store's log read back on a real SQLite file: lists as they were, retention, restarts."""

import pytest

from master.store import Expired, FutureRevision, ObjectKey, SqlStore


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(db_url):
    s = SqlStore(db_url)
    yield s
    s.close()


def pod(name, namespace="default", **labels):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels}}


def key(name, namespace="default"):
    return ObjectKey("pods", namespace, name)


def names(items):
    return [(item["metadata"]["namespace"], item["metadata"]["name"], item["metadata"]["resourceVersion"])
            for item in items]


def test_a_list_at_a_revision_holds_each_keys_newest_write_up_to_it_and_leaves_out_the_deleted(store):
    store.create(key("a"), pod("a"))  # 1
    store.create(key("b"), pod("b"))  # 2
    store.create(key("c", "other"), pod("c", "other"))  # 3
    store.update(key("a"), pod("a", v="2"), expected_revision=1)  # 4
    store.delete(key("b"))  # 5
    store.create(key("b"), pod("b", again="yes"))  # 6

    assert names(store.list_at("pods", None, 2)) == [("default", "a", "1"), ("default", "b", "2")]
    assert names(store.list_at("pods", None, 4)) == [("default", "a", "4"), ("default", "b", "2"),
                                                     ("other", "c", "3")]
    assert names(store.list_at("pods", "default", 5)) == [("default", "a", "4")]
    assert names(store.list_at("pods", "default", 6)) == [("default", "a", "4"), ("default", "b", "6")]
    assert store.list_at("pods", None, 0) == []
    assert store.list_at("pods", None, 6) == store.list("pods")[0]


def test_a_list_past_the_newest_revision_is_a_future_revision(store):
    store.create(key("a"), pod("a"))
    with pytest.raises(FutureRevision):
        store.list_at("pods", None, 2)


def test_a_list_before_the_compacted_revision_is_expired(store):
    for index in range(5):
        store.create(key(f"p{index}"), pod(f"p{index}"))
    store.compact(keep=2, min_age_seconds=0)
    with pytest.raises(Expired):
        store.list_at("pods", None, 2)
    assert len(store.list_at("pods", None, 3)) == 3


def test_compaction_keeps_the_newest_write_of_every_live_object_and_drops_the_deleted(store):
    from master.store.revision_log import LogQuery

    store.create(key("old"), pod("old"))  # 1: never written again
    store.create(key("busy"), pod("busy"))  # 2
    store.create(key("gone"), pod("gone"))  # 3
    store.update(key("busy"), pod("busy", v="2"), expected_revision=2)  # 4
    store.delete(key("gone"))  # 5
    store.update(key("busy"), pod("busy", v="3"), expected_revision=4)  # 6
    store.create(key("new"), pod("new"))  # 7

    assert store.compact(keep=2) == 5
    retained = [(entry.revision, entry.name) for entry in store.log(LogQuery())]
    assert retained == [(1, "old"), (4, "busy"), (6, "busy"), (7, "new")]
    assert names(store.list_at("pods", None, 5)) == [("default", "busy", "4"), ("default", "old", "1")]


def test_revisions_younger_than_the_history_age_survive_compaction_whatever_the_count(store):
    for index in range(6):
        store.create(key(f"p{index}"), pod(f"p{index}"))
    assert store.compact(keep=1, min_age_seconds=3600) == 0
    assert len(store.list_at("pods", None, 1)) == 1  # the oldest state is still answerable
    assert store.compact(keep=1, min_age_seconds=0) == 5


def test_the_revision_cap_compacts_young_revisions_too(store):
    for index in range(6):
        store.create(key(f"p{index}"), pod(f"p{index}"))
    assert store.compact(keep=1, min_age_seconds=3600, max_revisions=2) == 4
    assert [p["metadata"]["name"] for p in store.list_at("pods", None, 4)] == ["p0", "p1", "p2", "p3"]


def test_history_and_provenance_survive_a_restart(db_url):
    from master.store.provenance import WriteOrigin, recording
    from master.store.revision_log import LogQuery

    first = SqlStore(db_url)
    with recording(WriteOrigin(user="admin", component="kubectl", verb="create")):
        first.create(key("web"), pod("web"))
    first.update(key("web"), pod("web", v="2"), expected_revision=1)
    first.compact(keep=1)
    first.close()

    reopened = SqlStore(db_url)
    try:
        assert reopened.compacted_revision == 1
        (entry, newer) = reopened.log(LogQuery(name="web"))
        assert (entry.revision, entry.origin.component, newer.revision) == (1, "kubectl", 2)
        assert names(reopened.list_at("pods", None, 1)) == [("default", "web", "1")]
    finally:
        reopened.close()
