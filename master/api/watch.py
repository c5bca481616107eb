"""The watch stream: replay from a revision, then follow live writes, as newline-delimited JSON.

    subscribe to live events (buffered)           ┐ subscribing first means no write
    replay: ADDED for every object (rv "" or "0")  │ can fall between the replay and
            or the log after the client's rv       │ the live part; duplicates are
    live:   buffered + new events, rv > last sent  ┘ skipped by revision
    end:    the client's timeoutSeconds, or it disconnects

A watch from a compacted revision gets one ERROR event with a 410 Expired
Status, which tells the client to list again. A watcher too slow to keep up is
ended the same way rather than letting its buffer grow without bound.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from master.store import Expired, SqlStore, WatchEvent
from objects.status import Status

MAX_BUFFERED_EVENTS = 10_000
DEFAULT_TIMEOUT_SECONDS = 1800  # the apiserver's minimum request timeout for watches


async def watch_stream(
    store: SqlStore,
    resource: str,
    *,
    resource_version: str | None,
    timeout_seconds: float | None,
    matches: Callable[[dict[str, Any]], bool],
    render: Callable[[str, dict[str, Any]], dict[str, Any]] | None,
) -> AsyncIterator[bytes]:
    """`render` turns an object into what the client asked for (a Table); None sends the object itself."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue()

    def deliver(event: WatchEvent) -> None:
        loop.call_soon_threadsafe(_enqueue, queue, event)

    subscription = store.subscribe(resource, deliver)
    deadline = time.monotonic() + (timeout_seconds if timeout_seconds else DEFAULT_TIMEOUT_SECONDS)
    try:
        if resource_version in (None, "", "0"):
            items, last_sent = await run_in_threadpool(store.list, resource)
            for obj in items:
                if matches(obj):
                    yield _line("ADDED", render("ADDED", obj) if render else obj)
        else:
            last_sent = int(resource_version)
            try:
                replay = await run_in_threadpool(store.events_since, resource, last_sent)
            except Expired as error:
                yield _line("ERROR", _expired_status(str(error)))
                return
            for event in replay:
                if matches(event.object):
                    yield _event_line(event, render)
                last_sent = event.revision

        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=remaining)
            except asyncio.TimeoutError:
                return
            if event is None:
                yield _line("ERROR", _expired_status("the watcher fell too far behind; list again"))
                return
            if event.revision <= last_sent:
                continue
            last_sent = event.revision
            if matches(event.object):
                yield _event_line(event, render)
    finally:
        subscription.close()


def _enqueue(queue: asyncio.Queue[WatchEvent | None], event: WatchEvent) -> None:
    if queue.qsize() >= MAX_BUFFERED_EVENTS:
        queue.put_nowait(None)  # the reader ends the stream when it reaches this marker
        return
    queue.put_nowait(event)


def _event_line(event: WatchEvent, render: Callable[[str, dict[str, Any]], dict[str, Any]] | None) -> bytes:
    if render is None and event.encoded:
        return b'{"type":"%s","object":%s}\n' % (event.type.encode(), event.encoded.encode())
    return _line(event.type, render(event.type, event.object) if render else event.object)


def _line(event_type: str, obj: dict[str, Any]) -> bytes:
    return (json.dumps({"type": event_type, "object": obj}, separators=(",", ":")) + "\n").encode()


def _expired_status(message: str) -> dict[str, Any]:
    return Status.failure(410, "Expired", message).to_wire()
