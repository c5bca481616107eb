"""`kubectl top` and `tkctl top` on a master and a real kubelet, measuring a busy loop in Docker.

The numbers are live, so two runs never print the same digits; what must be
the same is everything else: the columns, where each cell starts, the units.
"""

import re
import shutil

import pytest

from tests.cli.conftest import Tkctl
from tests.support.cluster import Kubectl, live_cluster, wait_for

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

CPU_LIMIT_MILLIS = 200
BUSY_POD = f"""
apiVersion: v1
kind: Pod
metadata: {{name: busy, labels: {{app: busy}}}}
spec:
  containers:
  - name: spin
    image: tinykube/busybox:test
    command: ["sh", "-c", "while :; do :; done"]
    resources: {{limits: {{cpu: {CPU_LIMIT_MILLIS}m, memory: 32Mi}}}}
  - name: idle
    image: tinykube/busybox:test
    command: ["sleep", "3600"]
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("top")
    with live_cluster(root, nodes=1) as (master, kubelets):
        kubectl = Kubectl(master.kubeconfig, root / "kube-cache")
        kubectl("apply", "-f", "-", input=BUSY_POD)
        wait_for(lambda: kubectl.json("get", "pod", "busy")["status"].get("phase") == "Running", timeout=60,
                 message="pod busy Running")
        yield kubectl, Tkctl(master.kubeconfig), kubelets[0].node_name


def layout(text: str) -> list[tuple[int, list[tuple[int, str]]]]:
    """Each line's length and cells, with where each cell starts and its digits blurred."""
    return [(len(line), [(cell.start(), re.sub(r"\d+", "#", cell.group())) for cell in re.finditer(r"\S+", line)])
            for line in text.splitlines()]


def millicores(output: str, *names: str) -> int:
    """The CPU(cores) cell of the row that starts with `names`."""
    row = next(cells for line in output.splitlines()[1:] if (cells := line.split())[:len(names)] == list(names))
    return int(row[len(names)].removesuffix("m"))


def busy_top(run, *args: str, row: tuple[str, ...]) -> str:
    """The output once `row` shows CPU in use (the first sample may predate the busy loop)."""
    def measured() -> str | None:
        result = run("top", *args)
        return result.stdout if result.returncode == 0 and millicores(result.stdout, *row) > 0 else None
    return wait_for(measured, timeout=60, interval=0.5, message=f"top {' '.join(args)} to show CPU in use")


def test_top_pods_shows_the_busy_pod_the_same_way_in_kubectl_and_tkctl(cluster):
    kubectl, tkctl, _ = cluster
    from_kubectl = busy_top(lambda *a: kubectl(*a, check=False), "pods", "busy", row=("busy",))
    from_tkctl = busy_top(tkctl, "pods", "busy", row=("busy",))

    assert from_kubectl.splitlines()[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert layout(from_tkctl) == layout(from_kubectl)
    for output in (from_kubectl, from_tkctl):
        # The kernel holds the loop to its limit; one second's sample may overshoot by a CFS period.
        assert 0 < millicores(output, "busy") <= CPU_LIMIT_MILLIS * 1.5


def test_top_pods_containers_shows_which_container_is_busy(cluster):
    kubectl, tkctl, _ = cluster
    from_kubectl = busy_top(lambda *a: kubectl(*a, check=False), "pods", "--containers", "busy", row=("busy", "spin"))
    from_tkctl = busy_top(tkctl, "pods", "--containers", "busy", row=("busy", "spin"))

    assert layout(from_tkctl) == layout(from_kubectl)
    for output in (from_kubectl, from_tkctl):
        assert [line.split()[:2] for line in output.splitlines()] == [
            ["POD", "NAME"], ["busy", "idle"], ["busy", "spin"]]


def test_top_nodes_shows_the_nodes_cpu_the_same_way_in_kubectl_and_tkctl(cluster):
    kubectl, tkctl, node = cluster
    from_kubectl = busy_top(lambda *a: kubectl(*a, check=False), "nodes", node, row=(node,))
    from_tkctl = busy_top(tkctl, "nodes", node, row=(node,))

    assert from_kubectl.splitlines()[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    assert layout(from_tkctl) == layout(from_kubectl)
    for output in (from_kubectl, from_tkctl):
        cells = output.splitlines()[1].split()
        assert 0 < millicores(output, node) <= CPU_LIMIT_MILLIS * 1.5 + 50  # the busy loop, and the idle rest
        # Percent of the 2 cores the node advertises, truncated as kubectl truncates it.
        assert cells[2] == f"{int(millicores(output, node) / 2000 * 100)}%"
