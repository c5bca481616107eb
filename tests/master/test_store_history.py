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
