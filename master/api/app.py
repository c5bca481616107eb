"""create_app: the FastAPI application, wired from the store and the token authenticator.

Only /healthz, /livez, /readyz and /version answer without a token; everything
else requires one (401 Status otherwise), and resource requests are then
authorized per verb.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from master.api import discovery, metrics, node_proxy, status
from master.api.history.endpoints import serve_revisions
from master.api.registry import Registry
from master.api.request_info import parse_request_info
from master.api.resources import JSONBody, serve_resource
from master.api.service_allocation import ServiceAllocator
from master.auth import TokenAuthenticator, User
from master.store import SqlStore, StoreUnavailable
from objects.kinds import REVISIONS
from objects.service import DEFAULT_SERVICE_CIDR, NODE_PORT_RANGE

log = logging.getLogger(__name__)


async def authenticated(request: Request) -> User:
    # async: a token check is a few comparisons, far cheaper than FastAPI's hop to a worker
    # thread, which is where a sync dependency would run.
    user = request.app.state.authenticator.authenticate(request.headers.get("authorization"))
    if user is None:
        raise status.unauthorized()
    return user


AuthenticatedUser = Annotated[User, Depends(authenticated)]


def create_app(*, store: SqlStore, authenticator: TokenAuthenticator, server_address: str = "127.0.0.1:6443",
               registry: Registry | None = None, kubelet_token: str | None = None,
               service_cluster_ip_range: str = DEFAULT_SERVICE_CIDR,
               service_node_port_range: str = f"{NODE_PORT_RANGE.start}-{NODE_PORT_RANGE.stop - 1}") -> FastAPI:
    """`kubelet_token` is what the master presents to kubelets (the node token) for logs, exec and proxy.

    The two service ranges are the master's flags of the same names: Services' clusterIPs and
    node ports are allocated from them (ValueError for a range that does not parse)."""
    # A caller's own registry brings its own allocators; otherwise the Services' one follows the store's
    # writes (a subscription) for as long as the app serves, and its lifespan ends that.
    services = None if registry is not None else ServiceAllocator(
        store, cluster_ip_range=service_cluster_ip_range, node_port_range=service_node_port_range)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=_closing(services))
    app.state.store = store
    app.state.registry = registry or Registry(store, allocators={"Service": services})
    app.state.authenticator = authenticator
    app.state.kubelet_token = kubelet_token
    app.state.service_cluster_ip_range = service_cluster_ip_range
    app.state.service_node_port_range = service_node_port_range
    _install_error_handlers(app)

    @app.get("/healthz", response_class=PlainTextResponse)
    @app.get("/livez", response_class=PlainTextResponse)
    async def healthz() -> str:
        return "ok"

    @app.get("/readyz", response_class=PlainTextResponse)
    async def readyz() -> Response:
        try:
            await run_in_threadpool(store.list, "namespaces")
        except StoreUnavailable as error:
            return PlainTextResponse(f"[-]store failed: {error}", status_code=500)
        return PlainTextResponse("ok")

    @app.get("/version")
    async def version() -> JSONBody:
        return JSONBody(discovery.version_info())

    @app.get("/api")
    async def core_versions(request: Request, _user: AuthenticatedUser) -> Response:
        media_type = discovery.aggregated_media_type(request.headers.get("accept", ""))
        if media_type:
            return JSONBody(discovery.aggregated(media_type, core=True), media_type=media_type)
        return JSONBody(discovery.legacy_core_versions(server_address))

    @app.get("/apis")
    async def groups(request: Request, _user: AuthenticatedUser) -> Response:
        media_type = discovery.aggregated_media_type(request.headers.get("accept", ""))
        if media_type:
            return JSONBody(discovery.aggregated(media_type, core=False), media_type=media_type)
        return JSONBody(discovery.legacy_groups())

    @app.get("/openapi/v3")
    async def openapi_index(_user: AuthenticatedUser) -> JSONBody:
        return JSONBody(discovery.openapi_index())

    @app.get("/openapi/v3/{group_path:path}")
    async def openapi_document(group_path: str, _user: AuthenticatedUser) -> JSONBody:
        group_version = group_path.removeprefix("apis/").removeprefix("api/")
        document = discovery.openapi_document(group_version)
        if document is None:
            raise status.not_found_path()
        return JSONBody(document)

    # exec, attach and portforward are WebSockets; their SPDY fallback (a POST) goes through `resources` below.
    @app.websocket("/api/v1/namespaces/{namespace}/pods/{name}/{subresource}")
    async def pod_tunnel(websocket: WebSocket, namespace: str, name: str, subresource: str) -> None:
        if subresource not in node_proxy.TUNNELS:
            await websocket.close(code=1008)  # nothing else upgrades; Starlette answers the handshake with 403
            return
        await node_proxy.serve_pod_tunnel(websocket, namespace, name, subresource)

    # HEAD and OPTIONS only make sense for pods/{name}/proxy; other resources answer them with 405.
    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    @app.api_route("/apis/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    async def resources(request: Request, user: AuthenticatedUser) -> Response:
        info = parse_request_info(request.url.path)
        if info is None:
            group = request.url.path.strip("/").split("/")
            if len(group) == 2 and group[0] == "apis" and (document := discovery.legacy_group(group[1])):
                return JSONBody(document)  # /apis/{group}: the group and its versions
            raise status.not_found_path()
        if not info.resource:
            return _group_version_discovery(info.group, info.version)
        if info.group == metrics.GROUP:  # not stored: asked of the kubelets
            return await metrics.serve_metrics(request, info, user, request.app.state.registry)
        if info.group == REVISIONS.group and info.resource == REVISIONS.plural:  # read from the store's log
            return await serve_revisions(request, info, user, request.app.state.registry)
        return await serve_resource(request, info, user, request.app.state.registry)

    return app


def _closing(services: ServiceAllocator | None):
    """The app's own lifespan: nothing to start, the allocator's subscription to close. Whoever gives the
    app a lifespan of its own (master/main.py) runs this one inside it."""

    @asynccontextmanager
    async def lifespan(_app):
        try:
            yield
        finally:
            if services is not None:
                services.close()

    return lifespan


def _group_version_discovery(group: str, version: str) -> Response:
    document = discovery.legacy_resources(group, version)
    if document is None:
        raise status.not_found_path()
    return JSONBody(document)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(status.ApiError)
    async def api_error(_request: Request, error: status.ApiError) -> Response:
        return JSONBody(error.to_status(), status_code=error.code)

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(_request: Request, error: StoreUnavailable) -> Response:
        answer = status.internal(f"the store failed: {error}")
        return JSONBody(answer.to_status(), status_code=answer.code)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_request: Request, error: RequestValidationError) -> Response:
        answer = status.bad_request(str(error.errors()[0].get("msg", error)))
        return JSONBody(answer.to_status(), status_code=answer.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> Response:
        answer = status.not_found_path() if error.status_code == 404 else status.ApiError(
            error.status_code, "MethodNotAllowed" if error.status_code == 405 else "BadRequest", str(error.detail))
        return JSONBody(answer.to_status(), status_code=answer.code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path)
        answer = status.internal(str(error) or type(error).__name__)
        return JSONBody(answer.to_status(), status_code=answer.code)
