"""ApiClient: the REST verbs and watch over httpx, with Status answers turned into exceptions.

Two ways in, one set of requests: typed verbs for the components (`get(POD,
name, namespace)`, `watch(...)`), and path verbs for tkctl, which names any URL
the server serves (`get_path("/apis")`, a Table, a streamed log).
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

import httpx

from apiclient.errors import ApiStatusError, status_error, status_error_from_content, unreachable
from apiclient.kubeconfig import Connection
from apiclient.provenance import provenance_headers
from objects.kinds import ResourceType

# The Accept header that asks for a Table (kubectl get's columns), with plain JSON for kinds the server cannot print.
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


# The URL an in-process client names; its transport, not the network, carries the request.
LOOPBACK_BASE_URL = "http://loopback"


@runtime_checkable
class DirectTransport(Protocol):
    """A transport that also takes a plain request as values, as the master's loopback does."""

    def send_direct(self, method: str, path: str, *, params: dict[str, Any] | None, headers: dict[str, str],
                    body: bytes, timeout: float | None) -> tuple[int, bytes]:
        """Send one request and return its status code and whole body; httpx errors as httpx raises them."""
        ...


class ApiClient:
    """Thread-safe: httpx.Client pools connections across threads.

    With `transport`, requests go to it instead of to `connection.server`
    over TLS; the connection's token is still sent. The master gives its
    in-process scheduler and controllers clients whose transport calls its app
    directly (master/api/loopback.py). When the transport is also a
    DirectTransport, plain requests skip building httpx's Request and Response
    objects, which was most of their cost inside one process; watches still
    stream through httpx.

    With `log_requests`, each request over the network is logged to stderr as
    kubectl's -v=6 logs it: `GET https://host/api/v1/pods 200 OK in 5 milliseconds`.

    Every plain request carries the provenance headers of the context it is
    made in (apiclient/provenance.py): what the write reacts to, and the
    writer's note. `user_agent` names the component in the revision log.

    `gate`, when given, is called before every request and before each watch
    event is handed on; raising `httpx.HTTPError` from it makes the server look
    unreachable (how a kubelet plays a network partition, kubelet/faults).
    """

    def __init__(self, connection: Connection, *, timeout: float = 30.0, user_agent: str = "tinykube",
                 transport: httpx.BaseTransport | None = None, log_requests: bool = False,
                 gate: Callable[[], None] | None = None):
        self.connection = connection
        self._gate = gate or (lambda: None)
        headers = {"User-Agent": user_agent, "Accept": "application/json"}
        if connection.token:
            headers["Authorization"] = f"Bearer {connection.token}"
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        self._headers = headers
        self._timeout = timeout
        self._log_requests = log_requests
        self._send_direct = transport.send_direct if isinstance(transport, DirectTransport) else None
        if transport is not None:
            self._http = httpx.Client(base_url=LOOPBACK_BASE_URL, headers=headers, timeout=timeout,
                                      transport=transport)
        else:
            self._http = httpx.Client(base_url=connection.server, verify=connection.tls_context(),
                                      headers=headers, timeout=timeout, limits=limits)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ----- plain requests

    def request(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
                content_type: str = "application/json", headers: dict[str, str] | None = None) -> Any:
        """The decoded JSON answer (None for an empty one); a Status answer raises ApiStatusError."""
        content = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": content_type, **provenance_headers(), **(headers or {})}
        try:
            self._gate()
            if self._send_direct is not None:
                code, answer = self._send_direct(method, path, params=params, headers={**self._headers, **all_headers},
                                                 body=content or b"", timeout=self._timeout)
            else:
                started = time.monotonic()
                response = self._http.request(method, path, content=content, params=params, headers=all_headers)
                self._log(response, started)
                code, answer = response.status_code, response.content
        except httpx.HTTPError as error:
            raise unreachable(self.connection.server, f"{method} {path}", error) from error
        if code >= 400:
            raise status_error_from_content(code, answer)
        try:
            return json.loads(answer) if answer else None
        except ValueError:
            raise ApiStatusError(code, "", f"the server answered {method} {path} with non-JSON") from None

    def get(self, rt: ResourceType, name: str, namespace: str | None = None, *, subresource: str = "") -> Any:
        return self.request("GET", _item_path(rt, namespace, name, subresource))

    def list(self, rt: ResourceType, namespace: str | None = None, *, label_selector: str = "",
             field_selector: str = "") -> dict[str, Any]:
        params = {k: v for k, v in (("labelSelector", label_selector), ("fieldSelector", field_selector)) if v}
        return self.request("GET", rt.collection_path(namespace), params=params)

    def create(self, rt: ResourceType, obj: dict[str, Any], namespace: str | None = None, *,
               subresource_of: str | None = None, subresource: str = "") -> Any:
        if subresource_of:
            return self.request("POST", _item_path(rt, namespace, subresource_of, subresource), body=obj)
        return self.request("POST", rt.collection_path(namespace), body=obj)

    def update(self, rt: ResourceType, obj: dict[str, Any], *, subresource: str = "") -> Any:
        meta = obj["metadata"]
        return self.request("PUT", _item_path(rt, meta.get("namespace"), meta["name"], subresource), body=obj)

    def patch(self, rt: ResourceType, name: str, patch: Any, namespace: str | None = None, *,
              patch_type: str = "application/strategic-merge-patch+json", subresource: str = "") -> Any:
        return self.request("PATCH", _item_path(rt, namespace, name, subresource), body=patch, content_type=patch_type)

    def delete(self, rt: ResourceType, name: str, namespace: str | None = None, *,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None) -> Any:
        options: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if propagation_policy:
            options["propagationPolicy"] = propagation_policy
        return self.request("DELETE", _item_path(rt, namespace, name, ""), body=options)

    # ----- requests by path (what tkctl sends): each answer is a JSON object, {} when empty

    def get_path(self, path: str, *, params: dict[str, str] | None = None, table: bool = False) -> dict[str, Any]:
        headers = {"Accept": TABLE_ACCEPT} if table else None
        return self._object("GET", path, params=params, headers=headers)

    def post_path(self, path: str, body: dict[str, Any], *, params: dict[str, str] | None = None) -> dict[str, Any]:
        return self._object("POST", path, body=body, params=params)

    def put_path(self, path: str, body: dict[str, Any], *, params: dict[str, str] | None = None) -> dict[str, Any]:
        return self._object("PUT", path, body=body, params=params)

    def patch_path(self, path: str, body: dict[str, Any] | list[Any], *, content_type: str,
                   params: dict[str, str] | None = None) -> dict[str, Any]:
        """`body` is a list only for a JSON patch (application/json-patch+json)."""
        return self._object("PATCH", path, body=body, params=params, content_type=content_type)

    def delete_path(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._object("DELETE", path, body=body)

    def exists(self, path: str, *, uid: str | None = None) -> bool:
        """Whether the object is still there; with `uid`, a namesake created since does not count.
        (What `delete --wait`, `replace --force` and `drain` poll for.)"""
        try:
            live = self.get_path(path)
        except ApiStatusError as error:
            if error.not_found:
                return False
            raise
        return uid is None or (live.get("metadata") or {}).get("uid") == uid

    @contextlib.contextmanager
    def stream(self, path: str, *, params: dict[str, str] | None = None,
               accept: str = "*/*") -> Iterator[Iterator[bytes]]:
        """GET a body that may never end (a followed log, a watch): yields its bytes as they arrive,
        unchanged. Only connecting is bounded by the timeout; a followed log may be silent for hours."""
        timeout = httpx.Timeout(self._http.timeout.connect, read=None)
        try:
            self._gate()
            started = time.monotonic()
            with self._http.stream("GET", path, params=params, timeout=timeout,
                                   headers={"Accept": accept}) as response:
                self._log(response, started)
                if not response.is_success:
                    raise status_error_from_content(response.status_code, response.read())
                yield response.iter_raw()
        except httpx.HTTPError as error:
            raise unreachable(self.connection.server, f"GET {path}", error) from error

    def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self.request(method, path, **kwargs)
        if answer is None:
            return {}
        if not isinstance(answer, dict):
            raise ApiStatusError(200, "", f"the server answered {method} {path} with non-JSON")
        return answer

    def _log(self, response: httpx.Response, started: float) -> None:
        if self._log_requests:
            elapsed_ms = int((time.monotonic() - started) * 1000)
            print(f"{response.request.method} {response.request.url} {response.status_code} "
                  f"{response.reason_phrase} in {elapsed_ms} milliseconds", file=sys.stderr)

    # ----- watch

    def watch(self, rt: ResourceType, namespace: str | None = None, *, resource_version: str = "",
              label_selector: str = "", field_selector: str = "", timeout_seconds: int = 300,
              stop: threading.Event | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield (type, object) until the server ends the stream; an ERROR 410 event raises Expired."""
        params = {"watch": "true", "resourceVersion": resource_version, "timeoutSeconds": str(timeout_seconds),
                  "allowWatchBookmarks": "false"}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        try:
            self._gate()
            with self._http.stream("GET", rt.collection_path(namespace), params=params,
                                   timeout=httpx.Timeout(30.0, read=timeout_seconds + 30)) as response:
                if response.status_code >= 400:
                    raise status_error_from_content(response.status_code, response.read())
                ended = _close_when_stopped(response, stop)
                try:
                    for line in _lines(response.iter_bytes()):
                        self._gate()
                        event = json.loads(line)
                        if event["type"] == "ERROR":
                            obj = event["object"]
                            raise status_error(obj.get("code") or 500, obj)
                        yield event["type"], event["object"]
                finally:
                    ended.set()
        except (httpx.HTTPError, httpx.StreamClosed) as error:
            # A stream closed under the reader (StreamClosed: no socket to shut down, as on the
            # master's loopback) is our own stop as much as a socket shut down is.
            if stop is not None and stop.is_set():
                return  # we closed the stream ourselves
            raise unreachable(self.connection.server, f"watch {rt.plural}", error) from error


def _lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The non-empty lines of a watch stream, split on newlines only: httpx's iter_lines also splits
    on U+0085, U+2028 and U+2029, which may stand unescaped inside a JSON string."""
    pending = b""
    for chunk in chunks:
        *lines, pending = (pending + chunk).split(b"\n")
        yield from (line for line in lines if line.strip())
    if pending.strip():
        yield pending


def _close_when_stopped(response: httpx.Response, stop: threading.Event | None) -> threading.Event:
    """Close `response` as soon as `stop` is set, so a watch blocked on a quiet stream ends at once
    (instead of at its next event, possibly after its client was closed under it). Returns an event
    the caller sets when the stream ended by itself, which retires the waiter."""
    ended = threading.Event()
    if stop is None:
        return ended

    def wait() -> None:
        while not ended.is_set():
            if stop.wait(0.5):
                if not ended.is_set():
                    _shut_down(response)
                return

    threading.Thread(target=wait, name="watch-stopper", daemon=True).start()
    return ended


def _shut_down(response: httpx.Response) -> None:
    """End a read blocked on this response's socket: closing the response from another thread does
    not, but shutting the socket down makes the read return end-of-stream. A response with no
    socket (the master's loopback) ends when closed."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None:
        response.close()
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the other side


def _item_path(rt: ResourceType, namespace: str | None, name: str, subresource: str) -> str:
    path = f"{rt.collection_path(namespace)}/{name}"
    return f"{path}/{subresource}" if subresource else path
