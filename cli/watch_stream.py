"""A watch on the API server: `GET <collection>?watch=true&resourceVersion=N`, read as events.

The server answers with one JSON object per line, for as long as it likes:

    {"type": "ADDED" | "MODIFIED" | "DELETED" | "ERROR", "object": {...}}

With `table=True` the request asks for Tables (the Accept header `get` uses
for lists), so each event's object is a one-row Table the server printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from apiclient import TABLE_ACCEPT, ApiClient, Unreachable


def watch_events(client: ApiClient, path: str, params: dict[str, str], *, table: bool) -> Iterator[dict[str, Any]]:
    """Each event as the server sent it, until the server ends the stream.

    A connection dropped once the stream has begun ends it as the server's
    own close would; failing to connect is an error.
    """
    accept = TABLE_ACCEPT if table else "application/json"
    begun = False
    try:
        with client.stream(path, params={**params, "watch": "true"}, accept=accept) as chunks:
            begun = True
            pending = b""
            for chunk in chunks:
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
    except Unreachable:
        if not begun:
            raise
