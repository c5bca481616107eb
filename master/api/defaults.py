"""Defaulting: the values the apiserver fills in for fields a client left unset.

Runs right after decoding, before the strategy and validation, and mutates the
typed object in place. It follows Kubernetes' SetDefaults_* functions for
core/v1 and apps/v1, in two scopes:

- every pod spec, in a Pod or in the template of a Deployment, ReplicaSet or
  DaemonSet: restartPolicy, dnsPolicy, schedulerName, terminationGracePeriodSeconds,
  securityContext, and the defaults of containers, ports, probes, env and volumes;
- Pods only: enableServiceLinks, requests copied from limits, and hostPort =
  containerPort on the host network. Kubernetes keeps these out of templates on
  purpose: a default added to a template changes its hash and would roll every
  Deployment the day the apiserver is upgraded;
- Services (SetDefaults_Service): type ClusterIP, sessionAffinity None, each
  port's protocol TCP and targetPort = port, the traffic policies; Endpoints and
  EndpointSlices: each port's protocol TCP. A Service's clusterIPs, ipFamilies
  and ipFamilyPolicy are not defaults: they follow from the cluster's service
  range when the address is allocated (master/api/service_allocation.py).

Quantities in resources are rewritten in canonical form ("0.5" -> "500m"), as
the apiserver's own round trip through resource.Quantity does. A quantity that
does not parse is left alone for validation to report: defaulting never rejects.
Explicitly set values are never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from objects.apps import (
    DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy, Deployment, DeploymentSpec, DeploymentStrategy,
    PodTemplateSpec, ReplicaSet, ReplicaSetSpec, RollingUpdateDaemonSet, RollingUpdateDeployment,
)
from objects.base import K8sModel
from objects.container import Container, HTTPGetAction, LifecycleHandler, ObjectFieldSelector, PodSecurityContext, Probe
from objects.container import ResourceRequirements
from objects.endpoints import Endpoints, EndpointSlice
from objects.kinds import ResourceType
from objects.pod import Pod, PodSpec
from objects.quantity import Quantity, canonical_quantity
from objects.service import Protocol, Service, ServiceSpec, ServiceType
from objects.volumes import EmptyDirVolumeSource, Volume

DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30
DEFAULT_SCHEDULER_NAME = "default-scheduler"
DEFAULT_TERMINATION_MESSAGE_PATH = "/dev/termination-log"
DEFAULT_FILE_MODE = 0o644  # 420: files projected from configMaps, secrets and the downward API
DEFAULT_REVISION_HISTORY_LIMIT = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
DEFAULT_MAX_SURGE = DEFAULT_MAX_UNAVAILABLE = "25%"
DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600

SESSION_AFFINITY_NONE = "None"
SESSION_AFFINITY_CLIENT_IP = "ClientIP"
DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800  # three hours
TRAFFIC_POLICY_CLUSTER = "Cluster"

# Probe timing: fields left at zero (Go cannot tell zero from unset) take these.
PROBE_DEFAULTS = {"timeout_seconds": 1, "period_seconds": 10, "success_threshold": 1, "failure_threshold": 3}


def apply_defaults(rt: ResourceType, obj: K8sModel) -> None:
    """Fill in what Kubernetes would for this kind; kinds without defaults are left untouched."""
    default = DEFAULTERS.get(rt.kind)
    if default is not None:
        default(obj)


# --- kinds


def default_pod(pod: Pod) -> None:
    spec = pod.spec = pod.spec or PodSpec()
    default_pod_spec(spec)
    if spec.enable_service_links is None:
        spec.enable_service_links = True
    for ctr in [*(spec.containers or []), *(spec.init_containers or [])]:
        if ctr.resources is not None and ctr.resources.limits:
            requests = ctr.resources.requests = ctr.resources.requests or {}
            for name, limit in ctr.resources.limits.items():
                requests.setdefault(name, limit)
        if spec.host_network:
            for port in ctr.ports or []:
                if not port.host_port:
                    port.host_port = port.container_port


def default_deployment(deployment: Deployment) -> None:
    spec = deployment.spec = deployment.spec or DeploymentSpec()
    if spec.replicas is None:
        spec.replicas = 1
    strategy = spec.strategy = spec.strategy or DeploymentStrategy()
    strategy.type = strategy.type or "RollingUpdate"
    if strategy.type == "RollingUpdate":
        rolling = strategy.rolling_update = strategy.rolling_update or RollingUpdateDeployment()
        if rolling.max_unavailable is None:
            rolling.max_unavailable = DEFAULT_MAX_UNAVAILABLE
        if rolling.max_surge is None:
            rolling.max_surge = DEFAULT_MAX_SURGE
    if spec.revision_history_limit is None:
        spec.revision_history_limit = DEFAULT_REVISION_HISTORY_LIMIT
    if spec.progress_deadline_seconds is None:
        spec.progress_deadline_seconds = DEFAULT_PROGRESS_DEADLINE_SECONDS
    spec.template = _default_template(spec.template)


def default_replica_set(replica_set: ReplicaSet) -> None:
    spec = replica_set.spec = replica_set.spec or ReplicaSetSpec()
    if spec.replicas is None:
        spec.replicas = 1
    spec.template = _default_template(spec.template)


def default_daemon_set(daemon_set: DaemonSet) -> None:
    spec = daemon_set.spec = daemon_set.spec or DaemonSetSpec()
    strategy = spec.update_strategy = spec.update_strategy or DaemonSetUpdateStrategy()
    strategy.type = strategy.type or "RollingUpdate"
    if strategy.type == "RollingUpdate":
        rolling = strategy.rolling_update = strategy.rolling_update or RollingUpdateDaemonSet()
        if rolling.max_unavailable is None:
            rolling.max_unavailable = 1
        if rolling.max_surge is None:
            rolling.max_surge = 0
    if spec.revision_history_limit is None:
        spec.revision_history_limit = DEFAULT_REVISION_HISTORY_LIMIT
    spec.template = _default_template(spec.template)


def default_service(service: Service) -> None:
    spec = service.spec = service.spec or ServiceSpec()
    spec.session_affinity = spec.session_affinity or SESSION_AFFINITY_NONE
    if spec.session_affinity == SESSION_AFFINITY_NONE:
        spec.session_affinity_config = None
    elif spec.session_affinity == SESSION_AFFINITY_CLIENT_IP:
        client_ip = (spec.session_affinity_config or {}).get("clientIP") or {}
        if client_ip.get("timeoutSeconds") is None:
            spec.session_affinity_config = {"clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_AFFINITY_SECONDS}}
    spec.type = spec.type or ServiceType.CLUSTER_IP
    for port in spec.ports or []:
        port.protocol = port.protocol or Protocol.TCP
        if port.target_port in (None, 0, ""):
            port.target_port = port.port
    if externally_accessible(spec) and not spec.external_traffic_policy:
        spec.external_traffic_policy = TRAFFIC_POLICY_CLUSTER
    if spec.internal_traffic_policy is None and spec.type in (
            ServiceType.CLUSTER_IP, ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
        spec.internal_traffic_policy = TRAFFIC_POLICY_CLUSTER
    if spec.type == ServiceType.LOAD_BALANCER and spec.allocate_load_balancer_node_ports is None:
        spec.allocate_load_balancer_node_ports = True


def externally_accessible(spec: ServiceSpec) -> bool:
    """Reached from outside the cluster (a node port, a load balancer or an external IP), so
    externalTrafficPolicy applies (Kubernetes' service.ExternallyAccessible)."""
    return spec.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER) or (
        spec.type == ServiceType.CLUSTER_IP and bool(spec.external_ips))


def default_endpoints(endpoints: Endpoints) -> None:
    for subset in endpoints.subsets or []:
        for port in subset.ports or []:
            port.protocol = port.protocol or Protocol.TCP


def default_endpoint_slice(endpoint_slice: EndpointSlice) -> None:
    for port in endpoint_slice.ports or []:
        port.protocol = port.protocol or Protocol.TCP


DEFAULTERS: dict[str, Callable[[Any], None]] = {
    "Pod": default_pod,
    "Deployment": default_deployment,
    "ReplicaSet": default_replica_set,
    "DaemonSet": default_daemon_set,
    "Service": default_service,
    "Endpoints": default_endpoints,
    "EndpointSlice": default_endpoint_slice,
}


# --- pod specs, in pods and templates alike


def default_pod_spec(spec: PodSpec) -> None:
    spec.dns_policy = spec.dns_policy or "ClusterFirst"
    spec.restart_policy = spec.restart_policy or "Always"
    if spec.security_context is None:
        spec.security_context = PodSecurityContext()
    if spec.termination_grace_period_seconds is None:
        spec.termination_grace_period_seconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS
    spec.scheduler_name = spec.scheduler_name or DEFAULT_SCHEDULER_NAME
    for ctr in [*(spec.containers or []), *(spec.init_containers or [])]:
        _default_container(ctr)
    for volume in spec.volumes or []:
        _default_volume(volume)
    _canonicalize(spec.resources)
    if spec.overhead:
        spec.overhead = _canonical_list(spec.overhead)


def _default_template(template: PodTemplateSpec | None) -> PodTemplateSpec:
    template = template or PodTemplateSpec()
    template.spec = template.spec or PodSpec()
    default_pod_spec(template.spec)
    return template


def _default_container(ctr: Container) -> None:
    if not ctr.image_pull_policy:
        ctr.image_pull_policy = image_pull_policy(ctr.image or "")
    ctr.termination_message_path = ctr.termination_message_path or DEFAULT_TERMINATION_MESSAGE_PATH
    ctr.termination_message_policy = ctr.termination_message_policy or "File"
    for port in ctr.ports or []:
        port.protocol = port.protocol or "TCP"
    for probe in (ctr.liveness_probe, ctr.readiness_probe, ctr.startup_probe):
        if probe is not None:
            _default_probe(probe)
    if ctr.lifecycle is not None:
        for hook in (ctr.lifecycle.post_start, ctr.lifecycle.pre_stop):
            if hook is not None:
                _default_hook(hook)
    for var in ctr.env or []:
        if var.value_from is not None:
            _default_field_ref(var.value_from.field_ref)
    _canonicalize(ctr.resources)


def image_pull_policy(image: str) -> str:
    """Always for `:latest` or an untagged image, so a moving tag is re-pulled; IfNotPresent otherwise.

    A digest pins the image, so `app@sha256:...` is IfNotPresent; the registry
    port in `registry:5000/app` is not a tag.
    """
    if not image:
        return "IfNotPresent"
    name, _, digest = image.partition("@")
    last_component = name.rsplit("/", 1)[-1]
    tag = last_component.partition(":")[2]
    if not tag and not digest:
        tag = "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _default_probe(probe: Probe) -> None:
    for field, value in PROBE_DEFAULTS.items():
        if not getattr(probe, field):
            setattr(probe, field, value)
    if probe.http_get is not None:
        _default_http_get(probe.http_get)


def _default_hook(hook: LifecycleHandler) -> None:
    if hook.http_get is not None:
        _default_http_get(hook.http_get)


def _default_http_get(action: HTTPGetAction) -> None:
    action.path = action.path or "/"
    action.scheme = action.scheme or "HTTP"


def _default_field_ref(selector: ObjectFieldSelector | None) -> None:
    if selector is not None:
        selector.api_version = selector.api_version or "v1"


def _default_volume(volume: Volume) -> None:
    """A volume that names no source is an emptyDir; file modes default to 0644."""
    sources = [name for name in type(volume).model_fields if name != "name" and getattr(volume, name) is not None]
    if not sources:
        volume.empty_dir = EmptyDirVolumeSource()
    if volume.empty_dir is not None and volume.empty_dir.size_limit is not None:
        volume.empty_dir.size_limit = _canonical(volume.empty_dir.size_limit)
    if volume.host_path is not None and volume.host_path.type is None:
        volume.host_path.type = ""
    for source in (volume.config_map, volume.secret, volume.downward_api, volume.projected):
        if source is not None and source.default_mode is None:
            source.default_mode = DEFAULT_FILE_MODE
    for item in (volume.downward_api.items if volume.downward_api else None) or []:
        _default_field_ref(item.field_ref)
    for projection in (volume.projected.sources if volume.projected else None) or []:
        for item in (projection.downward_api.items if projection.downward_api else None) or []:
            _default_field_ref(item.field_ref)
        token = projection.service_account_token
        if token is not None and token.expiration_seconds is None:
            token.expiration_seconds = DEFAULT_TOKEN_EXPIRATION_SECONDS


# --- quantities


def _canonicalize(resources: ResourceRequirements | None) -> None:
    if resources is None:
        return
    if resources.limits:
        resources.limits = _canonical_list(resources.limits)
    if resources.requests:
        resources.requests = _canonical_list(resources.requests)


def _canonical_list(quantities: dict[str, Quantity]) -> dict[str, Quantity]:
    return {name: _canonical(quantity) for name, quantity in quantities.items()}


def _canonical(quantity: Quantity) -> Quantity:
    try:
        return canonical_quantity(quantity)
    except ValueError:
        return quantity  # validation reports it, naming the field
