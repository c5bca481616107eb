"""ClusterDnsServer: the kubelet's node-local DNS server, on whatever sockets it is handed.

    data path (netns.py), per pod:                        this module, one asyncio loop in its own thread:
      UDP + TCP sockets bound to 127.0.0.1:P  ── serve(key, udp, tcp) ──► datagram endpoint + stream server
      inside the pod's network namespace,                                    │  one query
      kube-dns ClusterIP:53 DNATed to them     ── release(key) ──► closed    ▼
                                                          answer(query) ─► ClusterResolver ─► reply
                                                                        └─► Upstream (outside names) ─► reply

The sockets keep the network namespace they were created in, so a pod's queries
arrive on its own sockets while the upstream's sockets, made in this loop's
thread, live in the kubelet's namespace and reach the kubelet's nameservers.
Nothing here listens anywhere by itself. Wire-format details live here: EDNS0
buffer sizes, truncation for UDP, two-byte length prefixes for TCP, FORMERR,
NOTIMP, SERVFAIL and REFUSED.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import struct
import threading
from collections.abc import Awaitable, Callable
from typing import cast

from dnslib import EDNS0, OPCODE, QTYPE, RCODE, DNSError, DNSHeader, DNSRecord
from dnslib.label import DNSBuffer

from kubelet.services.dns import ChaseOutside, ClusterResolver, Forward
from kubelet.services.dns_lookup import DnsCatalog
from kubelet.services.dns_upstream import MAX_MESSAGE, Upstream, nameservers_from
from objects.service import CLUSTER_DOMAIN

log = logging.getLogger(__name__)

CLASSIC_UDP_SIZE = 512  # what a UDP reply may carry when the query has no EDNS0 record
OUR_UDP_SIZE = 1232  # the EDNS0 buffer size we advertise: what fits an unfragmented IPv6 packet (DNS Flag Day 2020)
# Queries being answered at once, per pod (per listener key) and across the node; past either, REFUSED, as
# CoreDNS's max_concurrent. Per pod, so one pod flooding slow outside names cannot make every pod's lookups fail.
MAX_IN_FLIGHT_PER_POD = 100
MAX_IN_FLIGHT = 1000
TCP_IDLE_SECONDS = 10.0  # a quiet TCP client is closed, so pods cannot pile up open connections

Handler = Callable[[bytes, bool], Awaitable[bytes | None]]


class ClusterDnsServer:
    """Thread-safe: serve and release may be called from any thread, before or after start."""

    def __init__(self, catalog: DnsCatalog, *, cluster_domain: str = CLUSTER_DOMAIN,
                 upstreams: list[str] | None = None, upstream: Upstream | None = None,
                 max_in_flight_per_pod: int = MAX_IN_FLIGHT_PER_POD):
        self.catalog = catalog
        self.resolver = ClusterResolver(catalog, domain=cluster_domain)
        catalog.subscribe(self.resolver.note_change)
        self.upstream = upstream or Upstream(upstreams if upstreams is not None else nameservers_from())
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listeners: dict[str, _Listener] = {}
        self._in_flight = 0  # the loop's thread only, as are the per-pod counts
        self._in_flight_by_key: dict[str, int] = {}
        self._max_in_flight_per_pod = max_in_flight_per_pod

    # ----- lifecycle (any thread)

    def start(self, stop: threading.Event) -> threading.Thread:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self._run, args=(loop, stop), name="cluster-dns", daemon=True)
        thread.start()
        return thread

    def serve(self, key: str, udp: socket.socket, tcp: socket.socket) -> None:
        """Answer queries arriving on these sockets (bound; the TCP one listening) until release(key).
        Takes ownership of both; a second call with the same key replaces and closes the first pair."""
        listener = _Listener(key, udp, tcp)
        with self._lock:
            previous, self._listeners[key] = self._listeners.get(key), listener
            loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._open, previous, listener)
        elif previous is not None:
            previous.close()  # never opened: nothing of the loop's holds it

    def release(self, key: str) -> None:
        """Stop answering on `key`'s sockets and close them, and its open TCP connections; unknown keys are fine."""
        with self._lock:
            listener = self._listeners.pop(key, None)
            loop = self._loop
        if listener is None:
            return
        if loop is not None:
            loop.call_soon_threadsafe(listener.close)
        else:
            listener.close()

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._listeners)

    # ----- one query (the loop's thread)

    async def answer(self, query: bytes, tcp: bool, key: str = "") -> bytes | None:
        """The reply to one wire-format query that arrived on `key`'s sockets, or None to stay silent
        (not a query, or unreadable)."""
        try:
            request = DNSRecord.parse(query)
        except (DNSError, ValueError, IndexError, UnicodeDecodeError):
            return _bare_reply(query, RCODE.FORMERR)
        if request.header.qr:
            return None
        if request.header.opcode != OPCODE.QUERY:
            return _bare_reply(query, RCODE.NOTIMP)
        if len(request.questions) != 1:
            return _bare_reply(query, RCODE.FORMERR)
        in_flight_here = self._in_flight_by_key.get(key, 0)
        if self._in_flight >= MAX_IN_FLIGHT or in_flight_here >= self._max_in_flight_per_pod:
            return _sized(_error(request, RCODE.REFUSED), request, tcp=tcp)
        self._in_flight += 1
        self._in_flight_by_key[key] = in_flight_here + 1
        try:
            return await self._resolve(request, query, tcp)
        except Exception:  # one bad answer must not end the listener: log the question, answer SERVFAIL
            log.exception("cluster DNS failed on %s %s", request.q.qname, QTYPE.get(request.q.qtype))
            return _sized(_error(request, RCODE.SERVFAIL), request, tcp=tcp)
        finally:
            self._in_flight -= 1
            if (left := self._in_flight_by_key.pop(key) - 1) > 0:
                self._in_flight_by_key[key] = left

    async def _resolve(self, request: DNSRecord, query: bytes, tcp: bool) -> bytes:
        resolution = self.resolver.resolve(request)
        if not isinstance(resolution, Forward) and not self.catalog.synced.is_set():
            return _sized(_error(request, RCODE.SERVFAIL), request, tcp=tcp)  # as CoreDNS before its informers sync
        if isinstance(resolution, Forward):
            forwarded = await self.upstream.exchange(query, tcp=tcp)
            return forwarded if forwarded is not None else _sized(_error(request, RCODE.SERVFAIL), request, tcp=tcp)
        if isinstance(resolution, ChaseOutside):
            await self._complete_cname(resolution.reply, resolution)
        return _sized(resolution.reply, request, tcp=tcp)

    async def _complete_cname(self, reply: DNSRecord, chase: ChaseOutside) -> None:
        """Add the upstream's records for an ExternalName's target; without them the CNAME alone still answers."""
        question = DNSRecord.question(chase.target, QTYPE.get(chase.qtype))
        answer = await self.upstream.exchange(question.pack(), tcp=False)
        if answer is not None and DNSRecord.parse(answer).header.tc:
            answer = await self.upstream.exchange(question.pack(), tcp=True)
        if answer is not None:
            reply.add_answer(*DNSRecord.parse(answer).rr)

    # ----- the loop's thread

    def _run(self, loop: asyncio.AbstractEventLoop, stop: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        with self._lock:
            self._loop = loop
            waiting = list(self._listeners.values())
        for listener in waiting:
            loop.call_soon(self._open, None, listener)

        def stop_loop_when_told() -> None:
            stop.wait()
            loop.call_soon_threadsafe(loop.stop)

        threading.Thread(target=stop_loop_when_told, name="cluster-dns-stop", daemon=True).start()
        try:
            loop.run_forever()
        finally:
            with self._lock:
                self._loop = None
                listeners, self._listeners = list(self._listeners.values()), {}
            for listener in listeners:
                listener.close()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            # Let the cancelled queries end and the transports finish closing their sockets.
            loop.run_until_complete(asyncio.gather(*pending, asyncio.sleep(0), return_exceptions=True))
            loop.close()

    def _open(self, previous: _Listener | None, listener: _Listener) -> None:
        if previous is not None:
            previous.close()
        asyncio.get_running_loop().create_task(listener.open(functools.partial(self.answer, key=listener.key)))


class _Listener:
    """One pod's pair of sockets, from serve until release. Lives in the loop's thread once opened."""

    def __init__(self, key: str, udp: socket.socket, tcp: socket.socket):
        self.key, self.udp, self.tcp = key, udp, tcp
        self.closed = False
        self._opening = False  # between open's first await and its end: close() leaves the sockets to open
        self._datagrams: asyncio.DatagramTransport | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    async def open(self, handler: Handler) -> None:
        if self.closed:
            return
        loop = asyncio.get_running_loop()
        self._opening = True
        try:
            self._datagrams, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(handler), sock=self.udp)
            self._server = await asyncio.start_server(
                lambda reader, writer: self._serve_connection(handler, reader, writer), sock=self.tcp)
        except OSError:
            log.exception("cannot serve cluster DNS on %s's sockets", self.key)
            self.closed = True
        finally:
            self._opening = False
        if self.closed:  # failed, or released while opening
            self._close_now()

    def close(self) -> None:
        self.closed = True
        if not self._opening:  # closing a socket the loop is still adopting could leave its fd number registered
            self._close_now()

    def _close_now(self) -> None:
        if self._datagrams is not None:
            self._datagrams.close()
        else:
            self.udp.close()
        if self._server is not None:
            self._server.close()
        else:
            self.tcp.close()
        for writer in list(self._connections):
            writer.close()  # an accepted socket would keep the pod's network namespace alive

    async def _serve_connection(self, handler: Handler, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter) -> None:
        """Length-prefixed queries, answered in order, until the client closes or stays quiet too long."""
        self._connections.add(writer)
        try:
            while not self.closed:
                async with asyncio.timeout(TCP_IDLE_SECONDS):
                    (length,) = struct.unpack("!H", await reader.readexactly(2))
                    query = await reader.readexactly(length)
                reply = await handler(query, True)
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._connections.discard(writer)
            writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, handler: Handler):
        self.handler = handler
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.get_running_loop().create_task(self._reply(data, addr))
        self.tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self.tasks.discard)

    async def _reply(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self.handler(data, False)
        if reply is not None and self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)


# ----- wire-format helpers


def _error(request: DNSRecord, rcode: int) -> DNSRecord:
    reply = request.reply(ra=1, aa=0)
    reply.header.rcode = rcode
    return reply


def _bare_reply(query: bytes, rcode: int) -> bytes | None:
    """An answer to a message we cannot read: its id and opcode, no sections. None when it has no header."""
    if len(query) < 12:
        return None
    header = DNSHeader.parse(DNSBuffer(query))
    if header.qr:
        return None
    return DNSRecord(DNSHeader(id=header.id, opcode=header.opcode, qr=1, rd=header.rd, ra=1, rcode=rcode)).pack()


def _sized(reply: DNSRecord, request: DNSRecord, *, tcp: bool) -> bytes:
    """The reply as bytes that fit the client: over UDP within its EDNS0 buffer (512 without one), as many
    whole answer records as fit and the TC bit when not all do, so the client asks again over TCP."""
    client_opt = next((rr for rr in request.ar if rr.rtype == QTYPE.OPT), None)
    if client_opt is not None:
        reply.add_ar(EDNS0(udp_len=OUR_UDP_SIZE))
    packed = reply.pack()
    limit = MAX_MESSAGE if tcp else max(CLASSIC_UDP_SIZE, min(client_opt.rclass if client_opt else 0, MAX_MESSAGE))
    if len(packed) <= limit:
        return packed
    truncated = DNSRecord(DNSHeader(id=reply.header.id, bitmap=reply.header.bitmap, tc=1), q=request.q)
    if client_opt is not None:
        truncated.add_ar(EDNS0(udp_len=OUR_UDP_SIZE))
    for record in reply.rr:
        truncated.add_answer(record)
        if len(truncated.pack()) > limit:
            truncated.rr.pop()
            break
    return truncated.pack()
