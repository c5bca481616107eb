"""`tkctl cluster-info`: where the control plane answers, and the cluster's own services.

As kubectl does, it lists the Services labelled kubernetes.io/cluster-service=true
in kube-system (or the namespace -n names), each by its kubernetes.io/name label
and the API server's proxy path to its first port (or a load balancer's
address). tinykube's master keeps one such Service, kube-dns:

    Kubernetes control plane is running at https://127.0.0.1:6443
    KubeDNS is running at https://127.0.0.1:6443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy
"""

from __future__ import annotations

import click

from cli.session import Session, pass_session, session_options
from objects.kinds import SERVICE
from objects.service import Service

CLUSTER_SERVICE_SELECTOR = "kubernetes.io/cluster-service=true"
NAME_LABEL = "kubernetes.io/name"
SYSTEM_NAMESPACE = "kube-system"


@click.command("cluster-info")
@session_options
@pass_session
def cluster_info(session: Session) -> None:
    """Display the addresses of the control plane and of the cluster's services."""
    namespace = session.namespace_flag or SYSTEM_NAMESPACE
    listed = session.client().get_path(SERVICE.collection_path(namespace),
                                       params={"labelSelector": CLUSTER_SERVICE_SELECTOR})
    server = session.connection.server
    click.echo(f"Kubernetes control plane is running at {server}")
    for item in listed.get("items") or []:
        service = Service.model_validate(item)
        name = (service.metadata.labels or {}).get(NAME_LABEL) or service.metadata.name
        click.echo(f"{name} is running at {service_link(service, server)}")
    click.echo("\nTo further debug and diagnose cluster problems, use 'tkctl get nodes' and 'tkctl describe nodes'.")


def service_link(service: Service, server: str) -> str:
    """A load balancer's `http://IP:PORT` for each port, else the API server's proxy path to the first port
    (`https:NAME:PORT-NAME` when that port looks like HTTPS), as kubectl builds it."""
    ingress = (service.status.load_balancer.ingress if service.status and service.status.load_balancer else None)
    if ingress:
        address = ingress[0].get("ip") or ingress[0].get("hostname") or ""
        return "".join(f"http://{address}:{port.port} " for port in service.ports)
    target = service.metadata.name or ""
    if service.ports:
        first = service.ports[0]
        scheme = "https" if first.name == "https" or first.port == 443 else ""
        port_name = first.name or ""
        if scheme:
            target = f"{scheme}:{target}:{port_name}"
        elif port_name:
            target = f"{target}:{port_name}"
    return f"{server}/api/v1/namespaces/{service.metadata.namespace}/services/{target}/proxy"
