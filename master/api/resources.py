"""The resource endpoints: turn an HTTP request into one registry verb and its answer.

    method + path          verb
    GET    .../pods        list   (watch with ?watch=true; as it was at revision N with
                                   ?resourceVersion=N&resourceVersionMatch=Exact: master/api/history/)
    GET    .../pods/web    get
    POST   .../pods        create
    PUT    .../pods/web    update
    PATCH  .../pods/web    patch
    DELETE .../pods/web    delete
    DELETE .../pods        deletecollection
    .../pods/web/status|binding, .../deployments/web/scale: the same verbs on a subresource
    GET    .../pods/web/why      why it is as it is, from the deciding components (master/api/why/)
    GET    .../pods/web/history|trace  its revisions and causal tree, from the store's log (master/api/history/)
    POST   .../pods/web/eviction  a delete that asks first (master/api/eviction.py)

Single-object verbs run on the event loop, not in a worker thread: reads are
answered from the store's memory, and a write is a fraction of a millisecond
of Python plus a SQLite commit that does not wait for the disk (WAL,
synchronous=NORMAL); handing it to a thread cost more than the write itself
(measured in docs/benchmarks.md). The store serializes writes either way.
Only what touches many objects (deletecollection, a namespace's delete) still
runs in a thread, so one of those never stalls every other request, and
compaction deletes in short batches for the same reason. What can still make
a write wait: SQLite's automatic checkpoint of the WAL, now and then, and
another process holding the database lock (the master is meant to be its
only user; SQLite then retries for up to its busy timeout).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from master.api import dry_run, eviction, node_proxy, status
from master.api.decode import field_validation_mode, parse_body
from master.api.fields import FieldSelectorError, parse_field_selector
from master.api.registry import DeleteOptions, Registry
from master.api.request_info import RequestInfo
from master.api.strategy import KINDS_WITH_STATUS
from master.api.tables import table
from master.api.watch import watch_stream
from master.api.history import at_revision
from master.api.history.endpoints import serve_history, serve_trace
from master.api.history.origin import origin_of
from master.api.why import serve_why
from master.auth import User, authorize
from master.store.provenance import recording
from objects.kinds import NAMESPACE, ResourceType, by_plural
from objects.selectors import parse_label_selector
from objects.why import WHY_KINDS

VERBS_BY_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Subresources that only create (the apiserver's storage for them implements nothing else).
CREATE_ONLY_POD_SUBRESOURCES = ("binding", "eviction")


class JSONBody(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode()


async def serve_resource(request: Request, info: RequestInfo, user: User, registry: Registry) -> Response:
    rt = by_plural(info.group, info.resource)
    if rt is None or rt.version != info.version:
        raise status.not_found_path()
    if info.namespace is not None and not rt.namespaced:
        raise status.not_found_path()
    query = request.query_params
    verb = _verb(request.method, info, watch=query.get("watch") in ("true", "1"))
    denial = authorize(user, verb=verb, group=rt.group, resource=rt.plural, subresource=info.subresource,
                       namespace=info.namespace, name=info.name, field_selector=query.get("fieldSelector"))
    if denial is not None:
        raise status.forbidden(denial, rt, info.name or "")
    if request.method in WRITE_METHODS and await _asks_for_dry_run(request, verb):
        registry = registry.dry_run()
    if request.method in WRITE_METHODS:  # every row this request writes says who and why (master/store/provenance.py)
        with recording(origin_of(request, user, verb=verb, subresource=info.subresource)):
            return await _serve(request, rt, info, registry, verb)
    return await _serve(request, rt, info, registry, verb)


async def _serve(request: Request, rt: ResourceType, info: RequestInfo, registry: Registry, verb: str) -> Response:
    query = request.query_params
    if info.subresource:
        return await _serve_subresource(request, rt, info, registry)
    if verb in ("list", "watch", "deletecollection"):
        return await _serve_collection(request, rt, info, registry, verb)
    if verb == "create":
        body = await _body(request)
        admitted = registry.create(rt, info.namespace, body,
                                   field_validation=field_validation_mode(query.get("fieldValidation")))
        return _object_response(request, rt, admitted.obj, code=201, warnings=admitted.warnings)
    if verb == "get":
        obj = registry.get(rt, info.namespace, info.name)
        return _object_response(request, rt, obj)
    if verb == "update":
        admitted = registry.update(rt, info.namespace, info.name, await _body(request),
                                   field_validation=field_validation_mode(query.get("fieldValidation")))
        return _object_response(request, rt, admitted.obj, warnings=admitted.warnings)
    if verb == "patch":
        admitted = registry.patch(rt, info.namespace, info.name, await _body(request),
                                  content_type=request.headers.get("content-type", ""),
                                  field_validation=field_validation_mode(query.get("fieldValidation")))
        return _object_response(request, rt, admitted.obj, warnings=admitted.warnings)
    if verb == "delete":
        options = await _delete_options(request)
        if rt == NAMESPACE:  # takes the namespace's whole content with it: off the event loop
            obj = await run_in_threadpool(registry.delete, rt, info.namespace, info.name, options)
        else:
            obj = registry.delete(rt, info.namespace, info.name, options)
        if obj.get("kind") == "Status":
            return JSONBody(obj)
        return _object_response(request, rt, obj)
    raise status.method_not_supported(rt.kind, request.method)


async def _serve_collection(request: Request, rt: ResourceType, info: RequestInfo, registry: Registry,
                            verb: str) -> Response:
    query = request.query_params
    matches = _selector(rt, info.namespace, query.get("labelSelector"), query.get("fieldSelector"))
    if verb == "watch":
        render = _watch_renderer(request, rt)
        timeout = query.get("timeoutSeconds")
        stream = watch_stream(
            registry.store, rt.group_resource, resource_version=query.get("resourceVersion"),
            timeout_seconds=float(timeout) if timeout else None, matches=matches, render=render,
        )
        return StreamingResponse(stream, media_type="application/json")
    exact = at_revision.exact_revision(query) if verb == "list" else None
    if exact is not None:  # time travel: the list as it was, read from the log on disk in a worker thread
        items = await run_in_threadpool(at_revision.list_at, registry.store, rt.group_resource, info.namespace, exact)
        revision = exact
    else:
        items, revision = registry.list(rt, info.namespace)
    items = [item for item in items if matches(item)]
    if verb == "deletecollection":
        options = await _delete_options(request)
        deleted = []
        for item in items:
            try:
                answer = await run_in_threadpool(
                    registry.delete, rt, item["metadata"].get("namespace"), item["metadata"]["name"], options)
                deleted.append(item if answer.get("kind") == "Status" else answer)
            except status.ApiError as error:
                if error.code != 404:
                    raise
        items = deleted
    if _wants_table(request):
        return JSONBody(table(rt, items, list_resource_version=str(revision),
                              include_object=query.get("includeObject") or "Metadata", now=_now()))
    return JSONBody({"kind": rt.list_kind, "apiVersion": rt.api_version,
                     "metadata": {"resourceVersion": str(revision)}, "items": items})


async def _serve_subresource(request: Request, rt: ResourceType, info: RequestInfo, registry: Registry) -> Response:
    method, sub = request.method, info.subresource
    if rt.plural == "pods" and sub in node_proxy.POD_STREAM_SUBRESOURCES:
        return await node_proxy.serve_pod_stream(request, info, registry)  # answered by the pod's kubelet
    query = request.query_params
    if sub == "status" and rt in KINDS_WITH_STATUS:
        if method == "GET":
            return _object_response(request, rt, registry.get(rt, info.namespace, info.name))
        mode = field_validation_mode(query.get("fieldValidation"))
        if method == "PUT":
            admitted = registry.update(rt, info.namespace, info.name, await _body(request),
                                       field_validation=mode, subresource="status")
            return _object_response(request, rt, admitted.obj, warnings=admitted.warnings)
        if method == "PATCH":
            admitted = registry.patch(rt, info.namespace, info.name, await _body(request),
                                      content_type=request.headers.get("content-type", ""), field_validation=mode,
                                      subresource="status")
            return _object_response(request, rt, admitted.obj, warnings=admitted.warnings)
    if sub in CREATE_ONLY_POD_SUBRESOURCES and rt.plural == "pods" and method != "POST":
        raise status.ApiError(405, "MethodNotAllowed",
                              "the server does not allow this method on the requested resource")
    if sub == "eviction" and rt.plural == "pods":
        result = eviction.evict(registry, info.namespace, info.name, await _body(request))
        return JSONBody(result, status_code=201)
    if sub == "binding" and rt.plural == "pods":
        result = registry.bind(info.namespace, info.name, await _body(request))
        return JSONBody(result, status_code=201)
    if sub == "scale" and rt.plural in ("deployments", "replicasets"):
        if method == "GET":
            return JSONBody(registry.get_scale(rt, info.namespace, info.name))
        if method in ("PUT", "PATCH"):
            content_type = request.headers.get("content-type", "") if method == "PATCH" else None
            scale = registry.update_scale(rt, info.namespace, info.name, await _body(request),
                                          content_type=content_type)
            return JSONBody(scale)
    if sub == "history" and sub in rt.subresources:
        return await serve_history(request, rt, info, registry)
    if sub == "trace" and sub in rt.subresources:
        return await serve_trace(request, rt, info, registry)
    if sub == "why" and rt.plural in WHY_KINDS:
        return await serve_why(request, rt, info, registry)
    if sub == "explanation" and rt.plural == "pods":
        if method == "GET":
            return JSONBody(registry.get_explanation(info.namespace, info.name))
        if method == "PUT":
            return JSONBody(registry.put_explanation(info.namespace, info.name, await _body(request)))
    raise status.not_found_path()


# ----- request reading


def _verb(method: str, info: RequestInfo, *, watch: bool) -> str:
    if method == "GET":
        if info.name is None:
            return "watch" if watch else "list"
        return "get"
    if method == "DELETE":
        return "delete" if info.name is not None else "deletecollection"
    if method == "POST" and info.name is not None and not info.subresource:
        return "post-to-item"  # not a verb any kind supports; authorize then reject
    return VERBS_BY_METHOD.get(method, method.lower())


async def _body(request: Request) -> Any:
    raw = await request.body()
    return parse_body(raw, request.headers.get("content-type", "application/json"))


async def _asks_for_dry_run(request: Request, verb: str) -> bool:
    """dryRun=All in the query, or (for a delete) in the DeleteOptions body, where kubectl puts it."""
    values = request.query_params.getlist("dryRun")
    if request.method == "DELETE":
        sent = (await _delete_body(request)).get("dryRun") or []
        values += sent if isinstance(sent, list) else [str(sent)]
    return dry_run.requested(verb, values)


async def _delete_body(request: Request) -> dict[str, Any]:
    """The DeleteOptions a delete may carry; {} when it sent none. Parsed once per request: the
    dry-run check and the delete itself both read it."""
    if not hasattr(request.state, "delete_body"):
        raw = await request.body()
        body = parse_body(raw, request.headers.get("content-type", "application/json")) if raw.strip() else {}
        request.state.delete_body = body if isinstance(body, dict) else {}
    return request.state.delete_body


async def _delete_options(request: Request) -> DeleteOptions:
    body = await _delete_body(request)
    query = request.query_params
    grace = query.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
    policy = query.get("propagationPolicy", body.get("propagationPolicy"))
    if policy is None and str(query.get("orphanDependents", body.get("orphanDependents"))).lower() == "true":
        policy = "Orphan"
    preconditions = body.get("preconditions") or {}
    try:
        grace_seconds = int(grace) if grace is not None else None
    except (TypeError, ValueError):
        raise status.bad_request(f'invalid gracePeriodSeconds "{grace}"') from None
    return DeleteOptions(grace_seconds, policy, preconditions.get("uid"), preconditions.get("resourceVersion"))


def _selector(rt: ResourceType, namespace: str | None, label_selector: str | None, field_selector: str | None):
    try:
        labels = parse_label_selector(label_selector or "")
        fields = parse_field_selector(field_selector or "", rt.kind)
    except FieldSelectorError as error:
        raise status.bad_request(str(error)) from None
    except ValueError as error:
        raise status.bad_request(f"unable to parse requirement: {error}" if "unable to parse" not in str(error)
                                 else str(error)) from None

    def matches(obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        if namespace is not None and rt.namespaced and meta.get("namespace") != namespace:
            return False
        return labels.matches(meta.get("labels") or {}) and fields.matches(obj)

    return matches


# ----- answers


def _wants_table(request: Request) -> bool:
    return "as=Table" in request.headers.get("accept", "").replace(" ", "")


def _object_response(request: Request, rt: ResourceType, obj: dict[str, Any], *, code: int = 200,
                     warnings: list[str] | None = None) -> Response:
    if _wants_table(request):
        body = table(rt, [obj], list_resource_version=obj["metadata"].get("resourceVersion", ""),
                     include_object=request.query_params.get("includeObject") or "Metadata", now=_now())
    else:
        body = obj
    headers = {}
    if warnings:
        headers["Warning"] = ", ".join(_warning_value(w) for w in warnings)
    return JSONBody(body, status_code=code, headers=headers)


def _warning_value(text: str) -> str:
    """RFC 7234 warn-text: code 299, agent "-", the text quoted with its quotes escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{escaped}"'


def _watch_renderer(request: Request, rt: ResourceType):
    if not _wants_table(request):
        return None  # the object itself, as the store encoded it
    include_object = request.query_params.get("includeObject") or "Metadata"

    def render(_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        return table(rt, [obj], list_resource_version=obj["metadata"].get("resourceVersion", ""),
                     include_object=include_object, now=_now())

    return render


def _now() -> datetime:
    return datetime.now(timezone.utc)
