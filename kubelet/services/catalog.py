"""ServiceCatalog: the kubelet's view of every Service and EndpointSlice in the cluster.

    informer(services, all namespaces) ───────┐
                                              ├─► upsert/remove ─► parsed, typed, indexed by Service
    informer(endpointslices, all namespaces) ─┤            │
    informer(nodes) ─► their InternalIPs ─────┘            └─► dirty ─► notifier thread (debounced) ─► callbacks

What reads it: the rule renderer (ClusterIP and NodePort forwarding), the
node-port proxy, the pod env builder and the cluster DNS server. Readers ask by
(namespace, name) and get objects.service / objects.endpoints models, never
dicts. An EndpointSlice belongs to the Service its kubernetes.io/service-name
label names, as kube-proxy reads it; a Service may have several slices. Only
IPv4 slices are kept, and in them only endpoints whose address is an IPv4
address: this cluster's data path and DNS are IPv4, and kube-proxy likewise reads
only its own address family (a hand-written FQDN slice would otherwise put a name
into a DNAT rule, and iptables-restore refuses the whole table). The
nodes' InternalIPs are there for NodePort (NodeIP:nodePort from a pod); a node's
heartbeat changes nothing here unless its address changes.

Subscribers are called with no arguments, from the notifier thread, once per
burst of changes (DEBOUNCE_SECONDS after the first change of the burst) and
once when both informers have listed. They must be quick or hand work off,
and read the catalog again for what they need: the catalog is level-triggered.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from typing import Any

from apiclient import ApiClient
from apiclient.informer import Informer
from objects.endpoints import Endpoint, EndpointSlice
from objects.kinds import ENDPOINT_SLICE, NODE, SERVICE
from objects.node import Node
from objects.service import Service

log = logging.getLogger(__name__)

# Long enough to fold a controller's burst of slice writes into one rule sync, short
# enough to keep endpoint propagation (pod Ready -> traffic reaches it) well under a second.
DEBOUNCE_SECONDS = 0.05
ADDRESS_TYPE = "IPv4"  # the one EndpointSlice addressType this node routes and answers for

ServiceKey = tuple[str, str]  # (namespace, name)
Subscriber = Callable[[], None]


class ServiceCatalog:
    """Thread-safe. Without a client (tests), feed it through upsert_*/remove_* and call notify_now()."""

    def __init__(self, client: ApiClient | None = None, *, debounce_seconds: float = DEBOUNCE_SECONDS):
        self._client = client
        self._debounce_seconds = debounce_seconds
        self._lock = threading.Lock()
        self._services: dict[ServiceKey, Service] = {}
        self._slices: dict[ServiceKey, dict[str, EndpointSlice]] = {}  # service -> slice name -> slice
        self._slice_owner: dict[ServiceKey, ServiceKey] = {}  # (ns, slice name) -> the service it was filed under
        self._node_ips: dict[str, str] = {}  # node name -> InternalIP
        self._subscribers: list[Subscriber] = []
        self._dirty = threading.Event()
        self.synced = threading.Event()
        self._informers: list[Informer] = []

    # ----- lifecycle

    def start(self, stop: threading.Event) -> None:
        """List and watch both kinds in all namespaces; call subscribers after every burst of changes."""
        if self._client is None:
            raise RuntimeError("a ServiceCatalog without a client is fed by hand")
        self._informers = [
            Informer(self._client, SERVICE, on_add=self.upsert_service,
                     on_update=lambda _old, new: self.upsert_service(new), on_delete=self.remove_service),
            Informer(self._client, ENDPOINT_SLICE, on_add=self.upsert_slice,
                     on_update=lambda _old, new: self.upsert_slice(new), on_delete=self.remove_slice),
            Informer(self._client, NODE, on_add=self.upsert_node,
                     on_update=lambda _old, new: self.upsert_node(new), on_delete=self.remove_node),
        ]
        for informer in self._informers:
            informer.start(stop)
        threading.Thread(target=self._notify_loop, args=(stop,), name="service-catalog", daemon=True).start()

    def wait_synced(self, timeout: float | None = None) -> bool:
        return self.synced.wait(timeout)

    def subscribe(self, callback: Subscriber) -> None:
        with self._lock:
            self._subscribers.append(callback)

    # ----- reads

    def services(self) -> list[Service]:
        with self._lock:
            return list(self._services.values())

    def service(self, namespace: str, name: str) -> Service | None:
        with self._lock:
            return self._services.get((namespace, name))

    def ready_endpoints(self, namespace: str, name: str, port_name: str | None = "") -> list[tuple[str, int]]:
        """(ip, port) of every ready endpoint for the Service port named `port_name` ("" or None: the unnamed one),
        sorted and without duplicates (one pod may appear in two slices while a controller moves it)."""
        wanted = port_name or ""
        found: set[tuple[str, int]] = set()
        with self._lock:
            slices = list(self._slices.get((namespace, name), {}).values())
        for endpoint_slice in slices:
            ports = [p.port for p in endpoint_slice.ports or [] if (p.name or "") == wanted and p.port]
            if not ports:
                continue
            for endpoint in endpoint_slice.endpoints or []:
                if endpoint.ready and endpoint.addresses:
                    found.update((endpoint.addresses[0], port) for port in ports)
        return sorted(found)

    def endpoints(self, namespace: str, name: str, *, ready_only: bool = True) -> list[Endpoint]:
        """The Service's endpoints across its slices (what a headless Service's DNS answers with),
        one per address, in address order."""
        by_address: dict[str, Endpoint] = {}
        with self._lock:
            slices = list(self._slices.get((namespace, name), {}).values())
        for endpoint_slice in slices:
            for endpoint in endpoint_slice.endpoints or []:
                if endpoint.addresses and (endpoint.ready or not ready_only):
                    by_address.setdefault(endpoint.addresses[0], endpoint)
        return [by_address[address] for address in sorted(by_address)]

    def slices(self, namespace: str, name: str) -> list[EndpointSlice]:
        with self._lock:
            return list(self._slices.get((namespace, name), {}).values())

    def node_ips(self) -> tuple[str, ...]:
        """Every node's InternalIP, sorted."""
        with self._lock:
            return tuple(sorted(set(self._node_ips.values())))

    # ----- writes (the informers' handlers; public so tests can feed a catalog without a server)

    def upsert_service(self, obj: dict[str, Any] | Service) -> None:
        service = obj if isinstance(obj, Service) else Service.model_validate(obj)
        with self._lock:
            self._services[_key(service.metadata)] = service
        self._dirty.set()

    def remove_service(self, obj: dict[str, Any] | Service) -> None:
        service = obj if isinstance(obj, Service) else Service.model_validate(obj)
        with self._lock:
            self._services.pop(_key(service.metadata), None)
        self._dirty.set()

    def upsert_slice(self, obj: dict[str, Any] | EndpointSlice) -> None:
        endpoint_slice = obj if isinstance(obj, EndpointSlice) else EndpointSlice.model_validate(obj)
        slice_key = _key(endpoint_slice.metadata)
        with self._lock:
            self._forget_slice(slice_key)
            usable = _usable(endpoint_slice)
            if usable is not None and usable.service_name:  # a slice naming no Service feeds nothing
                owner = (slice_key[0], usable.service_name)
                self._slices.setdefault(owner, {})[slice_key[1]] = usable
                self._slice_owner[slice_key] = owner
        self._dirty.set()

    def remove_slice(self, obj: dict[str, Any] | EndpointSlice) -> None:
        endpoint_slice = obj if isinstance(obj, EndpointSlice) else EndpointSlice.model_validate(obj)
        with self._lock:
            self._forget_slice(_key(endpoint_slice.metadata))
        self._dirty.set()

    def upsert_node(self, obj: dict[str, Any] | Node) -> None:
        node = obj if isinstance(obj, Node) else Node.model_validate(obj)
        addresses = (node.status and node.status.addresses) or []
        internal_ip = next((a.address for a in addresses if a.type == "InternalIP" and a.address), None)
        with self._lock:
            if self._node_ips.get(node.metadata.name or "") == internal_ip:
                return  # a heartbeat: nothing a reader sees changed
            if internal_ip is None:
                self._node_ips.pop(node.metadata.name or "", None)
            else:
                self._node_ips[node.metadata.name or ""] = internal_ip
        self._dirty.set()

    def remove_node(self, obj: dict[str, Any] | Node) -> None:
        node = obj if isinstance(obj, Node) else Node.model_validate(obj)
        with self._lock:
            if self._node_ips.pop(node.metadata.name or "", None) is None:
                return
        self._dirty.set()

    def notify_now(self) -> None:
        """Call every subscriber at once, in the caller's thread."""
        self._dirty.clear()
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback()
            except Exception:  # one broken subscriber must not starve the others
                log.exception("service catalog subscriber %r failed", callback)

    # ----- inside

    def _forget_slice(self, slice_key: ServiceKey) -> None:
        """Drop a slice from the Service it was filed under (its label may have changed since). Lock held."""
        owner = self._slice_owner.pop(slice_key, None)
        if owner is None:
            return
        slices = self._slices.get(owner, {})
        slices.pop(slice_key[1], None)
        if not slices:
            self._slices.pop(owner, None)

    def _notify_loop(self, stop: threading.Event) -> None:
        for informer in self._informers:
            while not informer.synced.wait(0.5):
                if stop.is_set():
                    return
        self.synced.set()
        self.notify_now()
        while not stop.is_set():
            if not self._dirty.wait(0.5):
                continue
            stop.wait(self._debounce_seconds)  # let the rest of the burst land
            self.notify_now()


def _usable(endpoint_slice: EndpointSlice) -> EndpointSlice | None:
    """The slice as this node may use it: None unless IPv4; endpoints whose address is no IPv4
    address (the API checks them, but a slice may predate that or come from elsewhere) left out."""
    if endpoint_slice.address_type != ADDRESS_TYPE:
        return None
    endpoints = [e for e in endpoint_slice.endpoints or [] if e.addresses and _is_ipv4(e.addresses[0])]
    if len(endpoints) == len(endpoint_slice.endpoints or []):
        return endpoint_slice
    return endpoint_slice.model_copy(update={"endpoints": endpoints})


def _is_ipv4(address: str) -> bool:
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return True


def _key(meta: Any) -> ServiceKey:
    return (meta.namespace or "", meta.name or "")
