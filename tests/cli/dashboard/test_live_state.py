"""LiveState in this process, fed by its real informers from the package's master: what it keeps between changes."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from apiclient import ApiClient, load_kubeconfig
from cli.dashboard.api_health import connecting
from cli.dashboard.live_state import LiveState
from tests.cli.dashboard.conftest import create_pod
from tests.support.cluster import wait_for


@pytest.fixture
def live(cluster) -> Iterator[LiveState]:
    client = ApiClient(load_kubeconfig(cluster.kubeconfig))
    state = LiveState(client, connecting(cluster.url))
    stop = threading.Event()
    state.start(stop)
    try:
        yield state
    finally:
        stop.set()


def _pods_of(live: LiveState, namespace: str) -> set[str]:
    return {pod.name for pod in live.snapshot().pods if pod.namespace == namespace}


def test_a_deleted_pod_stops_waiting_for_a_replica_set_that_never_came(cluster_api, live, namespace):
    # The bug: pods of a ReplicaSet the dashboard never saw stayed in its waiting list after they were deleted.
    ghost = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "ghost", "uid": str(uuid.uuid4()),
             "controller": True}
    for name in ("ghost-1", "ghost-2"):
        create_pod(cluster_api, namespace, name, node_selector={"disk": "nowhere"}, owner=ghost)
    wait_for(lambda: _pods_of(live, namespace) == {"ghost-1", "ghost-2"}, timeout=15, message="both pods")
    assert {view.owner for view in live.snapshot().pods if view.namespace == namespace} == {"ReplicaSet/ghost"}

    for name in ("ghost-1", "ghost-2"):
        cluster_api.delete(f"/api/v1/namespaces/{namespace}/pods/{name}",
                           params={"gracePeriodSeconds": "0"}).raise_for_status()
    wait_for(lambda: not _pods_of(live, namespace), timeout=15, message="both pods gone")
    assert not [key for key in live._awaiting_replica_set if key.startswith(f"{namespace}/")]
