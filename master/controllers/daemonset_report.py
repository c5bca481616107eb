"""The DaemonSet controller's why: every node, whether it runs the daemon, and if not, why not.

Each node gets one line, from the same placement the controller acted on:

    its pod is Running                      ─► runs: "runs pod default/agent-x"
    it should run one, the pod is not there ─► "pod default/agent-x waits to be scheduled", "... is Pending"
                                               or "no pod yet: the controller creates one"
    a rule keeps the daemon off             ─► the rule: the nodeSelector or affinity term that does not
                                               match, the taint not tolerated, another spec.nodeName

Published after every reconcile; the publisher writes it only when it changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from master.controllers.cache_view import PodView
from objects.apps import DaemonSet
from objects.meta import ObjectMeta
from objects.phases import PodPhase
from objects.why import DaemonNodeReport, DaemonSetReport

if TYPE_CHECKING:  # daemonset.py imports this module
    from master.controllers.daemonset import Placement

MAX_NAMED_NODES = 5  # the message names at most this many nodes without the daemon


def daemon_set_report(ds: DaemonSet, placements: Mapping[str, Placement],
                      pods_by_node: Mapping[str, list[PodView]]) -> DaemonSetReport:
    """`placements` holds every node (by name, in the order to list them); `pods_by_node` the daemon's pods."""
    nodes = [node_report(name, where, pods_by_node.get(name, [])) for name, where in placements.items()]
    return DaemonSetReport(
        metadata=ObjectMeta(name=ds.metadata.name, namespace=ds.metadata.namespace, uid=ds.metadata.uid),
        nodes=nodes, message=_sentence(nodes))


def node_report(node: str, where: Placement, pods: list[PodView]) -> DaemonNodeReport:
    live = sorted((p for p in pods if not p.is_terminating), key=lambda p: (not p.node_name, p.creation_timestamp,
                                                                             p.name))
    if not where.should_run and not (where.should_continue_running and live):
        gone = f"; its pod {live[0].key} is deleted" if live else ""
        return DaemonNodeReport(node=node, runs=False, reason=where.reason + gone)
    if not live:
        going = next((p for p in pods if p.is_terminating), None)
        if going is not None:
            return DaemonNodeReport(node=node, runs=False, reason=f"pod {going.key} is terminating")
        return DaemonNodeReport(node=node, runs=False, reason="no pod yet: the controller creates one")
    pod = live[0]
    if pod.phase == PodPhase.RUNNING:
        kept = f" (kept, though {where.reason}: a running pod may stay)" if not where.should_run else ""
        return DaemonNodeReport(node=node, runs=True, reason=f"runs pod {pod.key}{kept}")
    if not pod.node_name:
        return DaemonNodeReport(node=node, runs=False, reason=f"pod {pod.key} waits to be scheduled")
    return DaemonNodeReport(node=node, runs=False, reason=f"pod {pod.key} is {pod.phase or PodPhase.PENDING}")


def _sentence(nodes: list[DaemonNodeReport]) -> str:
    running = sum(1 for n in nodes if n.runs)
    text = f"runs on {running} of {len(nodes)} node{'' if len(nodes) == 1 else 's'}"
    missing = [n for n in nodes if not n.runs]
    if missing:
        named = "; ".join(f"{n.node}: {n.reason}" for n in missing[:MAX_NAMED_NODES])
        more = f"; and {len(missing) - MAX_NAMED_NODES} more" if len(missing) > MAX_NAMED_NODES else ""
        text += f"; not on {named}{more}"
    return text
