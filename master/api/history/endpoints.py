"""The handlers of the flight recorder's endpoints (the package docstring lists them).

Each answer is read from the log on disk, diffed and encoded: milliseconds to a
second for a long window. That runs in a worker thread, so the event loop, which
serves every other request and watch (and the in-process components), never waits
behind it.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from master.api import status
from master.api.registry import Registry
from master.api.request_info import RequestInfo
from master.api.history.revisions import revision_list, revision_of
from master.api.history.trace import trace
from master.auth import User, authorize
from master.store.revision_log import LogQuery
from objects.kinds import REVISIONS, ResourceType


async def serve_revisions(request: Request, info: RequestInfo, user: User, registry: Registry) -> Response:
    """The `revisions` resource: list, or get one by its number."""
    if info.resource != REVISIONS.plural or info.version != REVISIONS.version or info.namespace or info.subresource:
        raise status.not_found_path()
    verb = "get" if info.name else "list"
    denial = authorize(user, verb=verb, group=REVISIONS.group, resource=REVISIONS.plural, subresource="",
                       namespace=None, name=info.name, field_selector=None)
    if denial is not None:
        raise status.forbidden(denial, REVISIONS, info.name or "")
    if request.method != "GET":
        raise status.method_not_supported(REVISIONS.kind, request.method)
    if info.name is None:
        answer = await run_in_threadpool(revision_list, registry.store, request.query_params)
        return JSONResponse(await run_in_threadpool(answer.to_wire))
    number = int(info.name) if info.name.isdigit() else -1
    found = await run_in_threadpool(
        registry.store.log, LogQuery(since_revision=number - 1, until_revision=number, with_previous=True))
    if not found:
        raise status.not_found(REVISIONS, info.name)
    return JSONResponse(revision_of(found[0], with_object=True).to_wire())


async def serve_history(request: Request, rt: ResourceType, info: RequestInfo, registry: Registry) -> Response:
    """`{object}/history`: every retained revision of that object, live or deleted."""
    if request.method != "GET":
        raise status.method_not_supported(f"{rt.plural}/history", request.method)
    namespace = (info.namespace or "") if rt.namespaced else ""
    answer = await run_in_threadpool(
        lambda: revision_list(registry.store, request.query_params, subject=(rt, namespace, info.name or "")))
    return JSONResponse(await run_in_threadpool(answer.to_wire))


async def serve_trace(request: Request, rt: ResourceType, info: RequestInfo, registry: Registry) -> Response:
    """`{object}/trace`: the causal tree through that object's revisions in the window."""
    if request.method != "GET":
        raise status.method_not_supported(f"{rt.plural}/trace", request.method)
    namespace = (info.namespace or "") if rt.namespaced else ""
    answer = await run_in_threadpool(trace, registry.store, rt, namespace, info.name or "", request.query_params)
    return JSONResponse(await run_in_threadpool(answer.to_wire))
