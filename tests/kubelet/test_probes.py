"""Liveness, readiness and startup probes on a real kubelet (timers scaled by 0.1)."""

import pytest

from tests.support.cluster import live_cluster, wait_for

IMAGE = "tinykube/busybox:test"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with live_cluster(tmp_path_factory.mktemp("probes"), nodes=1, time_scale=0.1) as (master, kubelets):
        yield master, kubelets[0]


@pytest.fixture
def api(cluster):
    with cluster[0].client() as client:
        yield client


def run(api, kubelet, name, container):
    pod = {"metadata": {"name": name},
           "spec": {"nodeName": kubelet.node_name, "terminationGracePeriodSeconds": 1, "containers": [container]}}
    assert api.post("/api/v1/namespaces/default/pods", json=pod).status_code == 201


def status(api, name):
    return api.get(f"/api/v1/namespaces/default/pods/{name}").json().get("status") or {}


def app_status(api, name):
    return next(iter(status(api, name).get("containerStatuses") or []), None)


def pod_ready(api, name):
    return {c["type"]: c["status"] for c in status(api, name).get("conditions") or []}.get("Ready")


def remove(api, name):
    api.delete(f"/api/v1/namespaces/default/pods/{name}")
    wait_for(lambda: api.get(f"/api/v1/namespaces/default/pods/{name}").status_code == 404, timeout=30)


def reasons(api, name):
    events = api.get("/api/v1/namespaces/default/events",
                     params={"fieldSelector": f"involvedObject.name={name}"}).json()["items"]
    return {(e["reason"], e["message"].split(":")[0]) for e in events}


def test_a_failing_liveness_probe_restarts_the_container(api, cluster):
    _, kubelet = cluster
    run(api, kubelet, "sick", {
        "name": "app", "image": IMAGE,
        "command": ["sh", "-c", "touch /tmp/healthy; sleep 1; rm /tmp/healthy; exec sleep 3600"],
        "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "periodSeconds": 1, "failureThreshold": 2},
    })
    try:
        restarted = wait_for(lambda: (lambda s: s if s and s["restartCount"] >= 1 else None)(app_status(api, "sick")),
                             timeout=40, message="a restart after the liveness failure")
        assert restarted["lastState"]["terminated"]["exitCode"] in (137, 143)
        found = wait_for(lambda: (lambda r: r if {("Unhealthy", "Liveness probe failed"), ("Killing",
                                  "Container app failed liveness probe, will be restarted")} <= r else None)(
            reasons(api, "sick")), message="Unhealthy and Killing events")
        assert found
    finally:
        remove(api, "sick")


def test_a_failing_readiness_probe_keeps_the_pod_not_ready_and_a_passing_one_makes_it_ready(api, cluster):
    _, kubelet = cluster
    run(api, kubelet, "shy", {
        "name": "app", "image": IMAGE, "ports": [{"name": "web", "containerPort": 8080}],
        "command": ["sh", "-c", "exec sleep 3600"],
        "readinessProbe": {"httpGet": {"port": "web", "path": "/"}, "periodSeconds": 1},
    })
    run(api, kubelet, "ready", {
        "name": "app", "image": IMAGE, "ports": [{"containerPort": 8080}],
        "command": ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"],
        "readinessProbe": {"httpGet": {"port": 8080, "path": "/"}, "periodSeconds": 1},
    })
    try:
        wait_for(lambda: pod_ready(api, "ready") == "True", timeout=30, message="the passing pod Ready")
        wait_for(lambda: ("Unhealthy", "Readiness probe failed") in reasons(api, "shy"), timeout=30)
        shy = app_status(api, "shy")
        assert "running" in shy["state"] and shy["ready"] is False
        assert pod_ready(api, "shy") == "False"
        assert status(api, "shy")["phase"] == "Running"
    finally:
        remove(api, "shy")
        remove(api, "ready")


def test_a_startup_probe_holds_back_started_and_ready_until_it_passes(api, cluster):
    _, kubelet = cluster
    run(api, kubelet, "slow", {
        "name": "app", "image": IMAGE, "ports": [{"containerPort": 9000}],
        "command": ["sh", "-c", "sleep 2; exec nc -ll -p 9000 -e cat"],
        "startupProbe": {"tcpSocket": {"port": 9000}, "periodSeconds": 1, "failureThreshold": 60},
    })
    try:
        first = wait_for(lambda: (lambda s: s if s and "running" in s["state"] else None)(app_status(api, "slow")),
                         timeout=30, message="the container running")
        assert first["started"] is False and first["ready"] is False
        wait_for(lambda: app_status(api, "slow")["started"] is True, timeout=30, message="started after the probe")
        assert app_status(api, "slow")["ready"] is True
        assert app_status(api, "slow")["restartCount"] == 0
    finally:
        remove(api, "slow")
