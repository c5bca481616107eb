"""The Service environment variables a container starts with, as the kubelet's getServiceEnvVarMap makes them.

    services the pod may see:  `kubernetes` in default (always)
                               + every Service of the pod's namespace (unless spec.enableServiceLinks is false)
    for each one with a cluster IP (headless and ExternalName ones have none), e.g. "redis-primary" 10.96.0.11:
        REDIS_PRIMARY_SERVICE_HOST=10.96.0.11
        REDIS_PRIMARY_SERVICE_PORT=6379                 (the first port)
        REDIS_PRIMARY_SERVICE_PORT_<PORT NAME>=6379     (each named port)
        REDIS_PRIMARY_PORT=tcp://10.96.0.11:6379        (Docker link style, the first port)
        REDIS_PRIMARY_PORT_6379_TCP=tcp://10.96.0.11:6379
        REDIS_PRIMARY_PORT_6379_TCP_PROTO=tcp
        REDIS_PRIMARY_PORT_6379_TCP_PORT=6379
        REDIS_PRIMARY_PORT_6379_TCP_ADDR=10.96.0.11

They are read once, when a container is created: a Service made later is not
in the environment of containers already running (as in Kubernetes).
"""

from __future__ import annotations

from objects.pod import Pod
from objects.service import HEADLESS, Protocol, Service

MASTER_SERVICE = "kubernetes"
MASTER_NAMESPACE = "default"


def visible_services(pod: Pod, services: list[Service]) -> list[Service]:
    """The Services whose variables the pod gets, by name (one per name: the pod's own namespace wins
    over `kubernetes` in default only when the pod is in default, where they are the same)."""
    namespace = pod.metadata.namespace or ""
    links = pod.spec is None or pod.spec.enable_service_links is not False
    chosen: dict[str, Service] = {}
    for service in services:
        if not _has_cluster_ip(service):
            continue
        name, service_namespace = service.metadata.name or "", service.metadata.namespace or ""
        if service_namespace == MASTER_NAMESPACE and name == MASTER_SERVICE:
            chosen.setdefault(name, service)
        elif service_namespace == namespace and links:
            chosen[name] = service
    return [chosen[name] for name in sorted(chosen)]


def service_env(services: list[Service]) -> list[tuple[str, str]]:
    """The variables of `services`, in their order."""
    env: list[tuple[str, str]] = []
    for service in services:
        if not _has_cluster_ip(service) or not service.ports:
            continue
        prefix = env_name(service.metadata.name or "")
        cluster_ip = service.spec.cluster_ip  # type: ignore[union-attr]  # _has_cluster_ip checked it
        env.append((f"{prefix}_SERVICE_HOST", cluster_ip))
        env.append((f"{prefix}_SERVICE_PORT", str(service.ports[0].port)))
        env += [(f"{prefix}_SERVICE_PORT_{env_name(port.name)}", str(port.port)) for port in service.ports
                if port.name]
        for index, port in enumerate(service.ports):
            protocol = (port.protocol or Protocol.TCP).lower()
            url = f"{protocol}://{cluster_ip}:{port.port}"
            if index == 0:
                env.append((f"{prefix}_PORT", url))
            port_prefix = f"{prefix}_PORT_{port.port}_{protocol.upper()}"
            env += [(port_prefix, url), (f"{port_prefix}_PROTO", protocol), (f"{port_prefix}_PORT", str(port.port)),
                    (f"{port_prefix}_ADDR", cluster_ip)]
    return env


def env_name(name: str) -> str:
    """`redis-primary` -> `REDIS_PRIMARY`, as Kubernetes' makeEnvVariableName."""
    return name.upper().replace("-", "_")


def _has_cluster_ip(service: Service) -> bool:
    return bool(service.spec and service.spec.cluster_ip and service.spec.cluster_ip != HEADLESS)
