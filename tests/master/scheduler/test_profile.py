"""The default profile is kube-scheduler's default profile, cut down to tinykube's plugins."""

from __future__ import annotations

import pytest

from master.scheduler.plugins import fit_error_message
from master.scheduler.profile import DEFAULT_WEIGHTS, default_profile
from tests.master.scheduler import make_node, make_pod


def first_rejection(profile, pod, node):
    for plugin in profile.filters:
        rejection = plugin.filter(pod, node)
        if rejection is not None:
            return rejection
    return None


def weighted_totals(profile, pod, nodes):
    totals = dict.fromkeys((n.name for n in nodes), 0)
    for plugin, weight in profile.scorers:
        raw = [plugin.score(pod, n) for n in nodes]
        if hasattr(plugin, "normalize"):
            plugin.normalize(raw)
        for node, value in zip(nodes, raw):
            totals[node.name] += weight * value
    return totals


def test_filters_run_in_kube_schedulers_order():
    assert [p.name for p in default_profile().filters] == [
        "NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit"]


def test_scorers_carry_kube_schedulers_default_weights():
    assert [(p.name, w) for p, w in default_profile().scorers] == [
        ("TaintToleration", 3), ("NodeAffinity", 2), ("NodeResourcesFit", 1), ("NodeResourcesBalancedAllocation", 1)]


def test_node_resources_fit_is_one_plugin_that_filters_and_scores():
    profile = default_profile()
    scorer = next(p for p, _ in profile.scorers if p.name == "NodeResourcesFit")
    assert scorer is profile.filters[-1]
    assert scorer.strategy == "LeastAllocated"


def test_most_allocated_is_selectable_and_packs_pods():
    busy = make_node("busy", placed=[make_pod("resident", requests=[{"cpu": "2", "memory": "4Gi"}])])
    idle = make_node("idle")
    pod = make_pod(requests=[{"cpu": "500m", "memory": "1Gi"}])
    spread = weighted_totals(default_profile(), pod, [busy, idle])
    packed = weighted_totals(default_profile(strategy="MostAllocated"), pod, [busy, idle])
    assert spread["idle"] > spread["busy"]
    assert packed["busy"] > packed["idle"]


def test_unknown_strategy_is_a_value_error():
    with pytest.raises(ValueError):
        default_profile(strategy="Random")


def test_weights_override_the_defaults_by_plugin_name():
    profile = default_profile(weights={"NodeAffinity": 5})
    assert dict((p.name, w) for p, w in profile.scorers) == {**DEFAULT_WEIGHTS, "NodeAffinity": 5}


@pytest.mark.parametrize("weights", [{"ImageLocality": 1}, {"TaintToleration": 0}])
def test_unknown_plugin_or_non_positive_weight_is_a_value_error(weights):
    with pytest.raises(ValueError):
        default_profile(weights=weights)


def test_a_pod_that_fits_nowhere_gets_kube_schedulers_failed_scheduling_text():
    control_plane = make_node("cp", taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
    small = [make_node(f"small-{i}", cpu="1", memory="1Gi") for i in range(2)]
    cordoned = make_node("cordoned", unschedulable=True, cpu="1")  # both cordoned and small: first filter wins
    pod = make_pod(requests=[{"cpu": "2", "memory": "512Mi"}])
    profile = default_profile()
    rejections = [first_rejection(profile, pod, n) for n in [control_plane, *small, cordoned]]
    assert fit_error_message(4, rejections) == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "1 node(s) were unschedulable, 2 Insufficient cpu.")


def test_untolerated_soft_taint_outweighs_a_better_resource_fit():
    # TaintToleration's weight of 3 makes a PreferNoSchedule taint cost more than spreading gains.
    soft = make_node("soft", taints=[{"key": "spot", "value": "true", "effect": "PreferNoSchedule"}])
    busy = make_node("busy", placed=[make_pod("resident", requests=[{"cpu": "2", "memory": "4Gi"}])])
    totals = weighted_totals(default_profile(), make_pod(requests=[{"cpu": "100m", "memory": "128Mi"}]), [soft, busy])
    assert totals["busy"] > totals["soft"]
