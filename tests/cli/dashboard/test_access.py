"""The dashboard's own door: the printed key becomes an HttpOnly cookie; nothing else gets in."""

from __future__ import annotations

from importlib.resources import files

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from cli.dashboard.access import AccessGate
from tests.cli.dashboard.sse import EventStream
from tests.support.dashboard import running_dashboard


def test_the_printed_key_becomes_an_http_only_strict_cookie_and_opens_the_page(dashboard):
    with httpx.Client(base_url=dashboard.base_url, timeout=30) as browser:
        answer = browser.get(dashboard.url)
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"tinykube-dashboard-{browser.base_url.port}=") and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie and "Path=/" in cookie
        page = browser.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_two_dashboards_on_two_ports_do_not_log_each_other_out(cluster, dashboard):
    # The bug: both set one cookie name, and cookies ignore the port, so opening the second replaced the first's.
    with running_dashboard(cluster.kubeconfig) as other, httpx.Client(timeout=30) as browser:
        assert browser.get(dashboard.url).status_code == 303
        assert browser.get(other.url).status_code == 303
        assert browser.get(f"{dashboard.base_url}/api/timeline").status_code == 200
        assert browser.get(f"{other.base_url}/api/timeline").status_code == 200


def test_a_wrong_key_gets_no_cookie(dashboard):
    with httpx.Client(base_url=dashboard.base_url, timeout=30) as browser:
        answer = browser.get("/", params={"key": "not-the-key"})
        assert answer.status_code == 401 and "set-cookie" not in answer.headers
        assert browser.get("/api/timeline").status_code == 401


def test_without_the_cookie_the_api_is_401_json_and_the_page_says_where_to_go(dashboard):
    with httpx.Client(base_url=dashboard.base_url, timeout=30) as stranger:
        api = stranger.get("/api/stream")
        assert api.status_code == 401 and "message" in api.json()
        page = stranger.get("/")
        assert page.status_code == 401 and "tkctl dashboard" in page.text


def test_a_foreign_host_header_is_refused_even_with_the_cookie(page):
    # DNS rebinding: evil.example resolving to 127.0.0.1 still sends its own name as Host.
    port = page.base_url.port
    answer = page.get("/api/timeline", headers={"Host": f"evil.example:{port}"})
    assert answer.status_code == 403
    # Served on loopback only, another IP address is not this server's either.
    assert page.get("/api/timeline", headers={"Host": f"192.0.2.7:{port}"}).status_code == 403
    assert page.get("/api/timeline", headers={"Host": f"localhost:{port}"}).status_code == 200


def test_static_files_are_public_and_hold_no_key(dashboard):
    static = files("cli.dashboard") / "static"
    shipped = next(entry.name for entry in static.iterdir() if entry.name.endswith((".js", ".css")))
    with httpx.Client(base_url=dashboard.base_url, timeout=30) as stranger:
        answer = stranger.get(f"/static/{shipped}")
        assert answer.status_code == 200
        assert dashboard.url.split("key=")[1] not in answer.text


def test_the_stream_sends_no_token(cluster, page):
    with EventStream(page) as stream:
        first, second = stream.next(), stream.next()
    sent = f"{first.data}{second.data}"
    assert cluster.token() not in sent


def test_a_websocket_is_refused_before_it_reaches_the_app():
    # The bug: websocket scopes passed the gate unchecked, so a websocket route would have needed no key.
    async def accept(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("in")
        await websocket.close()

    gated = AccessGate(Starlette(routes=[WebSocketRoute("/api/socket", accept)]), key="k", address="127.0.0.1",
                       port=8002)
    with TestClient(gated, base_url="http://127.0.0.1:8002") as client:
        with pytest.raises(WebSocketDisconnect), client.websocket_connect("/api/socket") as socket:
            socket.receive_text()
