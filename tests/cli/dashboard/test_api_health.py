"""The API's state as the page's banner shows it: refused credentials and a dead API server are said
clearly, by the stream's status and by the panels' 502, never as an empty map."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.cli.dashboard.conftest import kubeconfig_with_token
from tests.cli.dashboard.sse import EventStream
from tests.support.cluster import Master
from tests.support.dashboard import running_dashboard


@contextmanager
def _opened(dashboard) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dashboard.base_url, timeout=30) as client:
        assert client.get(dashboard.url).status_code == 303
        yield client


def test_a_refused_token_is_unauthorized_in_the_stream_and_502_on_details(cluster, tmp_path):
    kubeconfig = kubeconfig_with_token(cluster.kubeconfig, tmp_path / "bad.kubeconfig", "not-a-token")
    with running_dashboard(kubeconfig) as dashboard, _opened(dashboard) as page:
        with EventStream(page) as stream:
            status = stream.until(lambda e: e.name == "status" and e.data["state"] == "unauthorized",
                                  timeout=15, what="the unauthorized status")
        assert "401" in status.data["message"] and cluster.url in status.data["message"]
        assert status.data["server"] == cluster.url
        details = page.get("/api/pods/default/anything")
        assert details.status_code == 502
        assert details.json()["message"] == (f"The API server at {cluster.url} refused the dashboard's credentials "
                                             "(401 Unauthorized): check the kubeconfig")


def test_a_user_who_may_not_read_the_map_is_forbidden(cluster):
    # The node identity may not list Deployments (nor every pod) across the cluster.
    with running_dashboard(cluster.node_kubeconfig) as dashboard, _opened(dashboard) as page:
        with EventStream(page) as stream:
            status = stream.until(lambda e: e.name == "status" and e.data["state"] == "forbidden",
                                  timeout=15, what="the forbidden status")
    assert "403" in status.data["message"] and cluster.url in status.data["message"]


@pytest.fixture
def stoppable_master(tmp_path):
    server = Master(tmp_path / "data").start()
    try:
        yield server
    finally:
        server.stop()


def test_a_stopped_api_server_is_unreachable_in_the_stream_and_502_on_details(stoppable_master):
    with running_dashboard(stoppable_master.kubeconfig) as dashboard, _opened(dashboard) as page:
        with EventStream(page) as stream:
            stream.until(lambda e: e.name == "snapshot", timeout=15, what="the snapshot")
            stoppable_master.stop()
            status = stream.until(lambda e: e.name == "status" and e.data["state"] == "unreachable",
                                  timeout=15, what="the unreachable status")
        assert status.data["message"] == f"Cannot reach the API server at {stoppable_master.url}: connection refused"
        details = page.get("/api/nodes/anything")
        assert details.status_code == 502 and details.json()["message"] == status.data["message"]
