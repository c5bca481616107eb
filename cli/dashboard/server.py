"""The dashboard's web server: the page, its files, the live stream and the panels' questions.

    GET /                      index.html (needs the session cookie, access.py)
    GET /static/*              the page's CSS and JavaScript, shipped in the package
    GET /api/stream            Server-Sent Events: status, snapshot, change ... (live_state.py)
    GET /api/pods/{ns}/{name}  a pod's panel          GET /api/nodes/{name}  a node's panel   (details.py)
    GET /api/deployments/{ns}/{name}   a Deployment's panel
    GET /api/timeline[?since=N] the recent revisions  GET /api/at/{revision}  the map as it was (timeline.py)

`create_app` wires one ApiClient (the kubeconfig's credentials, never sent to
the page) into all of them; `serve` runs it on a socket the caller bound. Every
request toward the API is a GET: the dashboard never writes to the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator
from importlib.resources import as_file, files
from pathlib import Path
from typing import Annotated

import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.types import ASGIApp

from apiclient import ApiClient
from cli.dashboard import details, timeline
from cli.dashboard.access import AccessGate
from cli.dashboard.api_health import connecting, watch_health
from cli.dashboard.live_state import LiveState
from cli.dashboard.upstream import UpstreamFailure

KEEPALIVE_SECONDS = 15.0
WAKE_SECONDS = 1.0  # how often an idle stream looks whether the server is stopping
NO_STORE = {"Cache-Control": "no-store"}


def create_app(client: ApiClient, *, key: str, port: int, address: str = "127.0.0.1",
               stopping: threading.Event | None = None) -> ASGIApp:
    """The app behind its access gate; its lifespan starts the informers and the health probe and stops them. `stopping`, once
    set, ends the open streams (the server sets it on Ctrl-C, before it waits for connections to close). `port` is
    the one served on: it names the session cookie."""
    server_url = client.connection.server
    stopping = stopping or threading.Event()
    live = LiveState(client, connecting(server_url))
    resources = contextlib.ExitStack()
    static_dir: Path = resources.enter_context(as_file(files("cli.dashboard") / "static"))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        live.start(stopping)
        watch_health(client, server_url, live.set_status, stopping)
        try:
            yield
        finally:
            stopping.set()
            resources.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(UpstreamFailure)
    async def upstream_failed(_request: Request, failure: UpstreamFailure) -> JSONResponse:
        return JSONResponse({"message": failure.message}, status_code=failure.code, headers=NO_STORE)

    @app.exception_handler(details.InvalidName)
    async def invalid_name(_request: Request, error: details.InvalidName) -> JSONResponse:
        return JSONResponse({"message": str(error)}, status_code=400, headers=NO_STORE)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        problem = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "the request"
        return JSONResponse({"message": f"{where}: {problem.get('msg', 'invalid')}"}, status_code=400,
                            headers=NO_STORE)

    @app.get("/")
    def index() -> HTMLResponse:
        return HTMLResponse((static_dir / "index.html").read_text(encoding="utf-8"), headers=NO_STORE)

    @app.get("/api/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(_events(live, stopping), media_type="text/event-stream",
                                 headers={**NO_STORE, "X-Accel-Buffering": "no"})

    @app.get("/api/pods/{namespace}/{name}")
    def pod_details(namespace: str, name: str) -> JSONResponse:
        return _json(details.pod_details(client, live, namespace, name))

    @app.get("/api/nodes/{name}")
    def node_details(name: str) -> JSONResponse:
        return _json(details.node_details(client, live, name))

    @app.get("/api/deployments/{namespace}/{name}")
    def deployment_details(namespace: str, name: str) -> JSONResponse:
        return _json(details.deployment_details(client, namespace, name))

    @app.get("/api/timeline")
    def recent_revisions(limit: int = timeline.DEFAULT_LIMIT,
                         since: Annotated[int | None, Query(ge=0)] = None) -> JSONResponse:
        return _json(timeline.recent(client, limit=limit, since=since))

    @app.get("/api/at/{revision}")
    def cluster_at(revision: int) -> JSONResponse:
        return _json(timeline.snapshot_at(client, revision))

    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    return AccessGate(app, key=key, address=address, port=port)


async def _events(live: LiveState, stopping: threading.Event) -> AsyncIterator[bytes]:
    subscriber = live.subscribe(asyncio.get_running_loop())
    last_sent = time.monotonic()
    try:
        while not stopping.is_set() and not subscriber.dropped:
            frames = await subscriber.next_frames(WAKE_SECONDS)
            if frames:
                yield b"".join(frames)
                last_sent = time.monotonic()
            elif time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                yield b": keepalive\n\n"
                last_sent = time.monotonic()
    finally:
        live.unsubscribe(subscriber)


def _json(model: BaseModel) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json", by_alias=True), headers=NO_STORE)


class _Server(uvicorn.Server):
    """uvicorn's server, which also tells the open streams to end when it is asked to stop."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event):
        super().__init__(config)
        self.stopping = stopping

    def handle_exit(self, sig: int, frame: object) -> None:
        self.stopping.set()
        super().handle_exit(sig, frame)


def serve(client: ApiClient, sock: socket.socket, *, key: str, address: str) -> None:
    """Serve on an already bound socket until Ctrl-C (or SIGTERM)."""
    stopping = threading.Event()
    app = create_app(client, key=key, port=sock.getsockname()[1], address=address, stopping=stopping)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5)
    _Server(config, stopping).run(sockets=[sock])
