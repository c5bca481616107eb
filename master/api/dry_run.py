"""`?dryRun=All`: a write that runs every check and stores nothing.

kubectl sends it for `--dry-run=server` (in the query, or in a delete's
DeleteOptions body). Ignoring it would turn a rehearsal into the real thing,
so a request that asks for it gets a Registry over DryRunStore: the same
admission chain (decode, defaults, strategy, validation, preconditions), against
the real current objects, ending in a store that answers as a write would and
keeps nothing, so no watcher ever hears of it. As in the apiserver, a dry-run
create answers without a resourceVersion, and an update with the current one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from master.api import status
from master.store import AlreadyExists, Conflict, NotFound, ObjectKey, SqlStore

DRY_RUN_ALL = "All"
OPTIONS_KIND = {"create": "CreateOptions", "update": "UpdateOptions", "patch": "PatchOptions",
                "delete": "DeleteOptions", "deletecollection": "DeleteOptions"}


def requested(verb: str, values: list[str]) -> bool:
    """Whether a write asked for a dry run; 422 for any value but All, as metav1's validation says."""
    unsupported = [v for v in values if v != DRY_RUN_ALL]
    if unsupported:
        listed = ", ".join(f'"{v}"' for v in values)
        message = f'Unsupported value: []string{{{listed}}}: supported values: "{DRY_RUN_ALL}"'
        kind = OPTIONS_KIND.get(verb, "CreateOptions")
        raise status.ApiError(422, "Invalid", f'{kind}.meta.k8s.io "" is invalid: dryRun: {message}', {
            "group": "meta.k8s.io", "kind": kind,
            "causes": [{"reason": "FieldValueNotSupported", "message": message, "field": "dryRun"}],
        })
    return bool(values)


class DryRunStore:
    """The store as a dry run sees it: reads are real; a write fails as the real one would, or
    answers with what it would have stored, and changes nothing."""

    def __init__(self, store: SqlStore):
        self._store = store

    def get(self, key: ObjectKey) -> dict[str, Any]:
        return self._store.get(key)

    def list(self, resource: str, namespace: str | None = None) -> tuple[list[dict[str, Any]], int]:
        return self._store.list(resource, namespace)

    def create(self, key: ObjectKey, obj: dict[str, Any]) -> dict[str, Any]:
        try:
            self._store.get(key)
        except NotFound:
            return copy.deepcopy(obj)
        raise AlreadyExists(key)

    def update(self, key: ObjectKey, obj: dict[str, Any], *, expected_revision: int) -> dict[str, Any]:
        current = self._checked(key, expected_revision)
        would_be = copy.deepcopy(obj)
        would_be.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
        return would_be

    def delete(self, key: ObjectKey, *, expected_revision: int | None = None) -> dict[str, Any]:
        return copy.deepcopy(self._checked(key, expected_revision))

    def guaranteed_update(
        self, key: ObjectKey, mutate: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> dict[str, Any]:
        current = self._store.get(key)
        changed = mutate(copy.deepcopy(current))
        if changed is None:
            return current
        return self.update(key, changed, expected_revision=int(current["metadata"]["resourceVersion"]))

    def _checked(self, key: ObjectKey, expected_revision: int | None) -> dict[str, Any]:
        current = self._store.get(key)
        if expected_revision is not None and int(current["metadata"]["resourceVersion"]) != expected_revision:
            raise Conflict(key)
        return current
