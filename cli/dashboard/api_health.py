"""Is the API server answering the dashboard's credentials? A probe every second, published as ApiStatus.

    live ◄──────► unauthorized (401) / forbidden (403) / unreachable (no answer)

The informers retry on their own and say nothing about why they fail, so the
page learns the API's state from here: one cheap authenticated GET (the
Deployments list, which the map needs and which is short) and its outcome. Only
a change of state (or of message) is published.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone

from apiclient import ApiClient, ApiClientError, ApiStatusError, Unreachable
from cli.dashboard.upstream import failure_message
from cli.dashboard.views import ApiState, ApiStatus
from objects.kinds import DEPLOYMENT

log = logging.getLogger(__name__)

PROBE_INTERVAL_SECONDS = 1.0


def connecting(server: str) -> ApiStatus:
    return ApiStatus(state=ApiState.CONNECTING, message=f"Connecting to the API server at {server}...",
                     server=server, since=_now())


def probe(client: ApiClient, server: str) -> ApiStatus:
    """The API's state as one request finds it."""
    try:
        client.get_path(DEPLOYMENT.collection_path(None))
    except ApiClientError as error:
        return ApiStatus(state=_state_of(error), message=failure_message(error, server), server=server,
                         since=_now())
    return ApiStatus(state=ApiState.LIVE, message=f"Connected to the API server at {server}", server=server,
                     since=_now())


def _state_of(error: ApiClientError) -> ApiState:
    if isinstance(error, ApiStatusError) and error.code == 401:
        return ApiState.UNAUTHORIZED
    if isinstance(error, ApiStatusError) and error.code == 403:
        return ApiState.FORBIDDEN
    if isinstance(error, Unreachable):
        return ApiState.UNREACHABLE
    return ApiState.UNREACHABLE  # a 5xx or a broken answer: the map cannot be kept live either


def watch_health(client: ApiClient, server: str, publish: Callable[[ApiStatus], None],
                 stop: threading.Event) -> threading.Thread:
    """Probe until `stop`, calling `publish(ApiStatus)` after every probe (the receiver keeps only changes)."""
    def run() -> None:
        while not stop.is_set():
            try:
                publish(probe(client, server))
            except Exception:  # a bug here must not end the probing
                log.exception("dashboard: the API health probe failed")
            stop.wait(PROBE_INTERVAL_SECONDS)

    thread = threading.Thread(target=run, name="dashboard-api-health", daemon=True)
    thread.start()
    return thread


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
