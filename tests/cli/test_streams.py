"""tkctl logs, exec, proxy and describe's Scheduling section, on a master and one real kubelet (real Docker).

Each command also runs through the real kubectl on the same pods where both
exist, and the two outputs must be the same bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import uuid

import docker
import httpx
import pytest

from kubelet.runtime.docker_runtime import LABEL_NETWORK
from tests.cli.conftest import Tkctl
from tests.support.cluster import Kubectl, Kubelet, Master, free_port, wait_for
from tests.support.docker_cleanup import remove_owned
from tests.support.images import BOOTCAMP_IMAGE, BUSYBOX_IMAGE, ensure_test_images

TIME_SCALE = 0.1  # restart backoff 10s -> 1s
POD_START_TIMEOUT = 90

MANIFESTS = f"""
apiVersion: v1
kind: Pod
metadata: {{name: single, labels: {{app: single, group: streams}}}}
spec:
  containers:
  - name: main
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", "for i in 1 2 3; do echo line $i; done; exec sleep 3600"]
---
apiVersion: v1
kind: Pod
metadata: {{name: multi, labels: {{app: multi, group: streams}}}}
spec:
  containers:
  - name: a
    image: {BUSYBOX_IMAGE}
    # stderr is a separate pipe: the pause keeps its line after the others in the merged log
    command: ["sh", "-c", "echo a-one; echo a-two; sleep 0.5; echo a-err >&2; exec sleep 3600"]
  - name: b
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", "echo b-one; exec sleep 3600"]
---
apiVersion: v1
kind: Pod
metadata: {{name: crasher, labels: {{app: crasher}}}}
spec:
  containers:
  - name: main
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", "echo run $(date +%s%N); exit 1"]
---
apiVersion: v1
kind: Pod
metadata: {{name: web, labels: {{app: web}}}}
spec:
  containers:
  - name: bootcamp
    image: {BOOTCAMP_IMAGE}
    ports: [{{containerPort: 8080}}]
"""

# Writes one line, then waits for /go (created by `exec`) before its last line and exit.
GATE_POD = f"""
apiVersion: v1
kind: Pod
metadata: {{name: {{name}}, labels: {{app: gate}}}}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", "echo waiting; while [ ! -f /go ]; do sleep 0.1; done; echo bye"]
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A master (with its scheduler), one kubelet, and the pods above Running; all removed afterwards."""
    ensure_test_images()
    run = uuid.uuid4().hex[:6]
    owner, network, node = f"streams-{run}", f"tk-streams-{run}", f"streams{run}-1"
    root = tmp_path_factory.mktemp("streams")
    _create_network(network)
    master = Master(root / "master", extra_args=["--time-scale", str(TIME_SCALE)]).start()
    kubelet = Kubelet(master, node, owner=owner, network=network, root_dir=root / "nodes", time_scale=TIME_SCALE)
    try:
        kubelet.start()
        kubectl = Kubectl(master.kubeconfig, root / "kube-cache")
        kubectl("apply", "-f", "-", input=MANIFESTS)
        for name in ("single", "multi", "web"):
            wait_for(lambda name=name: kubectl.json("get", "pod", name)["status"].get("phase") == "Running",
                     timeout=POD_START_TIMEOUT, message=f"pod {name} Running ({kubelet.log_path})")
        wait_for(lambda: _running_and_logged(kubectl), timeout=POD_START_TIMEOUT, message="every container's output")
        yield master, kubelet, kubectl, Tkctl(master.kubeconfig)
    finally:
        kubelet.stop()
        master.stop()
        remove_owned(owner, node_prefix=f"streams{run}", network=network)


def _create_network(name: str) -> None:
    # Created up front: kubelet pod workers that race to create the network can leave duplicates.
    client = docker.from_env()
    try:
        client.networks.create(name, driver="bridge", labels={LABEL_NETWORK: "1"})
    finally:
        client.close()


def _running_and_logged(kubectl: Kubectl) -> bool:
    return (kubectl("logs", "single", check=False).stdout.endswith("line 3\n")
            and kubectl("logs", "multi", "-c", "a", check=False).stdout.count("\n") == 3
            and kubectl("logs", "multi", "-c", "b", check=False).stdout == "b-one\n")


@pytest.fixture
def tkctl(cluster) -> Tkctl:
    return cluster[3]


@pytest.fixture
def kubectl(cluster) -> Kubectl:
    return cluster[2]


def read_line(pipe, *, timeout: float = 30) -> bytes | str:
    """One line from a child's pipe, failing instead of hanging when none comes."""
    ready, _, _ = select.select([pipe], [], [], timeout)
    assert ready, f"no output within {timeout}s"
    return pipe.readline()


def gate_pod(kubectl: Kubectl) -> str:
    """A fresh pod that logs `waiting` and holds until `/go` exists; its name, once it is Running."""
    name = f"gate-{uuid.uuid4().hex[:6]}"
    kubectl("apply", "-f", "-", input=GATE_POD.replace("{name}", name))
    wait_for(lambda: kubectl.json("get", "pod", name)["status"].get("phase") == "Running",
             timeout=POD_START_TIMEOUT, message=f"pod {name} Running")
    return name


# ----- logs


def test_logs_prints_the_container_output(tkctl):
    assert tkctl.ok("logs", "single") == "line 1\nline 2\nline 3\n"


def test_logs_of_a_pod_with_several_containers_defaults_to_the_first_and_says_so(tkctl):
    result = tkctl("logs", "multi")
    assert result.returncode == 0
    assert result.stdout == "a-one\na-two\na-err\n"
    assert result.stderr == 'Defaulted container "a" out of: a, b\n'


def test_logs_dash_c_and_the_inline_container_pick_the_container(tkctl):
    assert tkctl("logs", "multi", "-c", "b").stdout == "b-one\n"
    assert tkctl("logs", "multi", "b").stdout == "b-one\n"
    assert tkctl("logs", "pod/multi", "-c", "b").stdout == "b-one\n"


def test_logs_tail_keeps_the_last_lines(tkctl):
    assert tkctl.ok("logs", "single", "--tail", "2") == "line 2\nline 3\n"
    assert tkctl.ok("logs", "single", "--tail=-1") == "line 1\nline 2\nline 3\n"


def test_logs_timestamps_prefix_each_line_with_an_rfc3339_time(tkctl):
    lines = tkctl.ok("logs", "single", "--timestamps").splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["line 1", "line 2", "line 3"]
    assert all(line[:4].isdigit() and line[10] == "T" and "Z " in line for line in lines)


def test_logs_since_accepts_go_durations(tkctl):
    assert tkctl.ok("logs", "single", "--since", "1h") == "line 1\nline 2\nline 3\n"
    result = tkctl("logs", "single", "--since", "5x")
    assert result.returncode == 1
    assert result.stderr == 'error: invalid argument "5x" for "--since" flag: time: unknown unit "x" in duration "5x"\n'


def test_logs_prefix_names_pod_and_container_on_every_line(tkctl):
    assert tkctl("logs", "multi", "--all-containers", "--prefix").stdout == (
        "[pod/multi/a] a-one\n[pod/multi/a] a-two\n[pod/multi/a] a-err\n[pod/multi/b] b-one\n")


def test_logs_by_selector_prints_each_pod_in_turn(tkctl):
    result = tkctl("logs", "-l", "group=streams", "--prefix")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("[pod/multi/a] a-one\n[pod/multi/a] a-two\n[pod/multi/a] a-err\n"
                             "[pod/single/main] line 1\n[pod/single/main] line 2\n[pod/single/main] line 3\n")
    assert result.stderr == 'Defaulted container "a" out of: a, b\n'


def test_logs_by_a_selector_that_matches_nothing_says_so(tkctl):
    result = tkctl("logs", "-l", "app=nothing")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "No resources found in default namespace.\n"


def test_logs_previous_shows_the_instance_before_the_restart(tkctl, kubectl):
    wait_for(lambda: kubectl.json("get", "pod", "crasher")["status"]["containerStatuses"][0]["restartCount"] >= 1,
             timeout=POD_START_TIMEOUT, message="crasher restarted")
    previous = tkctl.ok("logs", "crasher", "--previous")
    assert previous.startswith("run ") and previous.count("\n") == 1


def test_logs_previous_without_a_restart_is_the_servers_error(tkctl):
    result = tkctl("logs", "single", "-p")
    assert result.returncode == 1
    assert result.stderr == ('Error from server (BadRequest): previous terminated container "main" '
                             'in pod "single" not found\n')


def test_logs_follow_streams_until_the_container_exits(tkctl, kubectl, cluster):
    name = gate_pod(kubectl)
    master = cluster[0]
    follow = subprocess.Popen([sys.executable, "-m", "cli.main", "--kubeconfig", str(master.kubeconfig),
                               "logs", "-f", name], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert read_line(follow.stdout) == b"waiting\n"
        assert follow.poll() is None  # still following: the container has not finished
        tkctl.ok("exec", name, "--", "touch", "/go")
        out, err = follow.communicate(timeout=30)
        assert (follow.returncode, out, err) == (0, b"bye\n", b"")
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.communicate()


def test_logs_of_an_unknown_container_is_refused_before_asking_the_server(tkctl):
    result = tkctl("logs", "multi", "-c", "zzz")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "error: container zzz is not valid for pod multi\n"


def test_logs_of_a_missing_pod_names_the_namespace(tkctl):
    result = tkctl("logs", "nope")
    assert result.returncode == 1
    assert result.stderr == 'error: error from server (NotFound): pods "nope" not found in namespace "default"\n'


def test_logs_usage_errors(tkctl):
    assert tkctl("logs").stderr.startswith("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n")
    assert tkctl("logs", "single", "-l", "app=single").stderr.startswith(
        "error: only a selector (-l) or a POD name is allowed\n")
    assert tkctl("logs", "multi", "b", "-c", "a").stderr == (
        "error: only one of -c or an inline [CONTAINER] arg is allowed\n")


# ----- exec


def test_exec_runs_the_command_in_the_container(tkctl):
    assert tkctl.ok("exec", "single", "--", "echo", "hi") == "hi\n"


def test_exec_passes_on_a_non_zero_exit_code(tkctl):
    result = tkctl("exec", "single", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert result.returncode == 3
    assert result.stdout == "out\n"
    assert result.stderr == "err\ncommand terminated with exit code 3\n"


def test_exec_stdin_reaches_the_command_and_its_end_closes_it(tkctl):
    assert tkctl("exec", "-i", "single", "--", "cat", input="piped through\n").stdout == "piped through\n"
    # without [255, 0] at EOF the remote `cat` would never finish, and neither would tkctl
    assert tkctl("exec", "-i", "single", "--", "sh", "-c", "cat >/dev/null; echo done", input="").stdout == "done\n"


def test_exec_in_a_pod_with_several_containers_defaults_to_the_first(tkctl):
    result = tkctl("exec", "multi", "--", "sh", "-c", "echo $HOSTNAME-ok")
    assert result.returncode == 0 and result.stdout.endswith("-ok\n")
    assert result.stderr == 'Defaulted container "a" out of: a, b\n'


def test_exec_in_an_unknown_container_is_the_servers_refusal(tkctl):
    result = tkctl("exec", "single", "-c", "zzz", "--", "true")
    assert result.returncode == 1
    assert result.stderr == "Error from server (BadRequest): container zzz is not valid for pod single\n"


def test_exec_without_the_dash_dash_is_refused_as_kubectl_1_32_does(tkctl):
    result = tkctl("exec", "single", "echo", "hi")
    assert result.returncode == 1
    assert result.stderr == ("error: exec [POD] [COMMAND] is not supported anymore. "
                             "Use exec [POD] -- [COMMAND] instead\nSee 'tkctl exec -h' for help and examples\n")
    assert tkctl("exec", "single").stderr == "error: you must specify at least one command for the container\n"


def test_exec_into_a_completed_pod_is_refused(tkctl, kubectl):
    name = gate_pod(kubectl)
    tkctl.ok("exec", name, "--", "touch", "/go")
    wait_for(lambda: kubectl.json("get", "pod", name)["status"].get("phase") == "Succeeded",
             timeout=POD_START_TIMEOUT, message=f"{name} Succeeded")
    result = tkctl("exec", name, "--", "true")
    assert result.returncode == 1
    assert result.stderr == "error: cannot exec into a container in a completed pod; current phase is Succeeded\n"


# ----- the same bytes as kubectl


PARITY = [
    ("logs", "single"),
    ("logs", "multi"),
    ("logs", "multi", "-c", "b"),
    ("logs", "multi", "--all-containers", "--prefix"),
    ("logs", "-l", "group=streams"),
    ("logs", "single", "--tail=1", "--timestamps"),
    ("logs", "multi", "-c", "zzz"),
    ("logs", "single", "-p"),
    ("exec", "single", "--", "echo", "hi"),
    ("exec", "multi", "--", "sh", "-c", "echo out; echo err >&2; exit 3"),
    ("exec", "single", "-c", "zzz", "--", "true"),
    ("exec", "single", "echo", "hi"),
]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("args", PARITY, ids=[" ".join(args) for args in PARITY])
def test_output_and_exit_code_match_kubectl(tkctl, kubectl, args):
    ours, theirs = tkctl(*args), kubectl(*args, check=False)
    if "-l" in args or "--all-containers" in args:
        # kubectl keeps its streams in a Go map, so it prints them in a random order; tkctl in list order
        assert sorted(ours.stdout.splitlines()) == sorted(theirs.stdout.splitlines())
    else:
        assert ours.stdout == theirs.stdout
    assert ours.stderr == theirs.stderr.replace("'kubectl ", "'tkctl ")
    assert ours.returncode == theirs.returncode


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_exec_stdin_matches_kubectl(tkctl, kubectl):
    text = "first\nsecond without newline"
    assert tkctl("exec", "-i", "single", "--", "cat", input=text).stdout == \
        kubectl("exec", "-i", "single", "--", "cat", input=text).stdout == text


# ----- proxy


@pytest.fixture
def proxy(cluster):
    """`tkctl proxy` on a free port, as a user starts it; stopped afterwards."""
    master = cluster[0]
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "cli.main", "--kubeconfig", str(master.kubeconfig),
                                "proxy", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert read_line(process.stdout) == f"Starting to serve on 127.0.0.1:{port}\n"
        yield f"http://localhost:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_proxy_reaches_the_pod_through_the_api_server(proxy):
    page = httpx.get(f"{proxy}/api/v1/namespaces/default/pods/web/proxy/", timeout=10)
    assert page.status_code == 200
    assert page.text.strip() == "Hello tinykube! | Running on: web | v=1"


def test_proxy_adds_the_credentials_to_api_requests(proxy):
    pod = httpx.get(f"{proxy}/api/v1/namespaces/default/pods/single", timeout=10)
    assert pod.status_code == 200
    assert pod.json()["metadata"]["name"] == "single"


def test_proxy_streams_a_log(proxy):
    with httpx.stream("GET", f"{proxy}/api/v1/namespaces/default/pods/single/log",
                      params={"follow": "true"}, timeout=10) as response:
        assert response.status_code == 200
        received = b""
        for chunk in response.iter_raw():
            received += chunk
            if received.endswith(b"line 3\n"):
                break  # the container sleeps on: the stream stays open, and the lines came through it
    assert received == b"line 1\nline 2\nline 3\n"


def test_proxy_refuses_exec_and_attach_paths(proxy):
    for subresource in ("exec", "attach"):
        answer = httpx.get(f"{proxy}/api/v1/namespaces/default/pods/single/{subresource}?command=true", timeout=10)
        assert (answer.status_code, answer.text) == (403, "Forbidden\n")


def test_proxy_refuses_other_host_names(proxy):
    answer = httpx.get(f"{proxy}/version", headers={"Host": "evil.example:8001"}, timeout=10)
    assert (answer.status_code, answer.text) == (403, "Forbidden\n")
    assert httpx.get(f"{proxy}/version", timeout=10).status_code == 200


# ----- describe


def test_describe_pod_shows_where_the_scheduler_placed_it(tkctl, cluster):
    node = cluster[1].node_name
    page = tkctl.ok("describe", "pod", "single")
    lines = page.splitlines()
    scheduling = next(line for line in lines if line.startswith("Scheduling:"))
    assert scheduling.split(None, 1)[1] == f"Scheduled on {node} (1 node: 1 feasible, 0 rejected)"
    scored = lines[lines.index(scheduling) + 1].split()
    assert scored[:2] == [node, "score"] and "NodeResourcesFit=" in " ".join(scored)
    assert lines[lines.index(scheduling) + 2] == "Events:"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_describe_pod_is_kubectls_page_plus_the_scheduling_section(tkctl, kubectl):
    ours = tkctl.ok("describe", "pod", "single").split("\nEvents:")[0].splitlines()
    theirs = kubectl("describe", "pod", "single").stdout.split("\nEvents:")[0].splitlines()
    start = next(i for i, line in enumerate(ours) if line.startswith("Scheduling:"))
    assert ours[:start] + ours[start + 2:] == theirs


# ----- exec -it, under a real pseudo-terminal


class Terminal:
    """tkctl running on a pseudo-terminal of a given size, as in a user's shell."""

    def __init__(self, argv: list[str], *, rows: int, columns: int):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(argv[0], argv)
        self.resize(rows, columns)
        self.output = b""

    def resize(self, rows: int, columns: int) -> None:
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def read_until(self, text: bytes, *, after: int = 0, timeout: float = 20) -> bytes:
        """Read until `text` appears past offset `after`; return what came after that offset."""
        def seen() -> bool:
            if select.select([self.fd], [], [], 0.1)[0]:
                with contextlib.suppress(OSError):
                    self.output += os.read(self.fd, 4096)
            return text in self.output[after:]
        wait_for(seen, timeout=timeout, interval=0, message=f"{text!r} in {self.output[-300:]!r}")
        return self.output[after:]

    def exit_code(self) -> int:
        with contextlib.suppress(OSError):
            while chunk := os.read(self.fd, 4096):  # drain, so the child is not blocked writing
                self.output += chunk
        return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def test_exec_it_gives_the_command_our_terminal_and_follows_its_size(cluster):
    master = cluster[0]
    terminal = Terminal([sys.executable, "-m", "cli.main", "--kubeconfig", str(master.kubeconfig),
                         "exec", "-it", "single", "--", "sh"], rows=40, columns=120)
    try:
        terminal.read_until(b"# ")
        os.write(terminal.fd, b"stty size\n")
        terminal.read_until(b"40 120")  # the first resize message
        terminal.resize(30, 100)
        os.kill(terminal.pid, signal.SIGWINCH)

        def resized() -> bool:
            mark = len(terminal.output)
            os.write(terminal.fd, b"stty size\n")
            return b"30 100" in terminal.read_until(b"# ", after=mark + len(b"stty size"))
        wait_for(resized, timeout=20, message="the new size after SIGWINCH")
        os.write(terminal.fd, b"exit 5\n")
        assert terminal.exit_code() == 5
        assert b"command terminated with exit code 5" in terminal.output
    finally:
        terminal.kill()
