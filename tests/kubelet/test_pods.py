"""Pods on a real kubelet and the real Docker engine: networking, volumes, restarts, deletion, adoption."""

import re
import time

import docker
import httpx
import pytest

from kubelet.runtime.protocol import LABEL_CONTAINER_NAME, LABEL_POD_UID
from objects.phases import is_finished_phase
from tests.support.cluster import live_cluster, wait_for
from tests.support.revision_log import revision_rows

IMAGE = "tinykube/busybox:test"
TIME_SCALE = 0.1


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A master and one kubelet on a test network; everything they started is removed afterwards."""
    with live_cluster(tmp_path_factory.mktemp("kubelet"), nodes=1, time_scale=TIME_SCALE) as (master, kubelets):
        yield master, kubelets[0]


@pytest.fixture
def api(cluster):
    master, _ = cluster
    with master.client() as client:
        yield client


@pytest.fixture
def kubelet(cluster):
    return cluster[1]


@pytest.fixture
def engine():
    client = docker.from_env()
    yield client
    client.close()


def create(api, kubelet, name, containers, **spec):
    pod = {"metadata": {"name": name},
           "spec": {"nodeName": kubelet.node_name, "containers": containers, "terminationGracePeriodSeconds": 5,
                    **spec}}
    answer = api.post("/api/v1/namespaces/default/pods", json=pod)
    assert answer.status_code == 201, answer.text
    return answer.json()


def get(api, name):
    return api.get(f"/api/v1/namespaces/default/pods/{name}").json()


def container_status(api, name, container="app"):
    statuses = (get(api, name).get("status") or {}).get("containerStatuses") or []
    return next((s for s in statuses if s["name"] == container), None)


def events_of(api, pod):
    answer = api.get("/api/v1/namespaces/default/events",
                     params={"fieldSelector": f"involvedObject.uid={pod['metadata']['uid']}"})
    return answer.json()["items"]


def phase(api, name):
    return (get(api, name).get("status") or {}).get("phase")


def delete_now(api, name):
    api.delete(f"/api/v1/namespaces/default/pods/{name}")
    wait_for(lambda: api.get(f"/api/v1/namespaces/default/pods/{name}").status_code == 404, timeout=30,
             message=f"pod {name} to be deleted")


def app(command, **extra):
    return {"name": "app", "image": IMAGE, "command": ["sh", "-c", command], **extra}


def docker_containers(engine, pod_uid):
    return engine.containers.list(all=True, filters={"label": f"{LABEL_POD_UID}={pod_uid}"})


def test_two_containers_share_localhost_and_an_empty_dir_and_the_pod_ip_answers(api, kubelet, engine):
    server = {"name": "server", "image": IMAGE, "ports": [{"containerPort": 8080}],
              "command": ["sh", "-c", "mkdir -p /www && echo hello-from-server > /www/index.html && "
                                      "echo written-by-server > /shared/note && exec httpd -f -p 8080 -h /www"],
              "volumeMounts": [{"name": "shared", "mountPath": "/shared"}]}
    client = {"name": "client", "image": IMAGE,
              "command": ["sh", "-c", "until wget -qO /shared/fetched http://127.0.0.1:8080/; do sleep 0.2; done; "
                                      "exec sleep 3600"],
              "volumeMounts": [{"name": "shared", "mountPath": "/shared"}]}
    created = create(api, kubelet, "duo", [server, client], volumes=[{"name": "shared", "emptyDir": {}}])
    try:
        wait_for(lambda: phase(api, "duo") == "Running", timeout=30, message="duo Running")
        client_container = next(c for c in docker_containers(engine, created["metadata"]["uid"])
                                if c.labels[LABEL_CONTAINER_NAME] == "client")
        fetched = wait_for(lambda: client_container.exec_run("cat /shared/fetched").output.strip(),
                           message="the client to fetch over localhost")
        assert fetched == b"hello-from-server"  # reached the other container on localhost
        assert client_container.exec_run("cat /shared/note").output.strip() == b"written-by-server"
        pod_ip = get(api, "duo")["status"]["podIP"]
        assert wait_for(lambda: httpx.get(f"http://{pod_ip}:8080/", timeout=2).text.strip(),
                        message="the pod IP from the host") == "hello-from-server"
        status = get(api, "duo")["status"]
        assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
        for container in status["containerStatuses"]:
            assert container["containerID"].startswith("docker://") and container["ready"] is True
            assert container["state"]["running"]["startedAt"]
    finally:
        delete_now(api, "duo")
    assert docker_containers(engine, created["metadata"]["uid"]) == []


def test_restart_policy_always_restarts_with_crash_loop_backoff(api, kubelet):
    create(api, kubelet, "crasher", [app("exit 1")])
    try:
        status = wait_for(lambda: (lambda s: s if s and s["restartCount"] >= 2 else None)(
            container_status(api, "crasher")), timeout=40, message="two restarts")
        assert status["lastState"]["terminated"]["exitCode"] == 1
        assert status["lastState"]["terminated"]["reason"] == "Error"
        waiting = wait_for(lambda: (container_status(api, "crasher") or {}).get("state", {}).get("waiting"),
                           timeout=20, message="a waiting state")
        assert waiting["reason"] == "CrashLoopBackOff"
        assert phase(api, "crasher") == "Running"
    finally:
        delete_now(api, "crasher")


def test_backoff_doubles_between_restarts(api, kubelet):
    created = create(api, kubelet, "doubler", [app("exit 1")])
    starts = []
    try:
        def restarts_seen():
            status = container_status(api, "doubler")
            if status and "running" not in status["state"] and status["restartCount"] >= 3:
                return status
            return None

        wait_for(restarts_seen, timeout=60, message="three restarts")
        started = wait_for(lambda: [e for e in events_of(api, created) if e["reason"] == "Started"
                                    and e["count"] >= 3], timeout=10, message="the Started event counted thrice")
        assert len(started) == 1  # one event counted up, as `kubectl describe` shows "(x3 over 2s)"
        engine = docker.from_env()
        containers = docker_containers(engine, created["metadata"]["uid"])
        for container in containers:
            if container.labels.get(LABEL_CONTAINER_NAME) == "app":
                starts.append(container.attrs["State"]["StartedAt"])
        engine.close()
    finally:
        delete_now(api, "doubler")
    from datetime import datetime

    times = sorted(datetime.fromisoformat(s[:26].rstrip("Z")) for s in starts)
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert len(gaps) >= 3, gaps
    # As the kubelet does: the first restart at once, then waits of 10s, 20s, 40s ... (scaled by 0.1).
    assert gaps[1] >= 10 * TIME_SCALE * 0.9 and gaps[2] >= 20 * TIME_SCALE * 0.9, gaps


@pytest.mark.parametrize("policy, command, expected_phase, exit_code", [
    ("Never", "exit 0", "Succeeded", 0),
    ("Never", "exit 2", "Failed", 2),
    ("OnFailure", "exit 0", "Succeeded", 0),
])
def test_restart_policies_never_and_on_failure_end_the_pod(api, kubelet, policy, command, expected_phase, exit_code):
    name = f"once-{policy.lower()}-{exit_code}"
    create(api, kubelet, name, [app(command)], restartPolicy=policy)
    try:
        assert wait_for(lambda: (lambda p: p if is_finished_phase(p) else None)(phase(api, name)),
                        timeout=30) == expected_phase
        status = container_status(api, name)
        assert status["state"]["terminated"]["exitCode"] == exit_code
        assert status["restartCount"] == 0
    finally:
        delete_now(api, name)


def test_a_memory_limit_kill_is_reported_as_oom_killed(api, kubelet):
    # The string doubles in user space, where a page over the limit wakes the OOM killer. (dd's read of
    # /dev/zero fills its buffer inside the kernel, where the charge can fail the read instead.)
    hog = app("x=xxxxxxxxxxxxxxxx; while true; do x=$x$x; done", resources={"limits": {"memory": "16Mi"}})
    create(api, kubelet, "hog", [hog], restartPolicy="Never")
    try:
        seen = []

        def oom_killed():
            terminated = (container_status(api, "hog") or {}).get("state", {}).get("terminated")
            seen.append(terminated)
            # Docker may record the OOM event just after the exit; the kubelet reports it at its next look.
            return terminated if terminated and terminated["reason"] == "OOMKilled" else None

        wait_for(oom_killed, timeout=60, message=lambda: f"the OOM kill (last terminated state: {seen[-1:]})")
        assert phase(api, "hog") == "Failed"
    finally:
        delete_now(api, "hog")


def test_an_image_that_cannot_be_pulled_waits_in_err_image_pull_then_backoff(api, kubelet):
    # An address, not "localhost": the engine must fail at once, without asking a resolver.
    created = create(api, kubelet, "nopull", [{"name": "app", "image": "127.0.0.1:1/does-not-exist:1"}])
    try:
        reasons = []

        def both_seen():
            waiting = (container_status(api, "nopull") or {}).get("state", {}).get("waiting") or {}
            if not reasons or reasons[-1] != waiting.get("reason"):
                reasons.append(waiting.get("reason"))
            return {"ErrImagePull", "ImagePullBackOff"} <= set(reasons)

        def what_was_seen():
            events = [(e["reason"], e["message"], e["count"]) for e in events_of(api, created)]
            return f"ErrImagePull and ImagePullBackOff; the waiting reasons went {reasons}, the events were {events}"

        wait_for(both_seen, timeout=60, interval=0.05, message=what_was_seen)
        assert phase(api, "nopull") == "Pending"
    finally:
        delete_now(api, "nopull")


def test_pull_policy_never_with_a_missing_image_is_err_image_never_pull(api, kubelet):
    create(api, kubelet, "never", [{"name": "app", "image": "tinykube/absent:1", "imagePullPolicy": "Never"}])
    try:
        waiting = wait_for(lambda: (container_status(api, "never") or {}).get("state", {}).get("waiting"), timeout=30)
        assert waiting["reason"] == "ErrImageNeverPull"
    finally:
        delete_now(api, "never")


def test_graceful_deletion_sends_sigterm_and_waits_for_the_container(api, kubelet, engine):
    trapper = app("trap 'echo got-term; exit 0' TERM; while true; do sleep 0.1; done")
    stubborn = {"name": "stubborn", "image": IMAGE, "command": ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"]}
    created = create(api, kubelet, "graceful", [trapper, stubborn], terminationGracePeriodSeconds=20)
    wait_for(lambda: phase(api, "graceful") == "Running", timeout=30)
    started = time.monotonic()
    marked = api.delete("/api/v1/namespaces/default/pods/graceful").json()
    assert marked["metadata"]["deletionTimestamp"]
    wait_for(lambda: api.get("/api/v1/namespaces/default/pods/graceful").status_code == 404, timeout=30,
             message="the kubelet to confirm deletion")
    elapsed = time.monotonic() - started
    assert elapsed >= 20 * TIME_SCALE * 0.9  # the stubborn one was given its (scaled) grace before SIGKILL
    assert docker_containers(engine, created["metadata"]["uid"]) == []


def test_a_container_killed_outside_tinykube_comes_back(api, kubelet, engine):
    created = create(api, kubelet, "phoenix", [app("exec sleep 3600")])
    try:
        wait_for(lambda: phase(api, "phoenix") == "Running", timeout=30)
        [first] = [c for c in docker_containers(engine, created["metadata"]["uid"])
                   if c.labels[LABEL_CONTAINER_NAME] == "app"]
        first.kill()
        status = wait_for(lambda: (lambda s: s if s and s["restartCount"] == 1 and "running" in s["state"] else None)(
            container_status(api, "phoenix")), timeout=30, message="the restart")
        assert status["containerID"] != f"docker://{first.id}"
        assert status["lastState"]["terminated"]["exitCode"] == 137
    finally:
        delete_now(api, "phoenix")


def test_a_pod_that_does_not_fit_the_node_fails_admission_with_out_of_cpu(api, kubelet):
    create(api, kubelet, "greedy", [app("exec sleep 3600", resources={"requests": {"cpu": "64"}})])
    try:
        status = wait_for(lambda: (lambda s: s if s.get("phase") == "Failed" else None)(get(api, "greedy").get("status") or {}),
                          timeout=20)
        assert status["reason"] == "OutOfcpu"
        assert "Node didn't have enough resource: cpu" in status["message"]
    finally:
        delete_now(api, "greedy")


def test_a_restarted_kubelet_adopts_running_pods_and_removes_orphans(api, kubelet, engine):
    kept = create(api, kubelet, "kept", [app("exec sleep 3600")])
    dropped = create(api, kubelet, "dropped", [app("exec sleep 3600")])
    wait_for(lambda: phase(api, "kept") == "Running" and phase(api, "dropped") == "Running", timeout=30)
    before = sorted(c.id for c in docker_containers(engine, kept["metadata"]["uid"]))
    kubelet.stop()
    # While the kubelet is away, the pod is force-deleted: its containers are now orphans.
    api.delete("/api/v1/namespaces/default/pods/dropped", params={"gracePeriodSeconds": "0"})
    kubelet.start()
    try:
        wait_for(lambda: docker_containers(engine, dropped["metadata"]["uid"]) == [], timeout=30,
                 message="orphans removed")
        after = sorted(c.id for c in docker_containers(engine, kept["metadata"]["uid"]))
        assert after == before  # adopted, not restarted
        assert container_status(api, "kept")["restartCount"] == 0
    finally:
        delete_now(api, "kept")


def test_the_node_registers_capacity_node_info_and_renews_its_lease(api, kubelet):
    node = api.get(f"/api/v1/nodes/{kubelet.node_name}").json()
    assert node["status"]["capacity"] == {"cpu": "2", "memory": "2Gi", "pods": "110"}
    info = node["status"]["nodeInfo"]
    assert set(info) >= {"architecture", "bootID", "containerRuntimeVersion", "kernelVersion", "kubeProxyVersion",
                         "kubeletVersion", "machineID", "operatingSystem", "osImage", "systemUUID"}
    assert info["containerRuntimeVersion"].startswith("docker://")
    assert node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == kubelet.port
    lease_path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{kubelet.node_name}"
    first = api.get(lease_path).json()["spec"]["renewTime"]
    assert wait_for(lambda: api.get(lease_path).json()["spec"]["renewTime"] != first, timeout=10,
                    message="a lease renewal")


def test_a_memory_empty_dir_is_a_tmpfs_shared_by_the_pods_containers(api, kubelet, engine):
    writer = {"name": "writer", "image": IMAGE, "command": ["sh", "-c", "echo kept > /cache/f; exec sleep 3600"],
              "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}
    reader = {"name": "reader", "image": IMAGE, "command": ["sh", "-c", "exec sleep 3600"],
              "volumeMounts": [{"name": "cache", "mountPath": "/cache", "readOnly": True}]}
    created = create(api, kubelet, "ram", [writer, reader], volumes=[{"name": "cache", "emptyDir": {"medium": "Memory"}}])
    try:
        wait_for(lambda: phase(api, "ram") == "Running", timeout=30)
        [reading] = [c for c in docker_containers(engine, created["metadata"]["uid"])
                     if c.labels[LABEL_CONTAINER_NAME] == "reader"]
        assert wait_for(lambda: reading.exec_run("cat /cache/f").output.strip()) == b"kept"
        assert b"tmpfs" in reading.exec_run("sh -c 'grep \" /cache \" /proc/mounts'").output
        assert reading.exec_run("touch /cache/g").exit_code != 0  # mounted read-only here
    finally:
        delete_now(api, "ram")


def test_a_host_port_is_published_on_the_host(api, kubelet):
    from tests.support.cluster import free_port

    port = free_port()
    web = {"name": "app", "image": IMAGE, "ports": [{"containerPort": 8080, "hostPort": port}],
           "command": ["sh", "-c", "mkdir -p /www && echo via-host-port > /www/index.html && "
                                   "exec httpd -f -p 8080 -h /www"]}
    create(api, kubelet, "published", [web])
    try:
        wait_for(lambda: phase(api, "published") == "Running", timeout=30)
        page = wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text.strip(),
                        message="the host port")
        assert page == "via-host-port"
    finally:
        delete_now(api, "published")


def test_node_status_reports_refresh_heartbeats_but_keep_transition_times(api, kubelet):
    def ready():
        node = api.get(f"/api/v1/nodes/{kubelet.node_name}").json()
        return next(c for c in node["status"]["conditions"] if c["type"] == "Ready")

    first = ready()
    later = wait_for(lambda: (lambda c: c if c["lastHeartbeatTime"] != first["lastHeartbeatTime"] else None)(ready()),
                     timeout=20, message="a node status report (every 60s, scaled)")
    assert later["status"] == "True"
    assert later["lastTransitionTime"] == first["lastTransitionTime"]


def test_pods_keep_running_while_the_master_is_away_and_the_kubelet_catches_up(cluster, engine):
    # Runs last in this module: it stops and restarts the module's master.
    master, kubelet = cluster
    with master.client() as client:
        created = create(client, kubelet, "steady", [app("exec sleep 3600")])
        wait_for(lambda: phase(client, "steady") == "Running", timeout=30)
    [container] = [c for c in docker_containers(engine, created["metadata"]["uid"])
                   if c.labels[LABEL_CONTAINER_NAME] == "app"]
    master.stop()
    wait_for(lambda: "heartbeat of node" in kubelet.log(), timeout=30, message="the kubelet to notice")
    container.reload()
    assert container.status == "running"
    master.start()  # same data directory and port
    with master.client() as client:
        late = create(client, kubelet, "after-return", [app("exec sleep 3600")])
        wait_for(lambda: phase(client, "after-return") == "Running", timeout=60, message="a pod created after")
        steady = container_status(client, "steady")
        assert steady["restartCount"] == 0 and steady["containerID"] == f"docker://{container.id}"
        assert late["metadata"]["uid"] != created["metadata"]["uid"]
        for name in ("steady", "after-return"):
            delete_now(client, name)


def test_the_status_that_first_shows_the_pod_running_reacts_to_its_binding_and_tells_the_step_timings(
        cluster, api, kubelet):
    master, _ = cluster
    created = create(api, kubelet, "timed", [app("sleep 3600")])
    revision = int(created["metadata"]["resourceVersion"])  # a pod made with its nodeName is bound as made
    wait_for(lambda: phase(api, "timed") == "Running", timeout=60, message="the pod Running")

    def kubelet_rows():
        return [row for row in revision_rows(master.data_dir, namespace="default")
                if row.component == f"kubelet/{kubelet.node_name}"]

    def started_event_written():  # events are written off the sync's thread
        rows = kubelet_rows()
        return any(row.resource == "events" and row.object["reason"] == "Started"
                   and row.object["involvedObject"]["uid"] == created["metadata"]["uid"] for row in rows) and rows

    rows = wait_for(started_event_written, message="the Started event in the log")
    statuses = [row for row in rows if row.resource == "pods" and row.name == "timed"]
    running = next(row for row in statuses if any("running" in (c.get("state") or {})
                                                  for c in row.object["status"].get("containerStatuses") or []))
    assert re.fullmatch(r"sandbox \d+ ms, pull \d+ ms, create \d+ ms, start \d+ ms", running.note or "")
    assert sum(int(ms) for ms in re.findall(r"(\d+) ms", running.note)) > 0
    assert [row for row in statuses if row.note] == [running]  # told once
    events = [row for row in rows if row.resource == "events"
              and row.object["involvedObject"]["uid"] == created["metadata"]["uid"]]
    assert {"Pulled", "Created", "Started"} <= {row.object["reason"] for row in events}
    assert {row.cause for row in statuses + events} == {revision}
    delete_now(api, "timed")
