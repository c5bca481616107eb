"""The two Services every cluster has, created at master start and put right whenever they drift.

    default/kubernetes    ClusterIP = the service range's first host (10.96.0.1), port 443 "https"
                          -> targetPort = the API server's port; its Endpoints and EndpointSlice
                          name the master's advertised address, so pods reach the API at
                          https://kubernetes.default.svc (and kubectl cluster-info finds it)
    kube-system/kube-dns  ClusterIP = the tenth host (10.96.0.10), dns 53/UDP and dns-tcp 53/TCP,
                          selector-less and without endpoints: every node serves cluster DNS itself,
                          and its data path sends this address there

Both go through the registry like any client's write (defaults, allocation of
the address asked for, validation), as kube-apiserver's own controller writes
them. The master keeps the `kubernetes` Endpoints itself: the endpoints
controllers leave selector-less Services alone.

    master start ──► DefaultServices.ensure()         before the first request is served
    lifespan ──────► DefaultServices.keep(interval)   ensure() again every 10 s, so a deleted or
                                                      edited Service is back within one interval
                                                      (kube-apiserver's bootstrap controller)

A finding that stays true (a loopback master, an address taken by another
Service) is logged once, not at every round.

The advertised address is the one other machines reach the master at: the
--bind address, or for a wildcard bind (0.0.0.0) the address of the interface
the default route leaves by, which in the compose cluster is the master
container's address on the cluster network, the one the kubelets reach as
`master` (kube-apiserver's --advertise-address defaults the same way). A master
bound to loopback has none that a pod could reach; Kubernetes refuses loopback
endpoints, so it then keeps its Service without them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket

from starlette.concurrency import run_in_threadpool

from master.api import status
from master.api.registry import Registry
from master.api.service_allocation import parse_service_cidr
from objects.endpoints import (
    SERVICE_NAME_LABEL, Endpoint, EndpointAddress, EndpointConditions, EndpointPort, Endpoints, EndpointSlice,
    EndpointSubset,
)
from objects.kinds import ENDPOINT_SLICE, ENDPOINTS, SERVICE, ResourceType
from objects.meta import ObjectMeta
from objects.service import DNS_PORT, Service, ServicePort, ServiceSpec

log = logging.getLogger(__name__)

KUBERNETES = "kubernetes"
KUBE_DNS = "kube-dns"
HTTPS_PORT = 443
KUBERNETES_HOST_INDEX = 1  # the service range's first host
KUBE_DNS_HOST_INDEX = 10  # kubeadm's choice, which every kubelet's --cluster-dns follows
# kube-apiserver marks its Endpoints so the mirroring controller makes no second slice of them.
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"
# Where `kubectl cluster-info` looks: Services in kube-system with this label, named by kubernetes.io/name.
CLUSTER_SERVICE_LABEL = "kubernetes.io/cluster-service"
_ROUTE_PROBE = ("1.1.1.1", 9)  # any public address: a UDP connect picks the route to it and sends nothing


REPAIR_INTERVAL_SECONDS = 10.0  # kube-apiserver's bootstrap controller reconciles this often


class DefaultServices:
    """Keeps `kubernetes` (with its endpoints at advertised:api_port) and `kube-dns` as they should be."""

    def __init__(self, registry: Registry, *, service_cidr: str, api_port: int, advertised: str):
        self.registry = registry
        network = parse_service_cidr(service_cidr)
        self.kubernetes = kubernetes_service(kubernetes_service_ip(service_cidr), api_port)
        self.kube_dns = kube_dns_service(str(network.network_address + KUBE_DNS_HOST_INDEX))
        address = ipaddress.ip_address(advertised)
        self.reachable = not (address.is_loopback or address.is_unspecified)
        self.advertised, self.api_port = advertised, api_port
        self._said: set[str] = set()

    def ensure(self) -> None:
        """Create or repair both Services and the `kubernetes` endpoints.

        A refusal (an address taken by a Service someone else created meanwhile) is logged, not
        raised: the master serves without that Service rather than not at all, as kube-apiserver does."""
        self._logging_refusals(self._ensure_service, self.kubernetes)
        self._logging_refusals(self._ensure_service, self.kube_dns)
        if not self.reachable:
            self._say(logging.INFO, f"the master advertises {self.advertised}, which no pod can reach: the "
                                    "kubernetes Service has no endpoints (bind the master to an address pods reach)")
            return
        self._logging_refusals(_ensure, self.registry, ENDPOINTS, "default",
                               kubernetes_endpoints(self.advertised, self.api_port), _same_subsets)
        self._logging_refusals(_ensure, self.registry, ENDPOINT_SLICE, "default",
                               kubernetes_endpoint_slice(self.advertised, self.api_port), _same_slice)

    async def keep(self, interval: float = REPAIR_INTERVAL_SECONDS) -> None:
        """ensure() every `interval` seconds, for as long as the task runs (the master's lifespan)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await run_in_threadpool(self.ensure)
            except Exception:  # the loop outlives one failed round (the store busy, say)
                log.exception("could not check the master's own Services; trying again in %.0fs", interval)

    def _ensure_service(self, wanted: Service) -> None:
        """Missing: create it. Present: its type, ports and labels are put back; its address cannot move
        (a changed service range needs the Service deleted, as in Kubernetes), so that is only reported."""
        registry, meta = self.registry, wanted.metadata
        current = _get(registry, SERVICE, meta.namespace, meta.name)
        if current is None:
            _create(registry, SERVICE, wanted)
            return
        stored = Service.model_validate(current)
        spec = stored.spec or ServiceSpec()
        if spec.cluster_ip != wanted.spec.cluster_ip:
            self._say(logging.WARNING, f"Service {meta.namespace}/{meta.name} has clusterIP {spec.cluster_ip}, "
                                       f"not {wanted.spec.cluster_ip}: delete it to have it recreated in the "
                                       "service range")
        labels = {**(stored.metadata.labels or {}), **(meta.labels or {})}
        if spec.type == wanted.spec.type and spec.ports == wanted.spec.ports and labels == stored.metadata.labels:
            return
        spec.type, spec.ports, stored.metadata.labels = wanted.spec.type, wanted.spec.ports, labels
        registry.update(SERVICE, meta.namespace, meta.name, stored.to_wire(), field_validation="Strict")
        log.info("put Service %s/%s back as the master keeps it", meta.namespace, meta.name)

    def _logging_refusals(self, step, *args) -> None:
        try:
            step(*args)
        except status.ApiError as error:
            self._say(logging.ERROR, f"could not keep the master's own Services as they should be: {error.message}")

    def _say(self, level: int, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            log.log(level, "%s", message)


def ensure_default_services(registry: Registry, *, service_cidr: str, api_port: int, advertised: str) -> None:
    """One round of DefaultServices.ensure() (see there)."""
    DefaultServices(registry, service_cidr=service_cidr, api_port=api_port, advertised=advertised).ensure()


def kubernetes_service_ip(service_cidr: str) -> str:
    """The `kubernetes` Service's ClusterIP: the service range's first host (also a server certificate SAN)."""
    return str(parse_service_cidr(service_cidr).network_address + KUBERNETES_HOST_INDEX)


def advertised_address(bind: str) -> str:
    """The address other machines reach a master bound to `bind` at (see the module docstring)."""
    try:
        address = ipaddress.ip_address(bind)
    except ValueError:
        try:
            return socket.gethostbyname(bind)  # a name: what it resolves to here
        except OSError:
            return "127.0.0.1"  # unresolvable: the master cannot listen there either
    if not address.is_unspecified:
        return str(address)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            return probe.getsockname()[0]
    except OSError:  # no default route: the address this host's name resolves to
        try:
            return socket.gethostbyname(socket.gethostname())
        except OSError:
            return "127.0.0.1"


# --- the objects


def kubernetes_service(cluster_ip: str, api_port: int) -> Service:
    return Service(
        metadata=ObjectMeta(name=KUBERNETES, namespace="default",
                            labels={"component": "apiserver", "provider": "kubernetes"}),
        spec=ServiceSpec(type="ClusterIP", cluster_ip=cluster_ip, session_affinity="None",
                         ports=[ServicePort(name="https", port=HTTPS_PORT, protocol="TCP", target_port=api_port)]),
    )


def kube_dns_service(cluster_ip: str) -> Service:
    return Service(
        metadata=ObjectMeta(name=KUBE_DNS, namespace="kube-system", labels={
            "k8s-app": KUBE_DNS, CLUSTER_SERVICE_LABEL: "true", "kubernetes.io/name": "KubeDNS"}),
        spec=ServiceSpec(type="ClusterIP", cluster_ip=cluster_ip, session_affinity="None", ports=[
            ServicePort(name="dns", port=DNS_PORT, protocol="UDP", target_port=DNS_PORT),
            ServicePort(name="dns-tcp", port=DNS_PORT, protocol="TCP", target_port=DNS_PORT),
        ]),
    )


def kubernetes_endpoints(address: str, api_port: int) -> Endpoints:
    return Endpoints(
        metadata=ObjectMeta(name=KUBERNETES, namespace="default", labels={SKIP_MIRROR_LABEL: "true"}),
        subsets=[EndpointSubset(addresses=[EndpointAddress(ip=address)],
                                ports=[EndpointPort(name="https", port=api_port, protocol="TCP")])],
    )


def kubernetes_endpoint_slice(address: str, api_port: int) -> EndpointSlice:
    family = "IPv4" if ipaddress.ip_address(address).version == 4 else "IPv6"
    return EndpointSlice(
        metadata=ObjectMeta(name=KUBERNETES, namespace="default", labels={SERVICE_NAME_LABEL: KUBERNETES}),
        address_type=family,
        endpoints=[Endpoint(addresses=[address], conditions=EndpointConditions(ready=True))],
        ports=[EndpointPort(name="https", port=api_port, protocol="TCP")],
    )


# --- create, or put right


def _ensure(registry: Registry, rt: ResourceType, namespace: str, wanted: Endpoints | EndpointSlice,
            same) -> None:
    current = _get(registry, rt, namespace, wanted.metadata.name)
    if current is None:
        _create(registry, rt, wanted)
    elif not same(current, wanted):
        body = wanted.to_wire()
        body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        registry.update(rt, namespace, wanted.metadata.name, body, field_validation="Strict")


def _same_subsets(current: dict, wanted: Endpoints) -> bool:
    return Endpoints.model_validate(current).subsets == wanted.subsets


def _same_slice(current: dict, wanted: EndpointSlice) -> bool:
    stored = EndpointSlice.model_validate(current)
    return (stored.address_type, stored.endpoints, stored.ports) == (wanted.address_type, wanted.endpoints,
                                                                     wanted.ports)


def _get(registry: Registry, rt: ResourceType, namespace: str | None, name: str | None) -> dict | None:
    try:
        return registry.get(rt, namespace, name or "")
    except status.ApiError as error:
        if error.code == 404:
            return None
        raise


def _create(registry: Registry, rt: ResourceType, obj: Service | Endpoints | EndpointSlice) -> None:
    try:
        registry.create(rt, obj.metadata.namespace, obj.to_wire(), field_validation="Strict")
    except status.ApiError as error:
        if error.code != 409:  # created meanwhile: another master start won the race, which is as good
            raise
