"""The Pod: its spec (containers, volumes, scheduling constraints), its status, and Binding.

The spec is desired state written by users and controllers; `node_name` is set
once by the scheduler through a Binding. The status is observed state written
by the kubelet: phase, conditions, pod IPs and one ContainerStatus per
container. Fields are listed alphabetically, as in the Kubernetes API reference.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from objects.base import K8sModel
from objects.container import Container, EphemeralContainer, PodSecurityContext, ResourceRequirements
from objects.meta import LabelSelector, LocalObjectReference, ObjectMeta, ObjectReference, parse_time
from objects.phases import ConditionStatus, PodConditionType, PodPhase, is_finished_phase
from objects.quantity import Quantity
from objects.volumes import Volume


class Pod(K8sModel):
    """The unit of scheduling: one or more containers sharing a network namespace and volumes, bound to one node."""

    api_version: str = "v1"
    kind: str = "Pod"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: PodSpec | None = None
    status: PodStatus | None = None

    @property
    def phase(self) -> PodPhase | None:
        return self.status.phase if self.status else None

    @property
    def is_finished(self) -> bool:
        """Succeeded or Failed: its containers will never run again and it holds no node resources."""
        return is_finished_phase(self.phase)

    @property
    def is_terminating(self) -> bool:
        """Deleted, and waiting for its kubelet to stop its containers within the grace period."""
        return self.metadata.deletion_timestamp is not None

    @property
    def node_name(self) -> str | None:
        """The node the scheduler bound the pod to, or None while it is unscheduled."""
        return self.spec.node_name if self.spec else None

    @property
    def is_active(self) -> bool:
        """Neither finished nor being deleted: it still counts toward its controller's replicas."""
        return not self.is_finished and not self.is_terminating

    def condition(self, type_: str) -> PodCondition | None:
        return next((c for c in (self.status.conditions if self.status else None) or [] if c.type == type_), None)

    @property
    def is_ready(self) -> bool:
        """Its Ready condition is True: every container passes its readiness probe (and every readiness gate holds)."""
        ready = self.condition(PodConditionType.READY)
        return ready is not None and ready.is_true

    def seconds_until_available(self, min_ready_seconds: int, now: datetime) -> float | None:
        """0 when available (ready for minReadySeconds), the wait left when ready but not yet, None if not ready."""
        return seconds_until_available(self.condition(PodConditionType.READY), min_ready_seconds, now)

    def is_available(self, min_ready_seconds: int, now: datetime) -> bool:
        """podutil.IsPodAvailable: ready, and ready for at least minReadySeconds."""
        return self.seconds_until_available(min_ready_seconds, now) == 0.0


class PodSpec(K8sModel):
    """Desired state of a pod. `node_name` is empty until the scheduler binds the pod."""

    active_deadline_seconds: int | None = None
    affinity: Affinity | None = None
    automount_service_account_token: bool | None = None
    containers: list[Container] | None = None
    dns_config: PodDNSConfig | None = None
    dns_policy: str | None = None
    enable_service_links: bool | None = None
    ephemeral_containers: list[EphemeralContainer] | None = None
    eviction_responders: list[EvictionResponder] | None = None
    host_aliases: list[HostAlias] | None = None
    host_ipc: bool | None = Field(default=None, alias="hostIPC")
    host_network: bool | None = None
    host_pid: bool | None = Field(default=None, alias="hostPID")
    host_users: bool | None = None
    hostname: str | None = None
    hostname_override: str | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    init_containers: list[Container] | None = None
    node_name: str | None = None
    node_selector: dict[str, str] | None = None
    os: PodOS | None = None
    overhead: dict[str, Quantity] | None = None
    preemption_policy: str | None = None
    priority: int | None = None
    priority_class_name: str | None = None
    readiness_gates: list[PodReadinessGate] | None = None
    resource_claims: list[PodResourceClaim] | None = None
    resources: ResourceRequirements | None = None
    restart_policy: str | None = None
    runtime_class_name: str | None = None
    scheduler_name: str | None = None
    scheduling_gates: list[PodSchedulingGate] | None = None
    scheduling_group: PodSchedulingGroup | None = None
    security_context: PodSecurityContext | None = None
    service_account: str | None = None
    service_account_name: str | None = None
    set_hostname_as_fqdn: bool | None = Field(default=None, alias="setHostnameAsFQDN")
    share_process_namespace: bool | None = None
    subdomain: str | None = None
    termination_grace_period_seconds: int | None = None
    tolerations: list[Toleration] | None = None
    topology_spread_constraints: list[TopologySpreadConstraint] | None = None
    volumes: list[Volume] | None = None


# --- Where the pod may run: affinity, tolerations, spread, DNS and other scheduling-time settings.


class Affinity(K8sModel):
    """Soft and hard rules placing a pod relative to node labels and to other pods."""

    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAntiAffinity | None = None


class NodeAffinity(K8sModel):
    preferred_during_scheduling_ignored_during_execution: list[PreferredSchedulingTerm] | None = None
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None


class NodeSelector(K8sModel):
    node_selector_terms: list[NodeSelectorTerm] | None = None


class NodeSelectorTerm(K8sModel):
    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class NodeSelectorRequirement(K8sModel):
    key: str | None = None
    operator: str | None = None
    values: list[str] | None = None


class PreferredSchedulingTerm(K8sModel):
    preference: NodeSelectorTerm | None = None
    weight: int | None = None


class PodAffinity(K8sModel):
    preferred_during_scheduling_ignored_during_execution: list[WeightedPodAffinityTerm] | None = None
    required_during_scheduling_ignored_during_execution: list[PodAffinityTerm] | None = None


class PodAntiAffinity(K8sModel):
    preferred_during_scheduling_ignored_during_execution: list[WeightedPodAffinityTerm] | None = None
    required_during_scheduling_ignored_during_execution: list[PodAffinityTerm] | None = None


class PodAffinityTerm(K8sModel):
    label_selector: LabelSelector | None = None
    match_label_keys: list[str] | None = None
    mismatch_label_keys: list[str] | None = None
    namespace_selector: LabelSelector | None = None
    namespaces: list[str] | None = None
    topology_key: str | None = None


class WeightedPodAffinityTerm(K8sModel):
    pod_affinity_term: PodAffinityTerm | None = None
    weight: int | None = None


class Toleration(K8sModel):
    """Lets a pod land on (or stay on) a node with a matching taint."""

    effect: str | None = None
    key: str | None = None
    operator: str | None = None
    toleration_seconds: int | None = None
    value: str | None = None


class TopologySpreadConstraint(K8sModel):
    """Keeps matching pods spread evenly across a topology key such as zone or hostname."""

    label_selector: LabelSelector | None = None
    match_label_keys: list[str] | None = None
    max_skew: int | None = None
    min_domains: int | None = None
    node_affinity_policy: str | None = None
    node_taints_policy: str | None = None
    topology_key: str | None = None
    when_unsatisfiable: str | None = None


class PodDNSConfig(K8sModel):
    nameservers: list[str] | None = None
    options: list[PodDNSConfigOption] | None = None
    searches: list[str] | None = None


class PodDNSConfigOption(K8sModel):
    name: str | None = None
    value: str | None = None


class HostAlias(K8sModel):
    hostnames: list[str] | None = None
    ip: str | None = None


class PodOS(K8sModel):
    name: str | None = None


class PodReadinessGate(K8sModel):
    condition_type: str | None = None


class PodResourceClaim(K8sModel):
    name: str | None = None
    resource_claim_name: str | None = None
    resource_claim_template_name: str | None = None


class PodSchedulingGate(K8sModel):
    name: str | None = None


class PodSchedulingGroup(K8sModel):
    pod_group_name: str | None = None


class EvictionResponder(K8sModel):
    name: str | None = None
    priority: int | None = None


# --- Observed state, written by the kubelet.


class PodStatus(K8sModel):
    """Observed state of a pod, written by the kubelet (and `conditions[PodScheduled]` by the scheduler)."""

    allocated_resources: dict[str, Quantity] | None = None
    conditions: list[PodCondition] | None = None
    container_statuses: list[ContainerStatus] | None = None
    ephemeral_container_statuses: list[ContainerStatus] | None = None
    extended_resource_claim_status: PodExtendedResourceClaimStatus | None = None
    host_ip: str | None = Field(default=None, alias="hostIP")
    host_ips: list[HostIP] | None = Field(default=None, alias="hostIPs")
    init_container_statuses: list[ContainerStatus] | None = None
    message: str | None = None
    node_allocatable_resource_claim_statuses: list[NodeAllocatableResourceClaimStatus] | None = None
    nominated_node_name: str | None = None
    observed_generation: int | None = None
    phase: PodPhase | None = None
    pod_ip: str | None = Field(default=None, alias="podIP")
    pod_ips: list[PodIP] | None = Field(default=None, alias="podIPs")
    qos_class: str | None = None
    reason: str | None = None
    resize: str | None = None
    resource_claim_statuses: list[PodResourceClaimStatus] | None = None
    resources: ResourceRequirements | None = None
    start_time: str | None = None
    volume_health: list[PodVolumeHealth] | None = None


class PodCondition(K8sModel):
    """One of PodScheduled, Initialized, ContainersReady, Ready (and a few newer ones), True/False/Unknown."""

    last_probe_time: str | None = None
    last_transition_time: str | None = None
    message: str | None = None
    observed_generation: int | None = None
    reason: str | None = None
    status: ConditionStatus | None = None
    type: str | None = None

    @property
    def is_true(self) -> bool:
        return self.status == ConditionStatus.TRUE


def seconds_until_available(ready: PodCondition | None, min_ready_seconds: int, now: datetime) -> float | None:
    """How long until a pod with this Ready condition has been ready for minReadySeconds: 0 when it has,
    None when it is not ready. A ready pod whose transition time is unknown waits the whole minReadySeconds."""
    if ready is None or not ready.is_true:
        return None
    if min_ready_seconds <= 0:
        return 0.0
    since = parse_time(ready.last_transition_time)
    if since is None:
        return float(min_ready_seconds)
    return max(0.0, min_ready_seconds - (now - since).total_seconds())


class HostIP(K8sModel):
    ip: str | None = None


class PodIP(K8sModel):
    ip: str | None = None


class ContainerStatus(K8sModel):
    """What the kubelet last saw of one container: its state, the previous run, restarts and readiness."""

    allocated_resources: dict[str, Quantity] | None = None
    allocated_resources_status: list[ResourceStatus] | None = None
    container_id: str | None = Field(default=None, alias="containerID")
    image: str | None = None
    image_id: str | None = Field(default=None, alias="imageID")
    last_state: ContainerState | None = None
    name: str | None = None
    ready: bool | None = None
    resources: ResourceRequirements | None = None
    restart_count: int | None = None
    started: bool | None = None
    state: ContainerState | None = None
    stop_signal: str | None = None
    user: ContainerUser | None = None
    volume_mounts: list[VolumeMountStatus] | None = None


class ContainerState(K8sModel):
    """Exactly one of waiting, running or terminated is set."""

    running: ContainerStateRunning | None = None
    terminated: ContainerStateTerminated | None = None
    waiting: ContainerStateWaiting | None = None


class ContainerStateWaiting(K8sModel):
    message: str | None = None
    reason: str | None = None


class ContainerStateRunning(K8sModel):
    started_at: str | None = None


class ContainerStateTerminated(K8sModel):
    container_id: str | None = Field(default=None, alias="containerID")
    exit_code: int | None = None
    finished_at: str | None = None
    message: str | None = None
    reason: str | None = None
    signal: int | None = None
    started_at: str | None = None


class ContainerUser(K8sModel):
    linux: LinuxContainerUser | None = None


class LinuxContainerUser(K8sModel):
    gid: int | None = None
    supplemental_groups: list[int] | None = None
    uid: int | None = None


class VolumeMountStatus(K8sModel):
    mount_path: str | None = None
    name: str | None = None
    read_only: bool | None = None
    recursive_read_only: str | None = None
    volume_status: VolumeStatus | None = None


class VolumeStatus(K8sModel):
    image: ImageVolumeStatus | None = None


class ImageVolumeStatus(K8sModel):
    image_ref: str | None = None

class ResourceStatus(K8sModel):
    name: str | None = None
    resources: list[ResourceHealth] | None = None


class ResourceHealth(K8sModel):
    health: str | None = None
    message: str | None = None
    resource_id: str | None = Field(default=None, alias="resourceID")


class PodResourceClaimStatus(K8sModel):
    name: str | None = None
    resource_claim_name: str | None = None


class PodExtendedResourceClaimStatus(K8sModel):
    request_mappings: list[ContainerExtendedResourceRequest] | None = None
    resource_claim_name: str | None = None


class ContainerExtendedResourceRequest(K8sModel):
    container_name: str | None = None
    request_name: str | None = None
    resource_name: str | None = None


class NodeAllocatableResourceClaimStatus(K8sModel):
    containers: list[str] | None = None
    mapping: list[NodeAllocatableMappedResources] | None = None
    overhead: list[NodeAllocatableOverheadResources] | None = None
    resource_claim_name: str | None = None


class NodeAllocatableMappedResources(K8sModel):
    name: str | None = None
    quantity: Quantity | None = None


class NodeAllocatableOverheadResources(K8sModel):
    name: str | None = None
    per_container: Quantity | None = None
    per_pod: Quantity | None = None


class PodVolumeHealth(K8sModel):
    health_conditions: list[VolumeHealthCondition] | None = None
    last_transition_time: str | None = None
    name: str | None = None


class VolumeHealthCondition(K8sModel):
    message: str | None = None
    reason: str | None = None
    status: str | None = None


# --- The scheduler's decision.


class Binding(K8sModel):
    """Assigns a pod to a node: the scheduler POSTs it to `pods/<name>/binding`, which sets `spec.nodeName`."""

    api_version: str = "v1"
    kind: str = "Binding"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    target: ObjectReference | None = None
