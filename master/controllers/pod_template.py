"""What the workload controllers share: stamping pods from templates, owner references, pod readiness.

Ownership is how a controller knows what is its own (apimachinery's
ControllerRefManager): an object is claimed when its controller reference names
the owner's uid. A matching orphan is adopted (a reference is added) and an owned
object that stopped matching the selector is released (the reference removed):

    orphan ──labels match──► adopt ──► owned ──labels stop matching──► release ──► orphan

The pod-template-hash names a template: `<deployment>-<hash>` is the ReplicaSet
that runs it, and the label `pod-template-hash=<hash>` keeps the pods of two
ReplicaSets of one Deployment apart. Kubernetes hashes its Go printout of the
template with FNV-32a; tinykube hashes the template's canonical JSON (keys
sorted, empty values dropped) with the same FNV-32a and renders the number with
the same "safe" alphabet, so hashes look like Kubernetes' (`5d4f9c7b8`) and stay
the same across restarts, but are not byte-equal to what a real cluster computes.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any, TypeVar

from apiclient import ApiClient, ApiStatusError
from master.controllers.cache_view import ObjectView
from objects.apps import PodTemplateSpec
from objects.base import K8sModel
from objects.kinds import ResourceType
from objects.meta import LabelSelector, ObjectMeta, OwnerReference
from objects.pod import Pod, PodSpec
from objects.selectors import LabelSelectorExpr, selector_from_label_selector

TEMPLATE_HASH_LABEL = "pod-template-hash"
# The generateName alphabet of the apiserver (no vowels, no look-alikes), used to render the hash.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
FNV32_OFFSET = 0x811C9DC5
FNV32_PRIME = 0x01000193

Obj = dict[str, Any]
"""An object as it is on the wire and in the informer caches; the hashes below are of this form."""
ViewT = TypeVar("ViewT", bound=ObjectView)


# ----- templates and their hash


def without_empty_values(value: Any) -> Any:
    """Drop None, {} and [] at every depth: JSON round-tripped through a Go struct (kubectl) carries them."""
    if isinstance(value, dict):
        kept = {k: without_empty_values(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [without_empty_values(v) for v in value]
    return value


def fnv32a(data: bytes) -> int:
    value = FNV32_OFFSET
    for byte in data:
        value = ((value ^ byte) * FNV32_PRIME) & 0xFFFFFFFF
    return value


def template_hash(template: Obj, collision_count: int | None = None) -> str:
    """controller.ComputeHash: FNV-32a of the template (plus the collision count), safe-encoded."""
    canonical = json.dumps(without_empty_values(template), sort_keys=True, separators=(",", ":"))
    data = canonical.encode()
    if collision_count is not None:
        data += str(collision_count).encode()
    return "".join(SAFE_ALPHABET[ord(digit) % len(SAFE_ALPHABET)] for digit in str(fnv32a(data)))


def templates_equal_ignoring_hash(a: Obj | None, b: Obj | None) -> bool:
    """deploymentutil.EqualIgnoreHash: the same template, whatever pod-template-hash label either carries."""
    return _without_hash_label(a) == _without_hash_label(b)


def _without_hash_label(template: Obj | None) -> Any:
    template = copy.deepcopy(template or {})
    labels = (template.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(TEMPLATE_HASH_LABEL, None)
    return without_empty_values(template)


def pod_from_template(template: PodTemplateSpec, owner: ObjectMeta, owner_rt: ResourceType) -> Pod:
    """controller.GetPodFromTemplate: a pod named `<owner>-xxxxx`, labelled as the template, controlled by `owner`."""
    template_meta = template.metadata or ObjectMeta()
    meta = ObjectMeta(generate_name=f"{owner.name}-", namespace=owner.namespace,
                      owner_references=[controller_ref(owner, owner_rt)],
                      labels=copy.deepcopy(template_meta.labels) or None,
                      annotations=copy.deepcopy(template_meta.annotations) or None,
                      finalizers=copy.deepcopy(template_meta.finalizers) or None)
    return Pod(metadata=meta, spec=template.spec.model_copy(deep=True) if template.spec else PodSpec())


def event_subject(obj: K8sModel) -> Obj:
    """What an EventRecorder needs of a top-level model (apiVersion, kind, metadata) to name it as involvedObject."""
    meta = obj.metadata
    return {"apiVersion": obj.api_version, "kind": obj.kind,
            "metadata": {key: value for key, value in (("name", meta.name), ("namespace", meta.namespace),
                                                        ("uid", meta.uid), ("resourceVersion", meta.resource_version))
                         if value is not None}}


# ----- owner references


def controller_ref(owner: ObjectMeta, owner_rt: ResourceType) -> OwnerReference:
    """metav1.NewControllerRef: the owner controls this object and blocks its foreground deletion."""
    return OwnerReference.to_controller(owner, api_version=owner_rt.api_version, kind=owner_rt.kind)


def label_selector(selector: LabelSelector | None) -> LabelSelectorExpr:
    """A workload's spec.selector as an expression; one that does not parse selects nothing."""
    try:
        return selector_from_label_selector(selector.to_wire() if selector is not None else None)
    except ValueError:
        return selector_from_label_selector(None)


def cached_selector(workload: Obj) -> LabelSelectorExpr:
    """The spec.selector of a workload as the informer caches it, read without parsing the whole object
    (event handlers try every cached workload against one changed object)."""
    selector = (workload.get("spec") or {}).get("selector")
    return label_selector(None if selector is None else LabelSelector.model_validate(selector))


def claim(client: ApiClient, rt: ResourceType, owner: ObjectMeta, owner_rt: ResourceType,
          selector: LabelSelectorExpr, candidates: list[ViewT]) -> list[ViewT]:
    """ControllerRefManager.Claim: what `owner` controls once matching orphans are adopted and strays released.

    `candidates` are objects of kind `rt` in the owner's namespace. Writes are
    compare-and-swap on resourceVersion, so a racing adopter makes us retry, never
    share. An owner being deleted neither adopts nor releases.
    """
    claimed: list[ViewT] = []
    adoption_checked = False
    for obj in candidates:
        matches = selector.matches(obj.labels)
        controller_uid = obj.controller_uid
        if controller_uid is not None:
            if controller_uid != owner.uid:
                continue  # someone else's
            if matches:
                claimed.append(obj)
            elif not owner.is_terminating:
                _release(client, rt, obj, owner.uid)
            continue
        if owner.is_terminating or not matches or obj.is_terminating:
            continue
        if not adoption_checked:
            _require_fresh_owner(client, owner, owner_rt)
            adoption_checked = True
        claimed.append(type(obj)(_adopt(client, rt, obj, controller_ref(owner, owner_rt))))
    return claimed


class OwnerChanged(Exception):
    """The owner was deleted or replaced since the cache saw it: adopting now would steal for a ghost."""


def _require_fresh_owner(client: ApiClient, owner: ObjectMeta, owner_rt: ResourceType) -> None:
    # RecheckDeletionTimestamp: the cached owner may be stale; only a live read may authorise adoption.
    fresh = ObjectMeta.model_validate(client.get(owner_rt, owner.name, owner.namespace)["metadata"])
    if fresh.uid != owner.uid or fresh.is_terminating:
        raise OwnerChanged(f"{owner_rt.kind} {owner.namespace}/{owner.name} changed; not adopting")


def _adopt(client: ApiClient, rt: ResourceType, obj: ObjectView, ref: OwnerReference) -> Obj:
    patch = {"metadata": {"ownerReferences": [ref.to_wire()], "resourceVersion": obj.resource_version}}
    return client.patch(rt, obj.name, patch, obj.namespace)


def _release(client: ApiClient, rt: ResourceType, obj: ObjectView, owner_uid: str | None) -> None:
    patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": owner_uid}],
                          "resourceVersion": obj.resource_version}}
    try:
        client.patch(rt, obj.name, patch, obj.namespace)
    except ApiStatusError as error:
        if error.code != 404:  # gone already: nothing left to release
            raise


# ----- time


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
