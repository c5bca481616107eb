"""What can go wrong while applying a patch: one error, translated to HTTP once.

    ValueError
    └── PatchError   the patch is malformed or cannot apply to this object
                     -> 422 Invalid (a bad body may instead be 400 BadRequest)

A patch never half-applies: the functions that raise PatchError are pure, so
the stored object is untouched whenever one is raised.
"""


class PatchError(ValueError):
    pass
