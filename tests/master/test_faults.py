"""The Fault kind (tinykube.io/v1alpha1) through the API and the real kubectl: admission, printing, selection."""

from __future__ import annotations

import shutil
import uuid

import pytest

FAULTS = "/apis/tinykube.io/v1alpha1/faults"
kubectl_required = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def fault(type_: str, node: str = "node-1", **spec) -> dict:
    return {"apiVersion": "tinykube.io/v1alpha1", "kind": "Fault",
            "metadata": {"name": f"{type_.lower()}-{uuid.uuid4().hex[:6]}"},
            "spec": {"type": type_, "nodeName": node, **spec}}


@pytest.fixture
def created(api):
    names: list[str] = []
    yield names
    for name in names:
        api.delete(f"{FAULTS}/{name}")


def test_a_new_fault_is_pending_until_its_kubelet_takes_it(api, created):
    answer = api.post(FAULTS, json=fault("Partition", durationSeconds=30))
    assert answer.status_code == 201, answer.text
    created.append(answer.json()["metadata"]["name"])
    assert answer.json()["status"] == {"phase": "Pending"}


@pytest.mark.parametrize(("spec", "field", "words"), [
    ({"type": "Meltdown"}, "spec.type", 'Unsupported value: "Meltdown"'),
    ({"nodeName": ""}, "spec.nodeName", "Required value"),
    ({"type": "CrashContainer"}, "spec.pod", "Required value"),
    ({"type": "CrashContainer", "pod": "web"}, "spec.pod", 'must be "namespace/name"'),
    ({"type": "CrashContainer", "pod": "default/web", "exitCode": 1}, "spec.exitCode", "only by a signal"),
    ({"type": "FailPulls"}, "spec.image", "Required value"),
    ({"type": "DelayRuntime"}, "spec.delayMilliseconds", "Required value"),
    ({"type": "DelayRuntime", "delayMilliseconds": 0}, "spec.delayMilliseconds", "must be greater than 0"),
    # A delay past the fault's end kept the node slow long after it expired.
    ({"type": "DelayRuntime", "delayMilliseconds": 60_001, "durationSeconds": 600}, "spec.delayMilliseconds",
     "must be at most 60000"),
    ({"type": "DelayRuntime", "delayMilliseconds": 5000, "durationSeconds": 2}, "spec.delayMilliseconds",
     "must be at most 2000"),
    ({"type": "DelayRuntime", "delayMilliseconds": 45_000}, "spec.delayMilliseconds", "must be at most 30000"),
    ({"durationSeconds": 0}, "spec.durationSeconds", "must be between 1 and 3600"),
    ({"durationSeconds": 3601}, "spec.durationSeconds", "must be between 1 and 3600"),
])
def test_a_bad_fault_spec_is_refused_naming_the_field(api, spec, field, words):
    body = fault("Partition")
    body["spec"].update(spec)
    answer = api.post(FAULTS, json=body)
    assert answer.status_code == 422, answer.text
    status = answer.json()
    assert status["kind"] == "Status" and status["reason"] == "Invalid"
    cause = next(c for c in status["details"]["causes"] if c["field"] == field)
    assert words in cause["message"]


def test_a_kubelet_reads_only_its_own_faults_and_writes_their_status(master, api, created):
    mine, theirs = fault("Partition", node="node-a"), fault("Partition", node="node-b")
    for body in (mine, theirs):
        assert api.post(FAULTS, json=body).status_code == 201
        created.append(body["metadata"]["name"])
    with master.client(master.token("node")) as kubelet:
        listed = kubelet.get(FAULTS, params={"fieldSelector": "spec.nodeName=node-a"})
        assert listed.status_code == 200, listed.text
        assert [f["metadata"]["name"] for f in listed.json()["items"]] == [mine["metadata"]["name"]]
        written = kubelet.patch(f"{FAULTS}/{mine['metadata']['name']}/status",
                                json={"status": {"phase": "Active"}},
                                headers={"Content-Type": "application/merge-patch+json"})
        assert written.status_code == 200, written.text
        assert written.json()["status"]["phase"] == "Active"
        # A kubelet cannot make faults, only carry them out.
        assert kubelet.post(FAULTS, json=fault("Partition")).status_code == 403


def test_the_main_resource_leaves_status_to_the_status_subresource(api, created):
    body = fault("Partition")
    stored = api.post(FAULTS, json=body).json()
    created.append(stored["metadata"]["name"])
    stored["status"] = {"phase": "Expired"}
    answer = api.put(f"{FAULTS}/{stored['metadata']['name']}", json=stored)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"]["phase"] == "Pending"


@kubectl_required
def test_kubectl_creates_lists_describes_and_deletes_faults(kubectl, tmp_path):
    name = f"fail-pulls-{uuid.uuid4().hex[:6]}"
    manifest = tmp_path / "fault.yaml"
    manifest.write_text(f"""apiVersion: tinykube.io/v1alpha1
kind: Fault
metadata:
  name: {name}
spec:
  type: FailPulls
  nodeName: node-1
  image: tinykube/busybox:test
  durationSeconds: 30
""")
    assert kubectl("create", "-f", str(manifest)).stdout.strip() == f"fault.tinykube.io/{name} created"
    table = kubectl("get", "faults").stdout.splitlines()
    assert table[0].split() == ["NAME", "TYPE", "NODE", "PHASE", "EXPIRES", "AGE"]
    row = next(line.split() for line in table[1:] if line.startswith(name))
    assert row[1:5] == ["FailPulls", "node-1", "Pending", "<none>"]
    described = kubectl("describe", "fault", name).stdout
    assert "FailPulls" in described and "tinykube/busybox:test" in described
    assert kubectl("delete", "fault", name).stdout.strip() == f'fault.tinykube.io "{name}" deleted'
    assert name not in kubectl("get", "faults", "--ignore-not-found").stdout


@kubectl_required
def test_kubectl_reports_a_bad_fault_with_the_field(kubectl, tmp_path):
    manifest = tmp_path / "fault.yaml"
    manifest.write_text("""apiVersion: tinykube.io/v1alpha1
kind: Fault
metadata:
  name: crash-bad
spec:
  type: CrashContainer
  nodeName: node-1
  pod: default/web
  exitCode: 3
""")
    result = kubectl("create", "-f", str(manifest), check=False)
    assert result.returncode != 0
    assert "spec.exitCode" in result.stderr and "signal" in result.stderr
