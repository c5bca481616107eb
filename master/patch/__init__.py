"""Patch: turn (stored object, PATCH body) into the new object, as the API server does.

Talks to: nothing; every function here is pure and never mutates its inputs.
Owns: the meaning of the three patch content types kubectl and the Python
client send to `PATCH /.../{name}`:

    application/strategic-merge-patch+json  -> apply_strategic_merge_patch   (apply, patch, edit)
    application/merge-patch+json            -> apply_merge_patch             (label, annotate, scale)
    application/json-patch+json             -> apply_json_patch              (patch --type=json)

Server-side apply (application/apply-patch+yaml) is not served here.
"""

from master.patch.errors import PatchError
from master.patch.merge import apply_json_patch, apply_merge_patch
from master.patch.strategic import apply_strategic_merge_patch

__all__ = [
    "PatchError",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic_merge_patch",
]
