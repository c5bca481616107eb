"""Who made the write the store is committing, and why: read from context, stamped into its log row.

The API server knows the origin of a request (the user, the component its
User-Agent names, the verb, what it reacted to); the store knows nothing of
requests. A context variable carries the one to the other, so no registry
method grows an argument and a cascaded delete inside the same request is
recorded with that request's origin:

    serve_resource ─► with recording(WriteOrigin(...)) ─► registry ─► store._write ─► revisions row
                                                                                    (at, user, component,
                                                                                     verb, subresource,
                                                                                     cause, note)

A context variable follows the code into run_in_threadpool (anyio copies the
context into the worker thread), not into a thread started by hand. A write
made outside any `recording` is the master's own (event expiry, the system
namespaces): it is recorded as component "apiserver".
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

APISERVER = "apiserver"  # the component of the master's own writes


@dataclass(frozen=True)
class WriteOrigin:
    user: str | None = None  # the authenticated user: admin, system:node
    component: str | None = None  # kubectl, tkctl, scheduler, controller/replicaset, kubelet/node-1
    verb: str | None = None  # create, update, patch, delete, bind, evict; None: read from the write itself
    subresource: str = ""  # status, binding, scale ... ("" for the object itself)
    cause: int | None = None  # the revision the writer reacted to
    note: str | None = None  # the writer's one line


MASTER_ORIGIN = WriteOrigin(component=APISERVER)

_origin: contextvars.ContextVar[WriteOrigin] = contextvars.ContextVar("tinykube_write_origin",
                                                                     default=MASTER_ORIGIN)


def current_origin() -> WriteOrigin:
    """The origin of writes made now: the request's, or the master's own outside any request."""
    return _origin.get()


@contextlib.contextmanager
def recording(origin: WriteOrigin) -> Iterator[None]:
    """Writes made inside are recorded with `origin`."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)
