"""Status (metav1.Status): the body of every API error, and of some successful deletes.

The API server and the kubelet send it, apiclient reads it into `ApiStatusError`,
and tkctl words it as kubectl does. One model for all three, so what one side
writes the others read field for field.

Unlike the kind models, whose fields are alphabetical, these list their fields
in the order the apiserver writes them, because a dump keeps declaration order
and clients compare bodies byte for byte:

    {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
     "message": "pods \\"web\\" not found", "reason": "NotFound",
     "details": {"name": "web", "kind": "pods"}, "code": 404}

Empty fields are left out (`to_wire()` drops None); `metadata` is always `{}`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from objects.base import K8sModel
from objects.meta import ListMeta


class StatusOutcome(StrEnum):
    """The `status` field: whether the operation succeeded."""

    SUCCESS = "Success"
    FAILURE = "Failure"


class StatusCause(K8sModel):
    """One reason an operation failed; for Invalid, one bad field (`spec.containers[0].image`)."""

    reason: str | None = None
    message: str | None = None
    field: str | None = None


# core/v1 NamespaceTerminatingCause: the cause that comes with a create refused because its
# namespace is being deleted, so a client can tell this 403 apart without reading the message.
NAMESPACE_TERMINATING_CAUSE = "NamespaceTerminating"


class StatusDetails(K8sModel):
    """Which object the Status is about and, for Invalid, one cause per bad field."""

    name: str | None = None
    group: str | None = None
    kind: str | None = None
    uid: str | None = None
    causes: list[StatusCause] | None = None
    retry_after_seconds: int | None = None


class Status(K8sModel):
    """`reason` is the machine-readable cause (NotFound, AlreadyExists, Conflict, Invalid...);
    `code` repeats the HTTP status code."""

    kind: str = "Status"
    api_version: str = "v1"
    metadata: ListMeta = Field(default_factory=ListMeta)
    status: StatusOutcome | None = None
    message: str | None = None
    reason: str | None = None
    details: StatusDetails | None = None
    code: int | None = None

    @classmethod
    def failure(cls, code: int, reason: str, message: str, details: StatusDetails | None = None) -> Status:
        return cls(status=StatusOutcome.FAILURE, message=message, reason=reason, details=details, code=code)

    @classmethod
    def success(cls, details: StatusDetails | None = None) -> Status:
        return cls(status=StatusOutcome.SUCCESS, details=details)

    @property
    def causes(self) -> list[StatusCause]:
        return (self.details.causes or []) if self.details else []
