"""`tkctl why -w`: what is written on each change, and a live watch that follows a pod and ends on Ctrl-C."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import threading
import uuid

import pytest

from cli.why.fetch import Answer
from cli.why.watching import Display, sources_of
from objects.kinds import DEPLOYMENT, EVENT, NODE, POD, REPLICASET
from objects.why import Countdown, ObjectRef, Why
from tests.support.cluster import Master, wait_for


def answer(summary: str, *, left: float = 5.0, generated_at: str = "2026-12-05T12:00:10.000Z") -> Answer:
    restart = Countdown(name="NextRestart", message="container app restarts", at="2026-12-05T12:00:15.000Z",
                        owner="kubelet/node-1", seconds_left=left)
    why = Why(subject=ObjectRef(api_version="v1", kind="Pod", name="web", namespace="default"),
              state="CrashLoopBackOff", summary=summary, generated_at=generated_at, countdowns=[restart])
    return Answer(why.to_wire(), why)


def test_into_a_pipe_a_page_is_written_only_when_the_reasoning_changed():
    out = io.StringIO()
    display = Display(out, printer="", terminal=False)

    display.show(answer("restarted 3 times"))
    display.show(answer("restarted 3 times", left=4.0, generated_at="2026-12-05T12:00:11.000Z"))  # a tick later
    display.show(answer("restarted 4 times"))

    headlines = [line for line in out.getvalue().splitlines() if line.startswith("pod/web is")]
    assert headlines == ["pod/web is CrashLoopBackOff: restarted 3 times",
                         "pod/web is CrashLoopBackOff: restarted 4 times"]
    assert "\x1b" not in out.getvalue()


def test_yaml_documents_are_separated_as_kubectl_separates_them():
    out = io.StringIO()
    display = Display(out, printer="yaml", terminal=False)
    display.show(answer("restarted 3 times"))
    display.show(answer("restarted 4 times"))
    assert out.getvalue().count("\n---\n") == 1 and not out.getvalue().startswith("---")


def test_at_a_terminal_the_page_is_redrawn_in_place_with_its_countdown_ticked():
    out = io.StringIO()
    display = Display(out, printer="", terminal=True)
    display.show(answer("restarted 3 times"))
    assert out.getvalue().startswith("\x1b[H") and out.getvalue().endswith("\x1b[J")
    assert "Next:       in 5.0 s: container app restarts (kubelet/node-1)\x1b[K\n" in out.getvalue()


def test_a_page_taller_than_the_terminal_is_cut_to_fit_so_redrawing_it_never_scrolls():
    out = io.StringIO()
    Display(out, printer="", terminal=True, height=4).show(answer("restarted 3 times"))
    drawn = out.getvalue().split("\x1b[K\n")
    assert len(drawn) == 4 and drawn[-1] == "\x1b[J"  # three lines, the cursor on the fourth
    assert drawn[2].startswith("... 2 more lines: tkctl why without -w prints the whole page")


def test_each_kind_is_watched_with_what_moves_it():
    def watched(resource, namespace):
        return [(s.resource, s.namespace, s.field_selector) for s in sources_of(resource, namespace, "x")]

    assert watched(POD, "ns") == [(POD, "ns", "metadata.name=x"), (EVENT, "ns", "involvedObject.name=x")]
    assert watched(NODE, None) == [(NODE, None, "metadata.name=x"), (POD, None, "spec.nodeName=x")]
    assert watched(DEPLOYMENT, "ns") == [(DEPLOYMENT, "ns", "metadata.name=x"), (REPLICASET, "ns", ""),
                                         (POD, "ns", "")]


# ----- live: a master with its scheduler and no nodes


@pytest.fixture(scope="module")
def scheduling_master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("why-watch") / "data", extra_args=["--time-scale", "0.1"]).start()
    yield server
    server.stop()


class Lines:
    """A process's stdout, read line by line on a thread of its own so a test can wait for a line."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def starting(self, prefix: str) -> list[str]:
        return [line for line in self.lines if line.startswith(prefix)]


def test_a_watch_shows_the_new_reasoning_when_a_node_arrives_and_ctrl_c_ends_it_with_0(scheduling_master):
    namespace, node = f"t-{uuid.uuid4().hex[:8]}", f"tainted-{uuid.uuid4().hex[:6]}"
    with scheduling_master.client() as api:
        api.post("/api/v1/namespaces", json={"metadata": {"name": namespace}})
        pod = {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "tinykube/bootcamp:v1"}]}}
        assert api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod).status_code == 201
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--kubeconfig", str(scheduling_master.kubeconfig), "why", "-w",
             "pod/web", "-n", namespace], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out = Lines(process)
            wait_for(lambda: out.starting("pod/web is Pending: Unschedulable: no nodes"), timeout=20,
                     message="the first page")

            # a node the pod does not tolerate: the scheduler tries again, and says why not this one
            tainted = {"metadata": {"name": node}, "spec": {"taints": [{"key": "dedicated", "value": "gpu",
                                                                        "effect": "NoSchedule"}]},
                       "status": {"capacity": {"cpu": "2", "memory": "2Gi", "pods": "110"},
                                  "allocatable": {"cpu": "2", "memory": "2Gi", "pods": "110"},
                                  "conditions": [{"type": "Ready", "status": "True"}]}}
            assert api.post("/api/v1/nodes", json=tainted).status_code == 201
            wait_for(lambda: out.starting("pod/web is Pending: Unschedulable: 0/1 nodes are available"),
                     timeout=20, message="the page after the scheduler's new attempt")
            assert any(line.strip().startswith(f"{node}  rejected by TaintToleration") for line in out.lines)

            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
            assert process.stderr.read() == ""
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            api.delete(f"/api/v1/nodes/{node}")
            api.delete(f"/api/v1/namespaces/{namespace}")
