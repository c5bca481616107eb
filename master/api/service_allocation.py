"""Service allocations: the virtual IPs (spec.clusterIPs) and node ports (spec.ports[].nodePort) Services hold.

Two pools, each a range from the master's flags:

    cluster IPs  --service-cluster-ip-range 10.96.0.0/12   (never its network or broadcast address)
    node ports   --service-node-port-range  30000-32767

What is taken is what the stored Services hold. The pools read the store's
Services when the master starts and then follow its every committed write (a
watch-hub subscription), so a Service deleted by any path (kubectl, its
namespace going, the garbage collector) or updated to a type without node ports
frees its values, and nothing can leak. Between admission and the store's write
a request's picks are only *reserved*, so two requests never pick the same
value; the reservation ends with the request, stored or not (a refused or a
dry-run create never holds anything):

    registry: reserve(new, old) ─► validate ─► store write ─► hub event: the Service holds its values
                 └─────────────── finally: release the reservation ───────────────┘

As in kube-apiserver, the low band of each range (the first 256 addresses of a
large CIDR, the first 86 ports of the default range) is left to values asked
for by name, such as the `kubernetes` Service's 10.96.0.1: a value picked by the
server comes from the upper band, at random, and from the lower band only when
the upper one is full.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from master.api import status
from master.api.strategy import needs_cluster_ip, needs_health_check, needs_node_ports
from master.api.validation import causes as cause
from master.api.validation.causes import GoValue, go_string_slice
from master.api.validation.services import is_headless, validate_cluster_ips
from master.store import SqlStore, WatchEvent
from objects.kinds import SERVICE
from objects.service import HEADLESS, Service, ServiceSpec, ServiceType

log = logging.getLogger(__name__)

ALREADY_ALLOCATED_IP = "provided IP is already allocated"
ALREADY_ALLOCATED_PORT = "provided port is already allocated"
RANGE_FULL = "range is full"
RANDOM_TRIES = 64  # then scan: a pool this full is rare, and a scan always ends


@dataclass
class Pool:
    """One range of values (ports, or addresses as integers) and who holds which.

    `held` is what stored Services hold (by Service key), `reserved` what requests
    in flight picked; a value is free when it is in neither. Not thread-safe on its
    own: ServiceAllocator guards both pools with one lock.
    """

    first: int
    last: int
    static_band: int  # values below first + static_band are left to explicit requests
    rng: random.Random
    held: dict[str, set[int]] = field(default_factory=dict)
    holders: dict[int, int] = field(default_factory=dict)  # value -> how many Services hold it
    reserved: set[int] = field(default_factory=set)

    def contains(self, value: int) -> bool:
        return self.first <= value <= self.last

    def taken(self, value: int) -> bool:
        return value in self.holders or value in self.reserved

    def hold(self, key: str, values: set[int]) -> None:
        """`key` now holds exactly `values` (none: it was deleted)."""
        for value in self.held.pop(key, set()):
            self.holders[value] -= 1
            if not self.holders[value]:
                del self.holders[value]
        if values:
            self.held[key] = values
            for value in values:
                self.holders[value] = self.holders.get(value, 0) + 1

    def pick(self) -> int | None:
        """A free value from the upper band if it has one, else from the lower; None when full."""
        upper_first = min(self.first + self.static_band, self.last)
        for low, high in ((upper_first, self.last), (self.first, upper_first - 1)):
            if low > high:
                continue
            for _ in range(RANDOM_TRIES):
                candidate = self.rng.randint(low, high)
                if not self.taken(candidate):
                    return candidate
            start = self.rng.randint(low, high)
            for offset in range(high - low + 1):
                candidate = low + (start - low + offset) % (high - low + 1)
                if not self.taken(candidate):
                    return candidate
        return None


class Reservation:
    """The values one request picked, theirs until `release` (called once the write is stored or refused)."""

    def __init__(self, allocator: ServiceAllocator):
        self._allocator = allocator
        self.ips: list[int] = []
        self.ports: list[int] = []

    def release(self) -> None:
        self._allocator.release(self)
        self.ips, self.ports = [], []


class ServiceAllocator:
    """Fills in a Service's clusterIPs, ipFamilies, ipFamilyPolicy and node ports, as kube-apiserver's
    Service storage does before it validates (pkg/registry/core/service/storage/alloc.go).

    `reserve(service, old)` is called by the registry with the Service defaulted and
    prepared: it allocates what the Service needs and has not got, checks what it
    asks for by value, and raises a 422 Status naming the field when a value cannot
    be had (422 "is invalid", or 500 when a pool is full, as the apiserver answers).
    """

    def __init__(self, store: SqlStore, *, cluster_ip_range: str, node_port_range: str, seed: int | None = None):
        self.network = parse_service_cidr(cluster_ip_range)
        self.family = "IPv4" if self.network.version == 4 else "IPv6"
        first_port, last_port = parse_port_range(node_port_range)
        self.port_range_text = f"{first_port}-{last_port}"
        rng = random.Random(seed)
        first_ip, last_ip = _usable_addresses(self.network)
        self.ips = Pool(first_ip, last_ip, _static_band(last_ip - first_ip + 1, cap=256, step=16), rng)
        self.ports = Pool(first_port, last_port, _static_band(last_port - first_port + 1, cap=128, step=32), rng)
        self._lock = threading.Lock()
        # Subscribe before reading, so no write falls between the two; a write seen twice is
        # harmless, since each event says everything its Service holds.
        self._subscription = store.subscribe(SERVICE.group_resource, self._on_write)
        services, _ = store.list(SERVICE.group_resource)
        for stored in services:
            self._hold(stored)

    def close(self) -> None:
        self._subscription.close()

    # ----- the registry's hook

    def reserve(self, service: Service, old: Service | None) -> Reservation:
        reservation = Reservation(self)
        try:
            spec = service.spec = service.spec or ServiceSpec()
            name = service.metadata.name or ""
            self._init_ip_families(name, spec, old.spec if old else None)
            self._allocate_cluster_ips(name, spec, old.spec if old else None, reservation)
            self._allocate_node_ports(name, spec, old.spec if old else None, reservation)
        except BaseException:
            reservation.release()
            raise
        return reservation

    def release(self, reservation: Reservation) -> None:
        with self._lock:
            self.ips.reserved.difference_update(reservation.ips)
            self.ports.reserved.difference_update(reservation.ports)

    # ----- what the store holds

    def _on_write(self, event: WatchEvent) -> None:
        if event.type == "DELETED":
            with self._lock:
                self.ips.hold(_key(event.object), set())
                self.ports.hold(_key(event.object), set())
        else:
            self._hold(event.object)

    def _hold(self, stored: dict) -> None:
        spec = stored.get("spec") or {}
        ips = set()
        for text in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []):
            address = _address(text)
            if address is not None and address in self.network:
                ips.add(int(address))
            elif address is not None:
                log.warning("Service %s holds %s, outside the service range %s", _key(stored), text, self.network)
        ports = {port["nodePort"] for port in spec.get("ports") or [] if port.get("nodePort")}
        if spec.get("healthCheckNodePort"):
            ports.add(spec["healthCheckNodePort"])
        with self._lock:
            self.ips.hold(_key(stored), ips)
            self.ports.hold(_key(stored), {port for port in ports if self.ports.contains(port)})

    # ----- IP families (a single-stack cluster: one family, the service range's)

    def _init_ip_families(self, name: str, spec: ServiceSpec, old: ServiceSpec | None) -> None:
        """ipFamilyPolicy and ipFamilies, from what the Service asks and what this cluster has
        (the single-stack half of Kubernetes' initIPFamilyFields)."""
        if spec.type == ServiceType.EXTERNAL_NAME:
            return
        if spec.ip_family_policy is None:
            if old is not None and old.ip_family_policy is not None:
                spec.ip_family_policy = old.ip_family_policy
            elif spec.cluster_ip == HEADLESS and not spec.selector:
                spec.ip_family_policy = "RequireDualStack"  # headless and selector-less: any family will do
            else:
                spec.ip_family_policy = "SingleStack"
        found = validate_cluster_ips(spec)
        if found:
            raise status.invalid(SERVICE, name, found)
        ips = spec.cluster_ips or []
        families = spec.ip_families = list(spec.ip_families or [])
        if spec.ip_family_policy == "SingleStack":
            if len(ips) == 2:
                found.append(cause.invalid("spec.ipFamilyPolicy", spec.ip_family_policy, "must be 'RequireDualStack' "
                                           "or 'PreferDualStack' when multiple cluster IPs are specified"))
            if len(families) == 2:
                found.append(cause.invalid("spec.ipFamilyPolicy", spec.ip_family_policy, "must be 'RequireDualStack' "
                                           "or 'PreferDualStack' when multiple IP families are specified"))
        for index, ip in enumerate(ips):
            if ip == HEADLESS:
                break
            family = "IPv4" if ipaddress.ip_address(ip).version == 4 else "IPv6"
            if index >= len(families):
                if family != self.family:
                    found.append(cause.invalid(f"spec.clusterIPs[{index}]", _go_strings(ips),
                                               f"{family} is not configured on this cluster"))
                else:
                    families.append(family)
        if found:
            raise status.invalid(SERVICE, name, found)
        if spec.cluster_ip == HEADLESS and not spec.selector:
            families[:] = families or [self.family]
            if len(families) < 2 and spec.ip_family_policy != "SingleStack":
                families.append("IPv6" if families[0] == "IPv4" else "IPv4")
            return
        if spec.ip_family_policy == "RequireDualStack":
            found.append(cause.invalid("spec.ipFamilyPolicy", spec.ip_family_policy,
                                       "this cluster is not configured for dual-stack services"))
        found += [cause.invalid(f"spec.ipFamilies[{index}]", family, "not configured on this cluster")
                  for index, family in enumerate(families) if family != self.family]
        if found:
            raise status.invalid(SERVICE, name, found)
        families[:] = families or [self.family]

    # ----- cluster IPs

    def _allocate_cluster_ips(self, name: str, spec: ServiceSpec, old: ServiceSpec | None,
                              reservation: Reservation) -> None:
        """A new Service's address, or one that stops being ExternalName; otherwise addresses never
        change (validation says so), so an update allocates nothing."""
        if not needs_cluster_ip(spec) or is_headless(spec):
            return
        if old is not None and needs_cluster_ip(old):
            return
        wanted = spec.cluster_ips[0] if spec.cluster_ips else ""
        with self._lock:
            if not wanted:
                picked = self.ips.pick()
                if picked is None:
                    raise status.internal(f"failed to allocate a serviceIP: {RANGE_FULL}")
                address = str(ipaddress.ip_address(picked))
            else:
                address, picked = wanted, int(ipaddress.ip_address(wanted))
                problem = None
                if not self.ips.contains(picked):
                    problem = (f"the provided IP ({wanted}) is not in the valid range. "
                               f"The range of valid IPs is {self.network}")
                elif self.ips.taken(picked):
                    problem = ALREADY_ALLOCATED_IP
                if problem:
                    detail = f"failed to allocate IP {wanted}: {problem}"
                    raise status.invalid(SERVICE, name, [
                        cause.invalid("spec.clusterIPs", _go_strings(spec.cluster_ips), detail)])
            self.ips.reserved.add(picked)
            reservation.ips.append(picked)
        spec.cluster_ips = [address, *(spec.cluster_ips or [])[1:]]
        spec.cluster_ip = address

    # ----- node ports

    def _allocate_node_ports(self, name: str, spec: ServiceSpec, old: ServiceSpec | None,
                             reservation: Reservation) -> None:
        """Each port of a NodePort or LoadBalancer Service gets one; a port asked for by number must be
        free and in range (unless this very Service already holds it)."""
        if not needs_node_ports(spec):
            return
        already_held = {port.node_port for port in (old.ports or [])} if old and needs_node_ports(old) else set()
        allocate_new = spec.type != ServiceType.LOAD_BALANCER or spec.allocate_load_balancer_node_ports is not False
        by_service_port: dict[int, int] = {}  # a create gives 53/TCP and 53/UDP one node port, as Kubernetes does
        with self._lock:
            for index, port in enumerate(spec.ports or []):
                if not port.node_port and not allocate_new:
                    continue
                if not port.node_port and old is None and port.port in by_service_port:
                    port.node_port = by_service_port[port.port]
                    continue
                if port.node_port:
                    if port.node_port not in already_held and port.node_port not in reservation.ports:
                        self._take_port(name, port.node_port, f"spec.ports[{index}].nodePort", reservation)
                else:
                    port.node_port = self._next_port(reservation, what="a nodePort")
                by_service_port.setdefault(port.port or 0, port.node_port)
            if needs_health_check(spec):
                kept = old is not None and needs_health_check(old) and old.health_check_node_port
                if not spec.health_check_node_port:
                    spec.health_check_node_port = self._next_port(reservation, what="a HealthCheck NodePort")
                elif spec.health_check_node_port != kept:
                    self._take_port(name, spec.health_check_node_port, "spec.healthCheckNodePort", reservation)

    def _take_port(self, name: str, port: int, path: str, reservation: Reservation) -> None:
        if not self.ports.contains(port):
            problem = f"provided port is not in the valid range. The range of valid ports is {self.port_range_text}"
        elif self.ports.taken(port):
            problem = ALREADY_ALLOCATED_PORT
        else:
            self.ports.reserved.add(port)
            reservation.ports.append(port)
            return
        raise status.invalid(SERVICE, name, [cause.invalid(path, port, problem)])

    def _next_port(self, reservation: Reservation, *, what: str) -> int:
        picked = self.ports.pick()
        if picked is None:
            raise status.internal(f"failed to allocate {what}: {RANGE_FULL}")
        self.ports.reserved.add(picked)
        reservation.ports.append(picked)
        return picked


# --- the flags


def parse_service_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """--service-cluster-ip-range: one CIDR (a single-stack cluster)."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"--service-cluster-ip-range: {text!r} is not a CIDR such as 10.96.0.0/12") from None
    if network.num_addresses < 4:
        raise ValueError(f"--service-cluster-ip-range: {text!r} is too small to allocate from")
    return network


def parse_port_range(text: str) -> tuple[int, int]:
    """--service-node-port-range as Kubernetes reads it: `30000-32767`, `30000+2767` or one port."""
    spec = text.strip()
    try:
        if "-" in spec:
            low, high = (int(part) for part in spec.split("-", 1))
        elif "+" in spec:
            low, extra = (int(part) for part in spec.split("+", 1))
            high = low + extra
        else:
            low = high = int(spec)
    except ValueError:
        raise ValueError(f"--service-node-port-range: {text!r} is not a range such as 30000-32767") from None
    if not 0 < low <= high <= 65535:
        raise ValueError(f"--service-node-port-range: {text!r} is not a range of ports")
    return low, high


def _usable_addresses(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int]:
    """The network address is never handed out, nor an IPv4 range's broadcast address."""
    first = int(network.network_address) + 1
    last = int(network.broadcast_address) - (1 if network.version == 4 else 0)
    return first, last


def _static_band(size: int, *, cap: int, step: int, least: int = 16) -> int:
    """How many of the lowest values dynamic allocation leaves alone (Kubernetes' calculateRangeOffset)."""
    if size < least:
        return 0
    return max(least, min(cap, size // step))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if text == HEADLESS:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _key(stored: dict) -> str:
    meta = stored.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _go_strings(values: Iterable[str] | None) -> GoValue:
    return GoValue(go_string_slice(list(values) if values is not None else None))
