"""describe node: conditions, addresses, capacity, system info, its lease, the pods it runs and what
they request, and events."""

from __future__ import annotations

from typing import Any

from cli.describers.page import NONE, Page, add_events, age, annotation_entries, label_entries, timestamp
from objects.quantity import add_quantities, cpu_millicores, parse_quantity, to_bytes

ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
UNSET = "<unset>"
SYSTEM_INFO_FIELDS = (
    ("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
    ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
    ("Architecture", "architecture"), ("Container Runtime Version", "containerRuntimeVersion"),
    ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion"),
)
# The Allocated resources rows kubectl always prints, and how each is measured for its percentage.
ALLOCATED = (("cpu", cpu_millicores), ("memory", to_bytes), ("ephemeral-storage", to_bytes))


def describe_node(node: dict[str, Any], lease: dict[str, Any] | str, pods: list[dict[str, Any]],
                  events: list[dict[str, Any]]) -> str:
    """`lease` is the node's Lease, or the error that fetching it met, which kubectl prints in its place."""
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    page = Page()
    page.field("Name", meta.get("name"))
    labels = meta.get("labels") or {}
    roles = sorted(key.removeprefix(ROLE_LABEL_PREFIX) for key in labels if key.startswith(ROLE_LABEL_PREFIX))
    page.field("Roles", ",".join(roles) or NONE)
    page.multiline("Labels", label_entries(meta.get("labels")))
    page.multiline("Annotations", annotation_entries(meta.get("annotations")))
    page.field("CreationTimestamp", timestamp(meta.get("creationTimestamp")))
    page.multiline("Taints", [_taint(t) for t in spec.get("taints") or []])
    page.field("Unschedulable", "true" if spec.get("unschedulable") else "false")
    _add_lease(page, lease)
    _add_conditions(page, status.get("conditions") or [])
    page.heading("Addresses")
    for address in status.get("addresses") or []:
        page.field(address.get("type", ""), address.get("address", ""), level=1)
    for label, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if status.get(key):
            page.heading(label)
            for resource, amount in sorted(status[key].items()):
                page.field(resource, amount, level=1)
    page.heading("System Info")
    info = status.get("nodeInfo") or {}
    for label, key in SYSTEM_INFO_FIELDS:
        page.field(label, info.get(key) or "", level=1)
    if spec.get("podCIDR"):
        page.field("PodCIDR", spec["podCIDR"])
    if spec.get("podCIDRs"):
        page.field("PodCIDRs", ",".join(spec["podCIDRs"]))
    if spec.get("providerID"):
        page.field("ProviderID", spec["providerID"])
    _add_pods(page, pods, status.get("allocatable") or status.get("capacity") or {})
    add_events(page, events)
    return page.render()


def _add_lease(page: Page, lease: dict[str, Any] | str) -> None:
    if isinstance(lease, str):
        page.field("Lease", f"Failed to get lease: {lease}")
        return
    spec = lease.get("spec") or {}
    page.heading("Lease")
    page.field("HolderIdentity", spec.get("holderIdentity") or UNSET, level=1)
    for label, key in (("AcquireTime", "acquireTime"), ("RenewTime", "renewTime")):
        page.field(label, timestamp(spec[key]) if spec.get(key) else UNSET, level=1)


def _add_conditions(page: Page, conditions: list[dict[str, Any]]) -> None:
    if not conditions:
        return
    page.heading("Conditions")
    header = ["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"]
    # kubectl leaves a space after every cell but the message; kept so the columns match its output
    rows = [[f"{c.get('type', '')} ", f"{c.get('status', '')} ", f"{timestamp(c.get('lastHeartbeatTime'))} ",
             f"{timestamp(c.get('lastTransitionTime'))} ", f"{c.get('reason', '')} ", c.get("message", "")]
            for c in conditions]
    page.table(header, rows, underline=True)


def _add_pods(page: Page, pods: list[dict[str, Any]], allocatable: dict[str, Any]) -> None:
    """Non-terminated Pods with each one's requests and limits, then their totals (Allocated resources)."""
    page.field("Non-terminated Pods", f"({len(pods)} in total)")
    rows = []
    totals: dict[str, dict[str, list[str]]] = {"requests": {}, "limits": {}}
    for pod in pods:
        requests, limits = pod_requests_and_limits(pod)
        meta = pod["metadata"]
        rows.append([meta.get("namespace", ""), meta.get("name", ""), "",
                     _share(requests, "cpu", allocatable, cpu_millicores),
                     _share(limits, "cpu", allocatable, cpu_millicores),
                     _share(requests, "memory", allocatable, to_bytes),
                     _share(limits, "memory", allocatable, to_bytes), age(meta.get("creationTimestamp"))])
        for kind, amounts in (("requests", requests), ("limits", limits)):
            for resource, amount in amounts.items():
                totals[kind].setdefault(resource, []).append(amount)
    # kubectl's header has an empty column after Name ("Name\t\t"), which widens the gap by the padding
    page.table(["Namespace", "Name", "", "CPU Requests", "CPU Limits", "Memory Requests", "Memory Limits", "Age"],
               rows, underline=["---------", "----", "", "------------", "----------", "---------------",
                                "-------------", "---"])
    page.line("Allocated resources:")
    page.line("(Total limits may be over 100 percent, i.e., overcommitted.)", level=1)
    summed = {kind: {resource: add_quantities(amounts) for resource, amounts in by_resource.items()}
              for kind, by_resource in totals.items()}
    page.table(["Resource", "Requests", "Limits"],
               [[resource, _share(summed["requests"], resource, allocatable, measure),
                 _share(summed["limits"], resource, allocatable, measure)] for resource, measure in ALLOCATED],
               underline=True)


def _share(amounts: dict[str, Any], resource: str, allocatable: dict[str, Any], measure) -> str:
    """`250m (12%)`: the amount and its whole percentage of what the node can allocate."""
    amount = amounts.get(resource, "0")
    available = measure(allocatable.get(resource, "0"))
    percent = int(measure(amount) / available * 100) if available else 0
    return f"{add_quantities([amount])} ({percent}%)"


def pod_requests_and_limits(pod: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """What a pod asks for, as kubectl's PodRequestsAndLimits counts it: its containers' sum, raised to any
    larger init container's amount (init containers run one at a time, before the others), plus overhead."""
    spec = pod.get("spec") or {}
    result = []
    for kind in ("requests", "limits"):
        total: dict[str, str] = {}
        for container in spec.get("containers") or []:
            for resource, amount in ((container.get("resources") or {}).get(kind) or {}).items():
                total[resource] = add_quantities([total[resource], amount]) if resource in total else amount
        for container in spec.get("initContainers") or []:
            for resource, amount in ((container.get("resources") or {}).get(kind) or {}).items():
                if resource not in total or parse_quantity(amount) > parse_quantity(total[resource]):
                    total[resource] = amount
        for resource, amount in (spec.get("overhead") or {}).items():
            total[resource] = add_quantities([total[resource], amount]) if resource in total else amount
        result.append(total)
    return result[0], result[1]


def _taint(taint: dict[str, Any]) -> str:
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key', '')}{value}:{taint.get('effect', '')}"
