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
from typing import Any

from apiclient import ApiClient, ApiStatusError
from objects.kinds import ResourceType
from objects.selectors import LabelSelectorExpr

TEMPLATE_HASH_LABEL = "pod-template-hash"
# The generateName alphabet of the apiserver (no vowels, no look-alikes), used to render the hash.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
FNV32_OFFSET = 0x811C9DC5
FNV32_PRIME = 0x01000193

Obj = dict[str, Any]


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


def pod_from_template(template: Obj, owner: Obj, owner_rt: ResourceType) -> Obj:
    """controller.GetPodFromTemplate: a pod named `<owner>-xxxxx`, labelled as the template, controlled by `owner`."""
    template_meta = template.get("metadata") or {}
    meta: Obj = {"generateName": f"{owner['metadata']['name']}-", "namespace": owner["metadata"]["namespace"],
                 "ownerReferences": [controller_ref(owner, owner_rt)]}
    for field in ("labels", "annotations", "finalizers"):
        if template_meta.get(field):
            meta[field] = copy.deepcopy(template_meta[field])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template.get("spec") or {})}


# ----- owner references


def controller_ref(owner: Obj, owner_rt: ResourceType) -> Obj:
    """metav1.NewControllerRef: the owner controls this object and blocks its foreground deletion."""
    return {"apiVersion": owner_rt.api_version, "kind": owner_rt.kind, "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def controller_of(obj: Obj) -> Obj | None:
    """The owner reference with controller=true, if any (there is at most one)."""
    return next((ref for ref in obj["metadata"].get("ownerReferences") or [] if ref.get("controller")), None)


def is_controlled_by(obj: Obj, owner: Obj) -> bool:
    ref = controller_of(obj)
    return ref is not None and ref.get("uid") == owner["metadata"]["uid"]


def claim(client: ApiClient, rt: ResourceType, owner: Obj, owner_rt: ResourceType, selector: LabelSelectorExpr,
          candidates: list[Obj]) -> list[Obj]:
    """ControllerRefManager.Claim: what `owner` controls once matching orphans are adopted and strays released.

    `candidates` are objects of kind `rt` in the owner's namespace. Writes are
    compare-and-swap on resourceVersion, so a racing adopter makes us retry, never
    share. An owner being deleted neither adopts nor releases.
    """
    owner_meta = owner["metadata"]
    deleting = bool(owner_meta.get("deletionTimestamp"))
    claimed: list[Obj] = []
    adoption_checked = False
    for obj in candidates:
        ref = controller_of(obj)
        matches = selector.matches(obj["metadata"].get("labels"))
        if ref is not None:
            if ref.get("uid") != owner_meta["uid"]:
                continue  # someone else's
            if matches:
                claimed.append(obj)
            elif not deleting:
                _release(client, rt, obj, owner_meta["uid"])
            continue
        if deleting or not matches or obj["metadata"].get("deletionTimestamp"):
            continue
        if not adoption_checked:
            _require_fresh_owner(client, owner, owner_rt)
            adoption_checked = True
        claimed.append(_adopt(client, rt, obj, controller_ref(owner, owner_rt)))
    return claimed


class OwnerChanged(Exception):
    """The owner was deleted or replaced since the cache saw it: adopting now would steal for a ghost."""


def _require_fresh_owner(client: ApiClient, owner: Obj, owner_rt: ResourceType) -> None:
    # RecheckDeletionTimestamp: the cached owner may be stale; only a live read may authorise adoption.
    meta = owner["metadata"]
    fresh = client.get(owner_rt, meta["name"], meta["namespace"])
    if fresh["metadata"]["uid"] != meta["uid"] or fresh["metadata"].get("deletionTimestamp"):
        raise OwnerChanged(f"{owner_rt.kind} {meta['namespace']}/{meta['name']} changed; not adopting")


def _adopt(client: ApiClient, rt: ResourceType, obj: Obj, ref: Obj) -> Obj:
    meta = obj["metadata"]
    patch = {"metadata": {"ownerReferences": [ref], "resourceVersion": meta["resourceVersion"]}}
    return client.patch(rt, meta["name"], patch, meta["namespace"])


def _release(client: ApiClient, rt: ResourceType, obj: Obj, owner_uid: str) -> None:
    meta = obj["metadata"]
    patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": owner_uid}],
                          "resourceVersion": meta["resourceVersion"]}}
    try:
        client.patch(rt, meta["name"], patch, meta["namespace"])
    except ApiStatusError as error:
        if error.code != 404:  # gone already: nothing left to release
            raise


# ----- pods as the workload controllers see them


def is_pod_active(pod: Obj) -> bool:
    """controller.IsPodActive: not finished and not being deleted, so it still counts toward replicas."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def ready_condition(pod: Obj) -> Obj | None:
    return next((c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)


def is_pod_ready(pod: Obj) -> bool:
    condition = ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def seconds_until_available(pod: Obj, min_ready_seconds: int, now: datetime) -> float | None:
    """0 when available (ready for minReadySeconds), the wait left when ready but not yet, None if not ready."""
    if not is_pod_ready(pod):
        return None
    if min_ready_seconds <= 0:
        return 0.0
    since = parse_time(ready_condition(pod).get("lastTransitionTime"))
    if since is None:
        return float(min_ready_seconds)
    return max(0.0, min_ready_seconds - (now - since).total_seconds())


def is_pod_available(pod: Obj, min_ready_seconds: int, now: datetime) -> bool:
    """podutil.IsPodAvailable: ready, and ready for at least minReadySeconds."""
    return seconds_until_available(pod, min_ready_seconds, now) == 0.0


# ----- time


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
