"""Events are deleted a ttl after their last write, by the master's clock, like the apiserver's --event-ttl."""

import pytest

from master.event_expiry import EventExpiry
from master.store import ObjectKey, SqlStore
from tests.support.cluster import Master, wait_for

TTL = 60.0


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def store(tmp_path):
    s = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


def event(name, last_timestamp="2026-01-01T00:00:00Z"):
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web"}, "reason": "Pulled", "message": "m",
            "lastTimestamp": last_timestamp, "count": 1}


def key(name):
    return ObjectKey("events", "default", name)


def names(store):
    return sorted(e["metadata"]["name"] for e in store.list("events")[0])


def test_an_event_is_deleted_once_its_ttl_has_passed_since_it_was_written(store):
    clock = Clock()
    expiry = EventExpiry(store, ttl_seconds=TTL, clock=clock)
    store.create(key("old-timestamp"), event("old-timestamp", "2001-01-01T00:00:00Z"))
    clock.now += TTL - 1
    assert expiry.expire_due() == 0  # a timestamp the client wrote is not the server's clock
    clock.now += 1
    assert expiry.expire_due() == 1
    assert names(store) == []
    expiry.close()


def test_writing_an_event_again_restarts_its_ttl(store):
    clock = Clock()
    expiry = EventExpiry(store, ttl_seconds=TTL, clock=clock)
    created = store.create(key("counted"), event("counted"))
    store.create(key("quiet"), event("quiet"))
    clock.now += TTL / 2
    store.update(key("counted"), {**created, "count": 2}, expected_revision=int(created["metadata"]["resourceVersion"]))
    clock.now += TTL / 2
    assert expiry.expire_due() == 1
    assert names(store) == ["counted"]
    clock.now += TTL / 2
    assert expiry.expire_due() == 1
    assert names(store) == []
    expiry.close()


def test_events_stored_before_a_restart_get_a_fresh_ttl_and_deleted_ones_are_forgotten(store):
    store.create(key("from-before"), event("from-before"))
    clock = Clock()
    expiry = EventExpiry(store, ttl_seconds=TTL, clock=clock)
    store.create(key("gone"), event("gone"))
    store.delete(key("gone"))
    clock.now += TTL
    assert expiry.expire_due() == 1  # "gone" is not deleted twice
    assert names(store) == []
    expiry.close()


def test_a_live_master_deletes_expired_events_and_watchers_see_them_go(tmp_path):
    master = Master(tmp_path / "data", extra_args=["--event-ttl=1"]).start()
    try:
        with master.client() as api:
            answer = api.post("/api/v1/namespaces/default/events", json=event("short-lived"))
            assert answer.status_code == 201, answer.text
            created_at = answer.json()["metadata"]["resourceVersion"]
            wait_for(lambda: api.get("/api/v1/namespaces/default/events/short-lived").status_code == 404,
                     timeout=10, message="the event to expire")
            with api.stream("GET", "/api/v1/namespaces/default/events",
                            params={"watch": "1", "resourceVersion": created_at, "timeoutSeconds": "5"}) as watch:
                first = next(line for line in watch.iter_lines() if line)
            assert '"type":"DELETED"' in first.replace(" ", "") and "short-lived" in first
    finally:
        master.stop()
