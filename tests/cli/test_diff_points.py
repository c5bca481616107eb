"""`tkctl diff`'s comparison and the points of history a command line names (pure functions, no server)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cli.errors import CommandError
from cli.history.cluster_diff import diff_kind, field_changes
from cli.history.points import parse_moment, parse_point, rfc3339
from objects.kinds import DEPLOYMENT, LEASE, NODE, POD

NOW = datetime(2026, 12, 5, 12, 0, 0, tzinfo=timezone.utc)


def obj(name: str, uid: str, **spec) -> dict:
    return {"metadata": {"name": name, "namespace": "default", "uid": uid, "resourceVersion": uid + "1"},
            "spec": spec}


def test_created_deleted_and_changed_objects_are_one_line_each():
    before = [obj("web", "u1", replicas=3), obj("old", "u2"), obj("same", "u3", replicas=1)]
    after = [obj("web", "u1", replicas=6), obj("new", "u4"), {**obj("same", "u3", replicas=1),
                                                               "metadata": {**obj("same", "u3")["metadata"],
                                                                            "resourceVersion": "99"}}]
    assert [found.line() for found in diff_kind(DEPLOYMENT, before, after)] == [
        "+ deployments.apps default/new",
        "- deployments.apps default/old",
        "~ deployments.apps default/web: spec.replicas 3 -> 6",
    ]


def test_an_object_deleted_and_created_again_under_its_name_is_minus_then_plus():
    lines = [found.line() for found in diff_kind(POD, [obj("web", "u1")], [obj("web", "u2")])]
    assert lines == ["- pods default/web", "+ pods default/web"]


def node(name: str, heartbeat: str, ready: str) -> dict:
    return {"metadata": {"name": name, "uid": name}, "status": {"conditions": [
        {"type": "Ready", "status": ready, "lastHeartbeatTime": heartbeat},
        {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": heartbeat}]}}


def test_heartbeats_are_left_out_unless_asked_for():
    renewed = [obj("node-1", "l1", renewTime="12:00:00")], [obj("node-1", "l1", renewTime="12:00:10")]
    assert diff_kind(LEASE, *renewed) == []
    assert [found.line() for found in diff_kind(LEASE, *renewed, heartbeats=True)] == [
        "~ leases.coordination.k8s.io default/node-1: spec.renewTime 12:00:00 -> 12:00:10"]
    alive = [node("node-1", "12:00:00", "True"), node("node-2", "12:00:00", "True")]
    later = [node("node-1", "12:00:10", "True"), node("node-2", "12:00:10", "Unknown")]
    assert [found.line() for found in diff_kind(NODE, alive, later)] == [
        "~ nodes node-2: status.conditions[Ready].status True -> Unknown"]
    assert len(diff_kind(NODE, alive, later, heartbeats=True)) == 2


def test_changes_are_named_as_the_servers_revisions_name_them():
    before = {"spec": {"containers": [{"name": "app", "image": "a:1"}], "args": ["x"]},
              "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    after = {"spec": {"containers": [{"name": "app", "image": "a:2"}], "args": ["x", "y"]},
             "status": {"conditions": [{"type": "Ready", "status": "True"}]},
             "metadata": {"labels": {"app.kubernetes.io/name": "web"}}}
    assert [(change.path, change.old, change.new) for change in field_changes(before, after)] == [
        ("metadata", None, {"labels": {"app.kubernetes.io/name": "web"}}),  # a new subtree is one change
        ("spec.args", ["x"], ["x", "y"]),
        ("spec.containers[app].image", "a:1", "a:2"),
        ("status.conditions[Ready].status", "False", "True"),
    ]
    assert field_changes({"metadata": {"labels": {}}}, {"metadata": {"labels": {"a.b/c": "1"}}})[0].path == \
        "metadata.labels[a.b/c]"


def test_points_are_revisions_durations_ago_or_times():
    assert parse_point("1234") == 1234
    assert parse_point("5m", now=NOW) == datetime(2026, 12, 5, 11, 55, tzinfo=timezone.utc)
    assert parse_moment("2026-12-05T13:00:00+01:00") == NOW
    assert rfc3339(NOW) == "2026-12-05T12:00:00.000Z"


@pytest.mark.parametrize("text", ["soon", "5", "-5m", "2026-13-45T00:00:00Z"])
def test_a_moment_that_is_neither_a_duration_nor_a_time_is_refused(text):
    with pytest.raises(CommandError):
        parse_moment(text)
