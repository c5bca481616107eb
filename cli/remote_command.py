"""The client half of exec's and attach's WebSocket protocol, v5.channel.k8s.io (KUBERNETES_API.md section 7).

    tkctl ──wss──> GET pods/NAME/exec?command=..&container=..&stdin=true&stdout=true&stderr=true[&tty=true]
                   GET pods/NAME/attach?container=..&stdin=true&stdout=true&stderr=true[&tty=true]
                   Sec-WebSocket-Protocol: v5.channel.k8s.io      (a refusal is an HTTP Status instead)

    every message is binary; its first byte says which stream it carries:
      0  stdin   ──>         1  stdout  <──         2  stderr  <── (none with a TTY)
      4  resize  ──>  {"Width": W, "Height": H}      3  Status  <──  once, just before the server closes
    255  [255, 0] ──>  stdin reached EOF (the remote stdin is closed; `cat` can finish)

The exit code comes from the channel-3 Status: Success is 0, NonZeroExitCode
carries the code in `details.causes[reason=ExitCode]`; no Status at all means
0, as kubectl reads it. This is the one place websockets errors are translated.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlencode, urlsplit

from pydantic import ValidationError
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from apiclient import Connection
from apiclient.errors import status_error, unreachable
from cli.errors import TkctlError
from cli.session import USER_AGENT
from cli.terminal import on_resize, raw_mode, size
from objects.status import Status, StatusOutcome

SUBPROTOCOL = "v5.channel.k8s.io"
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
CLOSE_STDIN = bytes([CLOSE, STDIN])
OPEN_TIMEOUT_SECONDS = 30
READ_SIZE = 32 * 1024


class RemoteCommandFailed(TkctlError):
    """The command could not run (not found, not executable...): the Status's message, exit code 1."""


@dataclass(frozen=True)
class ExecRequest:
    """What to run where; becomes the query string of the exec URL."""

    command: list[str]
    container: str | None
    stdin: bool
    tty: bool

    def query(self) -> str:
        # kubectl sends only the true flags, keys in sorted order, and no stderr with a TTY (merged into it)
        pairs: list[tuple[str, str]] = [("command", word) for word in self.command]
        if self.container:
            pairs.append(("container", self.container))
        if not self.tty:
            pairs.append(("stderr", "true"))
        if self.stdin:
            pairs.append(("stdin", "true"))
        pairs.append(("stdout", "true"))
        if self.tty:
            pairs.append(("tty", "true"))
        return urlencode(pairs)


@dataclass(frozen=True)
class AttachRequest:
    """Which container's process to attach to; becomes the query string of the attach URL."""

    container: str
    stdin: bool
    tty: bool

    def query(self) -> str:
        # As kubectl attach sends them: sorted, only the true flags, stderr merged into a TTY.
        pairs: list[tuple[str, str]] = [("container", self.container)]
        if not self.tty:
            pairs.append(("stderr", "true"))
        if self.stdin:
            pairs.append(("stdin", "true"))
        pairs.append(("stdout", "true"))
        if self.tty:
            pairs.append(("tty", "true"))
        return urlencode(pairs)


def open_remote_command(connection: Connection, path: str,
                        request: ExecRequest | AttachRequest) -> ClientConnection:
    """Connect, or raise the server's refusal as an ApiStatusError (kubectl prints it the same way)."""
    split = urlsplit(connection.server)
    scheme = "wss" if split.scheme == "https" else "ws"
    url = f"{scheme}://{split.netloc}{split.path}{path}?{request.query()}"
    headers = {"Authorization": f"Bearer {connection.token}"} if connection.token else {}
    try:
        return connect(url, subprotocols=[SUBPROTOCOL], additional_headers=headers, max_size=None,
                       ssl=connection.tls_context() if scheme == "wss" else None,
                       open_timeout=OPEN_TIMEOUT_SECONDS, compression=None, user_agent_header=USER_AGENT)
    except InvalidStatus as refusal:
        response = refusal.response
        try:
            body = json.loads(response.body or b"")
        except ValueError:
            body = None
        text = (response.body or b"").decode(errors="replace")
        raise status_error(response.status_code, body, text) from None
    except (InvalidHandshake, OSError, TimeoutError) as error:
        raise unreachable(connection.server, f"GET {path}", error) from None


def run_in_this_terminal(connection: Connection, path: str, request: ExecRequest | AttachRequest) -> int:
    """Open pods/NAME/exec or /attach and run it on this process's stdin/stdout/stderr, to its exit code.

    With a TTY the remote terminal starts at our size and follows it, and ours is raw meanwhile.
    """
    remote = RemoteCommand(open_remote_command(connection, path, request))
    with contextlib.ExitStack() as terminal:
        if request.tty:
            def resize() -> None:
                if (dimensions := size()) is not None:
                    remote.resize(*dimensions)
            resize()  # the first frame: the remote terminal starts at our size
            terminal.enter_context(on_resize(resize))
            terminal.enter_context(raw_mode(sys.stdin))
        return remote.run(stdin=sys.stdin.buffer if request.stdin else None, stdout=sys.stdout.buffer,
                          stderr=sys.stderr.buffer)


class RemoteCommand:
    """One running exec or attach: pumps stdin up, copies stdout and stderr down, and reads the final Status."""

    def __init__(self, connection: ClientConnection):
        self._connection = connection
        self._send_lock = threading.Lock()

    def run(self, *, stdin: BinaryIO | None, stdout: BinaryIO, stderr: BinaryIO) -> int:
        """Run to the end and return the remote exit code (or raise RemoteCommandFailed)."""
        if stdin is not None:
            threading.Thread(target=self._pump_stdin, args=(stdin,), daemon=True).start()
        status: Status | None = None
        try:
            for message in self._connection:
                frame = message.encode() if isinstance(message, str) else message
                if not frame:
                    continue
                channel, payload = frame[0], frame[1:]
                if channel == STDOUT:
                    _write(stdout, payload)
                elif channel == STDERR:
                    _write(stderr, payload)
                elif channel == ERROR:
                    status = _decode_status(payload)
        except ConnectionClosed as error:
            if status is None:
                raise TkctlError(f"the connection to the container closed unexpectedly: {error}") from None
        finally:
            self._connection.close()
        return exit_code(status)

    def resize(self, width: int, height: int) -> None:
        try:
            self._send(bytes([RESIZE]) + json.dumps({"Width": width, "Height": height}).encode())
        except ConnectionClosed:
            pass  # the command ended while the window changed size

    def _pump_stdin(self, stdin: BinaryIO) -> None:
        """Copy local stdin up as it arrives; say EOF with [255, 0] so the remote side can finish."""
        fd = stdin.fileno()
        try:
            while data := os.read(fd, READ_SIZE):
                self._send(bytes([STDIN]) + data)
            self._send(CLOSE_STDIN)
        except (OSError, ConnectionClosed):
            return  # the command ended first, or stdin went away: nothing left to tell the server

    def _send(self, frame: bytes) -> None:
        with self._send_lock:
            self._connection.send(frame)


def _write(out: BinaryIO, payload: bytes) -> None:
    out.write(payload)
    out.flush()


def _decode_status(payload: bytes) -> Status:
    try:
        return Status.model_validate_json(payload)
    except ValidationError:
        raise TkctlError(f"error stream protocol error: {payload[:200]!r}") from None


def exit_code(status: Status | None) -> int:
    """kubectl's reading of the channel-3 Status (client-go remotecommand errorDecoderV4)."""
    if status is None or status.status == StatusOutcome.SUCCESS:
        return 0
    if status.status != StatusOutcome.FAILURE:
        raise TkctlError("error stream protocol error: unknown error")
    if status.reason == "NonZeroExitCode":
        code = next((cause.message for cause in status.causes if cause.reason == "ExitCode"), None)
        if code is None:
            raise TkctlError("error stream protocol error: no ExitCode cause given")
        try:
            return int(code)
        except ValueError:
            raise TkctlError(f"error stream protocol error: invalid exit code value {code!r}") from None
    raise RemoteCommandFailed(status.message or "the command failed")
