"""NodePortProxy: a NodePort Service answers on this node's address, from the host and from anywhere else.

    client ─► <node address>:<nodePort> (a listener of this kubelet)
                └─► one ready endpoint, chosen at random per connection ─► <pod IP>:<targetPort>
                    no ready endpoint: the connection is closed at once (kube-proxy REJECTs it)

    catalog changed ─► reconcile: open a listener for every TCP nodePort, close the ones no Service has
    every RETRY_SECONDS ─► listen again on a wanted port that failed to bind (another process held it)

kube-proxy does this with nat rules in the node's namespace; this kubelet leaves
the host's firewall alone, and a process can listen anywhere it may run (a
kubelet in a container, or on the host in tests). Pods do not come through here:
NodeIP:nodePort from a pod is DNATed inside the pod (kubelet.services.rules).
UDP node ports are not served (documented in docs/services.md).

One asyncio loop in a thread of its own carries every listener and connection.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from dataclasses import dataclass

from kubelet.services.catalog import ServiceCatalog
from kubelet.services.rules import routes_from
from objects.service import Protocol

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0
CHUNK_BYTES = 64 * 1024
RETRY_SECONDS = 5.0  # a node port that failed to bind is tried again this often, not only on a catalog change


@dataclass(frozen=True)
class NodePortTarget:
    namespace: str
    service: str
    port_name: str


class NodePortProxy:
    def __init__(self, catalog: ServiceCatalog, address: str, *, rng: random.Random | None = None,
                 retry_seconds: float = RETRY_SECONDS):
        self.catalog = catalog
        self.address = address
        self._rng = rng or random.Random()
        self._loop = asyncio.new_event_loop()
        self._targets: dict[int, NodePortTarget] = {}
        self._servers: dict[int, asyncio.AbstractServer] = {}
        self._opening: set[int] = set()  # ports a _listen task is binding right now
        self._failed: set[int] = set()  # ports whose last bind failed (warned once, then retried quietly)
        self._retry_seconds = retry_seconds
        catalog.subscribe(self.reconcile)

    def start(self, stop: threading.Event) -> None:
        threading.Thread(target=self._run, args=(stop,), name="node-ports", daemon=True).start()

    def reconcile(self) -> None:
        """Called by the catalog (any thread): listen on exactly the TCP node ports of today's Services."""
        targets = {route.node_port: NodePortTarget(route.namespace, route.service, route.port_name)
                   for route in routes_from(self.catalog) if route.node_port and route.protocol == Protocol.TCP}
        self._loop.call_soon_threadsafe(self._reconcile, targets)

    def listening(self) -> set[int]:
        return set(self._servers)

    def _run(self, stop: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._until(stop))

    async def _until(self, stop: threading.Event) -> None:
        next_retry = self._loop.time() + self._retry_seconds
        while not stop.is_set():
            await asyncio.sleep(min(0.5, self._retry_seconds))
            if self._loop.time() >= next_retry:
                next_retry = self._loop.time() + self._retry_seconds
                self._open_missing()
        for server in self._servers.values():
            server.close()

    def _reconcile(self, targets: dict[int, NodePortTarget]) -> None:
        self._targets = targets
        for port in [p for p in self._servers if p not in targets]:
            self._servers.pop(port).close()
        self._failed &= set(targets)
        self._open_missing()

    def _open_missing(self) -> None:
        for port in self._targets:
            if port not in self._servers and port not in self._opening:
                self._opening.add(port)
                self._loop.create_task(self._listen(port))

    async def _listen(self, port: int) -> None:
        try:
            server = await asyncio.start_server(lambda r, w: self._forward(port, r, w), self.address, port,
                                                reuse_address=True)
        except OSError as error:  # another process holds it; tried again every RETRY_SECONDS
            if port not in self._failed:
                log.warning("node port %s:%d not served yet (retried every %.0f s): %s", self.address, port,
                            self._retry_seconds, error)
            self._failed.add(port)
            return
        finally:
            self._opening.discard(port)
        if port not in self._targets or port in self._servers:  # gone, or opened twice, meanwhile
            server.close()
            return
        self._servers[port] = server
        self._failed.discard(port)
        log.info("node port %s:%d serving %s", self.address, port, self._targets[port])

    async def _forward(self, port: int, client_reader: asyncio.StreamReader,
                       client_writer: asyncio.StreamWriter) -> None:
        target = self._targets.get(port)
        endpoints = self.catalog.ready_endpoints(target.namespace, target.service, target.port_name) \
            if target else []
        if not endpoints:
            client_writer.close()
            return
        ip, target_port = self._rng.choice(endpoints)
        try:
            pod_reader, pod_writer = await asyncio.wait_for(asyncio.open_connection(ip, target_port),
                                                            CONNECT_TIMEOUT_SECONDS)
        except (OSError, asyncio.TimeoutError) as error:
            log.info("node port %d: endpoint %s:%d unreachable: %s", port, ip, target_port, error)
            client_writer.close()
            return
        try:
            await asyncio.gather(_pipe(client_reader, pod_writer), _pipe(pod_reader, client_writer))
        finally:
            pod_writer.close()
            client_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of stream, then half-close the other side so its peer sees the end too.
    A reset on either side ends both directions."""
    try:
        while chunk := await reader.read(CHUNK_BYTES):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()
