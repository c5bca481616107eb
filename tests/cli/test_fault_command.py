"""`tkctl fault crash|partition|delay|fail-pulls` against a live master with hollow nodes (no kubelet):
what each creates, and the one line a bad input gets. What a kubelet then does is tests/kubelet/test_faults.py."""

from __future__ import annotations

import re
import uuid

import pytest

FAULTS = "/apis/tinykube.io/v1alpha1/faults"


@pytest.fixture
def node_name(api):
    name = f"node-{uuid.uuid4().hex[:6]}"
    assert api.post("/api/v1/nodes", json={"metadata": {"name": name}}).status_code == 201
    yield name
    for fault in api.get(FAULTS, params={"fieldSelector": f"spec.nodeName={name}"}).json()["items"]:
        api.delete(f"{FAULTS}/{fault['metadata']['name']}")
    api.delete(f"/api/v1/nodes/{name}")


def created_fault(api, output: str, prefix: str) -> dict:
    match = re.fullmatch(rf"fault\.tinykube\.io/({prefix}-[a-z0-9]{{5}}) created\n", output)
    assert match, output
    return api.get(f"{FAULTS}/{match.group(1)}").json()


def test_partition_creates_a_fault_for_the_node(tkctl, api, node_name):
    fault = created_fault(api, tkctl.ok("fault", "partition", node_name, "--for", "45s"), "partition")
    assert fault["spec"] == {"type": "Partition", "nodeName": node_name, "durationSeconds": 45}
    assert fault["status"]["phase"] == "Pending"


def test_delay_and_fail_pulls_carry_their_fields(tkctl, api, node_name):
    delay = created_fault(api, tkctl.ok("fault", "delay", node_name, "--ms", "200", "--for", "1m"), "delayruntime")
    assert delay["spec"] == {"type": "DelayRuntime", "nodeName": node_name, "delayMilliseconds": 200,
                             "durationSeconds": 60}
    pulls = created_fault(api, tkctl.ok("fault", "fail-pulls", node_name, "--image", "nginx:1.27"), "failpulls")
    assert pulls["spec"] == {"type": "FailPulls", "nodeName": node_name, "image": "nginx:1.27",
                             "durationSeconds": 30}


def test_crash_takes_the_node_from_the_pod(tkctl, api, namespace, node_name):
    pod = {"metadata": {"name": "web"},
           "spec": {"nodeName": node_name, "containers": [{"name": "app", "image": "busybox"},
                                                          {"name": "side", "image": "busybox"}]}}
    assert api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod).status_code == 201
    output = tkctl.ok("fault", "crash", "web", "-n", namespace, "-c", "side", "--exit-code", "143")
    fault = created_fault(api, output, "crashcontainer")
    assert fault["spec"] == {"type": "CrashContainer", "nodeName": node_name, "pod": f"{namespace}/web",
                             "container": "side", "exitCode": 143}


@pytest.mark.parametrize(("args", "words"), [
    (["crash", "nowhere"], 'pods "nowhere" not found'),
    (["crash", "web", "--exit-code", "1"], "only by a signal"),
    (["partition", "no-such-node"], 'nodes "no-such-node" not found'),
    (["partition", "NODE", "--for", "2h"], "--for must be between 1s and 1h"),
    (["partition", "NODE", "--for", "soon"], 'invalid duration "soon"'),
    (["delay", "NODE", "--ms", "0"], "--ms must be greater than 0"),
])
def test_bad_input_prints_one_line_and_fails(tkctl, node_name, args, words):
    result = tkctl("fault", *[node_name if arg == "NODE" else arg for arg in args])
    assert result.returncode != 0
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
