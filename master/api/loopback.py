"""LoopbackTransport: the master's own scheduler and controllers reach its API in-process, with no socket.

They are ordinary API clients (`apiclient.ApiClient`, on httpx): they list,
watch, create and bind exactly as `tinykube-scheduler` does from another
machine, and the kube-apiserver's own controllers do through its loopback
client. Only the last hop differs. Instead of a connection, this transport
hands each request to the ASGI app on the master's event loop and reads the
answer back from the app's ASGI messages, as httpx's ASGITransport does for
async clients:

    component thread                                   the master's event loop
    httpx.Client ─► LoopbackTransport ──(request)───► app(scope, receive, send)
                 ◄─ httpx.Response   ◄─(messages)──── send(): status, headers, body chunks

Everything the app does for a request still happens: routing, the token
check, authorization, admission, Status errors. What goes away is the socket,
HTTP on both ends, and uvicorn. A watch is a response that keeps sending: its
chunks are read as they come, and closing the response tells the app the
client went away (`http.disconnect`), which ends the stream.

httpx's own Request and Response objects cost more than the rest of the hop,
so ApiClient sends plain requests through `send_direct` (method, path, query,
headers, body in; status and body out); httpx comes in only for watches.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from typing import Any
from urllib.parse import urlencode

import httpx

log = logging.getLogger(__name__)

# What a waiting reader gets when the app has finished (or failed) without a further message.
_END = object()


class LoopbackTransport(httpx.BaseTransport):
    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop):
        self.app = app
        self.loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """httpx's way in: any request, streamed answers (watches) included."""
        url = request.url
        scope = _scope(request.method, url.path, url.raw_path.split(b"?", 1)[0], url.query,
                       [(name.lower(), value) for name, value in request.headers.raw])
        exchange = self._start(scope, request.read())
        timeout = (request.extensions.get("timeout") or {}).get("read")
        status, headers = exchange.response_start(timeout)
        return httpx.Response(status, headers=headers, stream=exchange)

    def send_direct(self, method: str, path: str, *, params: dict[str, Any] | None, headers: dict[str, str],
                    body: bytes, timeout: float | None) -> tuple[int, bytes]:
        """ApiClient's way in for a plain request: the same exchange, with no httpx objects around it."""
        query = urlencode(params, doseq=True).encode() if params else b""
        scope = _scope(method, path, path.encode(), query,
                       [(name.lower().encode(), value.encode()) for name, value in headers.items()])
        exchange = self._start(scope, body)
        status, _headers = exchange.response_start(timeout)
        return status, b"".join(exchange)

    def _start(self, scope: dict[str, Any], body: bytes) -> _Exchange:
        if _running_loop() is self.loop:
            # It would wait for the loop it is blocking: a bug in the caller, never a hang.
            raise RuntimeError("the loopback transport cannot be used from the master's event loop")
        exchange = _Exchange(self.loop, body)
        running = exchange.run(self.app, scope)
        try:
            asyncio.run_coroutine_threadsafe(running, self.loop)
        except RuntimeError:  # the loop has closed: the master is shutting down
            running.close()
            raise httpx.ConnectError("the master is shutting down") from None
        return exchange


class _Exchange(httpx.SyncByteStream):
    """One request's conversation with the app: its body in, its ASGI messages out through a queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop, body: bytes):
        self.loop = loop
        self._body: bytes | None = body
        self._messages: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Set on the loop only; made here so that a hang-up that comes before run() is not lost.
        self._client_gone = asyncio.Event()
        self._complete = False  # the last body chunk was read

    # ----- the app's side, on the event loop

    async def run(self, app: Any, scope: dict[str, Any]) -> None:
        try:
            if not self._client_gone.is_set():  # the client may have given up before we began
                await app(scope, self._receive, self._send)
        except Exception as error:
            # Either the app's error handlers already answered and logged it, or the client had
            # hung up (what _send raises then): nothing left to report but the end.
            log.debug("loopback request %s %s ended with %r", scope["method"], scope["path"], error)
            self._messages.put(error)
        finally:
            self._messages.put(_END)
            self._client_gone.set()  # nothing may wait on this request any longer

    async def _receive(self) -> dict[str, Any]:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._client_gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if self._client_gone.is_set():
            raise OSError("the loopback client closed the response")  # what a closed socket would say
        self._messages.put(message)

    # ----- the client's side, on its own thread

    def response_start(self, timeout: float | None) -> tuple[int, list[tuple[bytes, bytes]]]:
        try:
            message = self._messages.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise httpx.ReadTimeout("the master did not answer in time") from None
        if message is _END or isinstance(message, BaseException):
            raise httpx.RemoteProtocolError("the master ended the request without an answer")
        return message["status"], list(message.get("headers") or [])

    def __iter__(self):
        while not self._complete:
            message = self._messages.get()
            if message is _END or isinstance(message, BaseException):
                return
            if message["type"] != "http.response.body":
                continue
            if message.get("body"):
                yield message["body"]
            self._complete = not message.get("more_body", False)

    def close(self) -> None:
        """Called when the client is done with the response, from any thread: the app hears that
        the client went away (only a stream still running cares), and a blocked reader wakes."""
        if self._complete:
            return
        self._complete = True
        self._messages.put(_END)
        try:
            self.loop.call_soon_threadsafe(self._client_gone.set)
        except RuntimeError:
            pass  # the loop has closed, and the app with it


def _scope(method: str, path: str, raw_path: bytes, query: bytes, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "server": ("loopback", 0), "client": ("127.0.0.1", 0), "root_path": "",
        "path": path, "raw_path": raw_path, "query_string": query, "headers": headers,
    }


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
