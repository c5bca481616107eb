"""describe replicaset: selector, who controls it, replica counts, its pods' phases, the pod template, events."""

from __future__ import annotations

from typing import Any

from cli.describers.page import Page, add_events, annotation_entries, label_entries
from cli.describers.template import add_pod_template, controller_of, pods_status
from objects.selectors import format_label_selector


def describe_replica_set(replica_set: dict[str, Any], pods: list[dict[str, Any]],
                         events: list[dict[str, Any]]) -> str:
    """`pods` are those the selector matches; only the ones this replica set controls are counted."""
    meta, spec = replica_set.get("metadata") or {}, replica_set.get("spec") or {}
    status = replica_set.get("status") or {}
    page = Page()
    page.field("Name", meta.get("name"))
    page.field("Namespace", meta.get("namespace"))
    page.field("Selector", format_label_selector(spec.get("selector")))
    page.multiline("Labels", label_entries(meta.get("labels")))
    page.multiline("Annotations", annotation_entries(meta.get("annotations")))
    controller = controller_of(replica_set)
    if controller:
        page.field("Controlled By", f"{controller.get('kind')}/{controller.get('name')}")
    page.field("Replicas", f"{status.get('replicas', 0)} current / {spec.get('replicas', 1)} desired")
    page.field("Pods Status", pods_status(replica_set, pods))
    add_pod_template(page, spec.get("template") or {})
    if status.get("conditions"):
        page.heading("Conditions")
        # kubectl leaves a space after the type cell; kept so the columns match its output
        page.table(["Type", "Status", "Reason"], [[f"{c.get('type', '')} ", c.get("status", ""), c.get("reason", "")]
                                                  for c in status["conditions"]], underline=True)
    add_events(page, events)
    return page.render()
