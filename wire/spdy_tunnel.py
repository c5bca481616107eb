"""SPDY tunnelled in a WebSocket: the subprotocol kubectl 1.31+ port-forwards with, and a client that can offer it.

    Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io
    then: binary messages, each an arbitrary slice of one SPDY/3.1 byte stream (both ways)

The name is not an RFC 7230 token (it holds a "/"), which RFC 6455 asks of
subprotocols. Kubernetes' own ends (gorilla/websocket) do not check, but the
websockets library does, on both sides:

- as a server, it answers kubectl's handshake with 400 before the app sees it,
  so every server that carries the tunnel (the master, the kubelet) runs uvicorn
  with `ws=SERVER_WEBSOCKETS`, wsproto, which leaves the choice to the app;
- as a client, it refuses to offer the name or to read it back in the answer:
  `SpdyTunnelConnection` is the websockets asyncio client connection that offers
  exactly this name and accepts exactly this answer; pass it as
  `create_connection=`, and no `subprotocols=`.
"""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.client import ClientProtocol
from websockets.datastructures import Headers
from websockets.exceptions import NegotiationError
from websockets.typing import Subprotocol

PORT_FORWARD_SUBPROTOCOL = Subprotocol("SPDY/3.1+portforward.k8s.io")
SERVER_WEBSOCKETS = "wsproto"  # uvicorn's `ws=`: the implementation that lets the app accept that name


class SpdyTunnelConnection(ClientConnection):
    """A websockets client connection that negotiates PORT_FORWARD_SUBPROTOCOL, unvalidated."""

    def __init__(self, protocol: ClientProtocol, *args: Any, **kwargs: Any) -> None:
        # The sans-I/O protocol writes `available_subprotocols` into the request as given; only its
        # constructor and its reading of the answer insist on tokens, and neither sees this name.
        protocol.available_subprotocols = [PORT_FORWARD_SUBPROTOCOL]
        protocol.process_subprotocol = _exactly_port_forward  # type: ignore[method-assign]
        super().__init__(protocol, *args, **kwargs)


def _exactly_port_forward(headers: Headers) -> Subprotocol:
    answered = [value.strip() for header in headers.get_all("Sec-WebSocket-Protocol") for value in header.split(",")]
    if answered != [PORT_FORWARD_SUBPROTOCOL]:
        raise NegotiationError(f"the server answered subprotocol {answered or 'none'}, "
                               f"not {PORT_FORWARD_SUBPROTOCOL}")
    return PORT_FORWARD_SUBPROTOCOL
