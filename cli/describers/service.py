"""describe service: type, addresses, each port with the ready endpoints behind it, the traffic policies, events.

As kubectl 1.32 does, the endpoints come from the Service's EndpointSlices
(labelled kubernetes.io/service-name), listed per port by the port's name:
ready endpoints only, `ip:port`, the first three and how many more. A Service
with no slice at all says `<none>`; one whose slices hold no ready endpoint
for the port shows nothing after `Endpoints:`, exactly as kubectl prints it.
"""

from __future__ import annotations

from typing import Any

from cli.describers.page import NONE, Page, add_events, annotation_entries, label_entries
from objects.endpoints import EndpointSlice
from objects.selectors import format_labels
from objects.service import Service, ServiceSpec

UNSET = "<unset>"
LISTED_ENDPOINTS = 3


def describe_service(service: dict[str, Any], endpoint_slices: list[dict[str, Any]],
                     events: list[dict[str, Any]]) -> str:
    svc = Service.model_validate(service)
    spec = svc.spec or ServiceSpec()
    slices = [EndpointSlice.model_validate(item) for item in endpoint_slices]
    page = Page()
    page.field("Name", svc.metadata.name)
    page.field("Namespace", svc.metadata.namespace)
    page.multiline("Labels", label_entries(svc.metadata.labels))
    page.multiline("Annotations", annotation_entries(svc.metadata.annotations))
    page.field("Selector", format_labels(spec.selector))
    page.field("Type", spec.type)
    if spec.ip_family_policy is not None:
        page.field("IP Family Policy", spec.ip_family_policy)
    page.field("IP Families", ",".join(spec.ip_families or []) or NONE)
    page.field("IP", spec.cluster_ip)
    page.field("IPs", ",".join(spec.cluster_ips or []) or NONE)
    if spec.external_ips:
        page.field("External IPs", ",".join(spec.external_ips))
    if spec.load_balancer_ip:
        page.field("Desired LoadBalancer IP", spec.load_balancer_ip)
    if spec.external_name:
        page.field("External Name", spec.external_name)
    ingress = (svc.status.load_balancer.ingress if svc.status and svc.status.load_balancer else None) or []
    if ingress:
        page.field("LoadBalancer Ingress", ", ".join(point.get("ip") or point.get("hostname") or ""
                                                     for point in ingress))
    for port in spec.ports or []:
        name = port.name or UNSET
        page.row(["Port:", name, f"{port.port or 0}/{port.protocol}"])
        page.field("TargetPort", f"{port.target_port if port.target_port is not None else 0}/{port.protocol}")
        if port.node_port:
            page.row(["NodePort:", name, f"{port.node_port}/{port.protocol}"])
        page.field("Endpoints", ready_endpoints(slices, port_name=port.name or ""))
    page.field("Session Affinity", spec.session_affinity)
    if spec.external_traffic_policy:
        page.field("External Traffic Policy", spec.external_traffic_policy)
    if spec.internal_traffic_policy is not None:
        page.field("Internal Traffic Policy", spec.internal_traffic_policy)
    if spec.health_check_node_port:
        page.field("HealthCheck NodePort", spec.health_check_node_port)
    if spec.load_balancer_source_ranges:
        page.field("LoadBalancer Source Ranges", ",".join(spec.load_balancer_source_ranges))
    if spec.traffic_distribution is not None:
        page.field("Traffic Distribution", spec.traffic_distribution)
    add_events(page, events)
    return page.render()


def ready_endpoints(slices: list[EndpointSlice], *, port_name: str) -> str:
    """The ready endpoints of the slices' port called `port_name`: `10.0.0.5:8080,... + 2 more...`.

    Headless slices without ports list bare addresses. kubectl's count, and so its
    "N more", includes every ready endpoint it passed, listed or not.
    """
    if not slices:
        return NONE
    listed: list[str] = []
    more, count = False, 0
    for endpoint_slice in slices:
        ports = endpoint_slice.ports or []
        wanted = [None] if not ports else [p for p in ports if (p.name or "") == port_name]
        for port in wanted:
            for endpoint in endpoint_slice.endpoints or []:
                if len(listed) == LISTED_ENDPOINTS:
                    more = True
                if not endpoint.ready or not endpoint.addresses:
                    continue
                if not more:
                    address = endpoint.addresses[0]
                    listed.append(address if port is None else _join_host_port(address, port.port or 0))
                count += 1
    text = ",".join(listed)
    return f"{text} + {count - LISTED_ENDPOINTS} more..." if more else text


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
