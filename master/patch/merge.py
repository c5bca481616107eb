"""The two plain patch formats: JSON merge patch (RFC 7386) and JSON patch (RFC 6902).

A merge patch looks like the object: objects merge key by key, `null` deletes
a key, and anything else (lists included) replaces what was there. That is why
kubectl uses it only for labels, annotations and scale, and never for lists of
containers (see `master.patch.strategic`).

A JSON patch is a list of operations (`add`, `remove`, `replace`, `move`,
`copy`, `test`) addressed by JSON pointers; the `jsonpatch` library applies them.
"""

import copy

import jsonpatch
import jsonpointer

from master.patch.errors import PatchError


def apply_merge_patch(original: dict, patch: dict) -> dict:
    """Apply an RFC 7386 merge patch; return a new object and leave both inputs untouched."""
    if not isinstance(original, dict):
        raise PatchError(f"cannot patch a {type(original).__name__}: the object must be a JSON object")
    if not isinstance(patch, dict):
        raise PatchError(f"a merge patch must be a JSON object, got a {type(patch).__name__}")
    return _merge(original, patch)


def _merge(target: object, patch: object) -> object:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge(merged.get(key), value)
    return merged


def apply_json_patch(original: dict, operations: list) -> dict:
    """Apply RFC 6902 operations in order; return a new object and leave both inputs untouched.

    Operations apply one at a time so an error can name the one that failed.
    """
    if not isinstance(original, dict):
        raise PatchError(f"cannot patch a {type(original).__name__}: the object must be a JSON object")
    if not isinstance(operations, list):
        raise PatchError(f"a json patch must be a list of operations, got a {type(operations).__name__}")
    patched = copy.deepcopy(original)
    for index, operation in enumerate(copy.deepcopy(operations)):
        patched = _apply_operation(patched, operation, index)
    if not isinstance(patched, dict):
        raise PatchError("a json patch must leave a JSON object, not replace it with another type")
    return patched


def _apply_operation(document: object, operation: object, index: int) -> object:
    if not isinstance(operation, dict):
        raise PatchError(f"json patch operation {index} must be an object, got {operation!r}")
    described = f"json patch operation {index} ({operation.get('op')} {operation.get('path')})"
    try:
        return jsonpatch.JsonPatch([operation]).apply(document, in_place=True)
    except jsonpatch.JsonPatchTestFailed as error:
        raise PatchError(f"testing value {operation.get('path')} failed: {error}") from error
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
        raise PatchError(f"{described} does not apply: {error}") from error
