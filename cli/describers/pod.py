"""describe pod: where it runs, its containers and their state, conditions, volumes, scheduling and events."""

from __future__ import annotations

from typing import Any

from cli.describers.page import (NONE, Page, add_events, annotation_entries, human_duration, label_entries,
                                 seconds_since, timestamp)
from cli.describers.scheduling import add_scheduling


def describe_pod(pod: dict[str, Any], events: list[dict[str, Any]],
                 explanation: dict[str, Any] | None = None) -> str:
    """kubectl's page; with the scheduler's explanation, tinykube's Scheduling section before the events."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    page = Page()
    page.field("Name", meta.get("name"))
    page.field("Namespace", meta.get("namespace"))
    if spec.get("priority") is not None:
        page.field("Priority", spec["priority"])
    if spec.get("serviceAccountName"):
        page.field("Service Account", spec["serviceAccountName"])
    node = spec.get("nodeName")
    page.field("Node", f"{node}/{status['hostIP']}" if node and status.get("hostIP") else node or NONE)
    if status.get("startTime"):
        page.field("Start Time", timestamp(status["startTime"]))
    page.multiline("Labels", label_entries(meta.get("labels")))
    page.multiline("Annotations", annotation_entries(meta.get("annotations")))
    page.field("Status", _phase(pod))
    if status.get("reason"):
        page.field("Reason", status["reason"])
    if status.get("message"):
        page.field("Message", status["message"])
    page.field("IP", status.get("podIP") or "")
    ips = [entry.get("ip") for entry in status.get("podIPs") or [] if entry.get("ip")]
    if ips:
        page.heading("IPs")
        for ip in ips:
            page.field("IP", ip, level=1)
    else:
        page.field("IPs", NONE)
    controller = next((ref for ref in meta.get("ownerReferences") or [] if ref.get("controller")), None)
    if controller:
        page.field("Controlled By", f"{controller.get('kind')}/{controller.get('name')}")
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    init_statuses = {s.get("name"): s for s in status.get("initContainerStatuses") or []}
    if spec.get("initContainers"):
        page.heading("Init Containers")
        add_containers(page, spec["initContainers"], init_statuses, level=1)
    page.heading("Containers")
    add_containers(page, spec.get("containers") or [], statuses, level=1)
    if status.get("conditions"):
        page.heading("Conditions")
        # kubectl leaves a space after each condition cell; kept so the columns match its output
        page.table(["Type ", "Status"], [[f"{c.get('type', '')} ", f"{c.get('status', '')} "]
                                         for c in status["conditions"]])
    add_volumes(page, spec.get("volumes"))
    page.field("QoS Class", status.get("qosClass") or "")
    page.multiline("Node-Selectors", label_entries(spec.get("nodeSelector")))
    add_tolerations(page, spec.get("tolerations"))
    if explanation:
        add_scheduling(page, explanation)
    add_events(page, events)
    return page.render()


def _phase(pod: dict[str, Any]) -> str:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    if meta.get("deletionTimestamp"):
        if not meta.get("deletionGracePeriodSeconds"):
            return "Terminating"
        return f"Terminating (lasts {human_duration(seconds_since(meta['deletionTimestamp']))})"
    return status.get("phase") or ""


def add_containers(page: Page, containers: list[dict[str, Any]], statuses: dict[str, dict[str, Any]], *,
                   level: int, name_indent: str = "") -> None:
    """One block per container; state lines only once the kubelet has reported a status."""
    for container in containers:
        page.line(f"{name_indent}{container.get('name', '')}:", level=level)
        inner = level + 1
        state = statuses.get(container.get("name"))
        if state is not None:
            page.field("Container ID", state.get("containerID") or "", level=inner)
        page.field("Image", container.get("image") or "", level=inner)
        if state is not None:
            page.field("Image ID", state.get("imageID") or "", level=inner)
        _add_ports(page, container.get("ports") or [], level=inner)
        for label, key in (("Command", "command"), ("Args", "args")):
            if container.get(key):
                page.heading(label, level=inner)
                for word in container[key]:
                    page.line(str(word), level=inner + 1)
        if state is not None:
            _add_state(page, "State", state.get("state") or {}, level=inner)
            if state.get("lastState"):
                _add_state(page, "Last State", state["lastState"], level=inner)
            page.field("Ready", bool(state.get("ready")), level=inner)
            page.field("Restart Count", state.get("restartCount") or 0, level=inner)
        resources = container.get("resources") or {}
        for label, key in (("Limits", "limits"), ("Requests", "requests")):
            if resources.get(key):
                page.heading(label, level=inner)
                for resource, amount in sorted(resources[key].items()):
                    page.field(resource, amount, level=inner + 1)
        _add_env(page, container.get("env") or [], level=inner)
        mounts = container.get("volumeMounts") or []
        page.multiline("Mounts", [_mount(m) for m in mounts], level=inner)


def _add_ports(page: Page, ports: list[dict[str, Any]], *, level: int) -> None:
    container_ports = [f"{p.get('containerPort')}/{p.get('protocol') or ''}" for p in ports]
    host_ports = [f"{p.get('hostPort') or 0}/{p.get('protocol') or ''}" for p in ports]
    plural = "s" if len(ports) > 1 else ""
    page.field(f"Port{plural}", ", ".join(container_ports) or NONE, level=level)
    page.field(f"Host Port{plural}", ", ".join(host_ports) or NONE, level=level)


def _add_state(page: Page, label: str, state: dict[str, Any], *, level: int) -> None:
    if "running" in state:
        page.field(label, "Running", level=level)
        page.field("Started", timestamp((state["running"] or {}).get("startedAt")), level=level + 1)
    elif "terminated" in state:
        terminated = state["terminated"] or {}
        page.field(label, "Terminated", level=level)
        page.field("Reason", terminated.get("reason") or "", level=level + 1)
        if terminated.get("message"):
            page.field("Message", terminated["message"], level=level + 1)
        page.field("Exit Code", terminated.get("exitCode", 0), level=level + 1)
        page.field("Started", timestamp(terminated.get("startedAt")), level=level + 1)
        page.field("Finished", timestamp(terminated.get("finishedAt")), level=level + 1)
    elif "waiting" in state:
        waiting = state["waiting"] or {}
        page.field(label, "Waiting", level=level)
        if waiting.get("reason"):
            page.field("Reason", waiting["reason"], level=level + 1)
        if waiting.get("message"):
            page.field("Message", waiting["message"], level=level + 1)
    else:
        page.field(label, "Waiting", level=level)


def _add_env(page: Page, env: list[dict[str, Any]], *, level: int) -> None:
    if not env:
        page.field("Environment", NONE, level=level)
        return
    page.heading("Environment", level=level)
    for variable in env:
        value = variable.get("value")
        if value is None and variable.get("valueFrom"):
            value = f"<set from {', '.join(variable['valueFrom'])}>"
        page.field(variable.get("name", ""), value or "", level=level + 1)


def _mount(mount: dict[str, Any]) -> str:
    access = "ro" if mount.get("readOnly") else "rw"
    return f"{mount.get('mountPath')} from {mount.get('name')} ({access})"


def add_volumes(page: Page, volumes: list[dict[str, Any]] | None, *, level: int = 0) -> None:
    if not volumes:
        page.field("Volumes", NONE, level=level)
        return
    page.heading("Volumes", level=level)
    for volume in volumes:
        page.line(f"{volume.get('name', '')}:", level=level + 1)
        for source, settings in volume.items():
            if source == "name":
                continue
            page.field("Type", source[0].upper() + source[1:], level=level + 2)
            for key, value in sorted((settings or {}).items()):
                page.field(key[0].upper() + key[1:], value, level=level + 2)


def add_tolerations(page: Page, tolerations: list[dict[str, Any]] | None, *, level: int = 0) -> None:
    """`Tolerations:  key=value:Effect op=Exists for 300s`, one per line, sorted by key as kubectl sorts them."""
    ordered = sorted(tolerations or [], key=lambda t: t.get("key") or "")
    page.multiline("Tolerations", [toleration_text(t) for t in ordered], level=level)


def toleration_text(toleration: dict[str, Any]) -> str:
    text = toleration.get("key") or ""
    if toleration.get("value"):
        text += f"={toleration['value']}"
    if toleration.get("effect"):
        text += f":{toleration['effect']}"
    if toleration.get("operator") == "Exists" and not toleration.get("value"):
        # a bare `operator: Exists` tolerates everything, and kubectl prints it without the leading space
        text += " op=Exists" if text else "op=Exists"
    if toleration.get("tolerationSeconds") is not None:
        text += f" for {toleration['tolerationSeconds']}s"
    return text
