import uuid

import pytest

from tests.support.cluster import Kubectl, Master


@pytest.fixture(scope="session")
def master(tmp_path_factory):
    """One master for the session; tests isolate themselves with their own namespace.

    It runs no scheduler, so pods stay exactly as a test leaves them; scheduling
    tests start masters of their own.
    """
    server = Master(tmp_path_factory.mktemp("master") / "data", extra_args=["--no-scheduler"]).start()
    yield server
    server.stop()


@pytest.fixture
def api(master):
    with master.client() as client:
        yield client


@pytest.fixture
def namespace(api):
    """A fresh namespace per test, removed afterwards."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    response = api.post("/api/v1/namespaces", json={"metadata": {"name": name}})
    assert response.status_code == 201, response.text
    yield name
    api.delete(f"/api/v1/namespaces/{name}")


@pytest.fixture
def kubectl(master, tmp_path):
    return Kubectl(master.kubeconfig, tmp_path / "kube-cache")
