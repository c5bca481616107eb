"""`tkctl expose`: a Service in front of what a deployment, replica set, pod or service already selects.

kubectl's generator, flag for flag, worked out from the exposed object:

    selector  --selector, else the deployment's (replica set's) matchLabels, the pod's labels,
              or the service's selector
    ports     --port, else every port the pod template's containers (or the service) declare,
              named port-1, port-2 ... when there are several
    protocol  --protocol, else each port's own (a port declared over TCP and UDP gets one Service
              port per protocol, port-1-tcp and port-1-udp), else TCP
    labels    --labels, else the exposed object's labels
    name      --name, else the exposed object's name (cut to 63 characters)

Then it is POSTed like any object (fieldManager kubectl-expose), and kubectl's
`service/NAME exposed` printed; --dry-run and -o behave as they do for create.
"""

from __future__ import annotations

from typing import Any

import click

from apiclient import ApiStatusError
from cli.dry_run import CLIENT, WritePrinter, dry_run_option, output_option, params
from cli.errors import CommandError, Reported, raise_collected
from cli.resources import object_path, parse_targets
from cli.session import Session, pass_session, session_options
from objects.apps import Deployment, ReplicaSet
from objects.kinds import DEPLOYMENT, POD, REPLICASET, SERVICE, ResourceType
from objects.pod import Pod, PodSpec
from objects.service import Service

WRITE_PARAMS = {"fieldManager": "kubectl-expose"}
NAME_MAX = 63  # a Service name is a DNS-1035 label
EXPOSABLE = (DEPLOYMENT, REPLICASET, POD, SERVICE)


@click.command("expose")
@click.argument("args", nargs=-1, required=True)
@click.option("--port", default="", help="The port the service serves on; copied from the exposed object if unset.")
@click.option("--target-port", default="", help="Name or number of the container port traffic goes to.")
@click.option("--protocol", default="", help="The network protocol of the service's ports. Default is 'TCP'.")
@click.option("--type", "service_type", default="",
              help="ClusterIP, NodePort, LoadBalancer, or ExternalName. Default is 'ClusterIP'.")
@click.option("--name", default="", help="The name for the new service.")
@click.option("--selector", default="", help="Equality-based label selector; inferred from the object if unset.")
@click.option("-l", "--labels", default="", help="Labels for the new service.")
@click.option("--cluster-ip", default="", help="The ClusterIP to ask for, or None for a headless service.")
@click.option("--external-ip", default="", help="An extra external IP the service accepts traffic for.")
@click.option("--load-balancer-ip", default="", help="The IP to ask of a LoadBalancer.")
@click.option("--session-affinity", default="", help="None or ClientIP.")
@dry_run_option
@output_option
@session_options
@pass_session
def expose(session: Session, args: tuple[str, ...], port: str, target_port: str, protocol: str, service_type: str,
           name: str, selector: str, labels: str, cluster_ip: str, external_ip: str, load_balancer_ip: str,
           session_affinity: str, dry_run: str, output: str | None) -> None:
    """Expose a deployment, replica set, pod or service as a new Kubernetes service."""
    flags = ServiceFlags(port=port, target_port=target_port, protocol=protocol, service_type=service_type,
                         name=name, selector=selector, labels=labels, cluster_ip=cluster_ip, external_ip=external_ip,
                         load_balancer_ip=load_balancer_ip, session_affinity=session_affinity)
    client = session.client()
    printer = WritePrinter(output, dry_run)
    errors: list[Reported] = []
    for target in parse_targets(args):
        for object_name in target.names or _missing_name(target.resource):
            try:
                exposed = client.get_path(object_path(target.resource, session.namespace, object_name))
                service = generate_service(target.resource, exposed, flags)
                if dry_run == CLIENT:
                    shown = _as_kubectl_shows_it(service, session.namespace_flag)
                    printer.done(SERVICE, shown, "exposed", in_field_order=True)
                    continue
                created = client.post_path(SERVICE.collection_path(session.namespace), service,
                                           params=params(dry_run, WRITE_PARAMS))
            except ApiStatusError as error:
                errors.append(error)
                continue
            printer.done(SERVICE, created, "exposed")
    raise_collected(errors)


class ServiceFlags:
    """expose's flags, as given (empty: not given)."""

    def __init__(self, **flags: str):
        self.port, self.target_port, self.protocol = flags["port"], flags["target_port"], flags["protocol"]
        self.service_type, self.name, self.selector = flags["service_type"], flags["name"], flags["selector"]
        self.labels, self.cluster_ip, self.external_ip = flags["labels"], flags["cluster_ip"], flags["external_ip"]
        self.load_balancer_ip, self.session_affinity = flags["load_balancer_ip"], flags["session_affinity"]


def generate_service(resource: ResourceType, exposed: dict[str, Any], flags: ServiceFlags) -> dict[str, Any]:
    """The Service kubectl's expose builds for `exposed`, as wire JSON in the Go struct's field order."""
    if resource not in EXPOSABLE:
        group_kind = f"{resource.kind}.{resource.group}" if resource.group else resource.kind
        raise CommandError(f"cannot expose a {group_kind}")
    meta = exposed.get("metadata") or {}
    selector = flags.selector or _selector_of(resource, exposed)
    if not selector:
        raise CommandError("selector must be specified")
    ports = flags.port.split(",") if flags.port else _ports_of(resource, exposed)
    if not ports and flags.cluster_ip != "None":
        raise CommandError("couldn't find port via --port flag or introspection")
    labels = parse_labels(flags.labels) if flags.labels else dict(meta.get("labels") or {})
    name = flags.name or (meta.get("name") or "")[:NAME_MAX]
    spec: dict[str, Any] = {"ports": _service_ports(ports, flags, _protocols_of(resource, exposed)),
                            "selector": parse_labels(selector)}
    if flags.cluster_ip:
        spec["clusterIP"] = flags.cluster_ip
    if flags.service_type:
        spec["type"] = flags.service_type
    if flags.external_ip:
        spec["externalIPs"] = [flags.external_ip]
    if flags.session_affinity:
        if flags.session_affinity not in ("None", "ClientIP"):
            raise CommandError(f"unknown session affinity: {flags.session_affinity}")
        spec["sessionAffinity"] = flags.session_affinity
    if flags.service_type == "LoadBalancer" and flags.load_balancer_ip:
        spec["loadBalancerIP"] = flags.load_balancer_ip
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = labels
    return {"kind": "Service", "apiVersion": "v1", "metadata": metadata, "spec": spec}


def parse_labels(spec: str) -> dict[str, str]:
    """`a=1,b=2`: equality only, as kubectl's expose reads --selector and --labels."""
    labels: dict[str, str] = {}
    for item in spec.split(","):
        parts = item.split("=")
        if len(parts) != 2:
            raise CommandError(f"unexpected label spec: {item}")
        if not parts[0]:
            raise CommandError("unexpected empty label key")
        labels[parts[0]] = parts[1]
    return labels


# --- what the exposed object says


def _selector_of(resource: ResourceType, exposed: dict[str, Any]) -> str:
    def cannot(why: str) -> CommandError:
        return CommandError(f"couldn't retrieve selectors via --selector flag or introspection: {why}")

    if resource == POD:
        labels = Pod.model_validate(exposed).metadata.labels
        if not labels:
            raise cannot("the pod has no labels and cannot be exposed")
        return _label_string(labels)
    if resource == SERVICE:
        spec = Service.model_validate(exposed).spec
        selector = spec.selector if spec else None
        if selector is None:
            raise cannot("the service has no pod selector set")
        return _label_string(selector)
    owner = Deployment if resource == DEPLOYMENT else ReplicaSet
    label_selector = owner.model_validate(exposed).spec.selector if exposed.get("spec") else None
    if label_selector is not None and label_selector.match_expressions:
        expressions = " ".join(f"{{Key:{e.key} Operator:{e.operator} Values:[{' '.join(e.values or [])}]}}"
                               for e in label_selector.match_expressions)
        raise cannot(f'couldn\'t convert expressions - "[{expressions}]" to map-based selector format')
    return _label_string(label_selector.match_labels if label_selector else None)


def _pod_spec(resource: ResourceType, exposed: dict[str, Any]) -> PodSpec:
    if resource == POD:
        return Pod.model_validate(exposed).spec or PodSpec()
    owner = Deployment if resource == DEPLOYMENT else ReplicaSet
    template = owner.model_validate(exposed).spec.template if exposed.get("spec") else None
    return (template.spec if template else None) or PodSpec()


def _ports_of(resource: ResourceType, exposed: dict[str, Any]) -> list[str]:
    """Each port number once, in the order the containers (or the service) declare them."""
    if resource == SERVICE:
        numbers = [port.port for port in Service.model_validate(exposed).ports]
    else:
        numbers = [port.container_port for ctr in _pod_spec(resource, exposed).containers or []
                   for port in ctr.ports or []]
    return list(dict.fromkeys(str(number) for number in numbers if number is not None))


def _protocols_of(resource: ResourceType, exposed: dict[str, Any]) -> dict[str, list[str]]:
    """Port number -> the protocols it is declared with."""
    if resource == SERVICE:
        pairs = [(port.port, port.protocol) for port in Service.model_validate(exposed).ports]
    else:
        pairs = [(port.container_port, port.protocol) for ctr in _pod_spec(resource, exposed).containers or []
                 for port in ctr.ports or []]
    protocols: dict[str, list[str]] = {}
    for number, protocol in pairs:
        listed = protocols.setdefault(str(number), [])
        if (protocol or "TCP") not in listed:
            listed.append(protocol or "TCP")
    return protocols


def _service_ports(ports: list[str], flags: ServiceFlags, declared: dict[str, list[str]]) -> list[dict[str, Any]]:
    generated: list[dict[str, Any]] = []
    for index, text in enumerate(ports):
        try:
            number = int(text)
        except ValueError:
            raise CommandError(f'strconv.Atoi: parsing "{text}": invalid syntax') from None
        name = f"port-{index + 1}" if len(ports) > 1 else ""
        protocols = [flags.protocol] if flags.protocol else declared.get(text) or ["TCP"]
        if len(protocols) > 1:  # one Service port per protocol the object declares this port with
            generated += [_port(f"port-{index + 1}-{protocol.lower()}", protocol, number, flags)
                          for protocol in protocols]
        else:
            generated.append(_port(name, protocols[0], number, flags))
    return generated


def _port(name: str, protocol: str, number: int, flags: ServiceFlags) -> dict[str, Any]:
    target: int | str = number
    if flags.target_port:
        try:
            target = int(flags.target_port)
        except ValueError:  # a container port's name
            target = flags.target_port
    return {**({"name": name} if name else {}), "protocol": protocol, "port": number, "targetPort": target}


def _label_string(labels: dict[str, str] | None) -> str:
    return ",".join(f"{key}={value}" for key, value in (labels or {}).items())


def _as_kubectl_shows_it(service: dict[str, Any], namespace_flag: str | None) -> dict[str, Any]:
    """A client dry run prints the typed Service kubectl built: Go's field order, an explicit -n
    written in, `creationTimestamp: null` and an empty load-balancer status."""
    meta = service["metadata"]
    shown_meta = {"name": meta["name"], **({"namespace": namespace_flag} if namespace_flag else {}),
                  "creationTimestamp": None, **{k: v for k, v in meta.items() if k != "name"}}
    return {**service, "metadata": shown_meta, "status": {"loadBalancer": {}}}


def _missing_name(resource: ResourceType) -> list[str]:
    raise CommandError("resource(s) were provided, but no name was specified")
