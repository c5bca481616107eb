"""Which headers belong to one connection and end at each hop (RFC 9110 section 7.6.1).

A proxy passes on only end-to-end headers. Passing "Connection: close" or
"Transfer-Encoding: chunked" on would describe a connection, or a framing,
that the next hop does not have. Besides the fixed list below, a message may
make any header hop-by-hop by naming it in Connection: after
"Connection: close, X-Trace", X-Trace ends at this hop too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

# RFC 9110 7.6.1's list, plus Proxy-Connection and Trailers that older clients still send (as Go's proxy drops).
HOP_BY_HOP_HEADERS = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
    "trailer", "trailers", "transfer-encoding", "upgrade",
})
# The caller's credentials are for the server it dialed (the API server, a kubelet), never for a pod behind it.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie"})

Header = tuple[str, str]


def connection_tokens(headers: Iterable[Header]) -> frozenset[str]:
    """The header names listed by every Connection header of a message, lowercased."""
    return frozenset(
        token.strip().lower()
        for name, value in headers if name.lower() == "connection"
        for token in value.split(",") if token.strip()
    )


def end_to_end(headers: Iterable[Header], *, also_drop: Collection[str] = frozenset()) -> list[Header]:
    """The headers a proxy passes on: all but the hop-by-hop ones and `also_drop` (lowercase names).

    Repeated headers (two Set-Cookie) are kept, in order.
    """
    headers = list(headers)
    dropped = HOP_BY_HOP_HEADERS | connection_tokens(headers) | set(also_drop)
    return [(name, value) for name, value in headers if name.lower() not in dropped]
