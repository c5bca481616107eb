"""NodePorts: a pod that asks for a host port cannot share a node with a pod already holding it.

Two host ports conflict when protocol and port are equal and the host IPs overlap: equal IPs
overlap, and 0.0.0.0 (which binds every address) overlaps any IP. Only 0.0.0.0 is a wildcard,
as in kube-scheduler's HostPortInfo; "::" is an ordinary address there too.
"""

from __future__ import annotations

from master.scheduler.framework import HostPort, NodeInfo, PodInfo, Rejection

NAME = "NodePorts"

ERR_REASON = "node(s) didn't have free ports for the requested pod ports"

BIND_ALL = "0.0.0.0"


def port_conflicts(wanted: HostPort, used: dict[HostPort, int]) -> bool:
    if wanted.port <= 0:
        return False
    if wanted.host_ip == BIND_ALL:
        return any(u.port == wanted.port and u.protocol == wanted.protocol for u in used)
    return wanted in used or HostPort(BIND_ALL, wanted.protocol, wanted.port) in used


def conflicting_port(pod: PodInfo, node: NodeInfo) -> HostPort | None:
    """The first host port of the pod already taken on the node, or None."""
    if not pod.host_ports or not node.used_ports:
        return None
    for wanted in pod.host_ports:
        if port_conflicts(wanted, node.used_ports):
            return wanted
    return None


class NodePorts:
    name = NAME

    def skip_filter(self, pod: PodInfo) -> bool:
        return not pod.host_ports

    def filter(self, pod: PodInfo, node: NodeInfo) -> Rejection | None:
        if not pod.host_ports:
            return None
        taken = conflicting_port(pod, node)
        if taken is None:
            return None
        return Rejection(NAME, ERR_REASON,
                         f"host port {taken.host_ip}:{taken.port}/{taken.protocol} is already in use on the node")
