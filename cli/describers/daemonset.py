"""describe daemonset: selector, node selector, how many nodes run its pod, their phases, the template, events."""

from __future__ import annotations

from typing import Any

from cli.describers.page import Page, add_events, annotation_entries, label_entries
from cli.describers.template import add_pod_template, pods_status
from objects.selectors import format_labels, selector_from_label_selector

# kubectl writes these counts without a tab, so they stand outside the page's alignment
NODE_COUNTS = (
    ("Desired Number of Nodes Scheduled", "desiredNumberScheduled"),
    ("Current Number of Nodes Scheduled", "currentNumberScheduled"),
    ("Number of Nodes Scheduled with Up-to-date Pods", "updatedNumberScheduled"),
    ("Number of Nodes Scheduled with Available Pods", "numberAvailable"),
    ("Number of Nodes Misscheduled", "numberMisscheduled"),
)


def describe_daemon_set(daemon_set: dict[str, Any], pods: list[dict[str, Any]],
                        events: list[dict[str, Any]]) -> str:
    """kubectl's page, which names no namespace; `pods` are those the selector matches."""
    meta, spec, status = daemon_set.get("metadata") or {}, daemon_set.get("spec") or {}, daemon_set.get("status") or {}
    template = spec.get("template") or {}
    page = Page()
    page.field("Name", meta.get("name"))
    page.field("Selector", str(selector_from_label_selector(spec.get("selector"))))
    page.field("Node-Selector", format_labels((template.get("spec") or {}).get("nodeSelector")))
    page.multiline("Labels", label_entries(meta.get("labels")))
    page.multiline("Annotations", annotation_entries(meta.get("annotations")))
    for label, key in NODE_COUNTS:
        page.line(f"{label}: {status.get(key, 0)}")
    page.field("Pods Status", pods_status(daemon_set, pods))
    add_pod_template(page, template)
    add_events(page, events)
    return page.render()
