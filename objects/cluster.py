"""Cluster bookkeeping kinds: Namespace, Event (core/v1) and Lease (coordination.k8s.io/v1).

Events record what a component did to an object (FailedScheduling, Pulled,
Started); Leases carry node heartbeats in kube-node-lease.
"""

from __future__ import annotations

from pydantic import Field

from objects.base import K8sModel
from objects.meta import ObjectMeta, ObjectReference


class Namespace(K8sModel):
    """A named scope for namespaced objects; deleting it deletes everything inside it first."""

    api_version: str = "v1"
    kind: str = "Namespace"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: NamespaceSpec | None = None
    status: NamespaceStatus | None = None


class NamespaceSpec(K8sModel):
    finalizers: list[str] | None = None


class NamespaceStatus(K8sModel):
    conditions: list[NamespaceCondition] | None = None
    phase: str | None = None


class NamespaceCondition(K8sModel):
    last_transition_time: str | None = None
    message: str | None = None
    reason: str | None = None
    status: str | None = None
    type: str | None = None


class Event(K8sModel):
    """A record that something happened to `involved_object`: Scheduled, Pulled, Started, FailedScheduling..."""

    api_version: str = "v1"
    kind: str = "Event"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    action: str | None = None
    count: int | None = None
    event_time: str | None = None
    first_timestamp: str | None = None
    involved_object: ObjectReference | None = None
    last_timestamp: str | None = None
    message: str | None = None
    reason: str | None = None
    related: ObjectReference | None = None
    reporting_component: str | None = None
    reporting_instance: str | None = None
    series: EventSeries | None = None
    source: EventSource | None = None
    type: str | None = None


class EventSource(K8sModel):
    component: str | None = None
    host: str | None = None


class EventSeries(K8sModel):
    count: int | None = None
    last_observed_time: str | None = None


class Lease(K8sModel):
    """A lock with a holder and an expiry; kubelets renew one per node in kube-node-lease as their heartbeat."""

    api_version: str = "coordination.k8s.io/v1"
    kind: str = "Lease"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: LeaseSpec | None = None


class LeaseSpec(K8sModel):
    acquire_time: str | None = None
    holder_identity: str | None = None
    lease_duration_seconds: int | None = None
    lease_transitions: int | None = None
    preferred_holder: str | None = None
    renew_time: str | None = None
    strategy: str | None = None
