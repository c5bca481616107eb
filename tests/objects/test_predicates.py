"""What the models say about the objects they hold: ownership, readiness, availability, desired replicas."""

from __future__ import annotations

from datetime import datetime, timezone

from objects.apps import Deployment, ReplicaSet
from objects.meta import ObjectMeta, OwnerReference, parse_time
from objects.pod import Pod

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def pod(*, phase="Running", ready=None, since="2024-05-01T11:59:50Z", deleted=False) -> Pod:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready, "lastTransitionTime": since}]
    meta = {"name": "web", "deletionTimestamp": "2024-05-01T12:00:00Z"} if deleted else {"name": "web"}
    return Pod.model_validate({"metadata": meta, "status": {"phase": phase, "conditions": conditions}})


def test_the_controller_reference_is_the_one_marked_controller():
    meta = ObjectMeta.model_validate({"ownerReferences": [
        {"kind": "Deployment", "name": "web", "uid": "a"},
        {"kind": "ReplicaSet", "name": "web-1", "uid": "b", "controller": True},
    ]})
    assert meta.controller_ref().uid == "b"
    assert meta.is_controlled_by("b") and not meta.is_controlled_by("a")
    assert ObjectMeta().controller_ref() is None and not ObjectMeta().is_controlled_by(None)


def test_a_controller_reference_names_its_owner_and_blocks_its_deletion():
    owner = ObjectMeta(name="web", uid="u1")
    ref = OwnerReference.to_controller(owner, api_version="apps/v1", kind="ReplicaSet")
    assert ref.to_wire() == {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u1",
                             "controller": True, "blockOwnerDeletion": True}


def test_a_pod_is_active_until_it_finishes_or_is_deleted():
    assert pod().is_active
    assert not pod(phase="Succeeded").is_active and not pod(phase="Failed").is_active
    assert not pod(deleted=True).is_active


def test_a_pod_is_ready_only_while_its_ready_condition_is_true():
    assert pod(ready="True").is_ready
    assert not pod(ready="False").is_ready and not pod().is_ready


def test_a_ready_pod_becomes_available_after_min_ready_seconds():
    ready_ten_seconds = pod(ready="True", since="2024-05-01T11:59:50Z")
    assert ready_ten_seconds.is_available(0, NOW) and ready_ten_seconds.is_available(10, NOW)
    assert ready_ten_seconds.seconds_until_available(30, NOW) == 20.0
    assert pod(ready="False").seconds_until_available(30, NOW) is None
    assert pod(ready="True", since="").seconds_until_available(30, NOW) == 30.0  # transition time unknown: wait it all


def test_unset_replicas_mean_one():
    assert ReplicaSet().replicas == 1 and Deployment.model_validate({"spec": {}}).replicas == 1
    assert ReplicaSet.model_validate({"spec": {"replicas": 0}}).replicas == 0


def test_times_are_read_in_utc_and_garbage_is_no_time():
    assert parse_time("2024-05-01T12:00:00Z") == NOW
    assert parse_time("2024-05-01T12:00:00.000000Z") == NOW
    assert parse_time("yesterday") is None and parse_time(None) is None
