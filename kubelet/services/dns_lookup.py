"""What a cluster name stands for, looked up in the kubelet's catalog of Services and EndpointSlices.

    ClusterName ─► find_targets(catalog) ─► None      the name does not exist (NXDOMAIN)
                                          ─► []        it exists but holds nothing (NODATA)
                                          ─► [Target]  addresses or a CNAME, each with its port if it has one

The rules are those of the Kubernetes DNS specification as CoreDNS's kubernetes
plugin serves them:
- a ClusterIP Service: its cluster IPs, once per port the name's _port._proto selects;
- a headless Service (and any Service when the name starts with an endpoint's
  hostname): the ready endpoints' addresses, each owned by
  <hostname or dashed IP>.<svc>.<ns>.svc.<domain>; none ready means NXDOMAIN;
- an ExternalName Service: a CNAME to spec.externalName;
- a pod name 10-1-2-3.<ns>.pod.<domain>: that IP, unchecked (CoreDNS's `pods insecure`).

Where tinykube differs: the catalog holds no Namespaces, so a namespace "exists"
when it has a Service, and pod names are answered in any namespace.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kubelet.services.dns_names import Branch, ClusterName, dashed, pod_ip
from objects.endpoints import EndpointPort, EndpointSlice
from objects.service import HEADLESS, Service, ServicePort, ServiceType

DEFAULT_PROTOCOL = "TCP"  # what an unset Service or EndpointSlice port protocol means


class DnsCatalog(Protocol):
    """What cluster DNS reads. kubelet.services.catalog.ServiceCatalog satisfies it.

    Calls are quick, thread-safe reads of a local copy; nothing here waits on the API.
    `synced` is set once the copy is whole: before that the server answers cluster
    names SERVFAIL, since a NXDOMAIN from a half-listed catalog would be cached as true."""

    synced: threading.Event

    def service(self, namespace: str, name: str) -> Service | None:
        """The Service, or None when the catalog does not hold it."""

    def services(self) -> list[Service]:
        """Every Service in every namespace."""

    def slices(self, namespace: str, name: str) -> list[EndpointSlice]:
        """The EndpointSlices labelled kubernetes.io/service-name=<name> in the namespace."""

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call `callback` (no arguments, any thread, quickly) after the catalog changes."""


@dataclass(frozen=True)
class Target:
    """One thing a name resolves to: an address (A/AAAA) or another name (CNAME), and the port SRV names."""

    owner: str  # the name SRV records point at, e.g. web.default.svc.cluster.local
    host: str  # an IP address, or a DNS name for an ExternalName Service
    port: int | None = None  # None: the name has no port (a pod, an ExternalName, a portless headless Service)

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


def find_targets(catalog: DnsCatalog, name: ClusterName, domain: str) -> list[Target] | None:
    if name.branch is None or not name.namespace:
        return []  # the apex, "svc.<domain>", "pod.<domain>": names that exist and hold nothing
    if name.branch is Branch.POD:
        return _pod_targets(name, domain)
    if not name.service:
        return [] if namespace_known(catalog, name.namespace) else None
    service = catalog.service(name.namespace, name.service)
    if service is None:
        return None
    owner = f"{name.service}.{name.namespace}.svc.{domain}"
    if service.type == ServiceType.EXTERNAL_NAME:
        return _external_name_targets(service, name, owner)
    if service.is_headless or name.endpoint:
        return _endpoint_targets(catalog.slices(name.namespace, name.service), name, owner)
    return _cluster_ip_targets(service, name, owner)


def namespace_known(catalog: DnsCatalog, namespace: str) -> bool:
    return any(service.metadata.namespace == namespace for service in catalog.services())


def reverse_names(catalog: DnsCatalog, ip: str, domain: str) -> list[str]:
    """The cluster names an IP belongs to: Services whose cluster IP it is, then ready endpoints that have it."""
    names: list[str] = []
    for service in catalog.services():
        namespace, svc_name = service.metadata.namespace or "", service.metadata.name or ""
        owner = f"{svc_name}.{namespace}.svc.{domain}"
        if ip in cluster_ips(service):
            names.append(owner)
        for endpoint_slice in catalog.slices(namespace, svc_name):
            for endpoint in endpoint_slice.endpoints or []:
                if endpoint.ready and ip in endpoint.addresses:
                    names.append(f"{endpoint.hostname or dashed(ip)}.{owner}")
    return list(dict.fromkeys(names))


def cluster_ips(service: Service) -> list[str]:
    spec = service.spec
    if spec is None:
        return []
    ips = spec.cluster_ips or ([spec.cluster_ip] if spec.cluster_ip else [])
    return [ip for ip in ips if ip and ip != HEADLESS]


# ----- per kind of name


def _pod_targets(name: ClusterName, domain: str) -> list[Target] | None:
    if not name.service:
        return []  # "<ns>.pod.<domain>"
    if name.endpoint or name.port:
        return None
    ip = pod_ip(name.service)
    if ip is None:
        return None
    return [Target(owner=f"{name.service}.{name.namespace}.pod.{domain}", host=ip)]


def _external_name_targets(service: Service, name: ClusterName, owner: str) -> list[Target] | None:
    external = (service.spec.external_name if service.spec else None) or ""
    if name.endpoint or not external:
        return None
    try:
        ipaddress.ip_address(external)
        return None  # an address is not a name a CNAME may point at; CoreDNS serves nothing for it
    except ValueError:
        return [Target(owner=owner, host=external.rstrip("."))]


def _cluster_ip_targets(service: Service, name: ClusterName, owner: str) -> list[Target] | None:
    ports = [port for port in service.ports if _port_matches(name, port.name, _protocol(port))]
    if not ports:
        return None
    return [Target(owner=owner, host=ip, port=port.port) for port in ports for ip in cluster_ips(service)]


def _endpoint_targets(slices: list[EndpointSlice], name: ClusterName, owner: str) -> list[Target] | None:
    targets: list[Target] = []
    for endpoint_slice in slices:
        if endpoint_slice.address_type == "FQDN":
            continue  # never written by the controller; CoreDNS does not serve them either
        ports: list[EndpointPort | None] = list(endpoint_slice.ports or []) or [None]
        for endpoint in endpoint_slice.endpoints or []:
            if not endpoint.ready:
                continue
            for address in endpoint.addresses:
                hostname = endpoint.hostname or dashed(address)
                if name.endpoint and name.endpoint != hostname.lower():
                    continue
                for port in ports:
                    if port is None:
                        if not name.port and not name.protocol:
                            targets.append(Target(owner=f"{hostname}.{owner}", host=address))
                    elif _port_matches(name, port.name, port.protocol or DEFAULT_PROTOCOL):
                        targets.append(Target(owner=f"{hostname}.{owner}", host=address, port=port.port))
    return targets or None


def _protocol(port: ServicePort) -> str:
    return port.protocol or DEFAULT_PROTOCOL


def _port_matches(name: ClusterName, port_name: str | None, protocol: str) -> bool:
    """An unset part of the name matches any port; a set one matches case-insensitively."""
    return ((not name.port or name.port == (port_name or "").lower())
            and (not name.protocol or name.protocol == protocol.lower()))
