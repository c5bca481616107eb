"""describe deployment: selector, replica counts, strategy, the pod template, conditions, replica sets."""

from __future__ import annotations

from typing import Any

from cli.describers.page import Page, add_events, annotation_entries, label_entries, timestamp
from cli.describers.pod import add_containers, add_volumes

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


def describe_deployment(deployment: dict[str, Any], replica_sets: list[dict[str, Any]],
                        events: list[dict[str, Any]]) -> str:
    meta, spec, status = deployment.get("metadata") or {}, deployment.get("spec") or {}, deployment.get("status") or {}
    page = Page()
    page.field("Name", meta.get("name"))
    page.field("Namespace", meta.get("namespace"))
    page.field("CreationTimestamp", timestamp(meta.get("creationTimestamp")))
    page.multiline("Labels", label_entries(meta.get("labels")))
    page.multiline("Annotations", annotation_entries(meta.get("annotations")))
    page.field("Selector", ",".join(label_entries((spec.get("selector") or {}).get("matchLabels"))))
    desired = spec.get("replicas", 1)
    updated, total = status.get("updatedReplicas", 0), status.get("replicas", 0)
    available, unavailable = status.get("availableReplicas", 0), status.get("unavailableReplicas", 0)
    page.field("Replicas", f"{desired} desired | {updated} updated | {total} total | {available} available | "
                           f"{unavailable} unavailable")
    strategy = spec.get("strategy") or {}
    page.field("StrategyType", strategy.get("type") or "")
    page.field("MinReadySeconds", spec.get("minReadySeconds", 0))
    if strategy.get("type") == "RollingUpdate":
        rolling = strategy.get("rollingUpdate") or {}
        page.field("RollingUpdateStrategy", f"{rolling.get('maxUnavailable')} max unavailable, "
                                            f"{rolling.get('maxSurge')} max surge")
    template = spec.get("template") or {}
    template_spec = template.get("spec") or {}
    page.heading("Pod Template")
    page.multiline("Labels", label_entries((template.get("metadata") or {}).get("labels")), level=1)
    page.heading("Containers", level=1)
    # kubectl indents template container names by three spaces, one more than the heading above them
    add_containers(page, template_spec.get("containers") or [], {}, level=1, name_indent=" ")
    add_volumes(page, template_spec.get("volumes"), level=1)
    page.multiline("Node-Selectors", label_entries(template_spec.get("nodeSelector")), level=1)
    page.multiline("Tolerations", [str(t) for t in template_spec.get("tolerations") or []], level=1)
    if status.get("conditions"):
        page.heading("Conditions")
        page.table(["Type", "Status", "Reason"], [[c.get("type", ""), c.get("status", ""), c.get("reason", "")]
                                                  for c in status["conditions"]], underline=True)
    newest, older = _split_replica_sets(deployment, replica_sets)
    if older:
        page.field("OldReplicaSets", ", ".join(_replica_set_summary(rs) for rs in older))
    if newest:
        page.field("NewReplicaSet", _replica_set_summary(newest))
    add_events(page, events)
    return page.render()


def _split_replica_sets(deployment: dict[str, Any], replica_sets: list[dict[str, Any]]):
    uid = deployment["metadata"].get("uid")
    owned = [rs for rs in replica_sets
             if any(ref.get("uid") == uid for ref in rs["metadata"].get("ownerReferences") or [])]
    if not owned:
        return None, []
    owned.sort(key=lambda rs: int((rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, "0") or 0))
    newest = owned[-1]
    older = [rs for rs in owned[:-1] if (rs.get("spec") or {}).get("replicas")]
    return newest, older


def _replica_set_summary(replica_set: dict[str, Any]) -> str:
    created = (replica_set.get("status") or {}).get("replicas", 0)
    desired = (replica_set.get("spec") or {}).get("replicas", 0)
    return f"{replica_set['metadata']['name']} ({created}/{desired} replicas created)"
