"""The exec and attach stream: one runtime session spoken over a WebSocket in the v5.channel.k8s.io protocol.

Every message is one frame whose first byte names a channel:

    0    client -> kubelet   stdin bytes
    1    kubelet -> client   stdout
    2    kubelet -> client   stderr (absent with a tty: the tty merges it into stdout)
    3    kubelet -> client   a metav1.Status, sent once, when the command has ended
    4    client -> kubelet   resize: {"Width": 120, "Height": 40}
    255  client -> kubelet   close a channel: [255, 0] means stdin reached EOF (v5 only)

The session ends one of two ways:

    exec: command exits          -> channel 3 Status (exit code inside) -> close 1000
    attach: container ends       -> channel 3 Success, as the kubelet reports any attach that ended cleanly
    client goes away             -> the session is closed (exec: the process is killed; attach: detached)

v4.channel.k8s.io is v5 without channel 255; the Python client offers it
alongside v5, so both are accepted. Frames may arrive as text (the Python
client sends `str` stdin that way): the first character is then the channel.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from kubelet.runtime.protocol import AttachSession, ExecSession, RuntimeFailure

V5_PROTOCOL = "v5.channel.k8s.io"
V4_PROTOCOL = "v4.channel.k8s.io"
SUPPORTED_PROTOCOLS = (V5_PROTOCOL, V4_PROTOCOL)  # in order of preference

STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
CLOSE = 255

SUCCESS = {"metadata": {}, "status": "Success"}

_DONE = object()


def negotiate(offered: list[str]) -> str | None:
    """The protocol to answer with, from those the client offered; None when none is supported."""
    return next((p for p in SUPPORTED_PROTOCOLS if p in offered), None)


def exit_status(exit_code: int) -> dict[str, Any]:
    """The channel-3 Status for a finished command; kubectl turns the cause into its own exit code."""
    if exit_code == 0:
        return SUCCESS
    return {
        "metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
        "message": f"command terminated with non-zero exit code: exit status {exit_code}",
        "details": {"causes": [{"reason": "ExitCode", "message": str(exit_code)}]},
    }


def failure_status(message: str) -> dict[str, Any]:
    """The channel-3 Status when the command could not run at all (kubectl prints `error: <message>`)."""
    return {"metadata": {}, "status": "Failure", "reason": "InternalError", "message": message}


async def serve_exec(websocket: WebSocket, *, subprotocol: str, open_session: Callable[[], ExecSession]) -> None:
    """Accept, run the command to its end, report its exit on channel 3, and close.

    The caller has already validated the request: from here on every failure
    is reported in-band on channel 3, never as an HTTP error.
    """
    await _serve(websocket, subprotocol=subprotocol, open_session=open_session,
                 final_status=lambda session: exit_status(session.exit_code()))


async def serve_attach(websocket: WebSocket, *, subprotocol: str, open_session: Callable[[], AttachSession]) -> None:
    """Accept, relay the container's process until it ends, report Success on channel 3, and close."""
    await _serve(websocket, subprotocol=subprotocol, open_session=open_session, final_status=lambda _session: SUCCESS)


async def _serve(websocket: WebSocket, *, subprotocol: str, open_session: Callable[[], Any],
                 final_status: Callable[[Any], dict[str, Any]]) -> None:
    await websocket.accept(subprotocol=subprotocol)
    try:
        session = await run_in_threadpool(open_session)
    except RuntimeFailure as error:
        await _finish(websocket, failure_status(str(error)))
        return

    output = asyncio.create_task(_pump_output(websocket, session))
    stdin = asyncio.create_task(_pump_input(websocket, session, v5=subprotocol == V5_PROTOCOL))
    try:
        await asyncio.wait({output, stdin}, return_when=asyncio.FIRST_COMPLETED)
        if output.done() and output.exception() is None:
            await _finish(websocket, await run_in_threadpool(final_status, session))
        elif output.done():
            await _finish(websocket, failure_status(str(output.exception())))
        # Otherwise the client went away first; closing the session below kills an exec'd process,
        # or detaches from the container.
    finally:
        for task in (output, stdin):
            task.cancel()
        await asyncio.gather(output, stdin, return_exceptions=True)
        await run_in_threadpool(session.close)


async def _pump_output(websocket: WebSocket, session: ExecSession | AttachSession) -> None:
    """Relay the process's stdout and stderr until it exits."""
    chunks = iter(session.output())
    while True:
        # Abandon the blocked read on cancellation: session.close() then ends it.
        item = await anyio.to_thread.run_sync(_next_or_done, chunks, abandon_on_cancel=True)
        if item is _DONE:
            return
        stream, data = item
        if data:
            await websocket.send_bytes(bytes([stream]) + data)


def _next_or_done(chunks: Iterator[tuple[int, bytes]]) -> Any:
    return next(chunks, _DONE)


async def _pump_input(websocket: WebSocket, session: ExecSession | AttachSession, *, v5: bool) -> None:
    """Apply the client's frames to the session until the client disconnects."""
    while True:
        try:
            message = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        frame = _frame(message)
        if not frame:
            continue
        channel, payload = frame[0], frame[1:]
        if channel == STDIN and payload:
            await run_in_threadpool(session.write, payload)
        elif channel == RESIZE:
            size = _resize(payload)
            if size is not None:
                await run_in_threadpool(session.resize, *size)
        elif channel == CLOSE and v5 and payload[:1] == bytes([STDIN]):
            await run_in_threadpool(session.close_stdin)


def _frame(message: dict[str, Any]) -> bytes:
    if message.get("bytes") is not None:
        return message["bytes"]
    text = message.get("text") or ""
    if not text:
        return b""
    # A text frame's channel is its first character, which may be above 127.
    return bytes([ord(text[0]) & 0xFF]) + text[1:].encode()


def _resize(payload: bytes) -> tuple[int, int] | None:
    try:
        size = json.loads(payload)
        return int(size["Width"]), int(size["Height"])
    except (ValueError, KeyError, TypeError):
        return None


async def _finish(websocket: WebSocket, status: dict[str, Any]) -> None:
    if websocket.client_state != WebSocketState.CONNECTED:
        return
    try:
        await websocket.send_bytes(bytes([ERROR]) + json.dumps(status).encode())
        await websocket.close(code=1000)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client left while we were saying goodbye
