"""describe deployment: selector, replica counts, strategy, the pod template, conditions, replica sets."""

from __future__ import annotations

from typing import Any

from cli.describers.page import Page, add_events, annotation_entries, label_entries, timestamp
from cli.describers.template import add_pod_template
from objects.selectors import format_label_selector

POD_TEMPLATE_HASH = "pod-template-hash"


def describe_deployment(deployment: dict[str, Any], replica_sets: list[dict[str, Any]] | None,
                        events: list[dict[str, Any]]) -> str:
    """`replica_sets` is None when they could not be listed, as for a deployment that has none."""
    meta, spec, status = deployment.get("metadata") or {}, deployment.get("spec") or {}, deployment.get("status") or {}
    page = Page()
    page.field("Name", meta.get("name"))
    page.field("Namespace", meta.get("namespace"))
    page.field("CreationTimestamp", timestamp(meta.get("creationTimestamp")))
    page.multiline("Labels", label_entries(meta.get("labels")))
    page.multiline("Annotations", annotation_entries(meta.get("annotations")))
    page.field("Selector", format_label_selector(spec.get("selector")))
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
    add_pod_template(page, spec.get("template") or {})
    if status.get("conditions"):
        page.heading("Conditions")
        # kubectl leaves a space after the type cell; kept so the columns match its output
        page.table(["Type", "Status", "Reason"], [[f"{c.get('type', '')} ", c.get("status", ""), c.get("reason", "")]
                                                  for c in status["conditions"]], underline=True)
    newest, older = split_replica_sets(deployment, replica_sets or [])
    if newest or older:  # as kubectl 1.32 prints them: neither line for a deployment without replica sets
        page.field("OldReplicaSets", _summaries(older))
        page.field("NewReplicaSet", _summaries([newest] if newest else []))
    add_events(page, events)
    return page.render()


def split_replica_sets(deployment: dict[str, Any], replica_sets: list[dict[str, Any]]):
    """kubectl's GetAllReplicaSets: the new one is the oldest whose template is the deployment's (its
    pod-template-hash label aside); the old ones are the others that still want replicas."""
    uid = deployment["metadata"].get("uid")
    owned = [rs for rs in replica_sets
             if any(ref.get("controller") and ref.get("uid") == uid
                    for ref in rs["metadata"].get("ownerReferences") or [])]
    owned.sort(key=lambda rs: (rs["metadata"].get("creationTimestamp") or "", rs["metadata"]["name"]))
    template = _without_hash((deployment.get("spec") or {}).get("template") or {})
    newest = next((rs for rs in owned if _without_hash((rs.get("spec") or {}).get("template") or {}) == template),
                  None)
    older = [rs for rs in owned if rs is not newest and (rs.get("spec") or {}).get("replicas")]
    return newest, older


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    meta = dict(template.get("metadata") or {})
    labels = {key: value for key, value in (meta.get("labels") or {}).items() if key != POD_TEMPLATE_HASH}
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    return {**template, "metadata": meta}


def _summaries(replica_sets: list[dict[str, Any]]) -> str:
    """`web-5d4f (2/2 replicas created)`, comma-joined, or `<none>`."""
    return ", ".join(f"{rs['metadata']['name']} ({(rs.get('status') or {}).get('replicas', 0)}/"
                     f"{(rs.get('spec') or {}).get('replicas', 0)} replicas created)"
                     for rs in replica_sets) or "<none>"
