"""Which pods a Service selects and how each one stands: what both endpoint controllers read alike.

    Service web (selector app=web)   every pod of its namespace whose labels hold the selector
                                     │
                  standing(pod) ─────┤ Succeeded / Failed   finished: in nothing
                                     │ NoIP                 no podIP yet: in nothing
                                     │ Terminating          being deleted: only the slices keep it
                                     │                      (serving as before, ready=false)
                                     │ NotReady / Ready     its Ready condition: notReadyAddresses or
                                     │                      addresses, slices' ready=false or true
                                     ▼
    resolve_ports(service, pod)      each Service port with its targetPort found on that pod; a named
                                     targetPort the pod does not declare leaves that port out for it

A Service without a selector (or with an empty one, which the apiserver stores
as none) selects nothing: its endpoints are written by hand, and the
controllers leave them alone. `services_to_sync` is what a pod change means to
the controllers: the keys of the Services whose endpoints it may move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from apiclient.informer import Informer
from master.controllers.cache_view import PodView
from objects.phases import FINISHED_PHASES, ConditionStatus, PodConditionType
from objects.service import Service, ServicePort, ServiceType

# On the Endpoints and EndpointSlices of a headless Service (Service.is_headless), as Kubernetes marks them.
HEADLESS_LABEL = "service.kubernetes.io/headless"
DEFAULT_PROTOCOL = "TCP"  # what the apiserver defaults an unset Service or container port protocol to


class Standing(StrEnum):
    """A selected pod's place in its Service's endpoints, as the controllers decide it."""

    READY = "Ready"
    NOT_READY = "NotReady"
    TERMINATING = "Terminating"
    NO_IP = "NoIP"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    NODE_NOT_FOUND = "NodeNotFound"  # the EndpointSlice controller's own: its node object is gone


class EndpointPodView(PodView):
    """A cached pod, with what the endpoint controllers read of it (see cache_view for why a view)."""

    __slots__ = ()

    @property
    def pod_ips(self) -> list[str]:
        status = self.raw.get("status") or {}
        ips = [entry.get("ip") for entry in status.get("podIPs") or [] if entry.get("ip")]
        return ips or ([status["podIP"]] if status.get("podIP") else [])

    @property
    def hostname(self) -> str:
        return (self.raw.get("spec") or {}).get("hostname") or ""

    @property
    def subdomain(self) -> str:
        return (self.raw.get("spec") or {}).get("subdomain") or ""

    @property
    def ready_condition(self) -> dict[str, Any] | None:
        return next((c for c in (self.raw.get("status") or {}).get("conditions") or []
                     if c.get("type") == PodConditionType.READY), None)

    def containers(self) -> list[dict[str, Any]]:
        """The containers that serve: the regular ones, then sidecars (init containers that keep running)."""
        spec = self.raw.get("spec") or {}
        sidecars = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
        return [*(spec.get("containers") or []), *sidecars]

    def container_statuses(self) -> list[dict[str, Any]]:
        return (self.raw.get("status") or {}).get("containerStatuses") or []


@dataclass
class Member:
    """One selected pod, and what the Service makes of it."""

    pod: EndpointPodView
    standing: Standing
    ports: list[tuple[ServicePort, int]] = field(default_factory=list)  # (Service port, the pod's port number)
    missing_ports: list[str] = field(default_factory=list)  # named targetPorts this pod does not declare

    @property
    def in_endpoints(self) -> bool:
        """core/v1 Endpoints: ready and not-ready pods, never a terminating one (unless all are published)."""
        return self.standing in (Standing.READY, Standing.NOT_READY)


# ----- the Service side


def selector_of(service: dict[str, Any]) -> dict[str, str] | None:
    """The selector of a cached Service, or None when it selects nothing (its endpoints are by hand)."""
    return ((service.get("spec") or {}).get("selector")) or None


def managed_by_controllers(service: Service) -> bool:
    """Does a controller keep this Service's endpoints? Not with no selector, not for an ExternalName."""
    spec = service.spec
    return bool(spec and spec.selector) and service.type != ServiceType.EXTERNAL_NAME


def selected_pods(pods: Informer, namespace: str, selector: dict[str, str]) -> list[EndpointPodView]:
    """The cached pods of `namespace` whose labels hold every pair of `selector`, by name."""
    wanted = selector.items()
    found = [view for raw in pods.items()
             if (view := EndpointPodView(raw)).namespace == namespace and wanted <= view.labels.items()]
    return sorted(found, key=lambda view: view.name)


# ----- the pod side


def standing(pod: EndpointPodView, *, known_nodes: set[str] | None = None) -> Standing:
    """Where the pod stands, most decisive first (endpointsliceutil.ShouldPodBeInEndpoints, then readiness).

    `known_nodes` is given by the EndpointSlice controller only: a pod on a node
    it has no object of is left out until the node is back."""
    phase = (pod.raw.get("status") or {}).get("phase")
    if phase in FINISHED_PHASES:
        return Standing(phase)
    if not pod.pod_ips:
        return Standing.NO_IP
    if pod.is_terminating:
        return Standing.TERMINATING
    if known_nodes is not None and (pod.node_name or "") not in known_nodes:
        return Standing.NODE_NOT_FOUND
    return Standing.READY if pod.is_ready else Standing.NOT_READY


def resolve_ports(service: Service, pod: EndpointPodView) -> tuple[list[tuple[ServicePort, int]], list[str]]:
    """Each Service port whose targetPort the pod has, with the pod's number; and the names it lacks.

    A number is taken as it is; a name is looked up among the pod's container
    ports of the same protocol (podutil.FindPort). An unset targetPort means the
    Service port's own number, as the apiserver defaults it."""
    found: list[tuple[ServicePort, int]] = []
    missing: list[str] = []
    for port in service.ports:
        target = port.target_port if port.target_port is not None else port.port
        if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
            found.append((port, int(target)))
            continue
        number = named_port(pod, str(target), port.protocol or DEFAULT_PROTOCOL)
        if number is None:
            missing.append(str(target))
        else:
            found.append((port, number))
    return found, missing


def named_port(pod: EndpointPodView, name: str, protocol: str) -> int | None:
    for container in pod.containers():
        for port in container.get("ports") or []:
            if port.get("name") == name and (port.get("protocol") or DEFAULT_PROTOCOL) == protocol:
                return port.get("containerPort")
    return None


def members(service: Service, pods: list[EndpointPodView], *,
            known_nodes: set[str] | None = None) -> list[Member]:
    """Every selected pod with its standing and resolved ports, by name."""
    found = []
    for pod in pods:
        ports, missing = resolve_ports(service, pod)
        found.append(Member(pod, standing(pod, known_nodes=known_nodes), ports, missing))
    return found


def should_set_hostname(pod: EndpointPodView, service: Service) -> bool:
    """A pod with spec.hostname and subdomain = the Service's name gets its own DNS name under it."""
    return bool(pod.hostname) and pod.subdomain == service.metadata.name and pod.namespace == service.metadata.namespace


def readiness_trigger_time(pod: EndpointPodView) -> str | None:
    """When the pod last changed in a way endpoints follow: its Ready condition's transition."""
    condition = pod.ready_condition
    return condition.get("lastTransitionTime") if condition else None


def not_ready_message(pod: EndpointPodView) -> str:
    """Why the pod's Ready condition is not True, from its status and spec (the kubelet's live word is
    the why API's to add)."""
    condition = pod.ready_condition
    if condition is None:
        return "no Ready condition yet: its kubelet has not reported on it"
    said = f"Ready is {condition.get('status') or 'Unknown'}"
    if condition.get("reason"):
        said += f" ({condition['reason']})"
    unready = [_container_state(pod, status) for status in pod.container_statuses() if not status.get("ready")]
    if unready:
        return f"{said}: {'; '.join(unready)}"
    if condition.get("message"):
        return f"{said}: {condition['message']}"
    if condition.get("status") != ConditionStatus.TRUE and pod.container_statuses():
        return f"{said}: every container is ready, a readiness gate is not"
    return said


def _container_state(pod: EndpointPodView, status: dict[str, Any]) -> str:
    name = status.get("name") or "?"
    state = status.get("state") or {}
    if "waiting" in state:
        return f"container {name} is waiting ({(state['waiting'] or {}).get('reason') or 'no reason given'})"
    if "terminated" in state:
        return f"container {name} has terminated ({(state['terminated'] or {}).get('reason') or 'no reason given'})"
    spec = next((c for c in pod.containers() if c.get("name") == name), {})
    if spec.get("readinessProbe"):
        return f"container {name} is running, its readiness probe has not passed"
    return f"container {name} is running, not ready yet"


# ----- pod changes: which Services to sync


def services_to_sync(services: Informer, old: dict[str, Any] | None, new: dict[str, Any] | None) -> set[str]:
    """The keys of the Services a pod's add (old None), update or delete (new None) concerns.

    As endpointsliceutil.GetServicesToUpdateOnPodChange: an update that changes
    nothing endpoints show concerns none; one that only moves labels concerns the
    Services it joined or left; one that changes what endpoints show concerns
    every Service that selects it before or after."""
    if old is None or new is None:
        pod = PodView(new if new is not None else old)
        return _selecting(services, pod.namespace, pod.labels)
    before, after = EndpointPodView(old), EndpointPodView(new)
    if before.resource_version == after.resource_version:
        return set()
    changed = endpoints_changed(before, after)
    labels_moved = (before.labels != after.labels or before.hostname != after.hostname
                    or before.subdomain != after.subdomain)
    if not changed and not labels_moved:
        return set()
    now = _selecting(services, after.namespace, after.labels)
    if not labels_moved:
        return now
    then = _selecting(services, before.namespace, before.labels)
    return now | then if changed else now ^ then


def endpoints_changed(before: EndpointPodView, after: EndpointPodView) -> bool:
    """Did the pod change in a way its endpoint shows (deletion, readiness, addresses, phase, node)?"""
    return (before.is_terminating != after.is_terminating or before.is_ready != after.is_ready
            or before.pod_ips != after.pod_ips or before.is_finished != after.is_finished
            or before.node_name != after.node_name)


def _selecting(services: Informer, namespace: str, labels: dict[str, str]) -> set[str]:
    keys = set()
    for raw in services.items():
        meta = raw["metadata"]
        selector = selector_of(raw)
        if meta.get("namespace") == namespace and selector and selector.items() <= labels.items():
            keys.add(f"{namespace}/{meta['name']}")
    return keys
