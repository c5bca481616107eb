"""Object metadata and the envelope types every kind shares.

ObjectMeta (name, namespace, labels, resourceVersion...), owner references and
label selectors; ListMeta and the generic list body; DeleteOptions. Fields are
listed alphabetically, as in the Kubernetes API reference, so a missing one is
easy to spot. (Status, the error body, lives in objects.status: its fields keep
the order the apiserver writes them in.)
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from pydantic import Field

from objects.base import K8sModel

IntOrString = int | str
"""A port or a count that may also be written by name or as a percentage: 8080, "http", "25%"."""

ItemT = TypeVar("ItemT", bound=K8sModel)


def parse_time(value: str | None) -> datetime | None:
    """A metav1.Time as written on the wire ("2024-05-01T12:00:00Z"), in UTC; None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class ObjectMeta(K8sModel):
    """Identity and bookkeeping every object carries; the server owns uid, resourceVersion and the timestamps."""

    annotations: dict[str, str] | None = None
    creation_timestamp: str | None = None
    deletion_grace_period_seconds: int | None = None
    deletion_timestamp: str | None = None
    finalizers: list[str] | None = None
    generate_name: str | None = None
    generation: int | None = None
    labels: dict[str, str] | None = None
    managed_fields: list[ManagedFieldsEntry] | None = None
    name: str | None = None
    namespace: str | None = None
    owner_references: list[OwnerReference] | None = None
    resource_version: str | None = None
    self_link: str | None = None
    uid: str | None = None

    @property
    def is_terminating(self) -> bool:
        """Deleted, and kept only until its finalizers (or its kubelet) let it go."""
        return self.deletion_timestamp is not None

    def controller_ref(self) -> OwnerReference | None:
        """The owner reference with controller=true, if any: there is at most one."""
        return next((ref for ref in self.owner_references or [] if ref.controller), None)

    def is_controlled_by(self, owner_uid: str | None) -> bool:
        """Whether the object's controller reference names the owner with this uid."""
        ref = self.controller_ref()
        return ref is not None and ref.uid == owner_uid


class OwnerReference(K8sModel):
    """Points at the object that owns this one; the garbage collector deletes orphans of a deleted owner."""

    api_version: str | None = None
    block_owner_deletion: bool | None = None
    controller: bool | None = None
    kind: str | None = None
    name: str | None = None
    uid: str | None = None

    @classmethod
    def to_controller(cls, owner: ObjectMeta, *, api_version: str, kind: str) -> OwnerReference:
        """metav1.NewControllerRef: `owner` controls the object and blocks its foreground deletion."""
        return cls(api_version=api_version, kind=kind, name=owner.name, uid=owner.uid, controller=True,
                   block_owner_deletion=True)


class ManagedFieldsEntry(K8sModel):
    """Server-side apply bookkeeping; `fieldsV1` is an opaque field set, kept as sent."""

    api_version: str | None = None
    fields_type: str | None = None
    fields_v1: dict[str, Any] | None = None
    manager: str | None = None
    operation: str | None = None
    subresource: str | None = None
    time: str | None = None


class LabelSelector(K8sModel):
    """All of matchLabels and all of matchExpressions must hold; an empty selector matches everything."""

    match_expressions: list[LabelSelectorRequirement] | None = None
    match_labels: dict[str, str] | None = None


class LabelSelectorRequirement(K8sModel):
    key: str | None = None
    operator: str | None = None
    values: list[str] | None = None


class ObjectReference(K8sModel):
    """Names any object: the target of a Binding, the subject of an Event."""

    api_version: str | None = None
    field_path: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    resource_version: str | None = None
    uid: str | None = None


class LocalObjectReference(K8sModel):
    name: str | None = None


class ListMeta(K8sModel):
    """The metadata of a list: the resourceVersion to watch from and the `continue` token of the next page."""

    continue_: str | None = Field(default=None, alias="continue")
    remaining_item_count: int | None = None
    resource_version: str | None = None
    self_link: str | None = None
    shard_info: ShardInfo | None = None


class ObjectList(K8sModel, Generic[ItemT]):
    """A list body (`PodList`, `NodeList`...): `ObjectList[Pod](kind="PodList", api_version="v1", items=...)`.

    `items` is always sent, even empty, because clients index into it.
    """

    api_version: str | None = None
    kind: str | None = None
    metadata: ListMeta = Field(default_factory=ListMeta)
    items: list[ItemT] = Field(default_factory=list)


class ShardInfo(K8sModel):
    selector: str | None = None


class DeleteOptions(K8sModel):
    """The optional body of a DELETE. Its apiVersion and kind are optional on the wire, so no defaults."""

    api_version: str | None = None
    dry_run: list[str] | None = None
    grace_period_seconds: int | None = None
    ignore_store_read_error_with_cluster_breaking_potential: bool | None = None
    kind: str | None = None
    orphan_dependents: bool | None = None
    preconditions: Preconditions | None = None
    propagation_policy: str | None = None


class Preconditions(K8sModel):
    resource_version: str | None = None
    uid: str | None = None
