"""How the load benchmarks reach a master, and hear back from the helper processes that load it.

Load that must not share a GIL with the clocks measuring it (watchers,
heartbeating nodes) runs in a process of its own, started with `spawn` so it
inherits none of this process's threads, and talks over a multiprocessing Pipe.
"""

from __future__ import annotations

import ssl
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import httpx


def async_client(url: str, ca_file: str, token: str, *, connections: int) -> httpx.AsyncClient:
    """HTTP/1.1 keep-alive connections to the master's HTTPS endpoint, at most `connections` of them; a
    request beyond that waits for a free one (no pool timeout), and its latency includes the wait."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=url, verify=ssl.create_default_context(cafile=ca_file), limits=limits,
                             timeout=httpx.Timeout(60, pool=None), headers={"Authorization": f"Bearer {token}"})


def receive(conn: Connection, process: BaseProcess, *, timeout: float, waiting_for: str) -> Any:
    """The next message from `process`; fails as soon as the process dies rather than at the timeout."""
    deadline = time.monotonic() + timeout
    while not conn.poll(0.2):
        if not process.is_alive():
            raise RuntimeError(f"the {process.name} process exited ({process.exitcode}) before {waiting_for}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the {process.name} process: no {waiting_for} after {timeout:.0f} s")
    return conn.recv()
