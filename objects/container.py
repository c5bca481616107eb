"""A container inside a pod: image, command, env, ports, resources, probes, lifecycle hooks, security.

Also the pod-level security context, which shares most of its fields with the
container one. Fields are listed alphabetically, as in the Kubernetes API
reference.
"""

from __future__ import annotations

from pydantic import Field

from objects.base import K8sModel
from objects.meta import IntOrString
from objects.quantity import Quantity


class Container(K8sModel):
    """One process image in a pod. Only `name` is required by Kubernetes; the API server validates the rest."""

    args: list[str] | None = None
    command: list[str] | None = None
    env: list[EnvVar] | None = None
    env_from: list[EnvFromSource] | None = None
    image: str | None = None
    image_pull_policy: str | None = None
    lifecycle: Lifecycle | None = None
    liveness_probe: Probe | None = None
    name: str | None = None
    ports: list[ContainerPort] | None = None
    readiness_probe: Probe | None = None
    resize_policy: list[ContainerResizePolicy] | None = None
    resources: ResourceRequirements | None = None
    restart_policy: str | None = None
    restart_policy_rules: list[ContainerRestartRule] | None = None
    security_context: SecurityContext | None = None
    startup_probe: Probe | None = None
    stdin: bool | None = None
    stdin_once: bool | None = None
    termination_message_path: str | None = None
    termination_message_policy: str | None = None
    tty: bool | None = None
    volume_devices: list[VolumeDevice] | None = None
    volume_mounts: list[VolumeMount] | None = None
    working_dir: str | None = None


class ContainerPort(K8sModel):
    container_port: int | None = None
    host_ip: str | None = Field(default=None, alias="hostIP")
    host_port: int | None = None
    name: str | None = None
    protocol: str | None = None


class EnvVar(K8sModel):
    name: str | None = None
    value: str | None = None
    value_from: EnvVarSource | None = None


class EnvVarSource(K8sModel):
    """Where an env var's value comes from: a ConfigMap or Secret key, a pod field or a resource limit."""

    config_map_key_ref: ConfigMapKeySelector | None = None
    field_ref: ObjectFieldSelector | None = None
    file_key_ref: FileKeySelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    secret_key_ref: SecretKeySelector | None = None


class ConfigMapKeySelector(K8sModel):
    key: str | None = None
    name: str | None = None
    optional: bool | None = None


class SecretKeySelector(K8sModel):
    key: str | None = None
    name: str | None = None
    optional: bool | None = None


class ObjectFieldSelector(K8sModel):
    api_version: str | None = None
    field_path: str | None = None


class ResourceFieldSelector(K8sModel):
    container_name: str | None = None
    divisor: Quantity | None = None
    resource: str | None = None


class FileKeySelector(K8sModel):
    key: str | None = None
    optional: bool | None = None
    path: str | None = None
    volume_name: str | None = None


class EnvFromSource(K8sModel):
    config_map_ref: ConfigMapEnvSource | None = None
    prefix: str | None = None
    secret_ref: SecretEnvSource | None = None


class ConfigMapEnvSource(K8sModel):
    name: str | None = None
    optional: bool | None = None


class SecretEnvSource(K8sModel):
    name: str | None = None
    optional: bool | None = None


class ResourceRequirements(K8sModel):
    """Requests are what the scheduler reserves; limits are what the runtime enforces. Values are quantities as sent."""

    claims: list[ResourceClaim] | None = None
    limits: dict[str, Quantity] | None = None
    requests: dict[str, Quantity] | None = None


class ResourceClaim(K8sModel):
    name: str | None = None
    request: str | None = None


class ContainerResizePolicy(K8sModel):
    resource_name: str | None = None
    restart_policy: str | None = None


class ContainerRestartRule(K8sModel):
    action: str | None = None
    exit_codes: ContainerRestartRuleOnExitCodes | None = None


class ContainerRestartRuleOnExitCodes(K8sModel):
    operator: str | None = None
    values: list[int] | None = None


class VolumeMount(K8sModel):
    bind_mount_options: list[str] | None = None
    mount_path: str | None = None
    mount_propagation: str | None = None
    name: str | None = None
    read_only: bool | None = None
    recursive_read_only: str | None = None
    sub_path: str | None = None
    sub_path_expr: str | None = None


class VolumeDevice(K8sModel):
    device_path: str | None = None
    name: str | None = None


# --- Health checks and lifecycle hooks.


class Probe(K8sModel):
    """A liveness, readiness or startup check: exactly one handler (exec, httpGet, tcpSocket, grpc) plus its timing."""

    exec: ExecAction | None = None
    failure_threshold: int | None = None
    grpc: GRPCAction | None = None
    http_get: HTTPGetAction | None = None
    initial_delay_seconds: int | None = None
    period_seconds: int | None = None
    success_threshold: int | None = None
    tcp_socket: TCPSocketAction | None = None
    termination_grace_period_seconds: int | None = None
    timeout_seconds: int | None = None


class ExecAction(K8sModel):
    command: list[str] | None = None


class HTTPGetAction(K8sModel):
    """`port` is a number or the name of a container port."""

    host: str | None = None
    http_headers: list[HTTPHeader] | None = None
    path: str | None = None
    port: IntOrString | None = None
    protocol: str | None = None
    scheme: str | None = None


class HTTPHeader(K8sModel):
    name: str | None = None
    value: str | None = None


class TCPSocketAction(K8sModel):
    host: str | None = None
    port: IntOrString | None = None


class GRPCAction(K8sModel):
    mode: str | None = None
    port: int | None = None
    service: str | None = None


class Lifecycle(K8sModel):
    """Hooks the kubelet runs right after a container starts and right before it is stopped."""

    post_start: LifecycleHandler | None = None
    pre_stop: LifecycleHandler | None = None
    stop_signal: str | None = None


class LifecycleHandler(K8sModel):
    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    sleep: SleepAction | None = None
    tcp_socket: TCPSocketAction | None = None


class SleepAction(K8sModel):
    seconds: int | None = None


# --- Security settings, container and pod level.


class SecurityContext(K8sModel):
    """Per-container security settings; where a field also exists in PodSecurityContext, this one wins."""

    allow_privilege_escalation: bool | None = None
    app_armor_profile: AppArmorProfile | None = None
    capabilities: Capabilities | None = None
    privileged: bool | None = None
    proc_mount: str | None = None
    read_only_root_filesystem: bool | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    run_as_user: int | None = None
    se_linux_options: SELinuxOptions | None = None
    seccomp_profile: SeccompProfile | None = None
    windows_options: WindowsSecurityContextOptions | None = None


class PodSecurityContext(K8sModel):
    """Pod-wide security defaults for every container (and the volume fsGroup)."""

    app_armor_profile: AppArmorProfile | None = None
    fs_group: int | None = None
    fs_group_change_policy: str | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    run_as_user: int | None = None
    se_linux_change_policy: str | None = None
    se_linux_options: SELinuxOptions | None = None
    seccomp_profile: SeccompProfile | None = None
    supplemental_groups: list[int] | None = None
    supplemental_groups_policy: str | None = None
    sysctls: list[Sysctl] | None = None
    windows_options: WindowsSecurityContextOptions | None = None


class Sysctl(K8sModel):
    name: str | None = None
    value: str | None = None


class Capabilities(K8sModel):
    add: list[str] | None = None
    drop: list[str] | None = None


class SELinuxOptions(K8sModel):
    level: str | None = None
    role: str | None = None
    type: str | None = None
    user: str | None = None


class SeccompProfile(K8sModel):
    localhost_profile: str | None = None
    type: str | None = None


class AppArmorProfile(K8sModel):
    localhost_profile: str | None = None
    type: str | None = None


class WindowsSecurityContextOptions(K8sModel):
    gmsa_credential_spec: str | None = None
    gmsa_credential_spec_name: str | None = None
    host_process: bool | None = None
    run_as_user_name: str | None = None


class EphemeralContainer(Container):
    """A debugging container added to a running pod by `kubectl debug`.

    It has a container's fields (Kubernetes' EphemeralContainerCommon) plus the
    container whose process namespace it targets; validation forbids its ports,
    probes and resources.
    """

    target_container_name: str | None = None