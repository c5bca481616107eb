"""Workload controllers of apps/v1 (Deployment, ReplicaSet, DaemonSet), their history, and autoscaling/v1 Scale.

A Deployment owns ReplicaSets, a ReplicaSet owns Pods, a DaemonSet owns one Pod
per eligible Node and one ControllerRevision per template it has had; each
stamps Pods from its PodTemplateSpec. Fields are listed alphabetically, as in
the Kubernetes API reference.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from objects.base import K8sModel
from objects.meta import IntOrString, LabelSelector, ObjectMeta
from objects.pod import PodSpec


class Deployment(K8sModel):
    """Keeps `replicas` pods of a template running and rolls them to a new template through ReplicaSets."""

    api_version: str = "apps/v1"
    kind: str = "Deployment"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: DeploymentSpec | None = None
    status: DeploymentStatus | None = None

    @property
    def replicas(self) -> int:
        """spec.replicas, 1 when unset (as defaulting leaves it)."""
        return _replicas(self.spec)


class DeploymentSpec(K8sModel):
    min_ready_seconds: int | None = None
    paused: bool | None = None
    progress_deadline_seconds: int | None = None
    replicas: int | None = None
    revision_history_limit: int | None = None
    selector: LabelSelector | None = None
    strategy: DeploymentStrategy | None = None
    template: PodTemplateSpec | None = None


class DeploymentStrategyType(StrEnum):
    ROLLING_UPDATE = "RollingUpdate"
    RECREATE = "Recreate"


class DeploymentStrategy(K8sModel):
    """"RollingUpdate" (the default) replaces pods gradually; "Recreate" kills all old pods first."""

    rolling_update: RollingUpdateDeployment | None = None
    type: str | None = None


class RollingUpdateDeployment(K8sModel):
    """`max_surge` and `max_unavailable` are counts or percentages ("25%")."""

    max_surge: IntOrString | None = None
    max_unavailable: IntOrString | None = None


class DeploymentStatus(K8sModel):
    available_replicas: int | None = None
    collision_count: int | None = None
    conditions: list[DeploymentCondition] | None = None
    observed_generation: int | None = None
    ready_replicas: int | None = None
    replicas: int | None = None
    terminating_replicas: int | None = None
    unavailable_replicas: int | None = None
    updated_replicas: int | None = None


class DeploymentCondition(K8sModel):
    last_transition_time: str | None = None
    last_update_time: str | None = None
    message: str | None = None
    reason: str | None = None
    status: str | None = None
    type: str | None = None


class ReplicaSet(K8sModel):
    """Keeps `replicas` pods matching its selector running, creating them from its template."""

    api_version: str = "apps/v1"
    kind: str = "ReplicaSet"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ReplicaSetSpec | None = None
    status: ReplicaSetStatus | None = None

    @property
    def replicas(self) -> int:
        """spec.replicas, 1 when unset (as defaulting leaves it)."""
        return _replicas(self.spec)

    @property
    def min_ready_seconds(self) -> int:
        return (self.spec.min_ready_seconds if self.spec else None) or 0


class ReplicaSetSpec(K8sModel):
    min_ready_seconds: int | None = None
    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None


class ReplicaSetStatus(K8sModel):
    available_replicas: int | None = None
    conditions: list[ReplicaSetCondition] | None = None
    fully_labeled_replicas: int | None = None
    observed_generation: int | None = None
    ready_replicas: int | None = None
    replicas: int | None = None
    terminating_replicas: int | None = None


class ReplicaSetCondition(K8sModel):
    last_transition_time: str | None = None
    message: str | None = None
    reason: str | None = None
    status: str | None = None
    type: str | None = None


class DaemonSet(K8sModel):
    """Runs one pod from its template on every node its selector and tolerations allow."""

    api_version: str = "apps/v1"
    kind: str = "DaemonSet"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: DaemonSetSpec | None = None
    status: DaemonSetStatus | None = None


class DaemonSetSpec(K8sModel):
    min_ready_seconds: int | None = None
    revision_history_limit: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None
    update_strategy: DaemonSetUpdateStrategy | None = None


class DaemonSetUpdateStrategyType(StrEnum):
    ROLLING_UPDATE = "RollingUpdate"
    ON_DELETE = "OnDelete"


class DaemonSetUpdateStrategy(K8sModel):
    rolling_update: RollingUpdateDaemonSet | None = None
    type: str | None = None


class RollingUpdateDaemonSet(K8sModel):
    max_surge: IntOrString | None = None
    max_unavailable: IntOrString | None = None


class DaemonSetStatus(K8sModel):
    collision_count: int | None = None
    conditions: list[DaemonSetCondition] | None = None
    current_number_scheduled: int | None = None
    desired_number_scheduled: int | None = None
    number_available: int | None = None
    number_misscheduled: int | None = None
    number_ready: int | None = None
    number_unavailable: int | None = None
    observed_generation: int | None = None
    updated_number_scheduled: int | None = None


class DaemonSetCondition(K8sModel):
    last_transition_time: str | None = None
    message: str | None = None
    reason: str | None = None
    status: str | None = None
    type: str | None = None


class ControllerRevision(K8sModel):
    """One revision of a controller's state, kept so it can be rolled back to; `data` never changes.

    A DaemonSet's `data` is a strategic merge patch that puts its template back:
    `{"spec": {"template": {..., "$patch": "replace"}}}`.
    """

    api_version: str = "apps/v1"
    kind: str = "ControllerRevision"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    data: Any = None
    revision: int = 0  # Go's int64 without omitempty: always on the wire


# --- Shared by all three, and the scale subresource.


class PodTemplateSpec(K8sModel):
    """The pod a controller stamps out: metadata (labels) and spec."""

    metadata: ObjectMeta | None = None
    spec: PodSpec | None = None


class Scale(K8sModel):
    """The `scale` subresource (autoscaling/v1) of a Deployment or ReplicaSet: desired and current replicas."""

    api_version: str = "autoscaling/v1"
    kind: str = "Scale"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ScaleSpec | None = None
    status: ScaleStatus | None = None


class ScaleSpec(K8sModel):
    replicas: int | None = None


class ScaleStatus(K8sModel):
    replicas: int | None = None
    selector: str | None = None


def _replicas(spec: DeploymentSpec | ReplicaSetSpec | None) -> int:
    return 1 if spec is None or spec.replicas is None else spec.replicas
