"""The relay both proxies use: a live caller, a relaying app on uvicorn, and a live upstream HTTP server."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from tests.support.cluster import free_port, wait_for
from wire.relay import UpstreamUnreachable, forwarded_request_headers, relay, relayed_response_headers


class _Upstream(BaseHTTPRequestHandler):
    """Answers with the headers it received, plus hop-by-hop and repeated headers of its own."""

    def do_GET(self) -> None:
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "a=1")
        self.send_header("Set-Cookie", "b=2")
        self.send_header("Connection", "X-Upstream-Trace")
        self.send_header("X-Upstream-Trace", "hop")
        self.send_header("Keep-Alive", "timeout=5")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def upstream_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def proxy(upstream_url):
    """A client of a uvicorn server that relays every GET / to the upstream."""
    async def relayed(request: Request):
        headers = forwarded_request_headers(request.headers.items())
        return await relay(request.method, f"{upstream_url}/", headers=headers, content=await request.body(),
                           verify=True)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/", relayed)]), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, message=f"relaying server on {port}")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def test_the_upstream_never_sees_credentials_or_headers_named_in_connection(proxy):
    answer = proxy.get("/", headers={"Authorization": "Bearer cluster-token", "Cookie": "session=1",
                                     "Connection": "X-Caller-Trace", "X-Caller-Trace": "hop", "X-Kept": "yes"})

    seen = answer.json()
    assert seen["x-kept"] == "yes"
    assert not {"authorization", "cookie", "x-caller-trace"} & seen.keys()


def test_the_upstream_is_asked_for_the_body_unencoded_unless_the_caller_asked_otherwise(proxy):
    del proxy.headers["accept-encoding"]  # httpx asks for gzip by default
    assert proxy.get("/").json()["accept-encoding"] == "identity"
    assert proxy.get("/", headers={"Accept-Encoding": "br"}).json()["accept-encoding"] == "br"


def test_the_caller_gets_every_set_cookie_and_no_hop_by_hop_header(proxy):
    answer = proxy.get("/")

    assert answer.status_code == 200
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert "x-upstream-trace" not in answer.headers and "keep-alive" not in answer.headers


def test_the_caller_gets_one_date_and_one_server_header_those_of_the_relaying_server(proxy):
    answer = proxy.get("/")

    assert answer.headers.get_list("server") == ["uvicorn"]
    assert len(answer.headers.get_list("date")) == 1


def test_date_and_server_are_left_to_the_relaying_server():
    # uvicorn writes its own; passing the upstream's on would send each header twice.
    assert relayed_response_headers([("Date", "then"), ("Server", "pod"), ("ETag", "x")]) == [("ETag", "x")]


def test_an_upstream_that_refuses_the_connection_is_unreachable():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connecting is refused

        with pytest.raises(UpstreamUnreachable):
            anyio.run(lambda: relay("GET", f"http://127.0.0.1:{port}/", headers=[], content=b"", verify=True))
