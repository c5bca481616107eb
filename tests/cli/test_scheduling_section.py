"""describe pod's Scheduling section, rendered from SchedulingExplanation objects (pure functions)."""

from __future__ import annotations

import textwrap

from cli.describers.page import Page
from cli.describers.pod import describe_pod
from cli.describers.scheduling import add_scheduling, verdict


def explanation(*, rejected: int, feasible: int, node: str | None = "node-b") -> dict:
    return {
        "kind": "SchedulingExplanation", "result": "Scheduled" if node else "Unschedulable", "node": node,
        "nodesTotal": rejected + feasible, "nodesEvaluated": rejected + feasible,
        "rejected": [{"node": f"full-{i:02}", "plugin": "NodeResourcesFit", "reason": "Insufficient cpu",
                      "detail": "requested 500m cpu, free 200m"} for i in range(rejected)],
        "feasible": [{"node": f"node-{'abcde'[i]}", "total": 380 - i,
                      "scores": {"NodeResourcesFit": 80 - i, "TaintToleration": 100}} for i in range(feasible)],
    }


def section(data: dict) -> str:
    page = Page()
    add_scheduling(page, data)
    return page.render()


def test_the_section_names_the_node_the_counts_and_each_nodes_verdict():
    assert section(explanation(rejected=1, feasible=2)) == textwrap.dedent("""\
        Scheduling:  Scheduled on node-b (3 nodes: 2 feasible, 1 rejected)
                     full-00  rejected by NodeResourcesFit: Insufficient cpu (requested 500m cpu, free 200m)
                     node-a   score 380  NodeResourcesFit=80 TaintToleration=100
                     node-b   score 379  NodeResourcesFit=79 TaintToleration=100
        """)


def test_rejected_nodes_stop_at_ten_and_feasible_ones_at_the_best_three():
    lines = section(explanation(rejected=12, feasible=5)).splitlines()
    assert [line.split()[0] for line in lines[1:]] == (
        [f"full-{i:02}" for i in range(10)] + ["...", "node-a", "node-b", "node-c"])
    assert lines[11] == "             ... and 2 more"


def test_an_unschedulable_pod_says_so():
    assert verdict(explanation(rejected=3, feasible=0, node=None)) == "Unschedulable (3 nodes: 0 feasible, 3 rejected)"


def test_a_sampled_cluster_says_how_many_nodes_were_evaluated():
    data = {**explanation(rejected=0, feasible=1, node="node-a"), "nodesTotal": 100}
    assert verdict(data) == "Scheduled on node-a (100 nodes, 1 evaluated: 1 feasible, 0 rejected)"


def test_the_section_goes_before_the_events_and_leaves_the_rest_of_the_page_alone():
    pod = {"metadata": {"name": "web", "namespace": "default"}, "spec": {"containers": [{"name": "app"}]},
           "status": {"phase": "Pending"}}
    without = describe_pod(pod, []).splitlines()
    with_it = describe_pod(pod, [], explanation(rejected=0, feasible=1, node="node-a")).splitlines()
    assert not any(line.startswith("Scheduling:") for line in without)
    at = next(i for i, line in enumerate(with_it) if line.startswith("Scheduling:"))
    assert with_it[at + 1].split()[:3] == ["node-a", "score", "380"]
    assert with_it[:at] + with_it[at + 2:] == without


def test_a_capped_explanation_counts_the_nodes_it_leaves_out():
    data = {**explanation(rejected=5, feasible=3), "nodesTotal": 5000, "nodesEvaluated": 500,
            "feasibleOmitted": 480, "rejectedOmitted": 12}
    lines = section(data).splitlines()
    assert lines[0] == "Scheduling:  Scheduled on node-b (5000 nodes, 500 evaluated: 483 feasible, 17 rejected)"
    assert [line.split()[0] for line in lines[1:]] == [f"full-{i:02}" for i in range(5)] + ["...", "node-a", "node-b",
                                                                                         "node-c"]
    assert lines[6] == "             ... and 12 more"
