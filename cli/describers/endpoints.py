"""describe endpoints and describe endpointslice: the addresses behind a Service, as kubectl 1.32 prints them.

    Endpoints      one block per subset: ready and not-ready addresses, then a ports table
    EndpointSlice  its address type, a ports table, and each endpoint with its readiness,
                   hostname, target, node and zone (`<unset>` for what is not set)
"""

from __future__ import annotations

from typing import Any

from cli.describers.page import NONE, Page, add_events, annotation_entries, label_entries
from objects.endpoints import Endpoints, EndpointSlice

UNSET = "<unset>"
PORTS_HEADER = ["Name", "Port", "Protocol"]
PORTS_UNDERLINE = ["----", "----", "--------"]


def describe_endpoints(endpoints: dict[str, Any], events: list[dict[str, Any]]) -> str:
    ep = Endpoints.model_validate(endpoints)
    page = _heading(ep.metadata)
    page.heading("Subsets")
    for subset in ep.subsets or []:
        page.field("Addresses", ",".join(a.ip or "" for a in subset.addresses or []) or NONE, level=1)
        page.field("NotReadyAddresses", ",".join(a.ip or "" for a in subset.not_ready_addresses or []) or NONE,
                   level=1)
        if subset.ports:
            page.heading("Ports", level=1)
            page.table(PORTS_HEADER, [[port.name or UNSET, str(port.port or 0), port.protocol or ""]
                                      for port in subset.ports], underline=PORTS_UNDERLINE, level=2)
        page.line("")
    add_events(page, events)
    return page.render()


def describe_endpoint_slice(endpoint_slice: dict[str, Any], events: list[dict[str, Any]]) -> str:
    eps = EndpointSlice.model_validate(endpoint_slice)
    page = _heading(eps.metadata)
    page.field("AddressType", eps.address_type or "")
    if not eps.ports:
        page.line(f"Ports: {UNSET}")
    else:
        page.heading("Ports")
        page.table(PORTS_HEADER, [[port.name or UNSET, str(port.port) if port.port is not None else UNSET,
                                   port.protocol or ""] for port in eps.ports], underline=PORTS_UNDERLINE)
    if not eps.endpoints:
        page.line(f"Endpoints: {NONE}")
    else:
        page.heading("Endpoints")
        for endpoint in eps.endpoints:
            page.field("- Addresses", ", ".join(endpoint.addresses) or NONE, level=1)
            page.heading("Conditions", level=2)
            ready = endpoint.conditions.ready if endpoint.conditions else None
            page.field("Ready", UNSET if ready is None else str(ready).lower(), level=3)
            page.field("Hostname", endpoint.hostname if endpoint.hostname is not None else UNSET, level=2)
            if endpoint.target_ref is not None:
                page.field("TargetRef", f"{endpoint.target_ref.kind or ''}/{endpoint.target_ref.name or ''}", level=2)
            page.field("NodeName", endpoint.node_name if endpoint.node_name is not None else UNSET, level=2)
            page.field("Zone", endpoint.zone if endpoint.zone is not None else UNSET, level=2)
    add_events(page, events)
    return page.render()


def _heading(meta) -> Page:
    page = Page()
    page.field("Name", meta.name)
    page.field("Namespace", meta.namespace)
    page.multiline("Labels", label_entries(meta.labels))
    page.multiline("Annotations", annotation_entries(meta.annotations))
    return page
