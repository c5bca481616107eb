"""The Node: a machine a kubelet registered, its taints, capacity and health.

The kubelet writes the status (capacity, allocatable, conditions, addresses,
nodeInfo) and renews its Lease; the scheduler reads allocatable and taints.
Fields are listed alphabetically, as in the Kubernetes API reference.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from objects.base import K8sModel
from objects.meta import ObjectMeta
from objects.phases import ConditionStatus, NodeConditionType
from objects.quantity import Quantity


class Node(K8sModel):
    """A machine running a kubelet. The kubelet registers it and keeps its status current."""

    api_version: str = "v1"
    kind: str = "Node"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: NodeSpec | None = None
    status: NodeStatus | None = None

    @property
    def is_ready(self) -> bool:
        """Its Ready condition is True; a node that has not reported one yet is not ready."""
        for condition in (self.status.conditions if self.status else None) or []:
            if condition.type == NodeConditionType.READY:
                return condition.status == ConditionStatus.TRUE
        return False


class NodeSpec(K8sModel):
    """Desired state of a node: taints, cordon (`unschedulable`) and the pod CIDRs it hands out."""

    config_source: NodeConfigSource | None = None
    external_id: str | None = Field(default=None, alias="externalID")
    pod_cidr: str | None = Field(default=None, alias="podCIDR")
    pod_cidrs: list[str] | None = Field(default=None, alias="podCIDRs")
    pod_preemption_policy: NodePodPreemptionPolicy | None = None
    provider_id: str | None = Field(default=None, alias="providerID")
    taints: list[Taint] | None = None
    unschedulable: bool | None = None


class Taint(K8sModel):
    """Repels pods that do not tolerate it: NoSchedule, PreferNoSchedule or NoExecute."""

    effect: str | None = None
    key: str | None = None
    time_added: str | None = None
    value: str | None = None


# The closed sets a pod is matched against a node with. Like the phases, each member equals its wire
# string; the model fields stay plain strings, so an unknown value is kept and simply matches nothing.


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"  # no new pods that do not tolerate it
    PREFER_NO_SCHEDULE = "PreferNoSchedule"  # the scheduler avoids the node for such pods
    NO_EXECUTE = "NoExecute"  # no new pods, and running ones are evicted


class TolerationOperator(StrEnum):
    """How a pod's toleration compares its value with a taint's ("" means Equal)."""

    EQUAL = "Equal"
    EXISTS = "Exists"


class NodeSelectorOperator(StrEnum):
    """The operators of node affinity's matchExpressions and matchFields."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    GT = "Gt"
    LT = "Lt"


class NodeConfigSource(K8sModel):
    config_map: ConfigMapNodeConfigSource | None = None


class ConfigMapNodeConfigSource(K8sModel):
    kubelet_config_key: str | None = None
    name: str | None = None
    namespace: str | None = None
    resource_version: str | None = None
    uid: str | None = None


class NodePodPreemptionPolicy(K8sModel):
    disable_resize_preemption: list[str] | None = None


# --- Observed state, written by the kubelet.


class NodeStatus(K8sModel):
    """Observed state of a node: what it has (capacity), what pods may use (allocatable) and its health."""

    addresses: list[NodeAddress] | None = None
    allocatable: dict[str, Quantity] | None = None
    capacity: dict[str, Quantity] | None = None
    conditions: list[NodeCondition] | None = None
    config: NodeConfigStatus | None = None
    daemon_endpoints: NodeDaemonEndpoints | None = None
    declared_features: list[str] | None = None
    features: NodeFeatures | None = None
    images: list[ContainerImage] | None = None
    node_info: NodeSystemInfo | None = None
    phase: str | None = None
    runtime_handlers: list[NodeRuntimeHandler] | None = None
    volumes_attached: list[AttachedVolume] | None = None
    volumes_in_use: list[str] | None = None


class NodeCondition(K8sModel):
    """Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable; True/False/Unknown."""

    last_heartbeat_time: str | None = None
    last_transition_time: str | None = None
    message: str | None = None
    reason: str | None = None
    status: ConditionStatus | None = None
    type: str | None = None


class NodeAddress(K8sModel):
    address: str | None = None
    type: str | None = None


class NodeDaemonEndpoints(K8sModel):
    kubelet_endpoint: DaemonEndpoint | None = None


class DaemonEndpoint(K8sModel):
    port: int | None = Field(default=None, alias="Port")


class NodeSystemInfo(K8sModel):
    """Facts the kubelet reports about its machine and software versions."""

    architecture: str | None = None
    boot_id: str | None = Field(default=None, alias="bootID")
    container_runtime_version: str | None = None
    kernel_version: str | None = None
    kube_proxy_version: str | None = None
    kubelet_version: str | None = None
    machine_id: str | None = Field(default=None, alias="machineID")
    operating_system: str | None = None
    os_image: str | None = None
    running_in_user_namespace: bool | None = None
    swap: NodeSwapStatus | None = None
    system_uuid: str | None = Field(default=None, alias="systemUUID")


class NodeSwapStatus(K8sModel):
    capacity: int | None = None


class ContainerImage(K8sModel):
    names: list[str] | None = None
    size_bytes: int | None = None


class AttachedVolume(K8sModel):
    device_path: str | None = None
    name: str | None = None


class NodeConfigStatus(K8sModel):
    active: NodeConfigSource | None = None
    assigned: NodeConfigSource | None = None
    error: str | None = None
    last_known_good: NodeConfigSource | None = None


class NodeFeatures(K8sModel):
    supplemental_groups_policy: bool | None = None


class NodeRuntimeHandler(K8sModel):
    features: NodeRuntimeHandlerFeatures | None = None
    name: str | None = None


class NodeRuntimeHandlerFeatures(K8sModel):
    recursive_read_only_mounts: bool | None = None
    user_namespaces: bool | None = None
