"""What `apply` sends: the last-applied annotation and a three-way JSON merge patch.

    original  = the manifest applied last time (the live object's annotation)
    modified  = the manifest applied now, carrying its own new annotation
    current   = the live object, with everything the server and controllers added

    patch = changes(current -> modified)      fields the manifest sets that live lacks or differs on
          + deletions(original -> modified)   fields the last apply set and this one drops, as null

Fields only the server set (status, uid, defaults) appear in neither term, so
apply leaves them alone. An empty patch means the object is `unchanged`.

kubectl sends a *strategic* merge patch for built-in kinds: it merges lists
such as `containers` element by element, keyed by `name`, so that fields the
server defaulted inside an element survive. tkctl sends a plain JSON merge
patch (RFC 7386) instead, where a list is replaced whole. That is enough here
because (1) the server re-applies its defaults to whatever list it receives,
and (2) a list is sent only when the manifest's list changed since the last
apply or the live list no longer contains it, so defaulted lists do not make
every re-apply "configured". The cost: fields another writer set inside a list
element are dropped when that list is replaced.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from cli.encoding import compact_json

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_MISSING = object()


def with_last_applied(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest plus the annotation kubectl stores: its own compact JSON with `"annotations":{}`."""
    modified = copy.deepcopy(manifest)
    metadata = modified.setdefault("metadata", {})
    annotations = dict(metadata.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    metadata["annotations"] = annotations
    encoded = compact_json(modified) + "\n"  # runtime.Encode ends with a newline
    metadata["annotations"] = {**annotations, LAST_APPLIED: encoded}
    return modified


def last_applied(live: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest recorded on a live object, or None when it was not created by apply."""
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return None
    try:
        recorded = json.loads(text)
    except ValueError:
        return None
    return recorded if isinstance(recorded, dict) else None


def three_way_merge_patch(original: dict[str, Any], modified: dict[str, Any],
                          current: dict[str, Any]) -> dict[str, Any]:
    """The merge patch that takes `current` to `modified`, deleting what only `original` had."""
    patch = _deletions(original, modified)
    _merge_into(patch, _changes(original, modified, current))
    return patch


def _changes(original: Any, modified: dict[str, Any], current: Any) -> dict[str, Any]:
    original = original if isinstance(original, dict) else {}
    current = current if isinstance(current, dict) else {}
    patch: dict[str, Any] = {}
    for key, wanted in modified.items():
        if wanted is None:
            continue  # an explicit null only matters as a deletion
        live = current.get(key, _MISSING)
        before = original.get(key, _MISSING)
        if isinstance(wanted, dict) and isinstance(live, dict):
            nested = _changes(before, wanted, live)
            if nested:
                patch[key] = nested
        elif isinstance(wanted, list):
            if not (_equal(before, wanted) and _contained(wanted, live)):
                patch[key] = wanted
        elif live is _MISSING or not _equal(wanted, live):
            patch[key] = wanted
    return patch


def _deletions(original: Any, modified: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(original, dict):
        return {}
    patch: dict[str, Any] = {}
    for key, before in original.items():
        wanted = modified.get(key, _MISSING)
        if wanted is _MISSING or (wanted is None and before is not None):
            patch[key] = None
        elif isinstance(before, dict) and isinstance(wanted, dict):
            nested = _deletions(before, wanted)
            if nested:
                patch[key] = nested
    return patch


def _merge_into(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = value


def _contained(wanted: Any, live: Any) -> bool:
    """Does `live` hold everything `wanted` says (extra keys in live being server defaults)?"""
    if isinstance(wanted, dict):
        return isinstance(live, dict) and all(
            v is None or (k in live and _contained(v, live[k])) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return isinstance(live, list) and len(live) == len(wanted) and all(
            _contained(w, v) for w, v in zip(wanted, live)
        )
    return _equal(wanted, live)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: `True` is not `1`, but `1` is `1.0`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b
