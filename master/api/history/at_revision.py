"""A list as it was at a past revision, asked the way Kubernetes asks it.

    GET {collection}?resourceVersion=N&resourceVersionMatch=Exact
        ─► every object of the collection as it stood at revision N, read from the
           store's log (each key's newest write up to N, unless that write deleted it);
           selectors and Table output apply as to any list; metadata.resourceVersion = N

Without resourceVersionMatch, or with NotOlderThan, a list is answered from the
current state as before (it is never older than what was asked). The errors
are the apiserver's, word for word:

    resourceVersionMatch without resourceVersion   422 Invalid ListOptions.meta.k8s.io (Forbidden)
    N older than the compacted revision            410 Expired "The resourceVersion for the provided list is too old."
    N newer than the store's newest revision       504 Timeout "Too large resource version: N, current: M"
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from master.api import status
from master.store import Expired, FutureRevision, SqlStore

EXACT, NOT_OLDER_THAN = "Exact", "NotOlderThan"
FIELD = "resourceVersionMatch"
EXPIRED_LIST_MESSAGE = "The resourceVersion for the provided list is too old."
TOO_LARGE_CAUSE = "Too large resource version"
# The watch cache's resourceVersionTooHighRetrySeconds: the revision may well exist in a moment.
TOO_LARGE_RETRY_SECONDS = 1


def exact_revision(query: QueryParams) -> int | None:
    """The revision a list asks to see exactly, or None for today's list; a bad combination is the
    apiserver's ListOptions validation error."""
    match, resource_version = query.get(FIELD) or "", query.get("resourceVersion") or ""
    if not match:
        return None
    problems = []
    if not resource_version:
        problems.append(("FieldValueForbidden", "Forbidden: resourceVersionMatch is forbidden unless "
                                                "resourceVersion is provided"))
    if query.get("continue"):
        problems.append(("FieldValueForbidden", "Forbidden: resourceVersionMatch is forbidden when continue "
                                                "is provided"))
    if match not in (EXACT, NOT_OLDER_THAN):
        problems.append(("FieldValueNotSupported", f'Unsupported value: "{match}": supported values: '
                                                   f'"{EXACT}", "{NOT_OLDER_THAN}", ""'))
    if match == EXACT and resource_version == "0":
        problems.append(("FieldValueForbidden", 'Forbidden: resourceVersionMatch "exact" is forbidden for '
                                                'resourceVersion "0"'))
    if problems:
        raise _invalid_list_options(problems)
    if match != EXACT:
        return None
    try:
        revision = int(resource_version)
    except ValueError:
        raise status.bad_request(f'resourceVersion: Invalid value: "{resource_version}": '
                                 "must be a non-negative integer") from None
    if revision < 0:
        raise status.bad_request(f'resourceVersion: Invalid value: "{resource_version}": '
                                 "must be a non-negative integer")
    return revision


def list_at(store: SqlStore, resource: str, namespace: str | None, revision: int) -> list[dict[str, Any]]:
    try:
        return store.list_at(resource, namespace, revision)
    except Expired:
        raise status.ApiError(410, "Expired", EXPIRED_LIST_MESSAGE) from None
    except FutureRevision as error:
        raise status.ApiError(504, "Timeout", f"Timeout: {error}", {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": TOO_LARGE_CAUSE}],
            "retryAfterSeconds": TOO_LARGE_RETRY_SECONDS,
        }) from None


def _invalid_list_options(problems: list[tuple[str, str]]) -> status.ApiError:
    lines = [f"{FIELD}: {message}" for _, message in problems]
    summary = lines[0] if len(lines) == 1 else "[" + ", ".join(lines) + "]"
    return status.ApiError(422, "Invalid", f'ListOptions.meta.k8s.io "" is invalid: {summary}', {
        "group": "meta.k8s.io", "kind": "ListOptions", "name": "",
        "causes": [{"reason": reason, "message": message, "field": FIELD} for reason, message in problems],
    })
