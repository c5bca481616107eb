"""`tkctl rollout history [--revision=N]` and `rollout undo` of DaemonSets and Deployments, beside the real kubectl,
against a master running the DaemonSet, Deployment and ReplicaSet controllers (no scheduler, no kubelet)."""

from __future__ import annotations

import pytest

from tests.cli.controlled_master import controlled_master_fixtures
from tests.support.cluster import wait_for

DAEMONSETS = "/apis/apps/v1/namespaces/default/daemonsets"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
REVISIONS = "/apis/apps/v1/namespaces/default/controllerrevisions"
TIMEOUT = 30


controlled_master, api, tkctl, kubectl = controlled_master_fixtures(
    "rollout-history", "daemonset,deployment,replicaset")


def template(name: str, image: str) -> dict:
    return {"metadata": {"labels": {"app": name}}, "spec": {
        "containers": [{"name": "c", "image": image, "ports": [{"containerPort": 80}],
                        "env": [{"name": "MODE", "value": "fast"}],
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
        "volumes": [{"name": "data", "emptyDir": {}}],
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}]}}


def create(api, collection: str, name: str, *, image: str = "nginx:1") -> None:
    response = api.post(collection, json={"metadata": {"name": name}, "spec": {
        "selector": {"matchLabels": {"app": name}}, "template": template(name, image)}})
    assert response.status_code == 201, response.text


def set_image(api, collection: str, name: str, image: str, cause: str) -> None:
    response = api.patch(f"{collection}/{name}", headers={"Content-Type": "application/merge-patch+json"}, json={
        "metadata": {"annotations": {"kubernetes.io/change-cause": cause}},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}})
    assert response.status_code == 200, response.text


def revision_numbers(api, name: str) -> list[int]:
    items = api.get(REVISIONS, params={"labelSelector": f"app={name}"}).json()["items"]
    return sorted(r["revision"] for r in items)


def wait_for_revisions(api, name: str, wanted: list[int]) -> None:
    wait_for(lambda: revision_numbers(api, name) == wanted, timeout=TIMEOUT, message=f"{name} revisions {wanted}")


def image_of(api, name: str) -> str:
    return api.get(f"{DAEMONSETS}/{name}").json()["spec"]["template"]["spec"]["containers"][0]["image"]


def same_as_kubectl(tkctl, kubectl, *args: str) -> str:
    ours, theirs = tkctl(*args), kubectl(*args, check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    return ours.stdout + ours.stderr


def test_daemon_set_history_lists_its_controller_revisions_like_kubectl(tkctl, kubectl, api):
    create(api, DAEMONSETS, "agent")
    wait_for_revisions(api, "agent", [1])
    set_image(api, DAEMONSETS, "agent", "nginx:2", "image 2")
    wait_for_revisions(api, "agent", [1, 2])

    listed = same_as_kubectl(tkctl, kubectl, "rollout", "history", "daemonset/agent")
    assert listed == "daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         image 2\n\n"


@pytest.mark.parametrize("revision", ["1", "2", "7"])
def test_daemon_set_history_of_one_revision_describes_its_pod_template_like_kubectl(tkctl, kubectl, api, revision):
    name = f"shown-{revision}"
    create(api, DAEMONSETS, name)
    wait_for_revisions(api, name, [1])
    set_image(api, DAEMONSETS, name, "nginx:2", "image 2")
    wait_for_revisions(api, name, [1, 2])

    shown = same_as_kubectl(tkctl, kubectl, "rollout", "history", f"ds/{name}", f"--revision={revision}")
    if revision == "1":
        assert shown.startswith(f"daemonset.apps/{name} with revision #1\nPod Template:\n  Labels:\tapp={name}\n")
        assert "    Image:\tnginx:1\n" in shown and "  Tolerations:\tdedicated=db:NoSchedule\n\n" in shown


def test_daemon_set_undo_restores_the_previous_template_like_kubectl(tkctl, kubectl, api):
    for name in ("ours", "theirs"):
        create(api, DAEMONSETS, name)
        wait_for_revisions(api, name, [1])
        set_image(api, DAEMONSETS, name, "nginx:2", "image 2")
        wait_for_revisions(api, name, [1, 2])

    assert tkctl.ok("rollout", "undo", "ds/ours") == kubectl("rollout", "undo", "ds/theirs").stdout.replace(
        "theirs", "ours") == "daemonset.apps/ours rolled back\n"
    for name in ("ours", "theirs"):
        assert image_of(api, name) == "nginx:1"
        wait_for_revisions(api, name, [2, 3])  # revision 1 came back as 3
    assert tkctl.ok("rollout", "history", "ds/ours") == \
        kubectl("rollout", "history", "ds/theirs").stdout.replace("theirs", "ours")
    skipped = same_as_kubectl(tkctl, kubectl, "rollout", "undo", "ds/ours", "--to-revision=3")
    assert skipped == "daemonset.apps/ours skipped rollback (current template already matches revision 3)\n"


@pytest.mark.parametrize("args", [("--to-revision=9",), (), ("--to-revision=-1",)])
def test_daemon_set_undo_errors_read_like_kubectl(tkctl, kubectl, api, args):
    name = f"lone{len(args)}{'x' if args and '-1' in args[0] else ''}"
    create(api, DAEMONSETS, name)
    wait_for_revisions(api, name, [1])
    message = same_as_kubectl(tkctl, kubectl, "rollout", "undo", f"ds/{name}", *args)
    assert message.startswith("error: ")


def test_deployment_history_of_one_revision_describes_its_replica_set_template_like_kubectl(tkctl, kubectl, api):
    create(api, DEPLOYMENTS, "web")
    wait_for(lambda: "1 " in tkctl.ok("rollout", "history", "deploy/web"), timeout=TIMEOUT, message="revision 1")
    set_image(api, DEPLOYMENTS, "web", "nginx:2", "image 2")
    wait_for(lambda: "2 " in tkctl.ok("rollout", "history", "deploy/web"), timeout=TIMEOUT, message="revision 2")

    for revision in ("1", "2", "5"):
        same_as_kubectl(tkctl, kubectl, "rollout", "history", "deployment/web", f"--revision={revision}")
    shown = tkctl.ok("rollout", "history", "deploy/web", "--revision=2")
    assert "  Annotations:\tkubernetes.io/change-cause: image 2\n" in shown and "\tpod-template-hash=" in shown


@pytest.mark.parametrize("kind, collection", [("deployment", DEPLOYMENTS), ("daemonset", DAEMONSETS)])
def test_a_dry_run_undo_shows_what_it_would_restore_like_kubectl_and_changes_nothing(tkctl, kubectl, api, kind,
                                                                                     collection):
    name = f"rehearse-{kind}"
    create(api, collection, name)
    wait_for(lambda: "1 " in tkctl.ok("rollout", "history", f"{kind}/{name}"), timeout=TIMEOUT, message="revision 1")
    set_image(api, collection, name, "nginx:2", "image 2")
    wait_for(lambda: "2 " in tkctl.ok("rollout", "history", f"{kind}/{name}"), timeout=TIMEOUT, message="revision 2")
    before = api.get(f"{collection}/{name}").json()["metadata"]["resourceVersion"]

    client = same_as_kubectl(tkctl, kubectl, "rollout", "undo", f"{kind}/{name}", "--dry-run=client")
    assert client.startswith(f"{kind}.apps/{name} ") and client.endswith(" (dry run)\n")
    assert "Pod Template:\n" in client
    assert "nginx:1" in client
    server = same_as_kubectl(tkctl, kubectl, "rollout", "undo", f"{kind}/{name}", "--dry-run=server")
    assert server == f"{kind}.apps/{name} rolled back (server dry run)\n"
    same_as_kubectl(tkctl, kubectl, "rollout", "undo", f"{kind}/{name}", "--dry-run=server", "--to-revision=2")
    same_as_kubectl(tkctl, kubectl, "rollout", "undo", f"{kind}/{name}", "--dry-run=client", "--to-revision=9")
    assert api.get(f"{collection}/{name}").json()["metadata"]["resourceVersion"] == before
