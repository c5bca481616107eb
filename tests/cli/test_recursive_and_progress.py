"""`-f DIR` with and without `-R`, and the status line waiting commands show only at a terminal.

Each -f step runs twice, tkctl in one namespace and the real kubectl in another,
and must print the same. The waiting commands run under a pseudo-terminal
(pty) to see the status line, and through pipes to see exactly kubectl's output.
The session master runs no scheduler and no kubelet confirms anything, so a pod
bound to a node stays Terminating until the test confirms its deletion.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import uuid
from pathlib import Path

import pytest

from tests.support.cluster import wait_for

WAIT_SECONDS = 60
COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7]m")  # an SGR foreground colour, e.g. rich's cyan \x1b[36m


def lease(name: str) -> str:
    return f"apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: {name}\nspec:\n  holderIdentity: x\n"


@pytest.fixture
def manifest_tree(tmp_path) -> Path:
    """top.yaml, z.json and notes.txt at the top; sub/mid.yml and sub/deeper/low.yaml below; an empty dir."""
    root = tmp_path / "manifests"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "top.yaml").write_text(lease("top"))
    (root / "z.json").write_text('{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "z"}}')
    (root / "notes.txt").write_text("not a manifest\n")
    (root / "sub" / "mid.yml").write_text(lease("mid"))
    (root / "sub" / "deeper" / "low.yaml").write_text(lease("low"))
    return root


@pytest.fixture
def other_namespace(api):
    name = f"t-{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/namespaces", json={"metadata": {"name": name}}).status_code == 201
    yield name
    api.delete(f"/api/v1/namespaces/{name}")


def lease_names(api, namespace: str) -> set[str]:
    listed = api.get(f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases").json()["items"]
    return {item["metadata"]["name"] for item in listed}


@pytest.mark.parametrize("steps, left", [
    ([("apply", "-f", "DIR")], {"top", "z"}),
    ([("apply", "-f", "DIR", "-R"), ("apply", "-f", "DIR", "--recursive")], {"top", "z", "mid", "low"}),
    ([("create", "-f", "DIR"), ("create", "-f", "DIR", "-R")], {"top", "z", "mid", "low"}),
    ([("create", "-f", "DIR", "-R"), ("replace", "-f", "DIR", "-R"), ("delete", "-f", "DIR")], {"mid", "low"}),
    ([("create", "-f", "DIR", "-R"), ("replace", "-f", "DIR"), ("delete", "-f", "DIR", "-R")], set()),
    ([("create", "-f", "DIR/empty")], set()),
    ([("delete", "-f", "DIR/empty", "-f", "DIR")], set()),
    ([("create", "-f", "DIR/top.yaml", "-f", "DIR/empty")], {"top"}),
])
def test_a_directory_gives_its_own_manifests_and_with_recursive_its_subdirectories_like_kubectl(
        tkctl, kubectl, api, namespace, other_namespace, manifest_tree, steps, left):
    for step in steps:
        args = [arg.replace("DIR", str(manifest_tree)) for arg in step]
        mine = tkctl(*args, "-n", namespace)
        real = kubectl(*args, "-n", other_namespace, check=False)
        assert (mine.returncode, mine.stdout, mine.stderr) == \
            (real.returncode, real.stdout, real.stderr.replace("kubectl", "tkctl")), step
    assert lease_names(api, namespace) == lease_names(api, other_namespace) == left


# ----- the status line


class TerminalRun:
    """tkctl with stdout and stderr on a pseudo-terminal; everything it draws is collected."""

    def __init__(self, args: list[str], env: dict[str, str]):
        primary, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.process = subprocess.Popen([sys.executable, "-m", "cli.main", *args], stdin=subprocess.DEVNULL,
                                        stdout=secondary, stderr=secondary, env=env)
        os.close(secondary)
        self._primary = primary
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._primary, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    @property
    def output(self) -> str:
        return b"".join(self._chunks).decode(errors="replace")

    def finish(self) -> int:
        code = self.process.wait(timeout=WAIT_SECONDS)
        self._reader.join(timeout=WAIT_SECONDS)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        os.close(self._primary)


@pytest.fixture
def terminal(master):
    """Start tkctl under a pty; whatever is still running at the end is killed."""
    runs: list[TerminalRun] = []

    def start(*args: str, no_color: bool = False) -> TerminalRun:
        env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
        env["TERM"] = "xterm-256color"
        if no_color:
            env["NO_COLOR"] = "1"
        run = TerminalRun(["--kubeconfig", str(master.kubeconfig), *args], env)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.close()


@pytest.fixture
def node_name(api):
    name = f"node-{uuid.uuid4().hex[:6]}"
    assert api.post("/api/v1/nodes", json={"metadata": {"name": name}}).status_code == 201
    yield name
    api.delete(f"/api/v1/nodes/{name}")


def bound_pod(api, namespace: str, name: str, node_name: str) -> None:
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": str(uuid.uuid4()), "controller": True}
    response = api.post(f"/api/v1/namespaces/{namespace}/pods", json={
        "metadata": {"name": name, "ownerReferences": [owner]},
        "spec": {"nodeName": node_name, "containers": [{"name": "c", "image": "nginx"}]}})
    assert response.status_code == 201, response.text


def terminating(api, namespace: str, name: str) -> bool:
    return bool(api.get(f"/api/v1/namespaces/{namespace}/pods/{name}").json()["metadata"].get("deletionTimestamp"))


def confirm_deletion(api, namespace: str, name: str) -> None:
    """What the pod's kubelet would do once its containers stopped."""
    response = api.request("DELETE", f"/api/v1/namespaces/{namespace}/pods/{name}", json={"gracePeriodSeconds": 0})
    assert response.status_code in (200, 404), response.text


@pytest.mark.parametrize("no_color", [False, True])
def test_delete_shows_what_it_waits_for_at_a_terminal_in_colour_unless_no_color(terminal, api, namespace, node_name,
                                                                                no_color):
    bound_pod(api, namespace, "web", node_name)
    run = terminal("delete", "pod", "web", "-n", namespace, no_color=no_color)
    wait_for(lambda: "waiting for pod/web to be deleted" in run.output, timeout=WAIT_SECONDS,
             message=f"the status line (so far: {run.output!r})")
    confirm_deletion(api, namespace, "web")
    assert run.finish() == 0
    assert 'pod "web" deleted' in run.output
    assert bool(COLOUR.search(run.output)) is not no_color


class PipedTwins:
    """The same command, tkctl on object `mine` and kubectl on object `theirs`, both still waiting, through pipes."""

    def __init__(self, tkctl, kubectl, *args: str):
        tkctl_line = [sys.executable, "-m", "cli.main", "--kubeconfig", str(tkctl.kubeconfig)]
        self.processes = {
            name: subprocess.Popen([*line, *(a.replace("NAME", name) for a in args)], env=env, text=True,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for name, line, env in (("mine", tkctl_line, None), ("theirs", ["kubectl"], kubectl.env))
        }

        self.read = {name: "" for name in self.processes}

    def first_lines(self) -> dict[str, str]:
        """Block until each has printed a line (each gives up by its own --timeout)."""
        for name, process in self.processes.items():
            self.read[name] += process.stdout.readline()
        return self.read

    def results(self) -> dict[str, tuple[int, str, str]]:
        """Each one's (exit code, stdout, stderr), its object's name written NAME."""
        answers = {}
        for name, process in self.processes.items():
            stdout, stderr = process.communicate(timeout=WAIT_SECONDS)
            stdout = self.read[name] + stdout
            answers[name] = (process.returncode, stdout.replace(name, "NAME"), stderr.replace(name, "NAME"))
        return answers

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def piped_twins(tkctl, kubectl):
    started: list[PipedTwins] = []

    def start(*args: str) -> PipedTwins:
        started.append(PipedTwins(tkctl, kubectl, *args))
        return started[-1]

    yield start
    for twins in started:
        twins.close()


def test_delete_through_pipes_prints_exactly_what_kubectl_prints(piped_twins, api, namespace, node_name):
    for name in ("mine", "theirs"):
        bound_pod(api, namespace, name, node_name)
    twins = piped_twins("delete", "pod", "NAME", "-n", namespace)
    for name in ("mine", "theirs"):
        wait_for(lambda: terminating(api, namespace, name), timeout=WAIT_SECONDS, message=f"{name} terminating")
        confirm_deletion(api, namespace, name)
    results = twins.results()
    assert results["mine"] == results["theirs"] == (0, 'pod "NAME" deleted\n', "")


def test_drain_shows_the_pods_it_waits_for_at_a_terminal(terminal, api, namespace, node_name):
    bound_pod(api, namespace, "web", node_name)
    run = terminal("drain", node_name, "--timeout=60s")
    wait_for(lambda: "waiting for pod/web to be evicted" in run.output, timeout=WAIT_SECONDS,
             message=f"the status line (so far: {run.output!r})")
    confirm_deletion(api, namespace, "web")
    assert run.finish() == 0
    lines = [line for line in run.output.splitlines() if "waiting for" not in line]
    for expected in (f"node/{node_name} cordoned", f"evicting pod {namespace}/web", "pod/web evicted",
                     f"node/{node_name} drained"):
        assert any(line.endswith(expected) for line in lines), (expected, run.output)


def test_drain_with_disable_eviction_deletes_like_kubectl(tkctl, kubectl, api, namespace):
    ours, theirs = f"node-{uuid.uuid4().hex[:6]}", f"node-{uuid.uuid4().hex[:6]}"
    try:
        for node in (ours, theirs):
            assert api.post("/api/v1/nodes", json={"metadata": {"name": node}}).status_code == 201
            bound_pod(api, namespace, f"web-{node}", node)
        flags = ("--disable-eviction", "--grace-period=0", "--timeout=60s")
        mine, real = tkctl("drain", ours, *flags), kubectl("drain", theirs, *flags, check=False)
        assert (mine.returncode, mine.stdout, mine.stderr) == \
            (real.returncode, real.stdout.replace(theirs, ours), real.stderr.replace(theirs, ours))
        assert mine.stdout == f"node/{ours} cordoned\npod/web-{ours} deleted\nnode/{ours} drained\n"
    finally:
        for node in (ours, theirs):
            api.delete(f"/api/v1/nodes/{node}")


def deployment(api, namespace: str, name: str) -> None:
    labels = {"app": name}
    response = api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json={
        "metadata": {"name": name}, "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    assert response.status_code == 201, response.text


def roll_out(api, namespace: str, name: str) -> None:
    """What the deployment controller (not running here) would report once the new pod is available."""
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
    generation = api.get(path).json()["metadata"]["generation"]
    response = api.patch(f"{path}/status", headers={"Content-Type": "application/merge-patch+json"}, json={
        "status": {"observedGeneration": generation, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                   "availableReplicas": 1}})
    assert response.status_code == 200, response.text


def test_rollout_status_shows_what_it_waits_for_at_a_terminal(terminal, api, namespace):
    deployment(api, namespace, "web")
    run = terminal("rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s")
    wait_for(lambda: "waiting for deployment.apps/web to finish rolling out" in run.output, timeout=WAIT_SECONDS,
             message=f"the status line (so far: {run.output!r})")
    roll_out(api, namespace, "web")
    assert run.finish() == 0
    assert 'deployment "web" successfully rolled out' in run.output


def test_rollout_status_through_pipes_prints_exactly_what_kubectl_prints(piped_twins, api, namespace):
    for name in ("mine", "theirs"):
        deployment(api, namespace, name)
    twins = piped_twins("rollout", "status", "deployment/NAME", "-n", namespace, "--timeout=60s")
    assert set(twins.first_lines().values()) == {"Waiting for deployment spec update to be observed...\n"}
    for name in ("mine", "theirs"):
        roll_out(api, namespace, name)
    results = twins.results()
    assert results["mine"] == results["theirs"] == (
        0, 'Waiting for deployment spec update to be observed...\ndeployment "NAME" successfully rolled out\n', "")
