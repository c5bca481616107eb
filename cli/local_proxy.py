"""`tkctl proxy`'s server: a local HTTP port that forwards every request to the API server, as kubectl proxy.

    curl ──http──> 127.0.0.1:8001/api/v1/... ──filter──> https://master/api/v1/...  (+ kubeconfig token)
                                                 └─> 403 Forbidden (exec/attach paths, other Hosts)

Paths and queries pass unchanged, so `/api/v1/namespaces/NS/pods/NAME/proxy/`
reaches the pod. The filter is kubectl's FilterServer: a request is refused if
its path matches a reject pattern or its method a reject-methods pattern, and
accepted only if its path matches an accept pattern and its Host (without the
port, as Go's net.SplitHostPort reads it) an accept-hosts pattern. Answers are
streamed back as they arrive, so watches and `log?follow=true` work through it.
"""

from __future__ import annotations

import re
import socket
import sys
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import unquote, urlsplit

import httpx

from apiclient import Connection
from cli.session import USER_AGENT
from wire.hop_by_hop import end_to_end

DEFAULT_ACCEPT_HOSTS = r"^localhost$,^127\.0\.0\.1$,^\[::1\]$"
DEFAULT_REJECT_PATHS = r"^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach"
DEFAULT_ACCEPT_PATHS = r"^.*"
DEFAULT_REJECT_METHODS = r"^$"
CONNECT_TIMEOUT_SECONDS = 30.0


def patterns(text: str) -> list[re.Pattern[str]]:
    """kubectl's comma-separated list of regular expressions (searched, not anchored, as Go's MatchString)."""
    return [re.compile(part) for part in text.split(",") if part]


@dataclass(frozen=True)
class RequestFilter:
    accept_hosts: list[re.Pattern[str]] = field(default_factory=lambda: patterns(DEFAULT_ACCEPT_HOSTS))
    reject_paths: list[re.Pattern[str]] = field(default_factory=lambda: patterns(DEFAULT_REJECT_PATHS))
    accept_paths: list[re.Pattern[str]] = field(default_factory=lambda: patterns(DEFAULT_ACCEPT_PATHS))
    reject_methods: list[re.Pattern[str]] = field(default_factory=lambda: patterns(DEFAULT_REJECT_METHODS))

    def accepts(self, method: str, path: str, host_header: str) -> bool:
        if _matches(path, self.reject_paths) or _matches(method, self.reject_methods):
            return False
        return _matches(path, self.accept_paths) and _matches(_host_without_port(host_header), self.accept_hosts)


def _matches(text: str, regexps: list[re.Pattern[str]]) -> bool:
    return any(regexp.search(text) for regexp in regexps)


def _host_without_port(host_header: str) -> str:
    """kubectl's extractHost: `localhost:8001` -> `localhost`, `[::1]:8001` -> `::1`, else the header as is."""
    host, colon, _port = host_header.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        return host[1:-1]
    if not colon or not host or ":" in host or "[" in host or "]" in host:
        return host_header  # not host:port, as Go's net.SplitHostPort sees it
    return host


class ApiServerProxy(ThreadingHTTPServer):
    """The listening socket, the filter, and one shared client to the API server."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], connection: Connection, *, request_filter: RequestFilter | None,
                 api_prefix: str = "/", verbose: bool = False):
        self.upstream = httpx.Client(base_url=connection.server, verify=connection.tls_context(), http2=False,
                                     timeout=httpx.Timeout(CONNECT_TIMEOUT_SECONDS, read=None),
                                     headers={"User-Agent": USER_AGENT})
        self.token = connection.token
        self.request_filter = request_filter  # None: --disable-filter
        self.api_prefix = api_prefix if api_prefix.endswith("/") else api_prefix + "/"
        self.verbose = verbose
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, ForwardingHandler)

    def server_close(self) -> None:
        super().server_close()
        self.upstream.close()


class ForwardingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked answers for streams
    server: ApiServerProxy

    def do_GET(self) -> None:
        self._forward()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _forward(self) -> None:
        target = urlsplit(self.path)
        path = unquote(target.path)
        proxy = self.server
        if proxy.request_filter is not None and not proxy.request_filter.accepts(
                self.command, path, self.headers.get("Host", "")):
            self._plain(403, "Forbidden")
            return
        if not (target.path + "/").startswith(proxy.api_prefix):
            self._plain(404, "404 page not found")
            return
        upstream_path = "/" + target.path[len(proxy.api_prefix):]
        if target.query:
            upstream_path += f"?{target.query}"
        try:
            request = proxy.upstream.build_request(self.command, upstream_path, headers=self._request_headers(),
                                                   content=self._request_body())
            response = proxy.upstream.send(request, stream=True)
        except httpx.HTTPError as error:
            print(f"Error while proxying request: {error}", file=sys.stderr)
            self._plain(500, str(error))
            return
        try:
            self._relay(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the caller left (a watch ended with Ctrl-C)
        finally:
            response.close()

    def _request_headers(self) -> list[tuple[str, str]]:
        # Host and Content-Length describe this hop's request; httpx writes the upstream's own.
        headers = end_to_end(self.headers.items(), also_drop={"host", "content-length", "x-forwarded-for"})
        lowered = {name.lower() for name, _value in headers}
        if "authorization" not in lowered and self.server.token:  # a caller's own credentials win, as kubectl's
            headers.append(("Authorization", f"Bearer {self.server.token}"))
        if "accept-encoding" not in lowered:
            headers.append(("Accept-Encoding", "identity"))  # else httpx asks for gzip the caller never wanted
        forwarded = self.headers.get("X-Forwarded-For")
        headers.append(("X-Forwarded-For", f"{forwarded}, {self.client_address[0]}" if forwarded
                        else self.client_address[0]))
        return headers

    def _request_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return b"".join(self._chunks())
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _chunks(self) -> Iterator[bytes]:
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            yield self.rfile.read(size)
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass

    def _relay(self, response: httpx.Response) -> None:
        self.send_response_only(response.status_code, response.reason_phrase)
        for name, value in end_to_end(response.headers.multi_items()):
            self.send_header(name, value)
        has_body = self.command != "HEAD" and response.status_code not in (204, 304)
        chunked = has_body and "content-length" not in response.headers and self.request_version == "HTTP/1.1"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif has_body and "content-length" not in response.headers:
            self.close_connection = True  # an HTTP/1.0 caller reads to the end of the connection
        self.end_headers()
        if not has_body:
            return
        for chunk in response.iter_raw():
            if not chunk:
                continue
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            self.wfile.flush()
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    def _plain(self, code: int, text: str) -> None:
        """Go's http.Error: the text and a newline, as text/plain."""
        body = f"{text}\n".encode()
        self.send_response_only(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)
