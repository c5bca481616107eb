"""`tkctl rollout status|history|undo|restart` against a master running the Deployment and ReplicaSet
controllers (no scheduler, no kubelet: a test marks pods ready by writing their status, as a kubelet would)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest

from cli.rollout_state import deployment_progress
from tests.cli.controlled_master import controlled_master_fixtures
from tests.support.cluster import wait_for

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


controlled_master, api, tkctl, kubectl = controlled_master_fixtures("rollout", "deployment,replicaset")


def create_deployment(api, name: str, *, replicas: int = 2, image: str = "nginx:1") -> None:
    labels = {"app": name}
    response = api.post(DEPLOYMENTS, json={"metadata": {"name": name}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": image}]}}}})
    assert response.status_code == 201, response.text


def deployment(api, name: str) -> dict:
    return api.get(f"{DEPLOYMENTS}/{name}").json()


def set_image(api, name: str, image: str, cause: str) -> None:
    response = api.patch(f"{DEPLOYMENTS}/{name}", headers={"Content-Type": "application/merge-patch+json"}, json={
        "metadata": {"annotations": {"kubernetes.io/change-cause": cause}},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}})
    assert response.status_code == 200, response.text


def settled(api, name: str, *, counted: bool = True) -> dict:
    """The Deployment once its controller has observed its latest spec (and, if `counted`, created every
    new replica: only a first rollout gets there without available pods)."""
    def observed():
        d = deployment(api, name)
        status = d.get("status") or {}
        done = status.get("observedGeneration") == d["metadata"]["generation"] and (not counted or (
            status.get("updatedReplicas", 0) == d["spec"]["replicas"] == status.get("replicas", 0)))
        return d if done else None
    return wait_for(observed, timeout=20, message=f"deployment {name} observed")


def make_pods_ready(api, app: str) -> None:
    """Play the kubelet: mark every pod of the app Running and Ready."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    pods = api.get("/api/v1/namespaces/default/pods", params={"labelSelector": f"app={app}"}).json()["items"]
    for pod in pods:
        api.patch(f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}/status",
                  headers={"Content-Type": "application/merge-patch+json"},
                  json={"status": {"phase": "Running", "conditions": [
                      {"type": "Ready", "status": "True", "lastTransitionTime": now}]}})


def test_status_of_a_stuck_rollout_reads_like_kubectl_and_times_out(tkctl, kubectl, api):
    create_deployment(api, "stuck")
    settled(api, "stuck")
    ours = tkctl("rollout", "status", "deployment/stuck", "--timeout=1s")
    theirs = kubectl("rollout", "status", "deployment/stuck", "--timeout=1s", check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr) == (
        1, 'Waiting for deployment "stuck" rollout to finish: 0 of 2 updated replicas are available...\n',
        "error: timed out waiting for the condition\n")


def test_status_waits_until_the_pods_are_available(tkctl, controlled_master, api):
    create_deployment(api, "web")
    settled(api, "web")
    watcher = subprocess.Popen([sys.executable, "-m", "cli.main", "--kubeconfig", str(controlled_master.kubeconfig),
                                "rollout", "status", "deploy/web", "--timeout=30s"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = watcher.stdout.readline()  # the watcher has seen the stuck rollout before the pods get ready
        make_pods_ready(api, "web")
        rest, stderr = watcher.communicate(timeout=40)
    finally:
        watcher.kill()
    assert watcher.returncode == 0, stderr
    assert first == 'Waiting for deployment "web" rollout to finish: 0 of 2 updated replicas are available...\n'
    assert rest.splitlines()[-1] == 'deployment "web" successfully rolled out'


def test_history_lists_revisions_with_change_causes_like_kubectl(tkctl, kubectl, api):
    create_deployment(api, "hist")
    settled(api, "hist")
    set_image(api, "hist", "nginx:2", "image 2")
    wait_for(lambda: "2" in tkctl.ok("rollout", "history", "deploy/hist"), timeout=20, message="revision 2")
    ours = tkctl.ok("rollout", "history", "deployment", "hist")
    assert ours == kubectl("rollout", "history", "deployment", "hist").stdout == \
        "deployment.apps/hist \nREVISION  CHANGE-CAUSE\n1         <none>\n2         image 2\n\n"


def test_undo_restores_the_previous_template_like_kubectl(tkctl, kubectl, api):
    for name in ("ours", "theirs"):
        create_deployment(api, name)
        settled(api, name)
        set_image(api, name, "nginx:2", "image 2")
        settled(api, name, counted=False)
    assert tkctl.ok("rollout", "undo", "deploy/ours") == kubectl("rollout", "undo", "deploy/theirs").stdout.replace(
        "theirs", "ours") == "deployment.apps/ours rolled back\n"
    for name in ("ours", "theirs"):
        assert deployment(api, name)["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"
        settled(api, name, counted=False)
    wait_for(lambda: "3" in tkctl.ok("rollout", "history", "deploy/ours"), timeout=20, message="revision 3")
    assert tkctl.ok("rollout", "history", "deploy/ours") == \
        kubectl("rollout", "history", "deploy/theirs").stdout.replace("theirs", "ours")
    again = tkctl.ok("rollout", "undo", "deploy/ours", "--to-revision=3")
    assert again == "deployment.apps/ours skipped rollback (current template already matches revision 3)\n"


@pytest.mark.parametrize("args", [("--to-revision=9",), ()])
def test_undo_errors_read_like_kubectl(tkctl, kubectl, api, args):
    create_deployment(api, f"single{len(args)}")
    settled(api, f"single{len(args)}")
    ours = tkctl("rollout", "undo", f"deploy/single{len(args)}", *args)
    theirs = kubectl("rollout", "undo", f"deploy/single{len(args)}", *args, check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)


def test_restart_stamps_the_template_and_starts_a_new_revision(tkctl, api):
    create_deployment(api, "restart")
    settled(api, "restart")
    assert tkctl.ok("rollout", "restart", "deployment/restart") == "deployment.apps/restart restarted\n"
    template = deployment(api, "restart")["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    wait_for(lambda: "2" in tkctl.ok("rollout", "history", "deploy/restart"), timeout=20, message="revision 2")


def test_rollout_of_a_missing_deployment_is_not_found(tkctl, kubectl):
    for verb in ("status", "history", "undo", "restart"):
        ours = tkctl("rollout", verb, "deployment/nope")
        theirs = kubectl("rollout", verb, "deployment/nope", check=False)
        assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr) == \
            (1, 'Error from server (NotFound): deployments.apps "nope" not found\n')


def test_a_deployment_whose_new_spec_is_not_yet_observed_is_waiting():
    d = {"metadata": {"name": "web", "generation": 2}, "spec": {"replicas": 1}, "status": {"observedGeneration": 1}}
    assert deployment_progress(d).message == "Waiting for deployment spec update to be observed..."
