"""The origin of a write request, as the revision log records it: who, through what, doing which verb, why.

    Authorization: Bearer …            ─► user       admin | system:node
    User-Agent: tinykube-kubelet/n1     ─► component  kubelet/n1   (tinykube's own prefix dropped)
    User-Agent: kubectl/v1.32.0 (…)     ─► component  kubectl      (the product, without its version)
    X-Tinykube-Reacted-To: 1234         ─► cause      1234         (apiclient/provenance.py; ignored unless
                                                                    a positive integer)
    X-Tinykube-Note: sandbox 12 ms, …   ─► note       one line, at most 300 characters
"""

from __future__ import annotations

from fastapi import Request

from apiclient.provenance import CAUSE_HEADER, MAX_NOTE_LENGTH, NOTE_HEADER
from master.auth import User
from master.store.provenance import WriteOrigin

TINYKUBE_PREFIX = "tinykube-"
# Writes through these subresources have a verb of their own (the apiserver's storage for them only creates).
SUBRESOURCE_VERBS = {"binding": "bind", "eviction": "evict"}


def origin_of(request: Request, user: User, *, verb: str, subresource: str) -> WriteOrigin:
    headers = request.headers
    return WriteOrigin(
        user=user.name, component=component_of(headers.get("user-agent")),
        verb=SUBRESOURCE_VERBS.get(subresource, verb), subresource=subresource,
        cause=_revision(headers.get(CAUSE_HEADER)), note=_one_line(headers.get(NOTE_HEADER)),
    )


def component_of(user_agent: str | None) -> str | None:
    """`tinykube-controller/replicaset` -> controller/replicaset; `kubectl/v1.32.0 (linux)` -> kubectl."""
    first = (user_agent or "").split(" ", 1)[0]
    if not first:
        return None
    if first.startswith(TINYKUBE_PREFIX):
        return first.removeprefix(TINYKUBE_PREFIX)
    return first.split("/", 1)[0]


def _revision(value: str | None) -> int | None:
    try:
        revision = int(value or "")
    except ValueError:
        return None  # a malformed cause is no cause: the write itself is still good
    return revision if revision > 0 else None


def _one_line(note: str | None) -> str | None:
    line = " ".join((note or "").split())[:MAX_NOTE_LENGTH]
    return line or None
