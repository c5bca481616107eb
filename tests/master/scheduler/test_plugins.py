"""Each plugin against kube-scheduler's behaviour: reasons word for word, scores number for number
(the score tables are kube-scheduler's own test cases, rescaled to millicores and bytes)."""

from __future__ import annotations

import pytest

from master.scheduler.framework import HostPort, Rejection, Taint
from master.scheduler.plugins import fit_error_message
from master.scheduler.plugins.node_affinity import ERR_REASON_POD, NodeAffinity, Requirement, Term, matches
from master.scheduler.plugins.node_ports import ERR_REASON as ERR_REASON_PORTS
from master.scheduler.plugins.node_ports import NodePorts, conflicting_port, port_conflicts
from master.scheduler.plugins.node_resources_balanced_allocation import BalancedAllocation, balanced_score
from master.scheduler.plugins.node_resources_fit import (
    ERR_REASON_INSUFFICIENT_CPU,
    ERR_REASON_INSUFFICIENT_MEMORY,
    ERR_REASON_TOO_MANY_PODS,
    NodeResourcesFit,
    fits,
    format_memory,
    insufficient_resources,
)
from master.scheduler.plugins.node_unschedulable import (
    ERR_REASON_NOT_READY,
    ERR_REASON_UNSCHEDULABLE,
    NodeUnschedulable,
    admits_cordoned,
    admits_not_ready,
)
from master.scheduler.plugins.normalize import default_normalize_score
from master.scheduler.plugins.taint_toleration import TaintToleration, Toleration, first_untolerated_taint
from objects.pod import NodeSelectorRequirement, NodeSelectorTerm
from objects.pod import Toleration as PodToleration
from tests.master.scheduler import make_node, make_pod

# ─── NodeUnschedulable ────────────────────────────────────────────────────────────────────────

UNSCHEDULABLE_TOLERATIONS = [
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists"},
    {"operator": "Exists"},
]


def test_cordoned_node_is_rejected_as_unschedulable():
    rejection = NodeUnschedulable().filter(make_pod(), make_node(unschedulable=True))
    assert rejection == Rejection("NodeUnschedulable", "node(s) were unschedulable",
                                  "node is cordoned (spec.unschedulable)")
    assert rejection.reason == ERR_REASON_UNSCHEDULABLE


@pytest.mark.parametrize("toleration", UNSCHEDULABLE_TOLERATIONS)
def test_pod_tolerating_the_unschedulable_taint_may_use_a_cordoned_node(toleration):
    pod = make_pod(tolerations=[toleration])
    assert admits_cordoned(pod, make_node(unschedulable=True))
    assert NodeUnschedulable().filter(pod, make_node(unschedulable=True)) is None


def test_tolerating_the_unschedulable_taint_only_for_noexecute_does_not_admit_a_cordoned_node():
    pod = make_pod(tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists",
                                 "effect": "NoExecute"}])
    assert not admits_cordoned(pod, make_node(unschedulable=True))


def test_not_ready_node_is_rejected_as_not_ready():
    rejection = NodeUnschedulable().filter(make_pod(), make_node(ready=False))
    assert rejection is not None
    assert rejection.reason == ERR_REASON_NOT_READY == "node(s) were not ready"


def test_pod_tolerating_the_not_ready_taint_may_use_a_not_ready_node():
    pod = make_pod(tolerations=[{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}])
    assert admits_not_ready(pod, make_node(ready=False))
    assert NodeUnschedulable().filter(pod, make_node(ready=False)) is None


def test_ready_uncordoned_node_is_accepted():
    assert NodeUnschedulable().filter(make_pod(), make_node()) is None


def test_cordon_is_reported_before_readiness():
    rejection = NodeUnschedulable().filter(make_pod(), make_node(unschedulable=True, ready=False))
    assert rejection is not None and rejection.reason == ERR_REASON_UNSCHEDULABLE


# ─── NodeResourcesFit: filter ─────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("pod_requests, node, reasons, detail", [
    pytest.param({"cpu": "500m"}, dict(cpu="2", placed=[{"cpu": "1500m"}]), (), "", id="fits-exactly"),
    pytest.param({"cpu": "500m"}, dict(cpu="2", placed=[{"cpu": "1800m"}]),
                 (ERR_REASON_INSUFFICIENT_CPU,),
                 "requested 500m cpu, free 200m (allocatable 2, already requested 1800m)", id="cpu"),
    pytest.param({"memory": "1Gi"}, dict(memory="4Gi", placed=[{"memory": "3584Mi"}]),
                 (ERR_REASON_INSUFFICIENT_MEMORY,),
                 "requested 1Gi memory, free 512Mi (allocatable 4Gi, already requested 3.5Gi)", id="memory"),
    pytest.param({"cpu": "3", "memory": "10Gi"}, dict(cpu="2", memory="8Gi"),
                 (ERR_REASON_INSUFFICIENT_CPU, ERR_REASON_INSUFFICIENT_MEMORY),
                 "requested 3 cpu, free 2 (allocatable 2, already requested 0); "
                 "requested 10Gi memory, free 8Gi (allocatable 8Gi, already requested 0)", id="cpu-and-memory"),
    pytest.param({"cpu": "100m"}, dict(pods=1, placed=[{}]), (ERR_REASON_TOO_MANY_PODS,),
                 "pods already on the node: 1 of 1 allocatable", id="pods"),
    pytest.param({"cpu": "3", "memory": "9Gi"}, dict(cpu="2", memory="8Gi", pods=1, placed=[{}]),
                 (ERR_REASON_TOO_MANY_PODS, ERR_REASON_INSUFFICIENT_CPU, ERR_REASON_INSUFFICIENT_MEMORY),
                 "pods already on the node: 1 of 1 allocatable; "
                 "requested 3 cpu, free 2 (allocatable 2, already requested 0); "
                 "requested 9Gi memory, free 8Gi (allocatable 8Gi, already requested 0)", id="all-three-in-order"),
    pytest.param({}, dict(cpu="1", memory="1Gi", placed=[{"cpu": "2", "memory": "2Gi"}]), (), "",
                 id="requesting-nothing-fits-an-overcommitted-node"),
])
def test_node_resources_fit_filter(pod_requests, node, reasons, detail):
    placed = [make_pod(f"placed-{i}", requests=[r]) for i, r in enumerate(node.pop("placed", []))]
    pod, node_info = make_pod(requests=[pod_requests]), make_node(**node, placed=placed)
    rejection = NodeResourcesFit().filter(pod, node_info)
    assert fits(pod, node_info) == (not reasons)
    assert tuple(s.reason for s in insufficient_resources(pod, node_info)) == reasons
    if not reasons:
        assert rejection is None
        return
    assert rejection.plugin == "NodeResourcesFit"
    assert rejection.reason == reasons[0]
    assert rejection.reasons == reasons
    assert rejection.detail == detail


def test_reason_strings_are_kube_schedulers():
    assert (ERR_REASON_INSUFFICIENT_CPU, ERR_REASON_INSUFFICIENT_MEMORY, ERR_REASON_TOO_MANY_PODS) == (
        "Insufficient cpu", "Insufficient memory", "Too many pods")


@pytest.mark.parametrize("n_bytes, text", [
    (0, "0"), (512, "512"), (1024, "1Ki"), (200 * 2**20, "200Mi"), (1536 * 2**20, "1.5Gi"), (-512 * 2**20, "-512Mi"),
])
def test_memory_reads_in_binary_units(n_bytes, text):
    assert format_memory(n_bytes) == text


# ─── NodeResourcesFit: LeastAllocated / MostAllocated score ───────────────────────────────────

CPU_AND_MEMORY = [{"cpu": "1000m", "memory": "2000"}, {"cpu": "2000m", "memory": "3000"}]
CPU_ONLY = [{"cpu": "3000m", "memory": "0"}]
CPU_AND_MEMORY_ONE = [{"cpu": "3000m", "memory": "5000"}]

# (name, pod containers, [(node cpu, node memory, placed pods' containers)], least, most)
ALLOCATION_CASES = [
    ("nothing scheduled, nothing requested", [],
     [("4000m", "10000", []), ("4000m", "10000", [])], [100, 100], [0, 0]),
    ("nothing scheduled, resources requested, differently sized nodes", CPU_AND_MEMORY,
     [("4000m", "10000", []), ("6000m", "10000", [])], [37, 50], [62, 50]),
    ("no resources requested, pods scheduled with resources", [],
     [("10000m", "20000", [CPU_ONLY, CPU_ONLY]), ("10000m", "20000", [CPU_ONLY, CPU_AND_MEMORY_ONE])],
     [70, 57], [30, 42]),
    ("resources requested, pods scheduled with resources", CPU_AND_MEMORY,
     [("10000m", "20000", [CPU_ONLY]), ("10000m", "20000", [CPU_AND_MEMORY_ONE])], [57, 45], [42, 55]),
    ("resources requested, pods scheduled with resources, differently sized nodes", CPU_AND_MEMORY,
     [("10000m", "20000", [CPU_ONLY]), ("10000m", "50000", [CPU_AND_MEMORY_ONE])], [57, 60], [42, 40]),
    ("requested resources exceed node capacity", CPU_ONLY,
     [("4000m", "10000", [CPU_ONLY]), ("4000m", "10000", [CPU_AND_MEMORY_ONE])], [50, 25], [50, 75]),
    ("zero node resources", [], [("0", "0", [CPU_ONLY]), ("0", "0", [CPU_AND_MEMORY_ONE])], [0, 0], [0, 0]),
]


def _allocation_nodes(nodes):
    return [make_node(f"node{i}", cpu=cpu, memory=memory,
                      placed=[make_pod(f"placed{i}-{j}", requests=c) for j, c in enumerate(placed)])
            for i, (cpu, memory, placed) in enumerate(nodes)]


@pytest.mark.parametrize("name, pod, nodes, least, most", ALLOCATION_CASES, ids=[c[0] for c in ALLOCATION_CASES])
def test_least_and_most_allocated_scores_match_kube_scheduler(name, pod, nodes, least, most):
    pod_info = make_pod(requests=pod)
    node_infos = _allocation_nodes(nodes)
    assert [NodeResourcesFit().score(pod_info, n) for n in node_infos] == least
    assert [NodeResourcesFit(strategy="MostAllocated").score(pod_info, n) for n in node_infos] == most


def test_containers_requesting_nothing_score_as_100m_cpu_and_200mi_memory():
    pod = make_pod(requests=[{}])  # one container, no requests
    node = make_node(cpu="1", memory="1000Mi")
    # cpu: (1000 - 100) * 100 / 1000 = 90; memory: (1000Mi - 200Mi) * 100 / 1000Mi = 80
    assert NodeResourcesFit().score(pod, node) == 85


def test_unknown_scoring_strategy_is_refused():
    with pytest.raises(ValueError, match="RequestedToCapacityRatio"):
        NodeResourcesFit(strategy="RequestedToCapacityRatio")


# ─── NodeResourcesBalancedAllocation ──────────────────────────────────────────────────────────

# kube-scheduler's cases; scores from its current formula, (1 - |cpu - memory| / 2) * 100.
BALANCED_CASES = [
    ("nothing scheduled, resources requested, differently sized nodes", CPU_AND_MEMORY,
     [("4000m", "10000", []), ("6000m", "10000", [])], [87, 100]),
    ("resources requested, pods scheduled with resources", CPU_AND_MEMORY,
     [("10000m", "20000", [CPU_ONLY]), ("10000m", "20000", [CPU_AND_MEMORY_ONE])], [82, 95]),
    ("resources requested, pods scheduled with resources, differently sized nodes", CPU_AND_MEMORY,
     [("10000m", "20000", [CPU_ONLY]), ("10000m", "50000", [CPU_AND_MEMORY_ONE])], [82, 80]),
    ("requested resources exceed node capacity: fractions are capped at 1", CPU_ONLY,
     [("4000m", "10000", [CPU_ONLY]), ("4000m", "10000", [CPU_AND_MEMORY_ONE])], [50, 75]),
]


@pytest.mark.parametrize("name, pod, nodes, expected", BALANCED_CASES, ids=[c[0] for c in BALANCED_CASES])
def test_balanced_allocation_scores_match_kube_scheduler(name, pod, nodes, expected):
    pod_info = make_pod(requests=pod)
    assert [BalancedAllocation().score(pod_info, n) for n in _allocation_nodes(nodes)] == expected


@pytest.mark.parametrize("node_cpu", ["500m", "2", "32"])
@pytest.mark.parametrize("node_memory", ["512Mi", "3Gi", "128Gi"])
@pytest.mark.parametrize("cpu, memory", [("100m", "128Mi"), ("700m", "1Gi"), ("3", "64Mi"), ("0", "200Mi")])
def test_balanced_allocation_spelled_out_path_agrees_with_balanced_score(node_cpu, node_memory, cpu, memory):
    node = make_node(cpu=node_cpu, memory=node_memory, placed=[make_pod("held", requests=[{"cpu": "300m",
                                                                                           "memory": "300Mi"}])])
    pod = make_pod(requests=[{"cpu": cpu, "memory": memory}])
    wanted, held, allocatable = pod.requests, node.requested, node.allocatable
    expected = balanced_score((held.milli_cpu + wanted.milli_cpu, held.memory + wanted.memory),
                              (allocatable.milli_cpu, allocatable.memory))
    assert BalancedAllocation().score(pod, node) == expected


def test_balanced_allocation_does_not_score_best_effort_pods():
    # kubernetes#129138: scoring them piled best-effort pods onto one node.
    nodes = _allocation_nodes([("10000m", "20000", [CPU_ONLY]), ("10000m", "20000", [CPU_AND_MEMORY_ONE])])
    assert [BalancedAllocation().score(make_pod(requests=[{}]), n) for n in nodes] == [0, 0]


# ─── TaintToleration ──────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("toleration, taint, tolerated", [
    ({"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}, ("k", "v", "NoSchedule"), True),
    ({"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}, ("k", "w", "NoSchedule"), False),
    ({"key": "k", "value": "v", "effect": "NoSchedule"}, ("k", "v", "NoSchedule"), True),  # "" means Equal
    ({"key": "k", "operator": "Equal", "effect": "NoSchedule"}, ("k", "", "NoSchedule"), True),
    ({"key": "k", "operator": "Exists", "effect": "NoSchedule"}, ("k", "anything", "NoSchedule"), True),
    ({"key": "k", "operator": "Exists", "effect": "NoSchedule"}, ("other", "v", "NoSchedule"), False),
    ({"operator": "Exists"}, ("any-key", "any-value", "NoExecute"), True),  # empty key + Exists: everything
    ({"operator": "Exists", "effect": "NoSchedule"}, ("any-key", "v", "NoExecute"), False),
    ({"key": "k", "operator": "Equal", "value": "v"}, ("k", "v", "NoExecute"), True),  # empty effect: all
    ({"key": "k", "operator": "Equal", "value": "v"}, ("k", "v", "PreferNoSchedule"), True),
    ({"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute"}, ("k", "v", "NoSchedule"), False),
    ({"operator": "Equal", "value": "v"}, ("any-key", "v", "NoSchedule"), True),  # empty key skips the key check
    ({"key": "k", "operator": "Gte", "value": "v"}, ("k", "v", "NoSchedule"), False),  # unknown operator
])
def test_toleration_matching(toleration, taint, tolerated):
    assert Toleration.from_model(PodToleration.model_validate(toleration)).tolerates(Taint(*taint)) is tolerated


@pytest.mark.parametrize("taints, tolerations, reason", [
    ([], [], None),
    ([{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}], [],
     "node(s) had untolerated taint {dedicated: gpu}"),
    ([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}], [],
     "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
    ([{"key": "evicting", "value": "yes", "effect": "NoExecute"}], [],
     "node(s) had untolerated taint {evicting: yes}"),
    ([{"key": "soft", "value": "yes", "effect": "PreferNoSchedule"}], [], None),
    ([{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
     [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}], None),
    ([{"key": "a", "value": "1", "effect": "NoSchedule"}, {"key": "b", "value": "2", "effect": "NoSchedule"}],
     [{"key": "a", "operator": "Exists"}], "node(s) had untolerated taint {b: 2}"),
])
def test_taint_toleration_filter(taints, tolerations, reason):
    pod, node = make_pod(tolerations=tolerations), make_node(taints=taints)
    rejection = TaintToleration().filter(pod, node)
    assert (rejection.reason if rejection else None) == reason
    assert (first_untolerated_taint(pod, node) is None) == (reason is None)


def test_taint_rejection_detail_spells_the_taint_as_kubectl_does():
    node = make_node(taints=[{"key": "d", "value": "g", "effect": "NoSchedule"}])
    rejection = TaintToleration().filter(make_pod(), node)
    assert rejection.detail == "node has taint d=g:NoSchedule and the pod has no toleration for it"


def test_fewer_untolerated_prefer_no_schedule_taints_score_higher():
    prefer = [{"key": f"t{i}", "value": "x", "effect": "PreferNoSchedule"} for i in range(2)]
    nodes = [make_node("clean"), make_node("one", taints=prefer[:1]), make_node("two", taints=prefer),
             make_node("hard", taints=[{"key": "h", "value": "x", "effect": "NoSchedule"}])]
    plugin, pod = TaintToleration(), make_pod()
    scores = [plugin.score(pod, n) for n in nodes]
    assert scores == [0, 1, 2, 0]  # raw: counts only PreferNoSchedule (clean, one, two, hard)
    plugin.normalize(scores)
    assert scores == [100, 50, 0, 100]


def test_tolerated_prefer_no_schedule_taints_do_not_count():
    pod = make_pod(tolerations=[{"key": "t0", "operator": "Exists"}])  # empty effect covers PreferNoSchedule
    node = make_node(taints=[{"key": "t0", "value": "x", "effect": "PreferNoSchedule"}])
    assert TaintToleration().score(pod, node) == 0


# ─── NodeAffinity ─────────────────────────────────────────────────────────────────────────────

LABELS = {"zone": "a", "gpu-count": "4", "tier": "web"}


@pytest.mark.parametrize("expression, matched", [
    ({"key": "zone", "operator": "In", "values": ["a", "b"]}, True),
    ({"key": "zone", "operator": "In", "values": ["b"]}, False),
    ({"key": "region", "operator": "In", "values": ["a"]}, False),
    ({"key": "zone", "operator": "NotIn", "values": ["b"]}, True),
    ({"key": "zone", "operator": "NotIn", "values": ["a"]}, False),
    ({"key": "region", "operator": "NotIn", "values": ["a"]}, True),  # a missing label is "not in"
    ({"key": "zone", "operator": "Exists"}, True),
    ({"key": "region", "operator": "Exists"}, False),
    ({"key": "region", "operator": "DoesNotExist"}, True),
    ({"key": "zone", "operator": "DoesNotExist"}, False),
    ({"key": "gpu-count", "operator": "Gt", "values": ["3"]}, True),
    ({"key": "gpu-count", "operator": "Gt", "values": ["4"]}, False),
    ({"key": "gpu-count", "operator": "Lt", "values": ["5"]}, True),
    ({"key": "gpu-count", "operator": "Lt", "values": ["4"]}, False),
    ({"key": "tier", "operator": "Gt", "values": ["1"]}, False),  # label is not an integer
    ({"key": "region", "operator": "Lt", "values": ["1"]}, False),  # label is missing
])
def test_affinity_operators(expression, matched):
    requirement = Requirement.parse(NodeSelectorRequirement.model_validate(expression), on_field=False)
    assert requirement.matches(LABELS, "node-1") is matched


@pytest.mark.parametrize("field, matched", [
    ({"key": "metadata.name", "operator": "In", "values": ["node-1"]}, True),
    ({"key": "metadata.name", "operator": "In", "values": ["node-2"]}, False),
    ({"key": "metadata.name", "operator": "NotIn", "values": ["node-2"]}, True),
    ({"key": "metadata.name", "operator": "NotIn", "values": ["node-1"]}, False),
])
def test_match_fields_compare_the_node_name(field, matched):
    requirement = Requirement.parse(NodeSelectorRequirement.model_validate(field), on_field=True)
    assert requirement.matches(LABELS, "node-1") is matched


@pytest.mark.parametrize("term", [
    {},
    {"matchExpressions": []},
    {"matchExpressions": [{"key": "zone", "operator": "In", "values": []}]},
    {"matchExpressions": [{"key": "zone", "operator": "Exists", "values": ["a"]}]},
    {"matchExpressions": [{"key": "gpu-count", "operator": "Gt", "values": ["three"]}]},
    {"matchExpressions": [{"key": "gpu-count", "operator": "Gt", "values": ["1", "2"]}]},
    {"matchExpressions": [{"key": "zone", "operator": "Like", "values": ["a"]}]},
    {"matchFields": [{"key": "metadata.uid", "operator": "In", "values": ["x"]}]},
    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1", "node-2"]}]},
    {"matchExpressions": [{"key": "zone", "operator": "Exists"}],
     "matchFields": [{"key": "metadata.name", "operator": "Exists"}]},
], ids=["empty", "empty-expressions", "in-without-values", "exists-with-values", "gt-not-integer",
        "gt-two-values", "unknown-operator", "field-other-than-name", "field-two-values", "one-bad-of-two"])
def test_empty_or_invalid_term_matches_no_node(term):
    assert not Term.parse(NodeSelectorTerm.model_validate(term)).matches(make_node("node-1", labels=LABELS))


@pytest.mark.parametrize("pod, detail", [
    (dict(node_selector={"zone": "a", "tier": "web"}), None),
    (dict(node_selector={"disktype": "ssd"}), "nodeSelector disktype=ssd (node has no label disktype)"),
    (dict(node_selector={"zone": "b"}), "nodeSelector zone=b (node has zone=a)"),
    (dict(required=[{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b", "c"]}]},
                    {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}]), None),
    (dict(required=[{"matchExpressions": [{"key": "tier", "operator": "Exists"},
                                          {"key": "zone", "operator": "In", "values": ["c", "b"]}]}]),
     "no required nodeSelectorTerm matched: term 1: zone In [b, c] (node has zone=a)"),
    (dict(required=[{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-2"]}]},
                    {}]),
     "no required nodeSelectorTerm matched: term 1: metadata.name In [node-2] (node has name node-1); "
     "term 2: empty, matches no node"),
    (dict(node_selector={"zone": "a"},
          required=[{"matchExpressions": [{"key": "gpu-count", "operator": "Gt", "values": ["8"]}]}]),
     "no required nodeSelectorTerm matched: term 1: gpu-count Gt 8 (node has gpu-count=4)"),
], ids=["selector-matches", "selector-label-missing", "selector-value-differs", "terms-are-ored",
        "expressions-are-anded", "fields-and-empty-term", "selector-and-affinity-both-apply"])
def test_node_affinity_filter(pod, detail):
    pod_info, node = make_pod(**pod), make_node("node-1", labels=LABELS)
    rejection = NodeAffinity().filter(pod_info, node)
    assert matches(pod_info, node) == (detail is None)
    if detail is None:
        assert rejection is None
    else:
        assert rejection == Rejection("NodeAffinity", ERR_REASON_POD, detail)
        assert ERR_REASON_POD == "node(s) didn't match Pod's node affinity/selector"


def test_node_affinity_score_sums_matching_preferred_weights_then_normalizes():
    pod = make_pod(preferred=[
        {"weight": 2, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}},
        {"weight": 5, "preference": {"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}},
        {"weight": 9, "preference": {}},  # an empty preference matches nothing
    ])
    nodes = [make_node("both", labels={"zone": "a", "gpu": "yes"}), make_node("zone", labels={"zone": "a"}),
             make_node("none")]
    plugin = NodeAffinity()
    scores = [plugin.score(pod, n) for n in nodes]
    assert scores == [7, 2, 0]  # both, zone, none
    plugin.normalize(scores)
    assert scores == [100, 28, 0]


def test_node_affinity_parses_the_pod_once():
    pod = make_pod(node_selector={"zone": "a"})
    NodeAffinity().filter(pod, make_node(labels=LABELS))
    compiled = pod.cache["NodeAffinity"]
    NodeAffinity().filter(pod, make_node("other", labels={}))
    assert pod.cache["NodeAffinity"] is compiled


# ─── NodePorts ────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("wanted, used, conflict", [
    (("0.0.0.0", "TCP", 80), ("0.0.0.0", "TCP", 80), True),
    (("0.0.0.0", "UDP", 80), ("0.0.0.0", "TCP", 80), False),
    (("0.0.0.0", "TCP", 81), ("0.0.0.0", "TCP", 80), False),
    (("127.0.0.1", "TCP", 80), ("0.0.0.0", "TCP", 80), True),
    (("0.0.0.0", "TCP", 80), ("127.0.0.1", "TCP", 80), True),
    (("127.0.0.1", "TCP", 80), ("10.0.0.1", "TCP", 80), False),
    (("10.0.0.1", "TCP", 80), ("10.0.0.1", "TCP", 80), True),
    (("10.0.0.1", "SCTP", 80), ("10.0.0.1", "TCP", 80), False),
    (("::", "TCP", 80), ("127.0.0.1", "TCP", 80), False),  # only 0.0.0.0 is a wildcard, as in kube-scheduler
    (("0.0.0.0", "TCP", 0), ("0.0.0.0", "TCP", 0), False),
])
def test_host_port_overlap(wanted, used, conflict):
    assert port_conflicts(HostPort(*wanted), {HostPort(*used): 1}) is conflict


def test_node_ports_filter_rejects_a_taken_port_and_names_it():
    holder = make_pod("holder", host_ports=[{"hostPort": 8080}])
    node = make_node(placed=[holder])
    wanting = make_pod("wanting", host_ports=[{"hostPort": 9090, "protocol": "UDP"},
                                              {"hostPort": 8080, "hostIP": "10.0.0.7"}])
    assert conflicting_port(wanting, node) == HostPort("10.0.0.7", "TCP", 8080)
    assert NodePorts().filter(wanting, node) == Rejection(
        "NodePorts", ERR_REASON_PORTS, "host port 10.0.0.7:8080/TCP is already in use on the node")
    assert ERR_REASON_PORTS == "node(s) didn't have free ports for the requested pod ports"


def test_node_ports_filter_accepts_a_free_port():
    node = make_node(placed=[make_pod("holder", host_ports=[{"hostPort": 8080}])])
    assert NodePorts().filter(make_pod("wanting", host_ports=[{"hostPort": 8080, "protocol": "UDP"}]), node) is None


# ─── Normalization ────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("raw, normal, reversed_", [  # kube-scheduler's DefaultNormalizeScore table
    ([10, 20, 30, 40], [25, 50, 75, 100], [75, 50, 25, 0]),
    ([1000, 10, 20, 30], [100, 1, 2, 3], [0, 99, 98, 97]),
    ([1, 1, 1, 1], [100, 100, 100, 100], [0, 0, 0, 0]),
    ([0, 0, 0, 0], [0, 0, 0, 0], [100, 100, 100, 100]),
])
def test_default_normalize_score(raw, normal, reversed_):
    for reverse, expected in ((False, normal), (True, reversed_)):
        scores = list(raw)
        default_normalize_score(scores, reverse=reverse)
        assert scores == expected


# ─── FailedScheduling message ─────────────────────────────────────────────────────────────────

def test_fit_error_message_counts_and_sorts_reasons_like_kube_scheduler():
    rejections = [
        Rejection("TaintToleration", "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
        Rejection("NodeResourcesFit", "Insufficient cpu"),
        Rejection("NodeResourcesFit", "Insufficient cpu"),
    ]
    assert fit_error_message(3, rejections) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu.")


def test_fit_error_message_counts_each_reason_of_a_node_separately():
    both = Rejection("NodeResourcesFit", "Insufficient cpu", more_reasons=("Insufficient memory",))
    unschedulable = Rejection("NodeUnschedulable", "node(s) were unschedulable")
    assert fit_error_message(2, [both, unschedulable]) == (
        "0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were unschedulable.")


def test_fit_error_message_sorts_counts_as_strings_as_go_does():
    rejections = [Rejection("NodeResourcesFit", "Insufficient cpu")] * 10 + [
        Rejection("NodeUnschedulable", "node(s) were unschedulable")] * 2
    assert fit_error_message(12, rejections) == (
        "0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable.")


def test_fit_error_message_with_no_nodes_is_kube_schedulers():
    assert fit_error_message(0, []) == "no nodes available to schedule pods"
