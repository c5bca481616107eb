"""The ReplicaSet controller's why: its counts and what holds it back, checked on models (no API)."""

from __future__ import annotations

from master.controllers.cache_view import PodView
from master.controllers.replicaset_report import replica_set_report
from objects.apps import ReplicaSet


def replica_set(replicas: int) -> ReplicaSet:
    return ReplicaSet.model_validate({"metadata": {"name": "web", "namespace": "default", "uid": "rs-1"},
                                      "spec": {"replicas": replicas}})


def pods(count: int, *, ready: int = 0) -> list[PodView]:
    return [PodView({"metadata": {"name": f"web-{i}", "namespace": "default"},
                     "status": {"phase": "Running",
                                "conditions": [{"type": "Ready", "status": "True" if i < ready else "False"}]}})
            for i in range(count)]


def test_a_replica_set_with_its_pods_reports_the_counts():
    report = replica_set_report(replica_set(3), pods(3, ready=2), pending_creations=0, pending_deletions=0,
                                failed_creates=[])
    assert (report.replicas, report.current, report.ready) == (3, 3, 2)
    assert report.message == "3 of 3 pods, 2 Ready"
    assert report.metadata.uid == "rs-1"


def test_a_short_replica_set_names_its_last_refused_create_and_keeps_only_the_latest_few():
    refusals = [f"Error creating: refusal {i}" for i in range(5)]
    report = replica_set_report(replica_set(3), pods(1, ready=1), pending_creations=0, pending_deletions=0,
                                failed_creates=refusals)
    assert report.failed_creates == refusals[-3:]
    assert report.message == "short of 2: its last create was refused (Error creating: refusal 4); 1 of 3 pods, 1 Ready"


def test_a_short_replica_set_waiting_on_its_expectations_says_so():
    report = replica_set_report(replica_set(3), pods(1), pending_creations=2, pending_deletions=0, failed_creates=[])
    assert report.pending_creations == 2
    assert report.message.startswith("short of 2: it waits to see the 2 it created before creating more")


def test_too_many_pods_waiting_for_deletions_to_show():
    report = replica_set_report(replica_set(1), pods(3), pending_creations=0, pending_deletions=2, failed_creates=[])
    assert report.message.startswith("2 too many: it waits to see the 2 it deleted go")
