"""`tkctl why` against a live master whose scheduler has no nodes: the page, -o, `why pods`, and bad input.

Without nodes every pod stays Pending and the scheduler is the one that
explains it; a pod that should look Running and Ready is bound to a node that
does not exist and has its status written as a kubelet would write it.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator

import pytest
import yaml

from cli.why.listing import nothing_to_explain
from tests.cli.conftest import Tkctl
from tests.support.cluster import Kubectl, Master, wait_for

NO_NODES = "Unschedulable: no nodes available to schedule pods"


@pytest.fixture(scope="module")
def scheduling_master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("why") / "data", extra_args=["--time-scale", "0.1"]).start()
    yield server
    server.stop()


@pytest.fixture
def tkctl(scheduling_master):
    return Tkctl(scheduling_master.kubeconfig)


@pytest.fixture
def api(scheduling_master):
    with scheduling_master.client() as client:
        yield client


@contextlib.contextmanager
def fresh_namespace(api) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/namespaces", json={"metadata": {"name": name}}).status_code == 201
    try:
        yield name
    finally:
        api.delete(f"/api/v1/namespaces/{name}")


@pytest.fixture
def namespace(api):
    with fresh_namespace(api) as name:
        yield name


def pending_pod(api, namespace: str, name: str = "waiting") -> str:
    """A pod the scheduler has tried, and failed, to place."""
    pod = {"metadata": {"name": name}, "spec": {"containers": [{"name": "app", "image": "tinykube/bootcamp:v1"}]}}
    assert api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod).status_code == 201
    wait_for(lambda: api.get(f"/api/v1/namespaces/{namespace}/pods/{name}/explanation").status_code == 200,
             timeout=10, message="the scheduler's first attempt")
    return name


def running_and_ready_pod(api, namespace: str, name: str = "fine") -> str:
    pod = {"metadata": {"name": name},
           "spec": {"nodeName": "elsewhere", "containers": [{"name": "app", "image": "tinykube/bootcamp:v1"}]}}
    created = api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod)
    assert created.status_code == 201, created.text
    status = {**created.json(), "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    written = api.put(f"/api/v1/namespaces/{namespace}/pods/{name}/status", json=status)
    assert written.status_code == 200, written.text
    return name


def test_a_pending_pod_is_explained_by_the_scheduler(tkctl, api, namespace):
    pod = pending_pod(api, namespace)

    lines = tkctl.ok("why", f"pod/{pod}", "-n", namespace).splitlines()

    assert lines[0].startswith(f"pod/{pod} is Pending: {NO_NODES}")
    assert lines[1].split() == ["Namespace:", namespace]
    scheduling = lines[lines.index("Scheduling:"):]
    assert scheduling[1].split()[:4] == ["Last", "Attempt:", "Unschedulable", "at"]
    assert "Nodes: 0 nodes: 0 feasible, 0 rejected" in [" ".join(line.split()) for line in scheduling]


@pytest.mark.parametrize("spelling", [("po", "waiting"), ("pods/waiting",), ("pod", "waiting")])
def test_the_kind_is_named_as_kubectl_names_it(tkctl, api, namespace, spelling):
    pending_pod(api, namespace)
    assert tkctl.ok("why", *spelling, "-n", namespace).startswith("pod/waiting is Pending")


def test_output_json_and_yaml_are_the_answer_as_the_server_sent_it(tkctl, api, namespace, scheduling_master,
                                                                   tmp_path):
    pod = pending_pod(api, namespace)
    kubectl = Kubectl(scheduling_master.kubeconfig, tmp_path / "cache")
    raw = json.loads(kubectl("get", "--raw", f"/api/v1/namespaces/{namespace}/pods/{pod}/why").stdout)

    as_json = json.loads(tkctl.ok("why", f"pod/{pod}", "-n", namespace, "-o", "json"))
    as_yaml = yaml.safe_load(tkctl.ok("why", f"pod/{pod}", "-n", namespace, "-o", "yaml"))

    # asked three times: the scheduler may have tried again meanwhile, so only what stays is compared
    for answer in (as_json, as_yaml):
        assert (answer["apiVersion"], answer["kind"]) == ("tinykube.io/v1alpha1", "Why")
        assert answer.keys() == raw.keys()
        for key in ("subject", "state", "summary", "metadata"):
            assert answer[key] == raw[key]
        assert answer["scheduling"]["message"] == raw["scheduling"]["message"]


def test_a_jsonpath_reads_the_answer_as_get_reads_objects(tkctl, api, namespace):
    pod = pending_pod(api, namespace)
    assert tkctl.ok("why", f"pod/{pod}", "-n", namespace, "-o", "jsonpath={.state}") == "Pending"
    listed = tkctl.ok("why", "pods", "-n", namespace, "-o", "custom-columns=NAME:.subject.name,STATE:.state")
    assert listed.splitlines() == ["NAME      STATE", f"{pod}   Pending"]


def test_why_pods_lists_only_the_pods_that_are_not_running_and_ready(tkctl, api, namespace):
    pending_pod(api, namespace)
    running_and_ready_pod(api, namespace)

    lines = tkctl.ok("why", "pods", "-n", namespace).splitlines()

    assert [line.split()[:2] for line in lines] == [["NAME", "STATE"], ["waiting", "Pending"]]
    assert NO_NODES in lines[1]
    assert lines[0].index("REASON") == lines[1].index("Unschedulable")


def test_why_pods_across_namespaces_adds_the_namespace_column(tkctl, api, namespace):
    pending_pod(api, namespace)

    lines = tkctl.ok("why", "pods", "-A").splitlines()

    assert lines[0].split() == ["NAMESPACE", "NAME", "STATE", "REASON"]
    assert [namespace, "waiting", "Pending"] in [line.split()[:3] for line in lines[1:]]


def test_why_pods_says_when_there_is_nothing_to_explain(tkctl, api, namespace):
    empty = tkctl("why", "pods", "-n", namespace)
    assert (empty.returncode, empty.stdout, empty.stderr) == (0, "", f"No resources found in {namespace} namespace.\n")

    running_and_ready_pod(api, namespace)
    fine = tkctl("why", "pods", "-n", namespace)
    assert (fine.returncode, fine.stdout) == (0, "")
    assert fine.stderr == f"Every pod in {namespace} namespace is Running and Ready.\n"


def test_why_pods_as_json_is_a_list_of_the_answers(tkctl, api, namespace):
    pending_pod(api, namespace)
    running_and_ready_pod(api, namespace)

    listed = json.loads(tkctl.ok("why", "pods", "-n", namespace, "-o", "json"))

    assert listed["kind"] == "List"
    assert [(item["kind"], item["subject"]["name"]) for item in listed["items"]] == [("Why", "waiting")]


@pytest.mark.parametrize(("args", "message"), [
    (("why", "foo/x"), 'error: the server doesn\'t have a resource type "foo"'),
    (("why", "foo", "x"), 'error: the server doesn\'t have a resource type "foo"'),
    (("why", "pod/missing"), 'Error from server (NotFound): pods "missing" not found'),
    (("why", "node", "missing"), 'Error from server (NotFound): nodes "missing" not found'),
    (("why", "deploy/missing"), 'Error from server (NotFound): deployments.apps "missing" not found'),
    (("why", "ns/default"), "error: tkctl why explains pods, nodes, deployments, replicasets, daemonsets "
                            "and services, not namespaces"),
    (("why", "nodes"), "error: tkctl why lists only pods: name the object, e.g. tkctl why node/NAME"),
    (("why", "pod/x", "-o", "wide"), 'error: unable to match a printer suitable for the output format "wide", '
                                     "allowed formats are: custom-columns,custom-columns-file,go-template,"
                                     "go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,template,"
                                     "templatefile,yaml"),
    (("why", "pod/x", "-A"), "error: a resource cannot be retrieved by name across all namespaces"),
    (("why", "-w", "pods"), "error: you may only watch a single resource or type of resource at a time"),
])
def test_bad_input_gets_kubectls_wording_in_one_line_and_exit_1(tkctl, args, message):
    result = tkctl(*args)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message + "\n")


def test_why_pods_across_namespaces_with_no_pods_at_all_says_it_as_kubectl_does():
    assert nothing_to_explain(None, pods=0) == "No resources found"
    assert nothing_to_explain(None, pods=3) == "Every pod is Running and Ready."
