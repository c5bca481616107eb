"""The nat and filter rules that make Service addresses work inside one pod's network namespace.

kube-proxy's iptables mode, rendered for a pod's own netns (a pod's traffic leaves
its netns straight onto the Docker network, so there is no node namespace to put
the rules in). Only our own chains are written; OUTPUT gets one jump to each:

    nat OUTPUT ─► TINYKUBE-SERVICES
                    -d <cluster DNS IP> -p udp|tcp --dport 53 ─► DNAT 127.0.0.1:<the pod's DNS socket>
                    -d <clusterIP> -p tcp --dport 80   ─► TK-SVC-<hash>   (one chain per Service port)
                    -d <node IP>   -p tcp --dport 3xxxx ─► TK-SVC-<hash>  (NodePort, every node's non-loopback IP)
                  TK-SVC-<hash>
                    -m statistic --mode random --probability 1/3 ─► TK-SEP-<hash of endpoint 1>
                    -m statistic --mode random --probability 1/2 ─► TK-SEP-<hash of endpoint 2>
                                                                ─► TK-SEP-<hash of endpoint 3>
                  TK-SEP-<hash>  ─► DNAT <pod IP>:<targetPort>

    filter OUTPUT ─► TINYKUBE-SERVICES
                    -d <clusterIP> -p tcp --dport 80 ─► REJECT   (every Service port: reached only by
                                                                 packets no DNAT took, so with no endpoint)

The filter table sees a packet after nat has rewritten it, so only packets that
no DNAT rule took reach the REJECT rules, as in kube-proxy.

Everything here is pure: `routes_from(catalog)` reads the catalog once,
`render(...)` turns routes into the chains a pod should hold, `restore_input`
into iptables-restore --noflush input that writes only what changed, and chain
names are stable hashes, so rendering the same catalog twice gives the same rules.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import typing
from collections.abc import Collection
from dataclasses import dataclass

from objects.service import DNS_PORT, HEADLESS, Protocol, Service, ServiceType

SERVICES_CHAIN = "TINYKUBE-SERVICES"
SERVICE_CHAIN_PREFIX = "TK-SVC-"
ENDPOINT_CHAIN_PREFIX = "TK-SEP-"
OUR_CHAIN_PREFIXES = (SERVICES_CHAIN, SERVICE_CHAIN_PREFIX, ENDPOINT_CHAIN_PREFIX)
ROUTED_PROTOCOLS = (Protocol.TCP, Protocol.UDP)  # iptables-nft in a pod has no sctp match everywhere


@dataclass(frozen=True)
class PortRoute:
    """One Service port and where its traffic goes right now."""

    namespace: str
    service: str
    port_name: str
    protocol: str  # TCP or UDP
    cluster_ip: str
    port: int
    node_port: int = 0  # 0 unless the Service is NodePort/LoadBalancer
    endpoints: tuple[tuple[str, int], ...] = ()  # ready (pod IP, target port), sorted

    @property
    def label(self) -> str:
        """`ns/name:port`, kube-proxy's ServicePortName, shown as each rule's comment."""
        return f"{self.namespace}/{self.service}:{self.port_name}" if self.port_name \
            else f"{self.namespace}/{self.service}"


@dataclass(frozen=True)
class DnsRedirect:
    """Send <cluster_ip>:53 (udp and tcp) to the node-local DNS socket on the pod's loopback."""

    cluster_ip: str
    local_port: int


Chains = dict[str, tuple[str, ...]]  # chain -> its rules, in order


@dataclass(frozen=True)
class RuleSet:
    """Our chains in each table (nat, filter) and their rules: what one pod's namespace should hold."""

    tables: dict[str, Chains]

    @property
    def chains(self) -> dict[str, frozenset[str]]:
        return {table: frozenset(chains) for table, chains in self.tables.items()}


class Catalog(typing.Protocol):
    """The two reads of kubelet.services.catalog.ServiceCatalog that routes_from needs."""

    def services(self) -> list[Service]: ...

    def ready_endpoints(self, namespace: str, name: str, port_name: str | None = "") -> list[tuple[str, int]]: ...


def routes_from(catalog: Catalog) -> list[PortRoute]:
    """Every routable Service port: one with a cluster IP (not headless, not ExternalName), TCP or UDP."""
    routes = []
    for service in catalog.services():
        spec = service.spec
        if spec is None or not spec.cluster_ip or spec.cluster_ip == HEADLESS:
            continue
        if service.type == ServiceType.EXTERNAL_NAME:
            continue
        namespace, name = service.metadata.namespace or "", service.metadata.name or ""
        with_node_port = service.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER)
        for port in service.ports:
            protocol = port.protocol or Protocol.TCP
            if protocol not in ROUTED_PROTOCOLS or not port.port:
                continue
            endpoints = tuple(catalog.ready_endpoints(namespace, name, port.name or ""))
            routes.append(PortRoute(namespace, name, port.name or "", protocol, spec.cluster_ip, port.port,
                                    (port.node_port or 0) if with_node_port else 0, endpoints))
    return sorted(routes, key=lambda r: (r.namespace, r.service, r.port_name, r.protocol))


def render(routes: list[PortRoute], *, node_ips: tuple[str, ...] = (), dns: DnsRedirect | None = None) -> RuleSet:
    """The rules one pod's namespace should hold."""
    nat: dict[str, list[str]] = {SERVICES_CHAIN: []}
    filter_: dict[str, list[str]] = {SERVICES_CHAIN: []}
    if dns is not None:
        for protocol in ("udp", "tcp"):
            nat[SERVICES_CHAIN].append(f"-A {SERVICES_CHAIN} -d {dns.cluster_ip}/32 -p {protocol} --dport {DNS_PORT} "
                                       f'-m comment --comment "cluster DNS" '
                                       f"-j DNAT --to-destination 127.0.0.1:{dns.local_port}")
    for route in routes:
        if dns is not None and route.cluster_ip == dns.cluster_ip and route.port == DNS_PORT:
            continue  # kube-dns: answered by the node-local DNS socket above, not by endpoints
        protocol = route.protocol.lower()
        destinations = [(route.cluster_ip, route.port)]
        if route.node_port:
            destinations += [(node_ip, route.node_port) for node_ip in node_ips if _routable_node_ip(node_ip)]
        comment = f'-m comment --comment "{route.label}"'
        # Every Service port is rejected in filter, endpoints or not: a packet nat DNATed no longer has
        # this destination by then. Kept whatever the endpoints, the REJECT is never missing while nat,
        # a separate commit, drops a port's last endpoint (a connection in that gap would hang, unanswered).
        filter_[SERVICES_CHAIN] += [f"-A {SERVICES_CHAIN} -d {address}/32 -p {protocol} --dport {port} {comment} "
                                    f"-j REJECT" for address, port in destinations]
        if not route.endpoints:
            continue
        service_chain = chain_name(SERVICE_CHAIN_PREFIX, route.label, route.protocol)
        nat[SERVICES_CHAIN] += [f"-A {SERVICES_CHAIN} -d {address}/32 -p {protocol} --dport {port} {comment} "
                                f"-j {service_chain}" for address, port in destinations]
        nat[service_chain] = []
        count = len(route.endpoints)
        for index, (ip, target_port) in enumerate(route.endpoints):
            endpoint_chain = chain_name(ENDPOINT_CHAIN_PREFIX, route.label, route.protocol, f"{ip}:{target_port}")
            remaining = count - index
            chance = f"-m statistic --mode random --probability {1 / remaining:0.10f} " if remaining > 1 else ""
            nat[service_chain].append(f"-A {service_chain} {comment} {chance}-j {endpoint_chain}")
            nat[endpoint_chain] = [f"-A {endpoint_chain} {comment} -p {protocol} "
                                   f"-j DNAT --to-destination {ip}:{target_port}"]
    return RuleSet({"nat": {chain: tuple(rules) for chain, rules in nat.items()},
                    "filter": {chain: tuple(rules) for chain, rules in filter_.items()}})


def restore_input(wanted: RuleSet, *, previous: RuleSet | None = None, present: dict[str, set[str]] | None = None,
                  add_jumps: Collection[str] = ()) -> str:
    """iptables-restore --noflush input taking a namespace to `wanted`.

    With `previous` (what the last input wrote), only chains whose rules changed are written, as in
    kube-proxy's partial syncs: a change to one Service rewrites TINYKUBE-SERVICES and that Service's
    chains, not every chain. Without it, every chain is written. Chains of ours that `previous` had, or
    that `present` names (read back from the namespace), and `wanted` lacks are flushed and deleted in
    the same transaction, after whatever referred to them is rewritten. `add_jumps` names the tables
    whose OUTPUT jump to ours is to be inserted: --noflush never replaces a rule, so only those whose
    jump is not there yet.
    """
    text = []
    for table, chains in wanted.tables.items():
        before = previous.tables.get(table, {}) if previous is not None else {}
        changed = [chain for chain, rules in chains.items() if previous is None or before.get(chain) != rules]
        gone = sorted((set(before) | set((present or {}).get(table, ()))) - set(chains))
        if not changed and not gone and table not in add_jumps:
            continue
        lines = [f"*{table}"]
        lines += [f":{chain} - [0:0]" for chain in [*changed, *gone]]  # declaring a chain flushes it
        if table in add_jumps:
            lines.append(f"-I OUTPUT 1 -j {SERVICES_CHAIN}")
        for chain in changed:
            lines += chains[chain]
        lines += [f"-X {chain}" for chain in gone]
        lines.append("COMMIT")
        text.append("\n".join(lines) + "\n")
    return "".join(text)


def removal(chains: dict[str, set[str]], *, jumps: bool) -> str:
    """iptables-restore --noflush input that removes our chains (and the OUTPUT jumps, when there)."""
    text = []
    for table, names in chains.items():
        if not names:
            continue
        lines = [f"*{table}"]
        lines += [f":{name} - [0:0]" for name in sorted(names)]  # declaring a chain flushes it
        if jumps and SERVICES_CHAIN in names:
            lines.append(f"-D OUTPUT -j {SERVICES_CHAIN}")
        lines += [f"-X {name}" for name in sorted(names)]
        lines.append("COMMIT")
        text.append("\n".join(lines) + "\n")
    return "".join(text)


def _routable_node_ip(address: str) -> bool:
    """A node IP a pod can mean: not a loopback one (a node registered as 127.0.0.1, as test kubelets are,
    would otherwise turn the pod's own localhost:<nodePort> into the Service), and an IPv4 address."""
    try:
        return not ipaddress.IPv4Address(address).is_loopback
    except ValueError:
        return False


def chain_name(prefix: str, *parts: str) -> str:
    """A stable chain name: prefix and 16 base32 characters of a hash, as kube-proxy names its chains
    (the whole name stays under iptables' 28 characters)."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:16]


def ours(chain: str) -> bool:
    return chain.startswith(OUR_CHAIN_PREFIXES)
