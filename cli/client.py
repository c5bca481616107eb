"""The HTTPS client tkctl talks to the API server with.

Talks to: one API server, as one user (a ClusterAccess from the kubeconfig).
Every request carries `Authorization: Bearer <token>` and is verified against
the kubeconfig's CA. Every non-2xx answer becomes a `ServerError` carrying the
server's Status, and a failed connection becomes `Unreachable`: this is the one
boundary where httpx errors are translated (see the tree in cli/errors.py).
"""

from __future__ import annotations

import contextlib
import ssl
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from cli.errors import ServerError, Unreachable
from cli.kubeconfig import ClusterAccess

USER_AGENT = "tkctl/0.1.0"
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
DEBUG_VERBOSITY = 6  # kubectl's -v=6 logs each request and its answer


class ApiClient:
    """JSON in, JSON out; one method per HTTP verb tkctl uses."""

    def __init__(self, access: ClusterAccess, *, verbosity: int = 0, timeout: float = 30.0):
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if access.token:
            headers["Authorization"] = f"Bearer {access.token}"
        self._server = access.server
        self._verbosity = verbosity
        self._http = httpx.Client(base_url=access.server, headers=headers, timeout=timeout,
                                  verify=_tls_verification(access))

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, *, params: dict[str, str] | None = None, table: bool = False) -> dict[str, Any]:
        headers = {"Accept": TABLE_ACCEPT} if table else None
        return self._send("GET", path, params=params, headers=headers)

    def post(self, path: str, body: dict[str, Any], *, params: dict[str, str] | None = None) -> dict[str, Any]:
        return self._send("POST", path, params=params, json=body)

    def put(self, path: str, body: dict[str, Any], *, params: dict[str, str] | None = None) -> dict[str, Any]:
        return self._send("PUT", path, params=params, json=body)

    def patch(self, path: str, body: dict[str, Any] | list[Any], *, content_type: str,
              params: dict[str, str] | None = None) -> dict[str, Any]:
        """`body` is a list only for a JSON patch (application/json-patch+json)."""
        return self._send("PATCH", path, params=params, json=body, headers={"Content-Type": content_type})

    def delete(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._send("DELETE", path, json=body)

    def exists(self, path: str, *, uid: str | None = None) -> bool:
        """Whether the object is still there; with `uid`, a namesake created since does not count.
        (What `delete --wait`, `replace --force` and `drain` poll for.)"""
        try:
            live = self.get(path)
        except ServerError as error:
            if error.not_found:
                return False
            raise
        return uid is None or (live.get("metadata") or {}).get("uid") == uid

    @contextlib.contextmanager
    def stream(self, path: str, *, params: dict[str, str] | None = None,
               accept: str = "*/*") -> Iterator[Iterator[bytes]]:
        """GET a body that may never end (a followed log, a watch): yields its bytes as they arrive,
        unchanged.

        Only connecting is bounded by the timeout; a followed log may be silent for hours.
        """
        timeout = httpx.Timeout(self._http.timeout.connect, read=None)
        with self._translated_errors():
            started = time.monotonic()
            with self._http.stream("GET", path, params=params, timeout=timeout,
                                   headers={"Accept": accept}) as response:
                self._log_request(response, started)
                if not response.is_success:
                    response.read()
                    raise _server_error(response)
                yield response.iter_raw()

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        started = time.monotonic()
        with self._translated_errors():
            response = self._http.request(method, path, **kwargs)
        self._log_request(response, started)
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = None
        if not response.is_success:
            raise ServerError.from_status(response.status_code, body, response.text)
        if not isinstance(body, dict):
            raise ServerError(response.status_code, "", f"the server answered {method} {path} with non-JSON")
        return body

    @contextlib.contextmanager
    def _translated_errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.ConnectError as error:
            raise Unreachable(_connect_failure(self._server, error)) from error
        except httpx.TimeoutException as error:
            raise Unreachable(f"Unable to connect to the server: {type(error).__name__}") from error
        except httpx.HTTPError as error:
            raise Unreachable(f"Unable to connect to the server: {error}") from error

    def _log_request(self, response: httpx.Response, started: float) -> None:
        if self._verbosity >= DEBUG_VERBOSITY:
            elapsed_ms = int((time.monotonic() - started) * 1000)
            print(f"{response.request.method} {response.request.url} {response.status_code} "
                  f"{response.reason_phrase} in {elapsed_ms} milliseconds", file=sys.stderr)


def _server_error(response: httpx.Response) -> ServerError:
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = None
    return ServerError.from_status(response.status_code, body, response.text)


def _tls_verification(access: ClusterAccess) -> ssl.SSLContext | bool:
    if access.insecure:
        return False
    if access.ca_pem:
        return ssl.create_default_context(cadata=access.ca_pem)
    return True


def tls_context(access: ClusterAccess) -> ssl.SSLContext:
    """The same verification as ApiClient's, as an SSLContext for clients other than httpx (WebSocket)."""
    if access.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cadata=access.ca_pem) if access.ca_pem else ssl.create_default_context()


def _connect_failure(server: str, error: httpx.ConnectError) -> str:
    host = urlsplit(server).netloc
    text = str(error)
    if "refused" in text.lower():
        return f"The connection to the server {host} was refused - did you specify the right host or port?"
    return f"Unable to connect to the server: {text}"
