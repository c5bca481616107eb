"""pods/attach end to end without Docker: real kubectl and tkctl -> real master -> kubelet server -> fake runtime.

The fake runtime's attach follows the container's log from the moment of
attaching, so a test writes the process's output with `append_log` once the
session is open (`attachments`). What only Docker shows (a real process's
output and stdin) is in tests/acceptance/test_streams_on_kubelets.py.
"""

import shutil
import subprocess
import threading
import uuid

import pytest

from tests.support.cluster import wait_for
from tests.support.kubelet_app import KubeletServer, fake_runtime, register_node, start_pod

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

PROGRAMS = ["kubectl", "tkctl"]
HINT = "If you don't see a command prompt, try pressing enter.\n"


@pytest.fixture(scope="module")
def node(master, tmp_path_factory):
    name = f"attach-{uuid.uuid4().hex[:6]}"
    runtime = fake_runtime()

    def find_pod(namespace, pod_name):
        with master.client(master.token("node")) as api:
            answer = api.get(f"/api/v1/namespaces/{namespace}/pods/{pod_name}")
        return answer.json() if answer.status_code == 200 else None

    kubelet = KubeletServer(runtime, node_name=name, token=master.token("node"),
                            cert_dir=tmp_path_factory.mktemp("kubelet-pki"), find_pod=find_pod).start()
    with master.client() as api:
        register_node(api, name, port=kubelet.port)
    yield name, runtime
    kubelet.stop()
    with master.client() as api:
        api.delete(f"/api/v1/nodes/{name}")


@pytest.fixture
def pod(api, namespace, node):
    """Pod "web": container "app" (stdin kept open) and "side"; {container: id}."""
    node_name, runtime = node
    created = api.post(f"/api/v1/namespaces/{namespace}/pods", json={
        "metadata": {"name": "web"},
        "spec": {"nodeName": node_name, "containers": [
            {"name": "app", "image": "busybox:1.36", "stdin": True},
            {"name": "side", "image": "busybox:1.36"}]},
    })
    assert created.status_code == 201, created.text
    ids = start_pod(runtime, created.json(), node_name=node_name)
    reported = api.patch(f"/api/v1/namespaces/{namespace}/pods/web/status",
                         headers={"Content-Type": "application/merge-patch+json"},
                         json={"status": {"phase": "Running"}})
    assert reported.status_code == 200, reported.text
    return ids


class Attached:
    """An attach process whose stdout is read as it comes."""

    def __init__(self, program, args, env):
        self.process = subprocess.Popen([program, "attach", *args], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while chunk := self.process.stdout.read1(4096):
            self.out += chunk

    def finish(self, timeout=20):
        """(exit code, stdout, stderr) once it ends by itself."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code, bytes(self.out), self.process.stderr.read().decode()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def attach(kubectl, node):
    started = []

    def start(program, *args, container_id):
        before = node[1].attachments(container_id)
        attached = Attached(program, list(args), kubectl.env)
        started.append(attached)
        wait_for(lambda: node[1].attachments(container_id) > before or attached.process.poll() is not None,
                 timeout=20, message=f"{program} attach to open its session")
        return attached

    yield start
    for attached in started:
        attached.kill()


@pytest.mark.parametrize("program", PROGRAMS)
def test_attach_shows_what_the_process_writes_until_it_ends(program, namespace, pod, node, attach):
    runtime = node[1]
    runtime.append_log(pod["side"], b"before attaching\n")
    attached = attach(program, "-n", namespace, "web", "-c", "side", container_id=pod["side"])

    runtime.append_log(pod["side"], b"after attaching\n")
    wait_for(lambda: b"after attaching" in attached.out, timeout=20, message="the output through attach")
    runtime.exit(pod["side"], 3)

    # The kubelet reports Success when the attached process ends, whatever its exit code, as Kubernetes does.
    assert attached.finish() == (0, b"after attaching\n", HINT)


@pytest.mark.parametrize("program", PROGRAMS)
def test_attach_defaults_to_the_first_container_and_says_so(program, namespace, pod, node, attach):
    attached = attach(program, "-n", namespace, "web", container_id=pod["app"])

    node[1].append_log(pod["app"], b"from app\n")
    wait_for(lambda: b"from app" in attached.out, timeout=20, message="the output through attach")
    attached.kill()

    assert attached.process.stderr.read().decode() == f'Defaulted container "app" out of: app, side\n{HINT}'


@pytest.mark.parametrize("program", PROGRAMS)
def test_attach_stdin_reaches_a_container_that_keeps_stdin_open(program, namespace, pod, node, attach):
    attached = attach(program, "-n", namespace, "web", "-c", "app", "-i", container_id=pod["app"])

    attached.process.stdin.write(b"typed line\n")
    attached.process.stdin.flush()

    wait_for(lambda: node[1].attached_stdin(pod["app"]) == b"typed line\n", timeout=20,
             message=lambda: f"stdin in the container (so far {node[1].attached_stdin(pod['app'])!r})")


@pytest.mark.parametrize("program", PROGRAMS)
def test_attach_with_a_tty_to_a_container_without_one_says_so_and_goes_on(program, namespace, pod, node, attach):
    attached = attach(program, "-n", namespace, "web", "-c", "side", "-t", container_id=pod["side"])

    node[1].exit(pod["side"], 0)

    code, _out, stderr = attached.finish()
    assert code == 0
    assert stderr == f"error: Unable to use a TTY - container side did not allocate one\n{HINT}"


def test_attach_errors_match_kubectl(api, namespace, pod, node, kubectl):
    node[1].exit(pod["side"], 0)
    api.patch(f"/api/v1/namespaces/{namespace}/pods/web/status",
              headers={"Content-Type": "application/merge-patch+json"}, json={"status": {"phase": "Succeeded"}})
    cases = [["web", "-c", "zzz"], ["web"], ["nope"], [], ["a", "b", "c"]]

    for args in cases:
        answers = [subprocess.run([program, "attach", "-n", namespace, *args], env=kubectl.env,
                                  capture_output=True, text=True, timeout=30) for program in PROGRAMS]
        assert (answers[1].returncode, answers[1].stderr) == (answers[0].returncode, answers[0].stderr), args


def test_the_spdy_fallback_is_answered_with_a_status(api, namespace, pod):
    answer = api.post(f"/api/v1/namespaces/{namespace}/pods/web/attach?container=app&stdout=true",
                      headers={"Upgrade": "SPDY/3.1", "Connection": "Upgrade"})

    assert answer.status_code == 400
    assert answer.json()["message"] == ("tinykube supports attach over WebSocket (v5.channel.k8s.io) only; "
                                        "use kubectl >= 1.30")
