"""A master of this package's own (with its scheduler, so an unschedulable pod gets its FailedScheduling and
suggestions), hollow nodes made through its API, and `tkctl dashboard` as its own process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.cluster import Master, wait_for
from tests.support.dashboard import DashboardProcess, running_dashboard


# Compaction keeps the newest KEPT_REVISIONS only, soon, so a test can make a revision too old to travel to.
KEPT_REVISIONS = 100


@pytest.fixture(scope="package")
def cluster(tmp_path_factory) -> Iterator[Master]:
    server = Master(tmp_path_factory.mktemp("dashboard-master") / "data",
                    extra_args=["--compaction-keep", str(KEPT_REVISIONS), "--compaction-interval", "0.5",
                                "--history-age", "0s"]).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def cluster_api(cluster) -> Iterator[httpx.Client]:
    with cluster.client() as client:
        yield client


@pytest.fixture(scope="package")
def dashboard(cluster) -> Iterator[DashboardProcess]:
    with running_dashboard(cluster.kubeconfig) as process:
        yield process


@pytest.fixture
def page(dashboard) -> Iterator[httpx.Client]:
    """What a browser holds after opening the printed address: the session cookie."""
    with httpx.Client(base_url=dashboard.base_url, timeout=30) as client:
        answer = client.get(dashboard.url)
        assert answer.status_code == 303, answer.text
        yield client


@pytest.fixture
def namespace(cluster_api) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    assert cluster_api.post("/api/v1/namespaces", json={"metadata": {"name": name}}).status_code == 201
    yield name
    cluster_api.delete(f"/api/v1/namespaces/{name}")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def create_hollow_node(api: httpx.Client, name: str, *, cpu: str = "4", memory: str = "8Gi") -> dict:
    """A Node object with no kubelet behind it (the module's master runs no node lifecycle controller)."""
    capacity = {"cpu": cpu, "memory": memory, "pods": "110"}
    answer = api.post("/api/v1/nodes", json={
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"dashboard-test": "hollow"}},
        "status": {"capacity": capacity, "allocatable": capacity,
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                   "message": "hollow node"}]}})
    assert answer.status_code == 201, answer.text
    return answer.json()


def create_pod(api: httpx.Client, namespace: str, name: str, *, node: str | None = None, cpu: str = "250m",
               memory: str = "64Mi", node_selector: dict | None = None, owner: dict | None = None) -> dict:
    spec: dict = {"containers": [{"name": "app", "image": "busybox",
                                  "resources": {"requests": {"cpu": cpu, "memory": memory}}}]}
    if node:
        spec["nodeName"] = node
    if node_selector:
        spec["nodeSelector"] = node_selector
    metadata: dict = {"name": name}
    if owner:
        metadata["ownerReferences"] = [owner]
    answer = api.post(f"/api/v1/namespaces/{namespace}/pods",
                      json={"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec})
    assert answer.status_code == 201, answer.text
    return answer.json()


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def kubeconfig_with_token(original: Path, copy: Path, token: str) -> Path:
    config = yaml.safe_load(original.read_text())
    config["users"][0]["user"]["token"] = token
    copy.write_text(yaml.safe_dump(config))
    return copy


def kubeconfig_with_server(original: Path, copy: Path, server: str) -> Path:
    config = yaml.safe_load(original.read_text())
    config["clusters"][0]["cluster"]["server"] = server
    copy.write_text(yaml.safe_dump(config))
    return copy


def compact_past(api: httpx.Client, namespace: str, revision: int) -> None:
    """Write until the master has compacted `revision` away (it keeps the newest KEPT_REVISIONS)."""
    merge_patch = {"Content-Type": "application/merge-patch+json"}
    for step in range(KEPT_REVISIONS + 10):
        api.patch(f"/api/v1/namespaces/{namespace}", headers=merge_patch,
                  json={"metadata": {"labels": {"step": str(step)}}}).raise_for_status()
    wait_for(lambda: api.get("/api/v1/pods", params={"resourceVersion": str(revision),
                                                     "resourceVersionMatch": "Exact"}).status_code == 410,
             timeout=20, message=f"revision {revision} compacted")
