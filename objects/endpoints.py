"""Where a Service's traffic goes: Endpoints (core/v1) and EndpointSlices (discovery.k8s.io/v1).

Both are kept by controllers in the master from the Service's selector and the
matching pods' readiness, never by hand for a Service with a selector:

    Endpoints "web"        one object per Service, same name
      subsets[].addresses           the ready pods (ip, nodeName, targetRef)
      subsets[].notReadyAddresses   the others that have an IP
      subsets[].ports               the Service's ports resolved to the pods' (a named targetPort looked up)

    EndpointSlice "web-k8x2p"   labelled kubernetes.io/service-name=web, at most 100 endpoints each
      endpoints[].addresses, .conditions.ready/serving/terminating, .nodeName, .targetRef
      ports[]                        as above

Nodes' data paths and cluster DNS read EndpointSlices, as kube-proxy and CoreDNS do;
kubectl describe svc reads Endpoints. Fields are listed alphabetically.
"""

from __future__ import annotations

from pydantic import Field

from objects.base import K8sModel
from objects.meta import ObjectMeta, ObjectReference

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY_CONTROLLER = "endpointslice-controller.k8s.io"
MAX_ENDPOINTS_PER_SLICE = 100  # kube-controller-manager's --max-endpoints-per-slice default


class Endpoints(K8sModel):
    api_version: str = "v1"
    kind: str = "Endpoints"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    subsets: list[EndpointSubset] | None = None


class EndpointSubset(K8sModel):
    addresses: list[EndpointAddress] | None = None
    not_ready_addresses: list[EndpointAddress] | None = None
    ports: list[EndpointPort] | None = None


class EndpointAddress(K8sModel):
    hostname: str | None = None
    ip: str | None = None
    node_name: str | None = None
    target_ref: ObjectReference | None = None


class EndpointPort(K8sModel):
    """A port of core/v1 Endpoints; the same fields as an EndpointSlice's, where name and port may be unset."""

    app_protocol: str | None = None
    name: str | None = None
    port: int | None = None
    protocol: str | None = None


class EndpointSlice(K8sModel):
    api_version: str = "discovery.k8s.io/v1"
    kind: str = "EndpointSlice"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    address_type: str | None = None  # IPv4, IPv6 or FQDN
    endpoints: list[Endpoint] | None = None
    ports: list[EndpointPort] | None = None

    @property
    def service_name(self) -> str | None:
        return (self.metadata.labels or {}).get(SERVICE_NAME_LABEL)


class Endpoint(K8sModel):
    addresses: list[str] = Field(default_factory=list)
    conditions: EndpointConditions | None = None
    deprecated_topology: dict[str, str] | None = None
    hints: dict[str, list[dict[str, str]]] | None = None
    hostname: str | None = None
    node_name: str | None = None
    target_ref: ObjectReference | None = None
    zone: str | None = None

    @property
    def ready(self) -> bool:
        """Unset means ready, as the API defines it for a consumer."""
        return self.conditions is None or self.conditions.ready is not False


class EndpointConditions(K8sModel):
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None
