"""A pod's why through the master, from the kubelet that runs it: crash loops, bad images, failing
probes and graceful stops, on a master and one real kubelet, read with the real kubectl.

The countdowns are checked against what really happens: the container's next start (Docker's own
StartedAt, to the nanosecond) and the pod's removal after SIGKILL, at time scale 0.1.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime

import docker
import pytest

from kubelet.runtime.protocol import LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_RESTART_COUNT
from objects.why import epoch_of
from tests.support.cluster import Kubectl, live_cluster, wait_for
from tests.support.images import BUSYBOX_IMAGE

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

NAMESPACE = "default"
TIMER_TOLERANCE_SECONDS = 1.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("why-containers")
    with live_cluster(root, nodes=1, time_scale=0.1) as (master, kubelets):
        yield master, Kubectl(master.kubeconfig, root / "kube-cache")


@pytest.fixture
def kubectl(cluster):
    return cluster[1]


def run_pod(kubectl: Kubectl, name: str, *, command: str, image: str = BUSYBOX_IMAGE, **spec) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "app", "image": image, "imagePullPolicy": "IfNotPresent",
                                    "command": ["sh", "-c", command], **spec}],
                    "terminationGracePeriodSeconds": 30}}
    kubectl("apply", "-f", "-", input=json.dumps(pod))


def why(kubectl: Kubectl, pod: str) -> dict:
    return json.loads(kubectl("get", "--raw", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}/why").stdout)


def container(answer: dict) -> dict:
    return next(c for c in (answer.get("kubelet") or {}).get("containers", []) if c["name"] == "app")


def countdown(report: dict, name: str) -> dict | None:
    return next((c for c in report.get("countdowns", []) if c["name"] == name), None)


def docker_started_at(pod: str, restart: int) -> float | None:
    """When Docker started instance number `restart` of the pod's app container."""
    client = docker.from_env()
    try:
        found = client.containers.list(all=True, filters={"label": [
            f"{LABEL_POD_NAME}={pod}", f"{LABEL_CONTAINER_NAME}=app", f"{LABEL_RESTART_COUNT}={restart}"]})
        if not found:
            return None
        started = found[0].attrs["State"]["StartedAt"]
        if started.startswith("0001-"):  # created, not started yet
            return None
        return datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00").timestamp()
    finally:
        client.close()


def test_a_crash_loop_says_how_it_exited_and_when_it_restarts(kubectl):
    run_pod(kubectl, "crasher", command="echo first line; echo last words; exit 3")

    def waiting_to_restart():
        answer = why(kubectl, "crasher")
        app = container(answer)
        # The kubelet answers live and the pod's status follows it by a write: wait until both say it.
        waiting = answer["state"] == app.get("reason") == "CrashLoopBackOff"
        return (answer, app) if waiting and countdown(app, "NextRestart") else None

    answer, app = wait_for(waiting_to_restart, timeout=30, message="the crash loop's next restart")

    assert answer["state"] == "CrashLoopBackOff"
    assert app["lastExitCode"] == 3 and app["lastReason"] == "Error"
    assert app["lastLogLines"][-2:] == ["first line", "last words"]
    assert app["backoffSequenceSeconds"][:3] == [1.0, 2.0, 4.0]  # 10 s, 20 s, 40 s at time scale 0.1
    # "in 0.4 s", or "due now" when the answer came as the timer fired
    assert f"exited 3 (Error), restarted {app['restartCount']} times; next restart " in answer["summary"]
    promised = epoch_of(countdown(app, "NextRestart")["at"])
    started = wait_for(lambda: docker_started_at("crasher", app["restartCount"] + 1), timeout=40,
                       message="the restart the countdown announced")
    assert abs(started - promised) < TIMER_TOLERANCE_SECONDS, (started, promised)
    kubectl("delete", "pod", "crasher", "--grace-period=0", "--force")


def test_a_bad_image_says_the_pull_error_and_the_next_pull(kubectl):
    run_pod(kubectl, "badimage", command="true", image="tinykube/not-built-anywhere:1")

    answer = wait_for(lambda: (a := why(kubectl, "badimage")) and countdown(container(a), "NextPull") and a,
                      timeout=30, message="the next pull")

    app = container(answer)
    assert app["reason"] in ("ErrImagePull", "ImagePullBackOff")
    assert app["pullError"] and app["pullAttempts"] >= 1
    assert "; next pull " in answer["summary"]
    kubectl("delete", "pod", "badimage", "--grace-period=0", "--force")


def test_a_failing_readiness_probe_shows_its_output(kubectl):
    probe = {"exec": {"command": ["sh", "-c", "echo not warmed up yet; exit 1"]}, "periodSeconds": 1,
             "failureThreshold": 2}
    run_pod(kubectl, "unready", command="sleep 3600", readinessProbe=probe)

    def failing():
        answer = why(kubectl, "unready")
        probes = container(answer).get("probes") or []
        return answer if probes and probes[0]["consecutiveFailures"] >= 2 else None

    answer = wait_for(failing, timeout=30, message="two failed readiness probes")

    (readiness,) = container(answer)["probes"]
    assert readiness["type"] == "readiness" and not readiness["passing"]
    assert "not warmed up yet" in readiness["lastOutput"]
    assert readiness["failureThreshold"] == 2
    assert answer["summary"].startswith("container app: readiness probe failing")
    kubectl("delete", "pod", "unready", "--grace-period=0", "--force")


def test_a_terminating_pod_counts_down_to_sigkill(kubectl, cluster):
    master = cluster[0]
    run_pod(kubectl, "stubborn", command="trap '' TERM; while true; do sleep 0.2; done")
    wait_for(lambda: why(kubectl, "stubborn")["state"] == "Running", timeout=30, message="the pod running")
    kubectl("delete", "pod", "stubborn", "--wait=false")

    answer = wait_for(lambda: (a := why(kubectl, "stubborn")).get("kubelet", {}).get("termination")
                      and countdown(a["kubelet"]["termination"], "SigKill") and a,
                      timeout=20, message="the SIGKILL countdown")

    assert answer["state"] == "Terminating"
    termination = answer["kubelet"]["termination"]
    assert termination["gracePeriodSeconds"] == pytest.approx(3.0)  # 30 s at time scale 0.1
    promised = epoch_of(countdown(termination, "SigKill")["at"])
    with master.client() as api:
        wait_for(lambda: api.get(f"/api/v1/namespaces/{NAMESPACE}/pods/stubborn").status_code == 404, timeout=20,
                 interval=0.02, message="the pod gone after SIGKILL")
    gone = time.time()
    assert promised - TIMER_TOLERANCE_SECONDS < gone < promised + TIMER_TOLERANCE_SECONDS, (gone, promised)
