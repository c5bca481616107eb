"""The scheduler's part of a pod's why: its last attempt, node by node, and what would change it.

    Scheduling:
      Last Attempt:  Unschedulable at 12:00:01.234 (0.8 s before the answer)
      Message:       0/3 nodes are available: 3 Insufficient cpu.
      Nodes:         3 nodes: 0 feasible, 3 rejected
        node-1  rejected by NodeResourcesFit: Insufficient cpu (requested 3 cpu, free 1800m)
        node-2  fits, score 390: NodeResourcesFit=80 TaintToleration=100
      Weights:       NodeResourcesFit x1, TaintToleration x3
      Attempts:
        TIME          RESULT         REQUEUED BY           MESSAGE
        12:00:01.234  Unschedulable  -                     0/3 nodes are available: ...
      Suggestions:
        1. LowerRequests: lower the cpu request to 1800m
           Nodes:    node-1, node-2
           Command:  kubectl patch deployment web -p '...'
    Placement:       node-2, score 390 against node-1's 370
      PLUGIN            WEIGHT  node-2  node-1
      NodeResourcesFit  1       80      70

Each suggestion was checked by the scheduler's own filters before it was
listed (objects/explanation.py); the page prints it as it came.
"""

from __future__ import annotations

import json

from cli.describers.page import Page
from cli.tabwriter import align
from cli.why.times import moment
from objects.explanation import NodeRejection, NodeScore, SchedulingExplanation, Suggestion
from objects.node import Node
from objects.why import PlacementComparison

MAX_REJECTED = 20  # a why page has room for more than describe's ten; -o yaml has them all
MAX_FEASIBLE = 10
NODE_PADDING = 2
NOTHING = "-"


def add_scheduling(page: Page, explanation: SchedulingExplanation, *, answered_at: str) -> None:
    page.heading("Scheduling")
    if explanation.attempt_time:
        page.field("Last Attempt", f"{explanation.result or 'Unschedulable'} at "
                                   f"{moment(explanation.attempt_time, answered_at)}", level=1)
    if explanation.message:
        page.field("Message", explanation.message, level=1)
    _add_nodes(page, explanation)
    if explanation.scorers and explanation.feasible:
        page.field("Weights", ", ".join(f"{s.name} x{s.weight}" for s in explanation.scorers), level=1)
    if explanation.attempts:
        page.heading("Attempts", level=1)
        page.table(["TIME", "RESULT", "REQUEUED BY", "MESSAGE"],
                   [[moment(a.time, answered_at).split(" ")[0], a.result, a.requeued_by or NOTHING, a.message]
                    for a in explanation.attempts], level=2)
    if explanation.suggestions:
        page.heading("Suggestions", level=1)
        for suggestion in explanation.suggestions:
            _add_suggestion(page, suggestion)


def node_counts(explanation: SchedulingExplanation) -> str:
    """`3 nodes: 2 feasible, 1 rejected`, counting the nodes a large cluster's answer leaves out."""
    total = explanation.nodes_total
    feasible = len(explanation.feasible) + (explanation.feasible_omitted or 0)
    rejected = len(explanation.rejected) + (explanation.rejected_omitted or 0)
    nodes = f"{total} node" + ("" if total == 1 else "s")
    if explanation.nodes_evaluated < total:
        nodes += f", {explanation.nodes_evaluated} evaluated"
    return f"{nodes}: {feasible} feasible, {rejected} rejected"


def _add_nodes(page: Page, explanation: SchedulingExplanation) -> None:
    page.field("Nodes", node_counts(explanation), level=1)
    rows = [[r.node, rejected_text(r)] for r in explanation.rejected[:MAX_REJECTED]]
    more_rejected = max(0, len(explanation.rejected) - MAX_REJECTED) + (explanation.rejected_omitted or 0)
    rows += [[s.node, scored_text(s)] for s in explanation.feasible[:MAX_FEASIBLE]]
    more_feasible = max(0, len(explanation.feasible) - MAX_FEASIBLE) + (explanation.feasible_omitted or 0)
    # a large cluster: every reason, with its count
    rows += [[f"{c.count} nodes", f"rejected by {c.plugin}: {c.reason}"] for c in explanation.rejection_summary or []]
    for line in align(rows, padding=NODE_PADDING).splitlines():  # aligned among themselves, not with the fields
        page.line(line, level=2)
    if more_rejected > 0:
        page.line(f"... and {more_rejected} more rejected", level=2)
    if more_feasible > 0:
        page.line(f"... and {more_feasible} more feasible", level=2)


def rejected_text(rejection: NodeRejection) -> str:
    text = f"rejected by {rejection.plugin}: {rejection.reason}"
    return f"{text} ({rejection.detail})" if rejection.detail else text


def scored_text(score: NodeScore) -> str:
    plugins = " ".join(f"{plugin}={value}" for plugin, value in score.scores.items())
    return f"fits, score {score.total}: {plugins}" if plugins else f"fits, score {score.total}"


def _add_suggestion(page: Page, suggestion: Suggestion) -> None:
    page.field(suggestion.type, suggestion.message, level=2)
    inner = 3
    if suggestion.target is not None:
        target = suggestion.target
        page.field("Target", f"{target.kind} {target.namespace + '/' if target.namespace else ''}{target.name}",
                   level=inner)
    if suggestion.nodes:
        page.field("Nodes", ", ".join(suggestion.nodes), level=inner)
    if suggestion.pods:
        page.field("Remove", ", ".join(suggestion.pods), level=inner)
    if suggestion.node is not None:
        page.field("New Node", new_node_text(Node.model_validate(suggestion.node)), level=inner)
    if suggestion.command:
        page.field("Command", suggestion.command, level=inner)
    elif suggestion.patch is not None:
        page.field("Patch", f"{suggestion.patch_type}: {json.dumps(suggestion.patch, separators=(',', ':'))}",
                   level=inner)


def new_node_text(node: Node) -> str:
    """An AddNode suggestion's node: `cpu=4, memory=8Gi; labels: ...; taints: ...`."""
    capacity = (node.status.capacity if node.status else None) or {}
    parts = [", ".join(f"{resource}={amount}" for resource, amount in sorted(capacity.items())) or "any size"]
    if node.metadata.labels:
        parts.append("labels " + ",".join(f"{k}={v}" for k, v in sorted(node.metadata.labels.items())))
    taints = (node.spec.taints if node.spec else None) or []
    if taints:
        parts.append("taints " + ",".join(f"{t.key}{'=' + t.value if t.value else ''}:{t.effect}" for t in taints))
    return "; ".join(parts)


def add_placement(page: Page, placement: PlacementComparison) -> None:
    """The chosen node against the runner-up, plugin by plugin (scores before the weights)."""
    page.heading("Placement")
    page.field("Chosen", f"{placement.node}, score {placement.total}", level=1)
    if placement.runner_up is None:
        page.field("Runner-up", "none: the only node that fits", level=1)
    else:
        page.field("Runner-up", f"{placement.runner_up}, score {placement.runner_up_total}", level=1)
    if not placement.plugins:
        return
    page.heading("Plugins", level=1)
    header = ["PLUGIN", "WEIGHT", placement.node]
    if placement.runner_up is not None:
        header.append(placement.runner_up)
    rows = []
    for plugin in placement.plugins:
        cells = [plugin.name, str(plugin.weight), str(plugin.node_score)]
        if placement.runner_up is not None:
            cells.append(NOTHING if plugin.runner_up_score is None else str(plugin.runner_up_score))
        rows.append(cells)
    page.table(header, rows, level=2)
