"""`tkctl cordon|uncordon|taint|drain` on hollow nodes (API objects, no kubelet), beside the real kubectl.

The session master runs no scheduler, so pods are bound by setting spec.nodeName at creation.
"""

from __future__ import annotations

import uuid

import pytest

from cli.drain_filters import DrainOptions, judge
from cli.taint_specs import Taint, parse_taint_specs, reorganize


@pytest.fixture
def node_names(api):
    """Two fresh hollow nodes per test, removed afterwards."""
    names = [f"node-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    for name in names:
        response = api.post("/api/v1/nodes", json={"metadata": {"name": name}})
        assert response.status_code == 201, response.text
    yield names
    for name in names:
        api.delete(f"/api/v1/nodes/{name}")


def node(api, name: str) -> dict:
    return api.get(f"/api/v1/nodes/{name}").json()


def both(tkctl, kubectl, ours: str, theirs: str, *args: str) -> None:
    """The same command on our node with tkctl and on theirs with kubectl must print the same."""
    mine = tkctl(*[a.replace("NODE", ours) for a in args])
    real = kubectl(*[a.replace("NODE", theirs) for a in args], check=False)
    expected_stderr = real.stderr.replace(theirs, ours).replace("kubectl", "tkctl")
    expected = (real.returncode, real.stdout.replace(theirs, ours), expected_stderr)
    assert (mine.returncode, mine.stdout, mine.stderr) == expected


@pytest.mark.parametrize("steps", [
    [("cordon", "NODE"), ("cordon", "NODE"), ("uncordon", "NODE"), ("uncordon", "NODE")],
    [("taint", "nodes", "NODE", "k=v:NoSchedule"), ("taint", "nodes", "NODE", "k=v2:NoSchedule")],
    [("taint", "nodes", "NODE", "k=v:NoSchedule"), ("taint", "nodes", "NODE", "k=v2:NoSchedule", "--overwrite")],
    [("taint", "nodes", "NODE", "k=v:NoSchedule", "k:PreferNoSchedule"), ("taint", "nodes", "NODE", "k-")],
    [("taint", "nodes", "NODE", "k=v:NoSchedule"), ("taint", "nodes", "NODE", "k:NoSchedule-"),
     ("taint", "nodes", "NODE", "k:NoSchedule-")],
    [("taint", "nodes", "NODE", "k=v:Bad")],
    [("taint", "nodes", "NODE")],
    [("taint", "nodes", "NODE", "a=b:NoSchedule", "c=d:PreferNoSchedule")],
])
def test_node_commands_read_like_kubectl_and_leave_the_same_node(tkctl, kubectl, api, node_names, steps):
    ours, theirs = node_names
    for step in steps:
        both(tkctl, kubectl, ours, theirs, *step)
    assert node(api, ours).get("spec") == node(api, theirs).get("spec")


def test_cordoning_a_missing_node_is_not_found(tkctl, kubectl):
    mine, real = tkctl("cordon", "nope"), kubectl("cordon", "nope", check=False)
    assert (mine.returncode, mine.stderr) == (real.returncode, real.stderr) == \
        (1, 'Error from server (NotFound): nodes "nope" not found\n')


def test_a_taint_is_replaced_by_key_and_effect_and_removal_by_key_takes_every_effect():
    current = [Taint("k", "v", "NoSchedule"), Taint("k", "", "NoExecute"), Taint("other", "", "NoSchedule")]
    to_add, _ = parse_taint_specs(["k=new:NoSchedule"])
    assert reorganize(current, to_add, [], overwrite=True) == (
        "modified", [Taint("k", "new", "NoSchedule"), Taint("k", "", "NoExecute"), Taint("other", "", "NoSchedule")])
    _, to_remove = parse_taint_specs(["k-"])
    assert reorganize(current, [], to_remove, overwrite=False) == ("untainted", [Taint("other", "", "NoSchedule")])


# ----- drain

def make_pod(api, namespace: str, name: str, node_name: str, *, owner: dict | None = None,
             annotations: dict | None = None, volumes: list | None = None) -> dict:
    metadata: dict = {"name": name}
    if owner:
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "controller": True, **owner}]
    if annotations:
        metadata["annotations"] = annotations
    spec: dict = {"nodeName": node_name, "containers": [{"name": "c", "image": "nginx"}]}
    if volumes:
        spec["volumes"] = volumes
    response = api.post(f"/api/v1/namespaces/{namespace}/pods", json={"metadata": metadata, "spec": spec})
    assert response.status_code == 201, response.text
    return response.json()


def make_daemonset(api, namespace: str, name: str) -> dict:
    labels = {"app": name}
    response = api.post(f"/apis/apps/v1/namespaces/{namespace}/daemonsets", json={
        "metadata": {"name": name}, "spec": {"selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    assert response.status_code == 201, response.text
    return response.json()


def pod_names(api, namespace: str) -> set[str]:
    return {p["metadata"]["name"] for p in api.get(f"/api/v1/namespaces/{namespace}/pods").json()["items"]}


def replica_set_owner() -> dict:
    return {"kind": "ReplicaSet", "name": "rs", "uid": str(uuid.uuid4())}


def test_drain_refuses_unmanaged_pods_like_kubectl_and_leaves_the_node_cordoned(tkctl, kubectl, api, namespace,
                                                                                node_names):
    ours, theirs = node_names
    for node_name in node_names:
        make_pod(api, namespace, f"bare-{node_name}", node_name)
    mine = tkctl("drain", ours)
    real = kubectl("drain", theirs, check=False)
    assert (mine.returncode, mine.stdout, mine.stderr) == \
        (real.returncode, real.stdout.replace(theirs, ours), real.stderr.replace(theirs, ours))
    assert mine.stderr.splitlines()[-1] == ("cannot delete cannot delete Pods that declare no controller "
                                            f"(use --force to override): {namespace}/bare-{ours}")
    assert node(api, ours)["spec"]["unschedulable"] is True
    assert f"bare-{ours}" in pod_names(api, namespace)


def test_drain_removes_managed_pods_skips_daemonset_and_mirror_pods_like_kubectl(tkctl, kubectl, api, namespace,
                                                                                 node_names):
    ours, theirs = node_names
    daemonset = make_daemonset(api, namespace, "agent")
    for node_name in node_names:
        make_pod(api, namespace, f"web-{node_name}", node_name, owner=replica_set_owner())
        make_pod(api, namespace, f"bare-{node_name}", node_name)
        make_pod(api, namespace, f"agent-{node_name}", node_name,
                 owner={"kind": "DaemonSet", "name": "agent", "uid": daemonset["metadata"]["uid"]})
        make_pod(api, namespace, f"static-{node_name}", node_name, annotations={"kubernetes.io/config.mirror": "x"})
    flags = ("--ignore-daemonsets", "--force", "--grace-period=0", "--timeout=30s")
    mine = tkctl("drain", ours, *flags)
    real = kubectl("drain", theirs, *flags, check=False)
    # kubectl joins its warnings in Go map order, which varies from run to run
    assert mine.returncode == real.returncode == 0
    assert set(mine.stderr.strip().removeprefix("Warning: ").split("; ")) == \
        set(real.stderr.replace(theirs, ours).strip().removeprefix("Warning: ").split("; "))
    assert sorted(mine.stdout.splitlines()) == sorted(real.stdout.replace(theirs, ours).splitlines()) == sorted([
        f"node/{ours} cordoned", f"evicting pod {namespace}/web-{ours}", f"evicting pod {namespace}/bare-{ours}",
        f"pod/web-{ours} evicted", f"pod/bare-{ours} evicted", f"node/{ours} drained"])
    assert mine.stdout.splitlines()[-1] == f"node/{ours} drained"
    assert pod_names(api, namespace) == {f"agent-{n}" for n in node_names} | {f"static-{n}" for n in node_names}


def test_drain_refuses_daemonset_and_emptydir_pods_without_their_flags(tkctl, api, namespace, node_names):
    ours, _ = node_names
    daemonset = make_daemonset(api, namespace, "agent")
    make_pod(api, namespace, "agent", ours, owner={"kind": "DaemonSet", "name": "agent",
                                                   "uid": daemonset["metadata"]["uid"]})
    make_pod(api, namespace, "cache", ours, owner=replica_set_owner(), volumes=[{"name": "v", "emptyDir": {}}])
    result = tkctl("drain", ours)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-2:] == [
        f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {namespace}/agent",
        f"cannot delete Pods with local storage (use --delete-emptydir-data to override): {namespace}/cache",
    ]
    assert tkctl.ok("drain", ours, "--ignore-daemonsets", "--delete-emptydir-data", "--grace-period=0") == \
        f"node/{ours} already cordoned\nevicting pod {namespace}/cache\npod/cache evicted\nnode/{ours} drained\n"


def test_drain_times_out_on_pods_no_kubelet_confirms(tkctl, kubectl, api, namespace, node_names):
    ours, theirs = node_names
    for node_name in node_names:
        make_pod(api, namespace, f"web-{node_name}", node_name, owner=replica_set_owner())
    mine = tkctl("drain", ours, "--timeout=1s")
    real = kubectl("drain", theirs, "--timeout=1s", check=False)
    assert (mine.returncode, mine.stdout, mine.stderr) == \
        (real.returncode, real.stdout.replace(theirs, ours), real.stderr.replace(theirs, ours))


def test_a_finished_pod_may_go_even_without_a_controller():
    finished = {"metadata": {"name": "job"}, "spec": {}, "status": {"phase": "Succeeded"}}
    assert judge(finished, DrainOptions(), lambda _ns, _name: (True, "")).delete
