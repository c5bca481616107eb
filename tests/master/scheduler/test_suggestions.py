"""Suggestions for a pod no node fits: every kind, and each one's change really lets the filters pass.

The checks below do not trust the search: they apply each suggestion's patch the way kubectl and
the API server would (a strategic merge patch on the pod, on a Deployment whose template makes
the pod, or on the node; deleting the named pods; registering the proposed node), rebuild what
the scheduler sees, and run the profile's filters on every node the suggestion names.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from master.patch import apply_strategic_merge_patch
from master.scheduler.framework import NodeInfo, PodInfo
from master.scheduler.plugins.node_unschedulable import UNSCHEDULABLE_TAINT
from master.scheduler.profile import default_profile
from master.scheduler.suggestions import (
    ADD_NODE, LOWER_REQUESTS, NODES_NAMED, RELAX_NODE_AFFINITY, RELAX_NODE_SELECTOR, REMOVE_PODS, TOLERATE_TAINT,
    UNCORDON_NODE, Template, passes, suggest,
)
from objects.explanation import ObjectRef, Suggestion
from objects.pod import Pod

FILTERS = default_profile().filters
GPU = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
CORDON_TAINT = {"key": UNSCHEDULABLE_TAINT.key, "effect": "NoSchedule"}  # as the node lifecycle controller adds it
WEB = Template(ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="default"), [])


# ----- the objects, as JSON, the way the API holds them


def node(name: str, *, cpu: str = "4", memory: str = "8Gi", pods: int = 110, labels: dict[str, str] | None = None,
         taints: list[dict[str, str]] | None = None, unschedulable: bool = False) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"taints": taints or [], "unschedulable": unschedulable},
            "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": str(pods)},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def pod(name: str = "web-1", *, requests: dict[str, str] | None = None, node_name: str = "", priority: int = 0,
        created: str = "2024-05-01T12:00:00Z", **spec: Any) -> dict[str, Any]:
    containers = [{"name": "app", "image": "busybox", "resources": {"requests": requests or {"cpu": "500m"}}}]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "creationTimestamp": created},
            "spec": {"containers": containers, "priority": priority, **({"nodeName": node_name} if node_name else {}),
                     **spec},
            "status": {"phase": "Running" if node_name else "Pending"}}


class Cluster:
    """Nodes and the pods placed on them, as wire objects, and the NodeInfo the scheduler makes of them."""

    def __init__(self, *nodes: dict[str, Any], placed: tuple[dict[str, Any], ...] = ()):
        self.nodes = {n["metadata"]["name"]: n for n in nodes}
        self.placed = list(placed)

    def infos(self, *, without_pods: tuple[str, ...] = ()) -> dict[str, NodeInfo]:
        infos = {name: NodeInfo.from_node(wire) for name, wire in self.nodes.items()}
        for placed in self.placed:
            key = f"{placed['metadata']['namespace']}/{placed['metadata']['name']}"
            if key not in without_pods:
                infos[placed["spec"]["nodeName"]].add_pod(PodInfo.from_pod(placed))
        return infos

    def suggest(self, pending: dict[str, Any], template: Template | None = None) -> list[Suggestion]:
        model = Pod.model_validate(pending)
        info = PodInfo.from_model(model)
        infos = list(self.infos().values())
        assert not any(passes(info, n, FILTERS) for n in infos), "the pod must fit nowhere to begin with"
        return suggest(model, info, infos, FILTERS, template or Template.bare(model))


def applied(suggestion: Suggestion, pending: dict[str, Any], cluster: Cluster) -> None:
    """Apply the suggestion as a user would, and assert the pod then passes every filter on its nodes."""
    assert suggestion.nodes, suggestion
    infos = cluster.infos(without_pods=tuple(suggestion.pods))
    target = suggestion.target
    changed = pending
    if target is not None and target.kind == "Pod":
        changed = apply_strategic_merge_patch(pending, suggestion.patch)
    elif target is not None and target.kind == "Deployment":
        deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": target.name},
                      "spec": {"template": {"metadata": {}, "spec": copy.deepcopy(pending["spec"])}}}
        stamped = apply_strategic_merge_patch(deployment, suggestion.patch)["spec"]["template"]["spec"]
        changed = {**pending, "spec": stamped}
    elif target is not None and target.kind == "Node" and suggestion.patch is not None:
        patched = apply_strategic_merge_patch(cluster.nodes[target.name], suggestion.patch)
        if not patched["spec"].get("unschedulable"):  # the node lifecycle controller lifts its cordon taint
            patched["spec"]["taints"] = [t for t in patched["spec"]["taints"] if t["key"] != UNSCHEDULABLE_TAINT.key]
        infos[target.name] = NodeInfo.from_node(patched)
    if suggestion.type == ADD_NODE:
        registered = copy.deepcopy(suggestion.node)
        registered["status"]["conditions"] = [{"type": "Ready", "status": "True"}]  # its kubelet reports Ready
        infos[registered["metadata"]["name"]] = NodeInfo.from_node(registered)
    info = PodInfo.from_pod(changed)
    for name in suggestion.nodes:
        assert passes(info, infos[name], FILTERS), f"{suggestion.type} on {name}: {suggestion.message}"


def of_type(suggestions: list[Suggestion], type_: str) -> list[Suggestion]:
    return [s for s in suggestions if s.type == type_]


# ----- each kind


def test_a_cordoned_node_the_pod_fits_otherwise_is_suggested_for_uncordoning():
    cluster = Cluster(node("small", cpu="1"), node("cordoned", unschedulable=True, taints=[CORDON_TAINT]))
    pending = pod(requests={"cpu": "2"})
    [uncordon] = of_type(cluster.suggest(pending), UNCORDON_NODE)
    assert uncordon.command == "kubectl uncordon cordoned"
    assert uncordon.target == ObjectRef(api_version="v1", kind="Node", name="cordoned")
    assert uncordon.patch == {"spec": {"unschedulable": None}}
    assert uncordon.nodes == ["cordoned"]
    applied(uncordon, pending, cluster)


def test_a_cordoned_node_too_small_for_the_pod_is_not_suggested():
    cluster = Cluster(node("cordoned", cpu="1", unschedulable=True, taints=[CORDON_TAINT]))
    assert of_type(cluster.suggest(pod(requests={"cpu": "2"})), UNCORDON_NODE) == []


def test_the_taint_that_alone_repels_the_pod_is_tolerated_in_the_template_beside_its_own_tolerations():
    own = {"key": "team", "operator": "Exists", "effect": "NoSchedule"}
    cluster = Cluster(node("gpu-1", taints=[GPU]), node("gpu-2", taints=[GPU]), node("small", cpu="100m"),
                      node("both", cpu="100m", taints=[GPU]))
    pending = pod(tolerations=[own])
    template = Template(WEB.ref, [own])
    [tolerate] = of_type(cluster.suggest(pending, template), TOLERATE_TAINT)
    toleration = {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
    assert tolerate.patch == {"spec": {"template": {"spec": {"tolerations": [own, toleration]}}}}
    assert tolerate.nodes == ["gpu-1", "gpu-2"]  # not "both": it is too small as well
    assert tolerate.message == ("deployment/web: tolerate taint dedicated=gpu:NoSchedule; "
                                "the pod then fits 2 nodes: gpu-1, gpu-2")
    assert tolerate.command == f"kubectl patch deployment web -n default -p '{json.dumps(tolerate.patch, separators=(',', ':'))}'"
    applied(tolerate, pending, cluster)


def test_a_bare_pod_gains_a_toleration_live_but_must_be_recreated_for_anything_else():
    cluster = Cluster(node("gpu", taints=[GPU]), node("small", cpu="100m"))
    pending = pod()
    suggestions = cluster.suggest(pending)
    [tolerate], [lower] = of_type(suggestions, TOLERATE_TAINT), of_type(suggestions, LOWER_REQUESTS)
    assert tolerate.command.startswith("kubectl patch pod web-1 -n default -p '")
    assert "re-creates" not in tolerate.message
    assert lower.command.startswith("kubectl patch pod web-1 -n default --dry-run=client -o json -p '")
    assert lower.command.endswith("' | kubectl replace --force -f -")
    assert lower.message.endswith("a Pod's spec cannot change, so the command re-creates the pod")
    for suggestion in (tolerate, lower):
        applied(suggestion, pending, cluster)


def test_a_node_selector_label_no_node_has_is_dropped_naming_the_nodes_that_then_match():
    cluster = Cluster(node("hdd-1", labels={"disk": "hdd", "zone": "a"}), node("hdd-2", labels={"disk": "hdd"}),
                      node("ssd-b", labels={"disk": "ssd", "zone": "b"}))
    pending = pod(nodeSelector={"disk": "ssd", "zone": "a"})
    relaxed = of_type(cluster.suggest(pending, WEB), RELAX_NODE_SELECTOR)
    assert [(s.patch, s.nodes) for s in relaxed] == [
        ({"spec": {"template": {"spec": {"nodeSelector": {"disk": None}}}}}, ["hdd-1"]),
        ({"spec": {"template": {"spec": {"nodeSelector": {"zone": None}}}}}, ["ssd-b"]),
    ]
    assert relaxed[0].message == "deployment/web: drop nodeSelector disk=ssd; the pod then fits 1 node: hdd-1"
    for suggestion in relaxed:
        applied(suggestion, pending, cluster)


def test_a_required_affinity_term_loses_only_its_unmatched_requirements():
    term = {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]},
                                 {"key": "zone", "operator": "In", "values": ["z"]}]}
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}
    cluster = Cluster(node("ssd-a", labels={"disk": "ssd", "zone": "a"}), node("hdd", labels={"disk": "hdd"}))
    pending = pod(affinity=affinity)
    relaxed = of_type(cluster.suggest(pending, WEB), RELAX_NODE_AFFINITY)
    kept = {"nodeSelectorTerms": [{"matchExpressions": [term["matchExpressions"][0]]}]}
    assert [(s.patch, s.nodes) for s in relaxed] == [
        ({"spec": {"template": {"spec": {"affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": kept}}}}}}, ["ssd-a"]),
        ({"spec": {"template": {"spec": {"affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": None}}}}}}, ["ssd-a", "hdd"]),
    ]
    assert relaxed[0].message.startswith("deployment/web: drop zone In [z] from required node affinity term 1;")
    for suggestion in relaxed:
        applied(suggestion, pending, cluster)


def test_requests_are_lowered_to_what_the_roomiest_node_that_passes_every_other_filter_has_free():
    filler = pod("filler", requests={"cpu": "1500m", "memory": "1Gi"}, node_name="busy")
    cluster = Cluster(node("busy", cpu="4", memory="4Gi"), node("small", cpu="2", memory="2Gi"),
                      node("tainted", cpu="16", memory="32Gi", taints=[GPU]), placed=(filler,))
    pending = pod(requests={"cpu": "3", "memory": "3Gi"})
    pending["spec"]["containers"].append({"name": "sidecar", "image": "busybox",
                                          "resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}}})
    [lower] = of_type(cluster.suggest(pending, WEB), LOWER_REQUESTS)
    # busy keeps 2500m and 3Gi free: of the 4 cpu and 4Gi asked, it holds the larger share.
    assert lower.message.startswith("deployment/web: lower the requests (cpu 4 -> 2500m, memory 4Gi -> 3Gi) "
                                    "to what node busy has free;")
    assert lower.patch == {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "resources": {"requests": {"cpu": "1875m", "memory": "2304Mi"}}},
        {"name": "sidecar", "resources": {"requests": {"cpu": "625m", "memory": "768Mi"}}},
    ]}}}}
    assert lower.nodes == ["busy"]
    applied(lower, pending, cluster)


def test_room_is_freed_where_the_fewest_pods_must_go_lowest_priority_first_then_newest():
    placed = (
        pod("old", requests={"cpu": "1"}, node_name="a", created="2024-05-01T10:00:00Z"),
        pod("new", requests={"cpu": "1"}, node_name="a", created="2024-05-01T11:00:00Z"),
        pod("low", requests={"cpu": "1"}, node_name="a", priority=-5, created="2024-05-01T09:00:00Z"),
        pod("vip", requests={"cpu": "1"}, node_name="a", priority=1000),
        pod("b1", requests={"cpu": "1"}, node_name="b"), pod("b2", requests={"cpu": "1"}, node_name="b"),
        pod("b3", requests={"cpu": "1"}, node_name="b"), pod("b4", requests={"cpu": "1"}, node_name="b"),
    )
    cluster = Cluster(node("a"), node("b"), placed=placed)
    pending = pod(requests={"cpu": "2"}, priority=10)
    remove = of_type(cluster.suggest(pending), REMOVE_PODS)
    assert [(s.nodes, s.pods) for s in remove] == [(["a"], ["default/low", "default/new"]),
                                                   (["b"], ["default/b1", "default/b2"])]
    assert remove[0].command == "kubectl delete pod -n default low new"
    assert remove[0].target == ObjectRef(api_version="v1", kind="Node", name="a")
    for suggestion in remove:
        applied(suggestion, pending, cluster)


def test_pods_of_higher_priority_are_never_named():
    cluster = Cluster(node("a", cpu="2"), placed=(pod("vip", requests={"cpu": "2"}, node_name="a", priority=100),))
    assert of_type(cluster.suggest(pod(requests={"cpu": "1"})), REMOVE_PODS) == []


def test_a_new_node_is_the_largest_grown_to_the_pods_requests_and_labelled_as_it_requires():
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b", "a"]},
                              {"key": "gen", "operator": "Gt", "values": ["3"]},
                              {"key": "spot", "operator": "DoesNotExist"}]}]}}}
    cluster = Cluster(node("new-node", cpu="2", memory="4Gi"), node("other", cpu="1", memory="16Gi"))
    pending = pod(requests={"cpu": "3500m", "memory": "6Gi"}, nodeSelector={"disk": "ssd"}, affinity=affinity)
    [add] = of_type(cluster.suggest(pending), ADD_NODE)
    capacity = {"cpu": "4", "memory": "6Gi", "pods": "110"}  # new-node's shape (most cpu), grown to the pod
    assert add.node == {"apiVersion": "v1", "kind": "Node",
                        "metadata": {"name": "new-node-2", "labels": {"disk": "ssd", "zone": "a", "gen": "4"}},
                        "status": {"capacity": capacity, "allocatable": capacity}}
    assert add.command == ("tinykube-kubelet --kubeconfig NODE_KUBECONFIG --node-name new-node-2 --cpu 4 "
                           "--memory 6Gi --labels disk=ssd,zone=a,gen=4")
    assert add.target is None and add.nodes == ["new-node-2"]
    applied(add, pending, cluster)


# ----- together


def test_a_node_two_changes_would_open_is_offered_by_neither():
    cluster = Cluster(node("tainted-and-small", cpu="1", taints=[GPU]))
    assert [s.type for s in cluster.suggest(pod(requests={"cpu": "2"}))] == [ADD_NODE]


def test_suggestions_come_smallest_change_first_at_most_two_of_a_kind():
    placed = tuple(pod(f"f{i}", requests={"cpu": "3"}, node_name=f"full-{i}") for i in range(3))
    cluster = Cluster(*(node(f"full-{i}") for i in range(3)),
                      *(node(f"cordoned-{i}", unschedulable=True) for i in range(3)),
                      *(node(f"gpu-{i}", taints=[GPU]) for i in range(3)), node("ssd", cpu="1", labels={"disk": "ssd"}),
                      placed=placed)
    pending = pod(requests={"cpu": "2"})
    suggestions = cluster.suggest(pending, WEB)
    assert [s.type for s in suggestions] == [UNCORDON_NODE, UNCORDON_NODE, TOLERATE_TAINT, LOWER_REQUESTS,
                                             REMOVE_PODS, REMOVE_PODS, ADD_NODE]
    for suggestion in suggestions:
        applied(suggestion, pending, cluster)


def test_a_change_that_opens_many_nodes_names_the_first_few_and_counts_the_rest():
    cluster = Cluster(*(node(f"gpu-{i:02}", taints=[GPU]) for i in range(NODES_NAMED + 5)))
    [tolerate] = of_type(cluster.suggest(pod(), WEB), TOLERATE_TAINT)
    assert tolerate.nodes == [f"gpu-{i:02}" for i in range(NODES_NAMED)]
    assert tolerate.message.endswith(f"fits {NODES_NAMED + 5} nodes: {', '.join(tolerate.nodes)} and 5 more")


@pytest.mark.parametrize("pending", [
    pod(requests={"cpu": "1"}),
    pod(requests={"cpu": "5"}),
    pod(nodeSelector={"disk": "nvme"}),
    pod(requests={"cpu": "2"}, tolerations=[{"key": "dedicated", "operator": "Equal", "value": "tpu"}]),
], ids=["room", "too-big", "selector", "tolerates-one-taint"])
def test_every_suggestion_in_a_mixed_cluster_holds_when_applied(pending):
    cluster = Cluster(node("full"), node("gpu", taints=[GPU]), node("cordoned", unschedulable=True,
                                                                     taints=[CORDON_TAINT]),
                      node("hdd", cpu="1", labels={"disk": "hdd"}, taints=[{**GPU, "value": "tpu"}]),
                      placed=(pod("f", requests={"cpu": "3500m"}, node_name="full"),))
    suggestions = cluster.suggest(pending, WEB)
    assert ADD_NODE in [s.type for s in suggestions] and len(suggestions) > 1
    for suggestion in suggestions:
        applied(suggestion, pending, cluster)


def test_a_pod_pinned_to_its_node_by_name_is_never_told_to_unpin_or_to_add_a_node_of_that_name():
    # Guards a wrong suggestion for DaemonSet pods, which their controller pins with matchFields.
    pinned = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["small"]}]}]}}}
    cluster = Cluster(node("small", cpu="1"), node("large", cpu="8"))
    pending = pod(requests={"cpu": "2"}, affinity=pinned)
    suggestions = cluster.suggest(pending)
    assert [s.type for s in suggestions] == [LOWER_REQUESTS]
    assert suggestions[0].nodes == ["small"]
    applied(suggestions[0], pending, cluster)
