"""The EndpointSlice controller's why of a Service: which pods its selector picks, which serve, and why
the others do not.

    selected pod ─► Ready         ready endpoint: traffic goes to it
                 ─► NotReady      endpoint with ready=false: its Ready condition, and which container holds it
                 ─► Terminating   kept as serving=…, terminating=true, ready=false while it stops
                 ─► NoIP          no endpoint yet: it has no IP (not started, or no node yet)
                 ─► Succeeded / Failed   no endpoint: it has finished
                 ─► NodeNotFound  no endpoint: its node object is gone
    and per pod: the named targetPorts it lacks, and the slices that carry it

Published after every sync, and written only when it changed (the pods not
ready come first and at most MAX_REPORTED_PODS are listed, so a large Service
does not write a large report for every pod that turns Ready).
"""

from __future__ import annotations

from master.controllers.endpoints_membership import Member, Standing, not_ready_message
from objects.endpoints import EndpointSlice
from objects.meta import ObjectMeta
from objects.service import Service, ServicePort
from objects.why import ServicePodReport, ServiceReport

MAX_REPORTED_PODS = 50
# What publishNotReadyAddresses makes ready endpoints of, besides the Ready pods.
PUBLISHED_ANYWAY = (Standing.NOT_READY, Standing.TERMINATING, Standing.NODE_NOT_FOUND)

_MESSAGES = {
    Standing.READY: "Ready",
    Standing.TERMINATING: "being deleted: kept in the slices as terminating, no longer ready",
    Standing.NO_IP: "no IP yet: it has no endpoint until its sandbox runs",
    Standing.SUCCEEDED: "finished (Succeeded): finished pods have no endpoint",
    Standing.FAILED: "finished (Failed): finished pods have no endpoint",
    Standing.NODE_NOT_FOUND: "its node {node} has no Node object: left out until the node is back",
}


def service_report(service: Service, members: list[Member], slices: list[EndpointSlice]) -> ServiceReport:
    """The report for `service`, whose selected pods are `members`, now held by `slices`."""
    publish = bool(service.spec and service.spec.publish_not_ready_addresses)
    carried = _slices_by_pod(slices)
    pods = [_pod_report(member, carried.get(member.pod.name, []), publish=publish) for member in members]
    pods.sort(key=lambda pod: (pod.ready, pod.name))
    report = ServiceReport(
        metadata=ObjectMeta(name=service.metadata.name, namespace=service.metadata.namespace,
                            uid=service.metadata.uid),
        selector=dict(service.spec.selector or {}) if service.spec else {},
        ports=[port_mapping(port) for port in service.ports],
        selected=len(pods), ready=sum(1 for pod in pods if pod.ready),
        pods=pods[:MAX_REPORTED_PODS], unlisted=max(0, len(pods) - MAX_REPORTED_PODS),
        endpoint_slices=sorted(s.metadata.name or "" for s in slices), message="")
    report.message = _sentence(report)
    return report


def port_mapping(port: ServicePort) -> str:
    """`http 80/TCP -> 8080`: the Service's port, and the pods' port it goes to."""
    target = port.target_port if port.target_port is not None else port.port
    named = f"{port.name} " if port.name else ""
    return f"{named}{port.port}/{port.protocol or 'TCP'} -> {target}"


def selector_text(selector: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(selector.items()))


def _pod_report(member: Member, slices: list[str], *, publish: bool) -> ServicePodReport:
    pod = member.pod
    ready = member.standing == Standing.READY or (publish and member.standing in PUBLISHED_ANYWAY)
    if member.standing == Standing.NOT_READY:
        message = not_ready_message(pod)
        if publish:
            message += "; published anyway (publishNotReadyAddresses)"
    else:
        message = _MESSAGES[member.standing].format(node=pod.node_name or "<none>")
    if member.missing_ports and member.standing in (Standing.READY, Standing.NOT_READY):
        lacking = ", ".join(member.missing_ports)
        message += (f"; declares no container port named {lacking}, so those Service ports do not reach it"
                    if member.ports else f"; declares no container port named {lacking}: no port reaches it")
    ips = pod.pod_ips
    return ServicePodReport(name=pod.name, ip=ips[0] if ips else None, node=pod.node_name, ready=ready,
                            reason=str(member.standing), message=message, missing_ports=list(member.missing_ports),
                            endpoint_slices=slices)


def _slices_by_pod(slices: list[EndpointSlice]) -> dict[str, list[str]]:
    carried: dict[str, list[str]] = {}
    for slice_ in sorted(slices, key=lambda s: s.metadata.name or ""):
        for endpoint in slice_.endpoints or []:
            if endpoint.target_ref and endpoint.target_ref.name:
                carried.setdefault(endpoint.target_ref.name, []).append(slice_.metadata.name or "")
    return carried


def _sentence(report: ServiceReport) -> str:
    selector = selector_text(report.selector)
    if not report.selected:
        return f"no pod matches {selector}: no endpoints"
    verb = "is" if report.ready == 1 else "are"
    counts = f"{report.ready} of {report.selected} pods matching {selector} {verb} ready"
    first = next((pod for pod in report.pods if not pod.ready), None)
    if first is None:
        return counts
    return f"{counts}; {first.name}: {first.message}"
