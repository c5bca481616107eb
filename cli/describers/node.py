"""describe node: conditions, addresses, capacity, system info, the pods it runs, and events."""

from __future__ import annotations

from typing import Any

from cli.describers.page import NONE, Page, add_events, age, annotation_entries, label_entries, timestamp

ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
SYSTEM_INFO_FIELDS = (
    ("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
    ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
    ("Architecture", "architecture"), ("Container Runtime Version", "containerRuntimeVersion"),
    ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion"),
)


def describe_node(node: dict[str, Any], pods: list[dict[str, Any]], events: list[dict[str, Any]]) -> str:
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
    _add_conditions(page, status.get("conditions") or [])
    page.heading("Addresses")
    for address in status.get("addresses") or []:
        page.field(address.get("type", ""), address.get("address", ""), level=1)
    for label, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        page.heading(label)
        for resource, amount in sorted((status.get(key) or {}).items()):
            page.field(resource, amount, level=1)
    page.heading("System Info")
    info = status.get("nodeInfo") or {}
    for label, key in SYSTEM_INFO_FIELDS:
        page.field(label, info.get(key) or "", level=1)
    if spec.get("podCIDR"):
        page.field("PodCIDR", spec["podCIDR"])
    page.line(f"Non-terminated Pods:  ({len(pods)} in total)")
    page.table(["Namespace", "Name", "Age"], [
        [p["metadata"].get("namespace", ""), p["metadata"].get("name", ""), age(p["metadata"].get("creationTimestamp"))]
        for p in pods
    ], underline=True)
    add_events(page, events)
    return page.render()


def _add_conditions(page: Page, conditions: list[dict[str, Any]]) -> None:
    if not conditions:
        page.field("Conditions", NONE)
        return
    page.heading("Conditions")
    header = ["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"]
    rows = [[c.get("type", ""), c.get("status", ""), timestamp(c.get("lastHeartbeatTime")),
             timestamp(c.get("lastTransitionTime")), c.get("reason", ""), c.get("message", "")] for c in conditions]
    page.table(header, rows, underline=True)


def _taint(taint: dict[str, Any]) -> str:
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key', '')}{value}:{taint.get('effect', '')}"
