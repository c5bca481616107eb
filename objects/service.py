"""Services (core/v1): a stable name and virtual address in front of the pods a selector picks.

    Service "web" (selector app=web, port 80 -> targetPort 8080)
        spec.clusterIP 10.96.0.17  allocated from the service CIDR (the master's --service-cluster-ip-range)
        spec.ports[0].nodePort 31234  only for type NodePort: allocated from 30000-32767
    Endpoints "web" / EndpointSlice "web-xxxxx"  the ready pods' IPs and ports, kept by a controller
    every node's data path sends ClusterIP:80 (and NodeIP:31234) to one of those pod IP:8080

Types: ClusterIP (the default), NodePort (a ClusterIP plus a port on every node),
headless (clusterIP "None": no virtual address, DNS answers with the pods' IPs),
ExternalName (a DNS CNAME only). LoadBalancer is accepted as Kubernetes accepts it
on a cluster without a load-balancer provider: a NodePort Service whose
external address stays <pending>. Fields are listed alphabetically.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from objects.base import K8sModel
from objects.meta import IntOrString, ObjectMeta

HEADLESS = "None"  # spec.clusterIP of a headless Service
NODE_PORT_RANGE = range(30000, 32768)  # kube-apiserver's default --service-node-port-range
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"  # kube-apiserver's usual --service-cluster-ip-range (kubeadm's default)
CLUSTER_DOMAIN = "cluster.local"
DNS_PORT = 53  # kube-dns's port, UDP and TCP: what pods send cluster DNS queries to


class ServiceType(StrEnum):
    CLUSTER_IP = "ClusterIP"
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"
    EXTERNAL_NAME = "ExternalName"


class Protocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


class Service(K8sModel):
    api_version: str = "v1"
    kind: str = "Service"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ServiceSpec | None = None
    status: ServiceStatus | None = None

    @property
    def type(self) -> str:
        return (self.spec.type if self.spec else None) or ServiceType.CLUSTER_IP

    @property
    def is_headless(self) -> bool:
        return bool(self.spec) and self.spec.cluster_ip == HEADLESS

    @property
    def ports(self) -> list[ServicePort]:
        return list(self.spec.ports or []) if self.spec else []


class ServiceSpec(K8sModel):
    allocate_load_balancer_node_ports: bool | None = None
    cluster_ip: str | None = Field(default=None, alias="clusterIP")
    cluster_ips: list[str] | None = Field(default=None, alias="clusterIPs")
    external_ips: list[str] | None = Field(default=None, alias="externalIPs")
    external_name: str | None = None
    external_traffic_policy: str | None = None
    health_check_node_port: int | None = None
    internal_traffic_policy: str | None = None
    ip_families: list[str] | None = Field(default=None, alias="ipFamilies")
    ip_family_policy: str | None = None
    load_balancer_class: str | None = None
    load_balancer_ip: str | None = Field(default=None, alias="loadBalancerIP")
    load_balancer_source_ranges: list[str] | None = None
    ports: list[ServicePort] | None = None
    publish_not_ready_addresses: bool | None = None
    selector: dict[str, str] | None = None
    session_affinity: str | None = None
    session_affinity_config: dict[str, Any] | None = None
    traffic_distribution: str | None = None
    type: str | None = None


class ServicePort(K8sModel):
    """`port` is the Service's own; `target_port` (a number or a container port's name) is the pods'."""

    app_protocol: str | None = None
    name: str | None = None
    node_port: int | None = None
    port: int | None = None
    protocol: str | None = None
    target_port: IntOrString | None = None


class ServiceStatus(K8sModel):
    conditions: list[dict[str, Any]] | None = None
    load_balancer: LoadBalancerStatus | None = None


class LoadBalancerStatus(K8sModel):
    ingress: list[dict[str, Any]] | None = None
