"""Endpoints (core/v1) and EndpointSlices (discovery.k8s.io/v1): addresses a Service's traffic may go to.

Both are written by controllers (and by the master for the `kubernetes`
Service), but anyone may write a selector-less Service's by hand, so both are
checked as kube-apiserver checks them: real, non-special IPs (no loopback, no
link-local: traffic sent there would never leave the node), DNS-label names for
ports, known protocols, and an EndpointSlice's addressType fixed at creation.
"""

from __future__ import annotations

from master.api.validation import causes as cause
from master.api.validation.causes import Cause
from master.api.validation.meta import validate_labels, validate_object_meta
from master.api.validation.names import (
    is_dns1123_label, is_qualified_name, is_valid_port_num, name_is_dns_subdomain,
)
from master.api.validation.services import INVALID_IP, PORT_PROTOCOLS, non_special_ip_causes, parse_ip
from objects.endpoints import EndpointAddress, EndpointPort, Endpoints, EndpointSlice
from objects.selectors import is_dns1123_subdomain

ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")
MAX_ENDPOINTS = 1000
MAX_ADDRESSES = 100
MAX_PORTS = 100


def validate_endpoints(endpoints: Endpoints, old: Endpoints | None) -> list[Cause]:
    found = validate_object_meta(endpoints.metadata, namespaced=True, name_rule=name_is_dns_subdomain)
    for index, subset in enumerate(endpoints.subsets or []):
        path = f"subsets[{index}]"
        if not subset.addresses and not subset.not_ready_addresses:
            found.append(cause.required(path, "must specify `addresses` or `notReadyAddresses`"))
        for i, address in enumerate(subset.addresses or []):
            found += _validate_address(address, f"{path}.addresses[{i}]")
        for i, address in enumerate(subset.not_ready_addresses or []):
            found += _validate_address(address, f"{path}.notReadyAddresses[{i}]")
        ports = subset.ports or []
        for i, port in enumerate(ports):
            found += _validate_endpoints_port(port, f"{path}.ports[{i}]", require_name=len(ports) > 1)
    return found


def validate_endpoint_slice(endpoint_slice: EndpointSlice, old: EndpointSlice | None) -> list[Cause]:
    found = validate_object_meta(endpoint_slice.metadata, namespaced=True, name_rule=name_is_dns_subdomain)
    address_type = endpoint_slice.address_type
    if not address_type:
        found.append(cause.required("addressType"))
    elif address_type not in ADDRESS_TYPES:
        found.append(cause.not_supported("addressType", address_type, ADDRESS_TYPES))
    found += _validate_slice_endpoints(endpoint_slice)
    found += _validate_slice_ports(endpoint_slice.ports or [])
    if old is not None and address_type != old.address_type:
        found.append(cause.invalid("addressType", address_type or "", "field is immutable"))
    return found


# --- core/v1 Endpoints


def _validate_address(address: EndpointAddress, path: str) -> list[Cause]:
    ip = address.ip or ""
    found = [cause.invalid(f"{path}.ip", ip, INVALID_IP)] if parse_ip(ip) is None else []
    if address.hostname:
        found += [cause.invalid(f"{path}.hostname", address.hostname, msg)
                  for msg in is_dns1123_label(address.hostname)]
    if address.node_name is not None:
        found += [cause.invalid(f"{path}.nodeName", address.node_name, msg)
                  for msg in is_dns1123_subdomain(address.node_name)]
    return found + non_special_ip_causes(ip, f"{path}.ip")


def _validate_endpoints_port(port: EndpointPort, path: str, *, require_name: bool) -> list[Cause]:
    found: list[Cause] = []
    if require_name and not port.name:
        found.append(cause.required(f"{path}.name"))
    elif port.name:
        found += [cause.invalid(f"{path}.name", port.name, msg) for msg in is_dns1123_label(port.name)]
    number = port.port or 0
    found += [cause.invalid(f"{path}.port", number, msg) for msg in is_valid_port_num(number)]
    return found + _protocol_and_app_protocol(port, path)


# --- discovery.k8s.io/v1 EndpointSlices


def _validate_slice_endpoints(endpoint_slice: EndpointSlice) -> list[Cause]:
    endpoints = endpoint_slice.endpoints or []
    if len(endpoints) > MAX_ENDPOINTS:
        return [_too_many("endpoints", len(endpoints), MAX_ENDPOINTS)]
    found: list[Cause] = []
    for index, endpoint in enumerate(endpoints):
        path = f"endpoints[{index}]"
        if not endpoint.addresses:
            found.append(cause.required(f"{path}.addresses", "must contain at least 1 address"))
        elif len(endpoint.addresses) > MAX_ADDRESSES:
            found.append(_too_many(f"{path}.addresses", len(endpoint.addresses), MAX_ADDRESSES))
        for i, address in enumerate(endpoint.addresses):
            found += _validate_slice_address(address, endpoint_slice.address_type, f"{path}.addresses[{i}]")
        if endpoint.node_name is not None:
            found += [cause.invalid(f"{path}.nodeName", endpoint.node_name, msg)
                      for msg in is_dns1123_subdomain(endpoint.node_name)]
        if endpoint.deprecated_topology:
            found += validate_labels(endpoint.deprecated_topology, f"{path}.deprecatedTopology")
        if endpoint.hostname is not None:
            found += [cause.invalid(f"{path}.hostname", endpoint.hostname, msg)
                      for msg in is_dns1123_label(endpoint.hostname)]
    return found


def _validate_slice_address(address: str, address_type: str | None, path: str) -> list[Cause]:
    """Known address types only; Kubernetes leaves the addresses of an unknown one unchecked."""
    if address_type in ("IPv4", "IPv6"):
        parsed = parse_ip(address)
        if parsed is None or parsed.version != int(address_type[-1]):
            return [cause.invalid(path, address, f"must be a valid {address_type} address")]
        return non_special_ip_causes(address, path)
    if address_type == "FQDN":
        return [cause.invalid(path, address, msg) for msg in is_dns1123_subdomain(address)] or (
            [cause.invalid(path, address, "should be a domain with at least two segments separated by dots")]
            if "." not in address else [])
    return []


def _validate_slice_ports(ports: list[EndpointPort]) -> list[Cause]:
    if len(ports) > MAX_PORTS:
        return [_too_many("ports", len(ports), MAX_PORTS)]
    found: list[Cause] = []
    names: set[str] = set()
    for index, port in enumerate(ports):
        path = f"ports[{index}]"
        name = port.name or ""
        if name:
            found += [cause.invalid(f"{path}.name", name, msg) for msg in is_dns1123_label(name)]
        if name in names:
            found.append(cause.duplicate(f"{path}.name", name))
        names.add(name)
        if port.port is not None:
            found += [cause.invalid(f"{path}.port", port.port, msg) for msg in is_valid_port_num(port.port)]
        found += _protocol_and_app_protocol(port, path)
    return found


# --- shared


def _protocol_and_app_protocol(port: EndpointPort, path: str) -> list[Cause]:
    found: list[Cause] = []
    if not port.protocol:
        found.append(cause.required(f"{path}.protocol"))
    elif port.protocol not in PORT_PROTOCOLS:
        found.append(cause.not_supported(f"{path}.protocol", port.protocol, PORT_PROTOCOLS))
    if port.app_protocol is not None:
        found += [cause.invalid(f"{path}.appProtocol", port.app_protocol, msg)
                  for msg in is_qualified_name(port.app_protocol)]
    return found


def _too_many(path: str, count: int, limit: int) -> Cause:
    return {"reason": "FieldValueTooMany", "message": f"{path}: Too many: {count}: must have at most {limit} items",
            "field": path}
