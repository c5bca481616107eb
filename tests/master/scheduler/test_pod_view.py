"""PodView: what the scheduler's informer handlers ask of every pod event, straight from its JSON."""

from __future__ import annotations

import pytest

from master.scheduler.scheduler import PodView


def pod(**changes) -> dict:
    wire = {"metadata": {"name": "p", "namespace": "ns", "labels": {"app": "a"}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}, "status": {"phase": "Pending"}}
    for path, value in changes.items():
        section, field = path.split("__")
        wire[section][field] = value
    return wire


@pytest.mark.parametrize("changes, needed", [
    ({}, True),
    ({"spec__schedulerName": "default-scheduler"}, True),
    ({"spec__nodeName": "n1"}, False),
    ({"metadata__deletionTimestamp": "2024-05-01T12:00:00Z"}, False),
    ({"status__phase": "Succeeded"}, False),
    ({"status__phase": "Failed"}, False),
    ({"spec__schedulerName": "my-scheduler"}, False),
    ({"spec__schedulerName": ""}, False),
], ids=["pending", "named-default", "bound", "deleting", "succeeded", "failed", "other-scheduler", "empty-name"])
def test_only_an_unbound_live_unfinished_pod_of_ours_needs_scheduling(changes, needed):
    assert PodView(pod(**changes)).needs_scheduling is needed


def test_a_status_write_is_no_change_to_what_filters_read_but_spec_and_labels_are():
    old = PodView(pod())
    assert not PodView(pod(status__conditions=[{"type": "PodScheduled", "status": "False"}])).placement_change(old)
    assert PodView(pod(metadata__labels={"app": "b"})).placement_change(old)
    assert PodView(pod(spec__nodeSelector={"zone": "a"})).placement_change(old)
    assert PodView(pod()).key == "ns/p"
