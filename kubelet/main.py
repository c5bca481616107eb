"""tinykube-kubelet: the node agent.

    tinykube-kubelet --kubeconfig DIR/node.kubeconfig --node-name node-1 --cpu 2 --memory 2Gi

Registers the Node, renews its Lease, runs the pods bound to it through Docker,
carries out the Faults addressed to it (kubelet/faults.py), and serves logs, exec,
proxy, usage stats and `why` to the master on --port (HTTPS, node token).
Services (kubelet/services): it writes the Service rules and DNS config into each
of its pods' network namespaces, answers their cluster DNS queries, and serves
NodePorts on --address.
Several kubelets can share one Docker engine: each owns only the containers
labelled with its node name.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import socket
import threading
from pathlib import Path

import click
import uvicorn

from apiclient import ApiClient, load_kubeconfig
from apiclient.events import EventRecorder
from kubelet.config import (
    DEFAULT_CLUSTER_DNS, DEFAULT_NETWORK, DEFAULT_PAUSE_IMAGE, KubeletConfig, parse_labels, parse_taints,
)
from kubelet.faults import FaultLoop, Partition
from kubelet.node_status import NodeStatusReporter
from kubelet.runtime.docker_runtime import DockerRuntime
from kubelet.runtime.faulty import FaultyRuntime
from kubelet.serving_cert import ensure_serving_cert
from kubelet.server import create_kubelet_app
from kubelet.services.catalog import ServiceCatalog
from kubelet.services.datapath import ServiceDatapath
from kubelet.services.dns_server import ClusterDnsServer
from kubelet.services.node_ports import NodePortProxy
from kubelet.services.pod_network import PodNetwork
from kubelet.sync_loop import SyncLoop
from objects.service import CLUSTER_DOMAIN
from wire.spdy_tunnel import SERVER_WEBSOCKETS

log = logging.getLogger("tinykube.kubelet")


# Every flag can also come from the environment, e.g. TINYKUBE_KUBELET_SERVER for --server:
# docker-compose.yml sets what its three kubelets share once.
@click.command(context_settings={"auto_envvar_prefix": "TINYKUBE_KUBELET"})
@click.option("--kubeconfig", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--server", default=None,
              help="The master's URL, instead of the kubeconfig's (e.g. https://master:6443 inside compose).")
@click.option("--node-name", required=True)
@click.option("--port", type=int, default=10250, show_default=True, help="Where the kubelet serves logs/exec/proxy.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="The node's InternalIP: where the master reaches this kubelet (a hostname is resolved once).")
@click.option("--bind", default=None, help="Address to listen on [default: --address].")
@click.option("--cpu", default="", help="CPU capacity to advertise [default: the host's].")
@click.option("--memory", default="", help="Memory capacity to advertise, e.g. 2Gi [default: the host's].")
@click.option("--max-pods", type=int, default=110, show_default=True)
@click.option("--labels", default="", help="Node labels, k=v,k2=v2.")
@click.option("--taints", default="", help="Taints to register with, k=v:NoSchedule,...")
@click.option("--network", default=DEFAULT_NETWORK, show_default=True, help="Docker network pods get their IPs on.")
@click.option("--pod-infra-image", default=DEFAULT_PAUSE_IMAGE, show_default=True,
              help="The pause image holding each pod's network namespace.")
@click.option("--root-dir", type=click.Path(path_type=Path), default=Path("/var/lib/tinykube"), show_default=True)
@click.option("--time-scale", type=float, default=1.0, show_default=True, help="Multiply every timer.")
@click.option("--cluster-dns", default=DEFAULT_CLUSTER_DNS, show_default=True,
              help="Pods' nameserver (kube-dns's ClusterIP), comma-separated; '' for no cluster DNS.")
@click.option("--cluster-domain", default=CLUSTER_DOMAIN, show_default=True)
@click.option("--services/--no-services", default=True, show_default=True,
              help="Run the Service data path: rules in pods' network namespaces, cluster DNS, node ports.")
@click.option("--owner-label", default="",
              help="Value of io.tinykube.owner on every container and volume; the kubelet sees only those.")
@click.option("--log-level", default="info", show_default=True)
def main(kubeconfig: Path, server: str | None, node_name: str, port: int, address: str, bind: str | None, cpu: str,
         memory: str, max_pods: int, labels: str, taints: str, network: str, pod_infra_image: str, root_dir: Path,
         time_scale: float, cluster_dns: str, cluster_domain: str, services: bool, owner_label: str,
         log_level: str) -> None:
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    address = internal_ip(address)
    try:
        config = KubeletConfig(
            node_name=node_name, kubeconfig=kubeconfig, port=port, address=address, bind=bind or address, cpu=cpu,
            memory=memory, max_pods=max_pods, labels=parse_labels(labels), taints=parse_taints(taints),
            network=network, pod_infra_image=pod_infra_image, root_dir=root_dir / node_name, time_scale=time_scale,
            owner=owner_label, cluster_dns=tuple(filter(None, (s.strip() for s in cluster_dns.split(",")))),
            cluster_domain=cluster_domain, services=services,
        )
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    connection = load_kubeconfig(kubeconfig)
    if server:
        connection = dataclasses.replace(connection, server=server.rstrip("/"))
    # A Partition fault closes this gate: every API call of the kubelet then fails, as if the master were away.
    partition = Partition()
    client = ApiClient(connection, user_agent=f"tinykube-kubelet/{node_name}", gate=partition)
    # Every part of the kubelet uses the runtime a DelayRuntime or FailPulls fault can make misbehave.
    runtime = FaultyRuntime(DockerRuntime(owner=config.owner))
    events = EventRecorder(client, component="kubelet", host=node_name)

    stop = threading.Event()
    node_status = NodeStatusReporter(client, runtime, config)
    node = node_status.register()
    node_status.start(stop)
    pod_network = start_services(client, config, stop) if config.services else None
    sync_loop = SyncLoop(client, runtime, config, events, (node.status and node.status.allocatable) or {},
                         pod_network=pod_network)
    sync_loop.start(stop)
    FaultLoop(client, runtime, partition, node_status, config, resync_pod=sync_loop.resync_pod).start(stop)

    cert, key = ensure_serving_cert(config.root_dir, [node_name, address, "localhost"])
    app = create_kubelet_app(runtime=runtime, node_name=node_name, token=connection.token or "",
                             find_pod=lambda namespace, name: sync_loop.pods.get(f"{namespace}/{name}"),
                             explain_pod=sync_loop.explain)
    log.info("kubelet %s registered; serving on https://%s:%d", node_name, config.bind, port)
    try:
        uvicorn.run(app, host=config.bind, port=port, ssl_certfile=str(cert), ssl_keyfile=str(key),
                    log_level=log_level.lower(), access_log=False, timeout_graceful_shutdown=2, ws=SERVER_WEBSOCKETS)
    finally:
        stop.set()
        events.close()


def start_services(client: ApiClient, config: KubeletConfig, stop: threading.Event) -> PodNetwork:
    """The node's Service data path, all reading one catalog:

        ServiceCatalog ─┬─► ServiceDatapath  rules + resolv.conf in every pod's netns ─┐ DNS sockets
                        ├─► ClusterDnsServer answers on the pods' DNS sockets  ◄───────┘
                        └─► NodePortProxy    listeners on --address:nodePort
    """
    catalog = ServiceCatalog(client)
    dns = ClusterDnsServer(catalog, cluster_domain=config.cluster_domain) if config.cluster_dns else None
    datapath = ServiceDatapath(catalog, cluster_dns=config.cluster_dns, cluster_domain=config.cluster_domain,
                               dns=dns)
    node_ports = NodePortProxy(catalog, config.address)
    if dns is not None:
        dns.start(stop)
    node_ports.start(stop)
    catalog.start(stop)
    return datapath


def internal_ip(address: str) -> str:
    """The node's InternalIP must be an address; in compose the kubelet knows only its service name."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        pass
    try:
        return socket.gethostbyname(address)
    except OSError as error:
        raise click.BadParameter(f"cannot resolve {address!r}: {error}", param_hint="--address") from None


if __name__ == "__main__":
    main()
