"""A DaemonSet's ControllerRevisions, kept by its controller against a live master, and collected with it."""

from __future__ import annotations

from typing import Any

import pytest

from master.controllers.daemonset import DaemonSetController
from master.controllers.daemonset_history import CONTROLLER_REVISION_HASH, matches
from master.controllers.garbage_collector import GarbageCollector
from objects.apps import ControllerRevision, DaemonSet
from objects.history import patch_bytes, template_patch
from objects.kinds import CONTROLLER_REVISION, DAEMONSET, POD
from tests.master.controllers.test_daemonset import HollowKubelets, daemon_set, set_image, unique
from tests.master.controllers.test_replicaset import start_controllers
from tests.support.cluster import Master, wait_for

TIMEOUT = 20.0


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("daemonset-history") / "data", extra_args=["--time-scale", "0.05"]).start()
    yield server
    server.stop()


@pytest.fixture
def controllers(master):
    stop = start_controllers(master, DaemonSetController, GarbageCollector)
    yield
    stop.set()


def revisions(client, namespace: str) -> dict[int, dict[str, Any]]:
    return {r["revision"]: r for r in client.list(CONTROLLER_REVISION, namespace)["items"]}


def images(client, namespace: str) -> dict[int, str]:
    """revision number -> the image its data restores."""
    return {number: r["data"]["spec"]["template"]["spec"]["containers"][0]["image"]
            for number, r in revisions(client, namespace).items()}


def wait_for_images(client, namespace: str, wanted: dict[int, str]) -> None:
    wait_for(lambda: images(client, namespace) == wanted, timeout=TIMEOUT, message=f"revisions {wanted}")


# ----- the revision data, as a pure function


def test_the_data_is_the_patch_kubectl_builds_from_the_live_template():
    template = {"spec": {"containers": [{"name": "agent", "image": "nginx:1"}]}, "metadata": {"labels": {"app": "a"}}}
    assert patch_bytes(template_patch(template)) == (
        '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"a"}},'
        '"spec":{"containers":[{"image":"nginx:1","name":"agent","resources":{}}]}}}}')


def test_a_template_matches_its_revision_whatever_empty_values_either_spells():
    ds = DaemonSet.model_validate({"spec": {"template": {
        "metadata": {"labels": {"app": "a"}},
        "spec": {"containers": [{"name": "agent", "image": "nginx:1", "resources": {}}]}}}})
    revision = ControllerRevision.model_validate({"data": {"spec": {"template": {
        "$patch": "replace", "metadata": {"labels": {"app": "a"}},
        "spec": {"containers": [{"name": "agent", "image": "nginx:1"}]}}}}})
    assert matches(ds, revision)
    ds.spec.template.spec.containers[0].image = "nginx:2"
    assert not matches(ds, revision)


# ----- against a live master


def test_a_new_daemon_set_gets_revision_1_named_after_its_hash_and_controlled_by_it(client, namespace, controllers):
    ds = daemon_set("agent")
    ds["metadata"]["annotations"] = {"kubernetes.io/change-cause": "first"}
    created = client.create(DAEMONSET, ds, namespace)

    wait_for_images(client, namespace, {1: "tinykube/bootcamp:v1"})
    revision = revisions(client, namespace)[1]
    hash_ = revision["metadata"]["labels"][CONTROLLER_REVISION_HASH]
    assert revision["metadata"]["name"] == f"agent-{hash_}"
    assert revision["metadata"]["labels"] == {"app": "agent", CONTROLLER_REVISION_HASH: hash_}
    assert revision["metadata"]["annotations"] == {"kubernetes.io/change-cause": "first"}
    assert revision["metadata"]["ownerReferences"] == [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": created["metadata"]["uid"],
         "controller": True, "blockOwnerDeletion": True}]
    wait_for(lambda: (client.get(DAEMONSET, "agent", namespace).get("status") or {}).get("observedGeneration") == 1,
             timeout=TIMEOUT, message="generation 1 observed")


def test_each_new_template_is_a_new_revision_and_an_old_one_coming_back_is_renumbered(client, namespace, controllers):
    client.create(DAEMONSET, daemon_set("agent"), namespace)
    wait_for_images(client, namespace, {1: "tinykube/bootcamp:v1"})
    first_uid = revisions(client, namespace)[1]["metadata"]["uid"]

    set_image(client, namespace, "agent", "tinykube/bootcamp:v2")
    wait_for_images(client, namespace, {1: "tinykube/bootcamp:v1", 2: "tinykube/bootcamp:v2"})

    set_image(client, namespace, "agent", "tinykube/bootcamp:v1")  # what `rollout undo` amounts to
    wait_for_images(client, namespace, {2: "tinykube/bootcamp:v2", 3: "tinykube/bootcamp:v1"})
    assert revisions(client, namespace)[3]["metadata"]["uid"] == first_uid  # the same object, renumbered


def test_old_revisions_beyond_the_history_limit_are_deleted_oldest_first(client, namespace, controllers):
    ds = daemon_set("agent")
    ds["spec"]["revisionHistoryLimit"] = 2
    client.create(DAEMONSET, ds, namespace)
    wait_for_images(client, namespace, {1: "tinykube/bootcamp:v1"})
    for number in (2, 3, 4):
        set_image(client, namespace, "agent", f"tinykube/bootcamp:v{number}")
        wait_for(lambda: max(images(client, namespace)) == number, timeout=TIMEOUT, message=f"revision {number}")

    wait_for_images(client, namespace, {2: "tinykube/bootcamp:v2", 3: "tinykube/bootcamp:v3",
                                        4: "tinykube/bootcamp:v4"})


def test_a_revision_a_pod_still_runs_outlives_the_history_limit_and_its_hash_is_the_pods_label(
        client, namespace, controllers):
    hollow = HollowKubelets(client, namespace)
    try:
        hollow.register(unique("node"))
        ds = daemon_set("agent", strategy="OnDelete")  # the pod keeps the first template
        ds["spec"]["revisionHistoryLimit"] = 0
        client.create(DAEMONSET, ds, namespace)
        pod = wait_for(lambda: next(iter(client.list(POD, namespace)["items"]), None), timeout=TIMEOUT,
                       message="the daemon pod")
        wait_for_images(client, namespace, {1: "tinykube/bootcamp:v1"})
        first = revisions(client, namespace)[1]
        assert pod["metadata"]["labels"][CONTROLLER_REVISION_HASH] == \
            first["metadata"]["labels"][CONTROLLER_REVISION_HASH]

        set_image(client, namespace, "agent", "tinykube/bootcamp:v2")
        wait_for(lambda: 2 in images(client, namespace), timeout=TIMEOUT, message="revision 2")
        set_image(client, namespace, "agent", "tinykube/bootcamp:v3")

        # revision 2 runs nowhere and goes; revision 1 stays, for the pod that runs it
        wait_for_images(client, namespace, {1: "tinykube/bootcamp:v1", 3: "tinykube/bootcamp:v3"})
    finally:
        hollow.close()


def test_deleting_the_daemon_set_collects_its_revisions(client, namespace, controllers):
    client.create(DAEMONSET, daemon_set("agent"), namespace)
    wait_for_images(client, namespace, {1: "tinykube/bootcamp:v1"})
    set_image(client, namespace, "agent", "tinykube/bootcamp:v2")
    wait_for(lambda: len(revisions(client, namespace)) == 2, timeout=TIMEOUT, message="two revisions")

    client.delete(DAEMONSET, "agent", namespace)

    wait_for(lambda: not revisions(client, namespace), timeout=TIMEOUT, message="the revisions collected")
