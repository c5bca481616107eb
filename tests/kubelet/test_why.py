"""The kubelet's GET /why/{ns}/{pod} on a real kubelet and Docker: every countdown is the timer it acts on.

Each countdown is checked against the moment the kubelet really acted (a restart's
startedAt in Docker, a SIGKILL, a new pull attempt), at time scale 0.1.
"""

import time

import docker
import docker.errors
import httpx
import pytest

from kubelet.pod_status import epoch
from kubelet.runtime.protocol import LABEL_CONTAINER_NAME, LABEL_POD_UID, LABEL_RESTART_COUNT
from objects.why import KubeletPodReport, epoch_of
from tests.support.cluster import live_cluster, wait_for

IMAGE = "tinykube/busybox:test"
TIME_SCALE = 0.1
ON_TIME_SECONDS = 1.0  # how close a countdown must be to what really happened


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with live_cluster(tmp_path_factory.mktemp("why"), nodes=1, time_scale=TIME_SCALE) as (master, kubelets):
        yield master, kubelets[0]


@pytest.fixture
def api(cluster):
    with cluster[0].client() as client:
        yield client


@pytest.fixture
def node(cluster):
    return cluster[1]


@pytest.fixture
def kubelet(cluster):
    """The kubelet's own server, called as the master calls it: with the node token."""
    master, node = cluster
    with httpx.Client(base_url=f"https://127.0.0.1:{node.port}", verify=False, timeout=10,
                      headers={"Authorization": f"Bearer {master.token('node')}"}) as client:
        # The node registers before its server listens.
        wait_for(lambda: client.get("/healthz").status_code == 200, timeout=10, message="the kubelet's server")
        yield client


@pytest.fixture
def engine():
    client = docker.from_env()
    yield client
    client.close()


def create(api, node, name, container, **spec):
    pod = {"metadata": {"name": name},
           "spec": {"nodeName": node.node_name, "terminationGracePeriodSeconds": 1, "containers": [container],
                    **spec}}
    answer = api.post("/api/v1/namespaces/default/pods", json=pod)
    assert answer.status_code == 201, answer.text
    return answer.json()


def delete_now(api, name):
    api.delete(f"/api/v1/namespaces/default/pods/{name}")
    wait_for(lambda: api.get(f"/api/v1/namespaces/default/pods/{name}").status_code == 404, timeout=30,
             message=f"pod {name} to be deleted")


def why(kubelet, name) -> KubeletPodReport:
    answer = kubelet.get(f"/why/default/{name}")
    assert answer.status_code == 200, answer.text
    return KubeletPodReport.model_validate(answer.json())


def app_report(kubelet, name):
    return next(c for c in why(kubelet, name).containers if c.name == "app")


def countdown(report, name):
    return next((c for c in report.countdowns if c.name == name), None)


def app(command, **extra):
    return {"name": "app", "image": IMAGE, "command": ["sh", "-c", command], **extra}


def docker_started_at(engine, pod_uid, restart_count):
    """When Docker started the app instance with this restart count (None until it has)."""
    for container in engine.containers.list(all=True, filters={"label": f"{LABEL_POD_UID}={pod_uid}"}):
        labels = container.labels
        if labels.get(LABEL_CONTAINER_NAME) == "app" and labels.get(LABEL_RESTART_COUNT) == str(restart_count):
            started = container.attrs["State"]["StartedAt"]
            return None if started.startswith("0001") else epoch(started)  # 0001-...: created, not started
    return None


def test_why_needs_the_node_token_and_a_pod_the_kubelet_runs(kubelet):
    assert kubelet.get("/why/default/nope", headers={"Authorization": "Bearer wrong"}).status_code == 401
    missing = kubelet.get("/why/default/nope")
    assert missing.status_code == 404 and missing.json()["reason"] == "NotFound"


def test_a_crash_loop_shows_the_exit_the_log_tail_and_the_restart_docker_then_sees(api, node, kubelet, engine):
    created = create(api, node, "crashy", app("for i in $(seq 1 15); do echo line-$i; done; exit 3"))
    try:
        def in_backoff():
            report = app_report(kubelet, "crashy")
            return report if report.reason == "CrashLoopBackOff" and countdown(report, "NextRestart") else None

        report = wait_for(in_backoff, timeout=30, message="CrashLoopBackOff with a NextRestart countdown")
        assert (report.last_exit_code, report.last_reason) == (3, "Error")
        assert report.last_log_lines == [f"line-{i}" for i in range(6, 16)]
        assert report.last_finished_at and report.restart_count >= 1
        assert report.backoff_sequence_seconds == pytest.approx([1.0, 2.0, 4.0, 8.0, 16.0, 30.0])
        restart = countdown(report, "NextRestart")
        assert restart.owner == f"kubelet/{node.node_name}"
        started = wait_for(lambda: docker_started_at(engine, created["metadata"]["uid"], report.restart_count + 1),
                           timeout=40, message="the next instance")
        assert abs(started - epoch_of(restart.at)) < ON_TIME_SECONDS, (restart.at, started)
    finally:
        delete_now(api, "crashy")


def test_a_bad_image_shows_the_engines_error_and_the_next_pull_happens_when_it_said(api, node, kubelet):
    # An address, not "localhost": the engine must fail at once, without asking a resolver.
    create(api, node, "nopull", {"name": "app", "image": "127.0.0.1:1/does-not-exist:1"})
    try:
        def pull_pending():
            report = app_report(kubelet, "nopull")
            next_pull = countdown(report, "NextPull")
            return report if report.pull_error and next_pull and epoch_of(next_pull.at) > time.time() else None

        report = wait_for(pull_pending, timeout=30, message="a pull error with a NextPull ahead")
        assert report.reason in ("ErrImagePull", "ImagePullBackOff") and report.state == "Waiting"
        assert "127.0.0.1:1" in report.pull_error
        next_pull = epoch_of(countdown(report, "NextPull").at)
        wait_for(lambda: app_report(kubelet, "nopull").pull_attempts > report.pull_attempts, timeout=40,
                 message="the next pull attempt")
        seen = time.time()
        assert next_pull - 0.1 <= seen < next_pull + ON_TIME_SECONDS + 0.5
    finally:
        delete_now(api, "nopull")


def test_a_failing_readiness_probe_shows_its_output_and_failures_against_the_threshold(api, node, kubelet):
    probe = {"exec": {"command": ["sh", "-c", "echo no /tmp/ready here; exit 1"]}, "periodSeconds": 1,
             "failureThreshold": 3}
    create(api, node, "unready", app("exec sleep 3600", readinessProbe=probe))
    try:
        def failed_enough():
            report = app_report(kubelet, "unready")
            probes = report.probes
            return report if probes and probes[0].consecutive_failures >= 3 else None

        report = wait_for(failed_enough, timeout=30, message="three failures of the readiness probe")
        assert report.state == "Running" and report.ready is False
        [readiness] = report.probes
        assert readiness.type == "readiness" and readiness.passing is False
        assert readiness.handler == "exec sh -c echo no /tmp/ready here; exit 1"
        assert readiness.last_output == "no /tmp/ready here"
        assert readiness.failure_threshold == 3 and readiness.consecutive_successes == 0
        assert readiness.period_seconds == pytest.approx(1 * TIME_SCALE)
        assert readiness.last_probe_time
    finally:
        delete_now(api, "unready")


def test_a_terminating_pod_shows_the_sigkill_the_kubelet_then_sends(api, node, kubelet, engine):
    created = create(api, node, "stubborn", app("trap '' TERM; while true; do sleep 0.1; done"),
                     terminationGracePeriodSeconds=20)
    uid = created["metadata"]["uid"]
    wait_for(lambda: app_report(kubelet, "stubborn").state == "Running", timeout=30, message="the container running")
    [container] = [c for c in engine.containers.list(filters={"label": f"{LABEL_POD_UID}={uid}"})
                   if c.labels[LABEL_CONTAINER_NAME] == "app"]
    api.delete("/api/v1/namespaces/default/pods/stubborn")

    def sigkill_ahead():
        termination = why(kubelet, "stubborn").termination
        return termination if termination and countdown(termination, "SigKill") else None

    termination = wait_for(sigkill_ahead, timeout=10, message="the SigKill countdown")
    assert termination.stage == "SigTerm"
    assert termination.grace_period_seconds == pytest.approx(20 * TIME_SCALE)
    kill_at = epoch_of(countdown(termination, "SigKill").at)
    assert kill_at == pytest.approx(epoch_of(termination.started_at) + 20 * TIME_SCALE, abs=0.002)

    def stopped_at():
        try:
            state = engine.api.inspect_container(container.id)["State"]
        except docker.errors.NotFound:
            return time.time()  # removed already: it stopped before this look
        return None if state["Running"] else epoch(state["FinishedAt"])

    killed = wait_for(stopped_at, timeout=30, interval=0.02, message="the container to be killed")
    assert abs(killed - kill_at) < ON_TIME_SECONDS, (kill_at, killed)
    wait_for(lambda: api.get("/api/v1/namespaces/default/pods/stubborn").status_code == 404, timeout=30,
             message="the kubelet to confirm deletion")
