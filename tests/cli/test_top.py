"""`tkctl top` against the real `kubectl top`, byte for byte, on a master and a kubelet server with fixed usage.

The kubelet server runs on the fake runtime, so every number is known and both
tools must print exactly the same text; the live CPU of real containers is
tested in tests/acceptance/test_top_on_kubelets.py.
"""

import shutil
import uuid

import pytest

from tests.support.kubelet_app import answering_and_silent_nodes, run_bound_pod

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

MI = 1 << 20


@pytest.fixture(scope="module")
def nodes(master, tmp_path_factory):
    """(label selector, live node, the node that does not answer, the live node's fake runtime)."""
    run = uuid.uuid4().hex[:6]
    live, dead = f"top-{run}-a", f"top-{run}-b"
    with answering_and_silent_nodes(master, tmp_path_factory.mktemp("kubelet-pki"), live=live, dead=dead,
                                    live_labels={"top-test": run}, dead_labels={"top-test": run}) as runtime:
        yield f"top-test={run}", live, dead, runtime


@pytest.fixture
def pods(api, namespace, nodes):
    _, live, _, runtime = nodes
    web = run_bound_pod(api, runtime, namespace, live, "web", ["app", "sidecar"], labels={"app": "web"})
    db = run_bound_pod(api, runtime, namespace, live, "db", ["postgres"], labels={"app": "db"})
    runtime.set_usage(web["app"], cpu_nano_cores=250_000_000, memory_working_set_bytes=30 * MI)
    runtime.set_usage(web["sidecar"], cpu_nano_cores=1, memory_working_set_bytes=MI - 1)
    runtime.set_usage(db["postgres"], cpu_nano_cores=99_500_000, memory_working_set_bytes=300 * MI)


def both(kubectl, tkctl, *args):
    expected = kubectl(*args, check=False)
    actual = tkctl(*args)
    assert (actual.returncode, actual.stdout, actual.stderr) == (expected.returncode, expected.stdout,
                                                                 expected.stderr), args
    return actual


def test_top_nodes_prints_usage_against_allocatable_and_unknown_for_a_silent_node(kubectl, tkctl, nodes, pods):
    selector, live, dead, _ = nodes

    shown = both(kubectl, tkctl, "top", "nodes", "-l", selector)

    # 250m + 1n + 99.5m = 349.500001m, rounded up, is 17% of 2 cores; 331Mi (less a byte) is 16% of 2Gi.
    assert [line.split() for line in shown.stdout.splitlines()] == [
        ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"],
        [live, "350m", "17%", "330Mi", "16%"],
        [dead, "<unknown>", "<unknown>", "<unknown>", "<unknown>"],
    ]
    both(kubectl, tkctl, "top", "node", live, "--no-headers")
    both(kubectl, tkctl, "top", "no", "-l", selector, "--sort-by", "memory", "--show-capacity")


def test_top_pods_prints_each_pod_or_container_and_the_sum(kubectl, tkctl, namespace, pods):
    shown = both(kubectl, tkctl, "top", "pods", "-n", namespace)
    assert [line.split() for line in shown.stdout.splitlines()] == [
        ["NAME", "CPU(cores)", "MEMORY(bytes)"], ["db", "100m", "300Mi"], ["web", "251m", "30Mi"]]

    both(kubectl, tkctl, "top", "pods", "-n", namespace, "--containers", "--sort-by", "cpu")
    both(kubectl, tkctl, "top", "pod", "-n", namespace, "--sum", "--sort-by", "memory")
    both(kubectl, tkctl, "top", "po", "web", "-n", namespace, "--containers", "--sum", "--no-headers")
    both(kubectl, tkctl, "top", "pods", "-n", namespace, "-l", "app=web")


def test_top_pods_across_namespaces_adds_the_namespace(kubectl, tkctl, namespace, pods):
    shown = both(kubectl, tkctl, "top", "pods", "-A", "--field-selector", f"metadata.namespace={namespace}")
    assert shown.stdout.splitlines()[0].split() == ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]


def test_top_tells_when_there_is_nothing_to_show(kubectl, tkctl, namespace, pods):
    shown = both(kubectl, tkctl, "top", "pods", "-n", namespace, "-l", "app=none")
    assert (shown.stdout, shown.stderr) == ("", f"No resources found in {namespace} namespace.\n")
    both(kubectl, tkctl, "top", "pod", "missing", "-n", namespace)


@pytest.mark.parametrize("args", [
    ("top", "pods", "--sort-by", "name"),
    ("top", "nodes", "some-node", "-l", "a=b"),
    ("top", "pod", "web", "-l", "a=b"),
    ("top", "nodes", "-l", "a in (b"),
], ids=["sort-by", "node-name-and-selector", "pod-name-and-selector", "bad-selector"])
def test_top_refuses_what_kubectl_refuses_in_its_words(kubectl, tkctl, args):
    refused = both(kubectl, tkctl, *args)
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
