"""`tkctl port-forward TYPE/NAME [LOCAL:]REMOTE...`: forward local ports to a pod, as kubectl does.

kubectl's steps: find the pod (`pod/NAME` or `NAME`; for `deploy/NAME` and
other workloads, the most active pod of its selector; for `service/NAME`, a
pod of the Service's selector, with each Service port translated to the
container port it targets), refuse one that is not Running, then listen on
--address (localhost: 127.0.0.1 and ::1) and carry every connection to the pod
through the API server (cli/port_forwarding.py). It runs until interrupted, or
until the connection to the pod is lost.
"""

from __future__ import annotations

import asyncio
from typing import Any

import click

from cli.completion import complete_pod_names
from cli.errors import CommandError
from cli.pods import fetch_pod, most_active_first, pod_name
from cli.port_forwarding import PortForwarder, listen_addresses, parse_ports
from cli.resources import kind_label, object_path, resolve_kind
from cli.session import Session, pass_session, session_options
from objects.kinds import POD, SERVICE
from objects.service import Service

USAGE = "TYPE/NAME and list of ports are required for port-forward\nSee 'tkctl port-forward -h' for help and examples"


@click.command("port-forward")
@click.argument("args", nargs=-1, shell_complete=complete_pod_names)
@click.option("--address", "addresses", multiple=True, default=("localhost",),
              help="Addresses to listen on (comma separated): localhost, or IP addresses.")
@session_options
@pass_session
def port_forward(session: Session, args: tuple[str, ...], addresses: tuple[str, ...]) -> None:
    """Forward one or more local ports to a pod."""
    if len(args) < 2:
        raise CommandError(USAGE)
    target, port_specs = args[0], list(args[1:])
    client = session.client()
    warn = lambda message: click.echo(message, err=True)  # noqa: E731
    if _is_service(target):
        pod, port_specs = _service_pod_and_ports(client, session.namespace, target.partition("/")[2], port_specs)
    else:
        pod = fetch_pod(client, session.namespace, target, warn)
        port_specs = _pod_ports(pod, port_specs)
    phase = (pod.get("status") or {}).get("phase")
    if phase != "Running":
        raise CommandError(f"unable to forward port because pod is not running. Current status={phase}")
    ports = parse_ports(port_specs)
    listen = listen_addresses([a.strip() for given in addresses for a in given.split(",") if a.strip()])
    namespace = (pod.get("metadata") or {}).get("namespace") or session.namespace
    forwarder = PortForwarder(session.connection, f"{POD.collection_path(namespace)}/{pod_name(pod)}/portforward",
                              ports, listen, out=click.echo, err=warn)
    try:
        asyncio.run(forwarder.run())
    except KeyboardInterrupt:
        return  # Ctrl-C is how a port-forward is meant to end


def _is_service(target: str) -> bool:
    kind, slash, _ = target.partition("/")
    return bool(slash) and resolve_kind(kind) == SERVICE


def _split_port(spec: str) -> tuple[str, str]:
    """kubectl's splitPort: `L:R` -> (L, R); anything else -> (first part, first part), so `1:2:3` means 1."""
    parts = spec.split(":")
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[0])


def _pod_ports(pod: dict[str, Any], specs: list[str]) -> list[str]:
    """Named remote ports -> the pod's container port numbers (kubectl's convertPodNamedPortToNumber)."""
    converted = []
    for spec in specs:
        local, remote = _split_port(spec)
        number = remote
        if not _is_integer(remote):
            found = _container_port(pod, remote)
            if found is None:
                raise CommandError(f"Pod '{pod_name(pod)}' does not have a named port '{remote}'")
            number = str(found)
        converted.append(f"{local}:{number}" if local != remote else number)
    return converted


def _is_integer(text: str) -> bool:
    return text.lstrip("+-").isdigit()


def _container_port(pod: dict[str, Any], name: str) -> int | None:
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == name:
                return int(port["containerPort"])
    return None


def _service_pod_and_ports(client: Any, namespace: str, name: str,
                           specs: list[str]) -> tuple[dict[str, Any], list[str]]:
    """A pod behind the Service, and the ports translated to what the pod listens on."""
    service = Service.model_validate(client.get_path(object_path(SERVICE, namespace, name)))
    selector = (service.spec.selector if service.spec else None) or {}
    if not selector:
        raise CommandError(f"invalid service '{name}': Service is defined without a selector")
    label_selector = ",".join(f"{key}={value}" for key, value in sorted(selector.items()))
    pods = client.get_path(POD.collection_path(namespace), params={"labelSelector": label_selector}).get("items")
    if not pods:
        raise CommandError(f"no pods found for {kind_label(SERVICE)}/{name}")
    pod = most_active_first(pods)[0]
    return pod, _service_ports(service, pod, specs)


def _service_ports(service: Service, pod: dict[str, Any], specs: list[str]) -> list[str]:
    """Each `[LOCAL:]SERVICEPORT` (number or name) -> `LOCAL:CONTAINERPORT` (kubectl's
    translateServicePortToTargetPort); a named remote alone keeps the Service's number locally."""
    translated = []
    for spec in specs:
        local, remote = _split_port(spec)
        if _is_integer(remote):
            number = int(remote)
        else:
            named = next((p for p in service.ports if p.name == remote), None)
            if named is None or named.port is None:
                raise CommandError(f"Service '{service.metadata.name}' does not have a named port '{remote}'")
            number = named.port
            if local == remote:
                local = str(number)
        remote = str(_target_port(service, pod, number))
        translated.append(f"{local}:{remote}" if local != remote else remote)
    return translated


def _target_port(service: Service, pod: dict[str, Any], port: int) -> int:
    """kubectl's LookupContainerPortNumberByServicePort: the targetPort, its named container port, or the port."""
    wanted = next((p for p in service.ports if p.port == port), None)
    if wanted is None:
        raise CommandError(f"Service {service.metadata.name} does not have a service port {port}")
    target = wanted.target_port
    if target is None or target == 0:
        return port
    if isinstance(target, int) or _is_integer(str(target)):
        return int(target)
    found = _container_port(pod, str(target))
    if found is None:
        raise CommandError(f"Pod '{pod_name(pod)}' does not have a named port '{target}'")
    return found
