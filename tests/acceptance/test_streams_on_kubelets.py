"""port-forward and attach on a real kubelet and Docker, with the real kubectl and with tkctl.

One cluster and two pods for the module:
- a Deployment "web" whose pod serves a 1 MiB random file with busybox httpd on 8080
  (busybox's wget segfaults here, so the file is fetched with Python through the forward);
- a pod "streams": container "counter" prints a line every 0.2 s, container "reader"
  (stdin: true) answers each line it reads with "got <line>", container "terminal"
  (stdin and tty) runs a shell.
Every port-forward and attach process a test starts is killed when the test ends.
"""

import hashlib
import os
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.cluster import Kubectl, free_port, live_cluster, wait_for
from tests.cli.test_streams import Terminal
from tests.support.port_forward import PortForward, http_get

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

PROGRAMS = ["kubectl", "tkctl"]
TIME_SCALE = 0.1
ONE_MIB = 1024 * 1024

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: httpd
        image: tinykube/busybox:test
        command: [sh, -c, "mkdir -p /www && dd if=/dev/urandom of=/www/big bs=1024 count=1024 2>/dev/null
                           && echo ready > /www/ready && exec httpd -f -p 8080 -h /www"]
        ports: [{name: http, containerPort: 8080}]
"""

STREAMS = """
apiVersion: v1
kind: Pod
metadata: {name: streams}
spec:
  containers:
  - name: counter
    image: tinykube/busybox:test
    command: [sh, -c, "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done"]
  - name: reader
    image: tinykube/busybox:test
    stdin: true
    command: [sh, -c, "while read line; do echo \\"got $line\\"; done"]
  - name: terminal
    image: tinykube/busybox:test
    stdin: true
    tty: true
    command: [sh]
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("streams")
    with live_cluster(root, nodes=1, time_scale=TIME_SCALE,
                      master_args=["--controllers=deployment,replicaset"]) as (master, _kubelets):
        kubectl = Kubectl(master.kubeconfig, root / "kube-cache")
        kubectl("apply", "-f", "-", input=WEB)
        kubectl("apply", "-f", "-", input=STREAMS)
        wait_for(lambda: [p["status"].get("phase") for p in kubectl.json("get", "pods")["items"]] == ["Running"] * 2,
                 timeout=90, message="the web and streams pods Running")
        yield kubectl


@pytest.fixture(scope="module")
def web_pod(cluster):
    """The web pod's name, once its 1 MiB file is written."""
    [pod] = cluster.json("get", "pods", "-l", "app=web")["items"]
    name = pod["metadata"]["name"]
    wait_for(lambda: cluster("exec", name, "--", "cat", "/www/ready", check=False).stdout == "ready\n", timeout=60,
             message="the web pod's file")
    return name


@pytest.fixture(scope="module")
def big_sha256(cluster, web_pod):
    return cluster("exec", web_pod, "--", "sha256sum", "/www/big").stdout.split()[0]


@pytest.fixture
def port_forward(cluster):
    started = []

    def start(program, *args):
        forward = PortForward(program, list(args), cluster.env)
        started.append(forward)
        forward.wait_forwarding()
        return forward

    yield start
    for forward in started:
        forward.stop()


def fetch_big(port: int) -> str:
    status, body = http_get(port, "/big")
    assert (status, len(body)) == (200, ONE_MIB)
    return hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("program", PROGRAMS)
def test_port_forward_to_a_pod_carries_a_1_mib_response_intact(program, web_pod, big_sha256, port_forward):
    local = free_port()
    forward = port_forward(program, f"pod/{web_pod}", f"{local}:8080")

    assert forward.forwarding_lines()[0] == f"Forwarding from 127.0.0.1:{local} -> 8080\n"
    assert fetch_big(local) == big_sha256


@pytest.mark.parametrize("program", PROGRAMS)
def test_port_forward_to_a_deployment_serves_concurrent_connections(program, web_pod, big_sha256, port_forward):
    local = free_port()
    port_forward(program, "deploy/web", f"{local}:http")  # a named container port, as kubectl resolves it

    with ThreadPoolExecutor(4) as pool:
        digests = list(pool.map(lambda _: fetch_big(local), range(6)))

    assert digests == [big_sha256] * 6
    assert http_get(local, "/ready") == (200, b"ready\n")


class Attached:
    """An attach process; its stdout is read as it comes, and it is killed at the end of the test."""

    def __init__(self, program, args, env):
        self.process = subprocess.Popen([program, "attach", *args], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = bytearray()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while chunk := self.process.stdout.read1(4096):
            self.out += chunk

    def describe(self) -> str:
        """What it printed so far, and how it ended if it did (for a failure's message)."""
        ended = self.process.poll()
        said = f", exited {ended}: {self.process.stderr.read().decode()!r}" if ended is not None else ""
        return f"{bytes(self.out)!r}{said}"

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def attach(cluster):
    started = []

    def start(program, *args):
        attached = Attached(program, list(args), cluster.env)
        started.append(attached)
        return attached

    yield start
    for attached in started:
        attached.kill()


@pytest.mark.parametrize("program", PROGRAMS)
def test_attach_shows_a_running_containers_output(program, cluster, attach):
    attached = attach(program, "streams", "-c", "counter")

    wait_for(lambda: attached.out.count(b"\n") >= 3, timeout=30, message=lambda: f"ticks (so far {attached.describe()})")

    lines = bytes(attached.out).splitlines()
    numbers = [int(line.split()[1]) for line in lines[:3]]
    assert numbers == list(range(numbers[0], numbers[0] + 3))  # consecutive ticks, as they are printed
    assert numbers[0] > 1  # from the moment of attaching, not the log from the start


@pytest.mark.parametrize("program", PROGRAMS)
def test_attach_i_delivers_stdin_to_a_container_with_stdin(program, attach):
    attached = attach(program, "streams", "-c", "reader", "-i")

    def answered() -> bool:
        if attached.process.poll() is not None:
            return True  # ended: the assertion below says how
        if b"got hello" not in attached.out:
            # Until the session is open, a line may go nowhere: say it again until it is answered.
            attached.process.stdin.write(b"hello\n")
            attached.process.stdin.flush()
            return False
        return True

    wait_for(answered, timeout=30, interval=0.5, message=lambda: f"the answer (so far {attached.describe()})")
    assert b"got hello" in attached.out, attached.describe()


@pytest.mark.parametrize("program", PROGRAMS)
def test_attach_it_gives_the_shell_our_terminal_and_its_size(program, cluster):
    config = ["--kubeconfig", str(cluster.kubeconfig)]
    if program == "kubectl":
        config += ["--cache-dir", cluster.env["KUBECACHEDIR"]]
    terminal = Terminal([program, *config, "attach", "-it", "streams", "-c", "terminal"], rows=40, columns=120)
    try:
        def answers_with_its_size() -> bool:
            # The shell printed its prompt before we attached: type until it answers.
            mark = len(terminal.output)
            os.write(terminal.fd, b"stty size\n")
            return b"40 120" in terminal.read_until(b"# ", after=mark, timeout=2)

        wait_for(answers_with_its_size, timeout=30, message=lambda: f"stty size (so far {terminal.output[-300:]!r})")
        assert b"If you don't see a command prompt, try pressing enter." in terminal.output
    finally:
        terminal.kill()
