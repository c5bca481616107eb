"""ServiceDatapath on a real pause container, with a catalog fed by hand: a failed rule write is
retried by the pod's own next sync, and a pause restarted under the same container id (a new network
namespace) is set up anew."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import docker
import pytest

from kubelet.runtime.protocol import LABEL_OWNER, PodRef, Sandbox
from kubelet.services import netns
from kubelet.services.catalog import ServiceCatalog
from kubelet.services.datapath import ServiceDatapath
from kubelet.services.pod_network import PodNetworkFailed
from kubelet.services.rules import SERVICES_CHAIN
from objects.endpoints import SERVICE_NAME_LABEL
from objects.pod import Pod
from tests.support.images import PAUSE_IMAGE

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="entering a network namespace needs root")

POD = Pod.model_validate({"metadata": {"name": "p", "namespace": "default", "uid": "u-dp"},
                          "spec": {"containers": [{"name": "app", "image": PAUSE_IMAGE}]}})


@pytest.fixture
def pause() -> Iterator[docker.models.containers.Container]:
    client = docker.from_env()
    container = client.containers.run(PAUSE_IMAGE, detach=True, labels={LABEL_OWNER: f"test-dp-{uuid.uuid4().hex[:6]}"})
    try:
        yield container
    finally:
        container.remove(force=True)
        client.close()


def sandbox_of(container) -> Sandbox:
    container.reload()
    return Sandbox(id=container.id, pod=PodRef("default", "p", "u-dp", "n"), ip="", running=True,
                   pid=int(container.attrs["State"]["Pid"]))


def web_catalog(endpoint_ip: str = "10.0.0.1") -> ServiceCatalog:
    catalog = ServiceCatalog()
    catalog.upsert_service({"metadata": {"name": "web", "namespace": "default"},
                            "spec": {"clusterIP": "10.96.0.5", "ports": [{"port": 80}]}})
    catalog.upsert_slice({"metadata": {"name": "web-x", "namespace": "default",
                                       "labels": {SERVICE_NAME_LABEL: "web"}},
                          "addressType": "IPv4", "endpoints": [{"addresses": [endpoint_ip]}], "ports": [{"port": 80}]})
    catalog.synced.set()
    return catalog


def nat_rules(datapath: ServiceDatapath, pid: int) -> str:
    return netns.save(netns.open_namespace(pid), datapath._iptables(datapath.pods()["u-dp"].sandbox_netns))


def test_a_failed_write_is_retried_by_the_pods_next_sync(pause) -> None:
    catalog = web_catalog()
    datapath = ServiceDatapath(catalog, cluster_dns=(), cluster_domain="cluster.local")
    sandbox = sandbox_of(pause)
    datapath.set_up(POD, sandbox)
    assert "10.0.0.1:80" in nat_rules(datapath, sandbox.pid)

    backend, datapath._backend = datapath._iptables(datapath.pods()["u-dp"].sandbox_netns), "missing"
    catalog.upsert_slice({"metadata": {"name": "web-x", "namespace": "default", "labels": {SERVICE_NAME_LABEL: "web"}},
                          "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.2"]}], "ports": [{"port": 80}]})
    catalog.notify_now()  # the write fails (no such iptables): what the namespace holds is now unknown
    assert datapath.pods()["u-dp"].applied is None
    with pytest.raises(PodNetworkFailed):
        datapath.set_up(POD, sandbox)  # the pod's sync says so (FailedCreatePodSandBox) ...

    datapath._backend = backend
    datapath.set_up(POD, sandbox)  # ... and its next one writes the rules, with no catalog change needed
    rules = nat_rules(datapath, sandbox.pid)
    assert "10.0.0.2:80" in rules and "10.0.0.1:80" not in rules
    assert rules.count(f"-A OUTPUT -j {SERVICES_CHAIN}") == 2  # one jump in nat, one in filter: none added twice


def test_a_pause_restarted_under_the_same_id_gets_its_new_namespace_set_up(pause) -> None:
    datapath = ServiceDatapath(web_catalog(), cluster_dns=(), cluster_domain="cluster.local")
    before = sandbox_of(pause)
    datapath.set_up(POD, before)
    pause.restart(timeout=0)
    after = sandbox_of(pause)
    assert (after.id, after.pid) != (before.id, before.pid) and after.id == before.id

    datapath.set_up(POD, after)
    assert datapath.pods()["u-dp"].sandbox_netns.pid == after.pid
    assert "10.0.0.1:80" in nat_rules(datapath, after.pid)
