"""Strategic merge patch: how kubectl apply changes one container without losing the others.

A JSON merge patch (RFC 7386) replaces every list wholesale, so patching one
container's image would drop every other container. Kubernetes' answer is the
*strategic* merge patch: the same shape as the object, plus two rules.

1. Some lists are *merged by key*. Each Go field in Kubernetes' types carries
   a `patchStrategy:"merge"` tag and a `patchMergeKey`; for `containers` the key
   is `name`. A patch element updates the live element with the same key, or is
   added. Every other list is atomic: the patch replaces it. Lists of plain
   values tagged merge (`finalizers`) take the union.

       live:   containers: [{name: app, image: nginx:1.25}, {name: sidecar, ...}]
       patch:  containers: [{name: app, image: nginx:1.26}]
       result: containers: [{name: app, image: nginx:1.26}, {name: sidecar, ...}]

2. Keys starting with `$` are *directives*, never stored:

       $patch: delete            on a map: it becomes {}; as a list element: remove
                                 the element with that merge key
       $patch: replace           on a map: take the patch as is; as a list element:
                                 the list becomes the patch's other elements
       $patch: merge             the default, stated explicitly
       $retainKeys: [k, ...]     drop every live key not listed (switching a
                                 Deployment strategy, or a volume's source type)
       $setElementOrder/<f>: [...]    the order list <f> must end up in
       $deleteFromPrimitiveList/<f>: [...]   remove these values from list <f>

`null` deletes a key, as in a merge patch. Order within a merged list follows
the patch where it speaks and the live list where it does not (`_normalize_order`).

Kubernetes finds a list's strategy by walking the Go type of the object. tinykube
serves few kinds (Pods, Nodes, Namespaces, Events, Leases, Deployments,
ReplicaSets, DaemonSets), and in them a field name always means the same list,
so the strategy is looked up by the field's name alone (`MERGE_KEYS`). The
Service kinds name their lists alike but mean others (`KIND_MERGE_KEYS`).
"""

import copy
import json
from collections.abc import Callable, Mapping
from typing import Final

from master.patch.errors import PatchError

# The lists that Kubernetes' types (k8s.io/api core/v1, apps/v1, meta/v1) tag
# patchStrategy=merge, by field name, with their patchMergeKey. Lists of
# objects not named here are atomic: tolerations, readinessGates,
# containerStatuses, taints (NodeSpec.Taints has no patch strategy), command,
# args, envFrom, and so on.
MERGE_KEYS: Final[dict[str, str]] = {
    # PodSpec (also a Deployment's, ReplicaSet's or DaemonSet's pod template)
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "resourceClaims": "name",
    "schedulingGates": "name",
    "hostAliases": "ip",
    # The SMP key is topologyKey alone; the pair (topologyKey,
    # whenUnsatisfiable) is the server-side-apply list key.
    "topologySpreadConstraints": "topologyKey",
    # Container. Likewise containerPort alone: two entries sharing a port with
    # different protocols (53/TCP and 53/UDP) merge into one, as in Kubernetes.
    "ports": "containerPort",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    # PodStatus, NodeStatus, and the workloads' and namespaces' statuses
    "conditions": "type",
    "addresses": "type",
    "podIPs": "ip",
    "hostIPs": "ip",
    "resourceClaimStatuses": "name",
    # ObjectMeta
    "ownerReferences": "uid",
}

# Kinds whose lists share names with those above but not their strategy: a Service's ports merge by
# port (ServiceSpec.Ports), and every list of Endpoints and EndpointSlices is atomic (listType=atomic:
# a patch replaces it whole, addresses and ports included), so only their metadata merges.
KIND_MERGE_KEYS: Final[dict[str, dict[str, str]]] = {
    "Service": {"ports": "port", "conditions": "type", "ownerReferences": "uid"},
    "Endpoints": {"ownerReferences": "uid"},
    "EndpointSlice": {"ownerReferences": "uid"},
}

# Lists of plain values tagged patchStrategy=merge: a patch adds its values
# (a set union) instead of replacing the list. By name, Namespace
# spec.finalizers merges too, where Kubernetes would replace it.
PRIMITIVE_MERGE_LISTS: Final[frozenset[str]] = frozenset({"finalizers", "podCIDRs"})

PATCH: Final = "$patch"
RETAIN_KEYS: Final = "$retainKeys"
SET_ELEMENT_ORDER: Final = "$setElementOrder/"
DELETE_FROM_PRIMITIVE_LIST: Final = "$deleteFromPrimitiveList/"


def apply_strategic_merge_patch(original: dict, patch: dict, *, kind: str | None = None) -> dict:
    """Apply a strategic merge patch; return a new object and leave both inputs untouched.

    `kind` picks the lists' strategies where they differ by kind (KIND_MERGE_KEYS)."""
    if not isinstance(original, dict):
        raise PatchError(f"cannot patch a {type(original).__name__}: the object must be a JSON object")
    if not isinstance(patch, dict):
        raise PatchError(f"a strategic merge patch must be a JSON object, got a {type(patch).__name__}")
    # Copy once here so the functions below may share values freely: the result
    # then holds nothing that belongs to the caller.
    keys = KIND_MERGE_KEYS.get(kind or "", MERGE_KEYS)
    return _merge_map(copy.deepcopy(original), copy.deepcopy(patch), keys)


# Maps ----------------------------------------------------------------------


def _merge_map(live: dict, patch: dict, keys: Mapping[str, str]) -> dict:
    """Merge a patch map into a live map, key by key."""
    directive = patch.get(PATCH, "merge")
    patch = {key: value for key, value in patch.items() if key != PATCH}
    if directive == "delete":
        return {}
    if directive == "replace":
        return _merge_map({}, patch, keys)
    if directive != "merge":
        raise PatchError(f"unknown patch type: {directive!r} in map: {_show(patch)}")

    merged = _retain_keys(live, patch)
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_value(key, merged.get(key), value, keys)
    # The list directives run after the lists they act on have been merged.
    for key, value in patch.items():
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
            field = key.removeprefix(DELETE_FROM_PRIMITIVE_LIST)
            _delete_from_primitive_list(merged, field, value)
        elif key.startswith(SET_ELEMENT_ORDER):
            field = key.removeprefix(SET_ELEMENT_ORDER)
            _set_element_order(merged, field, value, keys, live=live.get(field), patched=patch.get(field))
    return merged


def _retain_keys(live: dict, patch: dict) -> dict:
    """Honour `$retainKeys`: keep only the listed live keys, and refuse a patch that sets others.

    Kubernetes honours the directive wherever it appears; kubectl sends it only
    where a field is tagged retainKeys (Deployment strategy, volume sources).
    """
    retained = patch.get(RETAIN_KEYS)
    if retained is None:
        return dict(live)
    if not isinstance(retained, list):
        raise PatchError(f"invalid patch format of retainKeys: {_show(retained)} is not a list")
    for key, value in patch.items():
        if value is not None and not key.startswith("$") and key not in retained:
            raise PatchError(
                f"invalid patch format of retainKeys: {key!r} is set but not in {_show(retained)}"
            )
    return {key: value for key, value in live.items() if key in retained}


def _merge_value(field: str, live: object, patch: object, keys: Mapping[str, str]) -> object:
    """Merge one field. A patch value with no live counterpart of the same
    shape is merged into an empty one, so its directives and nulls are dropped."""
    if isinstance(patch, dict):
        return _merge_map(live if isinstance(live, dict) else {}, patch, keys)
    if isinstance(patch, list):
        return _merge_list(field, live if isinstance(live, list) else [], patch, keys)
    return patch


# Lists ---------------------------------------------------------------------


def _merge_list(field: str, live: list, patch: list, keys: Mapping[str, str]) -> list:
    """Merge a list by the strategy its field declares."""
    if field in keys:
        return _merge_keyed_list(field, live, patch, keys)
    if field in PRIMITIVE_MERGE_LISTS:
        return _merge_primitive_list(field, live, patch, keys)
    return [_merge_value(field, None, element, keys) for element in patch]


def _merge_keyed_list(field: str, live: list, patch: list, keys: Mapping[str, str]) -> list:
    """Merge elements that share a merge key, add new ones, and obey `$patch` elements."""
    merge_key = keys[field]
    instructions, plain = _split_instructions(field, patch)
    if any(instruction[PATCH] == "replace" for instruction in instructions):
        return [_merge_map({}, element, keys) for element in plain]

    doomed = [_merge_key_of(instruction, merge_key) for instruction in instructions]
    merged = [element for element in live if _key_or_none(element, merge_key) not in doomed]
    for element in plain:
        index = _index_by_key(merged, merge_key, _merge_key_of(element, merge_key))
        if index is None:
            merged.append(_merge_map({}, element, keys))
        else:
            merged[index] = _merge_map(merged[index], element, keys)
    return _normalize_order(merged, order=plain, live=live, identity=_identity(field, keys))


def _split_instructions(field: str, patch: list) -> tuple[list[dict], list[dict]]:
    """Split a keyed list patch into `$patch: delete|replace` instructions and elements to merge."""
    instructions, plain = [], []
    for element in patch:
        if not isinstance(element, dict):
            raise PatchError(
                f"list {field!r} is merged by key, so its elements must be objects; got {_show(element)}"
            )
        directive = element.get(PATCH, "merge")
        if directive not in ("merge", "delete", "replace"):
            raise PatchError(f"unknown patch type: {directive!r} in list {field!r} element: {_show(element)}")
        (plain if directive == "merge" else instructions).append(element)
    return instructions, plain


def _merge_primitive_list(field: str, live: list, patch: list, keys: Mapping[str, str]) -> list:
    """A set union that keeps live values in place and patch values in patch order."""
    merged = list(live)
    for value in patch:
        if value not in merged:
            merged.append(value)
    return _normalize_order(merged, order=patch, live=live, identity=_identity(field, keys))


def _delete_from_primitive_list(merged: dict, field: str, doomed: object) -> None:
    """Honour `$deleteFromPrimitiveList/<field>`: drop those values from the list, if it exists."""
    if not isinstance(doomed, list):
        raise PatchError(f"invalid patch format of primitive list: {_show(doomed)} is not a list")
    if isinstance(merged.get(field), list):
        merged[field] = [value for value in merged[field] if value not in doomed]


# Element order ---------------------------------------------------------------


def _set_element_order(
    merged: dict, field: str, order: object, keys: Mapping[str, str], *, live: object, patched: object
) -> None:
    """Honour `$setElementOrder/<field>`: put the merged list in the order kubectl's manifest has.

    kubectl sends it alongside a merged list so that reordering containers in
    a manifest reorders them on the server. On an atomic list it means nothing.
    """
    if not isinstance(order, list):
        raise PatchError(f"invalid patch format of setElementOrder list: {_show(order)} is not a list")
    identity = _identity(field, keys)
    if identity is None or not isinstance(merged.get(field), list):
        return
    if field in keys:
        for entry in order:
            _merge_key_of(entry, keys[field])
    _check_order_agrees(field, order, patched, identity)
    live_list = live if isinstance(live, list) else []
    merged[field] = _normalize_order(merged[field], order=order, live=live_list, identity=identity)


def _check_order_agrees(
    field: str, order: list, patched: object, identity: Callable[[object], object]
) -> None:
    """The patch's own elements must appear in `$setElementOrder`, in the same relative order."""
    if not isinstance(patched, list):
        return
    wanted = [identity(entry) for entry in order]
    position = 0
    for element in patched:
        if isinstance(element, dict) and PATCH in element:
            continue
        try:
            position = wanted.index(identity(element), position) + 1
        except ValueError:
            raise PatchError(
                f"the order in patch list {_show(patched)} doesn't match"
                f" $setElementOrder/{field} list {_show(order)}"
            ) from None


def _normalize_order(merged: list, *, order: list, live: list, identity: Callable[[object], object]) -> list:
    """Order a merged list the way Kubernetes does.

    Elements named in `order` (the patch list, or `$setElementOrder`) come in
    that order. Every other element keeps its live order, and goes before a
    named element only if it was before it in the live list too. So an element
    new to the list, having no live position, lands before the remaining live
    ones: `kubectl patch` adding a container puts it first, in Kubernetes too.
    """
    wanted = [identity(entry) for entry in order]
    named = [element for element in merged if identity(element) in wanted]
    named.sort(key=lambda element: wanted.index(identity(element)))
    others = [element for element in merged if identity(element) not in wanted]
    live_ids = [identity(element) for element in live]

    ordered = []
    while named and others:
        other, name = identity(others[0]), identity(named[0])
        if other in live_ids and name in live_ids and live_ids.index(other) < live_ids.index(name):
            ordered.append(others.pop(0))
        else:
            ordered.append(named.pop(0))
    return ordered + named + others


# Merge keys ------------------------------------------------------------------


def _identity(field: str, keys: Mapping[str, str]) -> Callable[[object], object] | None:
    """What makes two elements of a merged list "the same": the merge key, or the value itself."""
    if field in keys:
        merge_key = keys[field]
        return lambda element: _key_or_none(element, merge_key)
    if field in PRIMITIVE_MERGE_LISTS:
        return lambda value: value
    return None


def _merge_key_of(element: object, merge_key: str) -> object:
    """The merge key's value in a patch element, which must have one."""
    if not isinstance(element, dict) or merge_key not in element:
        raise PatchError(f"map: {_show(element)} does not contain declared merge key: {merge_key}")
    return element[merge_key]


def _key_or_none(element: object, merge_key: str) -> object:
    """The merge key's value in a live element, or None if a malformed one has none."""
    return element.get(merge_key) if isinstance(element, dict) else None


def _index_by_key(elements: list, merge_key: str, key: object) -> int | None:
    for index, element in enumerate(elements):
        if _key_or_none(element, merge_key) == key:
            return index
    return None


def _show(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)
