"""The garbage collector against a live master: background, orphan and foreground deletion, dangling owners.

Only the collector runs, so the owners and dependents here are written by the
test itself, exactly as a controller would write them.
"""

from __future__ import annotations

import pytest

from master.controllers.garbage_collector import GarbageCollector
from objects.kinds import POD, REPLICASET
from tests.master.controllers.test_replicaset import replica_set, start_controllers, template
from tests.support.cluster import wait_for




@pytest.fixture
def collector(master):
    stop = start_controllers(master, GarbageCollector)
    yield
    stop.set()


def owner_ref(owner, *, block=True):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": block}


def dependent_pod(client, namespace, name, *owner_refs, finalizers=None):
    meta = {"name": name, "labels": {"app": "web"}, "ownerReferences": list(owner_refs)}
    if finalizers:
        meta["finalizers"] = finalizers
    return client.create(POD, {"metadata": meta, "spec": template("web")["spec"]}, namespace)


def pod_names(client, namespace):
    return {p["metadata"]["name"] for p in client.list(POD, namespace)["items"]}


def test_deleting_an_owner_deletes_its_dependents_in_the_background(client, namespace, collector):
    rs = client.create(REPLICASET, replica_set("web", 0), namespace)
    for name in ("a", "b"):
        dependent_pod(client, namespace, name, owner_ref(rs))

    client.delete(REPLICASET, "web", namespace)

    wait_for(lambda: not pod_names(client, namespace), message="dependents collected")


def test_orphan_propagation_keeps_the_dependents_and_strips_their_reference(client, namespace, collector, kubectl):
    rs = client.create(REPLICASET, replica_set("web", 0), namespace)
    dependent_pod(client, namespace, "a", owner_ref(rs))

    kubectl("delete", "replicaset/web", "--cascade=orphan", "-n", namespace)

    wait_for(lambda: not client.list(REPLICASET, namespace)["items"], message="owner gone")
    kept = client.get(POD, "a", namespace)
    assert not kept["metadata"].get("ownerReferences") and not kept["metadata"].get("deletionTimestamp")


def test_foreground_propagation_holds_the_owner_until_blocking_dependents_are_gone(client, namespace, collector):
    rs = client.create(REPLICASET, replica_set("web", 0), namespace)
    dependent_pod(client, namespace, "held", owner_ref(rs), finalizers=["example.com/hold"])

    client.delete(REPLICASET, "web", namespace, propagation_policy="Foreground")

    held = wait_for(lambda: (p := client.get(POD, "held", namespace))["metadata"].get("deletionTimestamp") and p,
                    message="dependent deleted first")
    owner = client.get(REPLICASET, "web", namespace)
    assert owner["metadata"]["finalizers"] == ["foregroundDeletion"] and owner["metadata"]["deletionTimestamp"]

    release = {"metadata": {"finalizers": None, "resourceVersion": held["metadata"]["resourceVersion"]}}
    client.patch(POD, "held", release, namespace, patch_type="application/merge-patch+json")

    wait_for(lambda: not client.list(REPLICASET, namespace)["items"] and not pod_names(client, namespace),
             message="owner released once its dependent went")


def test_a_dependent_of_an_owner_that_never_existed_is_collected(client, namespace, collector):
    ghost = {"metadata": {"name": "ghost", "uid": "00000000-0000-0000-0000-000000000000"}}
    dependent_pod(client, namespace, "haunted", owner_ref(ghost))

    wait_for(lambda: "haunted" not in pod_names(client, namespace), message="dangling dependent collected")


def test_a_dependent_with_another_live_owner_only_loses_the_dead_reference(client, namespace, collector):
    first = client.create(REPLICASET, replica_set("first", 0), namespace)
    second = client.create(REPLICASET, replica_set("second", 0), namespace)
    dependent_pod(client, namespace, "shared", owner_ref(first), {**owner_ref(second), "controller": False})

    client.delete(REPLICASET, "first", namespace)

    kept = wait_for(lambda: len((p := client.get(POD, "shared", namespace))["metadata"]["ownerReferences"]) == 1 and p,
                    message="dead reference dropped")
    assert kept["metadata"]["ownerReferences"][0]["uid"] == second["metadata"]["uid"]
