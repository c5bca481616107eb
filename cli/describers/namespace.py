"""describe namespace: labels, annotations, phase, conditions, and its resource quotas and limit ranges.

tinykube's master serves neither ResourceQuota nor LimitRange; kubectl then
leaves both sections out, and so does this page. A server that serves them
empty gets kubectl's `No resource quota.` and `No LimitRange resource.`
"""

from __future__ import annotations

from typing import Any

from cli.describers.page import Page, annotation_entries, label_entries, timestamp


def describe_namespace(namespace: dict[str, Any], quotas: list[dict[str, Any]] | None,
                       limit_ranges: list[dict[str, Any]] | None) -> str:
    """`quotas` and `limit_ranges` are None when the server does not serve them."""
    meta, status = namespace.get("metadata") or {}, namespace.get("status") or {}
    page = Page()
    page.field("Name", meta.get("name"))
    page.multiline("Labels", label_entries(meta.get("labels")))
    page.multiline("Annotations", annotation_entries(meta.get("annotations")))
    page.field("Status", status.get("phase") or "")
    if status.get("conditions"):
        page.heading("Conditions")
        page.table(["Type", "Status", "LastTransitionTime", "Reason", "Message"], [
            [c.get("type", ""), c.get("status", ""), timestamp(c.get("lastTransitionTime")), c.get("reason", ""),
             c.get("message", "")] for c in status["conditions"]], underline=True)
    for items, title, empty in ((quotas, "Resource Quotas", "No resource quota."),
                                (limit_ranges, "Resource Limits", "No LimitRange resource.")):
        if items is None:
            continue
        page.line("")
        if not items:
            page.line(empty)
        else:  # only their names: kubectl's full tables would describe objects tinykube never serves
            page.multiline(title, [item["metadata"]["name"] for item in items])
    return page.render()
