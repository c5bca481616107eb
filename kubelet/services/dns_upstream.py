"""The node's own nameservers: where cluster DNS sends every name outside the cluster domain.

    query (wire bytes) ─► a fresh socket in the kubelet's network namespace ─► nameserver 1 ─┐ no answer in time,
                          (random source port, random query id)                nameserver 2 ◄┘ or refused: next one
                       ◄─ the first reply whose id and question match, with the client's id put back

CoreDNS's `forward . /etc/resolv.conf`, reduced: the nameservers are read once from
the kubelet's resolv.conf (127.0.0.11, Docker's embedded DNS, when the kubelet runs
in a compose container), the client's transport is kept (a truncated UDP reply goes
back truncated and the client asks again over TCP), and all nameservers together get
FORWARD_TIMEOUT_SECONDS, well inside a pod resolver's own 5 s, so that a dead upstream
becomes a quick SERVFAIL rather than a hung lookup. Sockets are created by the calling
coroutine, so they belong to the network namespace of the event loop's thread, never
to a pod's.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import struct
from pathlib import Path

from objects.service import DNS_PORT

log = logging.getLogger(__name__)

RESOLV_CONF = Path("/etc/resolv.conf")
DEFAULT_NAMESERVERS = ["127.0.0.1"]  # glibc's choice when resolv.conf names none
FORWARD_TIMEOUT_SECONDS = 2.0
MAX_MESSAGE = 65535


def nameservers_from(path: Path = RESOLV_CONF) -> list[str]:
    """The `nameserver` lines of a resolv.conf, in order; glibc's default when there are none or no file."""
    try:
        text = path.read_text()
    except OSError as error:
        log.warning("cannot read %s (%s); forwarding to %s", path, error, DEFAULT_NAMESERVERS)
        return list(DEFAULT_NAMESERVERS)
    servers = [fields[1] for line in text.splitlines()
               if len(fields := line.split()) >= 2 and fields[0] == "nameserver"]
    return servers or list(DEFAULT_NAMESERVERS)


class Upstream:
    """Forwards wire-format queries; `exchange` returns the reply's bytes, or None when no nameserver answered."""

    def __init__(self, nameservers: list[str], *, port: int = DNS_PORT,
                 timeout_seconds: float = FORWARD_TIMEOUT_SECONDS):
        self.nameservers, self.port, self.timeout_seconds = list(nameservers), port, timeout_seconds

    async def exchange(self, query: bytes, *, tcp: bool) -> bytes | None:
        if len(query) < 12:
            return None
        client_id, question = query[:2], _question_section(query)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_seconds
        for index, server in enumerate(self.nameservers):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            # Share what time is left among the servers still to try, so a dead first one leaves room for the rest.
            budget = remaining / (len(self.nameservers) - index)
            our_id = secrets.token_bytes(2)
            try:
                async with asyncio.timeout(budget):
                    if tcp:
                        reply = await self._over_tcp(server, our_id + query[2:])
                    else:
                        reply = await self._over_udp(server, our_id + query[2:], our_id, question)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
                log.debug("nameserver %s did not answer: %r", server, error)
                continue
            return client_id + reply[2:]
        return None

    async def _over_udp(self, server: str, message: bytes, our_id: bytes, question: bytes) -> bytes:
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[bytes] = loop.create_future()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _ReplyCatcher(reply, our_id, question), remote_addr=(server, self.port))
        try:
            transport.sendto(message)
            return await reply
        finally:
            transport.close()

    async def _over_tcp(self, server: str, message: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(server, self.port)
        try:
            writer.write(struct.pack("!H", len(message)) + message)
            await writer.drain()
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            return await reader.readexactly(length)
        finally:
            writer.close()


class _ReplyCatcher(asyncio.DatagramProtocol):
    """Takes the first datagram that answers our query; anything else (a stray or spoofed packet) is dropped."""

    def __init__(self, reply: asyncio.Future[bytes], our_id: bytes, question: bytes):
        self.reply, self.our_id, self.question = reply, our_id, question

    def datagram_received(self, data: bytes, addr: object) -> None:
        if self.reply.done() or data[:2] != self.our_id or _question_section(data) != self.question:
            return
        self.reply.set_result(data)

    def error_received(self, exc: Exception) -> None:
        # The ICMP port-unreachable of a nameserver that is not there: try the next one now, not at the timeout.
        if not self.reply.done():
            self.reply.set_exception(exc)


def _question_section(message: bytes) -> bytes:
    """The raw question of a one-question message, lower-cased (a server may answer in another case)."""
    end = 12
    while end < len(message) and message[end] != 0:
        if message[end] & 0xC0:  # a compression pointer cannot appear in a question we sent; stop reading
            break
        end += message[end] + 1
    return message[12:end + 5].lower()
