"""The client half of port-forward: local listeners whose connections ride SPDY streams to the pod.

    local client ──TCP──> 127.0.0.1:LOCAL (a listener here)
                          │ one SPDY session over one WebSocket (wire.spdy_session, wire.spdy_tunnel):
                          │   GET pods/NAME/portforward   Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io
                          ▼
    per connection, as client-go's PortForwarder does:
      1. open stream {streamtype: error, port: REMOTE, requestid: N}; end our half at once (we never write it)
      2. open stream {streamtype: data, ...same}
      3. copy both ways; our local EOF -> FIN on the data stream; the kubelet's FIN -> the connection closes
      4. reset the data stream, read the error stream to its end: any message there means forwarding
         failed, and, as kubectl 1.32 does, the whole port-forward gives up ("lost connection to pod")

The session ends when the WebSocket closes: the command then fails the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from apiclient import Connection
from apiclient.errors import status_error, unreachable
from cli.errors import CommandError
from cli.session import USER_AGENT
from wire.spdy import ProtocolError
from wire.spdy_session import SessionClosed, SpdySession, SpdyStream, StreamReset
from wire.spdy_tunnel import SpdyTunnelConnection

OPEN_TIMEOUT_SECONDS = 30
READ_SIZE = 32 * 1024
LOST_CONNECTION = "lost connection to pod"

Print = Callable[[str], None]


@dataclass
class ForwardedPort:
    local: int  # 0 until a listener picked one
    remote: int


def parse_ports(specs: list[str]) -> list[ForwardedPort]:
    """`8080`, `8888:80`, `:80` and `0:80` (a random local port), with client-go's errors."""
    ports = []
    for spec in specs:
        parts = spec.split(":")
        if len(parts) > 2:
            raise CommandError(f"invalid port format '{spec}'")
        local, remote = (parts[0], parts[0]) if len(parts) == 1 else (parts[0] or "0", parts[1])
        local_port = _port_number(local, "local")
        remote_port = _port_number(remote, "remote")
        if remote_port == 0:
            raise CommandError("remote port must be > 0")
        ports.append(ForwardedPort(local_port, remote_port))
    return ports


def _port_number(text: str, which: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        reason = "value out of range" if text.isdigit() else "invalid syntax"
        raise CommandError(f"error parsing {which} port '{text}': strconv.ParseUint: parsing \"{text}\": {reason}")
    return int(text)


@dataclass(frozen=True)
class ListenAddress:
    host: str
    family: socket.AddressFamily
    all_must_fail: bool  # localhost's two addresses: one of them listening is enough


def listen_addresses(addresses: list[str]) -> list[ListenAddress]:
    """`localhost` is 127.0.0.1 and ::1; others are IP addresses. Sorted, as client-go sorts them."""
    parsed: dict[str, ListenAddress] = {}
    for address in addresses:
        if address == "localhost":
            parsed.setdefault("127.0.0.1", ListenAddress("127.0.0.1", socket.AF_INET, True))
            parsed.setdefault("::1", ListenAddress("::1", socket.AF_INET6, True))
            continue
        family = _ip_family(address)
        if family is None:
            raise CommandError(f"{address} is not a valid IP")
        parsed[address] = ListenAddress(address, family, False)
    return [parsed[key] for key in sorted(parsed)]


def _ip_family(address: str) -> socket.AddressFamily | None:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, address)
            return family
        except OSError:
            continue
    return None


class PortForwarder:
    """One `port-forward`: open the tunnel, listen, forward every connection until the tunnel ends."""

    def __init__(self, connection: Connection, path: str, ports: list[ForwardedPort],
                 addresses: list[ListenAddress], *, out: Print, err: Print) -> None:
        self._connection, self._path = connection, path
        self._ports, self._addresses = ports, addresses
        self._out, self._err = out, err
        self._request_ids = itertools.count()
        self._websocket: ClientConnection | None = None
        self._session: SpdySession | None = None
        self._servers: list[asyncio.Server] = []
        self._failure: str | None = None

    async def run(self) -> None:
        """Forward until the tunnel closes (CommandError: lost connection) or the task is cancelled."""
        self._websocket = websocket = await self._open_tunnel()
        self._session = SpdySession(websocket.send, server=False)
        serving = asyncio.create_task(self._session.serve(lambda: _receive(websocket)))
        try:
            await self._listen()
            await asyncio.wait({serving}, return_when=asyncio.FIRST_COMPLETED)
            with contextlib.suppress(ProtocolError):
                serving.result()
        finally:
            for server in self._servers:
                server.close()
            await self._session.go_away()
            await websocket.close()
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
        if self._failure:
            self._err(self._failure)
        raise CommandError(LOST_CONNECTION)

    async def _open_tunnel(self) -> ClientConnection:
        split = urlsplit(self._connection.server)
        scheme = "wss" if split.scheme == "https" else "ws"
        url = f"{scheme}://{split.netloc}{split.path}{self._path}"
        headers = {"Authorization": f"Bearer {self._connection.token}"} if self._connection.token else {}
        try:
            return await connect(url, create_connection=SpdyTunnelConnection, additional_headers=headers,
                                 ssl=self._connection.tls_context() if scheme == "wss" else None, max_size=None,
                                 open_timeout=OPEN_TIMEOUT_SECONDS, compression=None, user_agent_header=USER_AGENT)
        except InvalidStatus as refusal:
            response = refusal.response
            try:
                body = json.loads(response.body or b"")
            except ValueError:
                body = None
            error = status_error(response.status_code, body, (response.body or b"").decode(errors="replace"))
            raise CommandError(f"error upgrading connection: {error.status.message or error}") from None
        except (InvalidHandshake, OSError, TimeoutError) as error:
            raise unreachable(self._connection.server, f"GET {self._path}", error) from None

    async def _listen(self) -> None:
        listening = False
        for port in self._ports:
            errors, failed_any, opened_any = [], False, False
            for address in self._addresses:
                try:
                    server = await asyncio.start_server(
                        lambda reader, writer, port=port: self._handle(reader, writer, port),
                        address.host, port.local, family=address.family)
                except OSError as error:
                    errors.append(f"unable to create listener: Error listen tcp: {error}")
                    failed_any = failed_any or not address.all_must_fail
                    continue
                self._servers.append(server)
                opened_any = opened_any or address.all_must_fail
                port.local = server.sockets[0].getsockname()[1]
                host = f"[{address.host}]" if address.family == socket.AF_INET6 else address.host
                self._out(f"Forwarding from {host}:{port.local} -> {port.remote}")
            localhost_failed = not opened_any and any(a.all_must_fail for a in self._addresses)
            if failed_any or localhost_failed:
                self._err(f"Unable to listen on port {port.local}: Listeners failed to create with the "
                          f"following errors: [{' '.join(errors)}]")
            else:
                listening = True
        if not listening:
            pairs = " ".join(f"{{{p.local} {p.remote}}}" for p in self._ports)
            raise CommandError(f"unable to listen on any of the requested ports: [{pairs}]")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      port: ForwardedPort) -> None:
        assert self._session is not None
        self._out(f"Handling connection for {port.local}")
        headers = {"streamtype": ["error"], "port": [str(port.remote)],
                   "requestid": [str(next(self._request_ids))]}
        try:
            try:
                error_stream = await self._session.open_stream(headers)
                await error_stream.close()  # we never write on it
                error_message = asyncio.create_task(error_stream.read_all())
                data_stream = await self._session.open_stream(headers | {"streamtype": ["data"]})
            except (StreamReset, SessionClosed) as error:
                self._err(f"error creating stream for port {port.local} -> {port.remote}: {error}")
                return
            await _copy_both_ways(data_stream, reader, writer)
            await data_stream.reset()  # drop whatever the kubelet still sends: the connection is over
            message = (await error_message).decode(errors="replace")
            if message and self._failure is None:
                self._failure = f"an error occurred forwarding {port.local} -> {port.remote}: {message}"
                assert self._websocket is not None
                await self._websocket.close()  # ends the session, and so `run`, which reports the failure
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _copy_both_ways(data: SpdyStream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Until the kubelet ends its half, or our local side fails (its EOF only half-closes the stream)."""

    async def local_to_remote() -> None:
        while chunk := await reader.read(READ_SIZE):
            await data.write(chunk)
        await data.close()

    async def remote_to_local() -> None:
        while chunk := await data.read():
            writer.write(chunk)
            await writer.drain()

    local = asyncio.create_task(local_to_remote())
    remote = asyncio.create_task(remote_to_local())
    try:
        pending = {local, remote}
        while remote in pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if local in done and local.exception() is not None:
                break  # a local error ends the connection without waiting for the pod
    finally:
        for task in (local, remote):
            task.cancel()
        await asyncio.gather(local, remote, return_exceptions=True)


async def _receive(websocket: ClientConnection) -> bytes | None:
    try:
        message = await websocket.recv()
    except ConnectionClosed:
        return None
    return message.encode() if isinstance(message, str) else message
