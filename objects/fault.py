"""Fault: a tinykube.io/v1alpha1 kind that asks one kubelet to misbehave for a while, so a learner can watch
the cluster react (`tkctl fault ...`, `kubectl get faults`).

The kubelet of `spec.nodeName` carries the fault out and reports on it in
`status`; every write it makes because of the fault reacts to the fault's
revision, so `tkctl trace fault/NAME` shows what followed. A fault ends by
itself at `status.expiresAt` (start + `spec.durationSeconds`), and the kubelet
then puts everything back; deleting it ends it early.

    type             what the kubelet does                              fields
    CrashContainer   kills the container once (exit code 128+signal)    pod (ns/name), container, exitCode
    Partition        stops its heartbeats and every API call for the    durationSeconds
                     duration; its pods keep running
    DelayRuntime     waits delayMilliseconds before every runtime call  delayMilliseconds, durationSeconds
    FailPulls        fails every pull of `image` (ErrImagePull)         image, durationSeconds

Phases: Pending (created, not yet seen) -> Active -> Expired; Failed when the
kubelet could not carry it out (status.message says why).
"""

from __future__ import annotations

from pydantic import Field

from objects.base import K8sModel
from objects.meta import ObjectMeta

API_VERSION = "tinykube.io/v1alpha1"
FAULT_TYPES = ("CrashContainer", "Partition", "DelayRuntime", "FailPulls")
FAULT_PHASES = ("Pending", "Active", "Expired", "Failed")
DEFAULT_DURATION_SECONDS = 30
DEFAULT_EXIT_CODE = 137  # 128 + SIGKILL
MAX_DURATION_SECONDS = 3600
# A delay longer than this would keep a runtime call waiting long after anyone remembers why; it is also
# at most the fault's duration, so no call still waits once the fault is over.
MAX_DELAY_MILLISECONDS = 60_000
# Docker ends a container only by a signal, so an exit code says which: 128 + signal number (1..64).
MIN_EXIT_CODE, MAX_EXIT_CODE = 129, 192


class FaultSpec(K8sModel):
    # Both required; "" (unset) reaches validation, which names the missing field in a 422.
    type: str = ""  # one of FAULT_TYPES
    node_name: str = ""  # the kubelet that carries it out
    duration_seconds: int | None = None  # Partition, DelayRuntime, FailPulls; default DEFAULT_DURATION_SECONDS
    pod: str | None = None  # CrashContainer: "namespace/name"
    container: str | None = None  # CrashContainer: defaults to the pod's first container
    exit_code: int | None = None  # CrashContainer: 128+signal, default 137 (SIGKILL)
    delay_milliseconds: int | None = None  # DelayRuntime: 1..MAX_DELAY_MILLISECONDS and at most the duration
    image: str | None = None  # FailPulls

    @property
    def duration(self) -> int:
        """How long the fault lasts, in seconds (a crash is over once done, but is kept as long)."""
        return self.duration_seconds or DEFAULT_DURATION_SECONDS

    @property
    def signal(self) -> int:
        """The signal a CrashContainer sends: its exit code less 128."""
        return (self.exit_code or DEFAULT_EXIT_CODE) - 128


class FaultStatus(K8sModel):
    phase: str | None = None  # one of FAULT_PHASES
    started_at: str | None = None  # RFC 3339 with milliseconds
    expires_at: str | None = None
    message: str | None = None


class Fault(K8sModel):
    api_version: str = API_VERSION
    kind: str = "Fault"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: FaultSpec = Field(default_factory=FaultSpec)
    status: FaultStatus | None = None

    @property
    def phase(self) -> str:
        """Pending until its kubelet has seen it."""
        return (self.status.phase if self.status else None) or "Pending"
