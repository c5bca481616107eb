"""What the scheduler's writes say they reacted to: the pod revision it scheduled, in every thread that writes."""

import uuid

import pytest

from tests.master.scheduler.test_scheduling import add_node, add_pod, events_of, node_of
from tests.support.cluster import Master, wait_for
from tests.support.revision_log import revision_rows

SCHEDULE_TIMEOUT = 20


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("sched-provenance") / "data",
                    extra_args=["--time-scale", "0.05", "--scheduler-seed", "7"]).start()
    yield server
    server.stop()


@pytest.fixture
def api(cluster):
    with cluster.client() as client:
        yield client


@pytest.fixture
def ns(api):
    name = f"p-{uuid.uuid4().hex[:6]}"
    api.post("/api/v1/namespaces", json={"metadata": {"name": name}})
    yield name
    for node in api.get("/api/v1/nodes").json()["items"]:
        if node["metadata"]["name"].startswith(name):
            api.delete(f"/api/v1/nodes/{node['metadata']['name']}")
    api.delete(f"/api/v1/namespaces/{name}")


def scheduler_writes(cluster, ns, name):
    """The scheduler's rows about pod `name`: on the pod, its explanation, and events naming it."""
    rows = [row for row in revision_rows(cluster.data_dir, namespace=ns) if row.component == "scheduler"]
    return [row for row in rows if row.name == name or (row.resource == "events"
                                                         and row.object["involvedObject"]["name"] == name)]


def node_in_the_schedulers_cache(api, ns, name):
    """Add node `name` and wait until the scheduler has it: a pod bound there proves it. Nodes and pods
    reach the scheduler on two watch streams, so a pod added at once may be tried first on no node, and
    its binding then reacts to that attempt's status patch."""
    add_node(api, name, labels={"probe": name})
    add_pod(api, ns, f"{name}-probe", node_selector={"probe": name})
    wait_for(lambda: node_of(api, ns, f"{name}-probe"), timeout=SCHEDULE_TIMEOUT, message=f"node {name} in the cache")


def created_revision(cluster, ns, name):
    """The revision that created pod `name`, from the log: a GET may already see the scheduler's write."""
    return next(row.revision for row in revision_rows(cluster.data_dir, resource="pods", namespace=ns, name=name)
                if row.event == "ADDED")


def what(row):
    if row.resource == "events":
        return "event"
    return "explanation" if "explanation" in (row.resource, row.subresource) else row.subresource or row.verb


def test_the_binding_its_explanation_and_the_scheduled_event_react_to_the_pod_revision_scheduled(cluster, api, ns):
    # Guards a flake: `created` was read with a GET, which could see the binding's revision.
    node_in_the_schedulers_cache(api, ns, f"{ns}-n0")
    add_pod(api, ns, "web")
    created = created_revision(cluster, ns, "web")
    wait_for(lambda: node_of(api, ns, "web"), timeout=SCHEDULE_TIMEOUT, message="binding")
    wait_for(lambda: events_of(api, ns, "web", "Scheduled"), message="the Scheduled event")

    writes = wait_for(lambda: (w := scheduler_writes(cluster, ns, "web")) and len(w) >= 3 and w,
                      message="the binding, the explanation and the event in the log")
    assert {"binding", "explanation", "event"} <= {what(row) for row in writes}
    assert {row.cause for row in writes} == {created}  # nothing but the test wrote the pod before


def test_a_pod_that_fits_nowhere_gets_its_condition_and_failed_scheduling_event_reacting_to_its_revision(
        cluster, api, ns):
    node_in_the_schedulers_cache(api, ns, f"{ns}-n0")
    add_pod(api, ns, "nowhere", node_selector={"disk": "none-has-it"})
    created = created_revision(cluster, ns, "nowhere")
    wait_for(lambda: events_of(api, ns, "nowhere", "FailedScheduling"), timeout=SCHEDULE_TIMEOUT,
             message="FailedScheduling")

    def written():
        rows = scheduler_writes(cluster, ns, "nowhere")
        status = [row for row in rows if row.resource == "pods" and row.subresource == "status"]
        events = [row for row in rows if row.resource == "events"]
        return (status, events) if status and events else None

    status, events = wait_for(written, message="the PodScheduled=False patch and the event in the log")
    assert status[0].cause == created and events[0].cause == created
