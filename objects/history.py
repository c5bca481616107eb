"""How a DaemonSet's pod template is kept in a ControllerRevision, shared by its controller and `rollout`.

The revision's `data` is the strategic merge patch that puts the template back,

    {"spec": {"template": {"$patch": "replace", "metadata": {...}, "spec": {...}}}}

spelled as kubectl spells it when it marshals the live DaemonSet's Go struct:
keys sorted at every depth, a null creationTimestamp in the template's
metadata, and `resources: {}` in every container. `kubectl rollout undo` skips
a revision whose bytes equal that spelling of the live template, so the bytes
must agree, not only the meaning.
"""

from __future__ import annotations

import copy
import json
from typing import Any

PATCH_DIRECTIVE = "$patch"


def template_patch(template: dict[str, Any]) -> dict[str, Any]:
    """The revision data that restores `template` (kubectl's and the controller's getPatch)."""
    template = copy.deepcopy(template)
    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    spec = template.get("spec") or {}
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        container.setdefault("resources", {})
    template[PATCH_DIRECTIVE] = "replace"
    return _sorted({"spec": {"template": template}})


def patch_bytes(data: Any) -> str:
    """Revision data as compact JSON, the form kubectl compares byte for byte."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def template_of(data: Any) -> dict[str, Any] | None:
    """The template a revision restores, or None when its data is not such a patch."""
    template = ((data or {}).get("spec") or {}).get("template") if isinstance(data, dict) else None
    if not isinstance(template, dict) or template.get(PATCH_DIRECTIVE) != "replace":
        return None
    return {key: value for key, value in template.items() if key != PATCH_DIRECTIVE}


def _sorted(value: Any) -> Any:
    """Keys in byte order at every depth, as Go marshals a map."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
