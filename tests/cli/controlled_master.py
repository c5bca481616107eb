"""Fixtures for CLI tests against a master that runs controllers but no scheduler and no kubelet:
a test marks pods ready by writing their status, as a kubelet would.

    controlled_master, api, tkctl, kubectl = controlled_master_fixtures("rollout", "deployment,replicaset")

at a test module's top level gives it a module-scoped master running those
controllers, and `api`, `tkctl` and `kubectl` fixtures bound to it (they
shadow the conftest's, which are bound to a master without controllers).
"""

from __future__ import annotations

import pytest

from tests.cli.conftest import Tkctl
from tests.support.cluster import Kubectl, Master


def controlled_master_fixtures(name: str, controllers: str):
    @pytest.fixture(scope="module")
    def controlled_master(tmp_path_factory):
        server = Master(tmp_path_factory.mktemp(name) / "data", extra_args=[
            "--no-scheduler", f"--controllers={controllers}", "--time-scale", "0.1"]).start()
        yield server
        server.stop()

    @pytest.fixture
    def api(controlled_master):
        with controlled_master.client() as client:
            yield client

    @pytest.fixture
    def tkctl(controlled_master):
        return Tkctl(controlled_master.kubeconfig)

    @pytest.fixture
    def kubectl(controlled_master, tmp_path):
        return Kubectl(controlled_master.kubeconfig, tmp_path / "kube-cache")

    return controlled_master, api, tkctl, kubectl
