"""Who may use the dashboard: a browser that was given the session's key.

    GET /?key=KEY          right key ─► 303 to /, Set-Cookie: tinykube-dashboard-PORT=KEY; HttpOnly; SameSite=Strict
    GET / , /api/*         need that cookie, else 401 (an HTML page for /, JSON {"message"} for /api/*)
    GET /static/*          public: the page's code holds no data
    websocket              refused: the dashboard has none
    any Host but 127.0.0.1, localhost, [::1] or --address (any port) ─► 403
      (--address 0.0.0.0 or ::: any IP address too, so other machines can use this one's; names still 403)

The server reads the cluster with the kubeconfig's token, so anyone who can
talk to it reads the cluster. The Host check keeps out DNS rebinding, where a
foreign name resolves to 127.0.0.1 (an IP address as Host cannot be rebound,
so serving on every address may accept any). The key (printed once, in the
URL) keeps out whoever has not seen it: other users and processes that can
connect to the port, and other sites' pages, which the browser does not give
the cookie (SameSite=Strict) and which cannot guess the key. The cookie is
HttpOnly, so the page's own JavaScript never holds the key either.

What the key does not keep out: browsers scope cookies by host, not by port,
so the browser also sends this cookie to every other server on 127.0.0.1 (or
localhost), whatever its port, and counts their pages as the same site. A
local server the browser visits there, another user's or a rogue development
server, can read the key and use the dashboard until it stops. The port in
the cookie's name only keeps two dashboards from logging each other out. Nor
does it keep out anyone who can read the terminal the address was printed in.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE_PREFIX = "tinykube-dashboard"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WEBSOCKET_POLICY_VIOLATION = 1008

NO_KEY_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tinykube dashboard</title></head>
<body><h1>tinykube dashboard</h1>
<p>This page needs the session key. Open the address <code>tkctl dashboard</code> printed
(<code>http://127.0.0.1:PORT/?key=...</code>) in this browser.</p></body></html>
"""
NO_KEY_MESSAGE = "Open the address `tkctl dashboard` printed (with its ?key=...) first: this request has no valid key"


def host_without_port(host_header: str) -> str:
    """`localhost:8002` -> `localhost`, `[::1]:8002` -> `::1`."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class AccessGate:
    """ASGI middleware in front of the whole app (pure ASGI, so streamed answers pass untouched)."""

    def __init__(self, app: ASGIApp, *, key: str, address: str, port: int):
        self.app = app
        self.key = key
        self.hosts = {*LOOPBACK_HOSTS, address.strip("[]")}
        self.any_ip_address = is_every_address(address)  # reached by any of the machine's addresses
        self.cookie = cookie_name(port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # a websocket: the app has none, so none gets past here unchecked
            if scope["type"] == "websocket":
                await receive()  # its websocket.connect; closing before accepting answers the handshake 403
                await send({"type": "websocket.close", "code": WEBSOCKET_POLICY_VIOLATION})
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        path = scope["path"]
        if not self._is_own_host(host_without_port(headers.get("host", ""))):
            await _answer(send, 403, "text/plain; charset=utf-8", b"Forbidden: this Host is not the dashboard's\n")
            return
        if path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        if path == "/" and "key" in (query := parse_qs(scope.get("query_string", b"").decode("latin-1"))):
            if self._is_key(query["key"][0]):
                cookie = f"{self.cookie}={self.key}; HttpOnly; SameSite=Strict; Path=/"
                await _answer(send, 303, "text/plain; charset=utf-8", b"",
                              extra=[(b"location", b"/"), (b"set-cookie", cookie.encode())])
            else:
                await _answer(send, 401, "text/html; charset=utf-8", NO_KEY_PAGE)
            return
        if not self._is_key(_cookie(headers.get("cookie", ""), self.cookie)):
            if path.startswith("/api/"):
                body = json.dumps({"message": NO_KEY_MESSAGE}).encode()
                await _answer(send, 401, "application/json", body)
            else:
                await _answer(send, 401, "text/html; charset=utf-8", NO_KEY_PAGE)
            return
        await self.app(scope, receive, send)

    def _is_own_host(self, host: str) -> bool:
        return host in self.hosts or (self.any_ip_address and _is_ip_address(host))

    def _is_key(self, given: str | None) -> bool:
        return given is not None and secrets.compare_digest(given.encode(), self.key.encode())


def is_every_address(address: str) -> bool:
    """0.0.0.0 or :: : served on all of the machine's addresses."""
    return _is_ip_address(address) and ipaddress.ip_address(address.strip("[]")).is_unspecified


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def cookie_name(port: int) -> str:
    """One name per port, because the browser keeps one cookie per name for all of 127.0.0.1."""
    return f"{COOKIE_PREFIX}-{port}"


def _cookie(header: str, wanted: str) -> str | None:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == wanted:
            return value
    return None


async def _answer(send: Send, code: int, content_type: str, body: bytes, *,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store"), *(extra or [])]
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
