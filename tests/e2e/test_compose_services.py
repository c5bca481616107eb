"""Kubernetes Basics modules 4, 5 and 6 on the docker-compose cluster, as a user types them.

The lines are the tutorial's own (kubernetes.io/docs/tutorials/kubernetes-basics: "Using a Service
to Expose Your App", "Running Multiple Instances of Your App", "Performing a Rolling Update"), run
in order with the real kubectl, one terminal for the three modules:

    module 2 (fixture)  create deployment kubernetes-bootcamp, one pod Running
    module 4            expose --type=NodePort, curl NodeIP:nodePort from the host, labels,
                        delete the Service (curl fails), the app still answers inside its pod
    module 5            expose --type=LoadBalancer (the module's note), scale to 4, at least 3 pods
                        answer through the node port, scale down to 2
    module 6            set image v2, curl answers v=2, rollout status, set image v10 (no such
                        image: ErrImagePull / ImagePullBackOff), rollout undo, v2 again

What differs from the pages, and why:
- `minikube ip` is a node's InternalIP, read with `kubectl get nodes -o jsonpath` in its place.
- The app is tinykube/bootcamp (built offline by scripts/build-images), so `kubectl create
  deployment` names its container `bootcamp`, not `kubernetes-bootcamp`: `set image` names that
  container, and v2 is tinykube/bootcamp:v2. The v10 image is the page's, unchanged: it fails to pull
  whether or not a registry is reachable.
- The image has no curl: inside the pod, busybox's `wget -qO-` fetches the page instead.
- Where the page shows a state that takes a moment to reach (four pods Running, a rollout finished,
  a Service gone from the node port), its line is run again until it shows it, as a user would.
Where the host has no curl, `curl URL` is a shell function doing the same with Python's urllib.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from tests.e2e.conftest import COMPOSE_REQUIRED, ComposeCluster
from tests.support.cluster import wait_for

pytestmark = [*COMPOSE_REQUIRED, pytest.mark.timeout(600)]

NODE_IP = """kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}'"""
# Only where the host lacks curl: the same GET, its body on stdout, non-zero when it gets no answer.
CURL_FALLBACK = f"""command -v curl >/dev/null || curl() {{
    {shlex.quote(sys.executable)} -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
}}
"""
EXPORTED = ("NODE_PORT", "POD_NAME", "AFFECTED_POD")  # what the pages export for later lines
ENV_MARK = "----- exported -----"
GREETING = re.compile(r"^Hello tinykube! \| Running on: (\S+) \| v=(\d+)$")
ERROR_PULLING = ("ErrImagePull", "ImagePullBackOff")

CURL_NODE_PORT = 'curl http://"$(minikube ip):$NODE_PORT"'
EXPORT_NODE_PORT = ("""export NODE_PORT="$(kubectl get services/kubernetes-bootcamp -o go-template="""
                    """'{{(index .spec.ports 0).nodePort}}')"\necho "NODE_PORT=$NODE_PORT\"""")


@dataclass
class Terminal:
    """One bash terminal across the three modules: what a line exports is there for the next ones."""

    cluster: ComposeCluster
    exported: dict[str, str] = field(default_factory=dict)

    def run(self, lines: str, *, check: bool = True) -> subprocess.CompletedProcess:
        lines = lines.replace("minikube ip", NODE_IP)
        restored = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in self.exported.items())
        remembered = "".join(f'[ -n "${{{name}+set}}" ] && echo "{name}=${name}"\n' for name in EXPORTED)
        done = self.cluster.sh(f"{CURL_FALLBACK}{restored}{lines}\nstatus=$?\necho '{ENV_MARK}'\n"
                               f"{remembered}exit $status", check=False)
        output, _, variables = done.stdout.partition(f"{ENV_MARK}\n")
        self.exported.update(line.split("=", 1) for line in variables.splitlines())
        if check:
            assert done.returncode == 0, f"{lines}\nexit {done.returncode}\n{output}\n{done.stderr}"
        return subprocess.CompletedProcess(done.args, done.returncode, output, done.stderr)

    def out(self, lines: str) -> str:
        return self.run(lines).stdout

    def until(self, lines: str, seen, *, timeout: float = 60, what: str = ""):
        """Run `lines` again until `seen(output)` is truthy; its value."""
        last: list[str] = []

        def attempt():
            last[:] = [self.run(lines, check=False).stdout]
            return seen(last[0])
        return wait_for(attempt, timeout=timeout, interval=0.5,
                        message=lambda: f"{what or lines}; last output:\n{last[0] if last else ''}")

    def greetings(self, times: int) -> list[tuple[str, str]]:
        """(pod, version) of `times` answers to the page's curl line, run `times` times."""
        output = self.out("\n".join([CURL_NODE_PORT + "; echo"] * times))
        return [match.groups() for line in output.splitlines() if (match := GREETING.match(line.strip()))]


def rows(output: str) -> list[list[str]]:
    """The cells of a kubectl table, without its header."""
    return [line.split() for line in output.splitlines()[1:] if line.strip()]


def field_value(described: str, name: str) -> list[str]:
    """Every value of `Name:` lines in kubectl describe output."""
    return [line.split(":", 1)[1].strip() for line in described.splitlines() if line.strip().startswith(f"{name}:")]


def bootcamp_pods(output: str) -> dict[str, str]:
    """name -> STATUS of the kubernetes-bootcamp pods in a `kubectl get pods` table."""
    return {cells[0]: cells[2] for cells in rows(output) if cells[0].startswith("kubernetes-bootcamp-")}


@pytest.fixture(scope="module")
def terminal(cluster) -> Terminal:
    return Terminal(cluster)


def test_module_4_using_a_service_to_expose_your_app(terminal, bootcamp):
    # Step 1: Creating a new Service
    assert bootcamp_pods(terminal.out("kubectl get pods")) == {bootcamp: "Running"}
    assert [cells[0] for cells in rows(terminal.out("kubectl get services"))] == ["kubernetes"]
    assert terminal.out('kubectl expose deployment/kubernetes-bootcamp --type="NodePort" --port 8080').strip() \
        == "service/kubernetes-bootcamp exposed"
    services = {cells[0]: cells for cells in rows(terminal.out("kubectl get services"))}
    assert services["kubernetes-bootcamp"][1] == "NodePort"
    assert re.fullmatch(r"8080:3\d{4}/TCP", services["kubernetes-bootcamp"][4])

    pod_ip = terminal.out("kubectl get pods -o jsonpath='{.items[0].status.podIP}'").strip()
    described = terminal.until("kubectl describe services/kubernetes-bootcamp",
                               lambda text: field_value(text, "Endpoints") == [f"{pod_ip}:8080"] and text,
                               what="the Service's endpoint")
    assert field_value(described, "Type") == ["NodePort"]
    [node_port_line] = field_value(described, "NodePort")

    exported = terminal.out(EXPORT_NODE_PORT).strip()
    assert exported == f"NODE_PORT={terminal.exported['NODE_PORT']}"
    assert node_port_line == f"<unset>  {terminal.exported['NODE_PORT']}/TCP"
    answer = terminal.until(CURL_NODE_PORT, lambda out: out.strip(), timeout=20, what="the app on the node port")
    assert GREETING.match(answer.strip()).groups() == (bootcamp, "1")

    # Step 2: Using labels
    described = terminal.out("kubectl describe deployment")
    assert field_value(described, "Labels")[0] == "app=kubernetes-bootcamp"
    assert field_value(described, "Selector") == ["app=kubernetes-bootcamp"]
    assert list(bootcamp_pods(terminal.out("kubectl get pods -l app=kubernetes-bootcamp"))) == [bootcamp]
    assert [cells[0] for cells in rows(terminal.out("kubectl get services -l app=kubernetes-bootcamp"))] \
        == ["kubernetes-bootcamp"]
    shown = terminal.out("""export POD_NAME="$(kubectl get pods -o go-template --template '{{range .items}}"""
                         """{{.metadata.name}}{{"\\n"}}{{end}}')"\necho "Name of the Pod: $POD_NAME\"""")
    assert shown.strip() == f"Name of the Pod: {bootcamp}"
    assert terminal.out('kubectl label pods "$POD_NAME" version=v1').strip() == f"pod/{bootcamp} labeled"
    described = terminal.out('kubectl describe pods "$POD_NAME"')
    assert "version=v1" in described.split("Annotations:")[0].split()
    assert list(bootcamp_pods(terminal.out("kubectl get pods -l version=v1"))) == [bootcamp]

    # Step 3: Deleting a service
    assert terminal.out("kubectl delete service -l app=kubernetes-bootcamp").strip() \
        == 'service "kubernetes-bootcamp" deleted'
    assert [cells[0] for cells in rows(terminal.out("kubectl get services"))] == ["kubernetes"]
    # The node's proxy lets go of the port once its kubelet has seen the delete: curl fails from then on.
    wait_for(lambda: terminal.run(CURL_NODE_PORT, check=False).returncode != 0, timeout=20, interval=0.3,
             message="curl to the deleted Service's node port to fail")
    inside = terminal.out("kubectl exec -ti $POD_NAME -- wget -qO- http://localhost:8080")  # the page: curl
    assert GREETING.match(inside.strip()).groups() == (bootcamp, "1")


def test_module_5_running_multiple_instances_of_your_app(terminal):
    # The page assumes a LoadBalancer Service, made anew since module 4 deleted its NodePort one. With no
    # load-balancer provider it is a NodePort Service whose EXTERNAL-IP stays <pending>, as on minikube.
    terminal.out('kubectl expose deployment/kubernetes-bootcamp --type="LoadBalancer" --port 8080')
    service = rows(terminal.out("kubectl get services/kubernetes-bootcamp"))[0]
    assert service[1:4:2] == ["LoadBalancer", "<pending>"]

    # Scaling a Deployment
    assert rows(terminal.out("kubectl get deployments"))[0][:4] == ["kubernetes-bootcamp", "1/1", "1", "1"]
    [replica_set] = rows(terminal.out("kubectl get rs"))
    assert replica_set[0].startswith("kubernetes-bootcamp-") and replica_set[1:4] == ["1", "1", "1"]
    assert terminal.out("kubectl scale deployments/kubernetes-bootcamp --replicas=4").strip() \
        == "deployment.apps/kubernetes-bootcamp scaled"
    terminal.until("kubectl get deployments", lambda out: rows(out)[0][1:4] == ["4/4", "4", "4"],
                   what="4 of 4 ready")
    pods = terminal.until("kubectl get pods -o wide",
                          lambda out: len(running := [c for c in rows(out) if c[2] == "Running"]) == 4 and running,
                          what="4 pods Running")
    assert len({cells[5] for cells in pods}) == 4, "four pods, four IP addresses"
    described = terminal.out("kubectl describe deployments/kubernetes-bootcamp")
    assert field_value(described, "Replicas") == ["4 desired | 4 updated | 4 total | 4 available | 0 unavailable"]
    assert re.search(r"Scaled up replica set kubernetes-bootcamp-\w+ from 1 to 4", described)

    # Load Balancing
    ips = sorted(f"{cells[5]}:8080" for cells in pods)
    described = terminal.until("kubectl describe services/kubernetes-bootcamp",
                               lambda out: field_value(out, "Endpoints")[0].endswith("+ 1 more...") and out,
                               what="the Service's 4 endpoints")
    shown = field_value(described, "Endpoints")[0].removesuffix(" + 1 more...").split(",")
    assert len(shown) == 3 and set(shown) < set(ips)
    terminal.out(EXPORT_NODE_PORT)
    answered: set[str] = set()

    def three_pods_answer() -> bool:
        answered.update(pod for pod, version in terminal.greetings(8) if version == "1")
        return len(answered) >= 3
    wait_for(three_pods_answer, timeout=30, interval=0, message=lambda: f"3 pods answering, got {answered}")
    assert answered <= {cells[0] for cells in pods}

    # Scale Down
    assert terminal.out("kubectl scale deployments/kubernetes-bootcamp --replicas=2").strip() \
        == "deployment.apps/kubernetes-bootcamp scaled"
    terminal.until("kubectl get deployments", lambda out: rows(out)[0][1:4] == ["2/2", "2", "2"], what="2 of 2")
    terminal.until("kubectl get pods -o wide", lambda out: len(rows(out)) == 2, what="2 pods left")


def test_module_6_performing_a_rolling_update(terminal):
    # Update the version of the app
    assert rows(terminal.out("kubectl get deployments"))[0][1] == "2/2"
    assert set(bootcamp_pods(terminal.out("kubectl get pods")).values()) == {"Running"}
    assert field_value(terminal.out("kubectl describe pods"), "Image") == ["tinykube/bootcamp:v1"] * 2
    # The page: kubernetes-bootcamp=docker.io/jocatalin/kubernetes-bootcamp:v2 (see the module docstring).
    assert terminal.out("kubectl set image deployments/kubernetes-bootcamp bootcamp=tinykube/bootcamp:v2").strip() \
        == "deployment.apps/kubernetes-bootcamp image updated"
    assert bootcamp_pods(terminal.out("kubectl get pods"))

    # Verify an update
    terminal.out("kubectl describe services/kubernetes-bootcamp")  # still there, from module 5
    terminal.out(EXPORT_NODE_PORT)
    terminal.until(CURL_NODE_PORT, lambda out: out.strip().endswith("v=2"), what="the app answering v=2")
    status = terminal.out("kubectl rollout status deployments/kubernetes-bootcamp")
    assert status.splitlines()[-1] == 'deployment "kubernetes-bootcamp" successfully rolled out'
    # Only ready pods serve: once the old pods have left the endpoints, every answer is v=2.
    wait_for(lambda: {version for _, version in terminal.greetings(6)} == {"2"}, timeout=20, interval=0.3,
             message="every answer from v=2")
    terminal.until("kubectl describe pods",
                   lambda out: field_value(out, "Image") == ["tinykube/bootcamp:v2"] * 2, what="two v2 pods")

    # Roll back an update
    terminal.out("kubectl set image deployments/kubernetes-bootcamp "
                 "bootcamp=gcr.io/google-samples/kubernetes-bootcamp:v10")
    assert rows(terminal.out("kubectl get deployments"))[0][0] == "kubernetes-bootcamp"
    terminal.until("kubectl get pods", lambda out: set(bootcamp_pods(out).values()) & set(ERROR_PULLING),
                   what="a pod failing to pull v10")
    shown = terminal.out("""export AFFECTED_POD="$(kubectl get pods --field-selector status.phase=Pending """
                         """-o go-template --template '{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}')"\n"""
                         """echo "AFFECTED POD=$AFFECTED_POD\"""")
    assert shown.startswith("AFFECTED POD=kubernetes-bootcamp-") and terminal.exported["AFFECTED_POD"]
    described = terminal.out("kubectl describe pod $AFFECTED_POD")
    assert 'Failed to pull image "gcr.io/google-samples/kubernetes-bootcamp:v10"' in described
    assert terminal.out("kubectl rollout undo deployments/kubernetes-bootcamp").strip() \
        == "deployment.apps/kubernetes-bootcamp rolled back"
    terminal.until("kubectl get pods", lambda out: list(bootcamp_pods(out).values()) == ["Running"] * 2,
                   what="the two v2 pods alone")
    # The page: "reverts the deployment to the previous known state (v2 of the image)".
    assert field_value(terminal.out("kubectl describe pods"), "Image") == ["tinykube/bootcamp:v2"] * 2
    assert {version for _, version in terminal.greetings(4)} == {"2"}

    deleted = terminal.out("kubectl delete deployments/kubernetes-bootcamp services/kubernetes-bootcamp")
    assert deleted.splitlines() == ['deployment.apps "kubernetes-bootcamp" deleted',
                                    'service "kubernetes-bootcamp" deleted']
