"""The status the kubelet computes from what the runtime reports, as it goes on the wire."""

from __future__ import annotations

from kubelet.pod_status import Waiting, container_status, phase, pod_status, rejected_status
from kubelet.runtime.protocol import ContainerStatus, PodRef, Sandbox
from objects.container import Container
from objects.phases import PodPhase
from objects.pod import Pod

REF = PodRef("default", "web", "uid-1", "node-1", "")
APP = Container(name="app", image="busybox")


def instance(id_: str, state: str, *, exit_code: int = 0, restart_count: int = 0) -> ContainerStatus:
    return ContainerStatus(id=id_, pod=REF, name="app", image="busybox", image_id="sha256:1", state=state,
                           exit_code=exit_code, started_at="2024-05-01T12:00:00.123456789Z",
                           finished_at="2024-05-01T12:00:05.5Z" if state == "exited" else "",
                           restart_count=restart_count)


def pod(**spec) -> Pod:
    return Pod.model_validate({"metadata": {"name": "web", "namespace": "default", "uid": "uid-1"},
                               "spec": {"containers": [{"name": "app", "image": "busybox"}], **spec}})


def test_a_container_not_yet_created_keeps_its_zero_values_on_the_wire():
    wire = container_status(APP, [], None, "").to_wire()
    assert wire == {"name": "app", "image": "busybox", "imageID": "", "restartCount": 0, "ready": False,
                    "started": False, "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}}


def test_a_restarted_container_reports_its_previous_run_as_last_state():
    wire = container_status(APP, [instance("b", "running", restart_count=1), instance("a", "exited", exit_code=137)],
                            None, "").to_wire()
    assert wire["state"] == {"running": {"startedAt": "2024-05-01T12:00:00Z"}}
    assert wire["lastState"]["terminated"] == {"exitCode": 137, "reason": "Error", "containerID": "docker://a",
                                               "startedAt": "2024-05-01T12:00:00Z",
                                               "finishedAt": "2024-05-01T12:00:05Z"}
    assert (wire["restartCount"], wire["ready"], wire["containerID"]) == (1, True, "docker://b")


def test_a_waiting_reason_hides_the_exited_instance_but_keeps_it_as_last_state():
    wire = container_status(APP, [instance("a", "exited", exit_code=1)], Waiting("CrashLoopBackOff", "back-off 10s"),
                            "").to_wire()
    assert wire["state"] == {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}}
    assert wire["lastState"]["terminated"]["exitCode"] == 1


def test_phase_follows_the_restart_policy_once_every_container_stopped():
    failed = [container_status(APP, [instance("a", "exited", exit_code=2)], None, "")]
    succeeded = [container_status(APP, [instance("a", "exited")], None, "")]
    assert phase(pod(restartPolicy="Never"), failed) == PodPhase.FAILED
    assert phase(pod(restartPolicy="OnFailure"), failed) == PodPhase.RUNNING
    assert phase(pod(restartPolicy="OnFailure"), succeeded) == PodPhase.SUCCEEDED
    assert phase(pod(), failed) == PodPhase.RUNNING  # Always: it is restarting


def test_a_condition_keeps_its_transition_time_while_its_status_holds():
    sandbox = Sandbox("s", REF, "10.0.0.7", True)
    running = [container_status(APP, [instance("a", "running")], None, "")]
    first = pod_status(pod(), sandbox=sandbox, containers=running, host_ip="192.0.2.1", now="T1")
    again = pod_status(pod().model_copy(update={"status": first}), sandbox=sandbox, containers=running,
                       host_ip="192.0.2.1", now="T2")
    wire = again.to_wire()
    assert {c["type"]: c["lastTransitionTime"] for c in wire["conditions"]} == {
        "PodReadyToStartContainers": "T1", "Initialized": "T1", "Ready": "T1", "ContainersReady": "T1"}
    assert (wire["phase"], wire["podIP"], wire["podIPs"], wire["startTime"]) == \
        ("Running", "10.0.0.7", [{"ip": "10.0.0.7"}], "T1")


def test_a_rejected_pod_fails_and_keeps_only_the_schedulers_condition():
    scheduled = {"type": "PodScheduled", "status": "True", "lastTransitionTime": "T0"}
    raw = pod().to_wire() | {"status": {"conditions": [scheduled, {"type": "Ready", "status": "False"}]}}
    wire = rejected_status(Pod.model_validate(raw), reason="OutOfcpu", message="no room", host_ip="192.0.2.1",
                           now="T1").to_wire()
    assert wire == {"phase": "Failed", "reason": "OutOfcpu", "message": "no room", "hostIP": "192.0.2.1",
                    "hostIPs": [{"ip": "192.0.2.1"}], "startTime": "T1", "qosClass": "BestEffort",
                    "conditions": [scheduled]}
