"""`tkctl trace` against a live master running the deployment and replica set controllers: the tree
from a Deployment's creation through its ReplicaSet to its pods and a binding."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from apiclient import ApiClient, load_kubeconfig
from apiclient.provenance import reacting_to
from objects.kinds import POD
from tests.cli.conftest import Tkctl
from tests.support.cluster import Master, wait_for

CONTROLLERS_TIMEOUT = 30  # seconds; the machine is shared


@pytest.fixture(scope="module")
def controlling_master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("trace") / "data",
                    extra_args=["--no-scheduler", "--controllers=deployment,replicaset"]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def traced(controlling_master) -> tuple[str, str]:
    """Deployment `web` (2 replicas) made by its controllers, and one of its pods bound by a stand-in
    scheduler that says which pod revision it reacted to: (namespace, the bound pod's name)."""
    namespace = f"t-{uuid.uuid4().hex[:8]}"
    deployment = {"metadata": {"name": "web"}, "spec": {
        "replicas": 2, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}}}}
    with controlling_master.client() as api:
        assert api.post("/api/v1/namespaces", json={"metadata": {"name": namespace}}).status_code == 201
        assert api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=deployment).status_code == 201
        pods = wait_for(lambda: _two(api.get(f"/api/v1/namespaces/{namespace}/pods").json()["items"]),
                        timeout=CONTROLLERS_TIMEOUT, message="the deployment's two pods")
    pod = pods[0]
    with ApiClient(load_kubeconfig(controlling_master.kubeconfig), user_agent="tinykube-scheduler") as scheduler:
        with reacting_to(pod["metadata"]["resourceVersion"]):
            name = pod["metadata"]["name"]
            scheduler.create(POD, {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                                   "target": {"kind": "Node", "name": "node-1"}},
                             namespace, subresource_of=name, subresource="binding")
    return namespace, pod["metadata"]["name"]


def _two(pods: list[dict]) -> list[dict] | None:
    return pods if len(pods) == 2 else None


def depth(line: str) -> int:
    """How many hops below its root a line of the tree is (0: the root's own reactions)."""
    return re.search("[├└]", line).start() // 3


def test_a_pods_trace_runs_from_the_deployments_creation_through_its_controllers_to_its_binding(
        controlling_master, traced):
    namespace, bound = traced
    lines = Tkctl(controlling_master.kubeconfig).ok("trace", f"pod/{bound}", "-n", namespace).splitlines()
    assert lines[0].startswith(f"trace of pod/{bound} in {namespace}, writes since ")
    tree = [line for line in lines[2:] if line]
    assert re.match(r"\d\d:\d\d:\d\d\.\d{3}  python-httpx  create deployments\.apps/web  created$", tree[0])
    replica_set = next(line for line in tree if "controller/deployment  create replicasets.apps/web-" in line)
    assert depth(replica_set) == 0 and re.search(r"─ \+\d+ ms  ", replica_set)
    created = next(line for line in tree if f"controller/replicaset  create pods/{bound}  created" in line)
    binding = next(line for line in tree if f"scheduler  bind pods/{bound}" in line)
    assert (depth(created), depth(binding)) == (1, 2)
    assert binding.endswith(f"(tkctl why pod/{bound})")
    assert re.match(r"\d+ writes, [\d.]+ m?s from the first to the last \(", tree[-1])


def test_a_deployments_trace_hangs_its_replica_set_and_pods_under_its_creation(controlling_master, traced):
    namespace, _ = traced
    tree = Tkctl(controlling_master.kubeconfig).ok("trace", "deploy", "web", "-n", namespace).splitlines()[2:]
    assert "python-httpx  create deployments.apps/web" in tree[0]
    assert any(depth(line) == 0 and "create replicasets.apps/web-" in line for line in tree if "─" in line)
    assert any(depth(line) == 1 and "controller/replicaset  create pods/web-" in line for line in tree if "─" in line)


def test_a_trace_as_json_is_the_servers_trace(controlling_master, traced):
    namespace, bound = traced
    answer = json.loads(Tkctl(controlling_master.kubeconfig).ok("trace", f"pod/{bound}", "-n", namespace,
                                                                "--since", "30m", "-o", "json"))
    assert answer["kind"] == "Trace" and answer["subject"]["name"] == bound


@pytest.mark.parametrize("args", [(), ("pod/a", "pod/b"), ("pod/a", "--since", "later"), ("pod/a", "-o", "wide")])
def test_bad_input_is_one_line_and_exit_1(controlling_master, args):
    result = Tkctl(controlling_master.kubeconfig)("trace", *args)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
