"""What the controller describe pages share: the Pod Template section and the `Pods Status` count.

    Pod Template:
      Labels:  app=web
      Containers:
       web:
        Image:  nginx
      ...
      Tolerations:     <none>

kubectl's DescribePodTemplate, used for deployments, replica sets and daemon sets alike.
"""

from __future__ import annotations

from typing import Any

from cli.describers.page import Page, annotation_entries, label_entries
from cli.describers.pod import add_containers, add_tolerations, add_volumes


def add_pod_template(page: Page, template: dict[str, Any]) -> None:
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    page.heading("Pod Template")
    page.multiline("Labels", label_entries(meta.get("labels")), level=1)
    if meta.get("annotations"):
        page.multiline("Annotations", annotation_entries(meta["annotations"]), level=1)
    if spec.get("serviceAccountName"):
        page.field("Service Account", spec["serviceAccountName"], level=1)
    # kubectl indents template container names by three spaces, one more than the heading above them
    if spec.get("initContainers"):
        page.heading("Init Containers", level=1)
        add_containers(page, spec["initContainers"], {}, level=1, name_indent=" ")
    page.heading("Containers", level=1)
    add_containers(page, spec.get("containers") or [], {}, level=1, name_indent=" ")
    add_volumes(page, spec.get("volumes"), level=1)
    if spec.get("priorityClassName"):
        page.field("Priority Class Name", spec["priorityClassName"], level=1)
    page.multiline("Node-Selectors", label_entries(spec.get("nodeSelector")), level=1)
    add_tolerations(page, spec.get("tolerations"), level=1)


def pods_status(owner: dict[str, Any], pods: list[dict[str, Any]]) -> str:
    """`2 Running / 0 Waiting / 0 Succeeded / 0 Failed` over the pods the owner controls (not just selects)."""
    uid = owner["metadata"].get("uid")
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in pods:
        controller = controller_of(pod)
        phase = (pod.get("status") or {}).get("phase")
        if controller and controller.get("uid") == uid and phase in counts:
            counts[phase] += 1
    return (f"{counts['Running']} Running / {counts['Pending']} Waiting / {counts['Succeeded']} Succeeded / "
            f"{counts['Failed']} Failed")


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The owner reference marked `controller: true`, if any."""
    return next((ref for ref in (obj.get("metadata") or {}).get("ownerReferences") or [] if ref.get("controller")),
                None)
