"""The Scheduling section of describe pod: the scheduler's last verdict, from pods/NAME/explanation.

    Tolerations:  <none>
    Scheduling:   Scheduled on node-2 (3 nodes: 2 feasible, 1 rejected)
                  node-1  rejected by NodeResourcesFit: Insufficient cpu (requested 500m cpu, free 200m)
                  node-2  score 390  NodeResourcesFit=80 NodeResourcesBalancedAllocation=90
    Events:       <none>

Every rejected node is listed up to MAX_REJECTED, then the MAX_FEASIBLE best
feasible ones. The counts include the nodes a large cluster's explanation leaves
out (feasibleOmitted, rejectedOmitted). The lines continue the field, as Labels'
do, so the columns of the rest of the page stay exactly where kubectl puts them.
kubectl has no such section; tinykube adds it for teaching (see objects/explanation.py).
"""

from __future__ import annotations

from typing import Any

from cli.describers.page import Page
from cli.tabwriter import align

MAX_REJECTED = 10
MAX_FEASIBLE = 3
NODE_PADDING = 2


def add_scheduling(page: Page, explanation: dict[str, Any]) -> None:
    """The verdict, then one line per node under it, as Labels lists its labels."""
    rejected = explanation.get("rejected") or []
    shown = rejected[:MAX_REJECTED]
    rows = [[rejection.get("node", ""), _rejected(rejection)] for rejection in shown]
    rows += [[score.get("node", ""), _scored(score)] for score in (explanation.get("feasible") or [])[:MAX_FEASIBLE]]
    lines = align(rows, padding=NODE_PADDING).splitlines()  # the node names align among themselves
    # A large cluster's explanation lists only examples; the rest are counted in rejectedOmitted.
    more = len(rejected) - len(shown) + (explanation.get("rejectedOmitted") or 0)
    if more > 0:
        lines.insert(len(shown), f"... and {more} more")
    page.multiline("Scheduling", [verdict(explanation), *lines])


def verdict(explanation: dict[str, Any]) -> str:
    """`Scheduled on node-2 (3 nodes: 2 feasible, 1 rejected)` or `Unschedulable (...)`."""
    total = explanation.get("nodesTotal") or 0
    evaluated = explanation.get("nodesEvaluated")
    feasible = len(explanation.get("feasible") or []) + (explanation.get("feasibleOmitted") or 0)
    rejected = len(explanation.get("rejected") or []) + (explanation.get("rejectedOmitted") or 0)
    nodes = f"{total} node" + ("" if total == 1 else "s")
    if evaluated is not None and evaluated < total:
        nodes += f", {evaluated} evaluated"
    counts = f"({nodes}: {feasible} feasible, {rejected} rejected)"
    if explanation.get("result") == "Scheduled" and explanation.get("node"):
        return f"Scheduled on {explanation['node']} {counts}"
    return f"{explanation.get('result') or 'Unschedulable'} {counts}"


def _rejected(rejection: dict[str, Any]) -> str:
    text = f"rejected by {rejection.get('plugin', '')}: {rejection.get('reason', '')}"
    return f"{text} ({rejection['detail']})" if rejection.get("detail") else text


def _scored(score: dict[str, Any]) -> str:
    plugins = " ".join(f"{plugin}={value}" for plugin, value in (score.get("scores") or {}).items())
    return f"score {score.get('total', 0)}  {plugins}".rstrip()
