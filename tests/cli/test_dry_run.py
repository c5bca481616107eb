"""tkctl --dry-run=client|server: every write command rehearses, and the cluster stays exactly as it was.

What they print is compared with kubectl's in test_kubectl_parity.py; this file
checks that nothing was written, by the cluster's revision, which any stored
write moves.
"""

import json

import pytest

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
NEW_POD = {**POD, "metadata": {"name": "rehearsal"}}


def revision(api):
    return api.get("/api/v1/namespaces").json()["metadata"]["resourceVersion"]


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, body in (("pod", POD), ("new_pod", NEW_POD)):
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(body))
    return paths


@pytest.mark.parametrize("dry_run", ["client", "server"])
def test_no_write_command_changes_anything_in_a_dry_run(api, namespace, tkctl, files, dry_run):
    ns = ("-n", namespace)
    tkctl.ok("apply", "-f", str(files["pod"]), *ns)
    tkctl.ok("create", "deployment", "d", "--image=busybox", *ns)
    before = revision(api)
    flag = f"--dry-run={dry_run}"
    rehearsals = [
        ("create", "-f", str(files["new_pod"]), flag, *ns),
        ("create", "deployment", "d2", "--image=busybox", flag, *ns),
        ("create", "namespace", f"{namespace}-2", flag),
        ("apply", "-f", str(files["new_pod"]), flag, *ns),
        ("apply", "-f", str(files["pod"]), flag, *ns),
        ("replace", "-f", str(files["pod"]), flag, *ns),
        ("label", "pod", "web", "tier=x", flag, *ns),
        ("annotate", "pod", "web", "note=x", flag, *ns),
        ("patch", "deployment", "d", "-p", '{"spec":{"replicas":4}}', flag, *ns),
        ("scale", "deployment", "d", "--replicas=3", flag, *ns),
        ("delete", "pod", "web", flag, *ns),
        ("delete", "deployment", "--all", flag, *ns),
    ]
    for args in rehearsals:
        tkctl.ok(*args)
    assert revision(api) == before
    pods = api.get(f"/api/v1/namespaces/{namespace}/pods").json()["items"]
    assert [(p["metadata"]["name"], p["metadata"]["labels"], p["metadata"].get("deletionTimestamp")) for p in pods] \
        == [("web", {"app": "web"}, None)]
    deployment = api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/d").json()
    assert deployment["spec"]["replicas"] == 1


def test_a_client_dry_run_prints_the_object_it_would_send(tkctl, namespace):
    printed = tkctl.ok("create", "deployment", "web", "--image=busybox", "--dry-run=client", "-o", "json",
                       "-n", namespace)
    deployment = json.loads(printed)
    assert list(deployment) == ["kind", "apiVersion", "metadata", "spec", "status"]  # Go's field order
    assert deployment["metadata"] == {"name": "web", "namespace": namespace, "creationTimestamp": None,
                                      "labels": {"app": "web"}}


def test_a_bare_dry_run_is_client_with_a_warning_and_a_wrong_value_is_one_error_line(tkctl, api, namespace):
    bare = tkctl("create", "namespace", f"{namespace}-bare", "--dry-run")
    assert bare.returncode == 0
    assert bare.stdout == f"namespace/{namespace}-bare created (dry run)\n"
    assert "--dry-run is deprecated and can be replaced with --dry-run=client." in bare.stderr
    wrong = tkctl("create", "namespace", f"{namespace}-wrong", "--dry-run=later")
    assert (wrong.returncode, wrong.stdout) == (1, "")
    assert wrong.stderr == 'error: Invalid dry-run value (later). Must be "none", "server", or "client".\n'
    for name in (f"{namespace}-bare", f"{namespace}-wrong"):
        assert api.get(f"/api/v1/namespaces/{name}").status_code == 404


@pytest.mark.parametrize("dry_run", ["client", "server"])
def test_node_commands_in_a_dry_run_leave_the_node_and_its_pods_alone(api, namespace, tkctl, dry_run):
    node = f"{namespace}-node"
    assert api.post("/api/v1/nodes", json={"metadata": {"name": node}}).status_code == 201
    try:
        pod = {**POD, "spec": {**POD["spec"], "nodeName": node}}
        assert api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod).status_code == 201
        before = revision(api)
        flag = f"--dry-run={dry_run}"
        suffix = "(dry run)" if dry_run == "client" else "(server dry run)"
        assert tkctl.ok("cordon", node, flag) == f"node/{node} cordoned {suffix}\n"
        assert tkctl.ok("taint", "nodes", node, "k=v:NoSchedule", flag) == f"node/{node} tainted\n"
        drained = tkctl("drain", node, "--force", flag)
        assert drained.returncode == 0, drained.stderr
        assert drained.stdout == (f"node/{node} cordoned {suffix}\nevicting pod {namespace}/web {suffix}\n"
                                  f"node/{node} drained {suffix}\n")
        assert revision(api) == before
        assert api.get(f"/api/v1/namespaces/{namespace}/pods/web").json()["metadata"].get("deletionTimestamp") is None
        assert api.get(f"/api/v1/nodes/{node}").json().get("spec", {}) == {}
    finally:  # no kubelet will confirm a graceful delete of the bound pod: remove it at once
        api.delete(f"/api/v1/namespaces/{namespace}/pods/web", params={"gracePeriodSeconds": "0"})
        api.delete(f"/api/v1/nodes/{node}")
