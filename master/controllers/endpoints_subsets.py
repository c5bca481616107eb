"""A Service's core/v1 Endpoints subsets from its selected pods, packed as Kubernetes packs them.

    each pod in the Endpoints ─► its address (IP of the Service's family, node, the pod as targetRef)
    each (address, port) pair  ─► ready (addresses) or not (notReadyAddresses)
    repack ─► one subset per set of addresses that share the same ports, so

        subsets:
        - addresses: [10.88.0.2, 10.88.0.3]    notReadyAddresses: [10.88.0.4]
          ports: [{name: http, port: 8080, protocol: TCP}]
        - addresses: [10.88.0.5]               (a pod without the named port "metrics")
          ports: [...]

Addresses sort by IP then uid (endpoints.SortSubsets). Kubernetes sorts ports
and subsets by a hash of their Go value; here by name, number and protocol, so
the order is as stable, though not the same. More than MAX_CAPACITY addresses
are cut down, each subset keeping its share, ready ones first, and the object
says so in an annotation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from master.controllers.endpoints_membership import Member, Standing, should_set_hostname
from objects.endpoints import EndpointAddress, EndpointPort, EndpointSubset
from objects.meta import ObjectReference
from objects.service import Service

MAX_CAPACITY = 1000  # addresses one Endpoints object holds (the endpoints controller's maxCapacity)
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
TRUNCATED = "truncated"

_AddressKey = tuple[str, str]  # (IP, pod uid)
_PortKey = tuple[str, int, str, str]  # (name, number, protocol, appProtocol)
_NO_PORTS: _PortKey = ("", -1, "", "")  # a headless Service without ports: addresses alone


@dataclass
class _Packing:
    addresses: dict[_AddressKey, EndpointAddress]
    ready_by_port: dict[_PortKey, dict[_AddressKey, bool]]


def desired_subsets(service: Service, members: list[Member]) -> list[EndpointSubset]:
    """The subsets the Endpoints of `service` should hold, sorted; [] when no pod serves any port."""
    publish = bool(service.spec and service.spec.publish_not_ready_addresses)
    packing = _Packing({}, {})
    for member in members:
        if not (member.in_endpoints or (publish and member.standing == Standing.TERMINATING)):
            continue
        address = endpoint_address(service, member)
        if address is None:
            continue
        key = (address.ip or "", member.pod.uid)
        packing.addresses.setdefault(key, address)
        ready = publish or member.standing == Standing.READY
        ports = [_port_key(port.name, number, port.protocol, port.app_protocol) for port, number in member.ports]
        if is_headless_without_ports(service):
            ports = [_NO_PORTS]
        for port in ports:
            by_address = packing.ready_by_port.setdefault(port, {})
            by_address[key] = by_address.get(key, True) and ready  # not ready wins, as in RepackSubsets
    return _repack(packing)


def is_headless_without_ports(service: Service) -> bool:
    return service.is_headless and not service.ports


def endpoint_address(service: Service, member: Member) -> EndpointAddress | None:
    """The pod's address in the Service's IP family (its first family, IPv4 unless said otherwise)."""
    families = (service.spec.ip_families if service.spec else None) or []
    want_v6 = bool(families) and families[0] == "IPv6"
    ip = next((ip for ip in member.pod.pod_ips if (":" in ip) == want_v6), None)
    if ip is None:
        return None
    pod = member.pod
    return EndpointAddress(
        ip=ip, node_name=pod.node_name,
        hostname=pod.hostname if should_set_hostname(pod, service) else None,
        target_ref=ObjectReference(kind="Pod", namespace=pod.namespace, name=pod.name, uid=pod.uid))


def _port_key(name: str | None, number: int, protocol: str | None, app_protocol: str | None) -> _PortKey:
    return (name or "", number, protocol or "TCP", app_protocol or "")


def _repack(packing: _Packing) -> list[EndpointSubset]:
    """Ports that reach the same addresses, with the same readiness, share a subset."""
    groups: dict[frozenset, list[_PortKey]] = {}
    for port, by_address in packing.ready_by_port.items():
        groups.setdefault(frozenset(by_address.items()), []).append(port)
    subsets = []
    for members, ports in groups.items():
        ready = sorted((key for key, is_ready in members if is_ready))
        not_ready = sorted((key for key, is_ready in members if not is_ready))
        subsets.append(EndpointSubset(
            addresses=[packing.addresses[key] for key in ready] or None,
            not_ready_addresses=[packing.addresses[key] for key in not_ready] or None,
            ports=None if ports == [_NO_PORTS] else [_endpoint_port(port) for port in sorted(ports)]))
    return sorted(subsets, key=_subset_order)


def _endpoint_port(key: _PortKey) -> EndpointPort:
    name, number, protocol, app_protocol = key
    return EndpointPort(name=name or None, port=number, protocol=protocol, app_protocol=app_protocol or None)


def _subset_order(subset: EndpointSubset) -> tuple:
    ports = [(p.name or "", p.port or 0, p.protocol or "") for p in subset.ports or []]
    first = (subset.addresses or subset.not_ready_addresses or [EndpointAddress()])[0]
    return ports, first.ip or ""


def truncate(subsets: list[EndpointSubset]) -> bool:
    """Cut the subsets down to MAX_CAPACITY addresses in place; True when it had to (truncateEndpoints).

    Ready addresses are kept first: when they alone are too many, the not-ready
    go and the ready are cut; otherwise the not-ready fill what is left. Each
    subset keeps its share of the cut, rounded up, as long as room remains."""
    ready = sum(len(s.addresses or []) for s in subsets)
    not_ready = sum(len(s.not_ready_addresses or []) for s in subsets)
    if ready + not_ready <= MAX_CAPACITY:
        return False
    cut_ready = ready > MAX_CAPACITY
    room = MAX_CAPACITY if cut_ready else MAX_CAPACITY - ready
    total = ready if cut_ready else not_ready
    left = room
    for subset in subsets:
        held = subset.addresses if cut_ready else subset.not_ready_addresses
        share = min(math.ceil(room * len(held or []) / total), left)
        if cut_ready:
            subset.addresses = (subset.addresses or [])[:share] or None
            subset.not_ready_addresses = None
        else:
            subset.not_ready_addresses = (subset.not_ready_addresses or [])[:share] or None
        left -= share
    return True
