"""`tkctl patch`, `replace -f` and `edit` against a live master, beside the real kubectl."""

from __future__ import annotations

import stat

import pytest
import yaml

from cli.commands.edit import merge_patch


def make_pod(api, namespace: str, name: str) -> None:
    body = {"metadata": {"name": name, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}
    response = api.post(f"/api/v1/namespaces/{namespace}/pods", json=body)
    assert response.status_code == 201, response.text


def pod(api, namespace: str, name: str) -> dict:
    return api.get(f"/api/v1/namespaces/{namespace}/pods/{name}").json()


def make_deployment(api, namespace: str, name: str, replicas: int = 2) -> None:
    labels = {"app": name}
    body = {"metadata": {"name": name}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    response = api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=body)
    assert response.status_code == 201, response.text


def deployment(api, namespace: str, name: str) -> dict:
    return api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}").json()


@pytest.mark.parametrize("args", [
    ("-p", '{"metadata":{"labels":{"p":"1"}}}'),
    ("--type", "merge", "-p", '{"metadata":{"labels":{"app":null}}}'),
    ("--type", "json", "-p", '[{"op":"add","path":"/metadata/labels/q","value":"3"}]'),
    ("--type", "json", "-p", '[{"op":"remove","path":"/metadata/labels/zz"}]'),
    ("-p", '{"spec":{"containers":[{"name":"c","image":"nginx:2"}]}}'),
    ("-p", "metadata: {labels: {v: '2'}}"),
    ("-p", "notjson"),
    ("--type", "foo", "-p", "{}"),
    (),
])
def test_patch_reads_like_kubectl_and_changes_the_same(tkctl, kubectl, api, namespace, args):
    make_pod(api, namespace, "ours")
    make_pod(api, namespace, "theirs")
    ours = tkctl("patch", "pod", "ours", *args, "-n", namespace)
    theirs = kubectl("patch", "pod", "theirs", *args, "-n", namespace, check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout.replace("theirs", "ours"), theirs.stderr.replace("theirs", "ours"))
    assert pod(api, namespace, "ours")["metadata"]["labels"] == pod(api, namespace, "theirs")["metadata"]["labels"]
    assert pod(api, namespace, "ours")["spec"]["containers"][0]["image"] == \
        pod(api, namespace, "theirs")["spec"]["containers"][0]["image"]


def test_a_patch_that_changes_nothing_says_no_change(tkctl, api, namespace, tmp_path):
    make_pod(api, namespace, "web")
    patch_file = tmp_path / "patch.json"
    patch_file.write_text('{"metadata":{"labels":{"app":"web"}}}')
    assert tkctl.ok("patch", "pod", "web", "--patch-file", str(patch_file), "-n", namespace) == \
        "pod/web patched (no change)\n"


def test_patching_a_missing_pod_is_not_found(tkctl, kubectl, namespace):
    ours = tkctl("patch", "pod", "nope", "-p", "{}", "-n", namespace)
    theirs = kubectl("patch", "pod", "nope", "-p", "{}", "-n", namespace, check=False)
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr) == \
        (1, 'Error from server (NotFound): pods "nope" not found\n')


def test_replace_puts_the_manifest_over_the_live_object(tkctl, kubectl, api, namespace, tmp_path):
    for name in ("ours", "theirs"):
        make_deployment(api, namespace, name)
        manifest = tmp_path / f"{name}.yaml"
        manifest.write_text(yaml.safe_dump({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"v": "2"}},
            "spec": {"replicas": 4, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}}}))
    ours = tkctl("replace", "-f", str(tmp_path / "ours.yaml"), "-n", namespace)
    theirs = kubectl("replace", "-f", str(tmp_path / "theirs.yaml"), "-n", namespace, check=False)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout.replace("theirs", "ours")) == \
        (0, "deployment.apps/ours replaced\n")
    replaced = deployment(api, namespace, "ours")
    assert (replaced["spec"]["replicas"], replaced["metadata"]["labels"]) == (4, {"v": "2"})


def test_replacing_a_missing_object_is_kubectls_error(tkctl, kubectl, namespace, tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: nope}\n"
                        "spec: {containers: [{name: c, image: x}]}\n")
    ours = tkctl("replace", "-f", str(manifest), "-n", namespace)
    theirs = kubectl("replace", "-f", str(manifest), "-n", namespace, check=False)
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr) == \
        (1, f'Error from server (NotFound): error when replacing "{manifest}": pods "nope" not found\n')


def test_replace_with_a_stale_resource_version_is_a_conflict(tkctl, api, namespace, tmp_path):
    make_pod(api, namespace, "web")
    stale = pod(api, namespace, "web")
    api.patch(f"/api/v1/namespaces/{namespace}/pods/web", json={"metadata": {"labels": {"x": "1"}}},
              headers={"Content-Type": "application/merge-patch+json"})
    manifest = tmp_path / "web.yaml"
    manifest.write_text(yaml.safe_dump(stale))
    result = tkctl("replace", "-f", str(manifest))
    assert result.returncode == 1
    assert result.stderr.startswith(f'Error from server (Conflict): error when replacing "{manifest}": ')


def test_replace_force_deletes_and_creates_again(tkctl, api, namespace, tmp_path):
    make_deployment(api, namespace, "web")
    old_uid = deployment(api, namespace, "web")["metadata"]["uid"]
    manifest = tmp_path / "web.yaml"
    manifest.write_text(yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}))
    assert tkctl.ok("replace", "--force", "-f", str(manifest), "-n", namespace) == \
        'deployment.apps "web" deleted\ndeployment.apps/web replaced\n'
    assert deployment(api, namespace, "web")["metadata"]["uid"] != old_uid


def editor(tmp_path, script: str) -> str:
    """An $EDITOR that edits the file it is given with `script` (sed expressions), as a user would."""
    path = tmp_path / "editor.sh"
    path.write_text(f'#!/bin/sh\nsed -i -e \'{script}\' "$1"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def run_with_editor(runner, editor_path: str, *args: str):
    import os
    import subprocess
    import sys
    env = {**os.environ, "EDITOR": editor_path, "KUBE_EDITOR": ""}
    if runner == "kubectl":
        return subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, timeout=60)
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_edit_sends_the_change_like_kubectl(master, api, namespace, tmp_path):
    make_deployment(api, namespace, "ours")
    make_deployment(api, namespace, "theirs")
    change = editor(tmp_path, "s/replicas: 2/replicas: 5/")
    flags = ("--kubeconfig", str(master.kubeconfig), "-n", namespace)
    ours = run_with_editor("tkctl", change, *flags, "edit", "deployment", "ours")
    theirs = run_with_editor("kubectl", change, *flags, "edit", "deployment", "theirs")
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout.replace("theirs", "ours")) == \
        (0, "deployment.apps/ours edited\n")
    assert deployment(api, namespace, "ours")["spec"]["replicas"] == 5


def test_edit_without_changes_is_cancelled(master, api, namespace, tmp_path):
    make_deployment(api, namespace, "web")
    unchanged = editor(tmp_path, "s/nothing-matches-this//")
    flags = ("--kubeconfig", str(master.kubeconfig), "-n", namespace)
    ours = run_with_editor("tkctl", unchanged, *flags, "edit", "deployment", "web")
    theirs = run_with_editor("kubectl", unchanged, *flags, "edit", "deployment", "web")
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr) == \
        (0, "", "Edit cancelled, no changes made.\n")


def test_an_edit_the_server_refuses_is_reopened_then_cancelled(master, api, namespace, tmp_path):
    make_deployment(api, namespace, "web")
    invalid = editor(tmp_path, "s/replicas: 2/replicas: -1/")
    result = run_with_editor("tkctl", invalid, "--kubeconfig", str(master.kubeconfig), "-n", namespace,
                             "edit", "deployment", "web")
    lines = result.stderr.splitlines()
    assert result.returncode == 1
    assert lines[0] == 'error: deployments.apps "web" is invalid'
    assert lines[1].startswith("A copy of your changes has been stored to ")
    assert lines[2] == "error: Edit cancelled, no valid changes were saved."
    assert deployment(api, namespace, "web")["spec"]["replicas"] == 2


def test_edit_of_a_missing_object_is_not_found(master, namespace, tmp_path):
    result = run_with_editor("tkctl", "true", "--kubeconfig", str(master.kubeconfig), "-n", namespace,
                             "edit", "deployment", "nope")
    assert (result.returncode, result.stderr) == \
        (1, 'Error from server (NotFound): deployments.apps "nope" not found\n')


def test_merge_patch_sets_changed_fields_and_nulls_removed_ones():
    before = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]}
    after = {"a": 1, "b": {"c": 4}, "e": [1]}
    assert merge_patch(before, after) == {"b": {"c": 4, "d": None}, "e": [1]}
