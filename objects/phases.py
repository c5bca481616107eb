"""The closed sets of words the pod lifecycle is told in, as enums, and the predicates on them.

They are StrEnums: each member equals the string Kubernetes puts on the wire
(`PodPhase.RUNNING == "Running"`), so code reading a raw JSON dict and code
reading a model compare against the same names.

    Pending ──> Running ──> Succeeded
        │          │
        └──────────┴──────> Failed          (Unknown: the node stopped reporting)
"""

from __future__ import annotations

from enum import StrEnum


class PodPhase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    UNKNOWN = "Unknown"


# A finished pod never runs again: its containers are gone for good and it holds no node resources.
FINISHED_PHASES = frozenset({PodPhase.SUCCEEDED, PodPhase.FAILED})


def is_finished_phase(phase: str | None) -> bool:
    """Whether a pod in `phase` has finished for good (for code that holds the raw phase string)."""
    return phase in FINISHED_PHASES


class ConditionStatus(StrEnum):
    """The status of any condition, on pods and nodes alike."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class RestartPolicy(StrEnum):
    ALWAYS = "Always"
    ON_FAILURE = "OnFailure"
    NEVER = "Never"


class PullPolicy(StrEnum):
    """A container's imagePullPolicy: when the kubelet pulls its image before starting it."""

    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"


class PodConditionType(StrEnum):
    """The pod conditions the scheduler and the kubelet write. Readiness gates may add others, so the
    `type` field of a PodCondition stays a plain string."""

    POD_SCHEDULED = "PodScheduled"
    POD_READY_TO_START_CONTAINERS = "PodReadyToStartContainers"
    INITIALIZED = "Initialized"
    CONTAINERS_READY = "ContainersReady"
    READY = "Ready"


class NodeConditionType(StrEnum):
    READY = "Ready"
    MEMORY_PRESSURE = "MemoryPressure"
    DISK_PRESSURE = "DiskPressure"
    PID_PRESSURE = "PIDPressure"
    NETWORK_UNAVAILABLE = "NetworkUnavailable"
